//! The tables of a site's ledger (one Durable Object's SQLite), created on the object's first
//! request. `docs/ledger.md` §3 explains each; the log tables are append-only except the erasure
//! columns, the query tables are one row per present receipt and lose it on erasure.

use super::sql::{int, LedgerDb, Write};
use crate::error::StoreError;

/// The schema this code writes; stored in `meta` so a later version can migrate.
pub const SCHEMA_VERSION: i64 = 1;

const TABLES: &[&str] = &[
    // ---- the log ----
    // One row per leaf. `entry` is the exact entry bytes (kelisim_ledger::leaf) until an erasure
    // removes them; `leaf_hash` stays forever. `kv_done`: the receipt's KV record is confirmed
    // written; `kv_deleted`: after erasure, its KV record is confirmed deleted.
    "CREATE TABLE IF NOT EXISTS leaf (
        idx INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        receipt_id TEXT UNIQUE,
        entry BLOB,
        leaf_hash BLOB NOT NULL,
        erased_by INTEGER,
        server_ms INTEGER NOT NULL,
        kv_done INTEGER NOT NULL DEFAULT 0,
        kv_deleted INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE INDEX IF NOT EXISTS leaf_kv_pending ON leaf(idx) WHERE kv_done = 0 AND entry IS NOT NULL AND kind = 'receipt'",
    "CREATE INDEX IF NOT EXISTS leaf_kv_undeleted ON leaf(idx) WHERE erased_by IS NOT NULL AND kv_deleted = 0",
    // tlog stored hashes (kelisim_ledger::tree::HashStorage), by stored-hash index.
    "CREATE TABLE IF NOT EXISTS stored_hash (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
    // Every checkpoint issued, kept.
    "CREATE TABLE IF NOT EXISTS checkpoint (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note BLOB NOT NULL, issued_ms INTEGER NOT NULL)",
    // Receipt ids erased (SHA-256 of the id): a replay of one answers 410; `idx` is the erased
    // leaf, so an inclusion proof asked by id still finds it.
    "CREATE TABLE IF NOT EXISTS erased_id (id_sha256 BLOB PRIMARY KEY, idx INTEGER NOT NULL, erased_by INTEGER NOT NULL)",
    // Erased subjects (SHA-256 of the subject id, never the id): a receipt of the erased history
    // posted again is refused, and once any erased receipt was visitor-signed an unsigned one
    // cannot take the id over (`append::refuse_erased`). One row per subject, raised on each
    // erasure.
    "CREATE TABLE IF NOT EXISTS erased_subject (
        subject_sha256 BLOB PRIMARY KEY,
        erasure_id TEXT NOT NULL,
        erased_at_ms INTEGER NOT NULL,
        subject_signed INTEGER NOT NULL
    )",
    // An erasure under way (one per subject, by the subject's SHA-256): the record it will sign.
    "CREATE TABLE IF NOT EXISTS erasure_run (
        subject_sha256 BLOB PRIMARY KEY,
        erasure_id TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        requested_by TEXT NOT NULL
    )",
    // The receipt ids an erasure removed (what its operator-facing record names).
    "CREATE TABLE IF NOT EXISTS erasure_receipt (erasure_id TEXT NOT NULL, receipt_id TEXT NOT NULL, PRIMARY KEY (erasure_id, receipt_id))",
    // KV records of erased leaves still to delete (the id is kept only until the delete succeeds).
    "CREATE TABLE IF NOT EXISTS kv_delete (idx INTEGER PRIMARY KEY, receipt_id TEXT NOT NULL, erasure_id TEXT NOT NULL)",
    // The site this object's log is for (its alarm has no request to read it from).
    "CREATE TABLE IF NOT EXISTS log_site (site TEXT PRIMARY KEY)",
    // schema_version, tree_size, last_server_ms.
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    // ---- the query tables ----
    // `summary`: the ReceiptSummary JSON a listing row shows (core::api::receipts).
    "CREATE TABLE IF NOT EXISTS receipt_row (
        idx INTEGER PRIMARY KEY,
        receipt_id TEXT NOT NULL UNIQUE,
        server_ms INTEGER NOT NULL,
        subject TEXT NOT NULL,
        action TEXT NOT NULL,
        policy_version INTEGER NOT NULL,
        visitor_signed INTEGER NOT NULL,
        hash TEXT NOT NULL,
        prev TEXT,
        summary TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS receipt_by_time ON receipt_row(server_ms DESC, idx DESC)",
    "CREATE INDEX IF NOT EXISTS receipt_by_subject ON receipt_row(subject, server_ms DESC, idx DESC)",
    "CREATE TABLE IF NOT EXISTS decision_row (
        idx INTEGER NOT NULL,
        category TEXT NOT NULL,
        decision TEXT NOT NULL,
        server_ms INTEGER NOT NULL,
        PRIMARY KEY (idx, category)
    )",
    "CREATE INDEX IF NOT EXISTS decision_by_category ON decision_row(category, decision, server_ms DESC, idx DESC)",
    // A category filter without a decision: its page in time order without sorting every match.
    "CREATE INDEX IF NOT EXISTS decision_by_category_time ON decision_row(category, server_ms DESC, idx DESC)",
    // Exact counters, kept in the append and erasure blocks. `day` is the UTC date of server time.
    "CREATE TABLE IF NOT EXISTS day_count (day TEXT NOT NULL, category TEXT NOT NULL, decision TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (day, category, decision))",
    "CREATE TABLE IF NOT EXISTS day_total (day TEXT PRIMARY KEY, n INTEGER NOT NULL)",
];

/// Creates every table (idempotent) and records the schema version.
///
/// # Errors
/// [`StoreError`] when a statement fails, or the stored schema is newer than this code.
pub fn migrate(db: &impl LedgerDb) -> Result<(), StoreError> {
    db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)", &[])?;
    if let Some(row) = db.exec("SELECT value FROM meta WHERE key = 'schema_version'", &[])?.first() {
        let v = int(row, 0)?;
        if v > SCHEMA_VERSION {
            return Err(StoreError(format!("ledger schema {v} is newer than this edge's {SCHEMA_VERSION}")));
        }
        if v == SCHEMA_VERSION {
            return Ok(());
        }
    }
    let mut writes: Vec<Write> = TABLES.iter().map(|t| Write::new(*t, vec![])).collect();
    writes.push(Write::new(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        vec![SCHEMA_VERSION.into()],
    ));
    writes.push(Write::new("INSERT OR IGNORE INTO meta (key, value) VALUES ('tree_size', 0)", vec![]));
    writes.push(Write::new("INSERT OR IGNORE INTO meta (key, value) VALUES ('last_server_ms', 0)", vec![]));
    db.commit(writes)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ledger::sqlite::SqliteLedgerDb;

    #[test]
    fn migrating_twice_keeps_the_data() {
        let db = SqliteLedgerDb::new();
        migrate(&db).unwrap();
        db.exec("UPDATE meta SET value = 7 WHERE key = 'tree_size'", &[]).unwrap();
        migrate(&db).unwrap();
        let rows = db.exec("SELECT value FROM meta WHERE key = 'tree_size'", &[]).unwrap();
        assert_eq!(int(&rows[0], 0).unwrap(), 7);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let db = SqliteLedgerDb::new();
        migrate(&db).unwrap();
        db.exec("UPDATE meta SET value = 99 WHERE key = 'schema_version'", &[]).unwrap();
        assert!(migrate(&db).is_err());
    }
}
