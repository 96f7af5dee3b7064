//! A mirror interrupted part way resumes where it stopped, without fetching again what it
//! stored, and works from any static host of `dledger publish`'s files: here a small HTTP
//! server over a published directory that fails one entry bundle until told not to.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::nodes::{disclosures_csv, dledger, said, two_regulators};

/// A static host of a published directory, counting the requests for each path, failing
/// `fail_path` while `failing` is set.
struct Host {
    dir: PathBuf,
    fail_path: String,
    failing: AtomicBool,
    served: Mutex<BTreeMap<String, u32>>,
}

async fn file(State(host): State<Arc<Host>>, UrlPath(path): UrlPath<String>) -> impl IntoResponse {
    *host.served.lock().unwrap().entry(path.clone()).or_default() += 1;
    if path == host.fail_path && host.failing.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, Vec::new());
    }
    match std::fs::read(host.dir.join(&path)) {
        Ok(bytes) => (StatusCode::OK, bytes),
        Err(_) => (StatusCode::NOT_FOUND, Vec::new()),
    }
}

fn start(host: Arc<Host>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new()
                .route("/{*path}", axum::routing::get(file))
                .with_state(host);
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

#[test]
fn an_interrupted_mirror_resumes_without_fetching_again_what_it_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    std::fs::write(dir.join("disclosures.csv"), disclosures_csv(3000)).unwrap();
    for args in [
        &[
            "-l",
            "ico-ofcom.ledger",
            "import",
            "disclosures.csv",
            "--key",
            "ofcom-2024.key",
        ][..],
        &[
            "-l",
            "ico-ofcom.ledger",
            "checkpoint",
            "--key",
            "ico-2024.key",
        ],
        &["-l", "ico-ofcom.ledger", "publish", "-o", "published"],
    ] {
        let out = dledger(dir, args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            said(&out)
        );
    }
    let host = Arc::new(Host {
        dir: dir.join("published"),
        // The ninth bundle: the mirror stores entries in durable groups of four bundles, so
        // the first two groups (2,048 entries) are kept when it fails.
        fail_path: "tile/entries/008".into(),
        failing: AtomicBool::new(true),
        served: Mutex::default(),
    });
    let url = format!("http://{}", start(Arc::clone(&host)));

    let out = dledger(
        dir,
        &["mirror", &url, "-o", "replica.ledger", "--trust", "keys"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("503"),
        "{}",
        said(&out)
    );
    let held = disclosure_ledger::store::Store::open(
        &dir.join("replica.ledger"),
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap()
    .len()
    .unwrap();
    assert_eq!(held, 2048, "the groups stored before the failure are kept");

    host.failing.store(false, Ordering::SeqCst);
    host.served.lock().unwrap().clear();
    let out = dledger(
        dir,
        &["mirror", &url, "-o", "replica.ledger", "--trust", "keys"],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Integrity: INTACT"), "{text}");
    assert!(
        text.contains(&format!("{} new entries", 3005 - 2048)),
        "{text}"
    );
    let served = host.served.lock().unwrap();
    for bundle in 0..8 {
        for prefix in ["tile/entries", "dledger/signatures", "tile/0"] {
            let path = format!("{prefix}/{bundle:03}");
            assert!(
                !served.contains_key(&path),
                "{path} was fetched again: {served:?}"
            );
        }
    }
    assert!(served.contains_key("tile/entries/008"));
}
