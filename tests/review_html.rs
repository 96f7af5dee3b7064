//! The HTML review of the sample ledger, rendered in headless Chromium: the page loads with no
//! console errors, every chart's SVG has drawn marks, and a screenshot is taken (kept in
//! docs/review-sample.png; regenerate with UPDATE_SCREENSHOT=1). Chromium comes from the OS
//! packages via scripts/test-setup.sh. Without it the test shows as ignored in `cargo test`, with
//! the reason — except under CI (CI set), where it fails, so CI never skips it (build.rs).

mod common;

use common::chromium::{chromium, run_chromium};

use disclosure_ledger::model::Timestamp;
use disclosure_ledger::review::{Period, ReviewOptions, build_review, render_html};
use disclosure_ledger::store::{Access, Store};

#[test]
#[cfg_attr(
    not(has_chromium),
    ignore = "no chromium on PATH: run scripts/test-setup.sh to install it"
)]
fn sample_review_renders_in_chromium() {
    let chrome = chromium();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let opts = ReviewOptions {
        from: None,
        to: None,
        period: Period::Quarter,
        top: 10,
        as_of: Timestamp::parse("2026-01-31").unwrap(),
        progress: Default::default(),
    };
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
    let attr = dom
        .split("data-charts-drawn=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page's self-check ran and recorded its result")
        .replace("&quot;", "\"");
    let drawn: serde_json::Value = serde_json::from_str(&attr).unwrap();
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
