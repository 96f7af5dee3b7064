//! A witness node's C2SP tlog-witness `add-checkpoint`: the other regulator's node, serving its
//! verified replica, cosigns a checkpoint of the operator's log only after mirroring every
//! entry up to it ([`crate::remote::mirror`]) and verifying them as `verify` does (signatures,
//! chain, the rulebook, incrementally from its last cosigned checkpoint), and only if it is
//! consistent with the last checkpoint it cosigned. Its state is the replica's stored cosigned notes, the
//! same state `dledger cosign` keeps, so the two paths cannot cosign a fork.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tlog::{Checkpoint, Digest, KeyKind, Note};

use super::Node;
use crate::model::Timestamp;
use crate::remote::MirrorError;
use crate::witness::{WitnessError, last_cosigned};

/// At most this many consistency proof lines (tlog-witness).
const MAX_PROOF_LINES: usize = 63;

/// A refusal with a plain-text reason.
fn refuse(status: StatusCode, why: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", why.into()),
    )
        .into_response()
}

/// A request body: old size, proof, checkpoint note.
struct Request {
    old: u64,
    proof: Vec<Digest>,
    note: Vec<u8>,
}

fn parse(body: &[u8]) -> Result<Request, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let (first, rest) = text
        .split_once('\n')
        .ok_or("the body must start with an \"old <size>\" line")?;
    let old = first
        .strip_prefix("old ")
        .filter(|n| *n == "0" || !n.starts_with('0'))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("the first line must be \"old <size>\", not {first:?}"))?;
    let mut proof = Vec::new();
    let mut rest = rest;
    loop {
        let (line, tail) = rest
            .split_once('\n')
            .ok_or("the proof lines must end with an empty line before the checkpoint")?;
        rest = tail;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(format!(
                "more than {MAX_PROOF_LINES} consistency proof lines"
            ));
        }
        let hash: Digest = BASE64
            .decode(line)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| format!("{line:?} is not a base64 SHA-256 hash"))?;
        proof.push(hash);
    }
    Ok(Request {
        old,
        proof,
        note: rest.as_bytes().to_vec(),
    })
}

/// `POST /add-checkpoint`.
pub(crate) async fn add_checkpoint(
    axum::extract::State(node): axum::extract::State<Arc<Node>>,
    body: Bytes,
) -> Response {
    if node.witness_key.is_none() {
        return refuse(
            StatusCode::NOT_FOUND,
            "this node is not a witness (it was started without --witness-key)",
        );
    }
    let request = match parse(&body) {
        Ok(r) => r,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, why),
    };
    tokio::task::spawn_blocking(move || witness(&node, request))
        .await
        .unwrap_or_else(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

fn witness(node: &Node, request: Request) -> Response {
    let key = node.witness_key.as_ref().expect("checked by the handler");
    let upstream = node.upstream.as_ref().expect("checked at start");
    let Ok(note) = Note::parse(&request.note) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the checkpoint is not a signed note",
        );
    };
    let Ok(cp) = Checkpoint::from_note(&note) else {
        return refuse(StatusCode::BAD_REQUEST, "the note is not a C2SP checkpoint");
    };
    let mut ledger = node.ledger();
    if let Some(origin) = &ledger.registers().origin
        && origin != &cp.origin
    {
        return refuse(
            StatusCode::NOT_FOUND,
            format!(
                "unknown origin {:?}: this witness follows {origin:?}",
                cp.origin
            ),
        );
    }
    if request.old > cp.size {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "old size {} is larger than the checkpoint's {}",
                request.old, cp.size
            ),
        );
    }
    let cosigner = match key.note_signer(KeyKind::CosignatureV1) {
        Ok(c) => c,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let last = match last_cosigned(&node.store, cosigner.verifier()) {
        Ok(l) => l,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let last_size = last.as_ref().map_or(0, |c| c.size);
    if request.old != last_size {
        return (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{last_size}\n"),
        )
            .into_response();
    }
    // The operator's signature, by a key the replica knows (when it knows any yet).
    let len = node.store.len().unwrap_or(0);
    let keys = crate::remote::mirror::operator_keys(ledger.registers(), len);
    if len > 0 && note.verify(&keys).is_err() {
        return refuse(
            StatusCode::FORBIDDEN,
            "the checkpoint carries no valid signature by a key of this log's parties",
        );
    }
    if let Some(last) = &last {
        let consistent = if request.old == cp.size {
            last.root == cp.root
        } else {
            tlog::verify_consistency(&request.proof, request.old, cp.size, &last.root, &cp.root)
                .is_ok()
        };
        if !consistent {
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the checkpoint is not proven consistent with the checkpoint of size {} this \
                     witness cosigned",
                    last.size
                ),
            );
        }
    } else if !request.proof.is_empty() {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "old size 0 takes an empty consistency proof",
        );
    }
    // Every entry up to the checkpoint, mirrored and checked before anything is cosigned.
    match crate::remote::sync(upstream, &mut ledger, Some(&request.note), |_| Vec::new()) {
        Ok(_) => {}
        Err(e @ MirrorError::Fork { .. }) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
        }
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot mirror the log up to this checkpoint: {e}"),
            );
        }
    }
    // Every entry the replica holds, judged as `verify` judges any ledger (incrementally, from
    // the last checkpoint this witness cosigned, with its state beside the replica): a log
    // whose entries break the rules is not cosigned.
    let state = crate::remote::mirror::state_path(ledger.path());
    let verified = ledger
        .reader()
        .map_err(|e| e.to_string())
        .and_then(|store| {
            crate::incremental::verify_with_state(
                &store,
                &state,
                &crate::verify::VerifyOptions::default(),
                &crate::verify::FlagFilter::default(),
            )
            .map_err(|e| e.to_string())
        });
    match verified {
        Ok(run) if run.report.integrity.status == crate::verify::IntegrityStatus::Intact => {}
        Ok(run) => {
            let first = run
                .report
                .integrity
                .failures
                .first()
                .map(|f| format!("entry {} {}: {}", f.seq, f.kind, f.message))
                .unwrap_or_default();
            return refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "the log's entries fail verification ({} problem{}; the first: {first}); \
                     this witness does not cosign it",
                    run.report.integrity.failures.len(),
                    if run.report.integrity.failures.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ),
            );
        }
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot verify the replica: {e}"),
            );
        }
    }
    let cosigned = match ledger.cosign(&request.note, key, Timestamp::now()) {
        Ok(n) => n,
        Err(e @ WitnessError::Inconsistent(_)) => {
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
        }
        Err(e @ WitnessError::Rejected(_)) => return refuse(StatusCode::FORBIDDEN, e.to_string()),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let mine: String = cosigned
        .signatures()
        .iter()
        .filter(|s| s.key_id() == cosigner.key_id() && s.name() == cosigner.name())
        .map(|s| s.to_line())
        .collect();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        mine,
    )
        .into_response()
}
