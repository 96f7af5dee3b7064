//! The byte layout of the rows of store version 2 (docs/FORMAT.md §10.2 and §10.3): an entry
//! row (signature ‖ zero-run encoded entry bytes) and a vault row (every field value of one
//! entry). Pure functions over bytes; the tables themselves are in the parent module.
//!
//! Readers never trust a row: every decoder here refuses a malformed row with a message saying
//! what is wrong with it, and never allocates more than the limits below, however the row lies.

use ledger_core::codec::MAX_ENTRY_BYTES;

/// Length of the Ed25519 signature at the start of an entry row.
pub(crate) const SIGNATURE_LEN: usize = 64;

/// Longest zero run one token of the zero-run encoding stands for.
const MAX_RUN: usize = 255;

/// Appends the zero-run encoding of `bytes` to `out` (docs/FORMAT.md §10.2): each maximal run of
/// zero bytes becomes one or more tokens `00 n` (n = 1 to 255, all but the last of a run 255);
/// every other byte is copied as it is.
fn zero_run_encode(bytes: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != 0 {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == 0 && i - start < MAX_RUN {
            i += 1;
        }
        // INVARIANT: 1 <= i - start <= MAX_RUN = 255, so the cast is exact.
        out.extend_from_slice(&[0, (i - start) as u8]);
    }
}

/// Decodes a zero-run encoding, refusing anything [`zero_run_encode`] would not have written
/// (a token `00 00`, a run cut short by a token, a truncated token) and any result longer than
/// an entry may be ([`MAX_ENTRY_BYTES`]).
fn zero_run_decode(packed: &[u8]) -> Result<Vec<u8>, String> {
    // Each packed byte stands for at most 255/2 bytes, so this bounds the allocation too.
    let mut out = Vec::with_capacity((packed.len() * 2).min(MAX_ENTRY_BYTES));
    let mut rest = packed;
    while !rest.is_empty() {
        // Copy the literal bytes up to the next token in one go.
        let literal = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..literal]);
        rest = &rest[literal..];
        if let Some((_, after)) = rest.split_first() {
            let at = packed.len() - rest.len();
            let Some((&n, after)) = after.split_first() else {
                return Err("its zero-run encoding ends inside a token".into());
            };
            if n == 0 {
                return Err(format!(
                    "its zero-run encoding has a run of length 0 at byte {at}"
                ));
            }
            if usize::from(n) < MAX_RUN && after.first() == Some(&0) {
                return Err(format!(
                    "its zero-run encoding splits a run of zero bytes at byte {}",
                    at + 2
                ));
            }
            out.resize(out.len() + usize::from(n), 0);
            rest = after;
        }
        if out.len() > MAX_ENTRY_BYTES {
            return Err(format!(
                "its entry bytes would be longer than the {MAX_ENTRY_BYTES}-byte limit"
            ));
        }
    }
    Ok(out)
}

/// The `entries` row of an entry: `signature ‖ zero-run encoding of the entry bytes`.
pub(crate) fn pack_entry(signature: &[u8; SIGNATURE_LEN], bytes: &[u8]) -> Vec<u8> {
    let mut row = Vec::with_capacity(SIGNATURE_LEN + bytes.len());
    row.extend_from_slice(signature);
    zero_run_encode(bytes, &mut row);
    row
}

/// Reads an `entries` row back into (signature, entry bytes).
pub(crate) fn unpack_entry(row: &[u8]) -> Result<([u8; SIGNATURE_LEN], Vec<u8>), String> {
    let Some((signature, packed)) = row.split_first_chunk::<SIGNATURE_LEN>() else {
        return Err(format!(
            "the stored row is {} bytes, too short to hold a {SIGNATURE_LEN}-byte signature",
            row.len()
        ));
    };
    let bytes = zero_run_decode(packed).map_err(|e| format!("the stored row is malformed: {e}"))?;
    Ok((*signature, bytes))
}

/// Why a vault item cannot be stored in a vault row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VaultPackError {
    /// A field name is empty or longer than 255 bytes.
    Name(String),
    /// A value (salt ‖ value) is longer than `u32::MAX` bytes.
    Value(String),
    /// Two items have the same field name.
    Duplicate(String),
}

/// The `vault` row of an entry: for each item in increasing order of name (as bytes), `u8` name
/// length (1 to 255), the name's UTF-8 bytes, the item length (at most `u32::MAX`) as LEB128,
/// the item (salt ‖ value). A name may appear only once.
pub(crate) fn pack_vault(items: &[(String, Vec<u8>)]) -> Result<Vec<u8>, VaultPackError> {
    let mut sorted: Vec<&(String, Vec<u8>)> = items.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(pair) = sorted.windows(2).find(|p| p[0].0 == p[1].0) {
        return Err(VaultPackError::Duplicate(pair[0].0.clone()));
    }
    let mut row = Vec::with_capacity(items.iter().map(|(n, v)| 5 + n.len() + v.len()).sum());
    for (name, item) in sorted {
        let name_len = u8::try_from(name.len())
            .ok()
            .filter(|&l| l > 0)
            .ok_or_else(|| VaultPackError::Name(name.clone()))?;
        let item_len =
            u32::try_from(item.len()).map_err(|_| VaultPackError::Value(name.clone()))?;
        row.push(name_len);
        row.extend_from_slice(name.as_bytes());
        push_varint(u64::from(item_len), &mut row);
        row.extend_from_slice(item);
    }
    Ok(row)
}

/// Reads a `vault` row back into its items, refusing a row that [`pack_vault`] would not have
/// written (truncated, a length of 0 or beyond the row, a name that is not UTF-8, names not in
/// increasing order, no items).
pub(crate) fn unpack_vault(row: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    if row.is_empty() {
        return Err("the vault row is empty".into());
    }
    let mut items: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rest = row;
    while let Some((&name_len, after)) = rest.split_first() {
        let at = row.len() - rest.len();
        let name_len = usize::from(name_len);
        if name_len == 0 {
            return Err(format!(
                "the vault row has an empty field name at byte {at}"
            ));
        }
        let (name, after) = after
            .split_at_checked(name_len)
            .ok_or_else(|| format!("the vault row ends inside a field name at byte {at}"))?;
        let name = std::str::from_utf8(name).map_err(|_| {
            format!("the vault row has a field name that is not UTF-8 at byte {at}")
        })?;
        let (len, after) = read_varint(after)
            .filter(|(len, _)| *len <= u64::from(u32::MAX))
            .ok_or_else(|| format!("the vault row has a bad length for field {name}"))?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let (item, after) = after.split_at_checked(len).ok_or_else(|| {
            format!("the vault row's value of field {name} runs past the end of the row")
        })?;
        if let Some((previous, _)) = items.last()
            && previous.as_bytes() >= name.as_bytes()
        {
            return Err(format!(
                "the vault row has field {name} after field {previous}, out of order"
            ));
        }
        items.push((name.to_owned(), item.to_vec()));
        rest = after;
    }
    Ok(items)
}

/// Targets per `references` row: row `b` holds the references to entries `64 b` to
/// `64 b + 63`.
pub(crate) const REFERENCE_BLOCK: u64 = 64;

/// Longest LEB128 encoding of a `u64`.
const MAX_VARINT: usize = 10;

fn push_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(MAX_VARINT) {
        let part = u64::from(b & 0x7f);
        if i == MAX_VARINT - 1 && part > 1 {
            return None;
        }
        v |= part << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, &bytes[i + 1..]));
        }
    }
    None
}

/// The `references` row of block `block` (docs/FORMAT.md §10.5): for each (target, referring
/// entry) pair of the block, in increasing order, one byte `target − 64 block`, then the
/// difference `by − target` (wrapping, as a signed 64-bit number) zigzag- and LEB128-encoded.
/// An acknowledgement a few hundred entries after its disclosure takes three bytes.
pub(crate) fn pack_references(block: u64, refs: &[(u64, u64)]) -> Vec<u8> {
    let mut row = Vec::with_capacity(refs.len() * 3);
    for &(target, by) in refs {
        debug_assert_eq!(
            target / REFERENCE_BLOCK,
            block,
            "a reference outside its block"
        );
        // INVARIANT: target is in the block, so the offset is below 64.
        row.push((target - block * REFERENCE_BLOCK) as u8);
        let diff = by.wrapping_sub(target) as i64;
        push_varint(((diff << 1) ^ (diff >> 63)) as u64, &mut row);
    }
    row
}

/// Reads a `references` row back, refusing one that [`pack_references`] would not have written
/// (empty, an offset of 64 or more, a truncated or over-long number, pairs out of order).
pub(crate) fn unpack_references(block: u64, row: &[u8]) -> Result<Vec<(u64, u64)>, String> {
    if row.is_empty() {
        return Err(format!("references row {block} is empty"));
    }
    let base = block
        .checked_mul(REFERENCE_BLOCK)
        .ok_or_else(|| format!("references row {block} is past the largest entry number"))?;
    let mut refs: Vec<(u64, u64)> = Vec::new();
    let mut rest = row;
    while let Some((&offset, after)) = rest.split_first() {
        if u64::from(offset) >= REFERENCE_BLOCK {
            return Err(format!(
                "references row {block} has a target offset of {offset}, not below 64"
            ));
        }
        let (zigzag, after) = read_varint(after)
            .ok_or_else(|| format!("references row {block} ends inside or has a bad number"))?;
        let diff = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        let target = base + u64::from(offset);
        let pair = (target, target.wrapping_add(diff as u64));
        if refs.last().is_some_and(|&last| last >= pair) {
            return Err(format!(
                "references row {block} holds its pairs out of order"
            ));
        }
        refs.push(pair);
        rest = after;
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        zero_run_encode(bytes, &mut out);
        out
    }

    #[test]
    fn zero_runs_known_answers() {
        // (name, entry bytes, encoding)
        let cases: &[(&str, Vec<u8>, Vec<u8>)] = &[
            ("empty", vec![], vec![]),
            ("no zeros", vec![1, 2, 3], vec![1, 2, 3]),
            ("one zero", vec![0], vec![0, 1]),
            ("u64 length 3", vec![3, 0, 0, 0, 0, 0, 0, 0], vec![3, 0, 7]),
            ("version 1", vec![1, 0, 1, 0], vec![1, 0, 1, 1, 0, 1]),
            ("255 zeros", vec![0; 255], vec![0, 255]),
            ("256 zeros", vec![0; 256], vec![0, 255, 0, 1]),
            (
                "510 zeros then 7",
                [vec![0; 510], vec![7]].concat(),
                vec![0, 255, 0, 255, 7],
            ),
        ];
        for (name, bytes, packed) in cases {
            assert_eq!(&encoded(bytes), packed, "{name}: encoding");
            assert_eq!(&zero_run_decode(packed).unwrap(), bytes, "{name}: decoding");
        }
    }

    #[test]
    fn zero_runs_round_trip() {
        // SplitMix64 (as in the test kit's generator), inlined: this crate has no test kit.
        let mut state = 8u64;
        let mut next_u64 = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        for len in 0..400usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next_u64();
                    if r.is_multiple_of(3) {
                        0
                    } else {
                        (r >> 8) as u8
                    }
                })
                .collect();
            assert_eq!(zero_run_decode(&encoded(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn zero_runs_refuse_non_canonical_and_damaged() {
        // (name, packed)
        let cases: &[(&str, &[u8])] = &[
            ("run of length 0", &[1, 0, 0, 2]),
            ("truncated token", &[1, 0]),
            ("split run", &[0, 1, 0, 1]),
            ("split run after 254", &[0, 254, 0, 1]),
        ];
        for (name, packed) in cases {
            assert!(zero_run_decode(packed).is_err(), "{name} was accepted");
        }
        // A run of exactly 255 may be followed by another token of the same run.
        assert_eq!(zero_run_decode(&[0, 255, 0, 1]).unwrap(), vec![0; 256]);
    }

    #[test]
    fn zero_runs_refuse_more_than_an_entry() {
        let packed: Vec<u8> = [0u8, 255].repeat(MAX_ENTRY_BYTES / 255 + 2);
        let err = zero_run_decode(&packed).unwrap_err();
        assert!(err.contains("limit"), "{err}");
    }

    #[test]
    fn entry_rows_round_trip_and_refuse_short_rows() {
        let sig = [7u8; SIGNATURE_LEN];
        let bytes = [1, 0, 0, 0, 0, 0, 0, 0, 0, 5];
        let row = pack_entry(&sig, &bytes);
        assert_eq!(row.len(), SIGNATURE_LEN + 4);
        assert_eq!(unpack_entry(&row).unwrap(), (sig, bytes.to_vec()));
        assert!(unpack_entry(&row[..63]).unwrap_err().contains("too short"));
        assert!(unpack_entry(&[&row[..], &[0]].concat()).is_err());
    }

    #[test]
    fn vault_rows_round_trip() {
        let items = vec![
            (
                "request_date".to_owned(),
                [vec![0xa1; 32], b"2024-02-27".to_vec()].concat(),
            ),
            ("summary".to_owned(), vec![0x5a; 32]),
        ];
        let row = pack_vault(&items).unwrap();
        assert_eq!(row.len(), (1 + 12 + 1 + 42) + (1 + 7 + 1 + 32));
        assert_eq!(&row[..14], b"\x0crequest_date\x2a");
        assert_eq!(unpack_vault(&row).unwrap(), items);
    }

    #[test]
    fn vault_rows_refuse_damage() {
        let items = vec![("theme".to_owned(), vec![1; 40])];
        let row = pack_vault(&items).unwrap();
        for cut in 1..row.len() {
            assert!(unpack_vault(&row[..cut]).is_err(), "cut at {cut} accepted");
        }
        assert!(unpack_vault(&[]).is_err());
        assert!(unpack_vault(&[0, 0, 0, 0, 0]).is_err());
        // A length past u32::MAX, or an unfinished one.
        assert!(unpack_vault(b"\x01a\x80\x80\x80\x80\x10").is_err());
        assert!(unpack_vault(b"\x01a\x80").is_err());
        let mut bad_utf8 = row.clone();
        bad_utf8[1] = 0xff;
        assert!(unpack_vault(&bad_utf8).is_err());
        assert_eq!(
            pack_vault(&[(String::new(), vec![])]),
            Err(VaultPackError::Name(String::new()))
        );
        assert!(pack_vault(&[("x".repeat(256), vec![])]).is_err());
        let twice = vec![("a".to_owned(), vec![1]), ("a".to_owned(), vec![2])];
        assert_eq!(
            pack_vault(&twice),
            Err(VaultPackError::Duplicate("a".into()))
        );
        // Items are stored in order of name, and a row out of order is refused.
        let ab = pack_vault(&[("b".to_owned(), vec![2]), ("a".to_owned(), vec![1])]).unwrap();
        assert_eq!(ab, b"\x01a\x01\x01\x01b\x01\x02");
        let ba = [&ab[4..], &ab[..4]].concat();
        assert!(unpack_vault(&ba).unwrap_err().contains("out of order"));
    }

    #[test]
    fn references_rows_round_trip_and_refuse_what_was_never_written() {
        let refs = vec![(128, 129), (128, 5_000_000), (130, 0), (191, u64::MAX)];
        let row = pack_references(2, &refs);
        assert_eq!(unpack_references(2, &row).unwrap(), refs);
        assert_eq!(pack_references(2, &[(128, 400)]).len(), 3);
        assert!(unpack_references(2, &[]).is_err());
        assert!(unpack_references(2, &[64, 0]).is_err());
        assert!(unpack_references(2, &[1, 0x80]).is_err());
        assert!(unpack_references(2, &[1, 2, 0, 2]).is_err(), "out of order");
        assert!(unpack_references(2, &[1, 2, 1, 2]).is_err(), "repeated");
        assert!(unpack_references(u64::MAX, &[1, 2]).is_err());
        let eleven = [0x80u8; 11];
        let mut row = vec![1];
        row.extend_from_slice(&eleven);
        assert!(unpack_references(2, &row).is_err());
    }
}
