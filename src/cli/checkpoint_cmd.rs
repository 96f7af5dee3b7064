//! `dledger checkpoint`, `cosign` and `prove`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use disclosure_ledger::model::{Seq, Timestamp};

use super::Status;
use super::args::*;
use super::context::*;

pub(super) fn write_note(out: Option<&Path>, note: &str) -> Result<()> {
    if let Some(path) = out {
        fs::write(path, note).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("Wrote {}.", path.display());
    }
    Ok(())
}

pub(super) fn checkpoint_cmd(ctx: &Ctx, key: &Path, out: Option<&Path>) -> Result<Status> {
    let key = load_key(key)?;
    let mut ledger = ctx.open_writer()?;
    let note = ledger.checkpoint(&key)?.to_string();
    out!("{note}");
    write_note(out, &note)?;
    Ok(Status::Clean)
}

pub(super) fn cosign_cmd(
    ctx: &Ctx,
    checkpoint: &Path,
    key: &Path,
    out: Option<&Path>,
) -> Result<Status> {
    let bytes = disclosure_ledger::files::read_limited(
        checkpoint,
        disclosure_ledger::files::NOTE_FILE_LIMIT,
        "checkpoint note",
    )?;
    let key = load_key(key)?;
    let mut ledger = ctx.open_writer()?;
    let note = ledger.cosign(&bytes, &key, Timestamp::now())?.to_string();
    out!("{note}");
    write_note(out, &note)?;
    Ok(Status::Clean)
}

pub(super) fn prove(ctx: &Ctx, c: ProveCommand) -> Result<Status> {
    use disclosure_ledger::proofs::{self, ProveError};
    let store = ctx.open_reader(ctx.path()?)?;
    // What to do next, for the errors a person can fix from here.
    let advise = |e: ProveError| -> anyhow::Error {
        match e {
            ProveError::NotInTree { seq, len, .. } => {
                anyhow!("{e}; pass --size between {} and {len}", seq.0 + 1)
            }
            ProveError::NoCheckpoint => {
                anyhow!("{e}; make one with `dledger checkpoint` first")
            }
            ProveError::NoCheckpointAtSize { .. } => {
                anyhow!("{e}; omit --size to use the latest")
            }
            ProveError::CheckpointMismatch { .. } | ProveError::Tree(_) => {
                anyhow!("{e}; run `dledger verify`")
            }
            other => other.into(),
        }
    };
    match c {
        ProveCommand::Inclusion {
            seq,
            size,
            format,
            json,
            ..
        } => {
            let format = if json { ProofFormat::Json } else { format };
            let size = match (size, format) {
                (Some(n), _) => n,
                (None, ProofFormat::TlogProof) => proofs::latest_checkpoint_size(&store)?
                    .ok_or(ProveError::NoCheckpoint)
                    .map_err(advise)?,
                (None, _) => store.len()?,
            };
            let proof = proofs::prove_inclusion(&store, Seq(seq), size).map_err(advise)?;
            match format {
                ProofFormat::Json => {
                    outln!("{}", serde_json::to_string_pretty(&proof.to_json())?)
                }
                ProofFormat::TlogProof => {
                    out!("{}", proofs::tlog_proof(&store, &proof).map_err(advise)?)
                }
                ProofFormat::Text => {
                    outln!(
                        "Inclusion proof for entry #{seq} in the tree of the first {size} entries"
                    );
                    outln!("  leaf hash: {}", hex::encode(proof.leaf_hash));
                    outln!("  root hash: {}", hex::encode(proof.root_hash));
                    outln!(
                        "  proof ({} hashes in hex, from the leaf's sibling up):",
                        proof.proof.len()
                    );
                    for h in &proof.proof {
                        outln!("    {}", hex::encode(h));
                    }
                    outln!("Checked: the proof leads from the entry to the root.");
                }
            }
        }
        ProveCommand::Consistency {
            old,
            new,
            format,
            json,
            ..
        } => {
            let proof = proofs::prove_consistency(&store, old, new).map_err(advise)?;
            if json || format == ConsistencyFormat::Json {
                outln!("{}", serde_json::to_string_pretty(&proof.to_json())?);
            } else {
                outln!(
                    "Consistency proof: the first {old} entries are unchanged in the tree of {new}"
                );
                outln!("  old root: {}", hex::encode(proof.old_root));
                outln!("  new root: {}", hex::encode(proof.new_root));
                outln!("  proof ({} hashes in hex):", proof.proof.len());
                for h in &proof.proof {
                    outln!("    {}", hex::encode(h));
                }
                outln!("Checked: the proof leads from the old root to the new one.");
            }
        }
    }
    Ok(Status::Clean)
}
