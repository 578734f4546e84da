//! `kelisim mirror`: an incremental, resumable, verifying copy of a site's log and receipts into
//! SQLite (docs/ledger.md §7, docs/mirror.md). Pure over a [`LogSource`] and a rusqlite
//! connection, so tests run it against a fake log.
//!
//! A run: verify the latest checkpoint `(n, R)`; check it extends what the mirror holds (`k`
//! leaves, root computed from its own stored hashes): not smaller, not another root at the same
//! size, and a valid consistency proof `k → n`. Then for each entry bundle covering `[k, n)`:
//! parse each position strictly, verify every receipt's countersignature and the position it
//! binds, apply erasures, append the leaf hashes to the local tree, and prove the local tree of
//! the bundle's end a prefix of `R` (a consistency proof, or `R` itself at `n`) before
//! committing the bundle's rows and the new progress in one transaction. Any failure rolls the
//! bundle back: a refused log leaves the database as it was.

pub mod db;

use kelisim_core::sign::Jwks;
use kelisim_ledger::checkpoint::{Checkpoint, CheckpointVerifier};
use kelisim_ledger::erasure::{ServedEntry, Tombstone};
use kelisim_ledger::leaf::{Entry, ErasureEntry, ReceiptEntry};
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tree::{append, tree_hash};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use self::db::{db_error, int, SqlHashes};
use crate::error::{Error, Result};
use crate::ledger::entries::{bundle_at, check_receipt_entry, fetch_bundle};
use crate::ledger::source::LogSource;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Leaves held before the run.
    pub from: u64,
    /// Leaves held after it (the latest checkpoint's size).
    pub to: u64,
    pub receipts: u64,
    pub erasures: u64,
    /// Receipts already erased when first seen (only their leaf hash is kept).
    pub tombstones: u64,
    /// Receipts mirrored earlier whose data an erasure in this run removed.
    pub erased: u64,
}

/// Mirrors the log `source` serves into `conn`, checkpoints verified by `verifier`, receipts by
/// `jwks`.
///
/// # Errors
/// [`Error::Inconsistent`] (exit 3) and [`Error::BadSignature`] (exit 4) refuse the log with the
/// current bundle rolled back; transport and database errors (exit 2) stop the run, keeping the
/// bundles committed so far.
pub fn mirror(
    source: &impl LogSource,
    conn: &mut Connection,
    verifier: &CheckpointVerifier,
    jwks: &Jwks,
) -> Result<MirrorReport> {
    let origin = verifier.origin().clone();
    let held = db::held(conn)?;
    if let Some(held_origin) = &held.origin {
        if held_origin != origin.as_str() {
            return Err(Error::Inconsistent(format!(
                "the mirror holds log {held_origin}, the edge now names {origin}"
            )));
        }
    }
    let bytes = source.checkpoint()?;
    let latest = verifier.verify(&bytes).map_err(|e| Error::BadSignature(format!("the latest checkpoint: {e}")))?;
    let (n, mut k) = (latest.size(), held.size);
    let mut report = MirrorReport { from: k, to: n, ..MirrorReport::default() };
    let held_root = tree_hash(k, &SqlHashes(conn)).map_err(|e| Error::Output(format!("mirror database: {e}")))?;
    if n < k {
        return Err(Error::Inconsistent(format!(
            "the log shrank: its checkpoint has {n} leaves, the mirror holds {k}"
        )));
    }
    if n == k && latest.root() != held_root {
        return Err(Error::Inconsistent(format!(
            "fork: the checkpoint of size {n} has another root than the mirror's"
        )));
    }
    if k > 0 && n > k {
        let proof = source.consistency(k, n)?;
        if (proof.old_size, proof.new_size) != (k, n) {
            return Err(Error::Inconsistent(format!(
                "asked a proof {k}→{n}, got {}→{}",
                proof.old_size, proof.new_size
            )));
        }
        proof.verify(held_root, latest.root()).map_err(|e| {
            Error::Inconsistent(format!("the log of size {n} does not extend the mirror's {k} leaves: {e}"))
        })?;
    }
    if n == k {
        let tx = begin(conn, k)?;
        finish(&tx, &latest, &origin, verifier)?;
        tx.commit().map_err(db_error)?;
        return Ok(report);
    }
    while k < n {
        let tile = bundle_at(k, n)?;
        let entries = fetch_bundle(source, &tile)?;
        let tx = begin(conn, k)?;
        for (index, served) in entries {
            if index < k {
                // Held already (the bundle was partial last time): the leaf must not have changed.
                if db::leaf_hash(&tx, index)? != Some(served.leaf_hash()) {
                    return Err(Error::Inconsistent(format!("entry {index} changed since it was mirrored")));
                }
                continue;
            }
            apply(&tx, index, &served, &origin, jwks, &mut report)?;
            let appended = append(index, served.leaf_hash(), &SqlHashes(&tx))
                .map_err(|e| Error::Output(format!("mirror database: {e}")))?;
            for (position, hash) in appended.writes() {
                tx.execute("INSERT INTO stored_hash (idx, hash) VALUES (?1, ?2)", params![int(position)?, &hash.0[..]])
                    .map_err(db_error)?;
            }
        }
        let end = tile.leaf_range().end;
        let local_root = tree_hash(end, &SqlHashes(&tx)).map_err(|e| Error::Output(format!("mirror database: {e}")))?;
        if end < n {
            let proof = source.consistency(end, n)?;
            if (proof.old_size, proof.new_size) != (end, n) {
                return Err(Error::Inconsistent(format!(
                    "asked a proof {end}→{n}, got {}→{}",
                    proof.old_size, proof.new_size
                )));
            }
            proof
                .verify(local_root, latest.root())
                .map_err(|e| Error::Inconsistent(format!("entries {k}..{end} are not the log's of size {n}: {e}")))?;
        } else if local_root != latest.root() {
            return Err(Error::Inconsistent(format!("entries {k}..{end} do not hash to the checkpoint's root")));
        }
        db::set_progress(&tx, end)?;
        if end == n {
            finish(&tx, &latest, &origin, verifier)?;
        } else {
            db::set_meta(&tx, "origin", origin.as_str())?;
        }
        tx.commit().map_err(db_error)?;
        k = end;
    }
    Ok(report)
}

/// Starts a bundle's transaction, checking no other run moved the progress meanwhile.
fn begin(conn: &mut Connection, expected: u64) -> Result<Transaction<'_>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db_error)?;
    if db::held(&tx)?.size != expected {
        return Err(Error::Output("another `kelisim mirror` run is writing this database; try again".into()));
    }
    Ok(tx)
}

/// Records the checkpoint the mirror now holds in full, the origin and the key that verified it.
fn finish(tx: &Transaction<'_>, latest: &Checkpoint, origin: &LogOrigin, verifier: &CheckpointVerifier) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO checkpoint (size, root, note) VALUES (?1, ?2, ?3)",
        params![int(latest.size())?, &latest.root().0[..], latest.to_bytes()],
    )
    .map_err(db_error)?;
    db::set_meta(tx, "origin", origin.as_str())?;
    db::set_meta(tx, "verifier_key", &verifier.verifier_key())
}

/// Stores one served entry at `index`.
fn apply(
    tx: &Transaction<'_>,
    index: u64,
    served: &ServedEntry,
    origin: &LogOrigin,
    jwks: &Jwks,
    report: &mut MirrorReport,
) -> Result<()> {
    match served {
        ServedEntry::Present(Entry::Receipt(entry)) => {
            store_receipt(tx, entry, origin, jwks)?;
            report.receipts += 1;
        }
        ServedEntry::Present(Entry::Erasure(erasure)) => {
            report.erased += store_erasure(tx, erasure)?;
            report.erasures += 1;
        }
        ServedEntry::Erased(tombstone) => {
            store_tombstone(tx, tombstone)?;
            report.tombstones += 1;
        }
    }
    if !matches!(served, ServedEntry::Present(Entry::Erasure(_))) {
        // A tombstone seen earlier named this index as its erasure: it must be one.
        let named: i64 = tx
            .query_row("SELECT COUNT(*) FROM entry WHERE erased_by = ?1", [int(index)?], |r| r.get(0))
            .map_err(db_error)?;
        if named > 0 {
            return Err(Error::Inconsistent(format!("tombstones name entry {index} as their erasure; it is not one")));
        }
    }
    Ok(())
}

fn store_receipt(tx: &Transaction<'_>, entry: &ReceiptEntry, origin: &LogOrigin, jwks: &Jwks) -> Result<()> {
    let index = entry.index();
    let signed = check_receipt_entry(entry, origin, jwks)?;
    let duplicate: i64 =
        tx.query_row("SELECT COUNT(*) FROM receipt WHERE id = ?1", [entry.id()], |r| r.get(0)).map_err(db_error)?;
    if duplicate > 0 {
        return Err(Error::Inconsistent(format!("receipt {} appears twice in the log (again at {index})", entry.id())));
    }
    let bytes = entry.to_bytes();
    tx.execute(
        "INSERT INTO entry (idx, kind, leaf_hash, bytes, erased_by) VALUES (?1, 'receipt', ?2, ?3, NULL)",
        params![int(index)?, &kelisim_ledger::leaf::leaf_hash(&bytes).0[..], bytes],
    )
    .map_err(db_error)?;
    let json = serde_json::to_string(&signed).map_err(|e| Error::Output(e.to_string()))?;
    tx.execute(
        "INSERT INTO receipt (idx, id, subject, server_time, jws, signed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![int(index)?, entry.id(), signed.receipt.claims.subject, signed.receipt.server_time, entry.jws(), json],
    )
    .map_err(db_error)?;
    Ok(())
}

/// Applies an erasure: the data of every index it lists goes, the leaf hashes stay. Returns how
/// many mirrored receipts lost their data.
fn store_erasure(tx: &Transaction<'_>, erasure: &ErasureEntry) -> Result<u64> {
    let index = erasure.index();
    let mut removed = 0;
    for &target in erasure.erased() {
        let row: Option<(String, Option<i64>)> = tx
            .query_row("SELECT kind, erased_by FROM entry WHERE idx = ?1", [int(target)?], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db_error)?;
        match row {
            None => {
                return Err(Error::Inconsistent(format!("erasure {index} lists entry {target}, which is not mirrored")))
            }
            Some((kind, _)) if kind != "receipt" => {
                return Err(Error::Inconsistent(format!(
                    "erasure {index} lists entry {target}, which is not a receipt"
                )))
            }
            Some((_, Some(by))) if by != int(index)? => {
                return Err(Error::Inconsistent(format!(
                    "entry {target} was erased by {by}; erasure {index} lists it too"
                )))
            }
            Some(_) => {}
        }
        removed += tx.execute("DELETE FROM receipt WHERE idx = ?1", [int(target)?]).map_err(db_error)? as u64;
        tx.execute("UPDATE entry SET bytes = NULL, erased_by = ?1 WHERE idx = ?2", params![int(index)?, int(target)?])
            .map_err(db_error)?;
    }
    let listed = serde_json::to_string(erasure.erased()).map_err(|e| Error::Output(e.to_string()))?;
    let unlisted: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM entry WHERE erased_by = ?1 AND idx NOT IN (SELECT value FROM json_each(?2))",
            params![int(index)?, &listed],
            |r| r.get(0),
        )
        .map_err(db_error)?;
    if unlisted > 0 {
        return Err(Error::Inconsistent(format!("tombstones name erasure {index}, which does not list them")));
    }
    let bytes = erasure.to_bytes();
    tx.execute(
        "INSERT INTO entry (idx, kind, leaf_hash, bytes, erased_by) VALUES (?1, 'erasure', ?2, ?3, NULL)",
        params![int(index)?, &kelisim_ledger::leaf::leaf_hash(&bytes).0[..], bytes],
    )
    .map_err(db_error)?;
    tx.execute(
        "INSERT INTO erasure (idx, id, time, erased) VALUES (?1, ?2, ?3, ?4)",
        params![int(index)?, erasure.id(), erasure.time(), listed],
    )
    .map_err(db_error)?;
    Ok(removed)
}

/// A receipt erased before the mirror saw it: its leaf hash, and the erasure that must list it
/// (checked when that entry is mirrored, in this run or a later one).
fn store_tombstone(tx: &Transaction<'_>, tombstone: &Tombstone) -> Result<()> {
    tx.execute(
        "INSERT INTO entry (idx, kind, leaf_hash, bytes, erased_by) VALUES (?1, 'receipt', ?2, NULL, ?3)",
        params![int(tombstone.index())?, &tombstone.leaf_hash().0[..], int(tombstone.erased_by())?],
    )
    .map_err(db_error)?;
    Ok(())
}

#[cfg(test)]
mod tests;
