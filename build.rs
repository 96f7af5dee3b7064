//! Tells the integration tests which outside tools this machine has, so a test that needs one
//! it lacks shows as *ignored, with its reason* in a plain `cargo test` run instead of passing
//! silently. Under CI (`CI` set) every tool counts as present, so a missing one fails its tests
//! there rather than being skipped. `scripts/test-setup.sh` installs all of them.
//!
//! | cfg            | set when                                                        |
//! |----------------|-----------------------------------------------------------------|
//! | `has_chromium` | `chromium`, `chromium-browser` or `google-chrome` is on `PATH`, or `DLEDGER_CHROMIUM` names one |
//! | `has_python3`  | `python3` is on `PATH`                                          |
//! | `has_go`       | `go` is on `PATH` and Debian's `golang-golang-x-mod-dev` sources are installed |

use std::env;
use std::path::Path;

/// Where Debian's `golang-golang-x-mod-dev` puts the sumdb packages (GOPATH mode).
const GO_SUMDB: &str = "/usr/share/gocode/src/golang.org/x/mod/sumdb/note";

fn on_path(name: &str) -> bool {
    env::var_os("PATH").is_some_and(|p| env::split_paths(&p).any(|d| d.join(name).is_file()))
}

fn main() {
    for var in ["PATH", "CI", "DLEDGER_CHROMIUM"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed={GO_SUMDB}");
    let ci = env::var_os("CI").is_some();
    let tools = [
        (
            "has_chromium",
            env::var_os("DLEDGER_CHROMIUM").is_some()
                || ["chromium", "chromium-browser", "google-chrome"]
                    .iter()
                    .any(|n| on_path(n)),
        ),
        ("has_python3", on_path("python3")),
        ("has_go", on_path("go") && Path::new(GO_SUMDB).is_dir()),
    ];
    for (cfg, found) in tools {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if found || ci {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
