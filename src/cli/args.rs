//! Command-line arguments (clap). Every command's `--help` ends with an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use disclosure_ledger::model::{CategoryKind, EntryKind};

/// dledger: a tamper-evident, signed ledger of what regulators disclose to each other.
#[derive(Debug, Parser)]
#[command(
    name = "dledger",
    version,
    about,
    after_help = "Exit codes: 0 clean, 1 policy flags found, 2 integrity failure or error.\n\n\
Example:\n  dledger verify fixtures/sample.ledger"
)]
pub(crate) struct Cli {
    /// The ledger, and how long to wait for its lock (also accepted after the command, which
    /// is where each command that opens a ledger lists them).
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The options of every command that opens a ledger: which one, and how long to wait for it.
/// Commands that open none (keygen, init, verify-evidence, upgrade, explain, completions, man)
/// do not offer them.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct LedgerArgs {
    /// The ledger file (or set DLEDGER_LEDGER); or a node's URL, read and written through a
    /// replica kept for it (docs/OPERATIONS.md).
    #[arg(short = 'l', long, env = "DLEDGER_LEDGER")]
    pub ledger: Option<PathBuf>,
    /// If the ledger is locked by another writer, retry for up to this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait: u64,
    /// The node operating the log (http://HOST:PORT or https://...): the ledger file is then
    /// your verified replica of it, brought up to date first; entries you record are signed
    /// here and submitted to the node (docs/OPERATIONS.md).
    #[arg(long, value_name = "URL", env = "DLEDGER_REMOTE")]
    pub remote: Option<String>,
    /// The PEM certificate of the authority that signed the node's TLS certificate (https).
    #[arg(long, value_name = "PEM", env = "DLEDGER_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
}

impl Command {
    /// The ledger options given after the command, for the commands that open a ledger.
    pub(crate) fn ledger_args(&self) -> Option<&LedgerArgs> {
        use Command as C;
        Some(match self {
            C::Init(_)
            | C::Keygen(_)
            | C::VerifyEvidence(_)
            | C::Upgrade(_)
            | C::Explain(_)
            | C::Completions { .. }
            | C::Man => return None,
            C::Disclose(a) => &a.lg,
            C::Ack(a) => &a.lg,
            C::Refuse(a) => &a.lg,
            C::Flag(FlagCommand::Dispose(a)) => &a.lg,
            C::Correct(a) => &a.lg,
            C::Theme(ThemeCommand::Declare { lg, .. } | ThemeCommand::Retire { lg, .. }) => lg,
            C::Confirm(a) => &a.lg,
            C::Company(
                CompanyCommand::Propose { lg, .. }
                | CompanyCommand::Confirm { lg, .. }
                | CompanyCommand::End { lg, .. },
            ) => lg,
            C::Key(
                KeyCommand::Add { lg, .. }
                | KeyCommand::Rotate { lg, .. }
                | KeyCommand::Revoke { lg, .. },
            ) => lg,
            C::Policy(PolicyCommand::Adopt { lg, .. } | PolicyCommand::Show { lg, .. }) => lg,
            C::Checkpoint { lg, .. } | C::Cosign { lg, .. } | C::Reindex { lg, .. } => lg,
            C::Prove(ProveCommand::Inclusion { lg, .. } | ProveCommand::Consistency { lg, .. }) => {
                lg
            }
            C::Evidence(a) => &a.lg,
            C::Dossier(a) => &a.lg,
            C::Vault(VaultCommand::Erase { lg, .. }) => lg,
            C::Review(a) => &a.lg,
            C::Waiting(a) => &a.lg,
            C::Show(a) => &a.lg,
            C::List(a) => &a.lg,
            C::Export(a) => &a.lg,
            C::Publish(a) => &a.lg,
            C::Serve(a) => &a.lg,
            C::Mirror(_) => return None,
            C::Import(a) => &a.lg,
            C::Verify(a) => &a.lg,
        })
    }
}

/// The commands.
// Parsed once per process; the size difference between variants costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new ledger with its genesis entry.
    #[command(
        after_help = "Example:\n  dledger init ico-ofcom.ledger --origin ledger.example/ico-ofcom \\\n    --party ICO=keys/ico-2025.vkey --party OFCOM=keys/ofcom-2024.vkey --key ico-2025.key"
    )]
    Init(InitArgs),
    /// Make an Ed25519 signing key: private key file (owner-only) and public key under keys/.
    #[command(
        after_help = "Example:\n  dledger keygen ico-2026 --out ~/.dledger/ico-2026.key --public-dir keys"
    )]
    Keygen(KeygenArgs),
    /// Record a disclosure (from flags or a JSON file).
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger disclose --key ofcom-2024.key --from OFCOM --to ICO \\\n    --at 2024-03-03 --gateway \"Communications Act 2003 s393(2)(a)\" \\\n    --category information-request --company brightloop \\\n    --field request_date=2024-03-01 --field response_deadline=2024-03-15 \\\n    --skipped --relevance limb \\\n    --officer-role \"Online Safety supervision team\"\n\n  dledger -l ico-ofcom.ledger disclose --key ofcom-2024.key --from-json disclosure.json"
    )]
    Disclose(DiscloseArgs),
    /// Acknowledge, as the recipient, a disclosure made to you.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger ack 481 --key ico-2025.key --received-at 2025-12-18"
    )]
    Ack(AckArgs),
    /// Record a decision not to disclose: a case-by-case assessment that decided against sharing
    /// (statement §4), so the record shows what was withheld as well as what was shared.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger refuse --key ico-2025.key --to OFCOM --at 2025-06-02 \\\n    --company brightloop --assessment CBC-2025-031 --approver \"Head of Regulatory Supervision\" \\\n    --reasoning \"would prejudice an ongoing investigation\" --officer-role \"Regulatory Supervision\""
    )]
    Refuse(RefuseArgs),
    /// Record what you did about a flag `verify` raised on an entry (statement §6's review).
    #[command(subcommand)]
    Flag(FlagCommand),
    /// Record a correction that supersedes an earlier entry (nothing is edited or deleted).
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger correct 483 --key ofcom-2024.key --reason \"wrong theme\" \\\n    --replacement-json fixed.json"
    )]
    Correct(CorrectArgs),
    /// Propose to declare or retire a Collaboration Theme (statement §2); the other
    /// regulator confirms with `dledger confirm`.
    #[command(subcommand)]
    Theme(ThemeCommand),
    /// Confirm the other regulator's proposal: a theme declaration or retirement, a policy
    /// adoption or a company designation (in force from the agreed date).
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger confirm 28 --key ico-2025.key\n  (for an act agreed before the ledger began, add --effective DATE)"
    )]
    Confirm(ConfirmArgs),
    /// Propose, confirm or end a company-of-mutual-interest designation (statement §3).
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Add, rotate or revoke a party's signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Adopt a new policy version, or show the policy in force on a date.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Sign a C2SP checkpoint of the whole ledger (as log operator) and store it.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger checkpoint --key ico-2025.key -o checkpoint.note"
    )]
    Checkpoint {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Signing key (a current key of a party).
        #[arg(long)]
        key: PathBuf,
        /// Also write the note to this file.
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Cosign the other regulator's checkpoint (C2SP tlog-cosignature) after checking it.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger cosign checkpoint.note --key ofcom-2024.key -o cosigned.note"
    )]
    Cosign {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The checkpoint note file.
        checkpoint: PathBuf,
        /// Your signing key.
        #[arg(long)]
        key: PathBuf,
        /// Also write the cosigned note to this file.
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Prove an entry is in the log, or that one tree size extends another.
    #[command(subcommand)]
    Prove(ProveCommand),
    /// Write an evidence bundle for one entry: everything a third party needs to check offline
    /// what was recorded, when, by whom, and that it has not changed since.
    #[command(
        after_help = "Example:\n  dledger -l fixtures/sample.ledger evidence 42 --open request_date,response_deadline -o bundle-42"
    )]
    Evidence(EvidenceArgs),
    /// Write a company dossier: every disclosure, correction and refusal naming the company up
    /// to the latest cosigned checkpoint, what happened to each, the registers and flags, and
    /// proofs that nothing was left out
    #[command(
        after_help = "Examples:\n  dledger -l fixtures/sample-v2.ledger dossier brightloop -o brightloop-dossier\n  dledger -l fixtures/sample-v2.ledger dossier brightloop --open request_date \\\n    -o brightloop-opened\n  dledger -l fixtures/sample-v2.ledger dossier brightloop --from 2025-01-01 \\\n    --to 2025-06-30 -o brightloop-2025h1"
    )]
    Dossier(DossierArgs),
    /// Verify an evidence bundle or a company dossier with no database, against trusted public
    /// keys.
    #[command(
        after_help = "Examples:\n  dledger verify-evidence bundle-42 --trust keys/\n  dledger -l ico-ofcom.ledger prove consistency 453 454 --json > consistency.json\n  dledger verify-evidence bundle-42 --trust keys/ --checkpoint newer.note \\\n    --consistency consistency.json   # exits 2 if entries were recorded since: stale"
    )]
    VerifyEvidence(VerifyEvidenceArgs),
    /// Manage the vault of field values (outside the hashed log).
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Effectiveness review (statement §6): counts, rates, delays and flags by period.
    #[command(
        after_help = "Examples:\n  dledger -l fixtures/sample.ledger review\n  dledger -l fixtures/sample.ledger review --period month --from 2025-01-01 --to 2025-06-30\n  dledger -l fixtures/sample.ledger review --format html -o review.html\n  dledger -l fixtures/sample.ledger review --format csv -o review-csv/"
    )]
    Review(ReviewArgs),
    /// What is waiting for a party: disclosures to acknowledge, its own awaiting the
    /// recipient, proposals to confirm, and the open flags on its disclosures.
    #[command(
        after_help = "Examples:\n  dledger -l fixtures/sample-v2.ledger waiting --party ICO\n  dledger -l fixtures/sample-v2.ledger waiting --party OFCOM --json"
    )]
    Waiting(WaitingArgs),
    /// Show one entry in full.
    #[command(after_help = "Example:\n  dledger show 42 -l fixtures/sample.ledger")]
    Show(ShowArgs),
    /// List entries, filtered; or list a register (themes, companies, keys).
    #[command(
        after_help = "Example:\n  dledger list -l fixtures/sample.ledger --kind disclosure --company brightloop \\\n    --from 2024-03-01 --to 2024-06-30\n  dledger list -l fixtures/sample.ledger --companies"
    )]
    List(ListArgs),
    /// Export the whole log as JSON Lines (entry bytes, signatures, hashes and a decoded view).
    #[command(
        after_help = "Examples:\n  dledger export -l fixtures/sample.ledger -o sample.jsonl\n  dledger export -l fixtures/sample-v2.ledger --with-values -o sample-v2-with-values.jsonl"
    )]
    Export(ExportArgs),
    /// Create a new ledger from an export, byte for byte, and verify it; or, with --key, record
    /// many disclosures from a JSON Lines or CSV file.
    #[command(
        after_help = "Examples:\n  dledger import sample.jsonl copy.ledger\n  dledger -l ico-ofcom.ledger import disclosures.csv --key ofcom-2024.key"
    )]
    Import(ImportArgs),
    /// Publish the log as static files in the C2SP tlog-tiles layout (checkpoint, hash tiles,
    /// entry bundles, signature bundles), for any static web host or a tiles client to mirror.
    #[command(
        after_help = "Examples:\n  dledger -l fixtures/sample-v2.ledger publish --to published/\n  (then serve published/ as static files; run it again after each checkpoint)\n  dledger -l fixtures/sample-v2.ledger publish --to s3://ico-ofcom-log/v1\n  (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE; a server other\n  than Amazon's with AWS_ENDPOINT_URL; see docs/OPERATIONS.md, \"Publishing to object storage\")"
    )]
    Publish(PublishArgs),
    /// Run a node: serve the ledger in the C2SP tlog-tiles layout; with --key, operate the log
    /// (take entries other parties sign and submit, sign checkpoints, ask witnesses to cosign);
    /// with --witness-key, cosign the log a replica mirrors (C2SP tlog-witness).
    #[command(
        after_help = "Examples:\n  dledger serve -l ico-ofcom.ledger --listen 0.0.0.0:8443 --key ico-2025.key \\\n    --witness https://ofcom-node.example:8443 --tls-cert node.pem --tls-key node-key.pem\n  dledger serve -l ofcom-replica.ledger --listen 0.0.0.0:8443 --witness-key ofcom-2024.key \\\n    --upstream https://ico-node.example:8443 --tls-cert node.pem --tls-key node-key.pem\n  (see docs/OPERATIONS.md; stop with Ctrl-C or SIGTERM)"
    )]
    Serve(ServeArgs),
    /// Keep a verified replica of a log — from a node, a bucket (s3://), a web server of
    /// published files or a published directory: fetch what is new, prove it extends what the
    /// replica holds, check every entry, and verify (exit 2 on a fork, with both checkpoints
    /// saved). Run it again to sync; every read command works on the replica.
    #[command(
        after_help = "Exit codes: 0 intact, 1 policy flags only, 2 fork, integrity failure or error.\n\nExamples:\n  dledger mirror https://ico-node.example:8443 -o ico-ofcom.replica --trust keys/\n  dledger mirror s3://ico-ofcom-log/v1 -o ico-ofcom.replica --trust keys/\n  dledger mirror https://log.ico-ofcom.example/v1 -o ico-ofcom.replica --trust keys/\n  dledger verify ico-ofcom.replica"
    )]
    Mirror(MirrorArgs),
    /// Convert a ledger written by an older dledger (store version 1) into a new file in this
    /// build's layout, and verify it. The old file is left untouched.
    #[command(after_help = "Example:\n  dledger upgrade ico-ofcom.ledger ico-ofcom-v2.ledger")]
    Upgrade(UpgradeArgs),
    /// Verify the ledger's integrity and report every problem, pinned to its entry.
    #[command(
        after_help = "Exit codes: 0 intact, 1 policy flags only, 2 integrity failure or error.\n\nExample:\n  dledger verify fixtures/sample.ledger\n  dledger verify fixtures/sample.ledger --json\n  dledger verify ico-ofcom.ledger --since-checkpoint     # daily: only what is new"
    )]
    Verify(VerifyArgs),
    /// Rebuild the register snapshot and references index a writer opens from (after
    /// `verify` reports index-mismatch). Entries are not touched.
    #[command(after_help = "Example:\n  dledger reindex ico-ofcom.ledger")]
    Reindex {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The ledger file (default: --ledger).
        path: Option<PathBuf>,
    },
    /// Explain a finding code: what it means, the statement text it rests on, what to check.
    #[command(
        after_help = "Example:\n  dledger explain not-mutual-interest\n  dledger explain broken-chain"
    )]
    Explain(ExplainArgs),
    /// Print a shell completion script for dledger (bash, zsh, fish, elvish or powershell).
    #[command(
        after_help = "Examples:\n  mkdir -p ~/.local/share/bash-completion/completions && \\\n    dledger completions bash > ~/.local/share/bash-completion/completions/dledger\n  mkdir -p ~/.zfunc && dledger completions zsh > ~/.zfunc/_dledger\n  (then in ~/.zshrc: fpath+=~/.zfunc; autoload -U compinit; compinit)\n  mkdir -p ~/.config/fish/completions && \\\n    dledger completions fish > ~/.config/fish/completions/dledger.fish"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print dledger's man page (roff), for `man`.
    #[command(
        after_help = "Example:\n  dledger man > dledger.1   # then: man ./dledger.1\n  mkdir -p ~/.local/share/man/man1 && dledger man > ~/.local/share/man/man1/dledger.1"
    )]
    Man,
}

/// `init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Path of the new ledger file (must not exist).
    pub path: PathBuf,
    /// The ledger's origin line, e.g. ledger.example/ico-ofcom.
    #[arg(long)]
    pub origin: String,
    /// A party and its trust-root public key file: ID=PATH. Repeat for each party.
    #[arg(long = "party", value_name = "ID=VKEY", required = true)]
    pub parties: Vec<String>,
    /// A party's full name: ID=NAME (defaults are known for ICO, OFCOM, CMA, FCA).
    #[arg(long = "party-name", value_name = "ID=NAME")]
    pub party_names: Vec<String>,
    /// Private key of one party's trust root, to sign the genesis entry.
    #[arg(long)]
    pub key: PathBuf,
    /// Policy document to adopt (default: the 2024 ICO–Ofcom statement).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

/// `keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Key name (letters, digits, '.', '-', '_'), e.g. ico-2024.
    pub name: String,
    /// Where to write the private key (default: ./NAME.key). Never overwritten.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Directory for the public key file NAME.vkey.
    #[arg(long, default_value = "keys")]
    pub public_dir: PathBuf,
    /// Encrypt the private key with a passphrase (scrypt, ChaCha20-Poly1305), read from the
    /// owner-only file named by DLEDGER_PASSPHRASE_FILE, else DLEDGER_PASSPHRASE, else asked
    /// twice on the terminal. Commands that sign with the key ask for it the same way.
    #[arg(long)]
    pub encrypt: bool,
}

/// `disclose`.
#[derive(Debug, Args)]
pub(crate) struct DiscloseArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Private key of the disclosing party.
    #[arg(long)]
    pub key: PathBuf,
    /// Read the disclosure from a JSON file (fields as in docs/FORMAT.md); no other flags then.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "to", "at", "gateway", "category"])]
    pub from_json: Option<PathBuf>,
    /// Disclosing party, e.g. OFCOM.
    #[arg(long, required_unless_present = "from_json")]
    pub from: Option<String>,
    /// Receiving party, e.g. ICO.
    #[arg(long, required_unless_present = "from_json")]
    pub to: Option<String>,
    /// When it was disclosed: 2024-03-03 (UK midnight) or 2024-03-03T14:30:00Z.
    #[arg(long, required_unless_present = "from_json")]
    pub at: Option<String>,
    /// Gateway: "Communications Act 2003 s393(2)(a)", "consent: REF" or "other: CITATION".
    #[arg(long)]
    pub gateway: Option<String>,
    /// The category of the statement the disclosure falls in (§5), or case-by-case.
    #[arg(long, value_enum, required_unless_present = "from_json")]
    pub category: Option<CategoryArg>,
    /// The request was a formal Information Notice.
    #[arg(long)]
    pub information_notice: bool,
    /// A company: a known id, or ID=NAME for a company new to the ledger. Repeatable.
    #[arg(long = "company", value_name = "ID")]
    pub companies: Vec<String>,
    /// A Collaboration Theme id. Repeatable.
    #[arg(long = "theme", value_name = "ID")]
    pub themes: Vec<String>,
    /// A field shared: NAME=VALUE (the value goes to the vault; the log keeps a commitment).
    #[arg(long = "field", value_name = "NAME=VALUE")]
    pub fields: Vec<String>,
    /// The service was notified beforehand.
    #[arg(long, conflicts_with = "skipped")]
    pub notified: bool,
    /// Notification was skipped; the reason is optional for a routine disclosure (statement §4
    /// expects them without prior notification) and reviewed for a case-by-case one.
    #[arg(long, value_name = "REASON", num_args = 0..=1, default_missing_value = "")]
    pub skipped: Option<String>,
    /// The limb of statement §5 you rely on: `limb` (your limb as the policy in force
    /// states it) or the limb's words. Recorded as a structured choice, not free text.
    #[arg(long, value_name = "limb")]
    pub relevance: Option<String>,
    /// The function of yours the disclosure serves, by its id in the policy.
    #[arg(long)]
    pub function: Option<String>,
    /// Why the disclosure is necessary for that function.
    #[arg(long)]
    pub necessity: Option<String>,
    /// The power the information was obtained under, e.g. "information notice, OSA 2023 s100".
    #[arg(long)]
    pub power: Option<String>,
    /// The statement or memorandum relied on, e.g. ico-ofcom-2024.
    #[arg(long)]
    pub agreement: Option<String>,
    /// For case-by-case: the assessment's outcome, disclose or disclose-in-part.
    #[arg(long, requires = "reasoning")]
    pub outcome: Option<String>,
    /// For case-by-case: a summary of the assessment's reasoning.
    #[arg(long, requires = "outcome")]
    pub reasoning: Option<String>,
    /// Joint engagement that followed or accompanied the disclosure (statement §6).
    #[arg(long)]
    pub joint_engagement: Option<String>,
    /// For public information: where it was published.
    #[arg(long)]
    pub public_source: Option<String>,
    /// For case-by-case: the assessment reference.
    #[arg(long)]
    pub assessment: Option<String>,
    /// For case-by-case: the role of the approver.
    #[arg(long)]
    pub approver: Option<String>,
    /// Your role (no personal data).
    #[arg(long)]
    pub officer_role: Option<String>,
    /// Check and show the entry, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `ack`.
#[derive(Debug, Args)]
pub(crate) struct AckArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Sequence number of the disclosure.
    pub seq: u64,
    /// Private key of the recipient.
    #[arg(long)]
    pub key: PathBuf,
    /// When it was received (default: now).
    #[arg(long)]
    pub received_at: Option<String>,
}

/// `correct`.
#[derive(Debug, Args)]
pub(crate) struct CorrectArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Sequence number of the entry to supersede.
    pub seq: u64,
    /// Private key of the entry's author.
    #[arg(long)]
    pub key: PathBuf,
    /// What was wrong.
    #[arg(long)]
    pub reason: String,
    /// For a disclosure: the corrected disclosure, as JSON. It is judged like a new
    /// disclosure and its flags are shown.
    #[arg(long, value_name = "FILE")]
    pub replacement_json: Option<PathBuf>,
    /// Check the correction and show the flags its replacement would raise; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `theme ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ThemeCommand {
    /// Declare a Collaboration Theme in force from now.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger theme declare app-store-ratings --title \"App store age ratings\" \\\n    --key ico-2025.key\n  (in force once Ofcom runs `dledger confirm N`; or add --confirm-key ofcom-2024.key at a joint\n  set-up)"
    )]
    Declare {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Theme id, e.g. age-assurance.
        id: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// What it covers.
        #[arg(long, default_value = "")]
        description: String,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
        /// Also record the confirmation of every other party this binds, signed with their
        /// key (repeatable), in the same all-or-nothing commit: for registers agreed at a joint
        /// set-up.
        #[arg(long = "confirm-key", value_name = "KEY")]
        confirm_key: Vec<PathBuf>,
        /// With --confirm-key: the date the parties agreed it, from which it is in force (for
        /// registers agreed before the ledger began; default: now).
        #[arg(long, value_name = "DATE", requires = "confirm_key")]
        agreed: Option<String>,
    },
    /// Retire a Collaboration Theme from now.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger theme retire recommender-systems --reason \"merged\" \\\n    --key ico-2025.key"
    )]
    Retire {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Theme id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
        /// Also record the confirmation of every other party this binds, signed with their
        /// key (repeatable), in the same all-or-nothing commit: for registers agreed at a joint
        /// set-up.
        #[arg(long = "confirm-key", value_name = "KEY")]
        confirm_key: Vec<PathBuf>,
        /// With --confirm-key: the date the parties agreed it, from which it is in force (for
        /// registers agreed before the ledger began; default: now).
        #[arg(long, value_name = "DATE", requires = "confirm_key")]
        agreed: Option<String>,
    },
}

/// `company ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CompanyCommand {
    /// Propose a company as of mutual interest (the other party confirms).
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger company propose quietforum --name \"QuietForum CIC\" \\\n    --rationale \"open privacy inquiry\" --with ICO --key ofcom-2024.key"
    )]
    Propose {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Company id.
        id: String,
        /// Its name (required if the company is new to the ledger).
        #[arg(long)]
        name: Option<String>,
        /// Why it is of current interest to you.
        #[arg(long)]
        rationale: String,
        /// The other regulator of the pair (default: the ledger's only other party). Only it
        /// can confirm.
        #[arg(long, value_name = "PARTY")]
        with: Option<String>,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
        /// Also record the confirmation of every other party this binds, signed with their
        /// key (repeatable), in the same all-or-nothing commit: for registers agreed at a joint
        /// set-up.
        #[arg(long = "confirm-key", value_name = "KEY")]
        confirm_key: Vec<PathBuf>,
        /// With --confirm-key: the date the parties agreed it, from which it is in force (for
        /// registers agreed before the ledger began; default: now).
        #[arg(long, value_name = "DATE", requires = "confirm_key")]
        agreed: Option<String>,
    },
    /// Confirm the other party's proposal that names you.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger company confirm friendmap --key ico-2025.key"
    )]
    Confirm {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Company id.
        id: String,
        /// From when it is of mutual interest, if agreed earlier (default: now).
        #[arg(long, value_name = "DATE")]
        effective: Option<String>,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
    },
    /// End a designation.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger company end brightloop --with OFCOM --reason \"inquiry closed\" \\\n    --key ico-2025.key"
    )]
    End {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Company id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// The other regulator of the pair (default: the ledger's only other party).
        #[arg(long, value_name = "PARTY")]
        with: Option<String>,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
    },
}

/// `confirm`.
#[derive(Debug, Args)]
pub(crate) struct ConfirmArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Sequence number of the proposal.
    pub seq: u64,
    /// From when the act is in force, if agreed earlier (default: the date already agreed, a
    /// policy's own effective date, or now).
    #[arg(long, value_name = "DATE")]
    pub effective: Option<String>,
    /// Private key of a party the proposal binds.
    #[arg(long)]
    pub key: PathBuf,
}

/// `key ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Register an additional key for your party.
    #[command(
        after_help = "Example:\n  dledger keygen ofcom-ops-2026 --out ofcom-ops-2026.key --public-dir keys\n  dledger -l ico-ofcom.ledger key add keys/ofcom-ops-2026.vkey --key ofcom-2024.key"
    )]
    Add {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The new public key file.
        public: PathBuf,
        /// A current key of your party.
        #[arg(long)]
        key: PathBuf,
    },
    /// Replace one of your party's keys with a new one.
    #[command(
        after_help = "Example:\n  dledger keygen ico-2026 --out ico-2026.key --public-dir keys\n  dledger -l ico-ofcom.ledger key rotate keys/ico-2026.vkey --key ico-2025.key"
    )]
    Rotate {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The new public key file.
        public: PathBuf,
        /// The current key being replaced (it signs the rotation).
        #[arg(long)]
        key: PathBuf,
    },
    /// Revoke one of your party's keys.
    #[command(
        after_help = "Example:\n  dledger keygen ico-ops-2026 --out ico-ops-2026.key --public-dir keys\n  dledger -l ico-ofcom.ledger key add keys/ico-ops-2026.vkey --key ico-2025.key\n  dledger -l ico-ofcom.ledger key revoke ico-ops-2026 --reason \"laptop lost\" --key ico-2025.key"
    )]
    Revoke {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The key to revoke: its name (e.g. ico-2025) or its id (8 hex digits), as
        /// `dledger list --keys` shows them.
        key_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// A current key of your party.
        #[arg(long)]
        key: PathBuf,
    },
}

/// `policy ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Record a new policy version (TOML, schema in docs/POLICY.md), effective from a date.
    #[command(
        after_help = "Example:\n  dledger -l ico-ofcom.ledger policy adopt policy/ico-ofcom-cma-2025.toml \\\n    --effective 2026-01-01 --key ofcom-2024.key\n  (in force once every other party it binds runs `dledger confirm N`)"
    )]
    Adopt {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The policy document.
        file: PathBuf,
        /// Disclosures made on or after this date are judged by it (default: now).
        #[arg(long)]
        effective: Option<String>,
        /// Signing key.
        #[arg(long)]
        key: PathBuf,
        /// Also record the confirmation of every other party this binds, signed with their
        /// key (repeatable), in the same all-or-nothing commit.
        #[arg(long = "confirm-key", value_name = "KEY")]
        confirm_key: Vec<PathBuf>,
    },
    /// Show the policy in force on a date (default: now), or the built-in default policy when
    /// no ledger is given.
    #[command(
        after_help = "Example:\n  dledger -l fixtures/sample.ledger policy show --at 2024-06-01"
    )]
    Show {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The date.
        #[arg(long)]
        at: Option<String>,
        /// Print the document's full text.
        #[arg(long)]
        text: bool,
    },
}

/// `prove ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ProveCommand {
    /// An RFC 6962 inclusion proof of entry SEQ in the tree of the first N entries.
    #[command(
        after_help = "Example:\n  dledger -l fixtures/sample.ledger prove inclusion 42\n  dledger -l fixtures/sample.ledger prove inclusion 42 --format json\n  dledger -l fixtures/sample.ledger prove inclusion 42 --format tlog-proof"
    )]
    Inclusion {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// The entry.
        seq: u64,
        /// Tree size (default: the latest checkpoint's size for tlog-proof, else the whole log).
        #[arg(long)]
        size: Option<u64>,
        /// Output form: tlog-proof is C2SP tlog-proof@v1 with the stored checkpoint of that size.
        #[arg(long, value_enum, default_value_t = ProofFormat::Text)]
        format: ProofFormat,
        /// The same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// An RFC 6962 consistency proof that the tree of NEW entries extends that of OLD.
    #[command(
        after_help = "Example:\n  dledger -l fixtures/sample.ledger prove consistency 100 453\n  dledger -l fixtures/sample.ledger prove consistency 100 453 --format json"
    )]
    Consistency {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Old tree size.
        old: u64,
        /// New tree size.
        new: u64,
        /// Output form.
        #[arg(long, value_enum, default_value_t = ConsistencyFormat::Text)]
        format: ConsistencyFormat,
        /// The same as --format json.
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
}

/// `evidence`.
#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The entry (normally a disclosure).
    pub seq: u64,
    /// Fields whose values (and salts) to include, comma-separated; others stay committed only.
    #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
    pub open: Vec<String>,
    /// Directory to write (must not exist).
    #[arg(short, long)]
    pub out: PathBuf,
}

/// `dossier`.
#[derive(Debug, Args)]
pub(crate) struct DossierArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The company's id (as in `dledger list --companies`).
    pub company: String,
    /// First day of the disclosures shown in the table (all are still included and proved).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day shown.
    #[arg(long)]
    pub to: Option<String>,
    /// Fields whose values (and salts) to include for every disclosure that records them,
    /// comma-separated; others stay committed only.
    #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
    pub open: Vec<String>,
    /// Directory to write (must not exist).
    #[arg(short, long)]
    pub out: PathBuf,
}

/// `verify-evidence`.
#[derive(Debug, Args)]
pub(crate) struct VerifyEvidenceArgs {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Directory of trusted public keys (*.vkey): the parties' trust roots.
    #[arg(long)]
    pub trust: PathBuf,
    /// A newer cosigned checkpoint obtained independently (e.g. from the other regulator):
    /// the bundle passes only if it is at that checkpoint; a stale bundle or a fork fails.
    #[arg(long, value_name = "NOTE")]
    pub checkpoint: Option<PathBuf>,
    /// The consistency proof from the bundle's size to the newer checkpoint's, as printed by
    /// `dledger prove consistency OLD NEW --json`.
    #[arg(long, value_name = "PROOF.json", requires = "checkpoint")]
    pub consistency: Option<PathBuf>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `flag ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum FlagCommand {
    /// Record, as a party to the flagged disclosure, what was done about one of its flags:
    /// reviewed with no action, accepted as an exception, escalated, or remediated by a
    /// correction. `verify` then shows the flag as disposed of (an escalated one stays open).
    #[command(
        after_help = "Examples:\n  dledger -l ico-ofcom.ledger flag dispose 205 theme-on-request --action reviewed-no-action \\\n    --note \"theme named in error; no content shared\" --role \"Compliance lead\" \\\n    --key ofcom-2024.key\n  dledger -l ico-ofcom.ledger flag dispose 72 unacknowledged --action reviewed-no-action \\\n    --note \"acknowledged by e-mail\" --role \"Compliance lead\" --key ico-2025.key --dry-run\n  (with --action remediated, name the correction that remedied it: --correction N)"
    )]
    Dispose(DisposeArgs),
}

/// `refuse`.
#[derive(Debug, Args)]
pub(crate) struct RefuseArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Your private key (the regulator that declined).
    #[arg(long)]
    pub key: PathBuf,
    /// The regulator that asked for, or would have received, the information.
    #[arg(long)]
    pub to: String,
    /// When the decision was made.
    #[arg(long, value_name = "DATE")]
    pub at: String,
    /// A company the information concerned (its id in the register). Repeat for each.
    #[arg(long = "company", value_name = "ID")]
    pub companies: Vec<String>,
    /// A theme it concerned. Repeat for each.
    #[arg(long = "theme", value_name = "ID")]
    pub themes: Vec<String>,
    /// The assessment's reference in your records.
    #[arg(long)]
    pub assessment: String,
    /// The role of whoever approved the assessment.
    #[arg(long)]
    pub approver: String,
    /// A summary of why not (no personal data).
    #[arg(long)]
    pub reasoning: String,
    /// Your role.
    #[arg(long)]
    pub officer_role: String,
    /// Check it and show what would be recorded; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `flag dispose`.
#[derive(Debug, Args)]
pub(crate) struct DisposeArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The entry the flag is raised on.
    pub seq: u64,
    /// The flag's code (`dledger explain` lists them).
    pub code: String,
    /// What was done.
    #[arg(long, value_enum)]
    pub action: DispositionArg,
    /// The correction that put it right (with --action remediated).
    #[arg(long, value_name = "SEQ")]
    pub correction: Option<u64>,
    /// What the reviewer found and decided.
    #[arg(long)]
    pub note: String,
    /// The reviewer's role (no names: the ledger holds no personal data).
    #[arg(long)]
    pub role: String,
    /// Your private key (a party to the flagged disclosure).
    #[arg(long)]
    pub key: PathBuf,
    /// Check it and show what would be recorded; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// A disposition action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DispositionArg {
    /// Reviewed; no action needed.
    ReviewedNoAction,
    /// Accepted as an exception to the policy.
    AcceptedException,
    /// Escalated for decision (the flag stays open).
    Escalated,
    /// Put right by the correction named with --correction.
    Remediated,
}

/// `vault ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum VaultCommand {
    /// Erase the values of fields of disclosures whose retention has ended: those made before
    /// DATE, or those the policy in force on their date says to keep no longer
    /// (`retain_values_days`). A signed erasure entry names every value erased, the retention
    /// rule and who ran it; commitments and hashes are untouched, so the ledger still verifies.
    #[command(
        after_help = "Examples:\n  dledger -l ico-ofcom.ledger vault erase --key ico-2025.key --by-policy --dry-run\n  dledger -l ico-ofcom.ledger vault erase --key ico-2025.key --before 2024-06-01"
    )]
    Erase {
        /// The ledger, and how long to wait for its lock.
        #[command(flatten)]
        lg: LedgerArgs,
        /// Your private key: the erasure entry records which party erased.
        #[arg(long)]
        key: PathBuf,
        /// Disclosures made before this date.
        #[arg(
            long,
            required_unless_present = "by_policy",
            conflicts_with = "by_policy"
        )]
        before: Option<String>,
        /// Disclosures whose category's retention period in the policy has ended.
        #[arg(long)]
        by_policy: bool,
        /// Say what would be erased, and erase nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `review`.
#[derive(Debug, Args)]
pub(crate) struct ReviewArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// First day (default: the first disclosure's date).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, inclusive (default: the last disclosure's date).
    #[arg(long)]
    pub to: Option<String>,
    /// Calendar periods (Europe/London).
    #[arg(long, value_enum, default_value_t = PeriodArg::Quarter)]
    pub period: PeriodArg,
    /// Output form.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    pub format: ReviewFormat,
    /// Output file (json, html, text) or directory (csv); default standard output.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// How many companies the top table shows.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Judge acknowledgement deadlines as of this date instead of now.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
}

/// `waiting`.
#[derive(Debug, Args)]
pub(crate) struct WaitingArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The party, e.g. ICO.
    #[arg(long)]
    pub party: String,
    /// Judge as of this date instead of now.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Sequence number.
    pub seq: u64,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Only entries recorded (disclosures: disclosed) on or after this date.
    #[arg(long)]
    pub from: Option<String>,
    /// Only entries recorded (disclosures: disclosed) on or before this date.
    #[arg(long)]
    pub to: Option<String>,
    /// Only entries signed by, or disclosures to or from, this party.
    #[arg(long)]
    pub party: Option<String>,
    /// Only disclosures about this company.
    #[arg(long)]
    pub company: Option<String>,
    /// Only disclosures about this theme.
    #[arg(long)]
    pub theme: Option<String>,
    /// Only disclosures in this category.
    #[arg(long, value_enum)]
    pub category: Option<CategoryArg>,
    /// Only entries of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// List the Collaboration Themes register instead.
    #[arg(long, conflicts_with_all = ["companies", "keys"])]
    pub themes: bool,
    /// List the companies register instead.
    #[arg(long, conflicts_with = "keys")]
    pub companies: bool,
    /// List the parties' keys instead.
    #[arg(long)]
    pub keys: bool,
    /// JSON Lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Output file (default: standard output), created owner-only.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Include the field values of the vault (confidential; needs --out, written owner-only).
    /// Without it the copy made by `import` says it holds no values.
    #[arg(long)]
    pub with_values: bool,
}

/// `import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// An export (JSON Lines made by `dledger export`); or, with --key, disclosures to record:
    /// JSON Lines (one disclosure object a line, fields as for `disclose --from-json`) or CSV
    /// (columns from, to, disclosed_at, gateway, category, information_notice, companies,
    /// themes, notification, relevance, public_source, assessment_reference,
    /// assessment_approver, officer_role, and field.NAME for each field; lists separated by ';').
    pub input: PathBuf,
    /// For an export: the new ledger file to create (must not exist).
    #[arg(value_name = "NEW_LEDGER")]
    pub new_ledger: Option<PathBuf>,
    /// Record the disclosures in INPUT into the ledger given by --ledger, signed with this key.
    /// Every line is checked first; if any is refused nothing is written. The flags the
    /// recorded disclosures raise are shown (exit 1), as `disclose` shows them.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Disclosures per durable commit.
    #[arg(long, default_value_t = 10_000)]
    pub batch_size: usize,
}

/// `publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// Where to publish: a directory (created if need be) or s3://BUCKET/PREFIX (credentials
    /// from the AWS environment variables or profile files). Only what changed since the last
    /// publication there is written, the checkpoint last.
    #[arg(
        long,
        short = 'o',
        visible_alias = "out",
        value_name = "DIR|s3://BUCKET/PREFIX"
    )]
    pub to: String,
}

/// `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The address to listen on (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Operate the log: the operator's private key, which signs checkpoints.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Witness the log the ledger (a replica) mirrors: your party's private key, which
    /// cosigns its checkpoints.
    #[arg(long)]
    pub witness_key: Option<PathBuf>,
    /// With --witness-key: the operator's node to mirror from.
    #[arg(long, value_name = "URL")]
    pub upstream: Option<String>,
    /// With --key: a witness to ask to cosign each checkpoint (repeat for several).
    #[arg(long = "witness", value_name = "URL")]
    pub witnesses: Vec<String>,
    /// TLS certificate chain (PEM); with --tls-key, the node serves https.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The largest request body taken, in bytes.
    #[arg(long, default_value_t = disclosure_ledger::node::DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// Submissions taken per second from one client address.
    #[arg(long, default_value_t = 1000)]
    pub rate: u32,
    /// The least time between two checkpoints, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub checkpoint_every: u64,
}

/// `mirror`.
#[derive(Debug, Args)]
pub(crate) struct MirrorArgs {
    /// The log to mirror: a node or web server (http://HOST:PORT/PREFIX, https://…), a bucket
    /// (s3://BUCKET/PREFIX; credentials as for `publish`) or a directory `publish` wrote.
    #[arg(value_name = "URL|s3://BUCKET/PREFIX|DIR")]
    pub url: String,
    /// The replica file (created on the first run).
    #[arg(short, long)]
    pub out: PathBuf,
    /// A directory of the parties' published public keys: the log's genesis must name them.
    #[arg(long)]
    pub trust: Option<PathBuf>,
    /// The PEM certificate of the authority that signed the node's TLS certificate (https).
    #[arg(long, env = "DLEDGER_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Where the verification state is kept (default: beside the replica, REPLICA.state).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Print the verification report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `upgrade`.
#[derive(Debug, Args)]
pub(crate) struct UpgradeArgs {
    /// The ledger file written by an older dledger (only read).
    pub old: PathBuf,
    /// The new ledger file to create (must not exist).
    #[arg(value_name = "NEW_LEDGER")]
    pub new: PathBuf,
}

/// `verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The ledger, and how long to wait for its lock.
    #[command(flatten)]
    pub lg: LedgerArgs,
    /// The ledger file (default: --ledger).
    pub path: Option<PathBuf>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Report only this policy flag (e.g. not-mutual-interest).
    #[arg(long, value_name = "FLAG")]
    pub only: Option<String>,
    /// Count flags a party has disposed of (`dledger flag dispose`) in the exit code too: exit
    /// 1 if any flag was raised at all, open or disposed of.
    #[arg(long)]
    pub include_disposed: bool,
    /// Report flags only for disclosures made on or after this date.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Report flags only for disclosures made on or before this date.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Judge acknowledgement deadlines as of this date instead of now.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Check only what was recorded after the last cosigned checkpoint an earlier run verified
    /// (kept in your own state directory; the first run checks everything and writes it).
    #[arg(long)]
    pub since_checkpoint: bool,
    /// The verification state file of --since-checkpoint (default: a file named after the
    /// ledger in $XDG_STATE_HOME/dledger or ~/.local/state/dledger).
    #[arg(long, value_name = "FILE", requires = "since_checkpoint")]
    pub state: Option<PathBuf>,
    /// A directory of the parties' published public keys (*.vkey): the genesis entry's
    /// trust-root keys must all be among them (otherwise untrusted-genesis, exit 2).
    #[arg(long, value_name = "DIR")]
    pub trust: Option<PathBuf>,
    /// A checkpoint note obtained from the other regulator or a witness (repeatable): the
    /// ledger must still contain and extend it (otherwise rollback or checkpoint-mismatch,
    /// exit 2).
    #[arg(long = "checkpoint", value_name = "NOTE")]
    pub checkpoints: Vec<PathBuf>,
}

/// `explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The finding code, e.g. broken-chain (omit to list every code).
    pub code: Option<String>,
}

/// `prove inclusion --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProofFormat {
    /// Plain text, hashes in hex.
    Text,
    /// JSON, hashes in hex.
    Json,
    /// C2SP tlog-proof@v1 (hashes in base64, as the format defines).
    TlogProof,
}

/// `prove consistency --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConsistencyFormat {
    /// Plain text, hashes in hex.
    Text,
    /// JSON, hashes in hex.
    Json,
}

/// `review --period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeriodArg {
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

/// `review --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReviewFormat {
    /// Text for the terminal.
    Text,
    /// A directory of CSV tables (needs -o DIR).
    Csv,
    /// JSON.
    Json,
    /// A self-contained HTML page with charts.
    Html,
}

/// An entry kind on the command line: the choices come from the library's one list of kinds
/// ([`EntryKind::ALL`]), never from a copy here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindArg(pub EntryKind);

impl ValueEnum for KindArg {
    fn value_variants<'a>() -> &'a [Self] {
        static KINDS: std::sync::LazyLock<Vec<KindArg>> =
            std::sync::LazyLock::new(|| EntryKind::ALL.map(KindArg).to_vec());
        &KINDS
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}

/// A disclosure category on the command line, from the library's list ([`CategoryKind::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CategoryArg(pub CategoryKind);

impl ValueEnum for CategoryArg {
    fn value_variants<'a>() -> &'a [Self] {
        static CATEGORIES: std::sync::LazyLock<Vec<CategoryArg>> =
            std::sync::LazyLock::new(|| CategoryKind::ALL.map(CategoryArg).to_vec());
        &CATEGORIES
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}
