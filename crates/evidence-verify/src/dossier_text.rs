//! A company dossier's text: the summary a lawyer reads (a table, and the completeness claim in
//! one sentence) and the same as a self-contained, printable HTML page. Both are derived from the
//! verified entries; the verifier regenerates them and compares.

use std::fmt::Write as _;

use crate::check::DossierFacts;

/// The completeness claim, in one plain sentence.
fn claim(f: &DossierFacts) -> String {
    let who = format!("{} ({})", f.company_name, f.company);
    let signed = match &f.signer {
        Some(s) => {
            let cos: Vec<String> = f
                .cosigners
                .iter()
                .map(|(p, at)| format!("{p} on {}", at.london_date()))
                .collect();
            format!(
                ", as signed by {s} and cosigned by {}",
                if cos.is_empty() {
                    "nobody".to_owned()
                } else {
                    cos.join(" and ")
                }
            )
        }
        None => String::new(),
    };
    let period = match (&f.from, &f.to) {
        (None, None) => String::new(),
        (Some(from), Some(to)) => format!(" The table shows those made from {from} to {to}."),
        (Some(from), None) => format!(" The table shows those made from {from} on."),
        (None, Some(to)) => format!(" The table shows those made up to {to}."),
    };
    let entries = if f.named == 1 { "entry" } else { "entries" };
    if f.proven {
        format!(
            "These are all {} {entries} naming {who} — disclosures, corrections and refusals — \
             recorded in the first {} entries of the ledger{signed}; the entry index signed with \
             that checkpoint proves none is missing.{period}",
            f.named, f.size
        )
    } else if f.indexed {
        format!(
            "These are the {} {entries} naming {who} this dossier holds, of the first {} entries \
             of the ledger{signed}. NOT complete: the entry index signed with that checkpoint \
             does not match what the dossier holds (see the completeness check), so entries may \
             have been left out or added.{period}",
            f.named, f.size
        )
    } else {
        format!(
            "These are the {} {entries} naming {who} found in the first {} entries of the \
             ledger{signed}. Not proven complete: that checkpoint carries no entry index, so the \
             dossier cannot prove none is missing.{period}",
            f.named, f.size
        )
    }
}

/// summary.txt of a dossier.
pub(crate) fn summary(f: &DossierFacts) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Dossier: {} ({}) in the disclosure ledger {}",
        f.company_name, f.company, f.origin
    );
    let _ = writeln!(out);
    for line in crate::summary::textwrap(&claim(f), 96) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    let headers = [
        "entry",
        "date",
        "direction",
        "category",
        "gateway",
        "notice",
        "flags",
    ];
    let rows: Vec<[String; 7]> = f
        .rows
        .iter()
        .map(|r| {
            [
                format!("#{}", r.seq),
                r.date.clone(),
                r.direction.clone(),
                if r.kind == "correction" {
                    format!("{} (correction)", r.category)
                } else {
                    r.category.clone()
                },
                r.gateway.clone(),
                r.notification.clone(),
                if r.flags.is_empty() {
                    "none".to_owned()
                } else {
                    r.flags.join(", ")
                },
            ]
        })
        .collect();
    let mut width = headers.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(width.iter())
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let _ = writeln!(out, "{}", line(&headers.map(str::to_owned)));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    if rows.is_empty() {
        let _ = writeln!(out, "(none)");
    }
    let later: Vec<String> = f
        .rows
        .iter()
        .filter(|r| !r.later.is_empty() || !r.policy.is_empty())
        .map(|r| {
            format!(
                "  #{}: policy {}{}{}",
                r.seq,
                r.policy,
                if r.later.is_empty() { "" } else { "; " },
                r.later.join("; ")
            )
        })
        .collect();
    if !later.is_empty() {
        let _ = writeln!(out, "\nPolicy in force, and what happened later");
        for l in later {
            let _ = writeln!(out, "{l}");
        }
    }
    if !f.opened.is_empty() {
        let _ = writeln!(
            out,
            "\nField values opened (each reproduces the commitment in its signed entry)"
        );
        for (seq, name, what) in &f.opened {
            let _ = writeln!(out, "  #{seq} {name}: {what}");
        }
    }
    let _ = writeln!(out, "\nDesignation history of the companies named");
    if f.designations.is_empty() {
        let _ = writeln!(out, "  (none recorded)");
    }
    for d in &f.designations {
        let _ = writeln!(out, "  {d}");
    }
    let _ = writeln!(out, "\nThemes and joint acts");
    if f.registers.is_empty() {
        let _ = writeln!(out, "  (none recorded)");
    }
    for d in &f.registers {
        let _ = writeln!(out, "  {d}");
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// dossier.html: the same content as one self-contained, printable page (no scripts, no
/// external resources).
pub(crate) fn html(f: &DossierFacts) -> String {
    let mut out = String::new();
    let title = format!("Dossier: {} ({})", f.company_name, f.company);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #111; max-width: 80rem; }}\n\
         p.claim {{ font-size: 1.05rem; border-left: 4px solid {}; padding-left: 0.8rem; }}\n\
         table {{ border-collapse: collapse; width: 100%; table-layout: auto; }}\n\
         th, td {{ border: 1px solid #999; padding: 0.3rem 0.5rem; text-align: left; \
         vertical-align: top; overflow-wrap: anywhere; }}\n\
         th {{ background: #eee; }}\n\
         td.flags {{ color: #8a1c1c; }}\n\
         @media print {{ body {{ margin: 0; }} tr {{ break-inside: avoid; }} }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n<p>Ledger {}</p>\n<p class=\"claim\" id=\"claim\">{}</p>\n",
        esc(&title),
        if f.proven { "#1b6e2e" } else { "#b26b00" },
        esc(&title),
        esc(&f.origin),
        esc(&claim(f))
    );
    let _ = writeln!(
        out,
        "<table id=\"disclosures\">\n<thead><tr><th>entry</th><th>date</th><th>direction</th>\
         <th>category</th><th>gateway</th><th>notice</th><th>policy</th><th>later</th>\
         <th>flags</th></tr></thead>\n<tbody>"
    );
    for r in &f.rows {
        let _ = writeln!(
            out,
            "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td class=\"flags\">{}</td></tr>",
            r.seq,
            esc(&r.date),
            esc(&r.direction),
            esc(&r.category),
            if r.kind == "correction" {
                " (correction)"
            } else {
                ""
            },
            esc(&r.gateway),
            esc(&r.notification),
            esc(&r.policy),
            esc(&r.later.join("; ")),
            if r.flags.is_empty() {
                "none".to_owned()
            } else {
                esc(&r.flags.join(", "))
            }
        );
    }
    if f.rows.is_empty() {
        let _ = writeln!(out, "<tr><td colspan=\"9\">(none)</td></tr>");
    }
    let _ = writeln!(out, "</tbody>\n</table>");
    for (heading, lines) in [
        (
            "Designation history of the companies named",
            &f.designations,
        ),
        ("Themes and joint acts", &f.registers),
    ] {
        let _ = writeln!(out, "<h2>{heading}</h2>\n<ul>");
        if lines.is_empty() {
            let _ = writeln!(out, "<li>(none recorded)</li>");
        }
        for l in lines {
            let _ = writeln!(out, "<li>{}</li>", esc(l));
        }
        let _ = writeln!(out, "</ul>");
    }
    let _ = writeln!(
        out,
        "<p>Check this dossier offline with <code>dledger verify-evidence DIR --trust KEYS</code>; \
         this page is derived from the signed entries and is regenerated and compared by that \
         check.</p>\n</body>\n</html>"
    );
    out
}
