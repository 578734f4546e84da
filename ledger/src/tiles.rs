//! C2SP tlog-tiles: tile paths (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`), strict
//! parsing of them for the GET route, which tiles a tree has, and tile contents.
//!
//! - A hash tile at level `L`, index `N`, width `W` holds the `W` consecutive hashes at tree
//!   level `8·L` from position `256·N`, concatenated (32 bytes each). Full tiles have `W = 256`
//!   and no `.p/` suffix.
//! - An entry bundle `tile/entries/<N>` holds entries `256·N ..` as big-endian `uint16` length ‖
//!   bytes, in order.
//! - `<N>` is written in groups of three digits, all but the last prefixed with `x`:
//!   1234067 → `x001/x234/067`.
//!
//! `tlog_tiles` 0.2 (the version on crates.io) implements the Go `sumdb` layout, whose paths
//! carry the height (`tile/8/0/…`) and call entries `data`; the C2SP layout fixes the height at 8
//! and drops it from the path. [`TilePath`] wraps `tlog_tiles::Tile` (height 8) and rewrites only
//! those two path elements; the digits come from the library. Parsing is our own (the library's
//! parser asserts, i.e. panics, on levels above 63 and on `.p/0`) and then insists that the
//! path is exactly the canonical one, so every tile has one name.

use thiserror::Error;
use tlog_tiles::{Tile, HASH_SIZE};

use crate::limits::{MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH};
use crate::tree::{Checked, HashStorage, TreeError};

/// Longest tile path: `tile/entries/` + the 7 groups of a `u64` + `.p/255`, with room to spare.
const MAX_TILE_PATH_CHARS: usize = 64;

/// The Go-layout prefix `tlog_tiles` writes for height 8.
const LIBRARY_PREFIX: &str = "tile/8/";

/// A tile: hashes at a level, or an entry bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TilePath {
    tile: Tile,
}

/// Why a tile path or bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TileError {
    #[error("not a C2SP tile path")]
    BadPath,
    #[error("tile is beyond a tree of {0} leaves")]
    NotInTree(u64),
    #[error("entry is larger than a bundle can hold")]
    EntryTooLarge,
    #[error("entry bundle is malformed")]
    BadBundle,
    #[error(transparent)]
    Tree(#[from] TreeError),
}

impl TileError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPath => "tile_bad_path",
            Self::NotInTree(_) => "tile_not_in_tree",
            Self::EntryTooLarge => "tile_entry_too_large",
            Self::BadBundle => "tile_bad_bundle",
            Self::Tree(e) => e.code(),
        }
    }
}

impl TilePath {
    /// The hash tile at `level`, index `index`, of `width` hashes.
    ///
    /// # Errors
    /// [`TileError::BadPath`] when `level > 63` or `width` is not in `1..=256`.
    pub fn hashes(level: u8, index: u64, width: u32) -> Result<Self, TileError> {
        Self::build(level, index, width, false)
    }

    /// The entry bundle at index `index` of `width` entries.
    ///
    /// # Errors
    /// [`TileError::BadPath`] when `width` is not in `1..=256`.
    pub fn entries(index: u64, width: u32) -> Result<Self, TileError> {
        Self::build(0, index, width, true)
    }

    fn build(level: u8, index: u64, width: u32, entries: bool) -> Result<Self, TileError> {
        if level > MAX_TILE_LEVEL || !(1..=TILE_WIDTH).contains(&width) {
            return Err(TileError::BadPath);
        }
        // The ranges above are exactly those `Tile::new` asserts.
        Ok(Self { tile: Tile::new(TILE_HEIGHT, level, index, width, entries) })
    }

    /// Parses a tile path strictly: only the canonical spelling of a valid tile is accepted.
    ///
    /// # Errors
    /// [`TileError::BadPath`].
    pub fn parse(path: &str) -> Result<Self, TileError> {
        if path.len() > MAX_TILE_PATH_CHARS {
            return Err(TileError::BadPath);
        }
        let rest = path.strip_prefix("tile/").ok_or(TileError::BadPath)?;
        let (first, rest) = rest.split_once('/').ok_or(TileError::BadPath)?;
        let (digits, width) = match rest.split_once(".p/") {
            Some((digits, width)) => (digits, parse_decimal(width).and_then(|w| u32::try_from(w).ok())),
            None => (rest, Some(TILE_WIDTH)),
        };
        let width = width.ok_or(TileError::BadPath)?;
        let index = digits.split('/').try_fold(0_u64, |n, group| {
            let group = group.strip_prefix('x').unwrap_or(group);
            let value = if group.len() == 3 { parse_decimal(group) } else { None };
            value.and_then(|v| n.checked_mul(1000)?.checked_add(v))
        });
        let index = index.ok_or(TileError::BadPath)?;
        let tile = if first == "entries" {
            Self::entries(index, width)?
        } else {
            let level = parse_decimal(first).and_then(|l| u8::try_from(l).ok()).ok_or(TileError::BadPath)?;
            Self::hashes(level, index, width)?
        };
        if tile.path() != path {
            return Err(TileError::BadPath);
        }
        Ok(tile)
    }

    /// The canonical C2SP path.
    #[must_use]
    pub fn path(&self) -> String {
        let go_path = self.tile.path();
        let rest = go_path.strip_prefix(LIBRARY_PREFIX).unwrap_or(&go_path);
        match rest.strip_prefix("data/") {
            Some(digits) => format!("tile/entries/{digits}"),
            None => format!("tile/{rest}"),
        }
    }

    /// Whether this is an entry bundle.
    #[must_use]
    pub fn is_entries(&self) -> bool {
        self.tile.is_data()
    }

    /// Tile level (0 for entry bundles).
    #[must_use]
    pub fn level(&self) -> u8 {
        self.tile.level()
    }

    /// Tile index within its level.
    #[must_use]
    pub fn index(&self) -> u64 {
        self.tile.level_index()
    }

    /// Hashes or entries in the tile.
    #[must_use]
    pub fn width(&self) -> u32 {
        self.tile.width()
    }

    /// Whether the tile is partial (`.p/<W>`).
    #[must_use]
    pub fn is_partial(&self) -> bool {
        self.width() < TILE_WIDTH
    }

    /// The first position the tile covers at its level (the first leaf index for bundles).
    #[must_use]
    pub fn first_position(&self) -> Option<u64> {
        self.index().checked_mul(u64::from(TILE_WIDTH))
    }

    /// Checks that the tile exists in a tree of `tree_size` leaves: every hash (or entry) it holds
    /// is fixed once the tree has that size. A partial tile narrower than the tree's current edge
    /// still exists: a client holding an older checkpoint asks for it.
    ///
    /// # Errors
    /// [`TileError::NotInTree`].
    pub fn check_within(&self, tree_size: u64) -> Result<(), TileError> {
        let shift = u32::from(TILE_HEIGHT) * u32::from(self.level());
        let available = tree_size.checked_shr(shift).unwrap_or(0);
        let end = self.first_position().and_then(|first| first.checked_add(u64::from(self.width())));
        match end {
            Some(end) if end <= available => Ok(()),
            _ => Err(TileError::NotInTree(tree_size)),
        }
    }

    /// The leaf indexes an entry bundle holds.
    #[must_use]
    pub fn leaf_range(&self) -> std::ops::Range<u64> {
        let first = self.first_position().unwrap_or(u64::MAX);
        first..first.saturating_add(u64::from(self.width()))
    }
}

/// The tiles (hash tiles, then entry bundles) that change when the tree grows from `old_size` to
/// `new_size` leaves; what a publisher (or a mirror) fetches after a new checkpoint.
#[must_use]
pub fn changed_tiles(old_size: u64, new_size: u64) -> Vec<TilePath> {
    let hashes = Tile::new_tiles(TILE_HEIGHT, old_size, new_size);
    let bundles: Vec<TilePath> = hashes
        .iter()
        .filter(|t| t.level() == 0)
        .map(|t| TilePath { tile: Tile::new(TILE_HEIGHT, 0, t.level_index(), t.width(), true) })
        .collect();
    hashes.into_iter().map(|tile| TilePath { tile }).chain(bundles).collect()
}

/// The contents of hash tile `tile` in the tree of `tree_size` leaves kept in `storage`.
///
/// # Errors
/// [`TileError::BadPath`] for an entry bundle, [`TileError::NotInTree`], or a storage error.
pub fn hash_tile_data(tile: &TilePath, tree_size: u64, storage: &impl HashStorage) -> Result<Vec<u8>, TileError> {
    if tile.is_entries() {
        return Err(TileError::BadPath);
    }
    tile.check_within(tree_size)?;
    Ok(Checked::run(storage, |reader| tile.tile.read_data(reader))?)
}

/// Encodes an entry bundle: each entry as big-endian `uint16` length ‖ bytes.
///
/// # Errors
/// [`TileError::EntryTooLarge`] for an entry over 65,535 bytes, [`TileError::BadBundle`] for an
/// empty entry or more than 256 entries.
pub fn encode_entry_bundle<E: AsRef<[u8]>>(entries: &[E]) -> Result<Vec<u8>, TileError> {
    if entries.len() > TILE_WIDTH as usize {
        return Err(TileError::BadBundle);
    }
    let mut out = Vec::with_capacity(entries.iter().map(|e| 2 + e.as_ref().len()).sum());
    for entry in entries {
        let entry = entry.as_ref();
        let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLarge)?;
        if len == 0 {
            return Err(TileError::BadBundle);
        }
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Parses entry bundle `tile` strictly: exactly its width of non-empty entries, nothing after.
///
/// # Errors
/// [`TileError::BadPath`] for a hash tile, [`TileError::BadBundle`].
pub fn parse_entry_bundle<'a>(tile: &TilePath, bytes: &'a [u8]) -> Result<Vec<&'a [u8]>, TileError> {
    if !tile.is_entries() {
        return Err(TileError::BadPath);
    }
    let mut entries = Vec::with_capacity(tile.width() as usize);
    let mut rest = bytes;
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len));
        if len == 0 || tail.len() < len || entries.len() == tile.width() as usize {
            return Err(TileError::BadBundle);
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry);
        rest = tail;
    }
    if !rest.is_empty() || entries.len() != tile.width() as usize {
        return Err(TileError::BadBundle);
    }
    Ok(entries)
}

/// Splits a hash tile's contents into its hashes.
///
/// # Errors
/// [`TileError::BadBundle`] when the length is not `32 × width`.
pub fn parse_hash_tile(tile: &TilePath, bytes: &[u8]) -> Result<Vec<tlog_tiles::Hash>, TileError> {
    if tile.is_entries() || bytes.len() != tile.width() as usize * HASH_SIZE {
        return Err(TileError::BadBundle);
    }
    Ok(bytes
        .chunks_exact(HASH_SIZE)
        .map(|chunk| {
            let mut hash = [0_u8; HASH_SIZE];
            hash.copy_from_slice(chunk);
            tlog_tiles::Hash(hash)
        })
        .collect())
}

/// Digits only (no sign, no spaces); leading zeros are left to the canonical-path comparison.
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
