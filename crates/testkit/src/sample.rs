//! A deterministic generator of realistic ledgers: the bundled sample ledger
//! (`fixtures/sample.ledger`) and synthetic ledgers for tests and benchmarks.
//!
//! Everything here is fictional: companies, events and keys. The demo keys are test-only and
//! published with the project; a ledger made with them proves nothing about any real regulator.
//! The same seed and keys always give the same entries, byte for byte (the random numbers come
//! from SplitMix64, defined here, so no library upgrade can change them).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::Path;

use jiff::civil::Date;

use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{
    AppendError, Batch, InitError, Ledger, PartyInit, Pending, policy_document,
};
use disclosure_ledger::model::{CompanyId, DispositionAction, PartyId, Seq, ThemeId, Timestamp};
use disclosure_ledger::policy::FlagCode;

pub use disclosure_ledger::policy::{DEFAULT_POLICY, DEFAULT_POLICY_LABEL};

/// Origin line of the sample ledger.
pub const SAMPLE_ORIGIN: &str = "ledger.example/ico-ofcom";

/// Names of the demo keys the sample uses, in `fixtures/keys/<name>.key`.
pub const DEMO_KEY_NAMES: [&str; 5] = [
    "ico-2024",
    "ofcom-2024",
    "ico-2025",
    "ofcom-ops-2024",
    "cma-2024",
];

/// Entries staged before the generator writes them out.
const FLUSH_EVERY: usize = 4096;

/// Seed used for the bundled sample ledger.
pub const SAMPLE_SEED: u64 = 2024;

/// The deterministic Ed25519 seed of a demo key: SHA-256("disclosure-ledger demo key " ‖ name).
pub fn demo_key(name: &str) -> SecretKey {
    let seed =
        disclosure_ledger::hash::sha256(format!("disclosure-ledger demo key {name}").as_bytes());
    SecretKey::from_seed(name, &seed).expect("demo key names are valid")
}

/// SplitMix64: a tiny, fixed pseudo-random generator (Steele, Lea & Flood, 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A random element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// 32 random bytes (for field salts).
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }
}

/// The initial Collaboration Themes of the 2024 statement (§2): id, title, description.
pub const INITIAL_THEMES: [(&str, &str, &str); 6] = [
    (
        "age-assurance",
        "Age assurance",
        "Age estimation and verification used to tailor services to users' ages.",
    ),
    (
        "recommender-systems",
        "Recommender systems",
        "Algorithms that curate and rank content suggested to users.",
    ),
    (
        "proactive-tech-and-ai",
        "Proactive tech and relevant AI tools",
        "Content, user-profiling and behaviour identification technology.",
    ),
    (
        "child-default-and-geolocation-settings",
        "Default and geolocation settings for child users",
        "High-privacy defaults and geolocation off by default for children.",
    ),
    (
        "online-safety-privacy-duties",
        "Online safety privacy duties",
        "Regard for privacy when deciding on safety measures and policies.",
    ),
    (
        "upholding-terms-and-standards",
        "Upholding terms, policies and community standards",
        "Publishing and upholding clear terms of service and policies.",
    ),
];

/// Fictional companies: id and name.
pub const COMPANIES: [(&str, &str); 10] = [
    ("brightloop", "BrightLoop Social Ltd"),
    ("pixelpond", "PixelPond Video Ltd"),
    ("chatterbox", "Chatterbox Messaging plc"),
    ("kidzone", "KidZone Games Ltd"),
    ("nimbus-search", "Nimbus Search Ltd"),
    ("streamly", "Streamly Live Ltd"),
    ("agecheck", "AgeCheck Verify Ltd"),
    ("friendmap", "FriendMap Ltd"),
    ("loopmarket", "LoopMarket Ltd"),
    ("quietforum", "QuietForum CIC"),
];

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// Creating the ledger failed.
    #[error(transparent)]
    Init(#[from] InitError),
    /// A checkpoint could not be made or cosigned.
    #[error("generating a checkpoint: {0}")]
    Witness(Box<disclosure_ledger::witness::WitnessError>),
    /// An append failed (a bug in the generator: every event is meant to be valid).
    #[error("generating {what}: {source}")]
    Append {
        /// What was being generated.
        what: String,
        /// The refusal.
        source: AppendError,
    },
}

/// Settings for a generated ledger.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Random seed.
    pub seed: u64,
    /// First day.
    pub start: Date,
    /// Last day.
    pub end: Date,
    /// Disclosures per working day, in hundredths (45 = 0.45 a day).
    pub disclosures_per_day_pct: u64,
    /// Include the deliberate anomalies that exercise every policy flag.
    pub anomalies: bool,
    /// Sign a checkpoint on the first Monday of each month (ICO as operator, Ofcom cosigning).
    pub checkpoints: bool,
    /// Stop once the ledger holds at least this many entries (then a final checkpoint).
    pub target_entries: Option<u64>,
    /// Told the number of entries made so far, once a generated day.
    pub progress: disclosure_ledger::stream::Progress,
}

impl GenerateOptions {
    /// The settings of the bundled sample ledger: 2024-01 to 2025-12.
    pub fn sample() -> Self {
        GenerateOptions {
            seed: SAMPLE_SEED,
            start: Date::constant(2024, 1, 8),
            end: Date::constant(2025, 12, 19),
            disclosures_per_day_pct: 42,
            anomalies: true,
            checkpoints: true,
            target_entries: None,
            progress: Default::default(),
        }
    }

    /// A synthetic ledger of about `entries` entries with the sample's distributions: the
    /// sample's two years, with as many disclosures a working day as it takes.
    pub fn synthetic(entries: u64, seed: u64) -> Self {
        // About 1.93 entries per disclosure (most are acknowledged), 510 working days.
        let per_day_pct = (entries * 100 / (510 * 193 / 100)).max(5) + 1;
        GenerateOptions {
            seed,
            disclosures_per_day_pct: per_day_pct,
            target_entries: Some(entries),
            ..GenerateOptions::sample()
        }
    }
}

/// The demo keys, by name.
pub struct DemoKeys(pub BTreeMap<String, SecretKey>);

impl DemoKeys {
    /// Derives every demo key (see [`demo_key`]).
    pub fn derive() -> DemoKeys {
        DemoKeys(
            DEMO_KEY_NAMES
                .iter()
                .map(|n| (n.to_string(), demo_key(n)))
                .collect(),
        )
    }

    /// Loads every demo key from `dir/<name>.key` (owner-only permissions required).
    pub fn load(dir: &Path) -> Result<DemoKeys, disclosure_ledger::keys::KeyError> {
        let mut keys = BTreeMap::new();
        for n in DEMO_KEY_NAMES {
            keys.insert(
                n.to_string(),
                SecretKey::load(&dir.join(format!("{n}.key")))?,
            );
        }
        Ok(DemoKeys(keys))
    }

    fn get(&self, name: &str) -> &SecretKey {
        &self.0[name]
    }
}

fn at(date: Date, hour: i64, minute: i64) -> Timestamp {
    Timestamp::start_of_day(date).plus_seconds(hour * 3600 + minute * 60)
}

fn p(id: &str) -> PartyId {
    PartyId::new(id).expect("static party ids are valid")
}

struct Gen<'a, 'l> {
    /// Entries are staged in one batch, written every few thousand entries.
    batch: Batch<'l>,
    keys: &'a DemoKeys,
    rng: SplitMix64,
    /// Current key name of each party.
    current: BTreeMap<&'static str, &'static str>,
    /// Acknowledgements due: (time, disclosure seq, recipient).
    acks_due: BinaryHeap<Reverse<(Timestamp, Seq, &'static str)>>,
    disclosures: Vec<Seq>,
}

impl Gen<'_, '_> {
    fn append(
        &mut self,
        key_name: &str,
        pending: Pending,
        now: Timestamp,
        what: &str,
    ) -> Result<Seq, GenerateError> {
        let key = self.keys.get(key_name);
        let seq = self
            .batch
            .push(pending, key, now)
            .map(|r| r.seq)
            .map_err(|source| GenerateError::Append {
                what: what.to_owned(),
                source,
            })?;
        if self.batch.len() >= FLUSH_EVERY {
            self.batch.flush().map_err(|source| GenerateError::Append {
                what: "a batch of entries".into(),
                source,
            })?;
        }
        Ok(seq)
    }

    fn key_of(&self, party: &str) -> &'static str {
        self.current[party]
    }

    fn prepared<T>(&self, r: Result<T, AppendError>, what: &str) -> Result<T, GenerateError> {
        r.map_err(|source| GenerateError::Append {
            what: what.to_owned(),
            source,
        })
    }

    fn declare_theme(
        &mut self,
        party: &str,
        id: &str,
        title: &str,
        desc: &str,
        now: Timestamp,
    ) -> Result<(), GenerateError> {
        let pending = self.prepared(
            self.batch.ledger().prepare_theme_declared(
                ThemeId::new(id).expect("valid"),
                title,
                desc,
                now,
            ),
            "theme declaration",
        )?;
        let seq = self.append(self.key_of(party), pending, now, "theme declaration")?;
        self.confirm_all(seq, now.plus_seconds(60))
    }

    /// Records `body` as a joint act proposed by `party` and confirmed by every party it binds.
    fn joint_act(
        &mut self,
        party: &str,
        body: disclosure_ledger::model::Body,
        now: Timestamp,
        what: &str,
    ) -> Result<(), GenerateError> {
        let seq = self.append(self.key_of(party), body.into(), now, what)?;
        self.confirm_all(seq, now.plus_seconds(60))
    }

    /// Every party that proposal `seq` binds confirms it.
    fn confirm_all(&mut self, seq: Seq, now: Timestamp) -> Result<(), GenerateError> {
        let waiting: Vec<PartyId> = match self.batch.ledger().registers().pending.get(&seq) {
            Some(p) => p.waiting().cloned().collect(),
            None => return Ok(()),
        };
        for party in waiting {
            let pending = self.prepared(
                self.batch
                    .ledger()
                    .prepare_confirmation(seq, &party, None, now),
                "confirmation",
            )?;
            let key = self.key_of(party.as_str());
            self.append(key, pending, now, "confirmation")?;
        }
        Ok(())
    }

    fn propose(
        &mut self,
        party: &str,
        company: usize,
        now: Timestamp,
    ) -> Result<(), GenerateError> {
        let (id, name) = COMPANIES[company];
        let pending = self.prepared(
            self.batch.ledger().prepare_company_proposed(
                CompanyId::new(id).expect("valid"),
                Some(name),
                "Subject to both regimes and of current regulatory interest to the proposer",
                &p(party),
                Some(p(if party == "ICO" { "OFCOM" } else { "ICO" })),
                now,
            ),
            "designation proposal",
        )?;
        self.append(self.key_of(party), pending, now, "designation proposal")?;
        Ok(())
    }

    fn confirm(
        &mut self,
        party: &str,
        company: usize,
        now: Timestamp,
    ) -> Result<(), GenerateError> {
        let pending = self.prepared(
            self.batch.ledger().prepare_company_confirmed(
                CompanyId::new(COMPANIES[company].0).expect("valid"),
                &p(party),
                None,
                now,
            ),
            "designation confirmation",
        )?;
        self.append(self.key_of(party), pending, now, "designation confirmation")?;
        Ok(())
    }

    fn end_designation(
        &mut self,
        party: &str,
        company: usize,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), GenerateError> {
        let pending = self.prepared(
            self.batch.ledger().prepare_company_ended(
                CompanyId::new(COMPANIES[company].0).expect("valid"),
                reason,
                &p(party),
                Some(p(if party == "ICO" { "OFCOM" } else { "ICO" })),
                now,
            ),
            "designation end",
        )?;
        self.append(self.key_of(party), pending, now, "designation end")?;
        Ok(())
    }

    fn disclose(
        &mut self,
        key_name: &str,
        input: DisclosureInput,
        now: Timestamp,
        ack: Option<i64>,
    ) -> Result<Seq, GenerateError> {
        let key = self.keys.get(key_name);
        let rng = &mut self.rng;
        let pending = self
            .batch
            .ledger()
            .prepare_disclosure(&input, key, now, &mut || rng.bytes32())
            .map_err(|source| GenerateError::Append {
                what: format!("disclosure {input:?}"),
                source,
            })?;
        let seq = self.append(key_name, pending, now, "disclosure")?;
        self.disclosures.push(seq);
        if let Some(delay) = ack {
            let to: &'static str = match input.to.as_str() {
                "ICO" => "ICO",
                "CMA" => "CMA",
                _ => "OFCOM",
            };
            self.acks_due
                .push(Reverse((now.plus_seconds(delay), seq, to)));
        }
        Ok(seq)
    }

    fn run_acks_until(&mut self, until: Timestamp) -> Result<(), GenerateError> {
        while let Some(&Reverse((t, seq, to))) = self.acks_due.peek() {
            if t > until {
                break;
            }
            self.acks_due.pop();
            let key = self.keys.get(self.key_of(to));
            let pending = self.prepared(
                self.batch.ledger().prepare_ack(seq, t, key, t),
                "acknowledgement",
            )?;
            self.append(self.key_of(to), pending, t, "acknowledgement")?;
        }
        Ok(())
    }

    /// A routine or case-by-case disclosure drawn from the usual distribution.
    fn random_disclosure(&mut self, now: Timestamp, day: Date) -> DisclosureInput {
        let reg = self.batch.ledger().registers();
        let mutual: Vec<(String, String)> = reg
            .companies
            .iter()
            .filter(|(id, _)| reg.is_mutual(id, &p("ICO"), &p("OFCOM"), now))
            .map(|(id, c)| (id.to_string(), c.name.clone()))
            .collect();
        let themes: Vec<String> = reg
            .themes
            .keys()
            .filter(|t| reg.theme_in_force(t, now))
            .map(|t| t.to_string())
            .collect();
        let from_ofcom = self.rng.chance(55);
        let (from, to) = if from_ofcom {
            ("OFCOM", "ICO")
        } else {
            ("ICO", "OFCOM")
        };
        let gateway = if from_ofcom {
            if self.rng.chance(5) {
                "consent: consent recorded on the case file".to_owned()
            } else {
                "Communications Act 2003 s393(2)(a)".to_owned()
            }
        } else if self.rng.chance(30) {
            "Data Protection Act 2018 s132(2)(f)".to_owned()
        } else {
            "Data Protection Act 2018 s132(2)(c)".to_owned()
        };
        let relevance = Some(if from_ofcom {
            "relevant to online safety".to_owned()
        } else {
            "matters of potential intersection between online safety and data protection".to_owned()
        });
        let theme = self.rng.pick(&themes).clone();
        let (cid, cname) = self.rng.pick(&mutual).clone();
        let date = day.to_string();
        let roll = self.rng.below(100);
        let mut fields = BTreeMap::new();
        let backdate = if self.rng.chance(85) {
            6 * 3600
        } else {
            50 * 3600
        };
        let mut input = DisclosureInput {
            from: from.into(),
            to: to.into(),
            // Most disclosures are recorded within hours; a few the next day or so.
            disclosed_at: now
                .plus_seconds(-(self.rng.below(backdate) as i64))
                .to_string(),
            gateway: Some(gateway),
            notification:
                "skipped: routine disclosure expected without prior notification (statement §4)"
                    .into(),
            relevance,
            officer_role: if from_ofcom {
                "Online Safety supervision team"
            } else {
                "Regulatory Supervision, Online Safety liaison"
            }
            .into(),
            ..DisclosureInput::default()
        };
        match roll {
            0..=29 => {
                input.category = "information-request".into();
                input.information_notice = self.rng.chance(40);
                input.companies = vec![cid];
                // Generic information about a request carries no theme (statement §5).
                let deadline = day
                    .checked_add(jiff::Span::new().days(14 + self.rng.below(21) as i64))
                    .unwrap_or(day);
                fields.insert("request_date".into(), date);
                fields.insert("response_deadline".into(), deadline.to_string());
                fields.insert("company_names".into(), cname);
                if input.information_notice {
                    fields.insert("information_notice".into(), "yes".into());
                }
            }
            30..=54 => {
                input.category = "stakeholder-meeting".into();
                input.companies = vec![cid];
                input.themes = vec![theme.clone()];
                // Some meetings lead to joint engagement with the service (statement §2).
                if self.rng.chance(15) {
                    input.joint_engagement =
                        Some("joint meeting with the service agreed for next month".into());
                }
                fields.insert("meeting_date".into(), date);
                fields.insert("themes".into(), theme);
                fields.insert("company_names".into(), cname);
            }
            55..=69 => {
                input.category = "public-information".into();
                input.companies = vec![cid];
                input.relevance = None;
                input.public_source = Some(format!("Press report, The Daily Example, {date}"));
                fields.insert(
                    "source_reference".into(),
                    format!("https://news.example/{}", self.rng.below(100_000)),
                );
                fields.insert(
                    "summary".into(),
                    format!("Press coverage of {cname}'s new features for young users"),
                );
                fields.insert("company_names".into(), cname);
            }
            70..=79 => {
                input.category = "theme-only".into();
                input.themes = vec![theme.clone()];
                input.relevance = None;
                fields.insert("theme".into(), theme);
                fields.insert(
                    "description".into(),
                    "Supervision team looking into how services reduce risk to children".into(),
                );
            }
            80..=91 => {
                input.category = "theme-and-company".into();
                input.companies = vec![cid];
                input.themes = vec![theme.clone()];
                input.relevance = None;
                fields.insert("company_name".into(), cname);
                fields.insert("theme".into(), theme);
            }
            _ => {
                input.category = "case-by-case".into();
                input.companies = vec![cid];
                input.themes = vec![theme];
                input.assessment_reference =
                    Some(format!("CBC-{}-{:03}", day.year(), self.rng.below(1000)));
                input.assessment_approver = Some("Director of Online Safety Supervision".into());
                // The rest of the legal basis: the power the information was obtained under,
                // why the disclosure was necessary, and the agreement relied on.
                input.power = Some(
                    if from_ofcom {
                        "information notice under Online Safety Act 2023 s100"
                    } else {
                        "information notice under UK GDPR Article 58(1)(a)"
                    }
                    .into(),
                );
                input.necessity = Some(
                    "needed to coordinate supervision of the same service without duplicating requests"
                        .into(),
                );
                input.agreement = Some("ico-ofcom-2024".into());
                // The function the disclosure serves (statement §4), one of the discloser's own.
                input.function = Some(
                    if from_ofcom {
                        "online-safety"
                    } else {
                        "uk-gdpr-art57"
                    }
                    .into(),
                );
                input.notification = if self.rng.chance(50) {
                    "notified".into()
                } else {
                    "skipped: notifying the service would prejudice an ongoing investigation".into()
                };
                fields.insert(
                    "summary".into(),
                    "Detailed findings shared under the gateway after assessment".into(),
                );
                fields.insert("company_names".into(), cname);
            }
        }
        input.fields = fields;
        input
    }
}

/// Builds a ledger at `path` from `keys` per `opts`. Returns the number of entries.
pub fn generate(
    path: &Path,
    keys: &DemoKeys,
    opts: &GenerateOptions,
) -> Result<u64, GenerateError> {
    let genesis_time = at(opts.start, 9, 0);
    let parties = [
        PartyInit {
            id: p("ICO"),
            name: "Information Commissioner's Office".into(),
            key: keys.get("ico-2024").public().clone(),
        },
        PartyInit {
            id: p("OFCOM"),
            name: "Ofcom".into(),
            key: keys.get("ofcom-2024").public().clone(),
        },
        // A third DRCF member, present from the start; the policy only names it from 2025.
        PartyInit {
            id: p("CMA"),
            name: "Competition and Markets Authority".into(),
            key: keys.get("cma-2024").public().clone(),
        },
    ];
    let policy = policy_document(
        DEFAULT_POLICY_LABEL,
        Timestamp::start_of_day(Date::constant(2024, 1, 1)),
        DEFAULT_POLICY,
    );
    let mut ledger = Ledger::create(
        path,
        SAMPLE_ORIGIN,
        &parties,
        policy,
        keys.get("ico-2024"),
        genesis_time,
    )?;
    let batch = ledger.begin().map_err(|source| GenerateError::Append {
        what: "the first batch".into(),
        source,
    })?;
    let mut g = Gen {
        batch,
        keys,
        rng: SplitMix64::new(opts.seed),
        current: BTreeMap::from([
            ("ICO", "ico-2024"),
            ("OFCOM", "ofcom-2024"),
            ("CMA", "cma-2024"),
        ]),
        acks_due: BinaryHeap::new(),
        disclosures: Vec::new(),
    };

    // Setup: themes (§2), a second Ofcom key, designations of mutual interest (§3).
    let day0 = opts.start;
    for (i, (id, title, desc)) in INITIAL_THEMES.iter().enumerate() {
        let party = if i % 2 == 0 { "ICO" } else { "OFCOM" };
        g.declare_theme(party, id, title, desc, at(day0, 10, i as i64))?;
    }
    let ops = keys.get("ofcom-ops-2024").public().clone();
    let pending = g.batch.ledger().prepare_key_added(p("OFCOM"), &ops);
    g.append("ofcom-2024", pending, at(day0, 11, 0), "key addition")?;
    // Companies 0..=5 become of mutual interest to ICO and Ofcom; 6 is proposed and withdrawn
    // by its proposer; 7 is proposed and never confirmed; 8 and 9 are never proposed.
    let day1 = day0.tomorrow().expect("in range");
    for c in 0..=5 {
        let (a, b) = if c % 2 == 0 {
            ("OFCOM", "ICO")
        } else {
            ("ICO", "OFCOM")
        };
        g.propose(a, c, at(day1, 10, c as i64))?;
        g.confirm(b, c, at(day1, 14, c as i64))?;
    }
    g.propose("ICO", 6, at(day1, 15, 0))?;
    g.end_designation(
        "ICO",
        6,
        "Withdrawn: no longer of current interest to the ICO",
        at(day1, 15, 30),
    )?;
    g.propose("OFCOM", 7, at(day1, 16, 0))?;

    // Routine disclosures start a few days after the registers are set up.
    let mut day = day1
        .checked_add(jiff::Span::new().days(4))
        .expect("in range");
    let mut milestones_done = [false; 12];
    while day <= opts.end {
        let weekday = day.weekday().to_monday_one_offset();
        if weekday <= 5 {
            g.milestones(day, &mut milestones_done, opts)?;
            if opts.checkpoints && day.day() <= 7 && weekday == 1 {
                g.monthly_checkpoint(at(day, 8, 0))?;
            }
            // Disclosures for the day.
            let mut n = 0;
            while g.rng.below(100) < opts.disclosures_per_day_pct.saturating_sub(n * 100) {
                n += 1;
                let now = at(day, 9 + g.rng.below(8) as i64, g.rng.below(60) as i64);
                g.run_acks_until(now)?;
                let input = g.random_disclosure(now, day);
                let by = if input.from == "OFCOM"
                    && g.batch.ledger().registers().key_status(
                        &p("OFCOM"),
                        keys.get("ofcom-ops-2024").public().key_id,
                        g.batch.ledger().next_seq(),
                    ) == disclosure_ledger::registers::KeyStatus::Valid
                    && g.rng.chance(30)
                {
                    "ofcom-ops-2024"
                } else {
                    g.key_of(&input.from)
                };
                let ack = if g.rng.chance(93) {
                    let days = if g.rng.chance(8) {
                        12 + g.rng.below(10)
                    } else {
                        g.rng.below(5)
                    };
                    Some(days as i64 * 86_400 + 3_600 + g.rng.below(20_000) as i64)
                } else {
                    None
                };
                g.disclose(by, input, now, ack)?;
            }
        }
        g.run_acks_until(at(day, 23, 59))?;
        opts.progress.report(g.batch.ledger().next_seq().0);
        if opts
            .target_entries
            .is_some_and(|t| g.batch.ledger().next_seq().0 >= t)
        {
            break;
        }
        day = match day.tomorrow() {
            Ok(d) => d,
            Err(_) => break,
        };
    }
    let end = at(day.min(opts.end), 23, 59);
    g.run_acks_until(end)?;
    if opts.checkpoints {
        // A final cosigned checkpoint, so every entry can be proved to a cosigned tree.
        g.monthly_checkpoint(end)?;
    }
    let n = g.batch.ledger().next_seq().0;
    g.batch
        .commit_and_compact()
        .map_err(|source| GenerateError::Append {
            what: "the last batch".into(),
            source,
        })?;
    Ok(n)
}

/// The common part of the deliberate anomalies: a routine-looking disclosure by `from` to the
/// other of ICO and Ofcom, with that party's own gateway and relevance statement.
fn anomaly(from: &str, category: &str, disclosed_at: Timestamp) -> DisclosureInput {
    let ico = from == "ICO";
    DisclosureInput {
        from: from.into(),
        to: if ico { "OFCOM" } else { "ICO" }.into(),
        disclosed_at: disclosed_at.to_string(),
        gateway: Some(
            if ico {
                "Data Protection Act 2018 s132(2)(c)"
            } else {
                "Communications Act 2003 s393(2)(a)"
            }
            .into(),
        ),
        category: category.into(),
        notification:
            "skipped: routine disclosure expected without prior notification (statement §4)".into(),
        relevance: Some(
            if ico {
                "matters of potential intersection between online safety and data protection"
            } else {
                "relevant to online safety"
            }
            .into(),
        ),
        officer_role: "Online Safety supervision team".into(),
        ..DisclosureInput::default()
    }
}

impl Gen<'_, '_> {
    /// The ICO signs a checkpoint of the whole ledger and Ofcom cosigns it.
    fn monthly_checkpoint(&mut self, now: Timestamp) -> Result<(), GenerateError> {
        let witness = |e| GenerateError::Witness(Box::new(e));
        let operator = self.keys.get(self.key_of("ICO"));
        let note = self.batch.checkpoint(operator).map_err(witness)?;
        let cosigner = self.keys.get(self.key_of("OFCOM"));
        self.batch
            .cosign(note.to_string().as_bytes(), cosigner, now)
            .map_err(witness)?;
        Ok(())
    }

    /// Register changes and deliberate anomalies on fixed dates, so the sample has every entry
    /// kind and every policy flag at least once.
    fn milestones(
        &mut self,
        day: Date,
        done: &mut [bool; 12],
        opts: &GenerateOptions,
    ) -> Result<(), GenerateError> {
        let mut once = |i: usize, date: Date| -> bool {
            if !done[i] && day >= date {
                done[i] = true;
                true
            } else {
                false
            }
        };
        if once(0, Date::constant(2024, 9, 2)) {
            // A policy revision: same rules, acknowledgement window tightened to 7 days.
            let text = DEFAULT_POLICY.replace(
                "acknowledge_within_days = 10",
                "acknowledge_within_days = 7",
            );
            let doc = policy_document(
                "ico-ofcom-2024 rev 2",
                Timestamp::start_of_day(Date::constant(2024, 10, 1)),
                &text,
            );
            let now = at(day, 9, 5);
            self.joint_act(
                "ICO",
                disclosure_ledger::model::Body::PolicyAdopted(doc),
                now,
                "policy adoption",
            )?;
        }
        if once(1, Date::constant(2025, 2, 3)) {
            // A new theme, and one retired.
            self.declare_theme(
                "OFCOM",
                "automated-content-moderation",
                "Automated content moderation",
                "Use of automated moderation across social media platforms.",
                at(day, 9, 10),
            )?;
            let now = at(day, 9, 20);
            let pending = self.prepared(
                self.batch.ledger().prepare_theme_retired(
                    ThemeId::new("proactive-tech-and-ai").expect("valid"),
                    "Merged into automated content moderation",
                    now,
                ),
                "theme retirement",
            )?;
            let seq = self.append(self.key_of("ICO"), pending, now, "theme retirement")?;
            self.confirm_all(seq, now.plus_seconds(60))?;
        }
        if once(2, Date::constant(2025, 4, 1)) {
            // ICO rotates its key.
            let now = at(day, 9, 0);
            let new = self.keys.get("ico-2025").public().clone();
            let old = self.keys.get("ico-2024").public().key_id;
            let pending = self.batch.ledger().prepare_key_rotated(p("ICO"), old, &new);
            self.append("ico-2024", pending, now, "key rotation")?;
            self.current.insert("ICO", "ico-2025");
        }
        if once(3, Date::constant(2025, 6, 2)) {
            // A designation ends; a new company is designated.
            self.end_designation(
                "OFCOM",
                5,
                "No longer of current interest to Ofcom",
                at(day, 9, 30),
            )?;
            self.propose("ICO", 8, at(day, 10, 0))?;
            self.confirm("OFCOM", 8, at(day, 11, 0))?;
        }
        if once(4, Date::constant(2025, 9, 1)) {
            // Ofcom revokes its operations key.
            let now = at(day, 9, 0);
            let id = self.keys.get("ofcom-ops-2024").public().key_id;
            let pending = self.batch.ledger().prepare_key_revoked(
                p("OFCOM"),
                id,
                "Operations key retired with the team's move",
            );
            self.append("ofcom-2024", pending, now, "key revocation")?;
        }
        if opts.anomalies && once(5, Date::constant(2024, 11, 4)) {
            self.anomalies_2024(day)?;
        }
        if opts.anomalies && once(6, Date::constant(2025, 3, 3)) {
            self.anomalies_2025(day)?;
        }
        if opts.anomalies && once(8, Date::constant(2024, 6, 11)) {
            self.cma_before_policy(day)?;
        }
        if once(9, Date::constant(2025, 7, 1)) {
            // The CMA joins the arrangement by a policy change alone, then discloses within it.
            let doc = policy_document(
                "ico-ofcom-cma-2025",
                Timestamp::start_of_day(Date::constant(2025, 7, 1)),
                disclosure_ledger::policy::CMA_EXTENSION_POLICY,
            );
            self.joint_act(
                "OFCOM",
                disclosure_ledger::model::Body::PolicyAdopted(doc),
                at(day, 9, 0),
                "policy adoption",
            )?;
            // The CMA is party to neither statement: it discloses case by case, with an
            // assessment and the function it serves.
            let d = DisclosureInput {
                to: "OFCOM".into(),
                gateway: Some("Enterprise Act 2002 s241(3)".into()),
                themes: vec!["age-assurance".into()],
                fields: BTreeMap::from([(
                    "summary".into(),
                    "Market study findings on age assurance providers".into(),
                )]),
                relevance: None,
                assessment_reference: Some("CMA-AS-2025-014".into()),
                assessment_approver: Some("CMA Director, Digital Markets".into()),
                function: Some("competition-and-consumer".into()),
                notification: "notified".into(),
                officer_role: "CMA Digital Markets Unit".into(),
                ..anomaly("CMA", "case-by-case", at(day, 11, 0))
            };
            self.disclose("cma-2024", d, at(day, 11, 0), Some(86_400))?;
            if opts.anomalies {
                // A routine theme-only disclosure to the CMA, which takes no part in the
                // statement's routine sharing.
                let mut d = self.theme_only(
                    "ICO",
                    at(day, 12, 0),
                    "Looking at age assurance across app stores",
                );
                d.to = "CMA".into();
                self.disclose(self.key_of("ICO"), d, at(day, 12, 0), Some(86_400))?;
            }
        }
        if once(11, Date::constant(2025, 6, 2)) {
            // A case-by-case assessment that decided not to disclose (statement §4).
            let key = self.keys.get(self.key_of("ICO"));
            let pending = self.batch.ledger().prepare_refusal(
                key,
                p("OFCOM"),
                at(day, 10, 0),
                &[CompanyId::new("kidzone").expect("valid id")],
                vec![],
                disclosure_ledger::model::Assessment {
                    reference: "CBC-2025-031".into(),
                    approver: "Head of Regulatory Supervision".into(),
                },
                "sharing the complaint details would prejudice an ongoing ICO investigation",
                "Regulatory Supervision, Online Safety liaison",
            );
            let pending = self.prepared(pending, "refusal")?;
            self.append(self.key_of("ICO"), pending, at(day, 10, 30), "refusal")?;
        }
        if opts.anomalies && once(10, Date::constant(2025, 11, 3)) {
            // A policy written for a newer schema that this build cannot read: it is flagged, and
            // disclosures stay judged by the last readable policy.
            let text = disclosure_ledger::policy::CMA_EXTENSION_POLICY
                .lines()
                .map(|l| {
                    if l.starts_with("schema = ") {
                        "schema = 99"
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            let doc = policy_document(
                "drcf-2026-draft",
                Timestamp::start_of_day(Date::constant(2025, 12, 1)),
                &text,
            );
            self.joint_act(
                "ICO",
                disclosure_ledger::model::Body::PolicyAdopted(doc),
                at(day, 9, 0),
                "policy adoption",
            )?;
        }
        if once(7, Date::constant(2024, 5, 7)) && !self.disclosures.is_empty() {
            // A correction of an earlier disclosure by its author, with a replacement.
            let target = self.disclosures[self.disclosures.len() / 2];
            let now = at(day, 16, 30);
            let reg = self.batch.ledger().registers();
            let author = reg
                .entry(target)
                .and_then(|e| reg.party_at(e.signer))
                .map(|p| p.to_string())
                .unwrap_or_else(|| "ICO".into());
            let key_name = self.key_of(if author == "ICO" { "ICO" } else { "OFCOM" });
            let replacement = self.theme_only(
                &author,
                now,
                "Corrected: the description named the wrong quarter",
            );
            let key = self.keys.get(key_name);
            let rng = &mut self.rng;
            let pending = self.batch.ledger().prepare_correction(
                target,
                "The recorded description named the wrong quarter",
                Some(&replacement),
                key,
                now,
                &mut || rng.bytes32(),
            );
            match pending {
                Ok(pending) => {
                    self.append(key_name, pending, now, "correction")?;
                }
                Err(_) => {
                    let pending = self.prepared(
                        self.batch.ledger().prepare_correction(
                            target,
                            "The disclosure date was recorded a day late",
                            None,
                            key,
                            now,
                            &mut || [0; 32],
                        ),
                        "correction",
                    )?;
                    self.append(key_name, pending, now, "correction")?;
                }
            }
        }
        Ok(())
    }

    fn theme_only(&self, from: &str, now: Timestamp, description: &str) -> DisclosureInput {
        DisclosureInput {
            from: from.into(),
            to: if from == "ICO" {
                "OFCOM".into()
            } else {
                "ICO".into()
            },
            disclosed_at: now.plus_seconds(-3600).to_string(),
            gateway: Some(
                if from == "ICO" {
                    "Data Protection Act 2018 s132(2)(c)"
                } else {
                    "Communications Act 2003 s393(2)(a)"
                }
                .into(),
            ),
            category: "theme-only".into(),
            themes: vec!["recommender-systems".into()],
            fields: BTreeMap::from([
                ("theme".into(), "recommender-systems".into()),
                ("description".into(), description.into()),
            ]),
            notification:
                "skipped: routine disclosure expected without prior notification (statement §4)"
                    .into(),
            officer_role: "Online Safety supervision team".into(),
            ..DisclosureInput::default()
        }
    }

    fn cma_before_policy(&mut self, day: Date) -> Result<(), GenerateError> {
        // The CMA discloses before any policy names it.
        let mut d = self.theme_only(
            "CMA",
            at(day, 10, 0),
            "Emerging competition concerns in age assurance",
        );
        d.to = "OFCOM".into();
        d.gateway = Some("Enterprise Act 2002 s241(3)".into());
        self.disclose("cma-2024", d, at(day, 10, 30), Some(86_400))?;
        // Ofcom relies on an "other" gateway its policy does not list.
        let mut d = self.theme_only(
            "OFCOM",
            at(day, 11, 0),
            "Planned review of recommender settings",
        );
        d.gateway = Some("other: common law powers".into());
        self.disclose(self.key_of("OFCOM"), d, at(day, 11, 30), Some(86_400))?;
        // A stakeholder meeting recorded without its theme.
        let d = DisclosureInput {
            from: "ICO".into(),
            to: "OFCOM".into(),
            disclosed_at: at(day, 12, 0).to_string(),
            gateway: Some("Data Protection Act 2018 s132(2)(c)".into()),
            category: "stakeholder-meeting".into(),
            companies: vec!["nimbus-search".into()],
            fields: BTreeMap::from([
                ("meeting_date".into(), day.to_string()),
                ("company_names".into(), "Nimbus Search Ltd".into()),
            ]),
            notification:
                "skipped: routine disclosure expected without prior notification (statement §4)"
                    .into(),
            relevance: Some(
                "matters of potential intersection between online safety and data protection"
                    .into(),
            ),
            officer_role: "Regulatory Supervision, Online Safety liaison".into(),
            ..DisclosureInput::default()
        };
        self.disclose(self.key_of("ICO"), d, at(day, 12, 30), Some(86_400))?;
        Ok(())
    }

    fn anomalies_2024(&mut self, day: Date) -> Result<(), GenerateError> {
        let base =
            |from: &str, category: &str, hour: i64| anomaly(from, category, at(day, hour, 0));
        // 1. The content of an information request shared (field outside the category).
        let mut d = base("OFCOM", "information-request", 9);
        d.companies = vec!["brightloop".into()];
        d.themes = vec!["age-assurance".into()];
        d.fields = BTreeMap::from([
            ("request_date".into(), day.to_string()),
            ("response_deadline".into(), "2024-11-25".into()),
            ("company_names".into(), "BrightLoop Social Ltd".into()),
            (
                "request_content".into(),
                "Questions 1-14 on age estimation accuracy".into(),
            ),
        ]);
        let content_shared = self.disclose("ofcom-2024", d, at(day, 9, 30), Some(86_400))?;
        // Ofcom's compliance lead escalates it the same afternoon (statement §6's review; an
        // escalated flag stays open).
        let body = disclosure_ledger::dispositions::disposition(
            content_shared,
            FlagCode::RequestContentShared,
            DispositionAction::Escalated,
            None,
            "request content went beyond the routine category; referred to the Director",
            "Online Safety compliance lead",
        );
        self.append("ofcom-2024", body.into(), at(day, 16, 0), "disposition")?;
        // 2. A stakeholder meeting about a company proposed but never confirmed (not mutual).
        let mut d = base("ICO", "stakeholder-meeting", 10);
        d.companies = vec!["friendmap".into()];
        d.themes = vec!["child-default-and-geolocation-settings".into()];
        d.fields = BTreeMap::from([
            ("meeting_date".into(), day.to_string()),
            ("company_names".into(), "FriendMap Ltd".into()),
            // A field the statement does not list for meetings.
            ("agenda".into(), "Default settings for under-16s".into()),
        ]);
        self.disclose(self.key_of("ICO"), d, at(day, 10, 30), Some(90_000))?;
        // 3. Theme + a company never designated, without a case-by-case assessment.
        let mut d = base("OFCOM", "theme-and-company", 11);
        d.companies = vec!["quietforum=QuietForum CIC".into()];
        d.themes = vec!["upholding-terms-and-standards".into()];
        d.relevance = None;
        d.fields = BTreeMap::from([
            ("company_name".into(), "QuietForum CIC".into()),
            ("theme".into(), "upholding-terms-and-standards".into()),
        ]);
        self.disclose("ofcom-2024", d, at(day, 11, 30), Some(80_000))?;
        // 4. A theme-only disclosure whose fields name a company.
        let mut d = base("ICO", "theme-only", 12);
        d.themes = vec!["recommender-systems".into()];
        d.relevance = None;
        d.fields = BTreeMap::from([
            ("theme".into(), "recommender-systems".into()),
            ("company_name".into(), "PixelPond Video Ltd".into()),
        ]);
        self.disclose(self.key_of("ICO"), d, at(day, 12, 30), Some(70_000))?;
        // 5. The ICO citing Ofcom's statute.
        let mut d = base("ICO", "stakeholder-meeting", 13);
        d.gateway = Some("Communications Act 2003 s393(2)(a)".into());
        d.companies = vec!["chatterbox".into()];
        d.themes = vec!["online-safety-privacy-duties".into()];
        d.fields = BTreeMap::from([
            ("meeting_date".into(), day.to_string()),
            ("company_names".into(), "Chatterbox Messaging plc".into()),
        ]);
        self.disclose(self.key_of("ICO"), d, at(day, 13, 30), Some(60_000))?;
        // 6. Case-by-case without an assessment, notification skipped.
        let mut d = base("OFCOM", "case-by-case", 14);
        d.companies = vec!["loopmarket=LoopMarket Ltd".into()];
        d.themes = vec!["recommender-systems".into()];
        d.fields = BTreeMap::from([(
            "summary".into(),
            "Complaint volumes about LoopMarket's recommendations".into(),
        )]);
        self.disclose("ofcom-2024", d, at(day, 14, 30), None)?;
        Ok(())
    }

    fn anomalies_2025(&mut self, day: Date) -> Result<(), GenerateError> {
        let ico_role = "Regulatory Supervision, Online Safety liaison";
        // 7. An information request from the ICO without its relevance statement.
        let d = DisclosureInput {
            companies: vec!["kidzone".into()],
            themes: vec!["age-assurance".into()],
            fields: BTreeMap::from([
                ("request_date".into(), day.to_string()),
                ("response_deadline".into(), "2025-03-24".into()),
                ("company_names".into(), "KidZone Games Ltd".into()),
            ]),
            relevance: None,
            officer_role: ico_role.into(),
            ..anomaly("ICO", "information-request", at(day, 9, 0))
        };
        self.disclose(self.key_of("ICO"), d, at(day, 9, 30), Some(86_400))?;
        // 8. Public information without a source reference.
        let d = DisclosureInput {
            companies: vec!["pixelpond".into()],
            fields: BTreeMap::from([
                (
                    "summary".into(),
                    "Reported changes to PixelPond's default settings".into(),
                ),
                ("company_names".into(), "PixelPond Video Ltd".into()),
            ]),
            notification: "skipped: publicly available information".into(),
            relevance: None,
            ..anomaly("OFCOM", "public-information", at(day, 10, 0))
        };
        self.disclose(self.key_of("OFCOM"), d, at(day, 10, 30), Some(86_400))?;
        // 9. A retired theme used after its retirement.
        let d = DisclosureInput {
            themes: vec!["proactive-tech-and-ai".into()],
            fields: BTreeMap::from([
                ("theme".into(), "proactive-tech-and-ai".into()),
                (
                    "description".into(),
                    "Review of proactive technology deployments".into(),
                ),
            ]),
            relevance: None,
            ..anomaly("OFCOM", "theme-only", at(day, 11, 0))
        };
        self.disclose(self.key_of("OFCOM"), d, at(day, 11, 30), Some(86_400))?;
        // 10. A disclosure recorded twelve days after it was made.
        let twelve_days_before = day
            .checked_sub(jiff::Span::new().days(12))
            .expect("in range");
        let d = DisclosureInput {
            companies: vec!["kidzone".into()],
            themes: vec!["age-assurance".into()],
            fields: BTreeMap::from([
                ("meeting_date".into(), "2025-02-19".into()),
                ("company_names".into(), "KidZone Games Ltd".into()),
            ]),
            officer_role: ico_role.into(),
            ..anomaly("ICO", "stakeholder-meeting", at(twelve_days_before, 15, 0))
        };
        let late = self.disclose(self.key_of("ICO"), d, at(day, 12, 0), Some(86_400))?;
        // The ICO reviews the late record and records that nothing more is needed.
        let body = disclosure_ledger::dispositions::disposition(
            late,
            FlagCode::LateRecord,
            DispositionAction::ReviewedNoAction,
            None,
            "recorded late during the officer's leave; the meeting itself was routine",
            "Regulatory Supervision compliance lead",
        );
        self.append(
            self.key_of("ICO"),
            body.into(),
            at(day, 12, 30),
            "disposition",
        )?;
        // 11. A case-by-case disclosure by Ofcom that names one of the ICO's functions as its
        // purpose (statement §4: each discloses for its own functions).
        let d = DisclosureInput {
            companies: vec!["kidzone".into()],
            fields: BTreeMap::from([(
                "summary".into(),
                "Findings on KidZone's age checks, shared after assessment".into(),
            )]),
            relevance: None,
            assessment_reference: Some("CBC-2025-911".into()),
            assessment_approver: Some("Director of Online Safety Supervision".into()),
            function: Some("uk-gdpr-art57".into()),
            notification: "notified".into(),
            ..anomaly("OFCOM", "case-by-case", at(day, 13, 0))
        };
        self.disclose(self.key_of("OFCOM"), d, at(day, 13, 30), Some(86_400))?;
        Ok(())
    }
}
