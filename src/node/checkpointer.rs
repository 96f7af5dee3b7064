//! The operator's checkpointer: after entries are added it signs a checkpoint of the whole log
//! (at most once per interval), then asks each witness to cosign it with C2SP tlog-witness
//! `add-checkpoint` and stores the cosignatures it returns with the note. A witness that is
//! down or refuses is reported on standard error and asked again with the next checkpoint;
//! entries are taken meanwhile (cosigning follows asynchronously).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::Node;
use crate::remote::Remote;
use crate::remote::client::ADD_CHECKPOINT_PATH;

/// Signs checkpoints and gathers cosignatures until the node stops, starting with asking the
/// witnesses to cosign `initial` (the checkpoint the node signed as it started), if any.
pub(crate) async fn run(node: Arc<Node>, every: Duration, initial: Option<(u64, Vec<u8>)>) {
    // What each witness last cosigned, as far as this node knows (learnt from its 409s).
    let mut witnessed = vec![0u64; node.witnesses.len()];
    let mut made = initial;
    loop {
        if let Some((size, note)) = made.take() {
            node.checkpointed.send_replace(size);
            if !node.witnesses.is_empty() {
                let asker = Arc::clone(&node);
                let sizes = std::mem::take(&mut witnessed);
                witnessed =
                    tokio::task::spawn_blocking(move || cosign_all(&asker, sizes, size, &note))
                        .await
                        .unwrap_or_default();
                witnessed.resize(node.witnesses.len(), 0);
            }
            tokio::time::sleep(every).await;
        }
        tokio::select! {
            _ = node.added.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let signer = Arc::clone(&node);
        made = tokio::task::spawn_blocking(move || sign(&signer))
            .await
            .ok()
            .flatten();
    }
}

/// Signs and stores a checkpoint if entries were added since the last one.
pub(crate) fn sign(node: &Arc<Node>) -> Option<(u64, Vec<u8>)> {
    node.operator_key.as_ref()?;
    let len = node.store.len().ok()?;
    if len == 0 || len <= *node.checkpointed.borrow() {
        return None;
    }
    // Through the sequencer: the checkpoint covers every entry staged so far, made durable
    // first.
    let signer = Arc::clone(node);
    let made = node.with_batch(move |batch| {
        let key = signer.operator_key.as_ref().expect("checked above");
        batch.checkpoint(key)
    })?;
    match made {
        Ok(note) => {
            let size = tlog::Checkpoint::from_note(&note).ok()?.size;
            Some((size, note.to_string().into_bytes()))
        }
        Err(e) => {
            super::log_line(&serde_json::json!({
                "event": "checkpoint-failed",
                "error": e.to_string(),
            }));
            None
        }
    }
}

/// Asks every witness to cosign the checkpoint `note` of size `size`; returns what each has
/// cosigned now.
fn cosign_all(node: &Arc<Node>, mut witnessed: Vec<u64>, size: u64, note: &[u8]) -> Vec<u64> {
    witnessed.resize(node.witnesses.len(), 0);
    for (remote, old) in node.witnesses.iter().zip(witnessed.iter_mut()) {
        match ask(node, remote, old, size, note) {
            Ok(lines) => {
                let mut merged = note.to_vec();
                merged.extend_from_slice(&lines);
                let stored = node
                    .with_batch(move |batch| {
                        batch
                            .accept_checkpoint(&merged, true)
                            .map(|_| ())
                            .map_err(|e| e.to_string())
                    })
                    .unwrap_or_else(|| Err("the node is shutting down".into()));
                match stored {
                    Ok(_) => *old = size,
                    Err(e) => report(
                        remote,
                        size,
                        &format!("its cosignature was not stored: {e}"),
                    ),
                }
            }
            Err(e) => report(remote, size, &e),
        }
    }
    witnessed
}

/// One `add-checkpoint` exchange (two, if the witness says it cosigned another size last).
fn ask(
    node: &Node,
    remote: &Remote,
    old: &mut u64,
    size: u64,
    note: &[u8],
) -> Result<Vec<u8>, String> {
    for _ in 0..2 {
        let mut body = format!("old {old}\n");
        if *old > 0 && *old < size {
            let proof =
                tlog::prove_consistency(*old, size, &*node.store).map_err(|e| e.to_string())?;
            for hash in proof {
                body.push_str(&BASE64.encode(hash));
                body.push('\n');
            }
        }
        body.push('\n');
        let mut bytes = body.into_bytes();
        bytes.extend_from_slice(note);
        let answer = remote
            .post(ADD_CHECKPOINT_PATH, "text/plain; charset=utf-8", &bytes)
            .map_err(|e| e.to_string())?;
        match answer.status {
            200 => return Ok(answer.body),
            409 => {
                let theirs: u64 =
                    answer.text().trim().parse().map_err(|_| {
                        format!("it answered 409 without a size: {}", answer.text())
                    })?;
                if theirs > size {
                    return Err(format!(
                        "it has cosigned a larger checkpoint (size {theirs}) than this one"
                    ));
                }
                *old = theirs;
            }
            status => return Err(format!("it answered {status}: {}", answer.message())),
        }
    }
    Err("it kept answering 409".into())
}

fn report(remote: &Remote, size: u64, why: &str) {
    super::log_line(&serde_json::json!({
        "event": "witness-did-not-cosign",
        "witness": remote.url(),
        "size": size,
        "error": why,
    }));
}
