//! `dledger serve` and `dledger mirror`: two regulators on two machines (docs/OPERATIONS.md).

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context as _, Result};
use disclosure_ledger::node::{NodeConfig, run};
use disclosure_ledger::remote::submit::open_replica;
use disclosure_ledger::remote::{Remote, sync};
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{FlagFilter, Outcome, VerifyOptions};

use super::Status;
use super::args::{MirrorArgs, ServeArgs};
use super::context::{Ctx, load_key};

pub(super) fn serve(ctx: &Ctx, a: ServeArgs) -> Result<Status> {
    if let Some(url) = &ctx.remote {
        anyhow::bail!(
            "serve runs a node over a ledger file on this machine, not over {url}: give the file \
             with --ledger (a witness's replica is mirrored from --upstream URL)"
        );
    }
    let path = ctx.path()?.to_path_buf();
    let remote = |url: &str| Remote::new(url, ctx.ca_cert.as_deref());
    let operator_key = a.key.as_deref().map(load_key).transpose()?;
    let witness_key = a.witness_key.as_deref().map(load_key).transpose()?;
    if operator_key.is_none() && witness_key.is_none() && !a.witnesses.is_empty() {
        anyhow::bail!("--witness asks witnesses to cosign the operator's checkpoints: add --key");
    }
    let upstream = a.upstream.as_deref().map(remote).transpose()?;
    let witnesses = a
        .witnesses
        .iter()
        .map(|w| remote(w))
        .collect::<Result<Vec<_>, _>>()?;
    let scheme = if a.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let role = match (&operator_key, &witness_key) {
        (Some(_), Some(_)) => "operating and witnessing",
        (Some(_), None) => "operating",
        (None, Some(_)) => "witnessing",
        (None, None) => "read-only",
    };
    let config = NodeConfig {
        ledger: path.clone(),
        listen: a.listen,
        operator_key,
        witness_key,
        upstream,
        witnesses,
        tls: a.tls_cert.zip(a.tls_key),
        max_body: a.max_body,
        rate_per_sec: a.rate,
        checkpoint_every: Duration::from_millis(a.checkpoint_every),
    };
    run(config, |addr| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "Serving {} ({role}) at {scheme}://{addr}; stop with Ctrl-C.",
            path.display()
        );
        let _ = stdout.flush();
    })
    .with_context(|| format!("serving {}", path.display()))?;
    eprintln!(
        "Stopped; every acknowledged entry is in {}.",
        path.display()
    );
    Ok(Status::Clean)
}

pub(super) fn mirror(a: MirrorArgs) -> Result<Status> {
    let source = disclosure_ledger::remote::open_source(&a.url, a.ca_cert.as_deref())?;
    let existed = a.out.exists();
    let mut replica =
        open_replica(&a.out).with_context(|| format!("opening the replica {}", a.out.display()))?;
    let synced = sync(source.as_ref(), &mut replica, None, |_| Vec::new());
    let held = replica.next_seq().0;
    drop(replica);
    let synced = match synced {
        Ok(s) => s,
        Err(e) => {
            if !existed && held == 0 {
                let _ = std::fs::remove_file(&a.out);
            }
            return Err(e).with_context(|| format!("mirroring {}", a.url));
        }
    };
    let store = Store::open(&a.out, Access::ReadOnly)?;
    let mut opts = VerifyOptions::default();
    if let Some(dir) = &a.trust {
        opts.trusted = Some(disclosure_ledger::evidence::load_trust_dir(dir)?);
    }
    let state = a
        .state
        .clone()
        .unwrap_or_else(|| disclosure_ledger::remote::mirror::state_path(&a.out));
    let run = disclosure_ledger::incremental::verify_with_state(
        &store,
        &state,
        &opts,
        &FlagFilter::default(),
    )
    .with_context(|| format!("verifying the replica (state {})", state.display()))?;
    let fetched = synced.size.saturating_sub(synced.before);
    let signed = synced
        .checkpoint
        .as_ref()
        .map(|c| {
            let cosigners: Vec<&str> = c.cosigners.iter().map(|(p, _)| p.as_str()).collect();
            if cosigners.is_empty() {
                format!(", signed by {} (not cosigned yet)", c.signer)
            } else {
                format!(
                    ", signed by {} and cosigned by {}",
                    c.signer,
                    cosigners.join(", ")
                )
            }
        })
        .unwrap_or_default();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&run.report)?);
    } else {
        outln!(
            "Mirrored {} into {}: {fetched} new entr{} (checkpoint of size {}{signed}).",
            a.url,
            a.out.display(),
            if fetched == 1 { "y" } else { "ies" },
            synced.size
        );
        if synced.behind {
            outln!(
                "The node's checkpoint is older than what this replica holds (and consistent \
                 with it); nothing to fetch."
            );
        }
        out!("{}", run.report.to_text(&a.out.display().to_string()));
    }
    super::verify_cmd::say_state(&state, &run);
    Ok(match run.report.outcome() {
        Outcome::Clean => Status::Clean,
        Outcome::Flags => Status::Flags,
        Outcome::IntegrityFailure => Status::Failure,
    })
}
