//! Headless Chromium for the tests that render a page (the review, the dossier). A test that
//! needs it carries `#[cfg_attr(not(has_chromium), ignore = "…")]` (build.rs sets the cfg), so
//! without Chromium it shows as ignored with its reason; under CI the cfg is always set and a
//! missing browser fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The reason an ignored Chromium test gives.
pub(crate) const MISSING: &str = "no chromium on PATH: run scripts/test-setup.sh to install it";

/// The browser: `DLEDGER_CHROMIUM`, else the first of the usual names on `PATH`. Panics (with
/// how to install it) when there is none, which only happens under CI or when the browser was
/// removed after the build.
pub(crate) fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("DLEDGER_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("Chromium is required: run scripts/test-setup.sh (installs Debian's chromium)")
        })
}

/// Runs headless Chromium on the file `page` with its own profile directory and `extra`
/// arguments (`--screenshot=…`, `--dump-dom`, a window size).
pub(crate) fn run_chromium(
    chrome: &Path,
    profile: &Path,
    extra: &[&str],
    page: &Path,
) -> std::process::Output {
    Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs")
}

/// The JSON a page's script stored in the attribute `name` (as `--dump-dom` prints it).
pub(crate) fn dom_json(dom: &str, name: &str) -> serde_json::Value {
    let attr = dom
        .split(&format!("{name}=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("the page's script did not record {name}"))
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&attr).unwrap()
}
