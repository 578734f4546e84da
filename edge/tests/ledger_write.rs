//! The ledger's write path natively (the object's logic over `MemoryKv` + rusqlite): new, replay,
//! many copies of one receipt, KV failing, SQL failing mid-commit, erased ids and subjects,
//! unsigned takeover, dense indexes, and proofs from the database against an independent
//! reference for every size up to 300 (ledger/tests/proofs.rs covers the same sizes over
//! `MemoryHashes`; this covers the SQL stored hashes the object writes).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
#[path = "../../ledger/tests/reference/mod.rs"]
mod reference;

use common::{claims, ring, setup, NOW, SITE};
use kelisim_core::receipt::{Action, SubmitReceipt};
use kelisim_edge::keyring::Keyring;
use kelisim_edge::keys;
use kelisim_edge::kv::{Kv, MemoryKv};
use kelisim_edge::ledger::proofs::LeafRef;
use kelisim_edge::ledger::schema::migrate;
use kelisim_edge::ledger::sql::{blob, int, LedgerDb};
use kelisim_edge::ledger::sqlite::SqliteLedgerDb;
use kelisim_edge::ledger::SiteLog;
use kelisim_ledger::checkpoint::CheckpointVerifier;
use kelisim_ledger::leaf::leaf_hash;
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tree::{ConsistencyProof, InclusionProof};
use kelisim_ledger::Hash;
use pollster::block_on;

fn log<'a>(
    kv: &'a MemoryKv,
    db: &'a SqliteLedgerDb,
    keys: &'a Keyring,
    now_ms: i64,
) -> SiteLog<'a, MemoryKv, SqliteLedgerDb> {
    SiteLog { site: SITE, origin: LogOrigin::new("127.0.0.1:8787", SITE).unwrap(), db, kv, keys, now_ms }
}

struct World {
    kv: MemoryKv,
    db: SqliteLedgerDb,
    keys: Keyring,
    sha: String,
}

fn world() -> World {
    let kv = MemoryKv::default();
    let keys = ring();
    let (sha, _) = setup(&kv, &keys);
    let db = SqliteLedgerDb::new();
    migrate(&db).unwrap();
    World { kv, db, keys, sha }
}

impl World {
    fn at(&self, now_ms: i64) -> SiteLog<'_, MemoryKv, SqliteLedgerDb> {
        log(&self.kv, &self.db, &self.keys, now_ms)
    }
    fn receipt(&self, visitor: Option<u8>, id_seed: u8, minted_ms: i64) -> SubmitReceipt {
        claims(&self.sha, visitor, id_seed, minted_ms, Action::AcceptAll, None)
    }
    fn count(&self, q: &str) -> i64 {
        int(&self.db.exec(q, &[]).unwrap()[0], 0).unwrap()
    }
    fn record(&self, id: &str) -> Option<String> {
        block_on(self.kv.get(&keys::receipt(SITE, id))).unwrap()
    }
    fn receipt_keys(&self) -> usize {
        block_on(self.kv.list(&format!("receipt/{SITE}/"), 10_000, None)).unwrap().keys.len()
    }
}

#[test]
fn a_new_receipt_is_appended_countersigned_with_its_position_and_written_once_to_kv() {
    let w = world();
    let keys_before = w.kv.len();
    let sub = w.receipt(Some(1), 1, NOW - 1000);
    let got = block_on(w.at(NOW).append(sub.clone())).unwrap();
    assert!(!got.replayed);
    assert_eq!(got.index, 0);
    let pos = got.signed.receipt.log.clone().unwrap();
    assert_eq!((pos.index, pos.origin.as_str()), (0, "127.0.0.1:8787/kelisim/services-demo"));
    // The JWS binds the position: its payload is the canonical receipt with `log`.
    assert!(got.signed.receipt.claims == sub.claims);
    assert_eq!(w.kv.len(), keys_before + 1, "one KV write");
    let stored = w.record(&sub.claims.id).unwrap();
    assert_eq!(stored, serde_json::to_string(&got.signed).unwrap());
    let listed = block_on(w.kv.list(&keys::receipt(SITE, &sub.claims.id), 1, None)).unwrap();
    assert_eq!(listed.keys[0].metadata, Some(serde_json::json!({ "index": 0 })));
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf WHERE kv_done = 1"), 1);
    assert_eq!(w.count("SELECT COUNT(*) FROM receipt_row"), 1);
    assert_eq!(w.count("SELECT value FROM meta WHERE key = 'tree_size'"), 1);
}

#[test]
fn a_replay_answers_the_identical_receipt_and_a_different_one_under_the_id_is_409() {
    let w = world();
    let sub = w.receipt(Some(1), 1, NOW - 1000);
    let first = block_on(w.at(NOW).append(sub.clone())).unwrap();
    let again = block_on(w.at(NOW + 5000).append(sub.clone())).unwrap();
    assert!(again.replayed);
    assert_eq!((again.signed.jws.as_str(), again.index), (first.signed.jws.as_str(), 0));
    let mut other = w.receipt(Some(1), 1, NOW - 1000);
    other.claims.action = Action::RejectAll;
    let err = block_on(w.at(NOW).append(other)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "receipt_conflict"));
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf"), 1);
}

#[test]
fn twenty_copies_of_one_receipt_make_one_leaf_and_one_answer() {
    let w = world();
    let sub = w.receipt(None, 3, NOW - 1000);
    let answers: Vec<_> = (0..20).map(|k| block_on(w.at(NOW + k).append(sub.clone())).unwrap()).collect();
    assert!(answers.iter().all(|a| a.signed.jws == answers[0].signed.jws && a.index == 0));
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf"), 1);
    assert_eq!(w.receipt_keys(), 1);
}

#[test]
fn a_failing_kv_put_is_503_then_a_retry_completes_it_with_the_same_jws_and_index() {
    let w = world();
    let sub = w.receipt(Some(2), 2, NOW - 1000);
    w.kv.puts_before_failure.set(Some(0));
    let err = block_on(w.at(NOW).append(sub.clone())).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (503, "storage_unavailable"));
    assert!(w.record(&sub.claims.id).is_none());
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf WHERE kv_done = 0"), 1, "the leaf stays, unconfirmed");
    w.kv.puts_before_failure.set(None);
    let retried = block_on(w.at(NOW + 3000).append(sub.clone())).unwrap();
    assert_eq!(retried.index, 0);
    assert_eq!(w.record(&sub.claims.id).unwrap(), serde_json::to_string(&retried.signed).unwrap());
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf WHERE kv_done = 1"), 1);
    // The answer of the retry is the receipt the leaf holds (its JWS is in the entry).
    let entry = blob(&w.db.exec("SELECT entry FROM leaf WHERE idx = 0", &[]).unwrap()[0], 0).unwrap();
    assert!(String::from_utf8(entry).unwrap().contains(&retried.signed.jws));
}

#[test]
fn the_sweep_writes_a_leaf_nobody_retried() {
    let w = world();
    let sub = w.receipt(None, 4, NOW - 1000);
    w.kv.puts_before_failure.set(Some(0));
    assert!(block_on(w.at(NOW).append(sub.clone())).is_err());
    w.kv.puts_before_failure.set(None);
    let outcome = block_on(w.at(NOW + 10_000).on_alarm()).unwrap();
    assert_eq!((outcome.checkpoint, outcome.swept, outcome.more), (Some(1), 1, false));
    let stored: kelisim_core::receipt::SignedReceipt =
        serde_json::from_str(&w.record(&sub.claims.id).unwrap()).unwrap();
    assert_eq!(stored.receipt.log.unwrap().index, 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf WHERE kv_done = 0"), 0);
}

#[test]
fn a_statement_failing_mid_commit_writes_nothing_and_the_next_append_gets_the_same_index() {
    let w = world();
    let sub = w.receipt(None, 5, NOW - 1000);
    // The reads before the commit take a few statements; fail somewhere inside the block.
    for allowed in [6, 8, 10, 12] {
        w.db.statements_before_failure.set(Some(allowed));
        let err = block_on(w.at(NOW).append(sub.clone())).unwrap_err();
        assert_eq!(err.status, 503, "after {allowed} statements");
        w.db.statements_before_failure.set(None);
        for table in ["leaf", "stored_hash", "receipt_row", "decision_row", "day_total", "day_count"] {
            assert_eq!(w.count(&format!("SELECT COUNT(*) FROM {table}")), 0, "{table} after {allowed}");
        }
        assert_eq!(w.count("SELECT value FROM meta WHERE key = 'tree_size'"), 0);
        assert!(w.record(&sub.claims.id).is_none());
    }
    assert_eq!(block_on(w.at(NOW).append(sub)).unwrap().index, 0);
}

#[test]
fn indexes_stay_dense_and_server_time_never_goes_back_across_failures() {
    let w = world();
    for (expected, n) in (0..30u8).enumerate() {
        let sub = w.receipt(None, 10 + n, NOW - 1000 + i64::from(n));
        if n % 4 == 1 {
            w.db.statements_before_failure.set(Some(9));
            assert!(block_on(w.at(NOW).append(sub.clone())).is_err());
            w.db.statements_before_failure.set(None);
        }
        if n % 5 == 2 {
            w.kv.puts_before_failure.set(Some(0));
            assert!(block_on(w.at(NOW).append(sub.clone())).is_err());
            w.kv.puts_before_failure.set(None);
        }
        // A clock that jumps back: the log's server time does not.
        let now = if n % 3 == 0 { NOW - 60_000 } else { NOW + i64::from(n) };
        let got = block_on(w.at(now).append(sub)).unwrap();
        assert_eq!(got.index, expected as u64);
    }
    let rows = w.db.exec("SELECT idx, server_ms FROM leaf ORDER BY idx", &[]).unwrap();
    let idx: Vec<i64> = rows.iter().map(|r| int(r, 0).unwrap()).collect();
    assert_eq!(idx, (0..30).collect::<Vec<_>>());
    let times: Vec<i64> = rows.iter().map(|r| int(r, 1).unwrap()).collect();
    assert!(times.windows(2).all(|p| p[0] <= p[1]), "{times:?}");
    assert_eq!(w.receipt_keys(), 30);
}

#[test]
fn an_erased_id_is_410_and_an_unsigned_takeover_of_a_signed_subject_is_409() {
    let w = world();
    let signed = w.receipt(Some(9), 1, NOW - 2000);
    block_on(w.at(NOW).append(signed.clone())).unwrap();
    let mut unsigned = w.receipt(None, 2, NOW - 1000);
    unsigned.claims.subject = signed.claims.subject.clone();
    // The worker asks first (before charging budgets), and the append refuses the same way.
    let err = w.at(NOW).precheck(&unsigned).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "subject_requires_signature"));
    let err = block_on(w.at(NOW).append(unsigned)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "subject_requires_signature"));
    // A stored receipt sent again, and a new receipt of another subject, pass the precheck.
    assert_eq!(w.at(NOW).precheck(&signed), Ok(()));
    assert_eq!(w.at(NOW).precheck(&w.receipt(None, 4, NOW - 1000)), Ok(()));

    // An erased id (as the erasure leaves it): a replay is refused.
    let gone = w.receipt(None, 3, NOW - 1000);
    let sha = kelisim_core::canonical::sha256_hex(gone.claims.id.as_bytes());
    let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&sha[2 * i..2 * i + 2], 16).unwrap()).collect();
    w.db.exec("INSERT INTO erased_id (id_sha256, idx, erased_by) VALUES (?, 7, 8)", &[bytes.into()]).unwrap();
    assert_eq!(w.at(NOW).precheck(&gone).unwrap_err().code.as_str(), "receipt_erased");
    let err = block_on(w.at(NOW).append(gone)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (410, "receipt_erased"));
    assert_eq!(w.count("SELECT COUNT(*) FROM leaf"), 1);
}

#[test]
fn checkpoints_verify_and_are_issued_only_when_the_log_grew() {
    let w = world();
    let l = w.at(NOW);
    assert_eq!(l.issue_checkpoint().unwrap(), None, "an empty log has none");
    assert_eq!(l.checkpoint().unwrap_err().code.as_str(), "checkpoint_not_found");
    for n in 0..3u8 {
        block_on(w.at(NOW).append(w.receipt(None, 40 + n, NOW - 1000))).unwrap();
    }
    assert_eq!(l.issue_checkpoint().unwrap(), Some(3));
    assert_eq!(l.issue_checkpoint().unwrap(), None, "nothing new");
    let stored = l.checkpoint().unwrap();
    let verifier =
        CheckpointVerifier::new(LogOrigin::new("127.0.0.1:8787", SITE).unwrap(), &ed25519_public(&w.keys)).unwrap();
    assert_eq!(verifier.verifier_key(), l.verifier().verifier_key());
    let checkpoint = verifier.verify(&stored.note).unwrap();
    assert_eq!((checkpoint.size(), checkpoint.root()), (3, stored.root));
}

fn ed25519_public(keys: &Keyring) -> [u8; 32] {
    let x = keys.current().public_jwk().x;
    kelisim_core::sign::b64url_decode(&x).unwrap().try_into().unwrap()
}

/// Every size up to 300: the root and the proofs the object serves (from its SQL stored hashes)
/// equal an RFC 6962 reference computed in the test from the entry bytes, and verify.
#[test]
fn proofs_from_the_database_match_the_reference_at_every_size_up_to_300() {
    const MAX: usize = 300;
    let w = world();
    let mut reference = reference::Reference::new(vec![]);
    let mut roots = vec![kelisim_ledger::EMPTY_HASH];
    for i in 0..MAX {
        let mut sub = w.receipt(None, 0, NOW - 1000);
        sub.claims.id = kelisim_core::id::ulid_from_parts((NOW - 1000) as u64, {
            let mut r = [0u8; 10];
            r[..8].copy_from_slice(&(i as u64).to_be_bytes());
            r
        });
        let l = w.at(NOW + i as i64);
        let got = block_on(l.append(sub)).unwrap();
        assert_eq!(got.index, i as u64);
        let entry =
            blob(&w.db.exec("SELECT entry FROM leaf WHERE idx = ?", &[(i as i64).into()]).unwrap()[0], 0).unwrap();
        reference.push(reference::leaf(&entry));
        assert_eq!(l.issue_checkpoint().unwrap(), Some(i as u64 + 1));
        let n = i + 1;
        let root = l.checkpoint().unwrap().root;
        assert_eq!(root, Hash(reference.mth(0, n)), "root of size {n}");
        roots.push(root);
        let sample: Vec<usize> =
            if n <= 40 { (0..n).collect() } else { (0..n).step_by(n / 13).chain([n - 1]).collect() };
        for &m in &sample {
            let proof = l.inclusion(&LeafRef::Index(m as u64), None).unwrap();
            assert_eq!((proof.index, proof.tree_size), (m as u64, n as u64));
            let expected: Vec<Hash> = reference.path(m, 0, n).into_iter().map(Hash).collect();
            assert_eq!(proof.hashes, expected, "path of {m} in {n}");
            let leaf = proof.leaf_hash;
            assert_eq!(leaf, Hash(reference.mth(m, m + 1)));
            InclusionProof { index: m as u64, tree_size: n as u64, hashes: expected }.verify(leaf, root).unwrap();
        }
        for &m in sample.iter().chain([&n]) {
            let proof = l.consistency(m as u64, n as u64).unwrap();
            let expected: Vec<Hash> =
                if m == 0 || m == n { vec![] } else { reference.proof(m, n).into_iter().map(Hash).collect() };
            assert_eq!(proof.hashes, expected, "proof {m}→{n}");
            ConsistencyProof { old_size: m as u64, new_size: n as u64, hashes: expected }
                .verify(roots[m], root)
                .unwrap();
        }
    }
    // By id, and sizes past the latest checkpoint are refused.
    let l = w.at(NOW);
    let id = kelisim_core::id::ulid_from_parts((NOW - 1000) as u64, [0; 10]);
    assert_eq!(l.inclusion(&LeafRef::Id(id), Some(1)).unwrap().index, 0);
    assert_eq!(l.inclusion(&LeafRef::Index(0), Some(301)).unwrap_err().code.as_str(), "size_not_checkpointed");
    assert_eq!(l.inclusion(&LeafRef::Index(300), None).unwrap_err().code.as_str(), "leaf_not_found");
    assert_eq!(l.consistency(5, 4).unwrap_err().code.as_str(), "invalid_query");
    let _ = leaf_hash(b"");
}
