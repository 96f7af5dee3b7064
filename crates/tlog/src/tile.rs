//! C2SP tlog-tiles: which tiles a tree of a given size has, and their paths
//! ([c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles), "Merkle Tree" and "Log entries").
//!
//! A tile at level `L` with index `N` holds up to 256 consecutive Merkle Tree Hashes of height
//! `8·L` (level 0: leaf hashes). The rightmost tiles of a tree are *partial*: narrower than 256.
//! This module is pure arithmetic and text: it reads and writes nothing.

use std::fmt;

use crate::text::parse_decimal;

/// Hashes in a full tile (C2SP tlog-tiles: "Full tiles MUST be exactly 256 hashes wide").
pub const TILE_WIDTH: u64 = 256;

/// Tile height in tree levels: each tile level covers 8 levels of the Merkle tree.
pub const TILE_HEIGHT: u32 = 8;

/// Highest tile level the specification allows ("between 0 and 63").
pub const MAX_TILE_LEVEL: u8 = 63;

/// One tile of a tree: its level, its index within the level and its width (1 to 256; 256 is a
/// full tile, anything less is partial).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tile {
    /// Level: 0 holds leaf hashes; level `l` holds hashes of full tiles at level `l-1`.
    pub level: u8,
    /// Index of the tile within its level.
    pub index: u64,
    /// Number of hashes (or entries) in the tile: 1..=256.
    pub width: u16,
}

impl Tile {
    /// Whether the tile is full (256 wide).
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The path of this Merkle tree tile, below the log's prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            TileIndex(self.index),
            self.suffix()
        )
    }

    /// The path of the entry bundle with this tile's index and width (`level` is ignored):
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn entries_path(&self) -> String {
        format!("tile/entries/{}{}", TileIndex(self.index), self.suffix())
    }

    /// The first leaf (entry) this tile covers: `index · 256^(level+1)` for the whole subtree,
    /// which for level 0 is the index of its first entry.
    pub fn start_entry(&self) -> u128 {
        u128::from(self.index) * u128::from(TILE_WIDTH).pow(u32::from(self.level) + 1)
    }

    fn suffix(&self) -> String {
        if self.is_full() {
            String::new()
        } else {
            format!(".p/{}", self.width)
        }
    }
}

/// A tile index written as the specification requires: zero-padded 3-digit path elements, all
/// but the last starting with `x` (1234067 → `x001/x234/067`).
struct TileIndex(u64);

impl fmt::Display for TileIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups = Vec::new();
        let mut n = self.0;
        loop {
            groups.push(n % 1000);
            n /= 1000;
            if n == 0 {
                break;
            }
        }
        for (i, g) in groups.iter().rev().enumerate() {
            if i + 1 < groups.len() {
                write!(f, "x{g:03}/")?;
            } else {
                write!(f, "{g:03}")?;
            }
        }
        Ok(())
    }
}

/// Why a tile path could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TilePathError {
    /// The path is not of the form `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    #[error("{path:?} is not a tile path: {reason}")]
    Malformed {
        /// The path given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TilePath {
    /// A Merkle tree tile.
    Hashes(Tile),
    /// An entry bundle (its `level` is 0).
    Entries(Tile),
}

/// Parses a path below the log's prefix (`tile/0/x001/234`, `tile/entries/000.p/7`), refusing
/// anything the specification does not allow (leading zeroes, missing `x`, widths outside
/// 1..=255 for partial tiles).
pub fn parse_tile_path(path: &str) -> Result<TilePath, TilePathError> {
    let bad = |reason| TilePathError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let rest = path
        .strip_prefix("tile/")
        .ok_or(bad("it does not start with tile/"))?;
    let (kind, rest) = rest.split_once('/').ok_or(bad("it has no index"))?;
    let (index_text, width) = match rest.split_once(".p/") {
        Some((i, w)) => {
            let width = parse_decimal(w).ok_or(bad("the partial width is not a decimal number"))?;
            if !(1..TILE_WIDTH).contains(&width) {
                return Err(bad("a partial width must be between 1 and 255"));
            }
            (i, width as u16)
        }
        None => (rest, TILE_WIDTH as u16),
    };
    let index = parse_index(index_text).ok_or(bad("the index is not in x001/x234/067 form"))?;
    if kind == "entries" {
        return Ok(TilePath::Entries(Tile {
            level: 0,
            index,
            width,
        }));
    }
    let level = parse_decimal(kind).ok_or(bad("the level is not a decimal number"))?;
    if level > u64::from(MAX_TILE_LEVEL) {
        return Err(bad("the level is above 63"));
    }
    Ok(TilePath::Hashes(Tile {
        level: level as u8,
        index,
        width,
    }))
}

fn parse_index(s: &str) -> Option<u64> {
    let parts: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            part.strip_prefix('x')?
        } else {
            part
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    // One way to write each index: no leading all-zero groups.
    if parts.len() > 1 && parts[0] == "x000" {
        return None;
    }
    Some(n)
}

/// Every tile (full and partial) of a tree of `size` leaves at `level`, in index order: the
/// full tiles, then the partial one if `floor(size / 256^level) mod 256` is not zero.
pub fn tiles_at_level(size: u64, level: u8) -> impl Iterator<Item = Tile> {
    let hashes = u128::from(size) / u128::from(TILE_WIDTH).pow(u32::from(level));
    let full = (hashes / u128::from(TILE_WIDTH)) as u64;
    let partial = (hashes % u128::from(TILE_WIDTH)) as u16;
    let fulls = (0..full).map(move |index| Tile {
        level,
        index,
        width: TILE_WIDTH as u16,
    });
    let last = (partial > 0).then_some(Tile {
        level,
        index: full,
        width: partial,
    });
    fulls.chain(last)
}

/// Every tile of a tree of `size` leaves, level by level from 0 up. A tree of size 70,000 has
/// 273 full level-0 tiles, a partial level-0 tile of width 112, one full and one partial (17)
/// level-1 tile and a partial level-2 tile of width 1 (the specification's own example).
pub fn tiles_for_size(size: u64) -> impl Iterator<Item = Tile> {
    (0..=MAX_TILE_LEVEL)
        .take_while(move |&l| u128::from(size) >= u128::from(TILE_WIDTH).pow(u32::from(l)))
        .flat_map(move |l| tiles_at_level(size, l))
}

/// The entry bundles of a log of `size` entries: full bundles of 256 entries, then a partial
/// one holding the rest.
pub fn entry_bundles_for_size(size: u64) -> impl Iterator<Item = Tile> {
    tiles_at_level(size, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding_follows_the_spec() {
        let cases = [
            (0, "000"),
            (7, "007"),
            (999, "999"),
            (1000, "x001/000"),
            (1_234_067, "x001/x234/067"),
        ];
        for (n, want) in cases {
            assert_eq!(TileIndex(n).to_string(), want, "index {n}");
            assert_eq!(parse_index(want), Some(n), "parse {want}");
        }
    }

    #[test]
    fn paths_round_trip() {
        let t = Tile {
            level: 1,
            index: 1_234_067,
            width: 17,
        };
        assert_eq!(t.path(), "tile/1/x001/x234/067.p/17");
        assert_eq!(t.entries_path(), "tile/entries/x001/x234/067.p/17");
        assert_eq!(parse_tile_path(&t.path()), Ok(TilePath::Hashes(t)));
        let full = Tile {
            level: 0,
            index: 3,
            width: 256,
        };
        assert_eq!(full.path(), "tile/0/003");
        assert_eq!(
            parse_tile_path("tile/entries/003"),
            Ok(TilePath::Entries(full))
        );
    }

    #[test]
    fn non_canonical_paths_are_refused() {
        for bad in [
            "tile/00/000",
            "tile/0/0",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/64/000",
            "tiles/0/000",
            "tile/0",
        ] {
            assert!(parse_tile_path(bad).is_err(), "{bad} was accepted");
        }
    }

    /// The example of C2SP tlog-tiles, "Partial Tiles".
    #[test]
    fn the_specs_70000_example() {
        let tiles: Vec<Tile> = tiles_for_size(70_000).collect();
        let at = |l: u8| tiles.iter().filter(move |t| t.level == l);
        assert_eq!(at(0).filter(|t| t.is_full()).count(), 273);
        assert_eq!(at(0).find(|t| !t.is_full()).map(|t| t.width), Some(112));
        assert_eq!(at(1).filter(|t| t.is_full()).count(), 1);
        assert_eq!(at(1).find(|t| !t.is_full()).map(|t| t.width), Some(17));
        assert_eq!(at(2).map(|t| t.width).collect::<Vec<_>>(), vec![1]);
        assert_eq!(at(3).count(), 0);
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level
        // 1 tile of width 1."
        let t256: Vec<Tile> = tiles_for_size(256).collect();
        assert_eq!(t256.len(), 2);
        assert!(t256[0].is_full() && t256[0].level == 0);
        assert_eq!((t256[1].level, t256[1].width), (1, 1));
        assert_eq!(tiles_for_size(0).count(), 0);
    }
}
