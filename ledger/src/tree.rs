//! The site's Merkle tree (RFC 6962 / RFC 9162) over stored hashes: append, tree hash at any
//! size, inclusion and consistency proofs and their verification.
//!
//! The math is `tlog_tiles` (Cloudflare's port of Go's `sumdb/tlog`). This module adds the
//! storage seam and the checks that keep its assertions unreachable from hostile input.
//!
//! # Storage seam
//! The tree is kept as *stored hashes*: every leaf hash and every hash of a complete subtree, at
//! the dense position `tlog_tiles::stored_hash_index(level, n)`. Appending leaf `n` writes at most
//! `1 + log2(n)` new hashes (two on average) starting at `stored_hash_index(0, n)`, and reads at
//! most `log2(n)` earlier ones. Any store that can read hashes by position backs the tree through
//! [`HashStorage`]:
//! - the Durable Object: `CREATE TABLE stored_hash (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL)`,
//!   read with `SELECT idx, hash FROM stored_hash WHERE idx IN (…)`;
//! - the mirror CLI: the same table in its own SQLite file;
//! - tests: [`MemoryHashes`].
//!
//! Writers compute with [`append`] (one leaf) or [`Batch`] (many leaves, one write), then persist
//! the returned `(position, hash)` pairs in the same transaction as the entry itself.

use std::cell::RefCell;
use std::collections::BTreeMap;

use thiserror::Error;
use tlog_tiles::{Hash, HashReader, EMPTY_HASH};

use crate::limits::{MAX_PROOF_HASHES, MAX_TREE_SIZE};

/// Reads stored hashes by position.
pub trait HashStorage {
    /// The hashes at the stored-hash positions `indexes`, in the same order. A position that is
    /// not stored is an error, never a shorter answer (a shorter answer is reported as
    /// [`TreeError::MissingHashes`]).
    ///
    /// # Errors
    /// [`StorageError`] when the store fails or lacks a position.
    fn read_stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StorageError>;
}

/// A store's failure, with its message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("hash storage: {0}")]
pub struct StorageError(pub String);

/// Why a tree operation failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    #[error("tree size {0} is beyond the largest tree size")]
    SizeTooLarge(u64),
    #[error("leaf {index} is not in a tree of size {size}")]
    IndexNotInTree { index: u64, size: u64 },
    #[error("old size {old} is larger than new size {new}")]
    SizesReversed { old: u64, new: u64 },
    #[error("storage answered {got} hashes for {asked} positions")]
    MissingHashes { asked: usize, got: usize },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("tree math: {0}")]
    Tlog(String),
}

impl TreeError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::SizeTooLarge(_) => "tree_size_too_large",
            Self::IndexNotInTree { .. } => "index_not_in_tree",
            Self::SizesReversed { .. } => "tree_sizes_reversed",
            Self::MissingHashes { .. } => "tree_hashes_missing",
            Self::Storage(_) => "tree_storage",
            Self::Tlog(_) => "tree_math",
        }
    }
}

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("proof has more than {MAX_PROOF_HASHES} hashes")]
    TooLong,
    #[error("proof sizes are out of range")]
    BadSizes,
    #[error("proof does not lead to the expected root")]
    Mismatch,
}

impl ProofError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "proof_too_long",
            Self::BadSizes => "proof_bad_sizes",
            Self::Mismatch => "proof_mismatch",
        }
    }
}

/// The hashes appending one leaf writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Append {
    /// The new leaf's index (the tree size before the append).
    pub index: u64,
    /// Position of the first hash in [`Append::hashes`]: `stored_hash_index(0, index)`.
    pub first_position: u64,
    /// The leaf hash, then the hash of each subtree the leaf completes, at consecutive positions.
    pub hashes: Vec<Hash>,
}

impl Append {
    /// The `(position, hash)` pairs to store.
    pub fn writes(&self) -> impl Iterator<Item = (u64, Hash)> + '_ {
        (self.first_position..).zip(self.hashes.iter().copied())
    }
}

/// An inclusion proof (RFC 9162 §2.1.3): leaf `index` is in the tree of `tree_size` leaves.
#[derive(Debug, Clone, PartialEq)]
pub struct InclusionProof {
    pub index: u64,
    pub tree_size: u64,
    pub hashes: Vec<Hash>,
}

/// A consistency proof (RFC 9162 §2.1.4): the tree of `old_size` leaves is a prefix of the tree
/// of `new_size` leaves.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    pub hashes: Vec<Hash>,
}

/// Computes the hashes to store when appending leaf `leaf_hash` to a tree of `size` leaves.
///
/// # Errors
/// [`TreeError::SizeTooLarge`] when the tree is full, or a storage error.
pub fn append(size: u64, leaf_hash: Hash, storage: &impl HashStorage) -> Result<Append, TreeError> {
    check_size(size.saturating_add(1))?;
    let hashes = Checked::run(storage, |r| tlog_tiles::stored_hashes_for_record_hash(size, leaf_hash, r))?;
    Ok(Append { index: size, first_position: tlog_tiles::stored_hash_index(0, size), hashes })
}

/// The root hash of the tree of `size` leaves (`EMPTY_HASH`, SHA-256 of nothing, for size 0).
///
/// # Errors
/// [`TreeError::SizeTooLarge`] or a storage error.
pub fn tree_hash(size: u64, storage: &impl HashStorage) -> Result<Hash, TreeError> {
    check_size(size)?;
    if size == 0 {
        return Ok(EMPTY_HASH);
    }
    Checked::run(storage, |r| tlog_tiles::tree_hash(size, r))
}

/// Proves that leaf `index` is in the tree of `tree_size` leaves.
///
/// # Errors
/// [`TreeError::SizeTooLarge`], [`TreeError::IndexNotInTree`] or a storage error.
pub fn prove_inclusion(index: u64, tree_size: u64, storage: &impl HashStorage) -> Result<InclusionProof, TreeError> {
    check_size(tree_size)?;
    if index >= tree_size {
        return Err(TreeError::IndexNotInTree { index, size: tree_size });
    }
    let hashes = Checked::run(storage, |r| tlog_tiles::prove_record(tree_size, index, r))?;
    Ok(InclusionProof { index, tree_size, hashes })
}

/// Proves that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves. The
/// proof from the empty tree, or between equal sizes, has no hashes.
///
/// # Errors
/// [`TreeError::SizeTooLarge`], [`TreeError::SizesReversed`] or a storage error.
pub fn prove_consistency(
    old_size: u64,
    new_size: u64,
    storage: &impl HashStorage,
) -> Result<ConsistencyProof, TreeError> {
    check_size(new_size)?;
    if old_size > new_size {
        return Err(TreeError::SizesReversed { old: old_size, new: new_size });
    }
    let hashes = if old_size == 0 {
        Vec::new()
    } else {
        Checked::run(storage, |r| tlog_tiles::prove_tree(new_size, old_size, r))?
    };
    Ok(ConsistencyProof { old_size, new_size, hashes })
}

impl InclusionProof {
    /// Checks that the leaf hashing to `leaf_hash` is at `index` in the tree whose root is `root`.
    ///
    /// # Errors
    /// [`ProofError::TooLong`], [`ProofError::BadSizes`], [`ProofError::Mismatch`].
    pub fn verify(&self, leaf_hash: Hash, root: Hash) -> Result<(), ProofError> {
        if self.hashes.len() > MAX_PROOF_HASHES {
            return Err(ProofError::TooLong);
        }
        if self.tree_size > MAX_TREE_SIZE || self.index >= self.tree_size {
            return Err(ProofError::BadSizes);
        }
        tlog_tiles::check_record(&self.hashes, self.tree_size, root, self.index, leaf_hash)
            .map_err(|_| ProofError::Mismatch)
    }
}

impl ConsistencyProof {
    /// Checks that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
    /// `new_size` leaves with root `new_root`.
    ///
    /// # Errors
    /// [`ProofError::TooLong`], [`ProofError::BadSizes`], [`ProofError::Mismatch`].
    pub fn verify(&self, old_root: Hash, new_root: Hash) -> Result<(), ProofError> {
        if self.hashes.len() > MAX_PROOF_HASHES {
            return Err(ProofError::TooLong);
        }
        if self.new_size > MAX_TREE_SIZE || self.old_size > self.new_size {
            return Err(ProofError::BadSizes);
        }
        if self.old_size == 0 {
            // Every tree extends the empty one; the proof is empty and the old root is fixed.
            return if self.hashes.is_empty() && old_root == EMPTY_HASH { Ok(()) } else { Err(ProofError::Mismatch) };
        }
        tlog_tiles::check_tree(&self.hashes, self.new_size, new_root, self.old_size, old_root)
            .map_err(|_| ProofError::Mismatch)
    }
}

/// Stored hashes in memory, dense by position: the test double and a small mirror's cache.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryHashes {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryHashes {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Leaves appended so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf and stores its hashes; returns the leaf's index.
    ///
    /// # Errors
    /// As [`append`].
    pub fn push(&mut self, leaf_hash: Hash) -> Result<u64, TreeError> {
        let appended = append(self.size, leaf_hash, self)?;
        self.hashes.extend(appended.hashes);
        self.size += 1;
        Ok(appended.index)
    }
}

impl HashStorage for MemoryHashes {
    fn read_stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StorageError> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or_else(|| StorageError(format!("no stored hash at {i}")))
            })
            .collect()
    }
}

/// Appends many leaves over a base store without writing to it: new hashes stay in an overlay
/// the base is read through (as azul's sequencer does), and [`Batch::into_writes`] hands them over
/// for one transaction.
#[derive(Debug)]
pub struct Batch<'a, S> {
    base: &'a S,
    size: u64,
    pending: BTreeMap<u64, Hash>,
}

impl<'a, S: HashStorage> Batch<'a, S> {
    /// A batch appending to the tree of `size` leaves kept in `base`.
    #[must_use]
    pub fn new(base: &'a S, size: u64) -> Self {
        Self { base, size, pending: BTreeMap::new() }
    }

    /// Tree size including the leaves pushed so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf; returns its index.
    ///
    /// # Errors
    /// As [`append`].
    pub fn push(&mut self, leaf_hash: Hash) -> Result<u64, TreeError> {
        let appended = append(self.size, leaf_hash, self)?;
        self.pending.extend(appended.writes());
        self.size += 1;
        Ok(appended.index)
    }

    /// The root hash after the leaves pushed so far.
    ///
    /// # Errors
    /// A storage error.
    pub fn root(&self) -> Result<Hash, TreeError> {
        tree_hash(self.size, self)
    }

    /// The `(position, hash)` pairs to store, ascending.
    #[must_use]
    pub fn into_writes(self) -> Vec<(u64, Hash)> {
        self.pending.into_iter().collect()
    }
}

impl<S: HashStorage> HashStorage for Batch<'_, S> {
    fn read_stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StorageError> {
        let from_base: Vec<u64> = indexes.iter().copied().filter(|i| !self.pending.contains_key(i)).collect();
        let mut base = self.base.read_stored_hashes(&from_base)?.into_iter();
        if base.len() != from_base.len() {
            return Err(StorageError(format!("base answered {} hashes for {}", base.len(), from_base.len())));
        }
        indexes
            .iter()
            .map(|i| self.pending.get(i).copied().or_else(|| base.next()).ok_or_else(|| StorageError("overlay".into())))
            .collect()
    }
}

fn check_size(size: u64) -> Result<(), TreeError> {
    if size > MAX_TREE_SIZE {
        return Err(TreeError::SizeTooLarge(size));
    }
    Ok(())
}

/// Adapts a [`HashStorage`] to `tlog_tiles::HashReader`, which asserts (panics) when a reader
/// answers the wrong number of hashes: a short answer becomes an error before it reaches the
/// library, and the storage's own error is kept to be returned as is.
pub(crate) struct Checked<'a, S> {
    storage: &'a S,
    failure: RefCell<Option<TreeError>>,
}

impl<'a, S: HashStorage> Checked<'a, S> {
    pub(crate) fn run<T>(
        storage: &'a S,
        op: impl FnOnce(&Self) -> Result<T, tlog_tiles::Error>,
    ) -> Result<T, TreeError> {
        let reader = Self { storage, failure: RefCell::new(None) };
        let result = op(&reader);
        if let Some(failure) = reader.failure.into_inner() {
            return Err(failure);
        }
        result.map_err(|e| TreeError::Tlog(e.to_string()))
    }
}

impl<S: HashStorage> HashReader for Checked<'_, S> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let failure = match self.storage.read_stored_hashes(indexes) {
            Ok(hashes) if hashes.len() == indexes.len() => return Ok(hashes),
            Ok(hashes) => TreeError::MissingHashes { asked: indexes.len(), got: hashes.len() },
            Err(e) => TreeError::Storage(e),
        };
        *self.failure.borrow_mut() = Some(failure);
        Err(tlog_tiles::Error::IndexesNotInTree)
    }
}
