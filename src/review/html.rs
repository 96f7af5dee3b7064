//! The review as one self-contained HTML page: inline CSS and SVG charts, no network, no
//! external scripts or fonts. Each chart has a caption, a description and its data table.

use crate::review::show_pct;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts::{Chart, chart_svgs};
use super::text::arrow;
use super::{Delay, PeriodRow, ReviewReport};

/// Escapes text for HTML.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9;line-height:1.45}
header{background:#1d3557;color:#fff;padding:24px 32px}
header h1{margin:0 0 4px;font-size:1.6rem}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px 20px;margin:18px 0}
h2{font-size:1.2rem;margin-top:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px}
.card .v{font-size:1.6rem;font-weight:600}
.card .k{color:#444;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:8px 0}
th,td{border-bottom:1px solid #e3e6ea;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:12px 0}
figcaption{font-weight:600;margin-bottom:4px}
.desc{color:#444;font-size:.9rem;margin:2px 0 6px}
.ok{color:#0a6b2d;font-weight:600}.bad{color:#a4161a;font-weight:600}
.up{color:#a4161a}.down{color:#0a6b2d}
details summary{cursor:pointer;color:#1d3557}
code{font-size:.85em;overflow-wrap:anywhere}
td.key,td.n,th.n,td.date{white-space:nowrap}
figure svg{width:100%;height:auto;display:block}
@media print{body{background:#fff}section{break-inside:avoid;border:none}}
";

/// A tiny self-check the browser test reads: counts the drawn elements in every chart and
/// records them on the page. It adds nothing a reader needs and loads nothing.
const SELF_CHECK: &str = "
(function(){var out={};document.querySelectorAll('figure[data-chart]').forEach(function(f){
var svg=f.querySelector('svg');if(!svg){out[f.getAttribute('data-chart')]={};return;}
out[f.getAttribute('data-chart')]={rects:svg.querySelectorAll('rect').length,circles:svg.querySelectorAll('circle').length,
lines:svg.querySelectorAll('polyline, path, line').length,texts:svg.querySelectorAll('text').length};});
document.body.setAttribute('data-charts-drawn',JSON.stringify(out));})();
";

fn hours(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(h) if h >= 48.0 => format!("{:.1} days", h / 24.0),
        Some(h) => format!("{h:.1} hours"),
    }
}

fn counts_table(
    out: &mut String,
    caption: &str,
    (key, counted): (&str, &str),
    map: &BTreeMap<String, u64>,
    limit: Option<usize>,
) {
    let mut rows: Vec<(&String, &u64)> = map.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let _ = write!(
        out,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"n\">{}</th></tr></thead><tbody>",
        escape(caption),
        escape(key),
        escape(counted)
    );
    // Short keys (flag codes, categories, directions) are never broken across lines; long ones
    // (gateway citations) wrap between words.
    let class = if rows.iter().all(|(k, _)| k.chars().count() <= 40) {
        " class=\"key\""
    } else {
        ""
    };
    for (k, n) in rows.iter().take(limit.unwrap_or(usize::MAX)) {
        let _ = write!(
            out,
            "<tr><td{class}>{}</td><td class=\"n\">{n}</td></tr>",
            escape(k)
        );
    }
    out.push_str("</tbody></table>");
}

fn delay_cells(d: &Delay) -> String {
    format!(
        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
        d.n,
        hours(d.median_hours),
        hours(d.p90_hours),
        hours(d.max_hours)
    )
}

fn chart_figure(out: &mut String, c: &Chart) {
    let _ = write!(
        out,
        "<figure data-chart=\"{id}\" id=\"{id}\"><figcaption>{t}</figcaption><p class=\"desc\">{d}</p>{svg}<details><summary>Data table: {t}</summary><table><thead><tr>",
        id = c.id,
        t = escape(&c.title),
        d = escape(&c.description),
        svg = c.svg
    );
    for h in &c.headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &c.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if i == 0 { "" } else { " class=\"n\"" };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></details></figure>");
}

fn change_cell(row: &PeriodRow, metric: &str) -> String {
    match row.change.iter().find(|c| c.metric == metric) {
        Some(c) => {
            let class = match c.direction.as_str() {
                "up" => "up",
                "down" => "down",
                _ => "",
            };
            format!(
                "<span class=\"{class}\" aria-label=\"{} on the previous period\">{}</span>",
                c.direction,
                arrow(&c.direction)
            )
        }
        None if row.change.is_empty() => {
            "<span class=\"none\" title=\"no earlier data\">no earlier data</span>".to_owned()
        }
        None => String::new(),
    }
}

/// Renders the report as a self-contained HTML page.
pub fn render_html(r: &ReviewReport) -> String {
    let charts = chart_svgs(r);
    let t = &r.total.stats;
    let l = &r.ledger;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Effectiveness review {} to {}</title><style>{STYLE}</style></head><body>",
        escape(&r.from),
        escape(&r.to)
    );
    let _ = write!(
        out,
        "<header><h1>Effectiveness review of ICO–Ofcom information sharing</h1><div>{} to {}, by {} · 2024 joint statement §6 · made {}</div></header><main>",
        escape(&r.from),
        escape(&r.to),
        serde_json::to_value(r.period)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        escape(&r.generated_at)
    );
    // Integrity.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-ledger\"><h2 id=\"h-ledger\">The ledger this report comes from</h2>"
    );
    if l.chain_intact {
        out.push_str("<p class=\"ok\">Numbering, hashes and the hash chain were checked with no problem found. Signatures are checked by <code>dledger verify</code>.</p>");
    } else {
        let _ = write!(
            out,
            "<p class=\"bad\">The ledger's structure has problems: {}. Run <code>dledger verify</code> before relying on these figures.</p>",
            escape(&l.problems.join("; "))
        );
    }
    let _ = write!(
        out,
        "<table><tbody><tr><th scope=\"row\">Entries</th><td>{}</td></tr><tr><th scope=\"row\">Root hash (RFC 6962)</th><td><code>{}</code></td></tr><tr><th scope=\"row\">Last entry hash</th><td><code>{}</code></td></tr><tr><th scope=\"row\">Latest cosigned checkpoint</th><td>{}</td></tr><tr><th scope=\"row\">Acknowledgements judged as of</th><td>{}</td></tr></tbody></table></section>",
        l.entries,
        escape(l.root.as_deref().unwrap_or("–")),
        escape(l.head.as_deref().unwrap_or("–")),
        escape(&match l.latest_cosigned_size {
            Some(s) => format!(
                "tree size {s}, cosigned by {}",
                l.latest_cosigned_by.join(", ")
            ),
            None => "none".into(),
        }),
        escape(&r.as_of)
    );
    // Headline cards.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-summary\"><h2 id=\"h-summary\">In summary</h2><div class=\"cards\">"
    );
    for (k, v) in [
        ("Disclosures", t.disclosures.to_string()),
        (
            "Notification skipped",
            show_pct(t.notification.all.skipped_pct, "%"),
        ),
        ("Flags per 100 disclosures", show_pct(t.flags.per_100, "")),
        ("Disclosures flagged", show_pct(t.flags.flagged_pct, "%")),
        (
            "Median recording delay",
            hours(t.recording_delay.median_hours),
        ),
        (
            "Median acknowledgement delay",
            hours(t.acknowledgement_delay.median_hours),
        ),
        ("Unacknowledged", t.unacknowledged.to_string()),
        (
            "Companies of mutual interest (end)",
            t.registers.companies_mutual.len().to_string(),
        ),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"v\">{}</div><div class=\"k\">{}</div></div>",
            escape(&v),
            escape(k)
        );
    }
    out.push_str("</div><table><caption>Change on the previous range of the same length</caption><thead><tr><th scope=\"col\">Measure</th><th scope=\"col\" class=\"n\">This range</th><th scope=\"col\" class=\"n\">Previous</th><th scope=\"col\">Change</th></tr></thead><tbody>");
    for c in &r.total.change {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{} {}</td></tr>",
            escape(&c.metric),
            c.current,
            c.previous,
            arrow(&c.direction),
            escape(&c.direction)
        );
    }
    out.push_str("</tbody></table></section>");
    // Charts.
    out.push_str("<section aria-labelledby=\"h-charts\"><h2 id=\"h-charts\">Charts</h2>");
    for c in &charts {
        chart_figure(&mut out, c);
    }
    out.push_str("</section>");
    // Periods.
    out.push_str("<section aria-labelledby=\"h-periods\"><h2 id=\"h-periods\">By period</h2><table><thead><tr><th scope=\"col\">Period</th><th scope=\"col\" class=\"n\">Disclosures</th><th scope=\"col\"></th><th scope=\"col\" class=\"n\">Skipped %</th><th scope=\"col\" class=\"n\">Flags / 100</th><th scope=\"col\" class=\"n\">Median record</th><th scope=\"col\" class=\"n\">Median ack</th><th scope=\"col\" class=\"n\">Unacknowledged</th><th scope=\"col\" class=\"n\">Not mutual</th></tr></thead><tbody>");
    for p in &r.periods {
        let s = &p.stats;
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&s.label),
            s.disclosures,
            change_cell(p, "disclosures"),
            show_pct(s.notification.all.skipped_pct, ""),
            show_pct(s.flags.per_100, ""),
            hours(s.recording_delay.median_hours),
            hours(s.acknowledgement_delay.median_hours),
            s.unacknowledged,
            s.registers.disclosures_not_mutual
        );
    }
    out.push_str("</tbody></table></section>");
    // Breakdown tables.
    out.push_str(
        "<section aria-labelledby=\"h-volumes\"><h2 id=\"h-volumes\">What was shared</h2>",
    );
    counts_table(
        &mut out,
        "By direction",
        ("Direction", "Disclosures"),
        &t.by_direction,
        None,
    );
    counts_table(
        &mut out,
        "By category",
        ("Category", "Disclosures"),
        &t.by_category,
        None,
    );
    counts_table(
        &mut out,
        "By gateway cited",
        ("Gateway", "Disclosures"),
        &t.by_gateway,
        None,
    );
    counts_table(
        &mut out,
        "By Collaboration Theme",
        ("Theme", "Disclosures"),
        &t.by_theme,
        None,
    );
    let _ = write!(
        out,
        "<table><caption>Companies (top {} highlighted first; full table)</caption><thead><tr><th scope=\"col\">Company</th><th scope=\"col\">Id</th><th scope=\"col\" class=\"n\">Disclosures</th><th scope=\"col\">Of mutual interest at the end</th></tr></thead><tbody>",
        r.top
    );
    for (i, c) in r.companies.iter().enumerate() {
        let strong = if i < r.top {
            " style=\"font-weight:600\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr{strong}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&c.name),
            escape(&c.id),
            c.disclosures,
            if c.mutual_at_end { "yes" } else { "no" }
        );
    }
    out.push_str("</tbody></table></section>");
    // Notification and timeliness.
    let n = &t.notification;
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-notice\"><h2 id=\"h-notice\">Prior notification and timeliness</h2><table><caption>Prior notification of the service (statement §4)</caption><thead><tr><th scope=\"col\">Disclosures</th><th scope=\"col\" class=\"n\">Notified</th><th scope=\"col\" class=\"n\">Skipped</th><th scope=\"col\" class=\"n\">Skipped %</th></tr></thead><tbody><tr><td>All</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr><tr><td>Routine (expected without notification, statement §4)</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr><tr><td>Case-by-case</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table>",
        n.all.notified,
        n.all.skipped,
        show_pct(n.all.skipped_pct, ""),
        n.routine.notified,
        n.routine.skipped,
        show_pct(n.routine.skipped_pct, ""),
        n.case_by_case.notified,
        n.case_by_case.skipped,
        show_pct(n.case_by_case.skipped_pct, "")
    );
    let _ = write!(
        out,
        "<table><caption>Delays</caption><thead><tr><th scope=\"col\">Delay</th><th scope=\"col\" class=\"n\">Measured</th><th scope=\"col\" class=\"n\">Median</th><th scope=\"col\" class=\"n\">90th percentile</th><th scope=\"col\" class=\"n\">Longest</th></tr></thead><tbody><tr><td>Recording (disclosed → recorded)</td>{}</tr><tr><td>Acknowledgement (recorded → acknowledged)</td>{}</tr></tbody></table><p>Unacknowledged disclosures: {}.</p></section>",
        delay_cells(&t.recording_delay),
        delay_cells(&t.acknowledgement_delay),
        t.unacknowledged
    );
    // Registers.
    let g = &t.registers;
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-registers\"><h2 id=\"h-registers\">Registers</h2><p>At the end of the range: <strong>{}</strong> Collaboration Themes in force ({}), and <strong>{}</strong> companies of mutual interest ({}). In the range, {} designation(s) took effect and {} ended; {} disclosure(s) concerned a company not (yet) of mutual interest.</p></section>",
        g.themes_in_force.len(),
        escape(&g.themes_in_force.join(", ")),
        g.companies_mutual.len(),
        escape(&g.companies_mutual.join(", ")),
        g.designations,
        g.designation_ends,
        g.disclosures_not_mutual
    );
    // Flags.
    let _ = write!(
        out,
        "<section aria-labelledby=\"h-flags\"><h2 id=\"h-flags\">Policy flags</h2><p>{} flags on {} of {} disclosures ({} per 100). Each is explained by <code>dledger explain CODE</code>; each entry can be shown with <code>dledger show SEQ</code> and proved with <code>dledger evidence SEQ</code>.</p>",
        t.flags.total,
        t.flags.flagged_disclosures,
        t.disclosures,
        show_pct(t.flags.per_100, "")
    );
    counts_table(
        &mut out,
        "Flags by code",
        ("Code", "Flags"),
        &t.flags.by_code,
        None,
    );
    let _ = write!(
        out,
        "<p>Disposed of by a party to the disclosure: <strong>{}</strong> of {} flags ({}){}. An escalated flag stays open.</p>",
        t.flags.disposed,
        t.flags.total,
        show_pct(t.flags.disposed_pct, "%"),
        t.flags
            .median_days_to_disposition
            .map(|d| format!("; median {d:.1} days from recording to disposition"))
            .unwrap_or_default()
    );
    if !t.flags.disposed_by_action.is_empty() {
        counts_table(
            &mut out,
            "Dispositions by what was done",
            ("Action", "Flags"),
            &t.flags.disposed_by_action,
            None,
        );
    }
    let _ = write!(
        out,
        "<p>Statement §6: {} Collaboration Themes and {} companies discussed in the range; joint engagement with the service recorded on {} disclosure(s); {} decision(s) not to disclose (statement §4).</p>",
        t.by_theme.len(),
        t.by_company.len(),
        t.joint_engagement,
        t.refusals
    );
    out.push_str("<table><caption>Flagged entries</caption><thead><tr><th scope=\"col\">Entry</th><th scope=\"col\">Date</th><th scope=\"col\">Flag</th><th scope=\"col\">Severity</th><th scope=\"col\">Statement</th><th scope=\"col\">Details</th></tr></thead><tbody>");
    for f in &r.flagged {
        let _ = write!(
            out,
            "<tr id=\"seq-{seq}\"><td><a href=\"#seq-{seq}\">#{seq}</a></td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&f.date),
            escape(&f.code),
            escape(&f.severity),
            escape(&f.sections),
            escape(&f.message),
            seq = f.seq
        );
    }
    out.push_str("</tbody></table></section>");
    let _ = write!(out, "</main><script>{SELF_CHECK}</script></body></html>");
    out
}
