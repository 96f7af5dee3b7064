//! The commands that record entries: `init`, `keygen`, `disclose`, `ack`, `correct`, `theme`,
//! `company` and `key`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use disclosure_ledger::describe;
use disclosure_ledger::files;
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::{PublicKey, SecretKey, save_public};
use disclosure_ledger::ledger::{
    AppendError, Ledger, PartyInit, Pending, fresh_salt, policy_document,
};
use disclosure_ledger::model::{CompanyId, Entry, KeyId, PartyId, Seq, ThemeId, Timestamp};
use disclosure_ledger::policy::{DEFAULT_POLICY, DEFAULT_POLICY_LABEL};

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;

pub(super) fn default_party_name(id: &str) -> &str {
    match id {
        "ICO" => "Information Commissioner's Office",
        "OFCOM" => "Ofcom",
        "CMA" => "Competition and Markets Authority",
        "FCA" => "Financial Conduct Authority",
        other => other,
    }
}

pub(super) fn init(a: InitArgs) -> Result<Status> {
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
            files::read_limited_string(p, files::POLICY_FILE_LIMIT, "policy file")?,
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

pub(super) fn keygen(a: KeygenArgs) -> Result<Status> {
    let key = SecretKey::generate(&a.name)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{}.key", a.name)));
    // A private key's directory that does not exist yet is made owner-only (0700), like
    // ~/.ssh: `--out ~/.dledger/ico-2026.key` works on a new machine.
    if let Some(dir) = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| {
                format!("cannot create the directory {} for the key", dir.display())
            })?;
    }
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

pub(super) fn parse_fields(fields: &[String]) -> Result<BTreeMap<String, String>> {
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

pub(super) fn disclosure_input(a: &DiscloseArgs) -> Result<DisclosureInput> {
    if let Some(path) = &a.from_json {
        let text =
            files::read_limited_string(path, files::DISCLOSURE_JSON_LIMIT, "disclosure JSON file")?;
        return DisclosureInput::from_json(&text).with_context(|| format!("in {}", path.display()));
    }
    let notification = match (&a.skipped, a.notified) {
        (Some(reason), false) => format!("skipped: {}", reason.trim()),
        (None, true) => "notified".to_owned(),
        _ => bail!(
            "say whether the service was told beforehand: --notified, or --skipped (statement §4 \
             expects routine disclosures without prior notification; give a reason, --skipped \
             \"REASON\", for a case-by-case one)"
        ),
    };
    Ok(DisclosureInput {
        from: a.from.clone().unwrap_or_default(),
        to: a.to.clone().unwrap_or_default(),
        disclosed_at: a.at.clone().unwrap_or_default(),
        gateway: a.gateway.clone(),
        category: a
            .category
            .map(|c| c.0.as_str().to_owned())
            .unwrap_or_default(),
        information_notice: a.information_notice,
        companies: a.companies.clone(),
        themes: a.themes.clone(),
        fields: parse_fields(&a.fields)?,
        notification,
        relevance: a.relevance.clone(),
        function: a.function.clone(),
        necessity: a.necessity.clone(),
        power: a.power.clone(),
        agreement: a.agreement.clone(),
        outcome: a.outcome.clone(),
        reasoning: a.reasoning.clone(),
        joint_engagement: a.joint_engagement.clone(),
        public_source: a.public_source.clone(),
        assessment_reference: a.assessment.clone(),
        assessment_approver: a.approver.clone(),
        officer_role: a
            .officer_role
            .clone()
            .ok_or_else(|| anyhow!("--officer-role is required: your role, e.g. \"Online Safety supervision team\" (no names)"))?,
    })
}

pub(super) fn append_one(
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

/// Records a format 2 proposal (theme, policy or designation act) and says who must confirm
/// it before it takes effect, and how.
/// With `confirm_keys`, the confirmations are recorded at once, in force from `agreed` (a
/// register agreed before the ledger began) or from now.
pub(super) fn append_proposal(
    ctx: &Ctx,
    key_path: &Path,
    confirm_keys: &[PathBuf],
    agreed: Option<&str>,
    what: &str,
    build: impl FnOnce(&Ledger, &SecretKey, Timestamp) -> Result<Pending, AppendError>,
) -> Result<Status> {
    let agreed = agreed.map(|t| parse_time("agreed", t)).transpose()?;
    let key = load_key(key_path)?;
    let confirmers = confirm_keys
        .iter()
        .map(|k| load_key(k))
        .collect::<Result<Vec<_>>>()?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    let pending = build(&ledger, &key, now)?;
    if !confirmers.is_empty() {
        // Both regulators at hand (a joint set-up): the proposal and every confirmation are
        // one all-or-nothing commit.
        let mut batch = ledger.begin()?;
        let proposal = batch.push(pending, &key, now)?;
        print_receipt(what, &proposal)?;
        for k in &confirmers {
            let party = batch.ledger().party_of(k)?;
            let c = batch
                .ledger()
                .prepare_confirmation(proposal.seq, &party, agreed, now)?;
            batch.push(c, k, now)?;
        }
        let receipts = batch.commit()?;
        for r in receipts.iter().skip(1) {
            print_receipt("the confirmation", r)?;
        }
    } else {
        let receipt = ledger.append(pending, &key, now)?;
        print_receipt(what, &receipt)?;
        return waiting_note(&ledger, receipt.seq);
    }
    Ok(Status::Clean)
}

fn waiting_note(ledger: &Ledger, seq: Seq) -> Result<Status> {
    if let Some(p) = ledger.registers().pending.get(&seq) {
        let waiting: Vec<&str> = p.waiting().map(|w| w.as_str()).collect();
        outln!(
            "It takes effect once {} confirm{} it: dledger confirm {} --key <{} key> \
             [--effective DATE]",
            waiting.join(" and "),
            if waiting.len() == 1 { "s" } else { "" },
            seq.0,
            waiting.join("/")
        );
    }
    Ok(Status::Clean)
}

/// `confirm N`: a party the proposal binds confirms it.
pub(super) fn confirm(ctx: &Ctx, a: ConfirmArgs) -> Result<Status> {
    let effective = a
        .effective
        .as_deref()
        .map(|t| parse_time("effective", t))
        .transpose()?;
    append_one(ctx, &a.key, "the confirmation", |l, key, now| {
        l.prepare_confirmation(Seq(a.seq), &l.party_of(key)?, effective, now)
    })
}

/// Field names that look like one of the disclosure's own options, and how that option is
/// given: a value shared as a field is only a field (it does not record, say, the public
/// source the policy asks for).
const OPTION_LIKE_FIELDS: &[(&str, &str)] = &[
    (
        "source_reference",
        "--public-source (\"public_source\" in JSON)",
    ),
    (
        "public_source",
        "--public-source (\"public_source\" in JSON)",
    ),
    ("source", "--public-source (\"public_source\" in JSON)"),
    ("relevance", "--relevance"),
    ("gateway", "--gateway"),
    (
        "assessment",
        "--assessment (\"assessment_reference\" in JSON)",
    ),
    (
        "assessment_reference",
        "--assessment (\"assessment_reference\" in JSON)",
    ),
    ("approver", "--approver (\"assessment_approver\" in JSON)"),
    (
        "assessment_approver",
        "--approver (\"assessment_approver\" in JSON)",
    ),
    ("notification", "--notified or --skipped [REASON]"),
    ("officer_role", "--officer-role"),
    ("function", "--function"),
    ("necessity", "--necessity"),
    ("power", "--power"),
    ("agreement", "--agreement"),
    ("outcome", "--outcome"),
    ("reasoning", "--reasoning"),
    ("joint_engagement", "--joint-engagement"),
];

/// Warns (on standard error) about each field named like one of the disclosure's options.
fn warn_option_like_fields(input: &DisclosureInput) {
    for name in input.fields.keys() {
        let option = OPTION_LIKE_FIELDS
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, option)| *option)
            .or_else(|| {
                (name == "information_notice" && !input.information_notice)
                    .then_some("--information-notice (\"information_notice\": true in JSON)")
            });
        if let Some(option) = option {
            eprintln!(
                "warning: field {name} is shared as a field value only; the ledger records it as \
                 part of the disclosure only when given with {option}"
            );
        }
    }
}

pub(super) fn disclose(ctx: &Ctx, a: DiscloseArgs) -> Result<Status> {
    let input = disclosure_input(&a)?;
    warn_option_like_fields(&input);
    let key = load_key(&a.key)?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    let pending = ledger.prepare_disclosure(&input, &key, now, &mut fresh_salt)?;
    warn_undeclared_themes(&ledger, &pending);
    record_judged(&mut ledger, pending, &key, now, "the disclosure", a.dry_run)
}

/// Warns (on standard error) about each theme a disclosure names that the ledger has never
/// declared. Themes "will be added to over time" (statement §6), so such a disclosure is
/// recorded, and flagged `theme-not-in-force` for review; a mistyped id is caught here.
fn warn_undeclared_themes(ledger: &Ledger, pending: &Pending) {
    let disclosure_ledger::model::Body::Disclosure(d) = &pending.body else {
        return;
    };
    let known = &ledger.registers().themes;
    for theme in d.category.themes() {
        if known.contains_key(theme) {
            continue;
        }
        let listed = if known.is_empty() {
            "no theme has been declared yet".to_owned()
        } else {
            let ids: Vec<&str> = known.keys().map(|t| t.as_str()).collect();
            format!("declared: {}", ids.join(", "))
        };
        eprintln!(
            "warning: theme {theme} has not been declared in this ledger ({listed}); the \
             disclosure is recorded with it and flagged theme-not-in-force. Check the id, or \
             declare it with `dledger theme declare {theme} --title ...`"
        );
    }
}

/// Records a disclosure, or a correction carrying a replacement disclosure, showing the flags
/// the policy in force raises on it — or, with `dry_run`, shows the entry and its flags and
/// writes nothing. A disclosure that raises flags is still recorded: the ledger records what
/// happened, and the officer sees the flags at once (exit 1).
fn record_judged(
    ledger: &mut Ledger,
    pending: Pending,
    key: &SecretKey,
    now: Timestamp,
    what: &str,
    dry_run: bool,
) -> Result<Status> {
    let flags = ledger.flags_for(&pending, now);
    if dry_run {
        let entry = Entry {
            version: disclosure_ledger::model::FORMAT_VERSION,
            seq: ledger.next_seq(),
            // The entry it would follow: the ledger's head.
            prev: ledger
                .registers()
                .head
                .map_or(disclosure_ledger::model::EntryHash::ZERO, |(_, hash, _)| {
                    disclosure_ledger::model::EntryHash(hash)
                }),
            recorded_at: now,
            signer: disclosure_ledger::model::Signer {
                party: ledger.party_of(key)?,
                key_id: key.public().key_id,
            },
            body: pending.body,
        };
        out!("{}", describe::full(&entry, "(not recorded: dry run)"));
        print_flags(&flags, "would raise")?;
        outln!("Dry run: {what} is valid; nothing was written.");
    } else {
        let receipt = ledger.append(pending, key, now)?;
        print_receipt(what, &receipt)?;
        print_flags(&flags, "raises")?;
    }
    Ok(if flags.is_empty() {
        Status::Clean
    } else {
        Status::Flags
    })
}

pub(super) fn ack(ctx: &Ctx, a: AckArgs) -> Result<Status> {
    let received = a
        .received_at
        .as_deref()
        .map(|t| parse_time("received-at", t))
        .transpose()?;
    append_one(ctx, &a.key, "the acknowledgement", |l, key, now| {
        l.prepare_ack(Seq(a.seq), received.unwrap_or(now), key, now)
    })
}

/// `dledger refuse`: a decision not to disclose, with its assessment.
pub(super) fn refuse(ctx: &Ctx, a: RefuseArgs) -> Result<Status> {
    use disclosure_ledger::model::{Assessment, CompanyId, PartyId, ThemeId};
    let decided_at = parse_time("at", &a.at)?;
    let to = PartyId::new(a.to.trim()).with_context(|| format!("--to {:?}", a.to))?;
    let companies = a
        .companies
        .iter()
        .map(|c| CompanyId::new(c.trim()).with_context(|| format!("--company {c:?}")))
        .collect::<Result<Vec<_>>>()?;
    let themes = a
        .themes
        .iter()
        .map(|t| ThemeId::new(t.trim()).with_context(|| format!("--theme {t:?}")))
        .collect::<Result<Vec<_>>>()?;
    let key = load_key(&a.key)?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    if decided_at > now.plus_seconds(disclosure_ledger::ledger::FUTURE_TOLERANCE_SECS) {
        bail!(
            "--at {} is in the future; record a decision once it is made",
            a.at
        );
    }
    let pending = ledger.prepare_refusal(
        &key,
        to,
        decided_at,
        &companies,
        themes,
        Assessment {
            reference: a.assessment.trim().to_owned(),
            approver: a.approver.trim().to_owned(),
        },
        &a.reasoning,
        &a.officer_role,
    )?;
    if a.dry_run {
        ledger.check(pending.body, &key, now)?;
        outln!("Dry run: the refusal is valid; nothing was written.");
        return Ok(Status::Clean);
    }
    let receipt = ledger.append(pending, &key, now)?;
    print_receipt("the refusal", &receipt)?;
    Ok(Status::Clean)
}

/// `dledger flag dispose`: refused unless `verify` raises the flag on the entry now.
pub(super) fn dispose(ctx: &Ctx, a: DisposeArgs) -> Result<Status> {
    use disclosure_ledger::model::DispositionAction;
    use disclosure_ledger::policy::FlagCode;
    let code = FlagCode::from_code(a.code.trim()).ok_or_else(|| {
        anyhow!(
            "{:?} is not a flag code; run `dledger explain` to list them",
            a.code
        )
    })?;
    let action = match a.action {
        DispositionArg::ReviewedNoAction => DispositionAction::ReviewedNoAction,
        DispositionArg::AcceptedException => DispositionAction::AcceptedException,
        DispositionArg::Escalated => DispositionAction::Escalated,
        DispositionArg::Remediated => DispositionAction::Remediated,
    };
    let key = load_key(&a.key)?;
    let now = Timestamp::now();
    let seq = Seq(a.seq);
    let raised = {
        let store = ctx.open_reader(ctx.path()?)?;
        let len = store.len()?;
        if a.seq >= len {
            bail!(
                "{seq} is not in the ledger (its entries are #0 to #{}); nothing was written",
                len.saturating_sub(1)
            );
        }
        disclosure_ledger::dispositions::flags_on(&store, seq, now)?
    };
    let Some((flag, earlier)) = raised.iter().find(|(f, _)| f.code == code) else {
        let codes: Vec<&str> = raised.iter().map(|(f, _)| f.code.code()).collect();
        bail!(
            "{seq} does not raise {code} (as verify judges it now){}; nothing was written",
            if codes.is_empty() {
                " — it raises no flag".to_owned()
            } else {
                format!(" — it raises {}", codes.join(", "))
            }
        );
    };
    let body = disclosure_ledger::dispositions::disposition(
        seq,
        code,
        action,
        a.correction.map(Seq),
        &a.note,
        &a.role,
    );
    let mut ledger = ctx.open_writer()?;
    outln!("Flag {code} on {seq}: {}", flag.message);
    if let Some(d) = earlier {
        outln!("Already disposed of: {}", d.describe());
    }
    if a.dry_run {
        // Checked as it would be appended, read-only.
        ledger.check(body, &key, now)?;
        outln!(
            "Dry run: the disposition ({}) is valid; nothing was written.",
            action.as_str()
        );
        return Ok(Status::Clean);
    }
    let receipt = ledger.append(body.into(), &key, now)?;
    print_receipt("the disposition", &receipt)?;
    Ok(Status::Clean)
}

pub(super) fn correct(ctx: &Ctx, a: CorrectArgs) -> Result<Status> {
    let replacement = match &a.replacement_json {
        Some(p) => Some(
            DisclosureInput::from_json(&files::read_limited_string(
                p,
                files::DISCLOSURE_JSON_LIMIT,
                "disclosure JSON file",
            )?)
            .with_context(|| format!("in {}", p.display()))?,
        ),
        None => None,
    };
    let key = load_key(&a.key)?;
    let mut ledger = ctx.open_writer()?;
    let now = Timestamp::now();
    let pending = ledger.prepare_correction(
        Seq(a.seq),
        &a.reason,
        replacement.as_ref(),
        &key,
        now,
        &mut fresh_salt,
    )?;
    // A replacement is a disclosure: judged exactly like a new one, on the date it states.
    record_judged(&mut ledger, pending, &key, now, "the correction", a.dry_run)
}

pub(super) fn theme(ctx: &Ctx, c: ThemeCommand) -> Result<Status> {
    match c {
        ThemeCommand::Declare {
            id,
            title,
            description,
            key,
            confirm_key,
            agreed,
            ..
        } => {
            let id = ThemeId::new(id)?;
            append_proposal(
                ctx,
                &key,
                &confirm_key,
                agreed.as_deref(),
                "the proposed theme declaration",
                |l, _, now| l.prepare_theme_declared(id, &title, &description, now),
            )
        }
        ThemeCommand::Retire {
            id,
            reason,
            key,
            confirm_key,
            agreed,
            ..
        } => {
            let id = ThemeId::new(id)?;
            append_proposal(
                ctx,
                &key,
                &confirm_key,
                agreed.as_deref(),
                "the proposed theme retirement",
                |l, _, now| l.prepare_theme_retired(id, &reason, now),
            )
        }
    }
}

pub(super) fn company(ctx: &Ctx, c: CompanyCommand) -> Result<Status> {
    match c {
        CompanyCommand::Propose {
            id,
            name,
            rationale,
            with,
            key,
            confirm_key,
            agreed,
            ..
        } => {
            let id = CompanyId::new(id)?;
            let with = with.map(PartyId::new).transpose()?;
            let agreed = agreed.as_deref();
            append_proposal(
                ctx,
                &key,
                &confirm_key,
                agreed,
                "the proposal",
                |l, k, now| {
                    let by = l.party_of(k)?;
                    l.prepare_company_proposed(id, name.as_deref(), &rationale, &by, with, now)
                },
            )
        }
        CompanyCommand::Confirm {
            id, effective, key, ..
        } => {
            let id = CompanyId::new(id)?;
            let effective = effective
                .as_deref()
                .map(|t| parse_time("effective", t))
                .transpose()?;
            append_one(ctx, &key, "the confirmation", |l, k, now| {
                l.prepare_company_confirmed(id, &l.party_of(k)?, effective, now)
            })
        }
        CompanyCommand::End {
            id,
            reason,
            with,
            key,
            ..
        } => {
            let id = CompanyId::new(id)?;
            let with = with.map(PartyId::new).transpose()?;
            append_one(ctx, &key, "the end of designation", |l, k, now| {
                l.prepare_company_ended(id, &reason, &l.party_of(k)?, with, now)
            })
        }
    }
}

pub(super) fn key(ctx: &Ctx, c: KeyCommand) -> Result<Status> {
    match c {
        KeyCommand::Add { public, key, .. } => {
            let new = PublicKey::load(&public)?;
            append_one(ctx, &key, "the new key", |l, k, _| {
                Ok(l.prepare_key_added(l.party_of(k)?, &new))
            })
        }
        KeyCommand::Rotate { public, key, .. } => {
            let new = PublicKey::load(&public)?;
            append_one(ctx, &key, "the key rotation", |l, k, _| {
                Ok(l.prepare_key_rotated(l.party_of(k)?, k.public().key_id, &new))
            })
        }
        KeyCommand::Revoke {
            key_id,
            reason,
            key,
            ..
        } => {
            let given = key_id.trim().to_owned();
            let by_id: Option<[u8; 4]> = hex::decode(&given).ok().and_then(|b| b.try_into().ok());
            append_one(ctx, &key, "the key revocation", |l, k, _| {
                let party = l.party_of(k)?;
                let id = match by_id {
                    Some(raw) => KeyId(raw),
                    None => l.registers().key_named(&party, &given).ok_or_else(|| {
                        AppendError::UnknownKeyName {
                            party: party.clone(),
                            name: given.clone(),
                        }
                    })?,
                };
                Ok(l.prepare_key_revoked(party, id, &reason))
            })
        }
    }
}
