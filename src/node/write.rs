//! The write side of an operator's node: signed entries submitted by the parties
//! (`POST /dledger/v1/entries`), judged by the node's sequencer with
//! [`crate::ledger::Batch::push_submitted`] — the checks every entry recorded with the command
//! line goes through — and committed durably before the answer;
//! receipts (`GET /dledger/v1/receipt/<seq>`: a C2SP tlog-proof once a checkpoint covers the
//! entry); and the head (`GET /dledger/v1/head`).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::sequencer::{Answer, Job};
use super::{Node, error};
use crate::ledger::AppendError;
use crate::model::Seq;

/// The longest a receipt request waits for a checkpoint covering its entry.
const MAX_RECEIPT_WAIT: Duration = Duration::from_secs(60);

/// The most entries one submission may carry (a chain a party signed as consecutive entries).
pub const MAX_CHAIN: usize = 256;

/// `POST /dledger/v1/entries` with `{"entry": base64, "signature": base64}`, or a chain of
/// entries one party signed as consecutive entries, `{"entries": [{"entry", "signature"}, …]}`
/// (recorded in one durable transaction: all or none).
pub(crate) async fn submit(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    if node.operator_key.is_none() {
        return error(
            StatusCode::FORBIDDEN,
            "this node does not operate the log (it was started without --key); submit to the \
             operator's node",
        );
    }
    let (chain, single) = match parse_submission(&body) {
        Ok(parsed) => parsed,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let hashes: Vec<[u8; 32]> = chain
        .iter()
        .map(|(e, _)| crate::hash::leaf_hash(e))
        .collect();
    // The position the first entry was signed for (fixed offsets, docs/FORMAT.md §2). Signed
    // for a later position, or for the next one after another head, it is answered without
    // the ledger; for a position the file already holds, it is a resent entry or one that lost
    // the race; otherwise the sequencer judges it against the head as staged and answers once
    // it is durable (docs/DECISIONS.md, "Submitting to a remote log").
    let position = signed_position(&chain[0].0);
    let (next, head) = node.head();
    // A submission signed for the head promised by the one being judged goes to the
    // sequencer after it (module `head`).
    let promised = node.promised();
    let answer = match position {
        Some((seq, prev))
            if (seq > next || (seq == next && prev != head)) && position != promised =>
        {
            return stale(seq, next, head);
        }
        // Signed for a position another entry has taken lately: told the head in turn,
        // without the ledger.
        Some((seq, _)) if seq < next && node.recent_hash(seq).is_some_and(|h| h != hashes[0]) => {
            Answer::Stale
        }
        Some((seq, _)) if seq < node.durable() => {
            let reader = Arc::clone(&node);
            let resent = hashes.clone();
            let recorded =
                tokio::task::spawn_blocking(move || already_recorded(&reader, seq, &resent))
                    .await
                    .unwrap_or(false);
            if recorded {
                return recorded_answer(seq, &hashes);
            }
            Answer::Stale
        }
        _ => {
            let (reply, answered) = tokio::sync::oneshot::channel();
            let count = chain.len() as u64;
            let job = Job::Submit {
                chain,
                hashes: hashes.clone(),
                reply,
            };
            if node.send_job(job).is_err() {
                return error(StatusCode::SERVICE_UNAVAILABLE, "the node is shutting down");
            }
            // Signed for the head: while it is judged, the line is told the head it makes.
            if let (Some(base), Some(last)) = (position, hashes.last()) {
                node.promise(base, super::head::made_by(base, count, *last));
            }
            match answered.await {
                Ok(answer) => answer,
                Err(_) => {
                    return error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the node could not say whether the submission was recorded; send the \
                         same signed entries again (recorded ones are answered as recorded)",
                    );
                }
            }
        }
    };
    match answer {
        Answer::Recorded(recorded) => {
            let answers: Vec<serde_json::Value> = recorded
                .iter()
                .map(|(receipt, flags)| {
                    let flags: Vec<_> = flags
                        .iter()
                        .map(|f| serde_json::json!({"code": f.code.code(), "message": f.message}))
                        .collect();
                    serde_json::json!({
                        "seq": receipt.seq.0,
                        "hash": hex::encode(receipt.hash.0),
                        "recorded_at": receipt.recorded_at.to_string(),
                        "flags": flags,
                        "receipt": format!("/dledger/v1/receipt/{}", receipt.seq.0),
                    })
                })
                .collect();
            let body = if single {
                answers.into_iter().next().unwrap_or_default()
            } else {
                serde_json::json!({ "entries": answers })
            };
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        Answer::AlreadyRecorded => {
            let first = position.map_or(0, |(seq, _)| seq);
            recorded_answer(first, &hashes)
        }
        Answer::Stale => {
            let signed = position.map_or(next, |(seq, _)| seq);
            wait_in_line(&node, signed).await
        }
        Answer::Refused(_, e @ (AppendError::Open(_) | AppendError::Store(_))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        Answer::Refused(i, e) if single || i == 0 => {
            error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
        }
        Answer::Refused(i, e) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "entry {} of the chain: {e}; none of the chain was recorded",
                i + 1
            ),
        ),
        Answer::Unavailable(why) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the submission was not recorded: {why}; send it again"),
        ),
    }
}

/// The 409 answer for a submission that lost the race for its position: it waits in line
/// (first come, first served) and is told a head no other waiting submission was told, so it
/// signs again for a position nobody else in the line is signing for; with the log idle, it
/// is told the head as it stands after a moment.
async fn wait_in_line(node: &Node, signed: u64) -> Response {
    let _turn = node.line.lock().await;
    let (next, head) = loop {
        let moved = node.moved.notified();
        tokio::pin!(moved);
        moved.as_mut().enable();
        if let Some((n, h)) = node.tell_head() {
            return stale(signed, n, h);
        }
        let busy = node.head().0 > node.durable();
        let limit = if busy {
            Duration::from_secs(1)
        } else {
            Duration::from_millis(2)
        };
        if tokio::time::timeout(limit, moved).await.is_err() {
            break node.head();
        }
    };
    stale(signed, next, head)
}

/// The answer to entries sent again that the log already holds from `first` on (their answer
/// was lost: a dropped connection, a node restarted after committing them): recorded, not
/// stale, so resubmitting is always safe and an entry is never recorded twice.
fn recorded_answer(first: u64, hashes: &[[u8; 32]]) -> Response {
    let seqs: Vec<u64> = (first..first + hashes.len() as u64).collect();
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({
            "seq": first,
            "seqs": seqs,
            "hash": hex::encode(hashes[0]),
            "already_recorded": true,
            "receipt": format!("/dledger/v1/receipt/{first}"),
        })),
    )
        .into_response()
}

/// The sequence number and previous-entry hash an entry's bytes were signed with, read at
/// their fixed offsets (docs/FORMAT.md §2), if the bytes are long enough.
pub(crate) fn signed_position(bytes: &[u8]) -> Option<(u64, [u8; 32])> {
    let seq = u64::from_le_bytes(bytes.get(2..10)?.try_into().ok()?);
    let prev: [u8; 32] = bytes.get(10..42)?.try_into().ok()?;
    Some((seq, prev))
}

/// The 409 answer for an entry signed as `signed` while the log's next is `next`.
fn stale(signed: u64, next: u64, head: [u8; 32]) -> Response {
    let e = AppendError::Stale {
        signed: Seq(signed),
        next: Seq(next),
        head: crate::model::EntryHash(head),
    };
    (
        StatusCode::CONFLICT,
        axum::Json(serde_json::json!({
            "error": e.to_string(),
            "next": next,
            "head": hex::encode(head),
        })),
    )
        .into_response()
}

/// Whether the log holds exactly the entries with `hashes` from `first` on.
fn already_recorded(node: &Node, first: u64, hashes: &[[u8; 32]]) -> bool {
    hashes.iter().enumerate().all(|(i, hash)| {
        node.store
            .get(first + i as u64)
            .ok()
            .flatten()
            .is_some_and(|r| crate::hash::leaf_hash(&r.bytes) == *hash)
    })
}

/// One signed entry of a submission.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Signed {
    entry: String,
    signature: String,
}

/// A submission: one signed entry, or a chain of them.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Submission {
    One(Signed),
    Chain { entries: Vec<Signed> },
}

/// Reads a submission; returns its entries and whether it was a single entry.
fn parse_submission(body: &[u8]) -> Result<(Vec<crate::ledger::SignedEntry>, bool), String> {
    let submission: Submission = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the body must be JSON {{\"entry\": base64, \"signature\": base64}} or \
             {{\"entries\": [...]}} of such objects: {e}"
        )
    })?;
    let (list, single) = match submission {
        Submission::One(s) => (vec![s], true),
        Submission::Chain { entries } => (entries, false),
    };
    if list.is_empty() || list.len() > MAX_CHAIN {
        return Err(format!(
            "a chain holds 1 to {MAX_CHAIN} entries, not {}",
            list.len()
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        let entry = BASE64
            .decode(s.entry.trim())
            .map_err(|e| format!("\"entry\" is not standard base64: {e}"))?;
        let signature: [u8; 64] = BASE64
            .decode(s.signature.trim())
            .map_err(|e| format!("\"signature\" is not standard base64: {e}"))?
            .try_into()
            .map_err(|v: Vec<u8>| {
                format!(
                    "\"signature\" must be 64 bytes (an Ed25519 signature), not {}",
                    v.len()
                )
            })?;
        out.push((entry, signature));
    }
    Ok((out, single))
}

/// Query of a receipt request: how many seconds to wait for a covering checkpoint.
#[derive(serde::Deserialize)]
pub(crate) struct Wait {
    wait: Option<u64>,
}

/// `GET /dledger/v1/receipt/<seq>[?wait=SECONDS]`: the entry's inclusion proof to the latest
/// checkpoint, as a C2SP tlog-proof, once a checkpoint covers it.
pub(crate) async fn receipt(
    State(node): State<Arc<Node>>,
    Path(seq): Path<u64>,
    Query(wait): Query<Wait>,
) -> Response {
    let wait = Duration::from_secs(wait.wait.unwrap_or(0)).min(MAX_RECEIPT_WAIT);
    let mut watch = node.checkpointed.subscribe();
    let covered = matches!(
        tokio::time::timeout(wait, watch.wait_for(|size| *size > seq)).await,
        Ok(Ok(_))
    );
    if !covered && *node.checkpointed.borrow() <= seq {
        let len = node.store.len().unwrap_or(0);
        return if seq >= len {
            error(
                StatusCode::NOT_FOUND,
                format!("the log has no entry #{seq} (it holds {len})"),
            )
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                axum::Json(serde_json::json!({
                    "error": format!("entry #{seq} is recorded; no checkpoint covers it yet"),
                })),
            )
                .into_response()
        };
    }
    let store = Arc::clone(&node.store);
    tokio::task::spawn_blocking(move || {
        let size = match super::read::latest(&store) {
            Ok(Some((size, _))) => size,
            _ => return error(StatusCode::SERVICE_UNAVAILABLE, "no checkpoint yet"),
        };
        match crate::proofs::prove_inclusion(&*store, Seq(seq), size)
            .and_then(|p| crate::proofs::tlog_proof(&*store, &p))
        {
            Ok(proof) => (
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                proof.to_string(),
            )
                .into_response(),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    })
    .await
    .unwrap_or_else(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// `GET /dledger/v1/head`: how many entries the log holds and the size of its latest
/// checkpoint.
pub(crate) async fn head(State(node): State<Arc<Node>>) -> Response {
    let len = node.store.len().unwrap_or(0);
    let checkpointed = *node.checkpointed.borrow();
    axum::Json(serde_json::json!({ "size": len, "checkpoint": checkpointed })).into_response()
}
