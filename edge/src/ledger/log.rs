//! The log's background work, run by the object's alarm (`docs/ledger.md` §5): issue a signed
//! checkpoint when the log grew past the last one, and sweep leaves whose KV record is not
//! confirmed (`kv_done = 0`) into KV. Signing never happens on a read: readers get the latest
//! stored checkpoint.

use kelisim_ledger::checkpoint::{CheckpointSigner, CheckpointVerifier};
use kelisim_ledger::leaf::Entry;
use kelisim_ledger::tree;

use super::append::{internal, signed_from_jws};
use super::hashes::SqlHashes;
use super::sql::{blob, int, LedgerDb, Write};
use super::SiteLog;
use crate::error::ApiError;
use crate::kv::Kv;

/// How long after an append the alarm issues the next checkpoint: C2SP witnesses expect a
/// checkpoint at least every few seconds while a log grows; 10 s bounds both the delay before a
/// receipt's inclusion can be proven and the checkpoints kept (≤ 8,640 a day per growing site).
/// The object reads `LEDGER_CHECKPOINT_MS` to shorten it in tests (never set in production).
pub const CHECKPOINT_INTERVAL_MS: i64 = 10_000;

/// Leaves the sweep puts into KV per alarm: a KV put each, well under the 1,000 KV operations of
/// one invocation, and short enough that appends waiting behind the alarm are not delayed long.
pub const SWEEP_BATCH: usize = 100;

/// What one alarm did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmOutcome {
    /// The size of the checkpoint issued, if one was.
    pub checkpoint: Option<u64>,
    /// KV records the sweep wrote.
    pub swept: usize,
    /// Whether the alarm must run again: the sweep left work, or a leaf failed to go to KV.
    pub more: bool,
}

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: kelisim_ledger::Hash,
    /// The signed note, as served.
    pub note: Vec<u8>,
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// The log's checkpoint signer: the edge's current key under the log's origin.
    #[must_use]
    pub fn signer(&self) -> CheckpointSigner {
        CheckpointSigner::from_seed(self.origin.clone(), &self.keys.current().seed())
    }

    /// The verifier of this log's checkpoints (`GET …/log/key` serves its key).
    #[must_use]
    pub fn verifier(&self) -> CheckpointVerifier {
        self.signer().verifier()
    }

    /// The latest stored checkpoint, if any was issued.
    ///
    /// # Errors
    /// 503 when SQL fails.
    pub fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, ApiError> {
        let rows = self.db.exec("SELECT size, root, note FROM checkpoint ORDER BY size DESC LIMIT 1", &[])?;
        let Some(row) = rows.first() else { return Ok(None) };
        let root: [u8; 32] = blob(row, 1)?.try_into().map_err(|_| internal("stored root is not 32 bytes"))?;
        Ok(Some(StoredCheckpoint {
            size: u64::try_from(int(row, 0)?).map_err(internal)?,
            root: kelisim_ledger::Hash(root),
            note: blob(row, 2)?,
        }))
    }

    /// Signs and stores a checkpoint of the current size when the latest one is older (idempotent:
    /// the alarm may run twice). Returns the size signed.
    ///
    /// # Errors
    /// 503 when SQL fails; 500 when the tree cannot be hashed or the key may not sign yet.
    pub fn issue_checkpoint(&self) -> Result<Option<u64>, ApiError> {
        let size = self.tree_size()?;
        let latest = self.latest_checkpoint()?.map_or(0, |c| c.size);
        if size == 0 || latest >= size {
            return Ok(None);
        }
        if !self.keys.can_sign_at(self.now_ms) {
            return Err(internal("the signing key's period has not started"));
        }
        let root = tree::tree_hash(size, &SqlHashes(self.db)).map_err(internal)?;
        let checkpoint = self.signer().sign(size, root).map_err(internal)?;
        let at = i64::try_from(size).map_err(internal)?;
        self.db.commit(vec![Write::new(
            "INSERT OR IGNORE INTO checkpoint (size, root, note, issued_ms) VALUES (?, ?, ?, ?)",
            vec![at.into(), root.0.to_vec().into(), checkpoint.to_bytes().to_vec().into(), self.now_ms.into()],
        )])?;
        Ok(Some(size))
    }

    /// Puts up to [`SWEEP_BATCH`] receipts whose KV record is unconfirmed into KV (the identical
    /// record their append would have written). Returns how many it wrote and whether more wait.
    ///
    /// # Errors
    /// 503 when SQL fails. A failing put stops the sweep and reports more work.
    pub async fn sweep(&self) -> Result<(usize, bool), ApiError> {
        let limit = i64::try_from(SWEEP_BATCH).map_err(internal)?;
        let rows = self.db.exec(
            "SELECT idx, entry FROM leaf WHERE kv_done = 0 AND entry IS NOT NULL AND kind = 'receipt' ORDER BY idx LIMIT ?",
            &[limit.into()],
        )?;
        let full = rows.len() == SWEEP_BATCH;
        let mut swept = 0;
        for row in &rows {
            let index = u64::try_from(int(row, 0)?).map_err(internal)?;
            let Entry::Receipt(entry) = Entry::parse_at(index, &blob(row, 1)?).map_err(internal)? else { continue };
            let signed = signed_from_jws(entry.jws())?;
            if self.put_record(&signed, index).await.is_err() {
                return Ok((swept, true));
            }
            swept += 1;
        }
        Ok((swept, full))
    }

    /// The alarm's work: a checkpoint, then the sweep.
    ///
    /// # Errors
    /// As [`SiteLog::issue_checkpoint`] and [`SiteLog::sweep`].
    pub async fn on_alarm(&self) -> Result<AlarmOutcome, ApiError> {
        let checkpoint = self.issue_checkpoint()?;
        let (swept, more) = self.sweep().await?;
        Ok(AlarmOutcome { checkpoint, swept, more })
    }
}
