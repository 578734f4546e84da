//! Erasure in the log (natively over `MemoryKv` + rusqlite, the object's logic): the subject's
//! receipts, query rows and KV records go, each leaf hash stays and every proof still verifies,
//! an erasure entry names what went, an erased receipt posted again stays out, and the erasure
//! is resumable and safe to retry (one record, however many requests and failures).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{claims, ledger_db, ring, setup, traces, SubmitExt, DASH_SUBJECT, NOW, SITE};
use kelisim_core::receipt::{Action, Receipt, SubmitReceipt};
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::keys;
use kelisim_edge::kv::{Kv, MemoryKv, OpBudget, MAX_KV_OPS_PER_REQUEST};
use kelisim_edge::ledger::erase::{Erased, ERASED_PER_REQUEST};
use kelisim_edge::ledger::proofs::LeafRef;
use kelisim_edge::ledger::sql::{int, LedgerDb};
use kelisim_edge::ledger::sqlite::SqliteLedgerDb;
use kelisim_edge::ledger::SiteLog;
use kelisim_edge::service::{csv_row, Service, SignedErasure};
use kelisim_ledger::erasure::LeafStatus;
use kelisim_ledger::leaf::{leaf_hash, Entry};
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tree::InclusionProof;
use pollster::block_on;

fn log<'a, K: Kv>(kv: &'a K, db: &'a SqliteLedgerDb, keys: &'a Keyring, now_ms: i64) -> SiteLog<'a, K, SqliteLedgerDb> {
    SiteLog { site: SITE, origin: LogOrigin::new("127.0.0.1:8787", SITE).unwrap(), db, kv, keys, now_ms }
}

/// Calls erasure until it is done, each call a fresh request; returns the record and the calls.
fn erase_all(kv: &MemoryKv, keys: &Keyring, subject: &str, at: i64) -> (SignedErasure, i64) {
    let db = ledger_db();
    for n in 0..50 {
        // Each request under the production limit of KV operations.
        let budget = OpBudget::new(kv, MAX_KV_OPS_PER_REQUEST);
        match block_on(log(&budget, &db, keys, at + n).erase_subject(subject, "admin", [n as u8; 10])) {
            Ok(Erased::Done(record)) => return (record, n + 1),
            Ok(Erased::Continuing(status)) => assert!(!status.done),
            Err(e) => assert_eq!(e.status, 503, "{e:?}"),
        }
    }
    panic!("the erasure did not end");
}

fn post(kv: &MemoryKv, keys: &Keyring, at: i64, submit: &SubmitReceipt) -> u64 {
    let svc = Service { kv, keys, cache: &IsolateCache::default(), now_ms: at };
    block_on(svc.submit_parsed(SITE, submit.clone())).unwrap().signed.receipt.log.unwrap().index
}

fn count(q: &str) -> i64 {
    int(&ledger_db().exec(q, &[]).unwrap()[0], 0).unwrap()
}

#[test]
fn erasure_removes_the_subject_keeps_every_proof_and_names_what_went() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, _) = setup(&kv, &keys);
    // Unsigned receipts of DASH_SUBJECT, and another visitor's between them.
    let mine: Vec<SubmitReceipt> =
        (0..3u8).map(|n| claims(&sha, None, 10 + n, NOW - 5_000 + i64::from(n), Action::RejectAll, None)).collect();
    let other = claims(&sha, Some(9), 20, NOW - 4_000, Action::AcceptAll, None);
    let mut indexes = Vec::new();
    for (n, s) in mine.iter().enumerate() {
        indexes.push(post(&kv, &keys, NOW + n as i64, s));
    }
    let kept = post(&kv, &keys, NOW + 10, &other);

    let (record, calls) = erase_all(&kv, &keys, DASH_SUBJECT, NOW + 1_000);
    assert_eq!(calls, 1);
    let mut ids: Vec<String> = mine.iter().map(|s| s.claims.id.clone()).collect();
    ids.sort();
    assert_eq!(record.erasure.receipt_ids, ids);
    assert_eq!(record.erasure.subject_sha256, kelisim_core::canonical::sha256_hex(DASH_SUBJECT.as_bytes()));
    // Nothing of the subject is left in KV or in the query tables; the other visitor's receipt stays.
    assert_eq!(traces(&kv, DASH_SUBJECT), Vec::<String>::new());
    for id in &ids {
        assert!(block_on(kv.get(&keys::receipt(SITE, id))).unwrap().is_none());
    }
    assert!(block_on(kv.get(&keys::receipt(SITE, &other.claims.id))).unwrap().is_some());
    assert_eq!(count("SELECT COUNT(*) FROM receipt_row"), 1);
    assert_eq!(count("SELECT SUM(n) FROM day_total"), 1);
    assert_eq!(count("SELECT COUNT(*) FROM leaf WHERE entry IS NULL"), 3);
    assert_eq!(count("SELECT COUNT(*) FROM kv_delete"), 0);

    // The erasure entry is in the log and names exactly the erased indexes.
    let db = ledger_db();
    let l = log(&kv, &db, &keys, NOW + 2_000);
    let size = l.tree_size().unwrap();
    assert_eq!(size, 5);
    let bytes =
        kelisim_edge::ledger::sql::blob(&db.exec("SELECT entry FROM leaf WHERE idx = 4", &[]).unwrap()[0], 0).unwrap();
    let Entry::Erasure(entry) = Entry::parse_at(4, &bytes).unwrap() else { panic!("not an erasure entry") };
    assert_eq!(entry.erased(), indexes.as_slice());
    assert_eq!(entry.id(), record.erasure.id);

    // Every proof still verifies against a new checkpoint; an erased leaf's says which erasure.
    assert_eq!(l.issue_checkpoint().unwrap(), Some(5));
    let root = l.checkpoint().unwrap().root;
    for i in 0..size {
        let proof = l.inclusion(&LeafRef::Index(i), None).unwrap();
        let leaf = proof.leaf_hash;
        InclusionProof { index: i, tree_size: size, hashes: proof.hashes.clone() }.verify(leaf, root).unwrap();
        // The whole answer passes the check the CLI makes of it.
        let status = proof.verify(i, size, leaf, root).unwrap();
        assert_eq!(matches!(status, LeafStatus::Erased { erasure_index: 4, .. }), indexes.contains(&i), "{status:?}");
        match &proof.erased {
            Some(erased) => {
                assert!(indexes.contains(&i));
                assert_eq!(erased.erasure_entry.as_bytes(), bytes.as_slice());
                let e = &erased.erasure_proof;
                InclusionProof { index: e.index, tree_size: size, hashes: e.hashes.clone() }
                    .verify(leaf_hash(erased.erasure_entry.as_bytes()), root)
                    .unwrap();
                assert!(erased.tombstone.contains(&format!("\"erased_by\":4,\"index\":{i}")));
            }
            None => assert!(!indexes.contains(&i)),
        }
    }
    // By id too, after the id is gone from the log's rows.
    assert!(l.inclusion(&LeafRef::Id(mine[0].claims.id.clone()), None).unwrap().erased.is_some());
    assert_eq!(kept, 3);
    // The entry bundle serves tombstones in place of the erased entries.
    let tile = kelisim_ledger::tiles::TilePath::parse("tile/entries/000.p/5").unwrap();
    let bundle = l.tile(&tile).unwrap();
    let served = kelisim_ledger::tiles::parse_entry_bundle(&tile, &bundle).unwrap();
    for (i, raw) in served.iter().enumerate() {
        let entry = kelisim_ledger::erasure::ServedEntry::parse_at(i as u64, raw).unwrap();
        let proof = l.inclusion(&LeafRef::Index(i as u64), None).unwrap();
        assert_eq!(entry.leaf_hash(), proof.leaf_hash);
    }
}

#[test]
fn an_erased_receipt_posted_again_stays_out_and_a_retry_answers_the_same_record() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, _) = setup(&kv, &keys);
    let signed = claims(&sha, Some(4), 1, NOW - 5_000, Action::AcceptAll, None);
    post(&kv, &keys, NOW, &signed);
    let (record, _) = erase_all(&kv, &keys, &signed.claims.subject, NOW + 1_000);
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 2_000 };
    let err = block_on(svc.submit_parsed(SITE, signed.clone())).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (410, "receipt_erased"));
    // An unsigned receipt cannot take the signed subject over.
    let mut unsigned = claims(&sha, None, 2, NOW + 1_500, Action::AcceptAll, None);
    unsigned.claims.subject = signed.claims.subject.clone();
    let err = block_on(svc.submit_parsed(SITE, unsigned)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "subject_requires_signature"));
    // A retry of the finished erasure answers the same record; another subject is 404.
    let (again, calls) = erase_all(&kv, &keys, &signed.claims.subject, NOW + 3_000);
    assert_eq!((again, calls), (record, 1));
    let db = ledger_db();
    let err = block_on(log(&kv, &db, &keys, NOW).erase_subject(&"u".repeat(43), "admin", [0; 10])).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "subject_not_found"));
    assert_eq!(block_on(kv.list(&keys::erasure_prefix(SITE), 100, None)).unwrap().keys.len(), 1);
}

#[test]
fn a_large_erasure_with_kv_failing_resumes_to_one_record() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, _) = setup(&kv, &keys);
    let total = ERASED_PER_REQUEST + 40;
    let template = claims(&sha, None, 0, NOW - 10_000, Action::RejectAll, None);
    let mut ids = Vec::new();
    for n in 0..total {
        let mut s = template.clone();
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(n as u64).to_be_bytes());
        s.claims.id = kelisim_core::id::ulid_from_parts((NOW - 10_000) as u64, random);
        // Appended straight to the log (the checks would ask the visitor to mint each one).
        let db = ledger_db();
        block_on(log(&kv, &db, &keys, NOW + n as i64).append(s.clone())).unwrap();
        ids.push(s.claims.id);
    }
    let db = ledger_db();
    // KV fails part-way through the first request's deletes.
    kv.failing.set(true);
    let first = block_on(log(&kv, &db, &keys, NOW + 5_000).erase_subject(DASH_SUBJECT, "admin", [1; 10]));
    assert!(matches!(first, Ok(Erased::Continuing(_))), "{first:?}");
    kv.failing.set(false);
    let (record, calls) = erase_all(&kv, &keys, DASH_SUBJECT, NOW + 6_000);
    assert!(calls >= 2, "{calls}");
    ids.sort();
    assert_eq!(record.erasure.receipt_ids, ids);
    assert_eq!(traces(&kv, DASH_SUBJECT), Vec::<String>::new());
    assert_eq!(
        count("SELECT COUNT(*) FROM leaf WHERE kind = 'erasure'"),
        2,
        "two entries (≤ one request's deletes each)"
    );
    assert_eq!(count("SELECT COUNT(*) FROM receipt_row"), 0);
    assert_eq!(block_on(kv.list(&keys::erasure_prefix(SITE), 100, None)).unwrap().keys.len(), 1);
}

#[test]
fn a_subject_starting_with_a_dash_round_trips_through_csv() {
    let keys = ring();
    let submit = claims(&"0".repeat(64), None, 1, NOW - 1_000, Action::AcceptAll, None);
    assert_eq!(submit.claims.subject, DASH_SUBJECT);
    let signed = Receipt::accept(submit, NOW).unwrap().countersign(keys.current()).unwrap();
    let row = csv_row(&signed);
    let columns: Vec<&str> = row.trim_end().split(',').collect();
    assert_eq!(columns[3], DASH_SUBJECT, "the identifier column is not altered");
    assert_eq!(columns[0], signed.receipt.claims.id);
}
