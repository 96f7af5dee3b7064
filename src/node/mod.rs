//! `dledger serve`: a regulator's node. It serves its ledger read-only in the C2SP tlog-tiles
//! layout (checkpoint, hash tiles, entry bundles, and this ledger's signature bundles, [`read`]);
//! as log operator it takes entries other parties signed ([`mod@write`]) and signs a checkpoint
//! after each change, asking the witnesses it knows to cosign it ([`checkpointer`]); as the
//! other regulator's witness it cosigns checkpoints of the log it mirrors, C2SP tlog-witness
//! `add-checkpoint` ([`witness`]).
//!
//! The node holds the ledger file for as long as it runs ([`Ledger::open_held`]): the
//! operator's own writes go through the node like anyone else's (docs/OPERATIONS.md). Every
//! accepted entry is durable before it is acknowledged; shutting down (SIGINT, SIGTERM) stops
//! taking requests, lets the ones in flight finish and exits.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::keys::SecretKey;
use crate::ledger::{Ledger, OpenError};
use crate::remote::Remote;
use crate::store::Store;
use head::{Head, Position};

pub mod checkpointer;
mod head;
pub mod read;
mod sequencer;
pub mod witness;
pub mod write;

/// The largest request body taken by default: 1 MiB (one entry is at most 64 KiB, about 87 KiB
/// in base64; a chain of typical entries fits many; a witness request is a checkpoint and at
/// most 63 proof lines).
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Why a node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The ledger could not be opened (locked by another process, say).
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS certificate or key could not be loaded.
    #[error("cannot load the TLS certificate {cert} and key {key}: {reason}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
    /// The server failed.
    #[error("the node stopped: {0}")]
    Serve(std::io::Error),
    /// The configuration is not usable.
    #[error("{0}")]
    Config(String),
}

/// What a node does.
pub struct NodeConfig {
    /// The ledger file (the log, for an operator; the replica, for a witness).
    pub ledger: PathBuf,
    /// Where to listen (port 0: any free port, printed at start).
    pub listen: SocketAddr,
    /// The operator's key: with it the node takes submissions and signs checkpoints.
    pub operator_key: Option<SecretKey>,
    /// The witness's key: with it the node cosigns the log it mirrors (`add-checkpoint`).
    pub witness_key: Option<SecretKey>,
    /// For a witness: the operator's node, which the replica is mirrored from.
    pub upstream: Option<Remote>,
    /// For an operator: the witnesses asked to cosign each checkpoint.
    pub witnesses: Vec<Remote>,
    /// TLS certificate chain and private key (PEM files); plain HTTP without.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The largest request body taken, in bytes.
    pub max_body: usize,
    /// Submissions taken per second from one client address (a burst of as many is allowed).
    pub rate_per_sec: u32,
    /// How often a new checkpoint is signed when entries were added (at most).
    pub checkpoint_every: Duration,
}

/// State shared by every request.
pub(crate) struct Node {
    pub(crate) store: Arc<Store>,
    pub(crate) ledger: Mutex<Ledger>,
    pub(crate) operator_key: Option<SecretKey>,
    pub(crate) witness_key: Option<SecretKey>,
    pub(crate) upstream: Option<Remote>,
    pub(crate) witnesses: Vec<Remote>,
    /// The size of the latest checkpoint signed by this node (operator) or stored (witness).
    pub(crate) checkpointed: tokio::sync::watch::Sender<u64>,
    /// Woken when entries are added.
    pub(crate) added: tokio::sync::Notify,
    /// The log's head as the sequencer has staged it: a submission signed against another
    /// head is answered 409 without waiting for the ledger.
    head: std::sync::RwLock<Head>,
    /// Woken when the head the line is told changes (it moved, or was promised).
    pub(crate) moved: tokio::sync::Notify,
    /// The line (first come, first served) of the submissions that lost the race for a
    /// position: one at a time is told the next head, so a moving head answers one of them,
    /// not all of them at once (docs/DECISIONS.md, "Submitting to a remote log").
    pub(crate) line: tokio::sync::Mutex<()>,
    /// The sequencer's jobs ([`sequencer`]), for an operator's node.
    pub(crate) jobs: Mutex<Option<std::sync::mpsc::Sender<sequencer::Job>>>,
    limiter: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    rate: f64,
}

impl Node {
    /// Takes one token from `ip`'s bucket; false if it is empty.
    fn allow(&self, ip: IpAddr) -> bool {
        let mut buckets = self
            .limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let (tokens, last) = buckets.entry(ip).or_insert((self.rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The head as staged: the next position and the hash before it.
    pub(crate) fn head(&self) -> Position {
        self.head_state().current()
    }

    /// The head a submission in judging promised, while the promise stands.
    pub(crate) fn promised(&self) -> Option<Position> {
        self.head_state().promised()
    }

    /// Moves the head (the sequencer staged or dropped entries) and wakes the line.
    pub(crate) fn set_head(&self, next: u64, hash: [u8; 32]) {
        self.change_head(|h| h.set(next, hash));
    }

    /// A submission signed for `base` goes to be judged: the line may be told `result`.
    pub(crate) fn promise(&self, base: Position, result: Position) {
        self.change_head(|h| h.promise(base, result));
    }

    /// The submission that promised `result` was not staged.
    pub(crate) fn break_promise(&self, result: Position) {
        self.change_head(|h| h.break_promise(result));
    }

    /// No promise stands (the sequencer starts again).
    pub(crate) fn break_all_promises(&self) {
        self.change_head(Head::break_all);
    }

    /// The hash of the entry staged or recorded at `seq`, if it is one of the latest heads.
    pub(crate) fn recent_hash(&self, seq: u64) -> Option<[u8; 32]> {
        self.head_state().recent_hash(seq)
    }

    /// The head to sign for, unless a submission in the line was told it already.
    pub(crate) fn tell_head(&self) -> Option<Position> {
        self.head_state_mut().tell()
    }

    fn head_state(&self) -> std::sync::RwLockReadGuard<'_, Head> {
        self.head
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn head_state_mut(&self) -> std::sync::RwLockWriteGuard<'_, Head> {
        self.head
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies `change` to the head; wakes the line if what it is told changed.
    fn change_head(&self, change: impl FnOnce(&mut Head) -> bool) {
        let changed = change(&mut self.head_state_mut());
        if changed {
            self.moved.notify_waiters();
        }
    }

    /// How many entries the file holds durably (what a reader of it sees: every commit is
    /// durable; the staged entries are not counted).
    pub(crate) fn durable(&self) -> u64 {
        self.store.len().unwrap_or(0)
    }

    /// Sends the sequencer a job; gives it back if there is no sequencer (not an operator's
    /// node, or shutting down).
    pub(crate) fn send_job(&self, job: sequencer::Job) -> Result<(), sequencer::Job> {
        match self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        }
    }

    /// Runs `work` on the ledger's batch through the sequencer, after every staged entry is
    /// durable; `None` without a sequencer (not an operator's node, or shutting down).
    pub(crate) fn with_batch<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut crate::ledger::Batch<'_>) -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job = sequencer::Job::Run(Box::new(move |batch| {
            let _ = tx.send(work(batch));
        }));
        self.send_job(job).ok()?;
        rx.recv().ok()
    }

    /// The ledger, locked (a panic while it was held leaves it usable: every write is one
    /// durable transaction, so nothing half-done can be seen).
    pub(crate) fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A JSON error body `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

/// Runs the node until SIGINT or SIGTERM. `ready` is called with the address it listens on
/// once it takes connections.
pub fn run(config: NodeConfig, ready: impl FnOnce(SocketAddr)) -> Result<(), NodeError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if config.witness_key.is_some() && config.upstream.is_none() {
        return Err(NodeError::Config(
            "a witness node needs --upstream URL: the operator's node its replica is mirrored \
             from"
                .into(),
        ));
    }
    let (ledger, store) = Ledger::open_held(&config.ledger)?;
    let head = (
        ledger.next_seq().0,
        ledger.registers().head.map_or([0; 32], |(_, h, _)| h),
    );
    if config.operator_key.is_some() && store.vault_held().ok().flatten() != Some(false) {
        // Entries other parties submit come without their field values, which stay in each
        // party's own replica: from now on this file does not hold every value.
        store.mark_without_vault().map_err(|e| {
            NodeError::Config(format!("cannot mark the ledger as operated by a node: {e}"))
        })?;
    }
    let latest = crate::proofs::latest_checkpoint_size(&*store)
        .ok()
        .flatten()
        .unwrap_or(0);
    let node = Arc::new(Node {
        store,
        ledger: Mutex::new(ledger),
        operator_key: config.operator_key,
        witness_key: config.witness_key,
        upstream: config.upstream,
        witnesses: config.witnesses,
        checkpointed: tokio::sync::watch::Sender::new(latest),
        added: tokio::sync::Notify::new(),
        head: std::sync::RwLock::new(Head::new(head.0, head.1)),
        moved: tokio::sync::Notify::new(),
        line: tokio::sync::Mutex::new(()),
        jobs: Mutex::new(None),
        limiter: Mutex::new(HashMap::new()),
        rate: f64::from(config.rate_per_sec.max(1)),
    });
    let sequencer = match node.operator_key {
        Some(_) => {
            let (tx, rx) = std::sync::mpsc::channel();
            let thread =
                sequencer::start(Arc::clone(&node), rx, tx.clone()).map_err(NodeError::Serve)?;
            *node
                .jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
            Some(thread)
        }
        None => None,
    };
    // An operator's log with entries no checkpoint covers gets one before the node listens, so
    // a client's first request never meets a log without a checkpoint.
    let initial = checkpointer::sign(&node);
    if let Some((size, _)) = &initial {
        node.checkpointed.send_replace(*size);
    }
    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| NodeError::Listen {
            addr: config.listen,
            source,
        })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| NodeError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(NodeError::Serve)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(NodeError::Serve)?;
    let app = router(Arc::clone(&node), config.max_body);
    let served = runtime.block_on(async {
        if node.operator_key.is_some() {
            tokio::spawn(checkpointer::run(
                Arc::clone(&node),
                config.checkpoint_every,
                initial,
            ));
        }
        let handle = axum_server::Handle::new();
        let shutdown = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            shutdown.graceful_shutdown(Some(Duration::from_secs(30)));
        });
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        match &config.tls {
            Some((cert, key)) => {
                let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| NodeError::Tls {
                        cert: cert.clone(),
                        key: key.clone(),
                        reason: e.to_string(),
                    })?;
                ready(addr);
                axum_server::from_tcp_rustls(listener, tls)
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(NodeError::Serve)
            }
            None => {
                ready(addr);
                axum_server::from_tcp(listener)
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(NodeError::Serve)
            }
        }
    });
    // Every request has been answered: the sequencer makes anything staged durable and ends.
    if let Some(thread) = sequencer {
        let _ = node.send_job(sequencer::Job::Stop);
        *node
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        let _ = thread.join();
    }
    drop(runtime);
    served
}

/// The node's routes.
fn router(node: Arc<Node>, max_body: usize) -> Router {
    Router::new()
        .route("/checkpoint", get(read::checkpoint))
        .route("/tile/{*path}", get(read::tile))
        .route("/dledger/signatures/{*path}", get(read::signatures))
        .route("/dledger/v1/head", get(write::head))
        .route("/dledger/v1/entries", post(write::submit))
        .route("/dledger/v1/receipt/{seq}", get(write::receipt))
        .route("/add-checkpoint", post(witness::add_checkpoint))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&node),
            rate_limit,
        ))
        .layer(axum::middleware::from_fn(access_log))
        .with_state(node)
}

/// Refuses a client that submits faster than the configured rate (429), for the write routes.
async fn rate_limit(
    State(node): State<Arc<Node>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let writes = request.method() == axum::http::Method::POST;
    if writes && !node.allow(peer.ip()) {
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too many submissions from this address; wait a second and try again",
        );
    }
    next.run(request).await
}

/// One JSON line per request on standard error: time, client, method, path, status, duration.
async fn access_log(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let line = serde_json::json!({
        "time": jiff::Timestamp::now().to_string(),
        "client": peer.to_string(),
        "method": method,
        "path": path,
        "status": response.status().as_u16(),
        "ms": (start.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
    });
    log_line(&line);
    response
}

/// Writes one structured log line (JSON) on standard error, in one write: a `Value` displayed
/// straight onto unbuffered standard error is a write call per token.
pub(crate) fn log_line(line: &serde_json::Value) {
    let text = format!("{line}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), text.as_bytes());
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
