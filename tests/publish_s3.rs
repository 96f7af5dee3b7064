//! Publishing the log to object storage and mirroring it back, against a real S3 server
//! (s3s-fs, SigV4 over HTTP on a 127.0.0.1 port, started in this process): incremental
//! publication, a bucket read through a web endpoint and from a directory, the publisher killed
//! at random points (the bucket always holds a consistent prefix), the server stopped
//! mid-publication, and the refusals (wrong credentials, missing bucket, another log).

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::nodes::{disclosures_csv, dledger, said, two_regulators};
use dledger_testkit::s3::S3Server;
use tlog::{Checkpoint, Note, TILE_WIDTH};

const BUCKET: &str = "ledgers";
const PREFIX: &str = "ico-ofcom";

fn url() -> String {
    format!("s3://{BUCKET}/{PREFIX}")
}

/// `dledger` with the server's credentials (or `env`), and nothing of this machine's AWS
/// set-up: no AWS_* variables, HOME in the test's directory.
fn dledger_s3(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    command(dir, env, args).output().unwrap()
}

fn command(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dledger"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir)
        .args(args)
        .env_remove("DLEDGER_LEDGER")
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn ok(out: &Output) -> String {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "failed: {}",
        said(out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", said(out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two regulators' ledger with `entries` more disclosures and a checkpoint, and an S3 server
/// with an empty bucket, with the environment that reaches it.
fn world(entries: usize) -> (tempfile::TempDir, S3Server, Vec<(&'static str, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    if entries > 0 {
        grow(dir, "ico-ofcom.ledger", entries);
    }
    let server = S3Server::start(&dir.join("s3")).unwrap();
    server.create_bucket(BUCKET).unwrap();
    let env = server.env();
    (tmp, server, env)
}

/// `dledger -l LEDGER publish --to TARGET`.
fn publish(dir: &Path, env: &[(&str, String)], ledger: &str, target: &str) -> Output {
    dledger_s3(dir, env, &["-l", ledger, "publish", "--to", target])
}

/// Mirrors `source` into `replica` with the parties' keys; it must verify intact.
fn mirrored(dir: &Path, env: &[(&str, String)], source: &str, replica: &str) -> String {
    let text = ok(&dledger_s3(
        dir,
        env,
        &["mirror", source, "-o", replica, "--trust", "keys"],
    ));
    assert!(text.contains("Integrity: INTACT"), "{text}");
    text
}

/// Records `n` more disclosures and signs a checkpoint over them.
fn grow(dir: &Path, ledger: &str, n: usize) {
    std::fs::write(dir.join("more.csv"), disclosures_csv(n)).unwrap();
    ok(&dledger(
        dir,
        &[
            "-l",
            ledger,
            "import",
            "more.csv",
            "--key",
            "ofcom-2024.key",
        ],
    ));
    ok(&dledger(
        dir,
        &["-l", ledger, "checkpoint", "--key", "ico-2024.key"],
    ));
}

/// Every object below `prefix` on the server's disk, with its bytes.
fn objects(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out);
            } else {
                let key = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(key, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Checks, from the bucket's own objects, that its checkpoint names only tiles that exist and
/// that they give its root: the published state is a consistent prefix of the log. Returns the
/// checkpoint's size (0 if there is none yet).
fn consistent_prefix(published: &Path) -> u64 {
    let Ok(note) = std::fs::read(published.join("checkpoint")) else {
        return 0;
    };
    let note = Note::parse(&note).expect("a whole checkpoint note");
    let cp = Checkpoint::from_note(&note).unwrap();
    let read = |path: String| {
        std::fs::read(published.join(&path))
            .unwrap_or_else(|_| panic!("checkpoint of size {} names {path}, missing", cp.size))
    };
    let mut leaves = Vec::new();
    for tile in tlog::entry_bundles_for_size(cp.size) {
        let width = usize::from(tile.width);
        let bundle = read(tile.entries_path());
        let signatures = read(disclosure_ledger::tiles::signatures_path(&tile));
        assert_eq!(signatures.len(), width * 64, "{}", tile.entries_path());
        let mut rest = &bundle[..];
        for _ in 0..width {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            leaves.push(tlog::leaf_hash(&rest[2..2 + len]));
            rest = &rest[2 + len..];
        }
        assert!(
            rest.is_empty(),
            "{} has bytes after its entries",
            tile.path()
        );
    }
    for tile in tlog::tiles_for_size(cp.size) {
        let hashes = read(tile.path());
        assert_eq!(
            hashes.len(),
            usize::from(tile.width) * 32,
            "{}",
            tile.path()
        );
        if tile.level == 0 {
            let first = usize::try_from(tile.index * TILE_WIDTH).unwrap();
            assert_eq!(
                hashes,
                leaves[first..first + usize::from(tile.width)].concat(),
                "{}",
                tile.path()
            );
        }
    }
    let tree = tlog::MemoryHashes::from_leaf_hashes(leaves);
    assert_eq!(tlog::tree_hash(cp.size, &tree).unwrap(), cp.root);
    cp.size
}

#[test]
fn a_ledger_published_to_a_bucket_mirrors_back_verified_and_grows_incrementally() {
    let (tmp, server, env) = world(600);
    let dir = tmp.path();

    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    assert!(text.contains("checkpoint of size 605"), "{text}");
    let published = server.object_file(BUCKET, PREFIX);
    assert_eq!(consistent_prefix(&published), 605);
    assert_eq!(
        std::fs::read_to_string(published.join("dledger/origin")).unwrap(),
        "ledger.example/ico-ofcom\n"
    );

    // Mirrored back from the bucket, with the same checks as from a node.
    let text = mirrored(dir, &env, &url(), "replica.ledger");
    assert!(text.contains("605 new entries"), "{text}");
    assert!(text.contains("Integrity: INTACT"), "{text}");

    // Nothing new: nothing written.
    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    assert!(text.contains("nothing to write"), "{text}");

    // 300 more: only the tiles that changed are written, the full ones kept.
    let before = objects(&published);
    grow(dir, "ico-ofcom.ledger", 300);
    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    assert!(text.contains("(it held size 605)"), "{text}");
    assert_eq!(consistent_prefix(&published), 905);
    let after = objects(&published);
    for full in [
        "tile/entries/000",
        "tile/entries/001",
        "tile/0/000",
        "tile/0/001",
    ] {
        assert!(before.get(full) == after.get(full), "{full} is immutable");
    }
    // Written: bundles 2 and 3 (entries, signatures, hashes), level 1's partial tile, the
    // checkpoint: the new tiles, not the whole log again.
    let written = text
        .split(": ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no count in {text}"));
    assert_eq!(written, 2 * 3 + 1 + 1, "{text}");

    let text = mirrored(dir, &env, &url(), "replica.ledger");
    assert!(text.contains("300 new entries"), "{text}");
    assert!(text.contains("Integrity: INTACT"), "{text}");

    // The same bucket read as a public bucket behind a web server: plain HTTP GETs, unsigned.
    let public = S3Server::start_on(&dir.join("s3"), 0, false).unwrap();
    let web = format!("{}/{BUCKET}/{PREFIX}", public.endpoint());
    let text = mirrored(dir, &[], &web, "auditor.ledger");
    assert!(text.contains("905 new entries"), "{text}");
    assert!(text.contains("Integrity: INTACT"), "{text}");

    // And from a directory `publish --to DIR` wrote.
    ok(&dledger(
        dir,
        &["-l", "ico-ofcom.ledger", "publish", "--to", "published"],
    ));
    // The same files (the bucket also keeps the partial tiles of its earlier checkpoint).
    let in_dir = objects(&dir.join("published"));
    assert!(in_dir.len() > 10);
    for (key, bytes) in &in_dir {
        assert!(
            after.get(key) == Some(bytes),
            "{key} differs from the bucket's"
        );
    }
    let text = mirrored(dir, &[], "published", "from-dir.ledger");
    assert!(text.contains("905 new entries"), "{text}");
}

#[test]
fn wrong_credentials_a_missing_bucket_and_another_log_are_refused_and_nothing_is_overwritten() {
    let (tmp, server, env) = world(300);
    let dir = tmp.path();
    ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    let published = server.object_file(BUCKET, PREFIX);
    let before = objects(&published);
    std::fs::copy(dir.join("ico-ofcom.ledger"), dir.join("old.ledger")).unwrap();
    grow(dir, "ico-ofcom.ledger", 10);

    // Wrong secret.
    let mut wrong = env.clone();
    wrong[1].1 = "not-the-secret".into();
    let err = refused(&publish(dir, &wrong, "ico-ofcom.ledger", &url()));
    println!("{err}");
    assert!(err.contains("refused"), "{err}");
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");

    // No credentials at all: said, and no cloud metadata service is asked.
    let no_keys: Vec<(&str, String)> = env
        .iter()
        .filter(|(k, _)| !k.contains("KEY"))
        .cloned()
        .collect();
    let err = refused(&publish(dir, &no_keys, "ico-ofcom.ledger", &url()));
    assert!(err.contains("no credentials"), "{err}");

    // A missing bucket.
    let err = refused(&dledger_s3(
        dir,
        &env,
        &[
            "-l",
            "ico-ofcom.ledger",
            "publish",
            "--to",
            "s3://no-such-bucket/x",
        ],
    ));
    println!("{err}");
    assert!(err.contains("does not exist"), "{err}");
    assert!(!dir.join("s3/no-such-bucket").exists());

    // Another log (another origin) published into the same prefix.
    for args in [
        &[
            "init",
            "other.ledger",
            "--origin",
            "ledger.example/other",
            "--party",
            "ICO=keys/ico-2024.vkey",
            "--party",
            "OFCOM=keys/ofcom-2024.vkey",
            "--key",
            "ico-2024.key",
        ][..],
        &["-l", "other.ledger", "checkpoint", "--key", "ico-2024.key"],
    ] {
        ok(&dledger(dir, args));
    }
    let err = refused(&publish(dir, &env, "other.ledger", &url()));
    assert!(
        err.contains("holds the log \"ledger.example/ico-ofcom\""),
        "{err}"
    );

    // A prefix holding files that are not a publication.
    std::fs::create_dir_all(server.object_file(BUCKET, "photos")).unwrap();
    std::fs::write(server.object_file(BUCKET, "photos/cat.jpg"), b"meow").unwrap();
    let err = refused(&dledger_s3(
        dir,
        &env,
        &[
            "-l",
            "ico-ofcom.ledger",
            "publish",
            "--to",
            &format!("s3://{BUCKET}/photos"),
        ],
    ));
    assert!(err.contains("not a dledger publication"), "{err}");
    assert_eq!(
        objects(&server.object_file(BUCKET, "photos")).len(),
        1,
        "nothing was added beside the foreign file"
    );

    assert!(
        objects(&published) == before,
        "the refused runs changed nothing"
    );

    // An older copy of the ledger cannot roll the bucket back.
    ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    let grown = objects(&published);
    let err = refused(&publish(dir, &env, "old.ledger", &url()));
    assert!(
        err.contains("newer than the one this ledger would publish"),
        "{err}"
    );
    assert!(
        objects(&published) == grown,
        "the refused run changed nothing"
    );
}

/// A deterministic pseudo-random sequence (xorshift), seeded from the clock and printed, so a
/// failing run can be repeated with `DLEDGER_KILL_SEED`.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("DLEDGER_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("DLEDGER_KILL_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Replaces the directory `to` with a copy of `from`.
fn restore(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for (key, bytes) in objects(from) {
        let path = to.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn a_publisher_killed_at_random_points_leaves_a_consistent_prefix_and_the_rerun_completes() {
    let kills_wanted: u32 = std::env::var("DLEDGER_PUBLISH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50);
    let (tmp, server, env) = world(0);
    let dir = tmp.path();
    let published = server.object_file(BUCKET, PREFIX);

    // Four stages of the ledger, each published in turn; the bucket after each is kept, and
    // how long its publication took.
    let mut stages = vec![(0u64, dir.join("snapshot-0"), Duration::ZERO)];
    std::fs::create_dir_all(&stages[0].1).unwrap();
    for (k, more) in [700, 300, 1200, 260].into_iter().enumerate() {
        grow(dir, "ico-ofcom.ledger", more);
        let ledger = format!("stage-{}.ledger", k + 1);
        std::fs::copy(dir.join("ico-ofcom.ledger"), dir.join(&ledger)).unwrap();
        let started = Instant::now();
        ok(&publish(dir, &env, &ledger, &url()));
        let took = started.elapsed();
        let snapshot = dir.join(format!("snapshot-{}", k + 1));
        restore(&published, &snapshot);
        stages.push((consistent_prefix(&published), snapshot, took));
    }

    // Each round: the bucket as one stage left it, the next stage's publication killed at a
    // random moment, the state checked, then the same command run again to completion.
    let mut rng = Rng::new();
    let (mut kills, mut rounds, mut mid_write) = (0u32, 0u32, 0u32);
    while kills < kills_wanted {
        rounds += 1;
        assert!(
            rounds < kills_wanted * 4,
            "only {kills} kills in {rounds} rounds"
        );
        let k = 1 + rng.below(4) as usize;
        let (before, snapshot, _) = &stages[k - 1];
        let (after, _, took) = &stages[k];
        restore(snapshot, &published);
        let ledger = format!("stage-{k}.ledger");
        let args = ["-l", ledger.as_str(), "publish", "--to", &url()];
        let mut child = command(dir, &env, &args).spawn().unwrap();
        let delay = rng.below(took.as_micros() as u64 + 1);
        std::thread::sleep(Duration::from_micros(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let _ = child.wait();
        let seen = consistent_prefix(&published);
        if seen == *before && objects(&published) != objects(snapshot) {
            mid_write += 1;
        }
        assert!(
            seen == *before || seen == *after,
            "round {rounds}: the bucket's checkpoint has size {seen}, neither {before} nor {after}"
        );
        ok(&dledger_s3(dir, &env, &args));
        assert_eq!(consistent_prefix(&published), *after, "round {rounds}");
    }
    println!("{kills} kills in {rounds} rounds, {mid_write} after some tiles were written");
    assert!(
        mid_write > 0,
        "no kill landed while tiles were being written"
    );

    // What the last round left mirrors back and verifies.
    mirrored(dir, &env, &url(), "replica.ledger");
}

#[test]
fn a_storage_server_stopped_mid_publication_gives_a_clear_error_and_the_rerun_completes() {
    let (tmp, mut server, env) = world(6000);
    let dir = tmp.path();
    let root = dir.join("s3");
    let port = server.port();

    // Stop the server as soon as the first tiles have landed (a fresh prefix each attempt, in
    // case a publication is quicker than the stop).
    let mut stopped = None;
    for attempt in 0..10 {
        let target = format!("s3://{BUCKET}/attempt-{attempt}");
        let bucket_dir = server.object_file(BUCKET, &format!("attempt-{attempt}"));
        let child = command(
            dir,
            &env,
            &["-l", "ico-ofcom.ledger", "publish", "--to", &target],
        )
        .spawn()
        .unwrap();
        let started = Instant::now();
        while !bucket_dir.join("tile").exists() && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_micros(200));
        }
        server.stop();
        let out = child.wait_with_output().unwrap();
        server = S3Server::start_on(&root, port, true).unwrap();
        if !out.status.success() {
            stopped = Some((target, bucket_dir, out));
            break;
        }
    }
    let (target, bucket_dir, out) = stopped.expect("a publication the stop interrupted");
    let err = refused(&out);
    println!("{err}");
    assert!(err.contains("failed on"), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(
        consistent_prefix(&bucket_dir),
        0,
        "no checkpoint was written before its tiles"
    );

    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &target));
    assert!(text.contains("checkpoint of size 6005"), "{text}");
    assert_eq!(consistent_prefix(&bucket_dir), 6005);
    mirrored(dir, &env, &target, "replica.ledger");
    drop(server);
}

#[test]
fn the_latest_checkpoint_the_other_regulator_cosigned_is_the_one_published() {
    let (tmp, server, env) = world(300);
    let dir = tmp.path();
    let published = server.object_file(BUCKET, PREFIX);

    // Nothing cosigned yet: the latest checkpoint, and the output says whose word it carries.
    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    assert!(text.contains("signed by the log's operator only"), "{text}");
    assert_eq!(consistent_prefix(&published), 305);

    // Ofcom cosigns the checkpoint of 405 entries; 100 more are checkpointed, not cosigned.
    grow(dir, "ico-ofcom.ledger", 100);
    let l = ["-l", "ico-ofcom.ledger"];
    ok(&dledger(
        dir,
        &[
            &l[..],
            &["checkpoint", "--key", "ico-2024.key", "-o", "cp.note"],
        ]
        .concat(),
    ));
    ok(&dledger(
        dir,
        &[&l[..], &["cosign", "cp.note", "--key", "ofcom-2024.key"]].concat(),
    ));
    grow(dir, "ico-ofcom.ledger", 100);
    let text = ok(&publish(dir, &env, "ico-ofcom.ledger", &url()));
    assert!(text.contains("checkpoint of size 405"), "{text}");
    assert!(text.contains("cosigned by OFCOM"), "{text}");
    assert!(
        text.contains("latest checkpoint (size 505) is not cosigned yet"),
        "{text}"
    );
    assert_eq!(consistent_prefix(&published), 405);
    let note = std::fs::read_to_string(published.join("checkpoint")).unwrap();
    assert_eq!(
        note.lines().filter(|l| l.starts_with('—')).count(),
        2,
        "{note}"
    );
}

#[test]
fn credentials_and_the_endpoint_come_from_a_named_profile_of_the_aws_files() {
    let (tmp, server, _) = world(10);
    let dir = tmp.path();
    // HOME is the test's directory (see `command`): ~/.aws/credentials and ~/.aws/config.
    std::fs::create_dir_all(dir.join(".aws")).unwrap();
    std::fs::write(
        dir.join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n\
             [ledger-publisher]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            dledger_testkit::s3::ACCESS_KEY,
            dledger_testkit::s3::SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join(".aws/config"),
        format!(
            "[profile ledger-publisher]\nregion = eu-west-2\nendpoint_url = {}\n",
            server.endpoint()
        ),
    )
    .unwrap();
    let profile = [("AWS_PROFILE", "ledger-publisher".to_owned())];
    let text = ok(&publish(dir, &profile, "ico-ofcom.ledger", &url()));
    assert!(text.contains("checkpoint of size 15"), "{text}");
    mirrored(dir, &profile, &url(), "replica.ledger");
    // The default profile's keys are wrong: refused, as the server says.
    let endpoint = [("AWS_ENDPOINT_URL", server.endpoint())];
    let err = refused(&publish(dir, &endpoint, "ico-ofcom.ledger", &url()));
    assert!(
        err.contains("InvalidAccessKeyId") || err.contains("refused"),
        "{err}"
    );
}
