//! Erasure that keeps the log verifiable: the entry's data goes, its leaf hash stays, and an
//! erasure entry appended to the log names the leaves it removed.
//!
//! After an erasure the edge serves, in an entry bundle at an erased leaf's position, a
//! *tombstone* instead of the entry:
//!
//! ```text
//! {"erased_by":<erasure entry index>,"index":<leaf index>,"kind":"erased","leaf_hash":"<base64>"}
//! ```
//!
//! The hash tiles are untouched (level 0 holds leaf hashes, not data), so every checkpoint, tile
//! and proof still verifies. A verifier accepts a tombstone when its `leaf_hash` is the tree's
//! hash at `index` and the erasure entry at `erased_by` (itself in the tree) lists `index`.
//! A proof for an erased leaf ([`ErasedLeafProof`]) carries both inclusion proofs, so it says
//! which erasure removed the leaf and proves it.
//!
//! What remains of an erased receipt is a SHA-256 over its countersigned JWS: the receipt id
//! (80 random bits) and subject id inside make it impossible to confirm a guessed receipt
//! against it.

use thiserror::Error;
use tlog_tiles::Hash;

use crate::leaf::{leaf_hash, Entry, EntryError, ErasureEntry};
use crate::limits::{MAX_ENTRY_BYTES, MAX_TREE_SIZE};
use crate::tree::{InclusionProof, ProofError};

/// What an entry bundle serves in place of an erased entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Tombstone {
    index: u64,
    leaf_hash: Hash,
    erased_by: u64,
}

/// An entry as an entry bundle serves it: the entry, or the tombstone of an erased one.
#[derive(Debug, Clone, PartialEq)]
pub enum ServedEntry {
    Present(Entry),
    Erased(Tombstone),
}

/// Why erasure data was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ErasureError {
    #[error("tombstone is not canonical JSON: {0}")]
    MalformedTombstone(String),
    #[error("tombstone at {index} names erasure {erased_by}, which is not after it")]
    ErasureNotAfter { index: u64, erased_by: u64 },
    #[error("served entry is at index {found}, expected {expected}")]
    WrongIndex { expected: u64, found: u64 },
    #[error("erasure entry {erasure} does not remove leaf {index}")]
    NotRemovedBy { index: u64, erasure: u64 },
    #[error("{given} leaf hashes for {erased} erased leaves")]
    HashCount { given: usize, erased: usize },
    #[error("proof is for another leaf or tree size")]
    ProofFor,
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

impl ErasureError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedTombstone(_) => "tombstone_malformed",
            Self::ErasureNotAfter { .. } => "tombstone_erasure_not_after",
            Self::WrongIndex { .. } => "served_entry_wrong_index",
            Self::NotRemovedBy { .. } => "erasure_does_not_remove_leaf",
            Self::HashCount { .. } => "erasure_hash_count",
            Self::ProofFor => "erasure_proof_for_other_leaf",
            Self::Entry(e) => e.code(),
            Self::Proof(e) => e.code(),
        }
    }
}

impl Tombstone {
    /// The tombstone of leaf `index` (hash `leaf_hash`) removed by the erasure entry at
    /// `erased_by`.
    ///
    /// # Errors
    /// [`ErasureError::ErasureNotAfter`] unless `index < erased_by < MAX_TREE_SIZE`.
    pub fn new(index: u64, leaf_hash: Hash, erased_by: u64) -> Result<Self, ErasureError> {
        if index >= erased_by || erased_by >= MAX_TREE_SIZE {
            return Err(ErasureError::ErasureNotAfter { index, erased_by });
        }
        Ok(Self { index, leaf_hash, erased_by })
    }

    #[must_use]
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The erased leaf's hash, as the tree keeps it.
    #[must_use]
    pub fn leaf_hash(&self) -> Hash {
        self.leaf_hash
    }

    /// Index of the erasure entry that removed the leaf.
    #[must_use]
    pub fn erased_by(&self) -> u64 {
        self.erased_by
    }

    /// The tombstone's exact bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            r#"{{"erased_by":{},"index":{},"kind":"erased","leaf_hash":"{}"}}"#,
            self.erased_by, self.index, self.leaf_hash
        )
        .into_bytes()
    }

    /// Checks that `erasure` is the entry this tombstone names and that it removed the leaf.
    ///
    /// # Errors
    /// [`ErasureError::NotRemovedBy`].
    pub fn check_named_by(&self, erasure: &ErasureEntry) -> Result<(), ErasureError> {
        if erasure.index() != self.erased_by || !erasure.removes(self.index) {
            return Err(ErasureError::NotRemovedBy { index: self.index, erasure: erasure.index() });
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TombstoneWire {
    erased_by: u64,
    index: u64,
    kind: String,
    leaf_hash: String,
}

impl ServedEntry {
    /// Parses what an entry bundle holds at leaf `index`: an entry or a tombstone, strictly.
    ///
    /// # Errors
    /// The errors of [`Entry::parse_at`], [`ErasureError::MalformedTombstone`],
    /// [`ErasureError::WrongIndex`], [`ErasureError::ErasureNotAfter`].
    pub fn parse_at(index: u64, bytes: &[u8]) -> Result<Self, ErasureError> {
        if !bytes.starts_with(br#"{"erased_by":"#) {
            return Ok(Self::Present(Entry::parse_at(index, bytes)?));
        }
        let malformed = |reason: &str| ErasureError::MalformedTombstone(reason.to_owned());
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(malformed("too large"));
        }
        let wire: TombstoneWire = serde_json::from_slice(bytes).map_err(|e| malformed(&e.to_string()))?;
        let hash = Hash::parse_hash(&wire.leaf_hash).map_err(|_| malformed("leaf_hash is not base64 of 32 bytes"))?;
        if wire.kind != "erased" {
            return Err(malformed("kind is not erased"));
        }
        let tombstone = Tombstone::new(wire.index, hash, wire.erased_by)?;
        if tombstone.to_bytes() != bytes {
            return Err(malformed("not the canonical encoding"));
        }
        if tombstone.index != index {
            return Err(ErasureError::WrongIndex { expected: index, found: tombstone.index });
        }
        Ok(Self::Erased(tombstone))
    }

    /// The leaf hash this served entry stands for: the entry's hash, or the hash the tombstone
    /// keeps. A verifier compares it with the tree's level-0 hash at the same index.
    #[must_use]
    pub fn leaf_hash(&self) -> Hash {
        match self {
            Self::Present(entry) => entry.leaf_hash(),
            Self::Erased(tombstone) => tombstone.leaf_hash,
        }
    }
}

/// The tombstones of an erasure: `leaf_hashes[k]` is the tree's hash of leaf `erasure.erased()[k]`.
///
/// # Errors
/// [`ErasureError::HashCount`] when the lengths differ.
pub fn tombstones(erasure: &ErasureEntry, leaf_hashes: &[Hash]) -> Result<Vec<Tombstone>, ErasureError> {
    if leaf_hashes.len() != erasure.erased().len() {
        return Err(ErasureError::HashCount { given: leaf_hashes.len(), erased: erasure.erased().len() });
    }
    erasure
        .erased()
        .iter()
        .zip(leaf_hashes)
        .map(|(&index, &hash)| Tombstone::new(index, hash, erasure.index()))
        .collect()
}

/// The proof for one leaf against a checkpoint: the entry and its inclusion, or — once erased —
/// which erasure removed it, with both leaves' inclusion.
#[derive(Debug, Clone, PartialEq)]
pub enum LeafProof {
    Present { entry: Entry, proof: InclusionProof },
    Erased(ErasedLeafProof),
}

/// An erased leaf's proof: its hash is in the tree, and so is the erasure entry that removed it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErasedLeafProof {
    pub tombstone: Tombstone,
    pub leaf_proof: InclusionProof,
    pub erasure: ErasureEntry,
    pub erasure_proof: InclusionProof,
}

/// What a verified [`LeafProof`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeafStatus {
    /// The entry is in the log with its data.
    Present,
    /// The leaf is in the log; its data was removed by the erasure entry at `erasure_index`.
    Erased { erasure_index: u64, erasure_id: String, time: String },
}

impl LeafProof {
    /// Verifies the proof for leaf `index` against the checkpoint of `tree_size` leaves with
    /// root `root`.
    ///
    /// # Errors
    /// [`ErasureError::ProofFor`] when a proof or entry is for another leaf or size,
    /// [`ErasureError::NotRemovedBy`], or a failed inclusion proof.
    pub fn verify(&self, index: u64, tree_size: u64, root: Hash) -> Result<LeafStatus, ErasureError> {
        let for_leaf = |proof: &InclusionProof, at: u64| proof.index == at && proof.tree_size == tree_size;
        match self {
            Self::Present { entry, proof } => {
                if entry.index() != index || !for_leaf(proof, index) {
                    return Err(ErasureError::ProofFor);
                }
                proof.verify(leaf_hash(&entry.to_bytes()), root)?;
                Ok(LeafStatus::Present)
            }
            Self::Erased(erased) => {
                let ErasedLeafProof { tombstone, leaf_proof, erasure, erasure_proof } = erased;
                if tombstone.index != index || !for_leaf(leaf_proof, index) || !for_leaf(erasure_proof, erasure.index())
                {
                    return Err(ErasureError::ProofFor);
                }
                tombstone.check_named_by(erasure)?;
                leaf_proof.verify(tombstone.leaf_hash, root)?;
                erasure_proof.verify(leaf_hash(&erasure.to_bytes()), root)?;
                Ok(LeafStatus::Erased {
                    erasure_index: erasure.index(),
                    erasure_id: erasure.id().to_owned(),
                    time: erasure.time().to_owned(),
                })
            }
        }
    }
}
