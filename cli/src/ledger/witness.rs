//! `kelisim log verify`: a witness of a site's log. It verifies the latest checkpoint, checks it
//! extends the last one it accepted (kept in a state file), and with `--records` checks that
//! every present receipt entry's KV record is there and is the same countersigned receipt.

use kelisim_core::sign::Jwks;
use kelisim_ledger::checkpoint::{Checkpoint, CheckpointVerifier};
use kelisim_ledger::erasure::ServedEntry;
use kelisim_ledger::leaf::Entry;
use kelisim_ledger::tree::{tree_hash, MemoryHashes};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::entries::{bundle_at, check_receipt_entry, fetch_bundle};
use crate::ledger::source::{LogSource, Record};

/// What the state file holds: the last accepted checkpoint and the key that verified it (so it
/// verifies again after the edge rotates its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessState {
    pub verifier_key: String,
    pub checkpoint: String,
}

impl WitnessState {
    /// The state after accepting `checkpoint` verified by `verifier`.
    #[must_use]
    pub fn new(verifier: &CheckpointVerifier, checkpoint: &Checkpoint) -> Self {
        Self {
            verifier_key: verifier.verifier_key(),
            checkpoint: String::from_utf8_lossy(checkpoint.to_bytes()).into_owned(),
        }
    }

    /// The checkpoint this state holds, verified again with the key it was accepted under.
    ///
    /// # Errors
    /// [`Error::Input`] when the state file was changed or is for another site.
    pub fn checkpoint(&self, site: &str, source: &str) -> Result<Checkpoint> {
        let verifier = crate::ledger::trust::parse_verifier_key(&self.verifier_key, source)?;
        if verifier.origin().site() != site {
            return Err(Error::Input(format!(
                "{source} is the state of log {}, not of site {site}",
                verifier.origin()
            )));
        }
        verifier
            .verify(self.checkpoint.as_bytes())
            .map_err(|e| Error::Input(format!("{source}: the checkpoint it holds does not verify: {e}")))
    }
}

/// Fetches and verifies the latest checkpoint and, when `previous` is given, checks that it
/// extends it (not smaller, the same root at the same size, else a valid consistency proof).
///
/// # Errors
/// [`Error::BadSignature`] for a checkpoint that does not verify; [`Error::Inconsistent`] when
/// it does not extend `previous`; transport errors.
pub fn latest_checkpoint(
    source: &impl LogSource,
    verifier: &CheckpointVerifier,
    previous: Option<&Checkpoint>,
) -> Result<Checkpoint> {
    let bytes = source.checkpoint()?;
    let latest = verifier.verify(&bytes).map_err(|e| Error::BadSignature(format!("the latest checkpoint: {e}")))?;
    let Some(previous) = previous else { return Ok(latest) };
    if previous.origin() != latest.origin() {
        return Err(Error::Inconsistent(format!("the log is now {}, was {}", latest.origin(), previous.origin())));
    }
    if latest.size() < previous.size() {
        return Err(Error::Inconsistent(format!(
            "the log shrank from {} to {} leaves",
            previous.size(),
            latest.size()
        )));
    }
    if latest.size() == previous.size() {
        if latest.root() != previous.root() {
            return Err(Error::Inconsistent(format!("fork: two roots for size {}", latest.size())));
        }
        return Ok(latest);
    }
    let proof = source.consistency(previous.size(), latest.size())?;
    previous.check_extended_by(&latest, &proof).map_err(|e| {
        Error::Inconsistent(format!("size {} does not extend size {}: {e}", latest.size(), previous.size()))
    })?;
    Ok(latest)
}

/// A present receipt entry whose KV record is not what the log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    pub index: u64,
    pub id: String,
    pub problem: &'static str,
}

/// Walks every entry of the tree of `checkpoint`, checks the entries against its root and each
/// present receipt's signature, and compares each present receipt with its KV record.
///
/// # Errors
/// [`Error::Inconsistent`] when the entries do not hash to the checkpoint; as [`fetch_bundle`]
/// and [`check_receipt_entry`]; transport errors.
pub fn check_records(source: &impl LogSource, checkpoint: &Checkpoint, jwks: &Jwks) -> Result<Vec<RecordProblem>> {
    let mut hashes = MemoryHashes::new();
    let mut problems = Vec::new();
    while hashes.size() < checkpoint.size() {
        let tile = bundle_at(hashes.size(), checkpoint.size())?;
        for (index, served) in fetch_bundle(source, &tile)? {
            hashes.push(served.leaf_hash()).map_err(|e| Error::Protocol(e.to_string()))?;
            let ServedEntry::Present(Entry::Receipt(entry)) = served else { continue };
            check_receipt_entry(&entry, checkpoint.origin(), jwks)?;
            let problem = match source.record(entry.id())? {
                Record::Held(jws) if jws == entry.jws() => continue,
                Record::Held(_) => "the KV record is another receipt than the log's",
                Record::Missing => "the KV record is missing",
                Record::Erased => "the edge says erased, the log holds it",
            };
            problems.push(RecordProblem { index, id: entry.id().to_owned(), problem });
        }
    }
    let root = tree_hash(checkpoint.size(), &hashes).map_err(|e| Error::Protocol(e.to_string()))?;
    if root != checkpoint.root() {
        return Err(Error::Inconsistent(format!(
            "the entries served do not hash to the checkpoint's root (size {})",
            checkpoint.size()
        )));
    }
    Ok(problems)
}

/// What one witness run saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Advance {
    /// The size the state file held, if any.
    pub previous: Option<u64>,
    pub latest: Checkpoint,
}

/// One witness run: reads the state file (absent on the first run), verifies the latest
/// checkpoint and that it extends the state's, and only then replaces the state file (written
/// whole, renamed into place).
///
/// # Errors
/// As [`latest_checkpoint`]; [`Error::Input`] for a state file that cannot be read or verified;
/// [`Error::Output`] when it cannot be written. The state file is unchanged on every error.
pub fn advance(
    source: &impl LogSource,
    verifier: &CheckpointVerifier,
    site: &str,
    state_path: Option<&std::path::Path>,
) -> Result<Advance> {
    let previous = match state_path {
        Some(path) if path.exists() => {
            let name = path.display().to_string();
            let state: WitnessState = crate::commands::read_json_file(path, "a `kelisim log verify` state file")?;
            Some(state.checkpoint(site, &name)?)
        }
        _ => None,
    };
    let latest = latest_checkpoint(source, verifier, previous.as_ref())?;
    if let Some(path) = state_path {
        let state = WitnessState::new(verifier, &latest);
        let text = serde_json::to_string_pretty(&state).map_err(|e| Error::Output(e.to_string()))?;
        crate::atomic::write(path, format!("{text}\n").as_bytes(), None)?;
    }
    Ok(Advance { previous: previous.map(|p| p.size()), latest })
}
