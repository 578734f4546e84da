//! The exact bytes of a log entry (a countersigned receipt or an erasure) and its RFC 6962 leaf
//! hash.
//!
//! An entry is one line of canonical JSON (RFC 8785: members sorted, no whitespace). Every value
//! is restricted to printable ASCII that JSON never escapes, so the bytes below are the only
//! encoding of an entry and a parser can insist on them:
//!
//! ```text
//! {"id":"<ULID>","index":<n>,"jws":"<edge compact JWS>","kind":"receipt"}
//! {"erased":[<i>,<j>,…],"id":"<ULID>","index":<n>,"kind":"erasure","time":"<YYYY-MM-DDTHH:MM:SS.sssZ>"}
//! ```
//!
//! - `index` is the entry's own position in the log: an entry moved to another position no
//!   longer parses as that position's entry ([`Entry::parse_at`]).
//! - `jws` is the edge's countersignature, as stored in KV and returned by the API. Its payload is
//!   the canonical receipt, which carries the same log index (the integration adds
//!   `"log":{"index":<n>,"origin":"<origin>"}` to the receipt before the edge signs it, see
//!   docs/ledger.md), so the signature binds the position too.
//! - An erasure names the earlier leaf indexes whose data it removed (see [`crate::erasure`]).
//!
//! The leaf hash is RFC 6962 §2.1 / RFC 9162 §2.1.1: `SHA-256(0x00 || entry bytes)`, computed by
//! `tlog_tiles::record_hash`.

use kelisim_core::id::ulid_time_ms;
use kelisim_core::time::parse_millis;
use serde::Deserialize;
use thiserror::Error;
use tlog_tiles::Hash;

use crate::limits::{MAX_ENTRY_BYTES, MAX_ERASED_PER_ENTRY, MAX_JWS_BYTES, MAX_TREE_SIZE};

/// A log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Receipt(ReceiptEntry),
    Erasure(ErasureEntry),
}

/// A countersigned receipt at its log position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptEntry {
    index: u64,
    id: String,
    jws: String,
}

/// An erasure: which earlier leaves had their data removed, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureEntry {
    index: u64,
    id: String,
    erased: Vec<u64>,
    time: String,
}

/// Why entry bytes or fields were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EntryError {
    #[error("entry is larger than {MAX_ENTRY_BYTES} bytes")]
    TooLarge,
    #[error("entry is not canonical JSON of a known kind: {0}")]
    Malformed(String),
    #[error("entry index {0} is beyond the largest tree size")]
    IndexTooLarge(u64),
    #[error("entry is at index {found}, expected {expected}")]
    WrongIndex { expected: u64, found: u64 },
    #[error("`id` is not a ULID")]
    InvalidId,
    #[error("`jws` is not a compact JWS of at most {MAX_JWS_BYTES} bytes")]
    InvalidJws,
    #[error("`time` is not YYYY-MM-DDTHH:MM:SS.sssZ")]
    InvalidTime,
    #[error("`erased` must name 1..={MAX_ERASED_PER_ENTRY} earlier indexes in ascending order")]
    InvalidErased,
}

impl EntryError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "entry_too_large",
            Self::Malformed(_) => "entry_malformed",
            Self::IndexTooLarge(_) => "entry_index_too_large",
            Self::WrongIndex { .. } => "entry_wrong_index",
            Self::InvalidId => "entry_invalid_id",
            Self::InvalidJws => "entry_invalid_jws",
            Self::InvalidTime => "entry_invalid_time",
            Self::InvalidErased => "entry_invalid_erased",
        }
    }
}

/// The RFC 6962 leaf hash of entry bytes: `SHA-256(0x00 || bytes)`.
#[must_use]
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    tlog_tiles::record_hash(bytes)
}

impl ReceiptEntry {
    /// A receipt entry for receipt `id` countersigned as `jws` at log position `index`.
    ///
    /// # Errors
    /// [`EntryError::IndexTooLarge`], [`EntryError::InvalidId`], [`EntryError::InvalidJws`],
    /// [`EntryError::TooLarge`].
    pub fn new(index: u64, id: &str, jws: &str) -> Result<Self, EntryError> {
        check_index(index)?;
        check_ulid(id)?;
        check_jws(jws)?;
        let entry = Self { index, id: id.to_owned(), jws: jws.to_owned() };
        check_size(&entry.to_bytes())?;
        Ok(entry)
    }

    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    #[must_use]
    pub fn jws(&self) -> &str {
        &self.jws
    }

    /// The entry's exact bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(r#"{{"id":"{}","index":{},"jws":"{}","kind":"receipt"}}"#, self.id, self.index, self.jws).into_bytes()
    }
}

impl ErasureEntry {
    /// An erasure entry at `index`, made by erasure request `id` at `time`, removing the data of
    /// the leaves `erased` (strictly ascending, all before `index`).
    ///
    /// # Errors
    /// [`EntryError::IndexTooLarge`], [`EntryError::InvalidId`], [`EntryError::InvalidTime`],
    /// [`EntryError::InvalidErased`], [`EntryError::TooLarge`].
    pub fn new(index: u64, id: &str, erased: Vec<u64>, time: &str) -> Result<Self, EntryError> {
        check_index(index)?;
        check_ulid(id)?;
        parse_millis("time", time).map_err(|_| EntryError::InvalidTime)?;
        let ascending = erased.windows(2).all(|w| w[0] < w[1]);
        let before = erased.last().is_some_and(|&last| last < index);
        if erased.len() > MAX_ERASED_PER_ENTRY || !ascending || !before {
            return Err(EntryError::InvalidErased);
        }
        let entry = Self { index, id: id.to_owned(), erased, time: time.to_owned() };
        check_size(&entry.to_bytes())?;
        Ok(entry)
    }

    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The leaf indexes whose data this erasure removed, ascending.
    #[must_use]
    pub fn erased(&self) -> &[u64] {
        &self.erased
    }

    /// Whether this erasure removed leaf `index`.
    #[must_use]
    pub fn removes(&self, index: u64) -> bool {
        self.erased.binary_search(&index).is_ok()
    }

    #[must_use]
    pub fn time(&self) -> &str {
        &self.time
    }

    /// The entry's exact bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let erased: Vec<String> = self.erased.iter().map(u64::to_string).collect();
        format!(
            r#"{{"erased":[{}],"id":"{}","index":{},"kind":"erasure","time":"{}"}}"#,
            erased.join(","),
            self.id,
            self.index,
            self.time
        )
        .into_bytes()
    }
}

/// The JSON shape entries parse through; [`Entry::parse`] then insists the bytes are exactly the
/// canonical encoding of what was parsed.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Wire {
    Receipt { id: String, index: u64, jws: String },
    Erasure { erased: Vec<u64>, id: String, index: u64, time: String },
}

impl Entry {
    /// The entry's position in the log.
    #[must_use]
    pub fn index(&self) -> u64 {
        match self {
            Self::Receipt(r) => r.index,
            Self::Erasure(e) => e.index,
        }
    }

    /// The entry's exact bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Receipt(r) => r.to_bytes(),
            Self::Erasure(e) => e.to_bytes(),
        }
    }

    /// The entry's RFC 6962 leaf hash.
    #[must_use]
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_bytes())
    }

    /// Parses entry bytes strictly: a known kind, every field valid, and the bytes exactly the
    /// canonical encoding (no whitespace, reordering, escapes or duplicates).
    ///
    /// # Errors
    /// [`EntryError::TooLarge`], [`EntryError::Malformed`] or the field errors of
    /// [`ReceiptEntry::new`] / [`ErasureEntry::new`].
    pub fn parse(bytes: &[u8]) -> Result<Self, EntryError> {
        check_size(bytes)?;
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| EntryError::Malformed(e.to_string()))?;
        let entry = match wire {
            Wire::Receipt { id, index, jws } => Self::Receipt(ReceiptEntry::new(index, &id, &jws)?),
            Wire::Erasure { erased, id, index, time } => Self::Erasure(ErasureEntry::new(index, &id, erased, &time)?),
        };
        if entry.to_bytes() != bytes {
            return Err(EntryError::Malformed("not the canonical encoding".into()));
        }
        Ok(entry)
    }

    /// Parses the entry found at log position `index`.
    ///
    /// # Errors
    /// As [`Entry::parse`], and [`EntryError::WrongIndex`] when the entry names another position.
    pub fn parse_at(index: u64, bytes: &[u8]) -> Result<Self, EntryError> {
        let entry = Self::parse(bytes)?;
        if entry.index() != index {
            return Err(EntryError::WrongIndex { expected: index, found: entry.index() });
        }
        Ok(entry)
    }
}

fn check_index(index: u64) -> Result<(), EntryError> {
    if index >= MAX_TREE_SIZE {
        return Err(EntryError::IndexTooLarge(index));
    }
    Ok(())
}

fn check_size(bytes: &[u8]) -> Result<(), EntryError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(EntryError::TooLarge);
    }
    Ok(())
}

fn check_ulid(id: &str) -> Result<(), EntryError> {
    ulid_time_ms(id).map(|_| ()).ok_or(EntryError::InvalidId)
}

/// Three non-empty base64url segments: JSON never escapes them.
fn check_jws(jws: &str) -> Result<(), EntryError> {
    let segments: Vec<&str> = jws.split('.').collect();
    let base64url = |s: &&str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if jws.len() > MAX_JWS_BYTES || segments.len() != 3 || !segments.iter().all(base64url) {
        return Err(EntryError::InvalidJws);
    }
    Ok(())
}
