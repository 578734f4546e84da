//! The Merkle tree's stored hashes in the ledger's SQLite (`stored_hash`): the
//! [`HashStorage`] the append, the checkpoint and every proof read through.

use kelisim_ledger::tree::{HashStorage, StorageError};
use kelisim_ledger::{Hash, HASH_SIZE};

use super::sql::{blob, int, LedgerDb, SqlValue};

/// Bound parameters per `IN (…)` read: Cloudflare's documented per-statement limit is 100.
const MAX_BOUND_PARAMS: usize = 100;

/// [`HashStorage`] over a ledger database.
pub struct SqlHashes<'a, D: LedgerDb>(pub &'a D);

impl<D: LedgerDb> HashStorage for SqlHashes<'_, D> {
    fn read_stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StorageError> {
        let mut found = std::collections::BTreeMap::new();
        for chunk in indexes.chunks(MAX_BOUND_PARAMS) {
            let marks = vec!["?"; chunk.len()].join(",");
            let params = chunk
                .iter()
                .map(|&i| i64::try_from(i).map(SqlValue::Integer))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| StorageError("stored-hash position out of range".into()))?;
            let rows = self
                .0
                .exec(&format!("SELECT idx, hash FROM stored_hash WHERE idx IN ({marks})"), &params)
                .map_err(|e| StorageError(e.0))?;
            for row in rows {
                let idx = int(&row, 0).map_err(|e| StorageError(e.0))?;
                let bytes = blob(&row, 1).map_err(|e| StorageError(e.0))?;
                let hash: [u8; HASH_SIZE] =
                    bytes.try_into().map_err(|_| StorageError(format!("stored hash {idx} is not 32 bytes")))?;
                found.insert(idx, Hash(hash));
            }
        }
        indexes
            .iter()
            .map(|&i| {
                i64::try_from(i)
                    .ok()
                    .and_then(|i| found.get(&i).copied())
                    .ok_or_else(|| StorageError(format!("stored hash {i} is missing")))
            })
            .collect()
    }
}
