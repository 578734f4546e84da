//! Erasure is complete and safe to retry: receipts are found through every index, nothing of the
//! subject is left but the tombstone and one erasure record, and the tombstone comes first.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{claims, ring, seed, setup, store, traces, Request, DASH_SUBJECT, NOW, SITE};
use kelisim_core::receipt::{Action, Receipt};
use kelisim_edge::auth::Scope;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::keys;
use kelisim_edge::kv::{Kv, MemoryKv, OpBudget};
use kelisim_edge::service::erasure::ErasureOutcome;
use kelisim_edge::service::{csv_row, SignedErasure};
use kelisim_edge::tombstone::{self, SubjectTombstone};
use pollster::block_on;

/// Calls erasure until it is done, each call a fresh request; returns the record and the calls.
fn erase_all(kv: &MemoryKv, keys: &Keyring, token: &str, subject: &str, at: i64) -> (SignedErasure, i64) {
    for n in 0..50 {
        let req = Request::new(kv, keys, at + n);
        match block_on(req.service(Scope::Erase, token).erase_subject(SITE, subject, "admin", [n as u8; 10])).unwrap() {
            ErasureOutcome::Done(record) => return (record, n + 1),
            ErasureOutcome::Continuing(_) => {}
        }
    }
    panic!("the erasure did not end");
}

#[test]
fn a_receipt_missing_from_either_index_is_erased_and_no_trace_is_left() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, token) = setup(&kv, &keys);
    let template = claims(&sha, None, 1, NOW - 1_000, Action::AcceptAll, None);
    let mut ids = seed(&kv, &keys, &template, DASH_SUBJECT, NOW, 3);
    let keep = seed(&kv, &keys, &template, "keepkeepkeepkeepkeepkeepkeepkeepkeepkeepkee", NOW, 2);
    // One receipt whose subject-index write failed, one whose time-index write failed.
    for (n, (time, subject)) in [(true, false), (false, true)].into_iter().enumerate() {
        let mut submit = claims(&sha, None, 10 + n as u8, NOW - 1_000, Action::RejectAll, None);
        submit.claims.subject = DASH_SUBJECT.into();
        let signed = Receipt::accept(submit, NOW + 10 + n as i64).unwrap().countersign(keys.current()).unwrap();
        store(&kv, &signed, time, subject);
        ids.push(signed.receipt.claims.id.clone());
    }
    let (record, _) = erase_all(&kv, &keys, &token, DASH_SUBJECT, NOW + 1_000);
    let mut erased = record.erasure.receipt_ids.clone();
    erased.sort();
    ids.sort();
    assert_eq!(erased, ids);
    assert_eq!(traces(&kv, DASH_SUBJECT), Vec::<String>::new(), "no key, value or metadata names the subject");

    // Listings, statistics, exports and subject views now read the site's ledger tables, which
    // the erasure empties in the object (rows::delete): tests/ledger_queries.rs
    // (an_erasure_takes_its_rows_out_of_every_read_…) pins what they show after it.
    for id in &keep {
        assert!(block_on(kv.get(&keys::receipt(SITE, id))).unwrap().is_some(), "another subject's record stays");
    }

    // What stays: the tombstone (for the receipt path) and the one record.
    let stone: SubjectTombstone =
        serde_json::from_str(&block_on(kv.get(&tombstone::key(SITE, DASH_SUBJECT))).unwrap().unwrap()).unwrap();
    assert_eq!(
        stone,
        SubjectTombstone { erasure_id: record.erasure.id.clone(), erased_at_ms: NOW + 1_000, subject_signed: false }
    );
    let listed =
        block_on(Request::new(&kv, &keys, NOW + 6_000).service(Scope::Erase, &token).erasures(SITE, None)).unwrap();
    assert_eq!(listed.erasures, vec![record]);
    assert!(listed.cursor.is_none());
}

#[test]
fn the_tombstone_is_written_before_anything_is_deleted_and_a_failed_start_resumes() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, token) = setup(&kv, &keys);
    let template = claims(&sha, Some(3), 1, NOW - 1_000, Action::AcceptAll, None);
    let subject = template.claims.subject.clone();
    seed(&kv, &keys, &template, &subject, NOW, 5);
    let stored = kv.len();

    // The tombstone write fails: nothing is deleted.
    kv.puts_before_failure.set(Some(0));
    let req = Request::new(&kv, &keys, NOW + 1_000);
    let err = block_on(req.service(Scope::Erase, &token).erase_subject(SITE, &subject, "admin", [1; 10])).unwrap_err();
    assert_eq!(err.status, 503);
    assert_eq!(kv.len(), stored);

    // The tombstone is written, the progress record is not: still nothing deleted.
    kv.puts_before_failure.set(Some(1));
    let req = Request::new(&kv, &keys, NOW + 2_000);
    assert_eq!(
        block_on(req.service(Scope::Erase, &token).erase_subject(SITE, &subject, "admin", [2; 10])).unwrap_err().status,
        503
    );
    assert_eq!(kv.len(), stored + 1, "only the tombstone was added");
    let stone: SubjectTombstone =
        serde_json::from_str(&block_on(kv.get(&tombstone::key(SITE, &subject))).unwrap().unwrap()).unwrap();
    assert!(stone.subject_signed);
    assert_eq!(stone.erased_at_ms, NOW + 2_000);
    kv.puts_before_failure.set(None);

    // The retry resumes that erasure: same id, same start.
    let (record, _) = erase_all(&kv, &keys, &token, &subject, NOW + 3_000);
    assert_eq!(record.erasure.id, stone.erasure_id);
    assert_eq!(record.erasure.time, kelisim_core::time::format_millis(NOW + 2_000));
    assert_eq!(record.erasure.receipt_ids.len(), 5);
}

#[test]
fn retries_through_failures_at_every_point_leave_one_erasure_record() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, token) = setup(&kv, &keys);
    let template = claims(&sha, Some(4), 1, NOW - 1_000, Action::AcceptAll, None);
    let subject = template.claims.subject.clone();
    let ids = seed(&kv, &keys, &template, &subject, NOW, 700);
    // Requests cut short after ever more KV operations (the runtime failing mid-way), then whole.
    let mut done = None;
    for (n, cut) in [3, 7, 40, 150, 400, 2, 620, 900, 5, 333].into_iter().chain([usize::MAX; 20]).enumerate() {
        let req = Request::new(&kv, &keys, NOW + 1_000 + n as i64);
        let svc = req.service(Scope::Erase, &token);
        let short = OpBudget::new(&req.budget, cut);
        let cut_svc =
            kelisim_edge::service::Service { kv: &short, keys: svc.keys, cache: svc.cache, now_ms: svc.now_ms };
        match block_on(cut_svc.erase_subject(SITE, &subject, "admin", [n as u8; 10])) {
            Ok(ErasureOutcome::Done(record)) => {
                done = Some(record);
                break;
            }
            Ok(ErasureOutcome::Continuing(_)) => {}
            Err(e) => assert_eq!(e.status, 503),
        }
    }
    let record = done.expect("the erasure ends");
    let mut erased = record.erasure.receipt_ids.clone();
    erased.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(erased, expected, "every receipt named once, whatever was retried");
    assert_eq!(block_on(kv.list(&keys::erasure_prefix(SITE), 1_000, None)).unwrap().keys.len(), 1);
    assert_eq!(traces(&kv, &subject), Vec::<String>::new());
    // Later calls answer the same record; a subject never held is 404.
    let (again, calls) = erase_all(&kv, &keys, &token, &subject, NOW + 9_000);
    assert_eq!((again, calls), (record, 1));
    let req = Request::new(&kv, &keys, NOW + 9_500);
    let err =
        block_on(req.service(Scope::Erase, &token).erase_subject(SITE, &"n".repeat(43), "admin", [0; 10])).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "subject_not_found"));
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
