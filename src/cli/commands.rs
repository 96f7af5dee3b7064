//! Dispatch: one arm per command, each calling the file that owns it.

use anyhow::{Context as _, Result};
use disclosure_ledger::store::OpenError;
use std::time::Duration;

use super::Status;
use super::args::*;
use super::context::Ctx;
use super::{
    checkpoint_cmd, evidence_cmd, node_cmd, policy_cmd, read, record, review_cmd, transfer,
    verify_cmd,
};

/// Runs the parsed command.
pub(crate) fn run(cli: Cli) -> Result<Status> {
    // The ledger options are accepted before the command (`dledger -l L list`, handy in an
    // alias) or after it (`dledger list -l L`), where only the commands that open a ledger offer
    // them; before a command that opens none they are not used.
    let ctx = match cli.command.ledger_args() {
        Some(after) => {
            let mut ctx = Ctx {
                ledger: after.ledger.clone().or(cli.lg.ledger.clone()),
                wait: Duration::from_secs(after.wait.max(cli.lg.wait)),
                remote: after.remote.clone().or(cli.lg.remote.clone()),
                ca_cert: after.ca_cert.clone().or(cli.lg.ca_cert.clone()),
            };
            // `--ledger https://node…`: the node's log, through a replica kept for it.
            let url = ctx
                .ledger
                .as_deref()
                .and_then(|p| p.to_str())
                .filter(|p| p.starts_with("http://") || p.starts_with("https://"));
            if let Some(url) = url.map(str::to_owned) {
                if ctx.remote.is_some() {
                    anyhow::bail!(
                        "--ledger {url} names a node, and --remote names one too: give the \
                         node once (--ledger URL), or a replica file with --ledger and the node \
                         with --remote"
                    );
                }
                let replica = disclosure_ledger::remote::submit::default_replica(&url)
                    .with_context(|| format!("making a replica for {url}"))?;
                ctx.ledger = Some(replica);
                ctx.remote = Some(url);
            }
            ctx
        }
        None => Ctx {
            ledger: None,
            wait: Duration::ZERO,
            remote: None,
            ca_cert: None,
        },
    };
    match cli.command {
        Command::Init(a) => record::init(a),
        Command::Keygen(a) => record::keygen(a),
        Command::Disclose(a) => record::disclose(&ctx, a),
        Command::Ack(a) => record::ack(&ctx, a),
        Command::Flag(FlagCommand::Dispose(a)) => record::dispose(&ctx, a),
        Command::Refuse(a) => record::refuse(&ctx, a),
        Command::Correct(a) => record::correct(&ctx, a),
        Command::Theme(c) => record::theme(&ctx, c),
        Command::Confirm(a) => record::confirm(&ctx, a),
        Command::Company(c) => record::company(&ctx, c),
        Command::Key(c) => record::key(&ctx, c),
        Command::Policy(c) => policy_cmd::policy(&ctx, c),
        Command::Checkpoint { key, out, .. } => {
            checkpoint_cmd::checkpoint_cmd(&ctx, &key, out.as_deref())
        }
        Command::Cosign {
            checkpoint,
            key,
            out,
            ..
        } => checkpoint_cmd::cosign_cmd(&ctx, &checkpoint, &key, out.as_deref()),
        Command::Prove(c) => checkpoint_cmd::prove(&ctx, c),
        Command::Review(a) => review_cmd::review(&ctx, a),
        Command::Evidence(a) => evidence_cmd::evidence(&ctx.open_reader(ctx.path()?)?, a),
        Command::Dossier(a) => evidence_cmd::dossier(&ctx.open_reader(ctx.path()?)?, a),
        Command::VerifyEvidence(a) => evidence_cmd::verify_evidence(a),
        Command::Vault(VaultCommand::Erase {
            key,
            before,
            by_policy: _,
            dry_run,
            ..
        }) => ctx.retry(
            || evidence_cmd::vault_erase(&ctx, &key, before.as_deref(), dry_run),
            |e| {
                e.chain().any(|c| {
                    matches!(
                        c.downcast_ref::<OpenError>(),
                        Some(OpenError::Locked { .. })
                    )
                })
            },
        ),
        Command::Show(a) => read::show(&ctx, a),
        Command::Waiting(a) => read::waiting(&ctx, a),
        Command::List(a) => read::list(&ctx, a),
        Command::Export(a) => transfer::export_cmd(&ctx, a),
        Command::Publish(a) => transfer::publish_cmd(&ctx, a),
        Command::Serve(a) => node_cmd::serve(&ctx, a),
        Command::Mirror(a) => node_cmd::mirror(a),
        Command::Import(a) => transfer::import_cmd(&ctx, a),
        Command::Upgrade(a) => transfer::upgrade_cmd(a),
        Command::Verify(a) => verify_cmd::verify(&ctx, a),
        Command::Reindex { path, .. } => verify_cmd::reindex_cmd(&ctx, path.as_deref()),
        Command::Explain(a) => verify_cmd::explain(a),
        Command::Completions { shell } => {
            // Generated into memory first: written straight to a closed pipe, the generator
            // panics; a failed write here is handed back like any other output's.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "dledger", &mut script);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
            Ok(Status::Clean)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            std::io::Write::write_all(&mut std::io::stdout().lock(), &page)?;
            Ok(Status::Clean)
        }
    }
}
