//! The log's public reads (`docs/ledger.md` §6): the latest checkpoint, inclusion proofs (by
//! receipt id or index; an erased leaf's proof names the erasure that removed it), consistency
//! proofs, hash tiles and entry bundles. Every answer is against a checkpoint already issued:
//! nothing is signed on a read.

use kelisim_core::ErrorCode;
use kelisim_ledger::api::{ConsistencyAnswer, ErasedAnswer, InclusionAnswer};
use kelisim_ledger::erasure::Tombstone;
use kelisim_ledger::tiles::{encode_entry_bundle, hash_tile_data, TileError, TilePath};
use kelisim_ledger::tree;
use kelisim_ledger::Hash;

use super::append::{id_sha256, internal};
use super::hashes::SqlHashes;
use super::log::StoredCheckpoint;
use super::sql::{blob, int, opt_blob, opt_int, LedgerDb};
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;

/// Which leaf an inclusion proof is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeafRef {
    Id(String),
    Index(u64),
}

fn hash_of(bytes: Vec<u8>) -> Result<Hash, ApiError> {
    let hash: [u8; 32] = bytes.try_into().map_err(|_| internal("stored hash is not 32 bytes"))?;
    Ok(Hash(hash))
}

fn no_checkpoint() -> ApiError {
    ApiError::new(ErrorCode::CheckpointNotFound, "no checkpoint has been issued for this log yet")
}

fn tile_error(e: &TileError) -> ApiError {
    match e {
        TileError::NotInTree(_) => {
            ApiError::new(ErrorCode::TileNotInTree, "this tile is not in the tree of the latest checkpoint")
        }
        TileError::BadPath => ApiError::new(ErrorCode::InvalidId, "not a C2SP tile path"),
        other => internal(other),
    }
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// The latest checkpoint, or 404 `checkpoint_not_found` before the first.
    ///
    /// # Errors
    /// 404, or 503 when SQL fails.
    pub fn checkpoint(&self) -> Result<StoredCheckpoint, ApiError> {
        self.latest_checkpoint()?.ok_or_else(no_checkpoint)
    }

    /// The tree size a proof is against: `size`, or the latest checkpoint's; never above it.
    fn proof_size(&self, size: Option<u64>) -> Result<u64, ApiError> {
        let latest = self.checkpoint()?.size;
        match size {
            None => Ok(latest),
            Some(n) if n <= latest => Ok(n),
            Some(n) => Err(ApiError::new(
                ErrorCode::SizeNotCheckpointed,
                format!("size {n} is above the latest checkpoint ({latest})"),
            )),
        }
    }

    /// The inclusion proof of a leaf in the tree of `size` leaves (default: the latest
    /// checkpoint's); for an erased leaf, also the erasure that removed it.
    ///
    /// # Errors
    /// 404 `checkpoint_not_found`, 404 `leaf_not_found` (no such id, or not in that tree),
    /// 400 `size_not_checkpointed`, 503 when SQL fails.
    pub fn inclusion(&self, leaf: &LeafRef, size: Option<u64>) -> Result<InclusionAnswer, ApiError> {
        let tree_size = self.proof_size(size)?;
        let not_found = || ApiError::new(ErrorCode::LeafNotFound, "no such leaf in the tree of this size");
        let index = match leaf {
            LeafRef::Index(i) => *i,
            LeafRef::Id(id) => {
                let by_id = self.db.exec("SELECT idx FROM leaf WHERE receipt_id = ?", &[id.as_str().into()])?;
                let erased = || self.db.exec("SELECT idx FROM erased_id WHERE id_sha256 = ?", &[id_sha256(id).into()]);
                let row = match by_id.first() {
                    Some(row) => row.clone(),
                    None => erased()?.first().cloned().ok_or_else(not_found)?,
                };
                u64::try_from(int(&row, 0)?).map_err(internal)?
            }
        };
        if index >= tree_size {
            return Err(not_found());
        }
        let idx = i64::try_from(index).map_err(internal)?;
        let rows = self.db.exec("SELECT leaf_hash, erased_by FROM leaf WHERE idx = ?", &[idx.into()])?;
        let row = rows.first().ok_or_else(not_found)?;
        let leaf_hash = hash_of(blob(row, 0)?)?;
        let storage = SqlHashes(self.db);
        let proof = tree::prove_inclusion(index, tree_size, &storage).map_err(internal)?;
        let mut out = InclusionAnswer::present(proof, leaf_hash);
        if let Some(by) = opt_int(row, 1)?.and_then(|b| u64::try_from(b).ok()).filter(|b| *b < tree_size) {
            let by_idx = i64::try_from(by).map_err(internal)?;
            let rows = self.db.exec("SELECT entry, leaf_hash FROM leaf WHERE idx = ?", &[by_idx.into()])?;
            let erasure = rows.first().ok_or_else(|| internal("an erased leaf names a missing erasure"))?;
            let entry = opt_blob(erasure, 0)?.ok_or_else(|| internal("an erasure entry has no bytes"))?;
            let erasure_hash = hash_of(blob(erasure, 1)?)?;
            let erasure_proof = tree::prove_inclusion(by, tree_size, &storage).map_err(internal)?;
            let tombstone = Tombstone::new(index, leaf_hash, by).map_err(internal)?;
            out.erased = Some(ErasedAnswer {
                tombstone: String::from_utf8(tombstone.to_bytes()).map_err(internal)?,
                erasure_entry: String::from_utf8(entry).map_err(internal)?,
                erasure_proof: Box::new(InclusionAnswer::present(erasure_proof, erasure_hash)),
            });
        }
        Ok(out)
    }

    /// The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
    ///
    /// # Errors
    /// 400 `invalid_query` when `from > to`, 400 `size_not_checkpointed`, 404
    /// `checkpoint_not_found`, 503 when SQL fails.
    pub fn consistency(&self, from: u64, to: u64) -> Result<ConsistencyAnswer, ApiError> {
        if from > to {
            return Err(ApiError::new(ErrorCode::InvalidQuery, "from must not be larger than to"));
        }
        let to = self.proof_size(Some(to))?;
        let proof = tree::prove_consistency(from, to, &SqlHashes(self.db)).map_err(internal)?;
        Ok(ConsistencyAnswer::from(proof))
    }

    /// A tile's bytes: a hash tile, or an entry bundle (erased positions hold tombstones), within
    /// the tree of the latest checkpoint.
    ///
    /// # Errors
    /// 404 `tile_not_in_tree`, 404 `checkpoint_not_found`, 503 when SQL fails.
    pub fn tile(&self, tile: &TilePath) -> Result<Vec<u8>, ApiError> {
        let size = self.checkpoint()?.size;
        if !tile.is_entries() {
            return hash_tile_data(tile, size, &SqlHashes(self.db)).map_err(|e| tile_error(&e));
        }
        tile.check_within(size).map_err(|e| tile_error(&e))?;
        let range = tile.leaf_range();
        let (first, last) =
            (i64::try_from(range.start).map_err(internal)?, i64::try_from(range.end - 1).map_err(internal)?);
        let rows = self.db.exec(
            "SELECT idx, entry, leaf_hash, erased_by FROM leaf WHERE idx BETWEEN ? AND ? ORDER BY idx",
            &[first.into(), last.into()],
        )?;
        if rows.len() as u64 != range.end - range.start {
            return Err(internal("an entry bundle's leaves are missing"));
        }
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            match (opt_blob(row, 1)?, opt_int(row, 3)?) {
                (Some(entry), _) => entries.push(entry),
                (None, Some(by)) => {
                    let index = u64::try_from(int(row, 0)?).map_err(internal)?;
                    let by = u64::try_from(by).map_err(internal)?;
                    entries.push(Tombstone::new(index, hash_of(blob(row, 2)?)?, by).map_err(internal)?.to_bytes());
                }
                (None, None) => return Err(internal("a leaf has neither entry nor erasure")),
            }
        }
        encode_entry_bundle(&entries).map_err(|e| tile_error(&e))
    }
}
