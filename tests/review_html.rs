//! The HTML review of the sample ledger, rendered in headless Chromium: the page loads with no
//! console errors, every chart's SVG has drawn marks, and a screenshot is taken (kept in
//! docs/review-sample.png; regenerate with UPDATE_SCREENSHOT=1). Chromium comes from the OS
//! packages via scripts/test-setup.sh. Without it the test shows as ignored in `cargo test`, with
//! the reason — except under CI (CI set), where it fails, so CI never skips it (build.rs).

mod common;

use common::chromium::{chromium, dom_json, run_chromium};

use disclosure_ledger::model::Timestamp;
use disclosure_ledger::review::{Period, ReviewOptions, build_review, render_html};
use disclosure_ledger::store::{Access, Store};

/// The sample ledger and the review options both tests render it with.
fn sample_review_inputs() -> (Store, ReviewOptions) {
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let opts = ReviewOptions {
        from: None,
        to: None,
        period: Period::Quarter,
        top: 10,
        as_of: Timestamp::parse("2026-01-31").unwrap(),
        progress: Default::default(),
    };
    (store, opts)
}

#[test]
#[cfg_attr(
    not(has_chromium),
    ignore = "no chromium on PATH: run scripts/test-setup.sh to install it"
)]
fn sample_review_renders_in_chromium() {
    let chrome = chromium();
    let dir = tempfile::tempdir().unwrap();
    let (store, opts) = sample_review_inputs();
    let report = build_review(&store, &opts).unwrap();
    let page = dir.path().join("review.html");
    let html = render_html(&report);
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no external resources"
    );
    assert!(
        !html.contains("<link") && !html.contains("src=\""),
        "the page must be self-contained"
    );
    std::fs::write(&page, &html).unwrap();

    // 1. Load it: no console message of any kind, and the self-check saw every chart drawn.
    let out = run_chromium(&chrome, &dir.path().join("p1"), &["--dump-dom"], &page);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    let drawn = dom_json(&dom, "data-charts-drawn");
    let charts = drawn.as_object().unwrap();
    assert_eq!(charts.len(), 6, "{drawn}");
    for (id, marks) in charts {
        let count = |k: &str| marks[k].as_u64().unwrap_or(0);
        // Bars are rects beyond the background; line charts have a point per period.
        let data_marks = count("rects").saturating_sub(1) + count("circles");
        assert!(
            data_marks >= 4,
            "{id}: only {data_marks} data marks drawn ({marks})"
        );
        assert!(
            count("texts") >= 5,
            "{id}: axis labels and title missing ({marks})"
        );
    }

    // 2. Screenshot.
    let shot = dir.path().join("review.png");
    let out = run_chromium(
        &chrome,
        &dir.path().join("p2"),
        &[
            "--window-size=1200,2600",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    assert!(
        out.status.success(),
        "screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 50_000,
        "screenshot is not a real PNG ({} bytes)",
        png.len()
    );
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::write(common::root().join("docs/review-sample.png"), &png).unwrap();
    }
}

/// Measures the rendered page: every chart's bars, tick labels and size, any table wider than
/// its section, and any cell whose text overflows it. Appended to a copy of the page; it writes what it finds into the DOM.
const GEOMETRY_PROBE: &str = r"<script>
(function () {
  var res = { charts: {}, overflow: [] };
  document.querySelectorAll('figure[data-chart]').forEach(function (f) {
    var svg = f.querySelector('svg');
    var labels = Array.prototype.map.call(f.querySelectorAll('details tbody tr'), function (r) {
      return r.cells[0].textContent.trim();
    });
    var texts = [];
    svg.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      texts.push({ s: t.textContent.trim(), cx: b.x + b.width / 2, y: b.y });
    });
    var rects = [];
    svg.querySelectorAll('rect').forEach(function (r) {
      var b = r.getBBox();
      rects.push({ x: b.x, w: b.width, h: b.height, fill: (r.getAttribute('fill') || '').toUpperCase() });
    });
    res.charts[f.getAttribute('data-chart')] = {
      labels: labels, texts: texts, rects: rects,
      width: svg.viewBox.baseVal.width,
      shown: svg.getBoundingClientRect().width,
      card: f.getBoundingClientRect().width
    };
  });
  document.querySelectorAll('td, th').forEach(function (c) {
    if (c.offsetParent !== null && c.scrollWidth > c.clientWidth + 1) {
      res.overflow.push('cell: ' + c.textContent.trim().slice(0, 60));
    }
  });
  document.querySelectorAll('section table').forEach(function (t) {
    var s = t.closest('section').getBoundingClientRect();
    if (t.getBoundingClientRect().right > s.right + 1) {
      res.overflow.push(t.querySelector('caption, th') ? t.querySelector('caption, th').textContent : '?');
    }
  });
  document.body.setAttribute('data-geometry', JSON.stringify(res));
})();
</script>
</body>";

/// The review as a board would see it: every bar centred over its tick label and inside the
/// plot, charts the width of their card, histograms labelled with what they count, and no
/// table wider than its section (flag codes and dates are not broken mid-word, so a table that
/// does not fit would show here).
#[test]
#[cfg_attr(
    not(has_chromium),
    ignore = "no chromium on PATH: run scripts/test-setup.sh to install it"
)]
fn review_charts_put_each_bar_over_its_label() {
    let chrome = chromium();
    let dir = tempfile::tempdir().unwrap();
    let (store, opts) = sample_review_inputs();
    let html = render_html(&build_review(&store, &opts).unwrap());
    let page = dir.path().join("probe.html");
    std::fs::write(&page, html.replacen("</body>", GEOMETRY_PROBE, 1)).unwrap();
    let out = run_chromium(
        &chrome,
        &dir.path().join("p"),
        &["--window-size=1200,2600", "--dump-dom"],
        &page,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let g = dom_json(&dom, "data-geometry");
    assert_eq!(
        g["overflow"],
        serde_json::json!([]),
        "tables wider than their section"
    );
    let charts = g["charts"].as_object().unwrap();
    for (id, c) in charts {
        let width = c["width"].as_f64().unwrap();
        let (shown, card) = (c["shown"].as_f64().unwrap(), c["card"].as_f64().unwrap());
        assert!(
            shown >= 0.9 * card,
            "{id}: drawn {shown}px wide in a {card}px card"
        );
        let texts = c["texts"].as_array().unwrap();
        let has_text = |s: &str| texts.iter().any(|t| t["s"] == s);
        if id.contains("delay") {
            assert!(
                has_text("Delay") && !has_text("Period"),
                "{id}: x axis label: {:?}",
                texts
                    .iter()
                    .map(|t| t["s"].as_str().unwrap_or(""))
                    .collect::<Vec<_>>()
            );
        }
        let is_bar_chart =
            ["chart-volume", "chart-flags"].contains(&id.as_str()) || id.contains("delay");
        if !is_bar_chart {
            continue;
        }
        // The tick label of each row of the data table, by its centre.
        let centres: Vec<f64> = c["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                texts
                    .iter()
                    .find(|t| t["s"] == *l)
                    .unwrap_or_else(|| panic!("{id}: no tick label {l}"))["cx"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        let slot = if centres.len() > 1 {
            (centres[centres.len() - 1] - centres[0]) / (centres.len() - 1) as f64
        } else {
            width
        };
        let bars: Vec<(f64, f64)> = c["rects"]
            .as_array()
            .unwrap()
            .iter()
            // Not the background or the legend's box (white), not a legend swatch (narrow).
            .filter(|r| {
                !["#FFFFFF", "WHITE", "NONE", ""].contains(&r["fill"].as_str().unwrap_or(""))
            })
            .map(|r| (r["x"].as_f64().unwrap(), r["w"].as_f64().unwrap()))
            .filter(|(_, w)| *w < width * 0.9 && *w > 0.3 * slot)
            .collect();
        assert!(
            bars.len() >= centres.len() / 2,
            "{id}: only {} bars",
            bars.len()
        );
        for (x, w) in &bars {
            let centre = x + w / 2.0;
            assert!(
                centres.iter().any(|c| (c - centre).abs() <= 1.5),
                "{id}: a bar centred at {centre:.1} is over no tick label ({centres:?})"
            );
            assert!(
                x + w <= width - 10.0,
                "{id}: a bar reaches {:.1}, past the plot's edge ({width})",
                x + w
            );
        }
    }
}
