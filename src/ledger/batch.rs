//! Writing entries: a [`Batch`] holds the write lock, checks each [`Pending`] body it is given
//! against the registers (and the structural rules), numbers, chains and signs it, and commits
//! what is staged in one durable transaction, on this thread ([`Batch::flush`],
//! [`Batch::commit`]) or on another while the next entries are prepared
//! ([`Batch::flush_in_background`]). [`Ledger::append`] and the checkpoint operations are
//! batches of their own.
//!
//! If a write fails, or a batch is dropped uncommitted, nothing staged is kept and the
//! registers are put back as the file has them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::codec;
use crate::hash::leaf_hash;
use crate::input::DisclosureInput;
use crate::keys::SecretKey;
use crate::model::{Body, Entry, EntryHash, FORMAT_VERSION, Seq, Signer, Timestamp};
use crate::rules;
use crate::store::{Access, IndexUpdate, NewRecord, OpenError as StoreOpenError, Store, VaultItem};
use crate::witness::WitnessError;

use super::check::read_fact;
use super::replay::{load, replay_into};
use super::writer::BackgroundWriter;
use super::{AppendError, Ledger, fresh_salt};

/// A body to append, with the vault items that go with it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The body.
    pub body: Body,
    /// (field name, salt ‖ value) pairs for the vault.
    pub vault: Vec<VaultItem>,
}

impl From<Body> for Pending {
    fn from(body: Body) -> Self {
        Pending {
            body,
            vault: Vec::new(),
        }
    }
}

/// What an append returns: where the entry went and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Its sequence number.
    pub seq: Seq,
    /// Its entry hash.
    pub hash: EntryHash,
    /// Its recorded time.
    pub recorded_at: Timestamp,
}

impl Ledger {
    /// Appends one body signed by `key`, durably.
    pub fn append(
        &mut self,
        pending: Pending,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        Ok(self
            .append_batch(vec![pending], key, now)?
            .pop()
            .expect("one receipt per entry"))
    }

    /// Appends several bodies signed by `key` in one durable transaction: all or none.
    pub fn append_batch(
        &mut self,
        pending: Vec<Pending>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        if let Some(submitter) = self.submitter.take() {
            let submitted = submitter.submit(self, pending, key, now);
            self.submitter = Some(submitter);
            return submitted;
        }
        // A key that may not sign is refused before the write lock is taken: opening the file
        // for writing rewrites its header, and refused input must leave it byte-for-byte
        // unchanged (tests/keys_e2e.rs).
        self.party_of(key)?;
        // Every entry is checked as it will be appended, through a read-only handle, so that
        // input the rules refuse is refused before the file is opened for writing.
        let (bodies, vaults): (Vec<Body>, Vec<Vec<VaultItem>>) =
            pending.into_iter().map(|p| (p.body, p.vault)).unzip();
        let mut checked = self.check_batch(bodies, key, now)?;
        if let Some((_, e)) = std::mem::take(&mut checked.refused).into_iter().next() {
            return Err(e);
        }
        let mut batch = self.begin()?;
        // The checked entries are appended as they are (signed here), unless another writer
        // appended since the check; then they are built and checked again.
        match checked.for_batch(&batch) {
            Ok(entries) => {
                batch.push_checked(entries.into_iter().zip(vaults).collect(), key, now)?
            }
            Err(bodies) => batch.push_many(pending_items(bodies, vaults, key), now)?,
        };
        batch.commit()
    }

    /// Refuses, before anything is opened for writing, a body whose signed entry would be
    /// larger than [`codec::MAX_ENTRY_BYTES`]. The size does not depend on the sequence number,
    /// previous hash or time (fixed-width fields), so a probe entry gives the exact size.
    pub fn check_entry_size(
        &self,
        pending: &Pending,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<(), AppendError> {
        let probe = Entry {
            version: FORMAT_VERSION,
            seq: Seq(0),
            prev: EntryHash::ZERO,
            recorded_at: now,
            signer: Signer {
                party: self.party_of(key)?,
                key_id: key.public().key_id,
            },
            body: pending.body.clone(),
        };
        codec::encode_entry(&probe)?;
        Ok(())
    }

    /// Records a disclosure with fresh random salts.
    pub fn disclose(
        &mut self,
        input: &DisclosureInput,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        let pending = self.prepare_disclosure(input, key, now, &mut fresh_salt)?;
        self.append(pending, key, now)
    }

    /// Checks `bodies`, signed by `key`, as [`Batch::push_many`] would append them, in order
    /// (each against the registers as the entries before it leave them), without taking the
    /// write lock or changing this ledger: the file is only read. Returns every body that
    /// would be refused, by its index in `bodies`, with why (a refused body is left out of the
    /// registers the ones after it are checked against), and the entries the others become.
    /// An error means the check could not be run (the file could not be read).
    ///
    /// [`Batch::push_checked`] appends the checked entries without building and checking them
    /// again, if nobody appended in between ([`Checked::for_batch`]); so this is what makes a
    /// refusal leave the file byte-for-byte unchanged, and what saves the second check.
    pub fn check_batch(
        &self,
        bodies: Vec<Body>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Checked, AppendError> {
        self.check_items(bodies, key, now, &mut |bytes, _| bytes)
    }

    /// Checks one body, signed by `key`, as it would be appended now, through a read-only
    /// handle: the refusal the append would meet, if any (for `--dry-run`).
    pub fn check(&self, body: Body, key: &SecretKey, now: Timestamp) -> Result<(), AppendError> {
        match self
            .check_batch(vec![body], key, now)?
            .refused
            .into_iter()
            .next()
        {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// [`Ledger::check_batch`], signing each checked entry on rayon's workers while the next
    /// ones are checked (a signature covers only the entry's bytes, so it can be made before
    /// anything is written), then `then` with this ledger, what the check found and the
    /// signatures as they are made. `then` runs while the signing goes on, so writing the first
    /// entries overlaps signing the last: [`SignatureFeed::sign`] hands the signatures over in
    /// order, and [`Batch::push_checked`] appends the signed entries as they are. For bulk
    /// import.
    pub fn check_and_sign_then<R: Send>(
        &mut self,
        bodies: Vec<Body>,
        key: &SecretKey,
        now: Timestamp,
        then: impl FnOnce(&mut Ledger, Checked, SignatureFeed) -> R + Send,
    ) -> Result<R, AppendError> {
        let (signed_tx, signed_rx) = std::sync::mpsc::channel::<SignedGroup>();
        // Set when a body is refused: nothing will be appended, so signing stops.
        let cancelled = AtomicBool::new(false);
        rayon::scope(|scope| {
            let mut group: Vec<Vec<u8>> = Vec::with_capacity(SIGN_GROUP);
            let mut group_from = 0;
            let cancelled = &cancelled;
            let spawn = |from: usize, group: Vec<Vec<u8>>| {
                let tx = signed_tx.clone();
                scope.spawn(move |_| {
                    if cancelled.load(Ordering::Relaxed) {
                        return;
                    }
                    let signed = group
                        .into_iter()
                        .map(|bytes| {
                            let signature = key.sign_entry(&bytes);
                            (bytes, signature)
                        })
                        .collect();
                    // The feed holds the receiver until every checked entry's signature has
                    // arrived, or is dropped when nothing more will be asked of it.
                    let _ = tx.send((from, signed));
                });
            };
            let mut sign = |bytes: Vec<u8>, checked: usize| {
                group.push(bytes);
                if group.len() == SIGN_GROUP {
                    spawn(group_from, std::mem::take(&mut group));
                    group_from = checked;
                }
                Vec::new()
            };
            let checked = self.check_items(bodies, key, now, &mut sign);
            if !group.is_empty() {
                spawn(group_from, group);
            }
            drop(signed_tx);
            let checked = checked.inspect_err(|_| cancelled.store(true, Ordering::Relaxed))?;
            if !checked.refused.is_empty() {
                cancelled.store(true, Ordering::Relaxed);
            }
            let feed = SignatureFeed {
                made: std::iter::repeat_with(|| None)
                    .take(checked.entries.len())
                    .collect(),
                arriving: signed_rx,
                next: 0,
            };
            Ok(then(self, checked, feed))
        })
    }

    /// The checking pass: each body is built as the next entry of a copy of the registers,
    /// checked and applied to it. `on_bytes` gets each accepted entry's bytes, with how many
    /// entries have been accepted so far, and returns what to keep of them (all, or nothing
    /// when it takes them to be signed elsewhere).
    fn check_items(
        &self,
        bodies: Vec<Body>,
        key: &SecretKey,
        now: Timestamp,
        on_bytes: &mut dyn FnMut(Vec<u8>, usize) -> Vec<u8>,
    ) -> Result<Checked, AppendError> {
        let mut shadow = Ledger {
            path: self.path.clone(),
            reg: self.reg.clone(),
            wait: self.wait,
            writer: None,
            index: self.index.clone(),
            policies: Default::default(),
            held: self.held.clone(),
            submitter: None,
        };
        let mut reader: Option<Arc<Store>> = None;
        let mut refused = Vec::new();
        let mut entries = Vec::with_capacity(bodies.len());
        for (i, body) in bodies.into_iter().enumerate() {
            let entry = match shadow.next_entry(body, key, now) {
                Ok(e) => e,
                Err(e) => {
                    refused.push((i, e));
                    continue;
                }
            };
            let mut failed = None;
            for target in entry.body.references() {
                if !shadow.reg.needs_loading(target) {
                    continue;
                }
                if reader.is_none() {
                    reader = Some(self.store(Access::ReadOnly)?);
                }
                let store = reader.as_ref().expect("opened above");
                if let Err(e) = shadow.load_fact(store, target) {
                    failed = Some(e);
                    break;
                }
            }
            if let Some(e) = failed {
                refused.push((i, e));
                continue;
            }
            match shadow.check_and_apply(&entry) {
                Ok((bytes, hash)) => {
                    let kept = on_bytes(bytes, entries.len() + 1);
                    entries.push(CheckedEntry {
                        entry,
                        hash,
                        bytes: kept,
                        signature: None,
                    });
                }
                Err(e) => refused.push((i, e)),
            }
        }
        Ok(Checked {
            refused,
            from_head: self.reg.head,
            entries,
        })
    }

    /// The entry `body` would be if appended next, signed by `key`: numbered and chained
    /// after the head, in the name of `key`'s party (refused if `key` may not sign).
    fn next_entry(
        &self,
        body: Body,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Entry, AppendError> {
        let party = self.party_of(key)?;
        let (seq, prev, last_time) = match self.reg.head {
            Some((s, h, t)) => (s.next(), EntryHash(h), t),
            None => (Seq(0), EntryHash::ZERO, now),
        };
        Ok(Entry {
            version: FORMAT_VERSION,
            seq,
            prev,
            recorded_at: now.max(last_time),
            signer: Signer {
                party,
                key_id: key.public().key_id,
            },
            body,
        })
    }

    /// Loads into the registers what `store` records about entry `target` (for a register
    /// snapshot that leaves it out).
    fn load_fact(&mut self, store: &Store, target: Seq) -> Result<(), AppendError> {
        if let Some(f) = read_fact(store, target, &self.index.pending)? {
            self.reg
                .insert_loaded(target, f.kind, &f.signer, f.disclosure);
        }
        Ok(())
    }

    /// Checks `entry` against the structural rules and the registers, encodes it (refused if
    /// it is over the size limit) and applies it to the registers. Returns its bytes and leaf
    /// hash; on refusal the registers are as they were.
    pub(super) fn check_and_apply(
        &mut self,
        entry: &Entry,
    ) -> Result<(Vec<u8>, [u8; 32]), AppendError> {
        if let Some(breach) = rules::check_entry(&self.reg, entry).into_iter().next() {
            return Err(AppendError::Rule {
                kind: breach.kind(),
                message: breach.message(),
            });
        }
        let bytes = codec::encode_entry(entry)?;
        let hash = leaf_hash(&bytes);
        self.apply_checked(entry, hash);
        Ok((bytes, hash))
    }

    /// Applies an entry already checked against these registers.
    pub(super) fn apply_checked(&mut self, entry: &Entry, hash: [u8; 32]) {
        self.reg.apply(entry, hash);
        for target in entry.body.references() {
            self.index.pending.push((target.0, entry.seq.0));
        }
    }

    /// Starts a batch: takes the write lock, catches up with any entries another writer added
    /// since this ledger was opened, and returns a [`Batch`] to push entries into.
    pub fn begin(&mut self) -> Result<Batch<'_>, AppendError> {
        if self.submitter.is_some() {
            return Err(AppendError::Remote(
                "this ledger is a replica of a log another party operates: entries are \
                 submitted to its node one at a time, and a replica takes no other writes"
                    .into(),
            ));
        }
        // The write lock is taken only now. If another writer appended since we replayed,
        // catch up first; the structural rules are then checked against the new head.
        let start = std::time::Instant::now();
        let writer = loop {
            match self.store(Access::ReadWrite) {
                Err(StoreOpenError::Locked { .. }) if start.elapsed() < self.wait => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        replay_into(&writer, &mut self.reg, &mut self.index.pending)?;
        self.writer = Some(writer);
        Ok(Batch {
            ledger: self,
            records: Vec::new(),
            receipts: Vec::new(),
            writing: None,
            background: None,
            durable: Vec::new(),
            done: false,
        })
    }

    /// Signs and stores a checkpoint of the whole ledger with `key` (as log operator).
    pub fn checkpoint(&mut self, key: &SecretKey) -> Result<tlog::Note, WitnessError> {
        // Refused before the file is opened for writing (which changes it), then made again
        // under the write lock.
        {
            let (reader, reg) = self.read_only_view()?;
            crate::witness::checkpoint_note(&reader, &reg, key)?;
        }
        let mut batch = self.begin().map_err(witness_error)?;
        let note = batch.checkpoint(key)?;
        batch.done = true;
        Ok(note)
    }

    /// Cosigns a checkpoint note with `key` (as witness) and stores it.
    pub fn cosign(
        &mut self,
        note: &[u8],
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<tlog::Note, WitnessError> {
        // Refused before the file is opened for writing (which changes it), then checked and
        // cosigned again under the write lock.
        {
            let (reader, reg) = self.read_only_view()?;
            crate::witness::cosigned_note(&reader, &reg, note, key, now)?;
        }
        let mut batch = self.begin().map_err(witness_error)?;
        let note = batch.cosign(note, key, now)?;
        batch.done = true;
        Ok(note)
    }
}

impl Ledger {
    /// A read-only handle on the file and this ledger's registers caught up with it (another
    /// writer may have appended since the ledger was opened); this ledger is not changed.
    fn read_only_view(&self) -> Result<(Arc<Store>, crate::registers::Registers), WitnessError> {
        let reader = self.store(Access::ReadOnly)?;
        let mut reg = self.reg.clone();
        replay_into(&reader, &mut reg, &mut Vec::new()).map_err(|e| witness_error(e.into()))?;
        Ok((reader, reg))
    }
}

/// An entry built and checked, waiting for its signature: entry, bytes, hash, key, vault items.
type Staged<'k> = (Entry, Vec<u8>, [u8; 32], &'k SecretKey, Vec<VaultItem>);

/// An entry built for a batch: the entry, its bytes and hash, and its signature if it came
/// signed from [`Ledger::check_and_sign_then`].
type Built = (Entry, Vec<u8>, [u8; 32], Option<[u8; 64]>);

/// One entry as [`Ledger::check_batch`] built and checked it: the entry, its leaf hash and
/// bytes, and its signature once [`SignatureFeed::sign`] has handed it over.
#[derive(Debug)]
pub struct CheckedEntry {
    entry: Entry,
    hash: [u8; 32],
    /// Empty while the bytes are with a signing task.
    bytes: Vec<u8>,
    signature: Option<[u8; 64]>,
}

impl CheckedEntry {
    /// The entry as built.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }

    /// Its entry hash (the Merkle leaf hash of its bytes).
    pub fn hash(&self) -> EntryHash {
        EntryHash(self.hash)
    }

    /// Its bytes (empty while they are with a signing task).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl Checked {
    /// The entries of the items not refused, in order.
    pub fn entries(&self) -> &[CheckedEntry] {
        &self.entries
    }
}

/// Signatures made by one signing task: the index of the first entry, and each entry's bytes
/// with its signature.
type SignedGroup = (usize, Vec<(Vec<u8>, [u8; 64])>);

/// The signatures of a checking pass's entries, made on rayon's workers (see
/// [`Ledger::check_and_sign_then`]) and handed over in the order of the entries.
#[derive(Debug)]
pub struct SignatureFeed {
    made: Vec<Option<(Vec<u8>, [u8; 64])>>,
    arriving: std::sync::mpsc::Receiver<SignedGroup>,
    next: usize,
}

impl SignatureFeed {
    /// Gives `entries`, the next checked entries in order, their signatures: waits for any not
    /// made yet, meanwhile making others on this thread if it is one of rayon's.
    pub fn sign(&mut self, entries: &mut [CheckedEntry]) {
        for entry in entries {
            let i = self.next;
            while self.made.get(i).is_some_and(Option::is_none) {
                self.receive();
            }
            if let Some((bytes, signature)) = self.made.get_mut(i).and_then(Option::take) {
                entry.bytes = bytes;
                entry.signature = Some(signature);
            }
            self.next += 1;
        }
    }

    /// Takes in one group of signatures, helping to make them while none has arrived.
    fn receive(&mut self) {
        use std::sync::mpsc::TryRecvError;
        // Every signing task sends its group, or drops its sender unwinding from a panic
        // (which the scope then raises): a closed channel here is a bug in the grouping.
        const LOST: &str = "every checked entry is given to a signing task";
        let (from, signed) = match self.arriving.try_recv() {
            Ok(group) => group,
            Err(TryRecvError::Empty) => {
                if matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                    return;
                }
                // Nothing is left to help with: every group is made or being made.
                self.arriving.recv().expect(LOST)
            }
            Err(TryRecvError::Disconnected) => panic!("{LOST}"),
        };
        for (slot, s) in self.made[from..].iter_mut().zip(signed) {
            *slot = Some(s);
        }
    }
}

/// What [`Ledger::check_batch`] found: the items that would be refused (by index, with why)
/// and, for the others, the entries as they would be appended after the head `from_head`.
#[derive(Debug)]
pub struct Checked {
    /// The items that would be refused.
    pub refused: Vec<(usize, AppendError)>,
    /// The head of the ledger the entries were checked against.
    from_head: Option<(Seq, [u8; 32], Timestamp)>,
    /// The entries of the items not refused, in order.
    entries: Vec<CheckedEntry>,
}

impl Checked {
    /// The checked entries, if the batch's ledger still ends where they were checked (nobody
    /// appended since): then they are exactly what [`Batch::push_many`] would build, and
    /// [`Batch::push_checked`] appends them without building and checking them again.
    /// Otherwise their bodies, to build and check again against the new head. For a check
    /// that refused nothing.
    pub fn for_batch(self, batch: &Batch<'_>) -> Result<Vec<CheckedEntry>, Vec<Body>> {
        if self.refused.is_empty() && batch.ledger.reg.head == self.from_head {
            Ok(self.entries)
        } else {
            Err(self.entries.into_iter().map(|c| c.entry.body).collect())
        }
    }
}

/// What a batch appends: a body to build and check, or an entry already built and checked
/// against the same registers by [`Ledger::check_batch`]. (Held only while a batch is staged,
/// so the size of the larger variant matters less than an allocation per entry.)
#[allow(clippy::large_enum_variant)]
enum Source {
    Build(Body),
    Checked(CheckedEntry),
}

/// Bodies with their vault items, each to be signed by `key`, for [`Batch::push_many`].
pub(crate) fn pending_items(
    bodies: Vec<Body>,
    vaults: Vec<Vec<VaultItem>>,
    key: &SecretKey,
) -> Vec<(Pending, &SecretKey)> {
    bodies
        .into_iter()
        .zip(vaults)
        .map(|(body, vault)| (Pending { body, vault }, key))
        .collect()
}

/// Entries signed together by one worker task while the next ones are built.
const SIGN_GROUP: usize = 256;

/// Entries being appended under the write lock. Each entry pushed is checked against the
/// registers (including the entries pushed before it), applied to them, and held until
/// [`Batch::commit`] writes them all in one durable transaction. Dropping a batch without
/// committing writes nothing and restores the registers from the file.
pub struct Batch<'l> {
    pub(super) ledger: &'l mut Ledger,
    records: Vec<NewRecord>,
    receipts: Vec<Receipt>,
    /// The durable write started by [`Batch::flush_in_background`], if it has not been waited
    /// for yet.
    writing: Option<InFlight>,
    /// The thread background writes run on, from the first one until the batch ends.
    background: Option<BackgroundWriter>,
    /// Receipts of entries whose background write has completed, not yet handed back.
    durable: Vec<Receipt>,
    done: bool,
}

/// A durable write running on the batch's writing thread: the receipts it will make good.
struct InFlight {
    receipts: Vec<Receipt>,
}

impl Batch<'_> {
    /// The ledger as it stands with the entries pushed so far (for `prepare_*` calls).
    pub fn ledger(&self) -> &Ledger {
        self.ledger
    }

    fn writer(&self) -> &Store {
        self.ledger
            .writer
            .as_deref()
            .expect("a batch holds the write handle until it ends")
    }

    /// Entries pushed and not yet committed.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing is waiting to be committed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks, seals and stages one entry signed by `key`.
    pub fn push(
        &mut self,
        pending: Pending,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        Ok(self
            .push_many(vec![(pending, key)], now)?
            .pop()
            .expect("one receipt per entry"))
    }

    /// Checks and stages several entries, each with its signing key. Entries are built and
    /// checked in order (each chains to the one before); the signatures, the costly part, are
    /// made in parallel. If any entry is refused, none of them is staged.
    pub fn push_many(
        &mut self,
        items: Vec<(Pending, &SecretKey)>,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        let items = items
            .into_iter()
            .map(|(p, key)| (Source::Build(p.body), p.vault, key))
            .collect();
        self.stage(items, now)
    }

    /// Stages entries [`Ledger::check_batch`] built and checked (see [`Checked::for_batch`]),
    /// with their vault items: each is applied to the registers and, unless it came signed
    /// from [`Ledger::check_and_sign_then`], signed by `key`, without being built, encoded and
    /// checked a second time. An entry that does not chain onto the head is built and checked
    /// again, as a safeguard.
    pub fn push_checked(
        &mut self,
        items: Vec<(CheckedEntry, Vec<VaultItem>)>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        let items = items
            .into_iter()
            .map(|(c, vault)| (Source::Checked(c), vault, key))
            .collect();
        self.stage(items, now)
    }

    fn stage(
        &mut self,
        items: Vec<(Source, Vec<VaultItem>, &SecretKey)>,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError> {
        let mut staged: Vec<Staged<'_>> = Vec::with_capacity(items.len());
        let mut signed: Vec<Option<[u8; 64]>> = Vec::with_capacity(items.len());
        let before = self.ledger.reg.head;
        let mut trial = Vec::new();
        for (source, vault, key) in items {
            match self.build_one(source, key, now) {
                Ok((entry, bytes, hash, signature)) => {
                    trial.push(entry.seq);
                    staged.push((entry, bytes, hash, key, vault));
                    signed.push(signature);
                }
                Err(e) => return Err(self.undo(trial, before, e)),
            }
        }
        // Entries from `check_and_sign_then` come signed; the others are signed here, on
        // rayon's workers when there are many (starting them costs more than a few signatures).
        let unsigned: Vec<usize> = (0..staged.len()).filter(|&i| signed[i].is_none()).collect();
        let sign = |&i: &usize| {
            let (_, bytes, _, key, _) = &staged[i];
            (i, key.sign_entry(bytes))
        };
        let fresh: Vec<(usize, [u8; 64])> = if unsigned.len() < SIGN_GROUP {
            unsigned.iter().map(sign).collect()
        } else {
            use rayon::prelude::*;
            unsigned.par_iter().map(sign).collect()
        };
        for (i, signature) in fresh {
            signed[i] = Some(signature);
        }
        let mut receipts = Vec::with_capacity(staged.len());
        for ((entry, bytes, hash, _, vault), signature) in staged.into_iter().zip(signed) {
            let signature = signature.expect("every entry is signed above");
            receipts.push(self.stage_record(&entry, bytes, hash, signature, vault));
        }
        Ok(receipts)
    }

    /// Builds the next entry from `source`, loads what it refers to, checks it (unless it was
    /// checked against these very registers) and applies it to the registers. On error the
    /// caller undoes the batch's trial.
    fn build_one(
        &mut self,
        source: Source,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Built, AppendError> {
        let (entry, checked) = match source {
            Source::Build(body) => (self.ledger.next_entry(body, key, now)?, None),
            Source::Checked(c) => {
                let chains = match self.ledger.reg.head {
                    Some((seq, hash, _)) => c.entry.seq == seq.next() && c.entry.prev.0 == hash,
                    None => c.entry.seq == Seq(0),
                };
                if chains && c.entry.signer.key_id == key.public().key_id {
                    (c.entry, Some((c.hash, c.bytes, c.signature)))
                } else {
                    (self.ledger.next_entry(c.entry.body, key, now)?, None)
                }
            }
        };
        self.load_references(&entry)?;
        // A checked entry was checked against these very registers (same head): it is applied
        // as it is, with the bytes and hash it was checked with.
        if let Some((hash, bytes, signature)) = checked {
            let bytes = if bytes.is_empty() {
                codec::encode_entry(&entry)?
            } else {
                bytes
            };
            self.ledger.apply_checked(&entry, hash);
            return Ok((entry, bytes, hash, signature));
        }
        let (bytes, hash) = self.ledger.check_and_apply(&entry)?;
        Ok((entry, bytes, hash, None))
    }

    /// Loads into the registers what the file records about each entry `entry` refers to.
    pub(super) fn load_references(&mut self, entry: &Entry) -> Result<(), AppendError> {
        for target in entry.body.references() {
            if !self.ledger.reg.needs_loading(target) {
                continue;
            }
            // The entry referred to may be in a write still in flight.
            self.settle()?;
            let writer = Arc::clone(
                self.ledger
                    .writer
                    .as_ref()
                    .expect("a batch holds the write handle until it ends"),
            );
            self.ledger.load_fact(&writer, target)?;
        }
        Ok(())
    }

    /// Stages one entry already applied to the registers, with its signature and vault items.
    pub(super) fn stage_record(
        &mut self,
        entry: &Entry,
        bytes: Vec<u8>,
        hash: [u8; 32],
        signature: [u8; 64],
        vault: Vec<VaultItem>,
    ) -> Receipt {
        let receipt = Receipt {
            seq: entry.seq,
            hash: EntryHash(hash),
            recorded_at: entry.recorded_at,
        };
        self.records.push(NewRecord {
            seq: entry.seq.0,
            bytes,
            signature,
            hash,
            vault,
            erase: super::erasures_of(entry),
        });
        self.receipts.push(receipt.clone());
        receipt
    }

    /// Undoes the registers' trial application of entries that will not be staged.
    pub(super) fn undo(
        &mut self,
        trial: Vec<Seq>,
        before: Option<(Seq, [u8; 32], Timestamp)>,
        e: AppendError,
    ) -> AppendError {
        if !trial.is_empty() || self.ledger.reg.head != before {
            self.reload();
        }
        e
    }

    /// Rebuilds the registers from the file plus the entries already staged.
    fn reload(&mut self) {
        let (mut reg, mut index) = load(self.writer()).unwrap_or_default();
        for r in &self.records {
            if let Ok(e) = codec::decode_entry(&r.bytes) {
                reg.apply(&e, r.hash);
                for target in e.body.references() {
                    index.pending.push((target.0, e.seq.0));
                }
            }
        }
        self.ledger.reg = reg;
        self.ledger.index = index;
    }

    /// After a failed write: nothing staged is kept (it chained onto entries that are not in
    /// the file) and the registers are put back as the file has them.
    fn drop_staged(&mut self) {
        self.records.clear();
        self.receipts.clear();
        self.reload();
    }

    /// Waits for the write in flight, if any. If it failed, nothing staged since is kept (it
    /// chained onto entries that are not in the file) and the registers are put back as the
    /// file has them.
    fn settle(&mut self) -> Result<(), AppendError> {
        let Some(w) = self.writing.take() else {
            return Ok(());
        };
        let written = self
            .background
            .as_mut()
            .expect("a write in flight has a thread writing it")
            .wait();
        match written {
            Ok(()) => {
                self.durable.extend(w.receipts);
                Ok(())
            }
            Err(e) => {
                self.drop_staged();
                Err(e.into())
            }
        }
    }

    /// Starts writing every staged entry in one durable transaction on another thread, so the
    /// next entries can be prepared and signed meanwhile; first waits for the write started by
    /// the previous call. Returns the receipts of the entries now durable (those of the
    /// previous call); [`Batch::flush`] or [`Batch::commit`] waits for the rest.
    ///
    /// For bulk recording of new entries: an entry prepared meanwhile that refers to one still
    /// being written is looked up only after the write completes.
    pub fn flush_in_background(&mut self) -> Result<Vec<Receipt>, AppendError> {
        self.flush_in_background_then(|| {})
    }

    /// [`Batch::flush_in_background`], calling `written` on the writing thread once the write
    /// has completed or failed (a node's writer is woken by it to answer the submissions it
    /// made durable, without waiting idle for the write).
    pub fn flush_in_background_then(
        &mut self,
        written: impl FnOnce() + Send + 'static,
    ) -> Result<Vec<Receipt>, AppendError> {
        self.settle()?;
        if !self.records.is_empty() {
            let index = self.index_update()?;
            let records = std::mem::take(&mut self.records);
            let receipts = std::mem::take(&mut self.receipts);
            if self.background.is_none() {
                let store = Arc::clone(
                    self.ledger
                        .writer
                        .as_ref()
                        .expect("a batch holds the write handle until it ends"),
                );
                // No thread to write on (the system refused one): write here instead.
                self.background = BackgroundWriter::start(store).ok();
            }
            let unsent = match &self.background {
                Some(thread) => thread.send(records, index, written).err(),
                None => Some((records, index)),
            };
            self.ledger.index.rebuild = false;
            match unsent {
                None => self.writing = Some(InFlight { receipts }),
                Some((records, index)) => {
                    let written_here = self.writer().append_indexed(&records, Some(&index));
                    if let Err(e) = written_here {
                        self.drop_staged();
                        return Err(e.into());
                    }
                    self.durable.extend(receipts);
                }
            }
        }
        Ok(std::mem::take(&mut self.durable))
    }

    /// The leaf hash of entry `seq` as the log holds it: staged, being written, or in the
    /// file; `None` past the head.
    pub fn staged_hash(&self, seq: Seq) -> Option<[u8; 32]> {
        if let Some(r) = self.records.iter().find(|r| r.seq == seq.0) {
            return Some(r.hash);
        }
        let in_flight = self.writing.iter().flat_map(|w| w.receipts.iter());
        if let Some(r) = in_flight.chain(&self.durable).find(|r| r.seq == seq) {
            return Some(r.hash.0);
        }
        let record = self.writer().get(seq.0).ok()??;
        Some(leaf_hash(&record.bytes))
    }

    /// Whether a write started by [`Batch::flush_in_background`] has not been waited for.
    pub fn is_writing(&self) -> bool {
        self.writing.is_some()
    }

    /// Drops the staged entries from `seq` on (the rest of a chain whose later entry was
    /// refused), first waiting for the write in flight; the registers are put back as the file
    /// and the entries still staged give them. If the write in flight failed, nothing staged
    /// is kept and its error is returned.
    pub fn discard_from(&mut self, seq: Seq) -> Result<(), AppendError> {
        self.settle()?;
        let keep = self.records.iter().take_while(|r| r.seq < seq.0).count();
        if keep < self.records.len() {
            self.records.truncate(keep);
            self.receipts.retain(|r| r.seq < seq);
            self.reload();
        }
        Ok(())
    }

    /// The register snapshot and new references to write with the staged entries.
    fn index_update(&mut self) -> Result<IndexUpdate, AppendError> {
        let snapshot = codec::encode_snapshot(&self.ledger.reg.snapshot())?;
        Ok(IndexUpdate {
            snapshot,
            references: std::mem::take(&mut self.ledger.index.pending),
            rebuild: self.ledger.index.rebuild,
        })
    }

    /// Writes every staged entry in one durable transaction, with the register snapshot and
    /// the new references, and keeps the batch (and the write lock) open for more. Returns the
    /// receipts of every entry made durable since the last flush.
    pub fn flush(&mut self) -> Result<Vec<Receipt>, AppendError> {
        self.settle()?;
        let mut receipts = std::mem::take(&mut self.durable);
        receipts.extend(self.flush_staged()?);
        Ok(receipts)
    }

    /// Writes the staged entries in one durable transaction on this thread.
    fn flush_staged(&mut self) -> Result<Vec<Receipt>, AppendError> {
        let written = self.index_update().and_then(|index| {
            self.writer()
                .append_indexed(&self.records, Some(&index))
                .map_err(AppendError::from)
        });
        if let Err(e) = written {
            self.drop_staged();
            return Err(e);
        }
        self.ledger.index.rebuild = false;
        self.records.clear();
        Ok(std::mem::take(&mut self.receipts))
    }

    /// Writes every staged entry in one durable transaction and ends the batch.
    pub fn commit(mut self) -> Result<Vec<Receipt>, AppendError> {
        self.done = true;
        self.flush()
    }

    /// Writes what is staged, ends the batch, and compacts the file (worth it after a bulk load,
    /// whose many commits leave free pages behind).
    pub fn commit_and_compact(mut self) -> Result<Vec<Receipt>, AppendError> {
        self.done = true;
        let receipts = self.flush()?;
        if let Some(writer) = self.ledger.writer.as_mut().and_then(Arc::get_mut) {
            writer.compact()?;
        }
        Ok(receipts)
    }

    /// Flushes, then signs and stores a checkpoint of the whole ledger with `key`.
    pub fn checkpoint(&mut self, key: &SecretKey) -> Result<tlog::Note, WitnessError> {
        self.flush().map_err(witness_error)?;
        crate::witness::make_checkpoint(self.writer(), &self.ledger.reg, key)
    }

    /// Flushes, then checks a checkpoint note made elsewhere against the log and stores it
    /// ([`crate::witness::accept_checkpoint`]).
    pub fn accept_checkpoint(
        &mut self,
        note: &[u8],
        check_index: bool,
    ) -> Result<crate::witness::CheckedCheckpoint, WitnessError> {
        self.flush().map_err(witness_error)?;
        crate::witness::accept_checkpoint(self.writer(), &self.ledger.reg, note, check_index)
    }

    /// Flushes, then cosigns a checkpoint note with `key` (as witness) and stores it.
    pub fn cosign(
        &mut self,
        note: &[u8],
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<tlog::Note, WitnessError> {
        self.flush().map_err(witness_error)?;
        crate::witness::cosign(self.writer(), &self.ledger.reg, note, key, now)
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        // A write in flight completes (or fails) before the lock is released.
        let _ = self.settle();
        if !self.done && !self.records.is_empty() {
            // Nothing was written; put the registers back as the file has them.
            self.records.clear();
            self.reload();
        }
        // Release the write lock (the writing thread holds the store too).
        self.background = None;
        self.ledger.writer = None;
    }
}

/// A checkpoint's view of a failure to open the ledger for writing or to flush what was staged.
fn witness_error(e: AppendError) -> WitnessError {
    match e {
        AppendError::Open(e) => WitnessError::Open(e),
        AppendError::Store(e) => WitnessError::Append(e),
        other => WitnessError::Damaged(other.to_string()),
    }
}
