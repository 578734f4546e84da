//! Whether a countersigned receipt is in its site's log: the receipt's `log` position, the
//! entry rebuilt from the receipt (`ReceiptEntry::new(index, id, jws)`), and the edge's
//! inclusion proof checked against a verified checkpoint.

use kelisim_core::receipt::SignedReceipt;
use kelisim_ledger::api::AnswerError;
use kelisim_ledger::checkpoint::Checkpoint;
use kelisim_ledger::erasure::LeafStatus;
use kelisim_ledger::leaf::{leaf_hash, ReceiptEntry};

use crate::error::Result;
use crate::ledger::source::LogSource;

/// What the log says of one receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inclusion {
    /// Proven at `index` in the tree of `size` leaves.
    Included { index: u64, size: u64 },
    /// Signed before the ledger: no position to check.
    NoPosition,
    /// Its index is not yet covered by the latest checkpoint (checkpoints follow within seconds).
    NotYet { index: u64, size: u64 },
    /// Proven in the log, its data removed by the erasure entry at `by`.
    Erased { index: u64, by: u64, time: String },
    /// Not proven: why.
    Refused(String),
}

impl Inclusion {
    /// One line for the verdict.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Included { index, size } => format!("in log at index {index} of size {size}"),
            Self::NoPosition => "no log position (signed before the ledger)".into(),
            Self::NotYet { index, size } => {
                format!("index {index} is not in the latest checkpoint (size {size}) yet; run again in a few seconds")
            }
            Self::Erased { index, by, time } => {
                format!("erased from the log: index {index}, erased by the erasure at index {by} ({time})")
            }
            Self::Refused(why) => format!("not proven in the log: {why}"),
        }
    }
}

/// Checks `signed` against `checkpoint` with the inclusion proof `source` gives.
///
/// # Errors
/// Transport errors only; every refusal is an [`Inclusion::Refused`].
pub fn check_inclusion(source: &impl LogSource, checkpoint: &Checkpoint, signed: &SignedReceipt) -> Result<Inclusion> {
    let Some(position) = &signed.receipt.log else { return Ok(Inclusion::NoPosition) };
    let (index, size, id) = (position.index, checkpoint.size(), &signed.receipt.claims.id);
    if position.origin != checkpoint.origin().as_str() {
        return Ok(Inclusion::Refused(format!(
            "the receipt names log {}, not {}",
            position.origin,
            checkpoint.origin()
        )));
    }
    if index >= size {
        return Ok(Inclusion::NotYet { index, size });
    }
    let entry = match ReceiptEntry::new(index, id, &signed.jws) {
        Ok(entry) => entry,
        Err(e) => return Ok(Inclusion::Refused(format!("no log entry can hold this receipt: {e}"))),
    };
    let answer = source.inclusion(id, size)?;
    // Present: the proof of this entry's hash. Erased: the tombstone keeps this entry's hash, the
    // erasure entry names this index, and both are proven in the checkpoint's tree.
    match answer.verify(index, size, leaf_hash(&entry.to_bytes()), checkpoint.root()) {
        Ok(LeafStatus::Present) => Ok(Inclusion::Included { index, size }),
        Ok(LeafStatus::Erased { erasure_index, time, .. }) => Ok(Inclusion::Erased { index, by: erasure_index, time }),
        Err(AnswerError::OtherLeaf) => Ok(Inclusion::Refused(AnswerError::OtherLeaf.to_string())),
        Err(e) if answer.erased.is_some() => Ok(Inclusion::Refused(format!("erased proof: {e}"))),
        Err(e) => Ok(Inclusion::Refused(format!("inclusion proof: {e}"))),
    }
}
