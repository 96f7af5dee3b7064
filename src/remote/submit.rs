//! Recording an entry into a log another party operates. The entry is built and checked
//! against this party's verified replica of the log, signed here with this party's key (which
//! never leaves the machine), and submitted to the node; field values stay in the replica's
//! vault, only their commitments travel. If another entry was recorded first, the node answers
//! 409 with its new head: the replica is brought up to date and the entry built, checked and
//! signed again (docs/DECISIONS.md, "Submitting to a remote log").

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::keys::SecretKey;
use crate::ledger::{AppendError, Ledger, Pending, Receipt, Submit};
use crate::model::{Seq, Timestamp};
use crate::store::Store;

use super::client::{RECEIPT_PATH, Remote};
use super::mirror::{MirrorError, sync};

/// How many times an entry is signed again after the node says another was recorded first.
pub const MAX_ATTEMPTS: usize = 50;

/// How long a signed entry is sent again while the node cannot be reached.
pub const RESEND_FOR: Duration = Duration::from_secs(20);

/// How long to wait for the node to sign a checkpoint covering an accepted entry.
const CHECKPOINT_WAIT: Duration = Duration::from_secs(30);

/// Submits appends of a replica to the node it mirrors ([`Ledger::submit_to`]).
#[derive(Debug)]
pub struct Submitter {
    remote: Remote,
}

impl Submitter {
    /// Submits to `remote`.
    pub fn new(remote: Remote) -> Arc<Submitter> {
        Arc::new(Submitter { remote })
    }
}

/// Opens (creating it if need be) the replica at `path` of the log `remote` serves, brings it
/// up to the node's checkpoint, and sends its appends to the node.
pub fn open_remote(remote: Remote, path: &Path) -> Result<Ledger, MirrorError> {
    let mut replica = open_replica(path)?;
    sync(&remote, &mut replica, None, |_| Vec::new())?;
    replica.submit_to(Submitter::new(remote));
    Ok(replica)
}

/// The replica kept for a node named by its URL alone (`--ledger https://…`):
/// `<state dir>/replicas/<host_port>.ledger`, in the directory verification states are kept in
/// ([`crate::incremental::state_dir`]), created owner-only if need be.
pub fn default_replica(url: &str) -> Result<std::path::PathBuf, std::io::Error> {
    let dir = crate::incremental::state_dir()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .join("replicas");
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
    }
    let name: String = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .trim_end_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(dir.join(format!("{name}.ledger")))
}

/// Opens the replica at `path`, creating an empty one (without vault values: only those of
/// this party's own entries are kept) if there is no file.
pub fn open_replica(path: &Path) -> Result<Ledger, MirrorError> {
    if !path.exists() {
        let store = Store::create(path)?;
        store.mark_without_vault().map_err(AppendError::from)?;
    }
    Ledger::open(path).map_err(open_error)
}

fn open_error(e: crate::ledger::OpenError) -> MirrorError {
    MirrorError::Append(AppendError::from(e))
}

fn mirror_error(e: MirrorError) -> AppendError {
    match e {
        MirrorError::Append(e) => e,
        other => AppendError::Remote(other.to_string()),
    }
}

impl Submit for Submitter {
    fn submit(
        &self,
        replica: &mut Ledger,
        pending: Vec<Pending>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        let remote_error = |e: super::RemoteError| AppendError::Remote(e.to_string());
        let bodies: Vec<_> = pending.iter().map(|p| p.body.clone()).collect();
        let mut now = now;
        for _ in 0..MAX_ATTEMPTS {
            let mut checked = replica.check_batch(bodies.clone(), key, now)?;
            if let Some((_, e)) = std::mem::take(&mut checked.refused).into_iter().next() {
                return Err(e);
            }
            let chain: Vec<crate::ledger::SignedEntry> = checked
                .entries()
                .iter()
                .map(|c| (c.bytes().to_vec(), key.sign_entry(c.bytes())))
                .collect();
            let receipts: Vec<Receipt> = checked
                .entries()
                .iter()
                .map(|c| Receipt {
                    seq: c.entry().seq,
                    hash: c.hash(),
                    recorded_at: c.entry().recorded_at,
                })
                .collect();
            let Some(first) = receipts.first().map(|r| r.seq) else {
                return Ok(Vec::new());
            };
            let answer = self.send(&chain).map_err(remote_error)?;
            match answer.status {
                200 | 201 => {
                    let vaults: Vec<(u64, Vec<crate::store::VaultItem>)> = receipts
                        .iter()
                        .zip(&pending)
                        .map(|(r, p)| (r.seq.0, p.vault.clone()))
                        .collect();
                    let last = receipts.last().expect("not empty").seq;
                    self.wait_until_held(replica, last, &vaults)?;
                    return Ok(receipts);
                }
                409 => {
                    // Another entry was recorded first: catch up and sign again.
                    let next = serde_json::from_slice::<serde_json::Value>(&answer.body)
                        .ok()
                        .and_then(|v| v.get("next").and_then(|n| n.as_u64()))
                        .unwrap_or(first.0 + 1);
                    self.catch_up(replica, next)?;
                    now = Timestamp::now().max(now);
                }
                _ => {
                    return Err(AppendError::Remote(format!(
                        "the node at {} refused the entry ({}): {}",
                        self.remote.url(),
                        answer.status,
                        answer.message()
                    )));
                }
            }
        }
        Err(AppendError::Remote(format!(
            "the node at {} kept recording other entries first ({MAX_ATTEMPTS} attempts); try \
             again later",
            self.remote.url()
        )))
    }
}

impl Submitter {
    /// Sends a signed entry, sending the same bytes again while the node cannot be reached
    /// (for up to [`RESEND_FOR`]): the node answers a resent entry it already recorded as
    /// recorded, so an answer lost in a crash or a restart is recovered, never duplicated.
    fn send(
        &self,
        chain: &[crate::ledger::SignedEntry],
    ) -> Result<super::client::Answer, super::RemoteError> {
        let start = Instant::now();
        loop {
            let sent = match chain {
                [(bytes, signature)] => self.remote.submit(bytes, signature),
                _ => self.remote.submit_chain(chain),
            };
            match sent {
                Err(super::RemoteError::Unreachable { .. }) if start.elapsed() < RESEND_FOR => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Ok(a) if a.status == 503 && start.elapsed() < RESEND_FOR => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Brings the replica up to at least `next` entries (waiting for the node's checkpoint to
    /// cover them).
    fn catch_up(&self, replica: &mut Ledger, next: u64) -> Result<(), AppendError> {
        let start = Instant::now();
        loop {
            match sync(&self.remote, replica, None, |_| Vec::new()) {
                Ok(_) => {}
                Err(MirrorError::Remote(_)) if start.elapsed() < RESEND_FOR => {}
                Err(e) => return Err(mirror_error(e)),
            }
            if replica.next_seq().0 >= next || start.elapsed() > CHECKPOINT_WAIT {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the node has signed a checkpoint covering entry `seq`, then brings the
    /// replica up to it, keeping this party's field values for the entry in the replica's vault.
    fn wait_until_held(
        &self,
        replica: &mut Ledger,
        seq: Seq,
        vaults: &[(u64, Vec<crate::store::VaultItem>)],
    ) -> Result<(), AppendError> {
        let start = Instant::now();
        let vault = |s: u64| {
            vaults
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        while replica.next_seq() <= seq {
            if start.elapsed() > CHECKPOINT_WAIT + RESEND_FOR {
                return Err(AppendError::Remote(format!(
                    "the node accepted entry {seq} but no checkpoint covering it could be \
                     fetched yet; run `dledger mirror` later to check it is in the log"
                )));
            }
            // The receipt request returns once a checkpoint covers the entry.
            match self.remote.get(&format!("{RECEIPT_PATH}/{}?wait=5", seq.0)) {
                Ok(answer) if answer.status == 200 => {
                    match sync(&self.remote, replica, None, vault) {
                        Ok(_) => {}
                        // The node went away while the replica was fetching: ask again.
                        Err(MirrorError::Remote(_)) => {
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        Err(e) => return Err(mirror_error(e)),
                    }
                }
                Ok(answer) if answer.status == 503 => {}
                Ok(answer) => {
                    return Err(AppendError::Remote(format!(
                        "the node accepted entry {seq} but gives no receipt for it ({}: {}); \
                         run `dledger mirror` to check it is in the log",
                        answer.status,
                        answer.message()
                    )));
                }
                // Restarting: ask again.
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        Ok(())
    }
}
