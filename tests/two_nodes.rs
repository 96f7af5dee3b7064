//! Two regulators on two machines, on loopback: the ICO's node operates the log; Ofcom records
//! its disclosures into it from its own machine (signed there, submitted to the node), keeps a
//! verified replica and cosigns the log's checkpoints through its own node's tlog-witness
//! endpoint; an auditor mirrors the log read-only with the parties' published keys and
//! verifies it. Then the attacks and accidents: forged and stale submissions, a forked log,
//! and the operator killed while entries are being submitted and checkpointed.
//!
//! Every node is a `dledger serve` process on 127.0.0.1 at a port chosen at run time, started
//! and stopped here. DLEDGER_NODE_ROUNDS raises the number of submissions of the kill test.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::nodes::{
    Node, disclosure_args, disclosures_csv, dledger, free_port, recorded, said, two_regulators,
};
use disclosure_ledger::remote::Remote;

fn yesterday() -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
    t.to_string()[..10].to_owned()
}

fn disclose(dir: &Path, replica: &str, url: &str) -> std::process::Output {
    let mut args: Vec<String> = ["-l", replica, "--remote", url].map(str::to_owned).to_vec();
    args.extend(disclosure_args(&yesterday()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    dledger(dir, &refs)
}

/// Polls the node's checkpoint until `done` says so (at most 20 s).
fn wait_for_checkpoint(url: &str, done: impl Fn(&str) -> bool) -> String {
    let remote = Remote::new(url, None).unwrap();
    let start = Instant::now();
    loop {
        if let Ok(bytes) = remote.get_ok("checkpoint") {
            let text = String::from_utf8(bytes).unwrap();
            if done(&text) {
                return text;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the node's checkpoint never became what was expected"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn size_of(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn ofcom_records_into_the_ico_log_mirrors_it_and_witnesses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    let witness_port = free_port();
    let witness_url = format!("http://127.0.0.1:{witness_port}");

    // The ICO operates the log and asks Ofcom's node to cosign each checkpoint.
    let ico = Node::operator(dir, &["--witness", &witness_url]);
    // Ofcom's node witnesses from a verified replica of the ICO's log.
    let out = dledger(
        dir,
        &[
            "mirror",
            &ico.url,
            "-o",
            "ofcom-witness.replica",
            "--trust",
            "keys",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let ofcom = Node::witness(dir, witness_port, &ico.url);
    assert_eq!(ofcom.url, witness_url);

    // Ofcom records a disclosure into the ICO's log, signed on its own machine.
    let out = disclose(dir, "ofcom.replica", &ico.url);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let (seq, hash) = recorded(&out.stdout).expect("a receipt line");
    assert_eq!(seq, 5);

    // The ICO acknowledges it, through its own node like any other party.
    let out = dledger(
        dir,
        &[
            "-l",
            "ico.replica",
            "--remote",
            &ico.url,
            "ack",
            "5",
            "--key",
            "ico-2024.key",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(recorded(&out.stdout).unwrap().0, 6);

    // Ofcom cannot acknowledge its own disclosure: refused on its machine, with the CLI's words.
    let out = dledger(
        dir,
        &[
            "-l",
            "ofcom.replica",
            "--remote",
            &ico.url,
            "ack",
            "5",
            "--key",
            "ofcom-2024.key",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only ICO can acknowledge it"),
        "{}",
        said(&out)
    );

    // The checkpoint covering both is cosigned by Ofcom's witness.
    let note = wait_for_checkpoint(&ico.url, |n| size_of(n) == 7 && n.contains("— ofcom-2024 "));
    assert!(note.contains("— ico-2024 "));

    // An auditor mirrors the log read-only, trusting the parties' published keys.
    let out = dledger(
        dir,
        &[
            "mirror",
            &ico.url,
            "-o",
            "auditor.replica",
            "--trust",
            "keys",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("7 new entries"), "{text}");
    assert!(
        text.contains("signed by ICO and cosigned by OFCOM"),
        "{text}"
    );
    assert!(text.contains("Integrity: INTACT"), "{text}");
    // Every read command works on the replica.
    for args in [
        vec!["verify", "auditor.replica"],
        vec!["-l", "auditor.replica", "show", "5"],
        vec!["-l", "auditor.replica", "list", "--kind", "disclosure"],
        vec!["-l", "auditor.replica", "review"],
        vec![
            "-l",
            "auditor.replica",
            "evidence",
            "5",
            "-o",
            "auditor-bundle",
        ],
    ] {
        let out = dledger(dir, &args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            said(&out)
        );
    }
    let shown =
        String::from_utf8_lossy(&dledger(dir, &["-l", "auditor.replica", "show", "5"]).stdout)
            .into_owned();
    assert!(shown.contains(&hash), "{shown}");
    assert!(shown.contains("acknowledges #5"), "{shown}");
    // A second run fetches nothing and stays verified.
    let out = dledger(
        dir,
        &[
            "mirror",
            &ico.url,
            "-o",
            "auditor.replica",
            "--trust",
            "keys",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 new entries"));

    // While the node holds the log, it is published from a replica synced from the node
    // (docs/OPERATIONS.md, "Publishing to object storage"): the cosigned checkpoint, which a
    // reader mirrors back from the published files as from the node.
    let out = dledger(
        dir,
        &[
            "-l",
            "publisher.replica",
            "--remote",
            &ico.url,
            "publish",
            "--to",
            "published",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("checkpoint of size 7"), "{text}");
    assert!(text.contains("cosigned by OFCOM"), "{text}");
    let out = dledger(
        dir,
        &[
            "mirror",
            "published",
            "-o",
            "reader.replica",
            "--trust",
            "keys",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Integrity: INTACT"));

    // Field values stayed with Ofcom: its replica (brought up to the cosigned checkpoint) can
    // open them, the auditor's cannot.
    let out = dledger(dir, &["mirror", &ico.url, "-o", "ofcom.replica"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = dledger(
        dir,
        &[
            "-l",
            "ofcom.replica",
            "evidence",
            "5",
            "--open",
            "request_date",
            "-o",
            "ofcom-bundle",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = dledger(
        dir,
        &[
            "-l",
            "auditor.replica",
            "evidence",
            "5",
            "--open",
            "request_date",
            "-o",
            "b2",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));

    // The entries served are the ledger's, byte for byte: compare with `publish` of the file.
    let remote = Remote::new(&ico.url, None).unwrap();
    let served = [
        remote.get_ok("tile/entries/000.p/7").unwrap(),
        remote.get_ok("dledger/signatures/000.p/7").unwrap(),
        remote.get_ok("tile/0/000.p/7").unwrap(),
    ];
    // Stopping the node is clean (SIGTERM), and the witness's state is the replica's.
    assert!(ico.stop().success());
    assert!(ofcom.stop().success());
    let out = dledger(
        dir,
        &["-l", "ico-ofcom.ledger", "publish", "-o", "published"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    for (bytes, path) in served.iter().zip([
        "tile/entries/000.p/7",
        "dledger/signatures/000.p/7",
        "tile/0/000.p/7",
    ]) {
        assert_eq!(
            bytes,
            &std::fs::read(dir.join("published").join(path)).unwrap(),
            "{path}"
        );
    }
    // The operator's machine lost: the log is rebuilt from the witness's replica, byte for
    // byte, and verifies (docs/OPERATIONS.md, "A lost node").
    for args in [
        &["export", "-l", "ofcom-witness.replica", "-o", "log.jsonl"][..],
        &["import", "log.jsonl", "rebuilt.ledger"],
        &["verify", "rebuilt.ledger"],
    ] {
        let out = dledger(dir, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", said(&out));
    }
    // `cosign` keeps the same state as the witness endpoint: a checkpoint smaller than the
    // one the endpoint cosigned is refused offline too.
    let old = dledger(
        dir,
        &["-l", "ofcom.replica", "prove", "inclusion", "0", "--json"],
    );
    assert!(old.status.success(), "{}", said(&old));
    let stored = disclosure_ledger::store::Store::open(
        &dir.join("ofcom.replica"),
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap()
    .checkpoints()
    .unwrap();
    let (_, first) = stored.first().unwrap();
    std::fs::write(dir.join("old.note"), first).unwrap();
    let out = dledger(
        dir,
        &[
            "-l",
            "ofcom-witness.replica",
            "cosign",
            "old.note",
            "--key",
            "ofcom-2024.key",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already cosigned a larger checkpoint"),
        "{}",
        said(&out)
    );
}

#[test]
fn bad_submissions_get_a_4xx_with_the_reason_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    let ico = Node::operator(dir, &[]);
    let remote = Remote::new(&ico.url, None).unwrap();
    let head = || -> u64 {
        let v: serde_json::Value =
            serde_json::from_slice(&remote.get_ok("dledger/v1/head").unwrap()).unwrap();
        v["size"].as_u64().unwrap()
    };
    assert_eq!(head(), 5);
    let post = |body: &str| {
        remote
            .post("dledger/v1/entries", "application/json", body.as_bytes())
            .unwrap()
    };

    let a = post("not json");
    assert_eq!(a.status, 400);
    assert!(a.message().contains("must be JSON"), "{}", a.message());
    let a = post(r#"{"entry": "AAAA", "signature": "AAAA"}"#);
    assert_eq!(a.status, 400);
    assert!(a.message().contains("64 bytes"), "{}", a.message());
    let sig = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
    let a = post(&format!(r#"{{"entry": "AAAA", "signature": "{sig}"}}"#));
    assert_eq!(a.status, 422);
    assert!(a.message().contains("cannot be decoded"), "{}", a.message());

    // A well-formed next entry, signed by the wrong key: refused, with the reason.
    let mirror = dledger(dir, &["mirror", &ico.url, "-o", "ofcom.replica"]);
    assert!(mirror.status.success(), "{}", said(&mirror));
    let replica = disclosure_ledger::ledger::Ledger::open(&dir.join("ofcom.replica")).unwrap();
    let ofcom = disclosure_ledger::keys::SecretKey::load(&dir.join("ofcom-2024.key")).unwrap();
    let ico_key = disclosure_ledger::keys::SecretKey::load(&dir.join("ico-2024.key")).unwrap();
    let now = disclosure_ledger::model::Timestamp::now();
    let pending = replica
        .prepare_theme_declared(
            disclosure_ledger::model::ThemeId::new("forged-theme").unwrap(),
            "Forged",
            "",
            now,
        )
        .unwrap();
    let checked = replica
        .check_batch(vec![pending.body], &ofcom, now)
        .unwrap();
    let bytes = checked.entries()[0].bytes().to_vec();
    let forged = ico_key.sign_entry(&bytes);
    let a = remote.submit(&bytes, &forged).unwrap();
    assert_eq!(a.status, 422);
    assert!(
        a.message().contains("does not verify under key"),
        "{}",
        a.message()
    );
    // The same entry signed as an entry that is not the next one: 409 with the new head.
    let genuine = ofcom.sign_entry(&bytes);
    let first = remote.submit(&bytes, &genuine).unwrap();
    assert_eq!(first.status, 201, "{}", first.text());
    // Sent again (an answer lost in transit): recorded once, answered as recorded.
    let again = remote.submit(&bytes, &genuine).unwrap();
    assert_eq!(again.status, 200, "{}", again.text());
    assert!(again.text().contains("already_recorded"));
    assert_eq!(head(), 6);
    // An entry signed against the old head after another was recorded: 409, nothing written.
    let pending = replica
        .prepare_theme_declared(
            disclosure_ledger::model::ThemeId::new("late-theme").unwrap(),
            "Late",
            "",
            now,
        )
        .unwrap();
    let stale = replica
        .check_batch(vec![pending.body], &ofcom, now)
        .unwrap();
    let bytes = stale.entries()[0].bytes().to_vec();
    let a = remote.submit(&bytes, &ofcom.sign_entry(&bytes)).unwrap();
    assert_eq!(a.status, 409, "{}", a.text());
    assert!(a.message().contains("sign it again"), "{}", a.message());
    assert_eq!(head(), 6);
    // A chain of two entries, the second forged: refused whole, saying which.
    wait_for_checkpoint(&ico.url, |n| size_of(n) == 6);
    let mirror = dledger(dir, &["mirror", &ico.url, "-o", "ofcom.replica"]);
    assert!(mirror.status.success(), "{}", said(&mirror));
    let replica = disclosure_ledger::ledger::Ledger::open(&dir.join("ofcom.replica")).unwrap();
    let bodies: Vec<_> = ["chain-one", "chain-two"]
        .iter()
        .map(|t| {
            replica
                .prepare_theme_declared(
                    disclosure_ledger::model::ThemeId::new(*t).unwrap(),
                    t,
                    "",
                    now,
                )
                .unwrap()
                .body
        })
        .collect();
    let checked = replica.check_batch(bodies, &ofcom, now).unwrap();
    let chain: Vec<(Vec<u8>, [u8; 64])> = checked
        .entries()
        .iter()
        .map(|c| (c.bytes().to_vec(), ofcom.sign_entry(c.bytes())))
        .collect();
    let mut forged_chain = chain.clone();
    forged_chain[1].1 = ico_key.sign_entry(&forged_chain[1].0);
    let a = remote.submit_chain(&forged_chain).unwrap();
    assert_eq!(a.status, 422, "{}", a.text());
    assert!(
        a.message().contains("entry 2 of the chain"),
        "{}",
        a.message()
    );
    assert!(
        a.message().contains("none of the chain was recorded"),
        "{}",
        a.message()
    );
    assert_eq!(head(), 6);
    let a = remote.submit_chain(&chain).unwrap();
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(head(), 8);
    // A witness request to a node that is not a witness: 404, as tlog-witness says.
    let a = remote
        .post("add-checkpoint", "text/plain", b"old 0\n\nx\n")
        .unwrap();
    assert_eq!(a.status, 404);
    assert!(ico.stop().success());
}

#[test]
fn a_forked_log_is_exit_2_with_both_signed_checkpoints_saved() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    for copy in ["fork6.ledger", "fork7.ledger"] {
        std::fs::copy(dir.join("ico-ofcom.ledger"), dir.join(copy)).unwrap();
    }
    let run = |args: &[&str]| {
        let out = dledger(dir, args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            said(&out)
        );
    };
    // One history for the replica; others served to it later under the same origin and key:
    // one of the same size with another root, one longer that does not extend it.
    for (ledger, themes) in [
        ("ico-ofcom.ledger", &["one"][..]),
        ("fork6.ledger", &["two"][..]),
        ("fork7.ledger", &["two", "three"][..]),
    ] {
        for t in themes {
            run(&[
                "-l",
                ledger,
                "theme",
                "declare",
                t,
                "--title",
                t,
                "--key",
                "ico-2024.key",
            ]);
        }
        run(&["-l", ledger, "checkpoint", "--key", "ico-2024.key"]);
    }
    let honest = Node::start(
        dir,
        "honest",
        &["-l", "ico-ofcom.ledger", "--listen", "127.0.0.1:0"],
    );
    let out = dledger(dir, &["mirror", &honest.url, "-o", "replica.ledger"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(honest.stop().success());

    for (fork, size) in [("fork6.ledger", 6), ("fork7.ledger", 7)] {
        let forked = Node::start(dir, "forked", &["-l", fork, "--listen", "127.0.0.1:0"]);
        let out = dledger(dir, &["mirror", &forked.url, "-o", "replica.ledger"]);
        assert_eq!(out.status.code(), Some(2), "{fork}: {}", said(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("FORK"), "{err}");
        let evidence = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("replica.ledger.fork-")
            })
            .expect("the evidence folder");
        let served = std::fs::read_to_string(evidence.join("served.note")).unwrap();
        let verified = std::fs::read_to_string(evidence.join("verified.note")).unwrap();
        assert_eq!(size_of(&served), size, "{fork}");
        assert_eq!(size_of(&verified), 6);
        assert!(served.contains("— ico-2024 ") && verified.contains("— ico-2024 "));
        std::fs::remove_dir_all(&evidence).unwrap();
        // The replica was not changed: still the honest log, still verified.
        let out = dledger(dir, &["verify", "replica.ledger"]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Entries:  6"));
        assert!(forked.stop().success());
    }
}

#[test]
fn killing_the_operator_mid_submission_loses_no_acknowledged_entry() {
    let rounds: usize = std::env::var("DLEDGER_NODE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    two_regulators(&dir);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let args = [
        "-l",
        "ico-ofcom.ledger",
        "--listen",
        &listen,
        "--key",
        "ico-2024.key",
        "--checkpoint-every",
        "0",
    ];
    let node = Node::start(&dir, "ico", &args);
    let url = node.url.clone();
    // A verified replica to keep across the crash.
    let out = dledger(&dir, &["mirror", &url, "-o", "watcher.replica"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));

    // Three submitters, each with its own replica, submit until the node has been killed and
    // restarted twice (and at least `rounds` times each).
    let killing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let submitters: Vec<_> = (0..3)
        .map(|t| {
            let dir = dir.clone();
            let url = url.clone();
            let killing = std::sync::Arc::clone(&killing);
            std::thread::spawn(move || {
                let mut outputs = Vec::new();
                while outputs.len() < rounds || killing.load(std::sync::atomic::Ordering::SeqCst) {
                    outputs.push(disclose(&dir, &format!("ofcom-{t}.replica"), &url));
                }
                outputs
            })
        })
        .collect();
    let mut node = Some(node);
    for pause in [300, 500] {
        std::thread::sleep(Duration::from_millis(pause));
        node.take().unwrap().kill();
        std::thread::sleep(Duration::from_millis(300));
        node = Some(Node::start(&dir, "ico", &args));
    }
    std::thread::sleep(Duration::from_millis(300));
    killing.store(false, std::sync::atomic::Ordering::SeqCst);
    let outputs: Vec<_> = submitters
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let node = node.unwrap();
    // The watcher's replica follows the restarted log and stays verified.
    let out = dledger(&dir, &["mirror", &url, "-o", "watcher.replica"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    assert!(node.stop().success());

    let mut acknowledged = Vec::new();
    for out in &outputs {
        match out.status.code() {
            Some(0 | 1) => acknowledged.push(recorded(&out.stdout).expect("receipt line")),
            _ => assert!(
                String::from_utf8_lossy(&out.stderr).contains("error"),
                "{}",
                said(out)
            ),
        }
    }
    assert!(!acknowledged.is_empty(), "no submission succeeded");
    eprintln!(
        "{} submissions: {} acknowledged, {} failed",
        outputs.len(),
        acknowledged.len(),
        outputs.len() - acknowledged.len()
    );
    let store = disclosure_ledger::store::Store::open(
        &dir.join("ico-ofcom.ledger"),
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap();
    // Every acknowledged entry is in the log with its hash; nothing else was recorded.
    for (seq, hash) in &acknowledged {
        let record = store
            .get(*seq)
            .unwrap()
            .expect("acknowledged entry in the log");
        assert_eq!(
            &hex::encode(disclosure_ledger::hash::leaf_hash(&record.bytes)),
            hash,
            "entry #{seq}"
        );
    }
    let refused: Vec<String> = outputs
        .iter()
        .filter(|o| !matches!(o.status.code(), Some(0 | 1)))
        .map(said)
        .collect();
    assert_eq!(
        store.len().unwrap(),
        5 + acknowledged.len() as u64,
        "entries in the log that no submitter was told about; the submissions that failed:\n{}",
        refused.join("\n")
    );
    drop(store);
    let out = dledger(&dir, &["verify", "ico-ofcom.ledger"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
}

#[test]
fn a_node_serves_https_to_clients_given_the_ledger_ca() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    // The ledger's private CA and the node's certificate, as docs/OPERATIONS.md makes them.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ICO-Ofcom ledger CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let node_key = KeyPair::generate().unwrap();
    let node_cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&node_key, &Issuer::new(ca_params, &ca_key))
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("node.pem"), node_cert.pem()).unwrap();
    std::fs::write(dir.join("node-key.pem"), node_key.serialize_pem()).unwrap();

    let ico = Node::operator(
        dir,
        &["--tls-cert", "node.pem", "--tls-key", "node-key.pem"],
    );
    assert!(ico.url.starts_with("https://"), "{}", ico.url);
    let out = dledger(
        dir,
        &[
            "mirror",
            &ico.url,
            "-o",
            "a.replica",
            "--trust",
            "keys",
            "--ca-cert",
            "ca.pem",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // Recording over TLS too.
    let mut args: Vec<String> = [
        "-l",
        "ofcom.replica",
        "--remote",
        &ico.url,
        "--ca-cert",
        "ca.pem",
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(disclosure_args(&yesterday()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = dledger(dir, &refs);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // Without the CA the certificate is not trusted, and the client says so.
    let out = dledger(dir, &["mirror", &ico.url, "-o", "b.replica"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate"),
        "{}",
        said(&out)
    );
    assert!(
        !dir.join("b.replica").exists(),
        "a failed first mirror leaves no file"
    );
    assert!(ico.stop().success());
}

#[test]
fn a_bulk_import_into_a_remote_log_goes_in_chains() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    let ico = Node::operator(dir, &[]);
    let csv = disclosures_csv(300);
    // One bad line: nothing is sent.
    let mut bad = csv.clone();
    bad.push_str("OFCOM,OFCOM,2025-12-20,x,theme-only,age-assurance,skipped: r,limb,Officer\n");
    std::fs::write(dir.join("bad.csv"), bad).unwrap();
    std::fs::write(dir.join("good.csv"), csv).unwrap();
    let import = |file: &str| {
        dledger(
            dir,
            &[
                "-l",
                "ofcom.replica",
                "--remote",
                &ico.url,
                "import",
                file,
                "--key",
                "ofcom-2024.key",
            ],
        )
    };
    let out = import("bad.csv");
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let remote = Remote::new(&ico.url, None).unwrap();
    let size = || -> u64 {
        let v: serde_json::Value =
            serde_json::from_slice(&remote.get_ok("dledger/v1/head").unwrap()).unwrap();
        v["size"].as_u64().unwrap()
    };
    assert_eq!(size(), 5);
    let out = import("good.csv");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("Recorded 300 disclosures as entries #5 to #304 in 2 durable commits"),
        "{}",
        said(&out)
    );
    assert_eq!(size(), 305);
    // The node named as the ledger: read through a replica kept for it in the state directory.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("dledger"))
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("XDG_STATE_HOME")
        .env_remove("DLEDGER_LEDGER")
        .env_remove("DLEDGER_REMOTE")
        .args(["-l", &ico.url, "show", "304"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Officer 299"));
    assert!(
        std::fs::read_dir(dir.join(".local/state/dledger/replicas"))
            .unwrap()
            .count()
            == 1
    );
    // Ofcom's replica holds them.
    let out = dledger(dir, &["-l", "ofcom.replica", "show", "304"]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Officer 299"));
    assert!(ico.stop().success());
}

#[test]
fn a_witness_does_not_cosign_a_log_whose_entries_fail_verification() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    // Ofcom's replica, made while the log was sound.
    let sound = Node::start(
        dir,
        "sound",
        &[
            "-l",
            "ico-ofcom.ledger",
            "--listen",
            "127.0.0.1:0",
            "--key",
            "ico-2024.key",
        ],
    );
    let out = dledger(
        dir,
        &[
            "mirror",
            &sound.url,
            "-o",
            "ofcom-witness.replica",
            "--trust",
            "keys",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(sound.stop().success());
    // The operator slips an entry under the command line: in Ofcom's name, but signed with the
    // ICO's key.
    {
        let ledger =
            disclosure_ledger::ledger::Ledger::open(&dir.join("ico-ofcom.ledger")).unwrap();
        let ofcom = disclosure_ledger::keys::SecretKey::load(&dir.join("ofcom-2024.key")).unwrap();
        let ico = disclosure_ledger::keys::SecretKey::load(&dir.join("ico-2024.key")).unwrap();
        let now = disclosure_ledger::model::Timestamp::now();
        let pending = ledger
            .prepare_theme_declared(
                disclosure_ledger::model::ThemeId::new("slipped").unwrap(),
                "Slipped",
                "",
                now,
            )
            .unwrap();
        let checked = ledger.check_batch(vec![pending.body], &ofcom, now).unwrap();
        let entry = &checked.entries()[0];
        let bytes = entry.bytes().to_vec();
        let store = disclosure_ledger::store::Store::open(
            &dir.join("ico-ofcom.ledger"),
            disclosure_ledger::store::Access::ReadWrite,
        )
        .unwrap();
        store
            .append(&[disclosure_ledger::store::NewRecord {
                seq: entry.entry().seq.0,
                hash: disclosure_ledger::hash::leaf_hash(&bytes),
                signature: ico.sign_entry(&bytes),
                bytes,
                vault: Vec::new(),
                erase: Vec::new(),
            }])
            .unwrap();
    }
    let witness_port = free_port();
    let witness_url = format!("http://127.0.0.1:{witness_port}");
    let ico = Node::operator(dir, &["--witness", &witness_url]);
    let ofcom = Node::witness(dir, witness_port, &ico.url);
    // The operator asks at each checkpoint; record one more entry to make sure it asks after
    // the witness is up.
    let out = disclose(dir, "ofcom.replica", &ico.url);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let start = Instant::now();
    loop {
        let log = std::fs::read_to_string(&ico.log).unwrap();
        if log.contains("fail verification") {
            assert!(log.contains("witness-did-not-cosign"), "{log}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the witness was never asked: {log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let note = String::from_utf8(
        Remote::new(&ico.url, None)
            .unwrap()
            .get_ok("checkpoint")
            .unwrap(),
    )
    .unwrap();
    assert!(!note.contains("— ofcom-2024 "), "{note}");
    drop(ofcom);
    drop(ico);
}
