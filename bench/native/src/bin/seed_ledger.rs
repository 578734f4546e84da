//! Seeds a site's ledger object's SQLite file (wrangler dev's persisted Durable Object storage,
//! `<persist>/v3/do/kelisim-edge-SiteLedger/<id>.sqlite`) with receipts, while the edge is
//! stopped, for the scale bench (bench/lib/scale.mjs): through the API, 100k receipts would take
//! minutes. Each receipt is the template (one receipt the edge accepted) under a new id, subject
//! and time, one a second back from the oldest already held, written as the object's append
//! writes its rows (`ledger::rows::insert`, a `leaf` with the entry bytes, the tree size). The
//! copies' entry JWS is the template's (the bench reads pages and counts, it does not verify).
//!
//! Usage: seed_ledger <sqlite file> <template SignedReceipt JSON file> <count>
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::SignedReceipt;
use kelisim_core::time::{format_millis, parse_millis};
use kelisim_edge::ledger::rows;
use kelisim_edge::ledger::sql::{SqlValue, Write};
use kelisim_ledger::leaf::{leaf_hash, ReceiptEntry};
use rusqlite::types::Value;
use rusqlite::Connection;

fn to_sql(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(f) => Value::Real(*f),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, template, count] = args.as_slice() else {
        eprintln!("usage: seed_ledger <sqlite file> <template SignedReceipt JSON file> <count>");
        std::process::exit(2);
    };
    let count: i64 = count.parse().expect("count");
    let template: SignedReceipt = serde_json::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    let mut conn = Connection::open(file).unwrap();
    let size: i64 = conn.query_row("SELECT value FROM meta WHERE key = 'tree_size'", [], |r| r.get(0)).unwrap();
    let template_ms = parse_millis("server_time", &template.receipt.server_time).unwrap();
    let oldest: i64 =
        conn.query_row("SELECT COALESCE(MIN(server_ms), ?) FROM receipt_row", [template_ms], |r| r.get(0)).unwrap();
    let tx = conn.transaction().unwrap();
    for n in 0..count {
        let idx = size + n;
        let ms = oldest - (n + 1) * 1000;
        let mut signed = template.clone();
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(idx as u64).to_be_bytes());
        signed.receipt.claims.id = ulid_from_parts(ms as u64, random);
        signed.receipt.claims.subject = format!("{:0>43}", idx % 100_000);
        signed.receipt.server_time = format_millis(ms);
        let entry = ReceiptEntry::new(idx as u64, &signed.receipt.claims.id, &signed.jws).unwrap().to_bytes();
        let mut writes = vec![Write::new(
            "INSERT INTO leaf (idx, kind, receipt_id, entry, leaf_hash, server_ms, kv_done) VALUES (?, 'receipt', ?, ?, ?, ?, 1)",
            vec![
                idx.into(),
                signed.receipt.claims.id.as_str().into(),
                SqlValue::Blob(entry.clone()),
                SqlValue::Blob(leaf_hash(&entry).0.to_vec()),
                ms.into(),
            ],
        )];
        writes.extend(rows::insert(&signed, idx, ms).unwrap());
        for w in writes {
            let mut stmt = tx.prepare_cached(&w.sql).unwrap();
            stmt.execute(rusqlite::params_from_iter(w.params.iter().map(to_sql))).unwrap();
        }
    }
    tx.execute("UPDATE meta SET value = ? WHERE key = 'tree_size'", [size + count]).unwrap();
    tx.commit().unwrap();
    println!("{}", size + count);
}
