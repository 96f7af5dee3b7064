//! One function per command.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::describe;
use disclosure_ledger::export;
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::keys::{PublicKey, SecretKey, save_public};
use disclosure_ledger::ledger::{
    AppendError, Ledger, PartyInit, Pending, fresh_salt, policy_document,
};
use disclosure_ledger::model::{
    Body, CategoryKind, CompanyId, Entry, EntryKind, KeyId, PartyId, Seq, ThemeId, Timestamp,
};
use disclosure_ledger::policy::{
    CATALOGUE, DEFAULT_POLICY, DEFAULT_POLICY_LABEL, FlagCode, Policy,
};
use disclosure_ledger::store::{Access, OpenError, Store};
use disclosure_ledger::stream::Progress;
use disclosure_ledger::verify::{
    FlagFilter, IntegrityStatus, Outcome, VerifyOptions, verify_ledger,
};

use super::Status;
use super::args::*;

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<Status> {
    let ctx = Ctx {
        ledger: cli.ledger,
        wait: Duration::from_secs(cli.wait),
    };
    match cli.command {
        Command::Init(a) => init(a),
        Command::Keygen(a) => keygen(a),
        Command::Disclose(a) => disclose(&ctx, a),
        Command::Ack(a) => ack(&ctx, a),
        Command::Correct(a) => correct(&ctx, a),
        Command::Theme(c) => theme(&ctx, c),
        Command::Company(c) => company(&ctx, c),
        Command::Key(c) => key(&ctx, c),
        Command::Policy(c) => policy(&ctx, c),
        Command::Checkpoint { key, out } => checkpoint_cmd(&ctx, &key, out.as_deref()),
        Command::Cosign {
            checkpoint,
            key,
            out,
        } => cosign_cmd(&ctx, &checkpoint, &key, out.as_deref()),
        Command::Prove(c) => prove(&ctx, c),
        Command::Review(a) => review(&ctx, a),
        Command::Evidence(a) => super::evidence_cmd::evidence(&ctx.open_reader(ctx.path()?)?, a),
        Command::VerifyEvidence(a) => super::evidence_cmd::verify_evidence(a),
        Command::Vault(VaultCommand::Erase { before }) => {
            let path = ctx.path()?.to_owned();
            ctx.retry(
                || super::evidence_cmd::vault_erase(&path, &before),
                |e| {
                    e.chain().any(|c| {
                        matches!(
                            c.downcast_ref::<OpenError>(),
                            Some(OpenError::Locked { .. })
                        )
                    })
                },
            )
        }
        Command::Show(a) => show(&ctx, a),
        Command::List(a) => list(&ctx, a),
        Command::Export(a) => export_cmd(&ctx, a),
        Command::Import(a) => import_cmd(&ctx, a),
        Command::Upgrade(a) => upgrade_cmd(a),
        Command::Verify(a) => verify(&ctx, a),
        Command::Reindex { path } => reindex_cmd(&ctx, path.as_deref()),
        Command::Explain(a) => explain(a),
    }
}

struct Ctx {
    ledger: Option<PathBuf>,
    wait: Duration,
}

impl Ctx {
    fn path(&self) -> Result<&Path> {
        self.ledger.as_deref().ok_or_else(|| {
            anyhow!("no ledger given: pass --ledger FILE (or -l FILE), or set DLEDGER_LEDGER")
        })
    }

    /// Retries while the ledger is locked by another writer, up to --wait.
    fn retry<T, E>(
        &self,
        mut f: impl FnMut() -> Result<T, E>,
        locked: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        let start = Instant::now();
        loop {
            match f() {
                Err(e) if locked(&e) && start.elapsed() < self.wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn open_writer(&self) -> Result<Ledger> {
        let path = self.path()?;
        let mut ledger = self.retry(|| Ledger::open(path), |e| e.is_locked())?;
        // The write lock is taken at the moment of the append; wait for it there too.
        ledger.set_wait(self.wait);
        Ok(ledger)
    }

    pub(super) fn open_reader(&self, path: &Path) -> Result<Store> {
        Ok(self.retry(
            || Store::open(path, Access::ReadOnly),
            |e| matches!(e, OpenError::Locked { .. }),
        )?)
    }
}

fn load_key(path: &Path) -> Result<SecretKey> {
    // An encrypted key asks for its passphrase (environment, else terminal) only when opened.
    Ok(SecretKey::load_with(path, || {
        disclosure_ledger::keys::passphrase_for(path)
    })?)
}

fn default_party_name(id: &str) -> &str {
    match id {
        "ICO" => "Information Commissioner's Office",
        "OFCOM" => "Ofcom",
        "CMA" => "Competition and Markets Authority",
        "FCA" => "Financial Conduct Authority",
        other => other,
    }
}

fn init(a: InitArgs) -> Result<Status> {
    let key = load_key(&a.key)?;
    let names: BTreeMap<String, String> = a
        .party_names
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| anyhow!("--party-name {s:?}: write ID=NAME, e.g. OFCOM=Ofcom"))
        })
        .collect::<Result<_>>()?;
    let mut parties = Vec::new();
    for spec in &a.parties {
        let (id, path) = spec.split_once('=').ok_or_else(|| {
            anyhow!("--party {spec:?}: write ID=PUBLIC_KEY_FILE, e.g. ICO=keys/ico-2024.vkey")
        })?;
        let id = PartyId::new(id.trim())?;
        let public = PublicKey::load(Path::new(path.trim()))?;
        let name = names
            .get(id.as_str())
            .cloned()
            .unwrap_or_else(|| default_party_name(id.as_str()).to_owned());
        parties.push(PartyInit {
            id,
            name,
            key: public,
        });
    }
    let (label, text) = match &a.policy {
        Some(p) => (
            p.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            fs::read_to_string(p).with_context(|| format!("cannot read policy {}", p.display()))?,
        ),
        None => (DEFAULT_POLICY_LABEL.to_owned(), DEFAULT_POLICY.to_owned()),
    };
    let now = Timestamp::now();
    let policy = policy_document(&label, now, &text);
    Ledger::create(&a.path, &a.origin, &parties, policy, &key, now)?;
    outln!(
        "Created ledger {} (origin {}) with parties {}; genesis signed by {}.",
        a.path.display(),
        a.origin,
        parties
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        key.public().name
    );
    Ok(Status::Clean)
}

fn keygen(a: KeygenArgs) -> Result<Status> {
    let key = SecretKey::generate(&a.name)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.key", a.name)));
    if a.encrypt {
        let passphrase = disclosure_ledger::keys::new_passphrase()?;
        key.save_encrypted(&out, &passphrase)?;
    } else {
        key.save(&out, false)?;
    }
    let public = save_public(key.public(), &a.public_dir)?;
    outln!(
        "Private key: {} (owner-only{}; keep it secret, never commit it)",
        out.display(),
        if a.encrypt {
            ", encrypted with your passphrase"
        } else {
            ""
        }
    );
    outln!("Public key:  {}", public.display());
    outln!("Key id:      {}", key.public().key_id);
    Ok(Status::Clean)
}

fn parse_fields(fields: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for f in fields {
        let (name, value) = f.split_once('=').ok_or_else(|| {
            anyhow!("--field {f:?}: write NAME=VALUE, e.g. --field request_date=2024-03-01")
        })?;
        if out
            .insert(name.trim().to_owned(), value.to_owned())
            .is_some()
        {
            bail!("--field {}: given twice", name.trim());
        }
    }
    Ok(out)
}

fn disclosure_input(a: &DiscloseArgs) -> Result<DisclosureInput> {
    if let Some(path) = &a.from_json {
        let text =
            fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        return DisclosureInput::from_json(&text).with_context(|| format!("in {}", path.display()));
    }
    let notification = match (&a.skipped, a.notified) {
        (Some(reason), false) => format!("skipped: {reason}"),
        (None, true) => "notified".to_owned(),
        _ => bail!(
            "say whether the service was told beforehand: --notified, or --skipped \"REASON\" \
             (statement §4 expects routine disclosures without prior notification)"
        ),
    };
    Ok(DisclosureInput {
        from: a.from.clone().unwrap_or_default(),
        to: a.to.clone().unwrap_or_default(),
        disclosed_at: a.at.clone().unwrap_or_default(),
        gateway: a.gateway.clone(),
        category: a.category.clone().unwrap_or_default(),
        information_notice: a.information_notice,
        companies: a.companies.clone(),
        themes: a.themes.clone(),
        fields: parse_fields(&a.fields)?,
        notification,
        relevance: a.relevance.clone(),
        public_source: a.public_source.clone(),
        assessment_reference: a.assessment.clone(),
        assessment_approver: a.approver.clone(),
        officer_role: a
            .officer_role
            .clone()
            .ok_or_else(|| anyhow!("--officer-role is required: your role, e.g. \"Online Safety supervision team\" (no names)"))?,
    })
}

fn print_receipt(what: &str, r: &disclosure_ledger::ledger::Receipt) -> Result<()> {
    outln!(
        "Recorded {what} as entry {} at {} (hash {}).",
        r.seq,
        r.recorded_at,
        r.hash
    );
    Ok(())
}

fn append_one(
    ctx: &Ctx,
    key_path: &Path,
    what: &str,
    build: impl FnOnce(&Ledger, &SecretKey, Timestamp) -> Result<Pending, AppendError>,
) -> Result<Status> {
    let key = load_key(key_path)?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    let pending = build(&ledger, &key, now)?;
    let receipt = ledger.append(pending, &key, now)?;
    print_receipt(what, &receipt)?;
    Ok(Status::Clean)
}

fn disclose(ctx: &Ctx, a: DiscloseArgs) -> Result<Status> {
    let input = disclosure_input(&a)?;
    let key = load_key(&a.key)?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    let pending = ledger.prepare_disclosure(&input, &key, now, &mut fresh_salt)?;
    let flags = ledger.flags_for(&pending, now);
    if a.dry_run {
        let entry = Entry {
            version: disclosure_ledger::model::FORMAT_VERSION,
            seq: ledger.next_seq(),
            prev: disclosure_ledger::model::EntryHash::ZERO,
            recorded_at: now,
            signer: disclosure_ledger::model::Signer {
                party: ledger.party_of(&key)?,
                key_id: key.public().key_id,
            },
            body: pending.body,
        };
        out!("{}", describe::full(&entry, "(not recorded: dry run)"));
        print_flags(&flags, "would raise")?;
        outln!("Dry run: the disclosure is valid; nothing was written.");
        return Ok(if flags.is_empty() {
            Status::Clean
        } else {
            Status::Flags
        });
    }
    let receipt = ledger.append(pending, &key, now)?;
    print_receipt("the disclosure", &receipt)?;
    // The ledger records what happened; flags are shown so the officer can act on them now.
    print_flags(&flags, "raises")?;
    Ok(if flags.is_empty() {
        Status::Clean
    } else {
        Status::Flags
    })
}

fn print_flags(flags: &[disclosure_ledger::policy::Flag], verb: &str) -> Result<()> {
    if flags.is_empty() {
        outln!("Policy: no flags; this disclosure is within the arrangements in force.");
        return Ok(());
    }
    outln!(
        "Policy: this disclosure {verb} {} flag{} for review:",
        flags.len(),
        if flags.len() == 1 { "" } else { "s" }
    );
    for f in flags {
        outln!(
            "  {} ({}, statement {}): {}",
            f.code,
            f.severity.as_str(),
            f.sections,
            f.message
        );
    }
    outln!("Run `dledger explain CODE` for what a flag means and what to check.");
    Ok(())
}

fn parse_time(field: &str, text: &str) -> Result<Timestamp> {
    Timestamp::parse(text).with_context(|| format!("--{field}"))
}

fn ack(ctx: &Ctx, a: AckArgs) -> Result<Status> {
    let received = a
        .received_at
        .as_deref()
        .map(|t| parse_time("received-at", t))
        .transpose()?;
    append_one(ctx, &a.key, "the acknowledgement", |l, key, now| {
        l.prepare_ack(Seq(a.seq), received.unwrap_or(now), key, now)
    })
}

fn correct(ctx: &Ctx, a: CorrectArgs) -> Result<Status> {
    let replacement = match &a.replacement_json {
        Some(p) => Some(
            DisclosureInput::from_json(
                &fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            )
            .with_context(|| format!("in {}", p.display()))?,
        ),
        None => None,
    };
    append_one(ctx, &a.key, "the correction", |l, key, now| {
        l.prepare_correction(
            Seq(a.seq),
            &a.reason,
            replacement.as_ref(),
            key,
            now,
            &mut fresh_salt,
        )
    })
}

fn theme(ctx: &Ctx, c: ThemeCommand) -> Result<Status> {
    match c {
        ThemeCommand::Declare {
            id,
            title,
            description,
            key,
        } => {
            let id = ThemeId::new(id)?;
            append_one(ctx, &key, "the theme declaration", |l, _, now| {
                l.prepare_theme_declared(id, &title, &description, now)
            })
        }
        ThemeCommand::Retire { id, reason, key } => {
            let id = ThemeId::new(id)?;
            append_one(ctx, &key, "the theme retirement", |l, _, now| {
                l.prepare_theme_retired(id, &reason, now)
            })
        }
    }
}

fn company(ctx: &Ctx, c: CompanyCommand) -> Result<Status> {
    match c {
        CompanyCommand::Propose {
            id,
            name,
            rationale,
            key,
        } => {
            let id = CompanyId::new(id)?;
            append_one(ctx, &key, "the proposal", |l, _, now| {
                l.prepare_company_proposed(id, name.as_deref(), &rationale, now)
            })
        }
        CompanyCommand::Confirm { id, key } => {
            let id = CompanyId::new(id)?;
            append_one(ctx, &key, "the confirmation", |l, _, _| {
                l.prepare_company_confirmed(id)
            })
        }
        CompanyCommand::End { id, reason, key } => {
            let id = CompanyId::new(id)?;
            append_one(ctx, &key, "the end of designation", |l, _, now| {
                l.prepare_company_ended(id, &reason, now)
            })
        }
    }
}

fn key(ctx: &Ctx, c: KeyCommand) -> Result<Status> {
    match c {
        KeyCommand::Add { public, key } => {
            let new = PublicKey::load(&public)?;
            append_one(ctx, &key, "the new key", |l, k, _| {
                Ok(l.prepare_key_added(l.party_of(k)?, &new))
            })
        }
        KeyCommand::Rotate { public, key } => {
            let new = PublicKey::load(&public)?;
            append_one(ctx, &key, "the key rotation", |l, k, _| {
                Ok(l.prepare_key_rotated(l.party_of(k)?, k.public().key_id, &new))
            })
        }
        KeyCommand::Revoke {
            key_id,
            reason,
            key,
        } => {
            let raw: [u8; 4] = hex::decode(key_id.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| anyhow!("key id {key_id:?} is not 8 hex digits, e.g. 1a2b3c4d"))?;
            append_one(ctx, &key, "the key revocation", |l, k, _| {
                Ok(l.prepare_key_revoked(l.party_of(k)?, KeyId(raw), &reason))
            })
        }
    }
}

fn policy(ctx: &Ctx, c: PolicyCommand) -> Result<Status> {
    match c {
        PolicyCommand::Adopt {
            file,
            effective,
            key,
        } => {
            let text = fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let parsed = Policy::parse(&text).with_context(|| format!("in {}", file.display()))?;
            let effective = effective
                .as_deref()
                .map(|t| parse_time("effective", t))
                .transpose()?;
            append_one(ctx, &key, "the policy", |_, _, now| {
                let doc = policy_document(&parsed.label, effective.unwrap_or(now), &text);
                Ok(Body::PolicyAdopted(doc).into())
            })
        }
        PolicyCommand::Show { at, text } => {
            let at = at
                .as_deref()
                .map(|t| parse_time("at", t))
                .transpose()?
                .unwrap_or_else(Timestamp::now);
            let (doc_text, source) = match &ctx.ledger {
                None => (
                    DEFAULT_POLICY.to_owned(),
                    "built-in default policy".to_owned(),
                ),
                Some(path) => {
                    let store = ctx.open_reader(path)?;
                    let reg = disclosure_ledger::ledger::open_registers(&store)?;
                    let mut engine = disclosure_ledger::policy::PolicyEngine::new();
                    let policy = engine.policy_at(&reg, at).ok_or_else(|| {
                        anyhow!("the ledger has no readable policy in force on {at}")
                    })?;
                    let (seq, doc) = reg
                        .policies
                        .iter()
                        .rev()
                        .find(|(_, d)| Policy::parse(&d.text).ok().as_ref() == Some(&*policy))
                        .expect("the policy in force came from the ledger");
                    (
                        doc.text.clone(),
                        format!(
                            "adopted at {seq}, effective {}",
                            doc.effective_from.london_date()
                        ),
                    )
                }
            };
            if text {
                out!("{doc_text}");
                return Ok(Status::Clean);
            }
            let p = Policy::parse(&doc_text)?;
            outln!("Policy {:?} — {} ({source})", p.label, p.title);
            outln!(
                "Thresholds: record within {} days; acknowledge within {} days.",
                p.thresholds.record_within_days,
                p.thresholds.acknowledge_within_days
            );
            for party in p.parties.values() {
                let gateways: Vec<String> = party.gateways.iter().map(|g| g.to_string()).collect();
                outln!(
                    "Party {} ({}): gateways {}{}",
                    party.id,
                    party.name,
                    gateways.join(", "),
                    if party.consent { ", or consent" } else { "" }
                );
            }
            for c in p.categories.values() {
                let fields = match &c.allowed_fields {
                    Some(f) => f.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                    None => "any (judged case by case)".into(),
                };
                outln!(
                    "Category {} ({}, statement {}): fields {fields}",
                    c.kind,
                    if c.routine { "routine" } else { "not routine" },
                    c.section
                );
            }
            Ok(Status::Clean)
        }
    }
}

fn write_note(out: Option<&Path>, note: &str) -> Result<()> {
    if let Some(path) = out {
        fs::write(path, note).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("Wrote {}.", path.display());
    }
    Ok(())
}

fn checkpoint_cmd(ctx: &Ctx, key: &Path, out: Option<&Path>) -> Result<Status> {
    let key = load_key(key)?;
    let mut ledger = ctx.open_writer()?;
    let note = ledger.checkpoint(&key)?.to_string();
    out!("{note}");
    write_note(out, &note)?;
    Ok(Status::Clean)
}

fn cosign_cmd(ctx: &Ctx, checkpoint: &Path, key: &Path, out: Option<&Path>) -> Result<Status> {
    let bytes =
        fs::read(checkpoint).with_context(|| format!("cannot read {}", checkpoint.display()))?;
    let key = load_key(key)?;
    let mut ledger = ctx.open_writer()?;
    let note = ledger.cosign(&bytes, &key, Timestamp::now())?.to_string();
    out!("{note}");
    write_note(out, &note)?;
    Ok(Status::Clean)
}

fn prove(ctx: &Ctx, c: ProveCommand) -> Result<Status> {
    use base64::Engine as _;
    use disclosure_ledger::checkpoint::{Checkpoint, Note, TlogProof};
    use disclosure_ledger::merkle;
    let b64 = |h: &[u8; 32]| base64::engine::general_purpose::STANDARD.encode(h);
    let store = ctx.open_reader(ctx.path()?)?;
    let len = store.len()?;
    match c {
        ProveCommand::Inclusion { seq, size, format } => {
            let checkpoints = store.checkpoints()?;
            let size = match (size, format.as_str()) {
                (Some(n), _) => n,
                (None, "tlog-proof") => checkpoints.last().map(|(n, _)| *n).ok_or_else(|| {
                    anyhow!("no checkpoint is stored; make one with `dledger checkpoint` first")
                })?,
                (None, _) => len,
            };
            if seq >= size || size > len {
                bail!(
                    "entry #{seq} is not in a tree of {size} entries (the ledger has {len}); pass --size between {} and {len}",
                    seq + 1
                );
            }
            let leaf = store
                .get(seq)?
                .map(|r| leaf_hash(&r.bytes))
                .ok_or_else(|| anyhow!("entry #{seq} is missing"))?;
            let proof = merkle::prove_inclusion(seq, size, &store)?;
            let root = merkle::tree_hash(size, &store)?;
            merkle::verify_inclusion(&proof, seq, size, &leaf, &root)?;
            match format.as_str() {
                "json" => outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "index": seq,
                        "tree_size": size,
                        "leaf_hash": hex::encode(leaf),
                        "root_hash": hex::encode(root),
                        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
                    }))?
                ),
                "tlog-proof" => {
                    let (_, note) = checkpoints
                        .iter()
                        .find(|(n, _)| *n == size)
                        .ok_or_else(|| anyhow!("no checkpoint is stored for size {size}; omit --size to use the latest"))?;
                    let checkpoint = Note::parse(note)?;
                    let cp = Checkpoint::from_note(&checkpoint)?;
                    if cp.root != root {
                        bail!(
                            "the stored checkpoint of size {size} does not match the log; run `dledger verify`"
                        );
                    }
                    out!(
                        "{}",
                        TlogProof {
                            extra: None,
                            index: seq,
                            proof,
                            checkpoint
                        }
                    );
                }
                "text" => {
                    outln!(
                        "Inclusion proof for entry #{seq} in the tree of the first {size} entries"
                    );
                    outln!("  leaf hash: {}", hex::encode(leaf));
                    outln!("  root hash: {}", hex::encode(root));
                    outln!(
                        "  proof ({} hashes, from the leaf's sibling up):",
                        proof.len()
                    );
                    for h in &proof {
                        outln!("    {}", b64(h));
                    }
                    outln!("Checked: the proof leads from the entry to the root.");
                }
                other => bail!("--format {other:?} is not one of text, json, tlog-proof"),
            }
        }
        ProveCommand::Consistency { old, new, json } => {
            if old == 0 || old > new || new > len {
                bail!("need 0 < OLD <= NEW <= {len} (the ledger's size); got {old} and {new}");
            }
            let proof = merkle::prove_consistency(old, new, &store)?;
            let (r1, r2) = (
                merkle::tree_hash(old, &store)?,
                merkle::tree_hash(new, &store)?,
            );
            merkle::verify_consistency(&proof, old, new, &r1, &r2)?;
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "old_size": old, "new_size": new,
                        "old_root": hex::encode(r1), "new_root": hex::encode(r2),
                        "proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
                    }))?
                );
            } else {
                outln!(
                    "Consistency proof: the first {old} entries are unchanged in the tree of {new}"
                );
                outln!("  old root: {}", hex::encode(r1));
                outln!("  new root: {}", hex::encode(r2));
                outln!("  proof ({} hashes):", proof.len());
                for h in &proof {
                    outln!("    {}", b64(h));
                }
                outln!("Checked: the proof leads from the old root to the new one.");
            }
        }
    }
    Ok(Status::Clean)
}

fn parse_date(flag: &str, text: &str) -> Result<jiff::civil::Date> {
    text.trim()
        .parse()
        .with_context(|| format!("--{flag} {text:?} is not a date; write it as 2025-01-31"))
}

fn review(ctx: &Ctx, a: ReviewArgs) -> Result<Status> {
    use disclosure_ledger::review::{self, Period, ReviewOptions};
    let period = Period::parse(a.period.trim())
        .ok_or_else(|| anyhow!("--period {:?} is not one of month, quarter, year", a.period))?;
    let opts = ReviewOptions {
        from: a
            .from
            .as_deref()
            .map(|t| parse_date("from", t))
            .transpose()?,
        to: a.to.as_deref().map(|t| parse_date("to", t)).transpose()?,
        period,
        top: a.top,
        as_of: match &a.as_of {
            Some(t) => parse_time("as-of", t)?,
            None => Timestamp::now(),
        },
        progress: Default::default(),
    };
    let store = ctx.open_reader(ctx.path()?)?;
    let (progress, bar) = progress_hook(store.len()?, "reading");
    let opts = ReviewOptions { progress, ..opts };
    let report = review::build_review(&store, &opts)?;
    bar.finish_and_clear();
    let write = |content: String| -> Result<()> {
        match &a.out {
            Some(path) => {
                fs::write(path, content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("Wrote {}.", path.display());
            }
            None => out!("{content}"),
        }
        Ok(())
    };
    match a.format.as_str() {
        "text" => write(review::render_text(&report))?,
        "json" => write(serde_json::to_string_pretty(&report)? + "\n")?,
        "html" => write(review::render_html(&report))?,
        "csv" => {
            let dir = a
                .out
                .as_deref()
                .ok_or_else(|| anyhow!("--format csv writes a directory of tables: pass -o DIR"))?;
            review::write_csv_dir(&report, dir)?;
            eprintln!(
                "Wrote {} CSV tables to {}.",
                review::CSV_TABLES.len(),
                dir.display()
            );
        }
        other => bail!("--format {other:?} is not one of text, csv, json, html"),
    }
    Ok(Status::Clean)
}

fn read_entry(store: &Store, seq: u64) -> Result<(Entry, String)> {
    let record = store.get(seq)?.ok_or_else(|| {
        anyhow!(
            "there is no entry #{seq}; the ledger has {} entries (0 to {})",
            store.len().unwrap_or(0),
            store.len().unwrap_or(1).saturating_sub(1)
        )
    })?;
    let entry = decode_entry(&record.bytes)
        .with_context(|| format!("entry #{seq} cannot be decoded; run `dledger verify`"))?;
    Ok((entry, hex::encode(leaf_hash(&record.bytes))))
}

fn show(ctx: &Ctx, a: ShowArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    let (entry, hash) = read_entry(&store, a.seq)?;
    if a.json {
        let mut v = serde_json::to_value(&entry)?;
        v["hash"] = serde_json::Value::String(hash);
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("{}", describe::full(&entry, &hash));
    }
    Ok(Status::Clean)
}

struct Filter {
    from: Option<Timestamp>,
    to: Option<Timestamp>,
    party: Option<PartyId>,
    company: Option<CompanyId>,
    theme: Option<ThemeId>,
    category: Option<CategoryKind>,
    kind: Option<String>,
}

impl Filter {
    fn new(a: &ListArgs) -> Result<Filter> {
        let to = match &a.to {
            // A date-only bound includes the whole day.
            Some(t) if t.trim().len() == 10 => Some(parse_time("to", t)?.plus_seconds(86_399)),
            Some(t) => Some(parse_time("to", t)?),
            None => None,
        };
        let kind = a.kind.clone();
        if let Some(k) = &kind
            && !ALL_KINDS.iter().any(|x| x.as_str() == k)
        {
            bail!(
                "--kind {k:?} is not an entry kind; use one of {}",
                ALL_KINDS
                    .iter()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(Filter {
            from: a
                .from
                .as_deref()
                .map(|t| parse_time("from", t))
                .transpose()?,
            to,
            party: a.party.as_deref().map(PartyId::new).transpose()?,
            company: a.company.as_deref().map(CompanyId::new).transpose()?,
            theme: a.theme.as_deref().map(ThemeId::new).transpose()?,
            category: a
                .category
                .as_deref()
                .map(|c| {
                    CategoryKind::parse(c).ok_or_else(|| {
                        anyhow!(
                            "--category {c:?} is not a category; use one of {}",
                            CategoryKind::ALL.map(|k| k.as_str()).join(", ")
                        )
                    })
                })
                .transpose()?,
            kind,
        })
    }

    fn matches(&self, e: &Entry) -> bool {
        let disclosure = match &e.body {
            Body::Disclosure(d) => Some(d),
            _ => None,
        };
        let when = disclosure.map_or(e.recorded_at, |d| d.disclosed_at);
        if self.from.is_some_and(|f| when < f) || self.to.is_some_and(|t| when > t) {
            return false;
        }
        if self
            .kind
            .as_deref()
            .is_some_and(|k| e.body.kind().as_str() != k)
        {
            return false;
        }
        if let Some(p) = &self.party {
            let involved = &e.signer.party == p || disclosure.is_some_and(|d| &d.to == p);
            if !involved {
                return false;
            }
        }
        let needs_disclosure =
            self.company.is_some() || self.theme.is_some() || self.category.is_some();
        if needs_disclosure {
            let Some(d) = disclosure else { return false };
            if self
                .company
                .as_ref()
                .is_some_and(|c| !d.category.companies().iter().any(|x| &x.id == c))
            {
                return false;
            }
            if self
                .theme
                .as_ref()
                .is_some_and(|t| !d.category.themes().contains(t))
            {
                return false;
            }
            if self.category.is_some_and(|c| d.category.kind() != c) {
                return false;
            }
        }
        true
    }
}

const ALL_KINDS: [EntryKind; 13] = [
    EntryKind::Genesis,
    EntryKind::KeyAdded,
    EntryKind::KeyRotated,
    EntryKind::KeyRevoked,
    EntryKind::PolicyAdopted,
    EntryKind::ThemeDeclared,
    EntryKind::ThemeRetired,
    EntryKind::DesignationProposed,
    EntryKind::DesignationConfirmed,
    EntryKind::DesignationEnded,
    EntryKind::Disclosure,
    EntryKind::Acknowledgement,
    EntryKind::Correction,
];

fn list(ctx: &Ctx, a: ListArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    if a.themes || a.companies || a.keys {
        return list_register(&store, &a);
    }
    let filter = Filter::new(&a)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0u64;
    store.scan(0, None, |r| {
        let entry = decode_entry(&r.bytes)
            .with_context(|| format!("entry #{} cannot be decoded; run `dledger verify`", r.key))?;
        if filter.matches(&entry) {
            shown += 1;
            if a.json {
                let mut v = serde_json::to_value(&entry)?;
                v["hash"] = serde_json::Value::String(hex::encode(leaf_hash(&r.bytes)));
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            } else {
                writeln!(out, "{}", describe::one_line(&entry))?;
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    if !a.json {
        writeln!(
            out,
            "{shown} entr{} shown.",
            if shown == 1 { "y" } else { "ies" }
        )?;
    }
    Ok(Status::Clean)
}

fn list_register(store: &Store, a: &ListArgs) -> Result<Status> {
    let reg = disclosure_ledger::ledger::open_registers(store)?;
    let now = Timestamp::now();
    if a.themes {
        for (id, t) in &reg.themes {
            let state = if reg.theme_in_force(id, now) {
                "in force"
            } else {
                "retired"
            };
            let since: Vec<String> = t
                .in_force
                .iter()
                .map(|i| match i.until {
                    Some(u) => format!("{} to {}", i.from.london_date(), u.london_date()),
                    None => format!("since {}", i.from.london_date()),
                })
                .collect();
            outln!("{id:<40} {state:<9} {}  — {}", since.join("; "), t.title);
        }
    } else if a.companies {
        for (id, c) in &reg.companies {
            let state = if reg.is_mutual(id, now) {
                "mutual interest"
            } else if c.proposals.iter().any(|p| p.open) {
                "proposed"
            } else if !c.mutual.is_empty() {
                "ended"
            } else if !c.proposals.is_empty() {
                "not mutual"
            } else {
                "not designated"
            };
            outln!("{id:<20} {state:<16} {}", c.name);
        }
    } else {
        for (party, p) in &reg.parties {
            for (id, k) in &p.keys {
                let state = match k.ended_at {
                    Some(s) => format!("ended at {s}"),
                    None => "valid".to_owned(),
                };
                outln!(
                    "{party:<6} {id}  {:<20} added at {:<6} {state}",
                    k.record.name,
                    k.added_at.to_string()
                );
            }
        }
    }
    Ok(Status::Clean)
}

fn export_cmd(ctx: &Ctx, a: ExportArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    let n = match &a.out {
        Some(path) => {
            let file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| {
                    format!(
                        "cannot create {} (export never overwrites a file)",
                        path.display()
                    )
                })?;
            let mut w = std::io::BufWriter::new(file);
            let n = export::export(&store, &mut w)?;
            w.flush()?;
            eprintln!("Exported {n} entries to {}.", path.display());
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            let n = export::export(&store, &mut w)?;
            w.flush()?;
            n
        }
    };
    let _ = n;
    Ok(Status::Clean)
}

fn import_cmd(ctx: &Ctx, a: ImportArgs) -> Result<Status> {
    if let Some(key) = &a.key {
        if a.new_ledger.is_some() {
            bail!(
                "with --key, disclosures are recorded into the ledger given by --ledger; drop the \
                 second path (it names a new ledger only when importing an export)"
            );
        }
        let key = load_key(key)?;
        let items = disclosure_ledger::bulk::read_disclosures(&a.input)?;
        let total = items.len() as u64;
        let mut ledger = ctx.open_writer()?;
        let started = Instant::now();
        let bar = progress_bar(total, "recording");
        let report = disclosure_ledger::bulk::import_disclosures(
            &mut ledger,
            items,
            &key,
            Timestamp::now(),
            a.batch_size,
            |n| bar.set_position(n),
        )?;
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        outln!(
            "Recorded {} disclosures as entries #{} to #{} in {} durable commits ({:.0} disclosures/s).",
            report.recorded,
            report.first,
            report.last,
            report.batches,
            report.recorded as f64 / secs.max(1e-9)
        );
        return Ok(Status::Clean);
    }
    let target = a.new_ledger.as_deref().ok_or_else(|| {
        anyhow!("name the new ledger to create: dledger import EXPORT.jsonl NEW.ledger (or pass --key to record disclosures)")
    })?;
    let file =
        fs::File::open(&a.input).with_context(|| format!("cannot read {}", a.input.display()))?;
    let n = export::import(BufReader::new(file), target)?;
    outln!(
        "Imported {n} entries into {}; every entry verified.",
        target.display()
    );
    Ok(Status::Clean)
}

fn upgrade_cmd(a: UpgradeArgs) -> Result<Status> {
    let c = disclosure_ledger::upgrade::upgrade(&a.old, &a.new)?;
    outln!(
        "Converted {} to store version {} in {}: {} entries, {} vault values, {} erasure \
         records, {} checkpoints; every entry verified. {} is unchanged.",
        a.old.display(),
        disclosure_ledger::store::STORE_VERSION,
        a.new.display(),
        c.entries,
        c.vault_values,
        c.erasures,
        c.checkpoints,
        a.old.display()
    );
    Ok(Status::Clean)
}

/// A progress bar over `len` entries (see [`progress_bar`]) and the hook that moves it, for the
/// options of a long library call.
fn progress_hook(len: u64, what: &str) -> (Progress, indicatif::ProgressBar) {
    let bar = progress_bar(len, what);
    let shown = bar.clone();
    (Progress::new(move |n| shown.set_position(n)), bar)
}

/// A progress bar on standard error, shown only when it is a terminal.
fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

fn reindex_cmd(ctx: &Ctx, path: Option<&Path>) -> Result<Status> {
    let path = match path {
        Some(p) => p,
        None => ctx.path()?,
    };
    let references = ctx.retry(
        || disclosure_ledger::ledger::reindex(path),
        |e| e.is_locked(),
    )?;
    outln!(
        "Rebuilt the register snapshot and references index of {} ({references} references) \
         from its entries; no entry was changed. Run `dledger verify` to check.",
        path.display()
    );
    Ok(Status::Clean)
}

fn verify(ctx: &Ctx, a: VerifyArgs) -> Result<Status> {
    let path = match &a.path {
        Some(p) => p.as_path(),
        None => ctx.path()?,
    };
    let only = a
        .only
        .as_deref()
        .map(|c| {
            FlagCode::from_code(c.trim()).ok_or_else(|| {
                anyhow!("--only {c:?} is not a policy flag; run `dledger explain` to list them")
            })
        })
        .transpose()?;
    let until = match &a.until {
        Some(t) if t.trim().len() == 10 => Some(parse_time("until", t)?.plus_seconds(86_399)),
        Some(t) => Some(parse_time("until", t)?),
        None => None,
    };
    let filter = FlagFilter {
        only,
        since: a
            .since
            .as_deref()
            .map(|t| parse_time("since", t))
            .transpose()?,
        until,
    };
    let mut opts = VerifyOptions::default();
    if let Some(t) = &a.as_of {
        opts.as_of = parse_time("as-of", t)?;
    }
    let store = ctx.open_reader(path)?;
    let (progress, bar) = progress_hook(store.len()?, "verifying");
    opts.progress = progress;
    let report = if a.since_checkpoint {
        use disclosure_ledger::incremental;
        let state = a
            .state
            .clone()
            .unwrap_or_else(|| incremental::default_state_path(path));
        let (report, next) = match incremental::load_state(&state)? {
            Some(point) => incremental::verify_since(&store, &point, &opts, &filter)?,
            None => {
                eprintln!(
                    "No verification state at {}: checking every entry this time.",
                    state.display()
                );
                incremental::verify_from_start(&store, &opts, &filter)?
            }
        };
        match next {
            Some(point) => {
                incremental::save_state(&state, &point)?;
                eprintln!(
                    "Saved the verification state at {} (cosigned checkpoint of size {}); the \
                     next --since-checkpoint run checks only what comes after it.",
                    state.display(),
                    point.size
                );
            }
            None if report.integrity.status == IntegrityStatus::Intact => eprintln!(
                "No newer cosigned checkpoint to move the verification state on to; the next \
                 run checks from the same point (make one with `dledger checkpoint` and have \
                 the other party `cosign` it)."
            ),
            None => {}
        }
        report
    } else {
        verify_ledger(&store, &opts, &filter)?
    };
    bar.finish_and_clear();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", report.to_text(&path.display().to_string()));
    }
    Ok(match report.outcome() {
        Outcome::Clean => Status::Clean,
        Outcome::Flags => Status::Flags,
        Outcome::IntegrityFailure => Status::Failure,
    })
}

fn explain(a: ExplainArgs) -> Result<Status> {
    let Some(code) = a.code else {
        outln!("Policy flags (exit code 1; a disclosure needs a second look):");
        for info in CATALOGUE {
            outln!(
                "  {:<34} {:<7} {}",
                info.code.code(),
                info.severity.as_str(),
                info.title
            );
        }
        outln!("\nIntegrity failures (exit code 2; the ledger cannot be trusted):");
        for k in IntegrityKind::ALL {
            outln!("  {}", k.code());
        }
        outln!("\nRun `dledger explain CODE` for one of them.");
        return Ok(Status::Clean);
    };
    let code = code.trim();
    if let Some(flag) = FlagCode::from_code(code) {
        let info = flag.info();
        outln!("{} — {}", info.code, info.title);
        outln!(
            "Policy flag, severity {}; 2024 ICO–Ofcom joint statement {}.\n",
            info.severity.as_str(),
            info.sections
        );
        outln!(
            "What the statement says:\n{}\n",
            indent(&textwrap(info.statement, 74))
        );
        outln!("What to check:\n{}", indent(&textwrap(info.check, 74)));
        return Ok(Status::Clean);
    }
    let kind = IntegrityKind::from_code(code).ok_or_else(|| {
        anyhow!("{code:?} is not a finding code; run `dledger explain` to list them")
    })?;
    outln!("{} (integrity failure)\n", kind.code());
    outln!("{}", textwrap(kind.explanation(), 78));
    Ok(Status::Clean)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn textwrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}
