//! The write side of an operator's node: signed entries submitted by the parties
//! (`POST /dledger/v1/entries`), judged by [`Ledger::submit_signed`] — the checks every entry
//! recorded with the command line goes through — and committed durably before the answer;
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

use super::{Node, error};
use crate::ledger::AppendError;
use crate::model::{Seq, Timestamp};

/// The longest a receipt request waits for a checkpoint covering its entry.
const MAX_RECEIPT_WAIT: Duration = Duration::from_secs(60);

/// `POST /dledger/v1/entries` with `{"entry": base64, "signature": base64}`.
pub(crate) async fn submit(State(node): State<Arc<Node>>, body: Bytes) -> Response {
    if node.operator_key.is_none() {
        return error(
            StatusCode::FORBIDDEN,
            "this node does not operate the log (it was started without --key); submit to the \
             operator's node",
        );
    }
    let (entry, signature) = match parse_submission(&body) {
        Ok(parsed) => parsed,
        Err(why) => return error(StatusCode::BAD_REQUEST, why),
    };
    let submitted_hash = crate::hash::leaf_hash(&entry);
    let judged = Arc::clone(&node);
    let outcome = tokio::task::spawn_blocking(move || {
        judged
            .ledger()
            .submit_signed(entry, signature, Timestamp::now())
    })
    .await;
    // The same signed entry sent again (its answer was lost: a dropped connection, a node
    // restarted after committing it) is answered as recorded, not as stale: resubmitting is
    // always safe, and an entry is never recorded twice.
    if let Ok(Err(AppendError::Stale { signed, next, .. })) = &outcome
        && signed < next
        && let Ok(Some(record)) = node.store.get(signed.0)
        && crate::hash::leaf_hash(&record.bytes) == submitted_hash
    {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({
                "seq": signed.0,
                "hash": hex::encode(submitted_hash),
                "already_recorded": true,
                "receipt": format!("/dledger/v1/receipt/{}", signed.0),
            })),
        )
            .into_response();
    }
    match outcome {
        Ok(Ok((receipt, flags))) => {
            node.added.notify_one();
            let flags: Vec<_> = flags
                .iter()
                .map(|f| serde_json::json!({"code": f.code.code(), "message": f.message}))
                .collect();
            (
                StatusCode::CREATED,
                axum::Json(serde_json::json!({
                    "seq": receipt.seq.0,
                    "hash": hex::encode(receipt.hash.0),
                    "recorded_at": receipt.recorded_at.to_string(),
                    "flags": flags,
                    "receipt": format!("/dledger/v1/receipt/{}", receipt.seq.0),
                })),
            )
                .into_response()
        }
        Ok(Err(AppendError::Stale { signed, next, head })) => (
            StatusCode::CONFLICT,
            axum::Json(serde_json::json!({
                "error": AppendError::Stale { signed, next, head }.to_string(),
                "next": next.0,
                "head": hex::encode(head.0),
            })),
        )
            .into_response(),
        Ok(Err(e @ (AppendError::Open(_) | AppendError::Store(_)))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        Ok(Err(e)) => error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the submission failed: {e}"),
        ),
    }
}

/// Reads `{"entry": base64, "signature": base64}`.
fn parse_submission(body: &[u8]) -> Result<(Vec<u8>, [u8; 64]), String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Submission {
        entry: String,
        signature: String,
    }
    let s: Submission = serde_json::from_slice(body).map_err(|e| {
        format!("the body must be JSON {{\"entry\": base64, \"signature\": base64}}: {e}")
    })?;
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
    Ok((entry, signature))
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
