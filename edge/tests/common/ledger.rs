//! A site's ledger as the append will leave it, for the query tests: each receipt countersigned
//! with its log position, its `leaf` row (the exact entry bytes), its query rows and counters
//! (`ledger::rows::insert`), the tree size, and its KV record with metadata `{"index":n}`. Stands
//! in for H1's append (`ledger/append.rs`) until it lands; then these helpers can call it.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use kelisim_core::receipt::{LogPosition, Receipt, SignedReceipt, SubmitReceipt};
use kelisim_core::time::parse_millis;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::keys;
use kelisim_edge::kv::{Kv, MemoryKv};
use kelisim_edge::ledger::rows;
use kelisim_edge::ledger::schema::migrate;
use kelisim_edge::ledger::sql::{int, LedgerDb, SqlValue, Write};
use kelisim_edge::ledger::sqlite::SqliteLedgerDb;
use kelisim_edge::ledger::SiteLog;
use kelisim_ledger::leaf::{leaf_hash, ReceiptEntry};
use kelisim_ledger::origin::LogOrigin;
use pollster::block_on;

/// The host of the test logs' origin.
pub const LEDGER_HOST: &str = "127.0.0.1:8787";

/// The native stand-in for the object's SQLite.
pub type SqliteDb = SqliteLedgerDb;

/// A fresh ledger database with every table.
pub fn ledger_db() -> SqliteLedgerDb {
    let db = SqliteLedgerDb::new();
    migrate(&db).unwrap();
    db
}

/// The ledger of `site` over `db` and `kv` at `now_ms`.
pub fn site_log<'a, K: Kv>(
    site: &'a str,
    db: &'a SqliteLedgerDb,
    kv: &'a K,
    keys: &'a Keyring,
    now_ms: i64,
) -> SiteLog<'a, K, SqliteLedgerDb> {
    SiteLog { site, origin: LogOrigin::new(LEDGER_HOST, site).unwrap(), db, kv, keys, now_ms }
}

fn tree_size(db: &SqliteLedgerDb) -> i64 {
    int(&db.exec("SELECT value FROM meta WHERE key = 'tree_size'", &[]).unwrap()[0], 0).unwrap()
}

/// Accepts `submit` at `server_ms` at the end of the log: countersigned with its position, then
/// stored as the append stores it. Returns the signed receipt.
pub fn append(
    kv: &MemoryKv,
    db: &SqliteLedgerDb,
    keys: &Keyring,
    submit: SubmitReceipt,
    server_ms: i64,
) -> SignedReceipt {
    let index = tree_size(db);
    let site = submit.claims.site.clone();
    let mut receipt = Receipt::accept(submit, server_ms).unwrap();
    receipt.log = Some(LogPosition {
        index: u64::try_from(index).unwrap(),
        origin: LogOrigin::new(LEDGER_HOST, &site).unwrap().as_str().to_owned(),
    });
    let signed = receipt.countersign(keys.current()).unwrap();
    append_signed(kv, db, &signed);
    signed
}

/// Stores an already signed receipt at the end of the log (its server time as given), writing
/// its KV record too.
pub fn append_signed(kv: &MemoryKv, db: &SqliteLedgerDb, signed: &SignedReceipt) {
    let index = tree_size(db);
    db.commit(append_writes(signed, index)).unwrap();
    let c = &signed.receipt.claims;
    let meta = serde_json::json!({ "index": index });
    block_on(kv.put(&keys::receipt(&c.site, &c.id), &serde_json::to_string(signed).unwrap(), Some(&meta))).unwrap();
}

/// The writes the append commits for `signed` at `index`: leaf, query rows, counters, size.
pub fn append_writes(signed: &SignedReceipt, index: i64) -> Vec<Write> {
    let server_ms = parse_millis("server_time", &signed.receipt.server_time).unwrap();
    let entry = ReceiptEntry::new(u64::try_from(index).unwrap(), &signed.receipt.claims.id, &signed.jws).unwrap();
    let bytes = entry.to_bytes();
    let mut writes = vec![Write::new(
        "INSERT INTO leaf (idx, kind, receipt_id, entry, leaf_hash, server_ms, kv_done) VALUES (?, 'receipt', ?, ?, ?, ?, 1)",
        vec![
            index.into(),
            signed.receipt.claims.id.as_str().into(),
            SqlValue::Blob(bytes.clone()),
            SqlValue::Blob(leaf_hash(&bytes).0.to_vec()),
            server_ms.into(),
        ],
    )];
    writes.extend(rows::insert(signed, index, server_ms).unwrap());
    writes.push(Write::new("UPDATE meta SET value = ? WHERE key = 'tree_size'", vec![(index + 1).into()]));
    writes
}

/// What the erasure entry at `erased_by` does to the leaf of `index` and its query rows (the KV
/// record and the erasure's own leaf aside).
pub fn erase(db: &SqliteLedgerDb, index: i64, erased_by: i64) {
    let mut writes = rows::delete(index);
    writes.push(Write::new(
        "UPDATE leaf SET entry = NULL, receipt_id = NULL, erased_by = ? WHERE idx = ?",
        vec![erased_by.into(), index.into()],
    ));
    db.commit(writes).unwrap();
}

/// Appends `count` receipts of `subject`, one millisecond apart from `start_ms`, each a copy of
/// `template` under a new id and countersigned with its own position (so they verify and
/// export): a large site without a visitor signature per receipt. Returns their ids.
pub fn seed(
    kv: &MemoryKv,
    db: &SqliteLedgerDb,
    keys: &Keyring,
    template: &SubmitReceipt,
    subject: &str,
    start_ms: i64,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let server_ms = start_ms + n as i64;
        let mut copy = template.clone();
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(n as u64).to_be_bytes());
        random[8] = subject.as_bytes()[0];
        copy.claims.id = kelisim_core::id::ulid_from_parts(server_ms as u64, random);
        copy.claims.subject = subject.to_owned();
        copy.claims.subject_key = None;
        copy.visitor_signature = None;
        ids.push(append(kv, db, keys, copy, server_ms).receipt.claims.id);
    }
    ids
}
