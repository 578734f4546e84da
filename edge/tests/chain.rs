//! A subject's state follows its `prev` chain, not the order receipts reached the edge.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::ledger::{append, ledger_db, site_log};
use common::{claims, ring, setup, NOW, SITE};
use kelisim_core::receipt::{Action, SubmitReceipt};
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::{DecidedBy, Service};
use pollster::block_on;

/// Checks `submit` as the worker does at `at`, then appends it to the site's ledger.
fn accept(kv: &MemoryKv, db: &common::ledger::SqliteDb, keys: &Keyring, submit: &SubmitReceipt, at: i64) {
    let svc = Service { kv, keys, cache: &IsolateCache::default(), now_ms: at };
    block_on(svc.check_receipt(SITE, submit.clone())).unwrap();
    append(kv, db, keys, submit.clone(), at);
}

#[test]
fn a_withdrawal_that_arrives_before_the_acceptance_it_follows_is_the_state() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let (sha, _) = setup(&kv, &keys);
    let accept_all = claims(&sha, Some(1), 1, NOW - 5_000, Action::AcceptAll, None);
    let withdraw = claims(&sha, Some(1), 2, NOW - 4_000, Action::Withdraw, Some(accept_all.claims.hash().unwrap()));
    // Reversed arrival: the withdrawal first, the acceptance a second later (a later server time).
    for (submit, at) in [(&withdraw, NOW), (&accept_all, NOW + 1_000)] {
        accept(&kv, &db, &keys, submit, at);
    }
    let view = site_log(SITE, &db, &kv, &keys, NOW + 2_000).subject_view(&accept_all.claims.subject).unwrap();
    assert_eq!(view.receipts[0].id, accept_all.claims.id, "the history lists by arrival, newest first");
    let state = view.state.unwrap();
    assert_eq!((state.action.as_str(), state.receipt_id.as_str()), ("withdraw", withdraw.claims.id.as_str()));
    assert_eq!(state.decided_by, DecidedBy::Chain);
    assert_eq!(state.decisions, withdraw.claims.decisions, "the decisions of the chain's newest receipt");
    assert!(!view.fork && view.forks.is_empty());
    assert_eq!(view.receipts[1].prev.as_deref(), Some(accept_all.claims.hash().unwrap().as_str()));
}

#[test]
fn a_fork_is_kept_and_flagged() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let (sha, _) = setup(&kv, &keys);
    let first = claims(&sha, Some(2), 1, NOW - 5_000, Action::RejectAll, None);
    let hash = first.claims.hash().unwrap();
    let link = Some(hash.clone());
    // Two tabs answer from the same state: both name the first receipt.
    let tab_a = claims(&sha, Some(2), 2, NOW - 4_000, Action::AcceptAll, link.clone());
    let tab_b = claims(&sha, Some(2), 3, NOW - 3_000, Action::Withdraw, link.clone());
    for (n, submit) in [&tab_b, &first, &tab_a].into_iter().enumerate() {
        accept(&kv, &db, &keys, submit, NOW + n as i64 * 1_000);
    }
    let view = site_log(SITE, &db, &kv, &keys, NOW + 9_000).subject_view(&first.claims.subject).unwrap();
    assert_eq!(view.receipts.len(), 3, "both branches are kept");
    assert!(view.fork);
    assert_eq!(view.forks.len(), 1);
    assert_eq!(view.forks[0].prev, hash);
    let mut branches = view.forks[0].receipt_ids.clone();
    branches.sort();
    let mut expected = vec![tab_a.claims.id.clone(), tab_b.claims.id.clone()];
    expected.sort();
    assert_eq!(branches, expected);
    let state = view.state.unwrap();
    assert_eq!(state.decided_by, DecidedBy::Arrival, "the chain alone cannot choose between two tips");
    assert_eq!(state.receipt_id, tab_a.claims.id, "of the tips, the last to arrive");
}

#[test]
fn two_receipts_in_the_same_millisecond_are_ordered_by_their_log_index() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let (sha, _) = setup(&kv, &keys);
    let first = claims(&sha, Some(3), 1, NOW - 5_000, Action::RejectAll, None);
    let second = claims(&sha, Some(3), 2, NOW - 4_000, Action::RejectAll, None);
    accept(&kv, &db, &keys, &first, NOW);
    accept(&kv, &db, &keys, &second, NOW);
    let view = site_log(SITE, &db, &kv, &keys, NOW + 1).subject_view(&first.claims.subject).unwrap();
    assert_eq!(view.receipts[0].id, second.claims.id, "the later append is the newer arrival");
    assert_eq!(view.state.unwrap().receipt_id, second.claims.id);
}
