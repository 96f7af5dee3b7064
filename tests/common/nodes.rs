//! Nodes started by the tests: `dledger serve` child processes on 127.0.0.1, ports chosen at
//! run time, stopped (SIGTERM) or killed (SIGKILL) by the test, and killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running node.
pub(crate) struct Node {
    child: Option<Child>,
    /// Its base URL, as it printed it.
    pub(crate) url: String,
    /// Where its access log (standard error) goes.
    pub(crate) log: PathBuf,
}

/// A free port on 127.0.0.1 (for a node another node must know before it starts).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    /// Starts `dledger serve ARGS` in `dir` and waits until it listens.
    pub(crate) fn start(dir: &Path, name: &str, args: &[&str]) -> Node {
        let log = dir.join(format!("{name}.log"));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("dledger"))
            .current_dir(dir)
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "node {name} did not start: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        let url = line
            .split(" at ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("unexpected first line from node {name}: {line}"))
            .to_owned();
        Node {
            child: Some(child),
            url,
            log,
        }
    }

    /// The ICO's node operating `ico-ofcom.ledger` (made by [`two_regulators`]) with its key,
    /// at a free port, with `more` options.
    pub(crate) fn operator(dir: &Path, more: &[&str]) -> Node {
        let mut args = vec![
            "-l",
            "ico-ofcom.ledger",
            "--listen",
            "127.0.0.1:0",
            "--key",
            "ico-2024.key",
        ];
        args.extend_from_slice(more);
        Node::start(dir, "ico", &args)
    }

    /// Ofcom's witness node over `ofcom-witness.replica`, at `port`, mirroring from `upstream`.
    pub(crate) fn witness(dir: &Path, port: u16, upstream: &str) -> Node {
        let listen = format!("127.0.0.1:{port}");
        Node::start(
            dir,
            "ofcom",
            &[
                "-l",
                "ofcom-witness.replica",
                "--listen",
                &listen,
                "--witness-key",
                "ofcom-2024.key",
                "--upstream",
                upstream,
            ],
        )
    }

    /// The port it listens on.
    pub(crate) fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Stops it as an operator would (SIGTERM) and returns how it exited.
    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        wait_for(&mut child, Duration::from_secs(30))
    }

    /// Kills it without warning (SIGKILL), as a crash or a power cut would.
    pub(crate) fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

fn wait_for(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the node did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `dledger ARGS` in `dir`.
pub(crate) fn dledger(dir: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin("dledger"))
        .current_dir(dir)
        .args(args)
        .env_remove("DLEDGER_LEDGER")
        .env_remove("DLEDGER_REMOTE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Standard output and error of a finished command, for messages.
pub(crate) fn said(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Two regulators' keys and a new ledger operated by the ICO, set up as the README's set-up
/// section does: `keys/` with both public keys, `ico-2024.key` and `ofcom-2024.key`, and
/// `ico-ofcom.ledger` with a theme and a company both regulators agreed.
pub(crate) fn two_regulators(dir: &Path) {
    let run = |args: &[&str]| {
        let out = dledger(dir, args);
        assert!(out.status.success(), "{args:?}: {}", said(&out));
    };
    run(&[
        "keygen",
        "ico-2024",
        "--out",
        "ico-2024.key",
        "--public-dir",
        "keys",
    ]);
    run(&[
        "keygen",
        "ofcom-2024",
        "--out",
        "ofcom-2024.key",
        "--public-dir",
        "keys",
    ]);
    run(&[
        "init",
        "ico-ofcom.ledger",
        "--origin",
        "ledger.example/ico-ofcom",
        "--party",
        "ICO=keys/ico-2024.vkey",
        "--party",
        "OFCOM=keys/ofcom-2024.vkey",
        "--key",
        "ico-2024.key",
    ]);
    run(&[
        "-l",
        "ico-ofcom.ledger",
        "theme",
        "declare",
        "age-assurance",
        "--title",
        "Age assurance",
        "--key",
        "ico-2024.key",
        "--confirm-key",
        "ofcom-2024.key",
        "--agreed",
        "2024-03-01",
    ]);
    run(&[
        "-l",
        "ico-ofcom.ledger",
        "company",
        "propose",
        "brightloop",
        "--name",
        "BrightLoop Social Ltd",
        "--rationale",
        "open age-assurance inquiry",
        "--key",
        "ofcom-2024.key",
        "--confirm-key",
        "ico-2024.key",
        "--agreed",
        "2024-03-01",
    ]);
}

/// The arguments of a disclosure from Ofcom to the ICO about BrightLoop, today.
pub(crate) fn disclosure_args(date: &str) -> Vec<String> {
    [
        "disclose",
        "--key",
        "ofcom-2024.key",
        "--from",
        "OFCOM",
        "--to",
        "ICO",
        "--at",
        date,
        "--gateway",
        "Communications Act 2003 s393(2)(a)",
        "--category",
        "information-request",
        "--information-notice",
        "--company",
        "brightloop",
        "--field",
        "request_date=2024-03-01",
        "--field",
        "response_deadline=2024-03-15",
        "--skipped",
        "--relevance",
        "limb",
        "--officer-role",
        "Online Safety supervision team",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// "Recorded … as entry #N at … (hash H)." → (N, H).
pub(crate) fn recorded(stdout: &[u8]) -> Option<(u64, String)> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().find(|l| l.starts_with("Recorded "))?;
    let seq = line
        .split("entry #")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let hash = line
        .split("(hash ")
        .nth(1)?
        .trim_end_matches(").")
        .to_owned();
    Some((seq, hash))
}

/// A CSV file of `n` theme-only disclosures from Ofcom to the ICO, each by another officer, for
/// `dledger import`.
pub(crate) fn disclosures_csv(n: usize) -> String {
    let mut csv = String::from(
        "from,to,disclosed_at,gateway,category,themes,notification,relevance,officer_role\n",
    );
    for i in 0..n {
        csv.push_str(&format!(
            "OFCOM,ICO,2025-12-20,Communications Act 2003 s393(2)(a),theme-only,age-assurance,\
             skipped: routine,limb,Officer {i}\n"
        ));
    }
    csv
}
