//! `dledger-verify-evidence`: checks a disclosure-ledger evidence bundle offline, with nothing
//! but the regulators' published public keys. The same checks as `dledger verify-evidence`, in
//! a program small enough for a court's expert to read whole (docs/EVIDENCE.md, "Auditing the
//! verifier"). Arguments are parsed by hand so that it needs no command-line library.
//!
//! Exit codes: 0 verified, 2 a check failed or the bundle could not be read, 64 wrong usage.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: dledger-verify-evidence BUNDLE_DIR --trust KEYS_DIR [--json]

Checks an evidence bundle made by `dledger evidence` against the regulators' published public
keys (*.vkey files in KEYS_DIR). Prints every check and a plain-language summary (or JSON with
--json). Exit codes: 0 verified, 2 a check failed or the bundle could not be read.

Example:
  dledger-verify-evidence bundle-42 --trust keys/";

/// What the command line asked for.
struct Args {
    bundle: PathBuf,
    trust: PathBuf,
    json: bool,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut bundle = None;
    let mut trust = None;
    let mut json = false;
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--trust" => {
                trust = Some(PathBuf::from(
                    args.next()
                        .ok_or("--trust needs a directory of *.vkey files")?,
                ))
            }
            "-h" | "--help" => return Err(String::new()),
            a if a.starts_with("--trust=") => trust = Some(PathBuf::from(&a["--trust=".len()..])),
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ if bundle.is_some() => return Err(format!("unexpected argument {arg}")),
            _ => bundle = Some(PathBuf::from(arg)),
        }
    }
    Ok(Args {
        bundle: bundle.ok_or("name the bundle directory")?,
        trust: trust.ok_or("--trust KEYS_DIR is required: the regulators' published keys")?,
        json,
    })
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(why) if why.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("error: {why}\n\n{USAGE}");
            return ExitCode::from(64);
        }
    };
    let trusted = match evidence_verify::load_trust_dir(&args.trust) {
        Ok(keys) => keys,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let report = match evidence_verify::verify_bundle(&args.bundle, &trusted) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let text = if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(j) => j + "\n",
            Err(e) => {
                eprintln!("error: cannot write the report as JSON: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        report.to_text(&args.bundle.display().to_string())
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
