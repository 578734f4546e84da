//! The mirror against a fake log: from empty, incremental, killed and resumed, tampered logs
//! refused with the database unchanged, bad signatures, erasures.

use kelisim_core::sign::EdgeSigningKey;
use rusqlite::types::Value;
use rusqlite::Connection;

use super::*;
use crate::error::{EXIT_BAD_SIGNATURE, EXIT_ERROR, EXIT_INCONSISTENT};
use crate::ledger::fake::FakeLog;

const TABLES: [&str; 7] = ["meta", "checkpoint", "stored_hash", "entry", "receipt", "erasure", "progress"];

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    db::init(&conn).unwrap();
    conn
}

fn run(log: &FakeLog, conn: &mut Connection) -> Result<MirrorReport> {
    log.fetched.borrow_mut().clear();
    mirror(log, conn, &log.verifier(), &log.jwks())
}

/// Every row of `table`, in key order.
fn rows(conn: &Connection, table: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1")).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |r| (0..columns).map(|i| r.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>())
        .unwrap()
        .map(|row| format!("{:?}", row.unwrap()))
        .collect()
}

fn dump(conn: &Connection) -> Vec<(String, Vec<String>)> {
    TABLES.iter().map(|t| ((*t).to_owned(), rows(conn, t))).collect()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn mirrors_from_empty() {
    let mut log = FakeLog::new();
    let receipts = log.add_receipts(5, 'A');
    let mut conn = db();
    let report = run(&log, &mut conn).unwrap();
    assert_eq!(report, MirrorReport { from: 0, to: 5, receipts: 5, ..MirrorReport::default() });
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM receipt"), 5);
    assert_eq!(count(&conn, "SELECT size FROM progress"), 5);
    assert_eq!(count(&conn, "SELECT MAX(size) FROM checkpoint"), 5);
    let signed: String = conn.query_row("SELECT signed FROM receipt WHERE idx = 3", [], |r| r.get(0)).unwrap();
    assert_eq!(signed, serde_json::to_string(&receipts[3]).unwrap());
    let origin: String = conn.query_row("SELECT value FROM meta WHERE key = 'origin'", [], |r| r.get(0)).unwrap();
    assert_eq!(origin, "127.0.0.1:8787/kelisim/crm-demo");
    // Nothing new: a second run changes nothing and fetches nothing.
    let before = dump(&conn);
    assert_eq!(run(&log, &mut conn).unwrap(), MirrorReport { from: 5, to: 5, ..MirrorReport::default() });
    assert_eq!(dump(&conn), before);
    assert!(log.fetched.borrow().is_empty());
}

#[test]
fn a_second_run_pulls_only_the_new_part() {
    let mut log = FakeLog::new();
    log.add_receipts(300, 'A');
    let mut conn = db();
    run(&log, &mut conn).unwrap();
    assert_eq!(*log.fetched.borrow(), ["tile/entries/000", "tile/entries/001.p/44"]);
    log.add_receipts(300, 'B');
    let report = run(&log, &mut conn).unwrap();
    assert_eq!(report, MirrorReport { from: 300, to: 600, receipts: 300, ..MirrorReport::default() });
    assert_eq!(*log.fetched.borrow(), ["tile/entries/001", "tile/entries/002.p/88"]);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM receipt"), 600);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM checkpoint"), 2);

    let mut fresh = db();
    run(&log, &mut fresh).unwrap();
    for table in ["stored_hash", "entry", "receipt", "progress"] {
        assert_eq!(rows(&conn, table), rows(&fresh, table), "{table}");
    }
}

#[test]
fn a_killed_run_resumes_to_the_same_database() {
    let mut log = FakeLog::new();
    log.add_receipts(520, 'A');
    let mut one_run = db();
    run(&log, &mut one_run).unwrap();

    let mut resumed = db();
    log.fail_after_bundles = Some(1);
    let e = run(&log, &mut resumed).unwrap_err();
    assert_eq!(e.exit_code(), EXIT_ERROR, "{e}");
    assert_eq!(count(&resumed, "SELECT size FROM progress"), 256, "the first bundle is kept");
    assert_eq!(count(&resumed, "SELECT COUNT(*) FROM checkpoint"), 0);
    log.fail_after_bundles = Some(1);
    let e = run(&log, &mut resumed).unwrap_err();
    assert_eq!(e.exit_code(), EXIT_ERROR);
    assert_eq!(count(&resumed, "SELECT size FROM progress"), 512);
    log.fail_after_bundles = None;
    let report = run(&log, &mut resumed).unwrap();
    assert_eq!((report.from, report.to, report.receipts), (512, 520, 8));
    assert_eq!(dump(&resumed), dump(&one_run));
}

/// Mirrors 5 receipts, then lets `tamper` change the log; the next run must exit 3 (or
/// `expected`) and leave the database as it was.
fn refused(expected: u8, tamper: impl FnOnce(&mut FakeLog) -> Option<FakeLog>) {
    let mut log = FakeLog::new();
    log.add_receipts(5, 'A');
    let mut conn = db();
    run(&log, &mut conn).unwrap();
    let before = dump(&conn);
    let other = tamper(&mut log);
    let source = other.as_ref().unwrap_or(&log);
    let e = run(source, &mut conn).unwrap_err();
    assert_eq!(e.exit_code(), expected, "{e}");
    assert_eq!(dump(&conn), before);
}

#[test]
fn a_changed_new_entry_is_refused() {
    refused(EXIT_INCONSISTENT, |log| {
        log.add_receipts(5, 'B');
        // Entry 7 replaced by another genuine receipt at the same position: not the tree's leaf.
        let key = EdgeSigningKey::from_seed("k1", crate::ledger::fake::EDGE_SEED);
        let other = log.receipt(7, 'C', &key);
        log.served[7] = ReceiptEntry::new(7, &other.receipt.claims.id, &other.jws).unwrap().to_bytes();
        None
    });
}

#[test]
fn a_changed_mirrored_entry_is_refused() {
    refused(EXIT_INCONSISTENT, |log| {
        log.add_receipts(5, 'B');
        let key = EdgeSigningKey::from_seed("k1", crate::ledger::fake::EDGE_SEED);
        let other = log.receipt(2, 'C', &key);
        log.served[2] = ReceiptEntry::new(2, &other.receipt.claims.id, &other.jws).unwrap().to_bytes();
        None
    });
}

#[test]
fn a_fork_at_the_same_size_is_refused() {
    refused(EXIT_INCONSISTENT, |_| {
        let mut fork = FakeLog::other_history();
        fork.add_receipts(5, 'A');
        Some(fork)
    });
}

#[test]
fn a_fork_at_a_larger_size_is_refused() {
    refused(EXIT_INCONSISTENT, |_| {
        let mut fork = FakeLog::other_history();
        fork.add_receipts(9, 'A');
        Some(fork)
    });
}

#[test]
fn a_shrunk_log_is_refused() {
    refused(EXIT_INCONSISTENT, |log| {
        log.published = Some(3);
        None
    });
}

#[test]
fn a_bad_consistency_proof_is_refused() {
    refused(EXIT_INCONSISTENT, |log| {
        log.add_receipts(4, 'B');
        log.tamper_consistency = true;
        None
    });
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    refused(EXIT_BAD_SIGNATURE, |log| {
        log.add_receipts(1, 'B');
        let other = kelisim_ledger::checkpoint::CheckpointSigner::from_seed(log.origin.clone(), &[9; 32]);
        let honest = log.verifier().verify(&log.checkpoint_of(6)).unwrap();
        log.checkpoint_override = Some(other.sign(6, honest.root()).unwrap().to_bytes().to_vec());
        None
    });
}

#[test]
fn a_receipt_with_a_bad_signature_is_refused_with_exit_4() {
    refused(EXIT_BAD_SIGNATURE, |log| {
        log.add_receipts(1, 'B');
        log.add_receipt_signed_by('C', &EdgeSigningKey::from_seed("k1", [8; 32]));
        log.add_receipts(1, 'D');
        None
    });
    // From empty too: the first bundle is rolled back whole.
    let mut log = FakeLog::new();
    log.add_receipts(2, 'A');
    log.add_receipt_signed_by('C', &EdgeSigningKey::from_seed("k1", [8; 32]));
    let mut conn = db();
    let empty = dump(&conn);
    assert_eq!(run(&log, &mut conn).unwrap_err().exit_code(), EXIT_BAD_SIGNATURE);
    assert_eq!(dump(&conn), empty);
}

#[test]
fn a_receipt_signed_for_another_position_is_refused() {
    refused(EXIT_INCONSISTENT, |log| {
        // A genuine countersignature for index 9, appended at index 5.
        let key = EdgeSigningKey::from_seed("k1", crate::ledger::fake::EDGE_SEED);
        let signed = log.receipt(9, 'B', &key);
        let entry = ReceiptEntry::new(5, &signed.receipt.claims.id, &signed.jws).unwrap();
        log.append_raw(entry.to_bytes());
        None
    });
}

#[test]
fn erasures_are_applied_and_leaf_hashes_kept() {
    let mut log = FakeLog::new();
    log.add_receipts(3, 'A');
    log.add_receipts(2, 'B');
    let mut conn = db();
    run(&log, &mut conn).unwrap();
    let hashes_before = rows(&conn, "stored_hash");
    let leaf_hashes = |c: &Connection| {
        let mut stmt = c.prepare("SELECT leaf_hash FROM entry WHERE idx < 5 ORDER BY idx").unwrap();
        stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).unwrap().map(|r| r.unwrap()).collect::<Vec<_>>()
    };
    let leaves_before = leaf_hashes(&conn);

    assert_eq!(log.erase_subject('A'), [0, 1, 2]);
    let report = run(&log, &mut conn).unwrap();
    assert_eq!((report.erasures, report.erased), (1, 3));
    assert_eq!(count(&conn, &format!("SELECT COUNT(*) FROM receipt WHERE subject = '{}'", "A".repeat(43))), 0);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM receipt"), 2);
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM entry WHERE erased_by = 5 AND bytes IS NULL"), 3);
    assert_eq!(leaf_hashes(&conn), leaves_before);
    assert_eq!(rows(&conn, "stored_hash")[..hashes_before.len()], hashes_before[..]);
    let erasure: (String, String) =
        conn.query_row("SELECT erased, time FROM erasure WHERE idx = 5", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(erasure, ("[0,1,2]".to_owned(), "2026-12-02T10:00:00.000Z".to_owned()));

    // A mirror that starts after the erasure sees tombstones and ends with the same rows.
    let mut fresh = db();
    let report = run(&log, &mut fresh).unwrap();
    assert_eq!((report.receipts, report.tombstones, report.erasures), (2, 3, 1));
    for table in ["stored_hash", "entry", "receipt", "erasure", "progress"] {
        assert_eq!(rows(&conn, table), rows(&fresh, table), "{table}");
    }
}

#[test]
fn tombstones_ahead_of_the_checkpoint_wait_for_their_erasure() {
    let mut log = FakeLog::new();
    log.add_receipts(3, 'A');
    log.add_receipts(2, 'B');
    log.erase_subject('A');
    // The checkpoint lags: it covers the receipts, not yet the erasure entry at 5.
    log.published = Some(5);
    let mut conn = db();
    let report = run(&log, &mut conn).unwrap();
    assert_eq!((report.to, report.tombstones), (5, 3));
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM entry WHERE erased_by = 5"), 3);
    log.published = None;
    let report = run(&log, &mut conn).unwrap();
    assert_eq!((report.to, report.erasures), (6, 1));
}

#[test]
fn a_tombstone_naming_a_receipt_as_its_erasure_is_refused() {
    let mut log = FakeLog::new();
    log.add_receipts(3, 'A');
    // Leaf 0 served as erased "by" entry 2, a receipt: the leaf hash is right, the claim is not.
    let entry0 = log.entry(0);
    log.served[0] = Tombstone::new(0, kelisim_ledger::leaf::leaf_hash(&entry0), 2).unwrap().to_bytes();
    let mut conn = db();
    let empty = dump(&conn);
    assert_eq!(run(&log, &mut conn).unwrap_err().exit_code(), EXIT_INCONSISTENT);
    assert_eq!(dump(&conn), empty);
}

#[test]
fn another_log_origin_is_refused() {
    let mut log = FakeLog::new();
    log.add_receipts(2, 'A');
    let mut conn = db();
    run(&log, &mut conn).unwrap();
    let before = dump(&conn);
    db::set_meta(&conn, "origin", "edge.example/kelisim/crm-demo").unwrap();
    let changed = dump(&conn);
    assert_ne!(before, changed);
    assert_eq!(run(&log, &mut conn).unwrap_err().exit_code(), EXIT_INCONSISTENT);
    assert_eq!(dump(&conn), changed);
}
