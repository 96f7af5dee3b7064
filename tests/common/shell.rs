//! Running documented command lines as a reader would paste them into a shell: `sh -c LINE` in
//! a world directory (also its `HOME`), with the `dledger` under test first on the `PATH`.

use std::path::Path;
use std::process::Command;

/// Runs one shell line in `world`; returns its exit code and output.
pub(crate) fn sh(world: &Path, line: &str) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("dledger");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(world)
        .env("PATH", path)
        .env("HOME", world)
        .env_remove("XDG_STATE_HOME")
        .env_remove("DLEDGER_LEDGER")
        .env_remove("DLEDGER_PASSPHRASE")
        .env_remove("DLEDGER_PASSPHRASE_FILE")
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), super::output_text(&out))
}

/// The command lines of a shell snippet: `\` continuations joined, blank lines and whole-line
/// comments dropped.
pub(crate) fn command_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(trimmed.trim_end_matches('\\').trim_end());
        if !trimmed.ends_with('\\') {
            out.push(std::mem::take(&mut current));
        }
    }
    out
}

/// Copies the repository's samples (`fixtures/*.ledger`, `fixtures/store-v1/`, the demo keys in
/// `fixtures/keys/`) and its top-level `keys/` into `world`, as a clone has them.
pub(crate) fn copy_samples(world: &Path) {
    use std::fs;
    let root = super::root();
    for dir in ["fixtures/keys", "fixtures/store-v1", "keys"] {
        fs::create_dir_all(world.join(dir)).unwrap();
        for item in fs::read_dir(root.join(dir)).unwrap() {
            let p = item.unwrap().path();
            if p.is_file() {
                fs::copy(&p, world.join(dir).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    for f in ["sample.ledger", "sample-v2.ledger"] {
        fs::copy(
            root.join("fixtures").join(f),
            world.join("fixtures").join(f),
        )
        .unwrap();
    }
}
