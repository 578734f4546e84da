//! Whether a countersigned receipt is in its site's log: the receipt's `log` position, the
//! entry rebuilt from the receipt (`ReceiptEntry::new(index, id, jws)`), and the edge's
//! inclusion proof checked against a verified checkpoint.

use kelisim_core::receipt::SignedReceipt;
use kelisim_ledger::api::LeafProofAnswer;
use kelisim_ledger::checkpoint::Checkpoint;
use kelisim_ledger::erasure::{LeafProof, LeafStatus};
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
                format!("erased from the log: index {index}, erasure entry {by} at {time}")
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
    let refused = |why: String| Ok(Inclusion::Refused(why));
    match &answer {
        LeafProofAnswer::Present(present) => {
            let leaf = leaf_hash(&entry.to_bytes());
            if present.index != index || present.tree_size != size {
                return refused(format!("the proof is for index {} of size {}", present.index, present.tree_size));
            }
            if present.leaf_hash != leaf {
                return refused("the log's leaf at this index is another entry".into());
            }
            match present.to_proof().verify(leaf, checkpoint.root()) {
                Ok(()) => Ok(Inclusion::Included { index, size }),
                Err(e) => refused(format!("inclusion proof: {e}")),
            }
        }
        LeafProofAnswer::Erased(_) => {
            let proof = match answer.erased_proof() {
                Ok(Some(proof)) => proof,
                Ok(None) => return refused("no proof".into()),
                Err(e) => return refused(format!("erased proof: {e}")),
            };
            if let LeafProof::Erased(erased) = &proof {
                if erased.tombstone.leaf_hash() != leaf_hash(&entry.to_bytes()) {
                    return refused("the erased leaf at this index was another entry".into());
                }
            }
            match proof.verify(index, size, checkpoint.root()) {
                Ok(LeafStatus::Erased { erasure_index, time, .. }) => {
                    Ok(Inclusion::Erased { index, by: erasure_index, time })
                }
                Ok(LeafStatus::Present) => refused("the proof says erased and present".into()),
                Err(e) => refused(format!("erased proof: {e}")),
            }
        }
    }
}
