//! The operator node's sequencer: one thread that judges submitted entries in the order they
//! arrive and commits them in groups (docs/DECISIONS.md, "Submitting to a remote log").
//!
//! An accepted entry is *staged* at once: applied to the ledger's registers in memory, so the
//! head moves and the next submission can be judged after it, while earlier ones are being
//! written. Staged entries are written by one durable transaction on another thread; those
//! staged meanwhile make the next one. A submission is answered only when the transaction
//! holding its entries has completed — nothing is acknowledged before it is durable — and, if a
//! write fails, every submission it or a later group held is answered with the error and the
//! registers are put back as the file has them. The ledger is held (its batch open) while
//! entries are staged or being written and for a moment after ([`KEEP_OPEN`]), so a busy node
//! judges submission after submission in one batch; other work on the ledger (checkpoints) is
//! run here too, after what is staged is made durable.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::ledger::{AppendError, Batch, Recorded, SignedEntry};
use crate::model::{Seq, Timestamp};

use super::Node;

/// How long a session keeps the ledger's batch open with nothing staged, being written or
/// waiting: a busy node judges submission after submission in one session.
const KEEP_OPEN: Duration = Duration::from_millis(200);

/// Work for the sequencer.
pub(crate) enum Job {
    /// Entries a party signed as consecutive ones (one, or a chain), with their leaf hashes.
    Submit {
        /// The entries and signatures.
        chain: Vec<SignedEntry>,
        /// Their leaf hashes.
        hashes: Vec<[u8; 32]>,
        /// Where the answer goes.
        reply: tokio::sync::oneshot::Sender<Answer>,
    },
    /// Work on the ledger after what is staged is durable (a checkpoint, say).
    Run(Box<dyn FnOnce(&mut Batch<'_>) + Send>),
    /// The write in flight has completed or failed.
    Written,
    /// Make what is staged durable, answer, and end (the node is shutting down).
    Stop,
}

/// The outcome of a submission.
pub(crate) enum Answer {
    /// Recorded durably: each entry's receipt and flags.
    Recorded(Vec<Recorded>),
    /// The same entries were already recorded (sent again); they are durable now.
    AlreadyRecorded,
    /// Not signed for the next position (it lost the race for it); the submitter is told
    /// the head to sign for in turn.
    Stale,
    /// Refused (entry `.0` of the chain), nothing of it recorded.
    Refused(usize, AppendError),
    /// Not recorded because writing failed; nothing of it was acknowledged.
    Unavailable(String),
}

/// A submission staged (or sent again while staged), answered once its last entry is durable.
struct Waiting {
    /// Its last entry.
    last: u64,
    answer: Answer,
    reply: tokio::sync::oneshot::Sender<Answer>,
}

/// Starts the sequencer of `node`, taking jobs from `jobs` (`wake` sends to it); it runs
/// until it is sent [`Job::Stop`].
pub(crate) fn start(
    node: Arc<Node>,
    jobs: Receiver<Job>,
    wake: Sender<Job>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("sequencer".into())
        .spawn(move || run(&node, &jobs, &wake))
}

fn run(node: &Node, jobs: &Receiver<Job>, wake: &Sender<Job>) {
    while let Ok(first) = jobs.recv() {
        match first {
            Job::Written => continue,
            Job::Stop => break,
            Job::Submit { .. } | Job::Run(_) => {}
        }
        // A bug that panics while judging must not stop the node taking submissions: the
        // session's batch is dropped (what was staged is put back as the file has it), the
        // submissions waiting in it are answered 503, and the next job starts a new session.
        let session = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session(node, first, jobs, wake)
        }));
        match session {
            Ok(Ended::Stopped) => break,
            Ok(Ended::Idle) => {}
            Err(_) => super::log_line(&serde_json::json!({
                "event": "sequencer-panic",
                "error": "a submission could not be judged (a bug: please report it); the \
                    submissions waiting were answered 503 and may send the same signed entries \
                    again",
            })),
        }
        node.break_all_promises();
        let ledger = node.ledger();
        let next = ledger.next_seq().0;
        let head = ledger.registers().head.map_or([0; 32], |(_, h, _)| h);
        drop(ledger);
        node.set_head(next, head);
        node.added.notify_one();
    }
}

/// How a session of the sequencer ended.
enum Ended {
    /// Nothing staged or being written: the ledger is released until the next job.
    Idle,
    /// Told to stop, after making what was staged durable.
    Stopped,
}

/// Holds the ledger's batch from job `first` on until nothing is staged or being written.
fn session(node: &Node, first: Job, jobs: &Receiver<Job>, wake: &Sender<Job>) -> Ended {
    let mut ledger = node.ledger();
    let mut batch = match ledger.begin() {
        Ok(batch) => batch,
        Err(e) => {
            refuse(first, &e);
            return Ended::Idle;
        }
    };
    let mut waiting: VecDeque<Waiting> = VecDeque::new();
    let mut job = Some(first);
    loop {
        let next_job = match job.take() {
            Some(j) => j,
            // Nothing in hand: the batch stays open for the next submission a moment (opening
            // one reads the ledger's head back from the file), then the ledger is released.
            None if waiting.is_empty() && !batch.is_writing() && batch.is_empty() => {
                match jobs.recv_timeout(KEEP_OPEN) {
                    Ok(j) => j,
                    Err(RecvTimeoutError::Timeout) => return Ended::Idle,
                    Err(RecvTimeoutError::Disconnected) => return Ended::Stopped,
                }
            }
            None => match jobs.recv() {
                Ok(j) => j,
                Err(_) => return Ended::Stopped,
            },
        };
        match next_job {
            Job::Submit {
                chain,
                hashes,
                reply,
            } => stage(node, &mut batch, &mut waiting, chain, hashes, reply),
            Job::Written => {
                let done = batch.flush_in_background_then(notifier(wake));
                answer(node, &mut batch, &mut waiting, done);
                continue;
            }
            Job::Run(work) => {
                let done = batch.flush();
                answer(node, &mut batch, &mut waiting, done);
                work(&mut batch);
                publish_head(node, &batch);
            }
            Job::Stop => {
                let done = batch.flush();
                answer(node, &mut batch, &mut waiting, done);
                lost(&batch, &mut waiting, "the node is shutting down");
                return Ended::Stopped;
            }
        }
        if !batch.is_writing() && !batch.is_empty() {
            let done = batch.flush_in_background_then(notifier(wake));
            answer(node, &mut batch, &mut waiting, done);
        }
    }
}

/// What the writing thread calls when its write has completed: wakes the sequencer.
fn notifier(wake: &Sender<Job>) -> impl FnOnce() + Send + 'static {
    let wake = wake.clone();
    move || {
        let _ = wake.send(Job::Written);
    }
}

/// Answers a job that could not be started.
fn refuse(job: Job, e: &AppendError) {
    match job {
        Job::Submit { reply, .. } => {
            let _ = reply.send(Answer::Unavailable(e.to_string()));
        }
        Job::Run(_) | Job::Written | Job::Stop => {}
    }
}

/// Judges a submission against the head as staged, and stages it if it is accepted.
fn stage(
    node: &Node,
    batch: &mut Batch<'_>,
    waiting: &mut VecDeque<Waiting>,
    chain: Vec<SignedEntry>,
    hashes: Vec<[u8; 32]>,
    reply: tokio::sync::oneshot::Sender<Answer>,
) {
    let next = batch.ledger().next_seq().0;
    let signed = chain
        .first()
        .and_then(|(bytes, _)| super::write::signed_position(bytes));
    if let Some((seq, _)) = signed
        && seq < next
    {
        // Sent again: answered as recorded once durable, if these are the entries there.
        let last = seq + hashes.len() as u64 - 1;
        if held(batch, seq, &hashes) {
            if node.durable() > last {
                let _ = reply.send(Answer::AlreadyRecorded);
            } else {
                waiting.push_back(Waiting {
                    last,
                    answer: Answer::AlreadyRecorded,
                    reply,
                });
            }
        } else {
            let _ = reply.send(Answer::Stale);
        }
        return;
    }
    let now = Timestamp::now();
    let mut recorded = Vec::with_capacity(chain.len());
    for (i, (bytes, signature)) in chain.into_iter().enumerate() {
        match batch.push_submitted(bytes, signature, now) {
            Ok(entry) => recorded.push(entry),
            Err(e) => {
                // The rest of a chain is dropped with it (all or none); a failed write in
                // flight loses what it and later groups held.
                if i > 0
                    && let Err(failed) = batch.discard_from(Seq(next))
                {
                    lost(batch, waiting, &failed.to_string());
                }
                lost(batch, waiting, &e.to_string());
                let answer = match e {
                    AppendError::Stale { .. } if i == 0 => Answer::Stale,
                    other => Answer::Refused(i, other),
                };
                let _ = reply.send(answer);
                if let (Some(position), Some(last)) = (signed, hashes.last()) {
                    node.break_promise(super::head::made_by(position, hashes.len() as u64, *last));
                }
                publish_head(node, batch);
                return;
            }
        }
    }
    let last = recorded.last().map_or(next, |(r, _)| r.seq.0);
    waiting.push_back(Waiting {
        last,
        answer: Answer::Recorded(recorded),
        reply,
    });
    publish_head(node, batch);
}

/// Whether the entries from `first` with `hashes` are the ones the log holds there (in the
/// file, being written, or staged).
fn held(batch: &Batch<'_>, first: u64, hashes: &[[u8; 32]]) -> bool {
    (first..)
        .zip(hashes)
        .all(|(seq, hash)| batch.staged_hash(Seq(seq)) == Some(*hash))
}

/// Answers the submissions now durable (`done`: the receipts of the entries made durable), or,
/// if a write failed, every submission whose entries were lost.
fn answer(
    node: &Node,
    batch: &mut Batch<'_>,
    waiting: &mut VecDeque<Waiting>,
    done: Result<Vec<crate::ledger::Receipt>, AppendError>,
) {
    match done {
        Ok(receipts) => {
            // What the write made durable says how far the file goes, without reading it.
            let durable = receipts
                .last()
                .map_or_else(|| node.durable(), |r| r.seq.0 + 1);
            // Waiting submissions are in the order of their last entries, but one sent again
            // may wait for an earlier entry than those staged before it.
            let mut still = VecDeque::with_capacity(waiting.len());
            for w in waiting.drain(..) {
                if w.last < durable {
                    let _ = w.reply.send(w.answer);
                } else {
                    still.push_back(w);
                }
            }
            *waiting = still;
            if !receipts.is_empty() {
                node.added.notify_one();
            }
        }
        Err(e) => lost(batch, waiting, &e.to_string()),
    }
    publish_head(node, batch);
}

/// Answers with `why` every waiting submission whose entries the batch no longer holds
/// (nothing of them was acknowledged).
fn lost(batch: &Batch<'_>, waiting: &mut VecDeque<Waiting>, why: &str) {
    let next = batch.ledger().next_seq().0;
    let mut kept = VecDeque::with_capacity(waiting.len());
    for w in waiting.drain(..) {
        if w.last < next {
            kept.push_back(w);
        } else {
            let _ = w.reply.send(Answer::Unavailable(why.to_owned()));
        }
    }
    *waiting = kept;
}

/// Makes the head as staged the one submissions are judged against, and wakes them.
fn publish_head(node: &Node, batch: &Batch<'_>) {
    let next = batch.ledger().next_seq().0;
    let head = batch
        .ledger()
        .registers()
        .head
        .map_or([0; 32], |(_, h, _)| h);
    node.set_head(next, head);
}
