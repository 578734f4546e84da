//! A subject's state follows its `prev` chain, not the order receipts reached the edge.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use common::SubmitExt;

use common::{body, claims, ring, setup, NOW, SITE};
use kelisim_core::receipt::Action;
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::{DecidedBy, Service};
use pollster::block_on;

#[test]
#[ignore = "reads the KV time/subject index the receipt path no longer writes: ledger-queries (H2) moves this read to the ledger's tables"]
fn a_withdrawal_that_arrives_before_the_acceptance_it_follows_is_the_state() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, _) = setup(&kv, &keys);
    let accept = claims(&sha, Some(1), 1, NOW - 5_000, Action::AcceptAll, None);
    let withdraw = claims(&sha, Some(1), 2, NOW - 4_000, Action::Withdraw, Some(accept.claims.hash().unwrap()));
    // Reversed arrival: the withdrawal first, the acceptance a second later (a later server time).
    for (submit, at) in [(&withdraw, NOW), (&accept, NOW + 1_000)] {
        let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: at };
        block_on(svc.submit_receipt(SITE, &body(submit))).unwrap();
    }
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 2_000 };
    let view = block_on(svc.subject(SITE, &accept.claims.subject)).unwrap();
    assert_eq!(view.receipts[0].id, accept.claims.id, "the index lists by arrival, newest first");
    let state = view.state.unwrap();
    assert_eq!((state.action.as_str(), state.receipt_id.as_str()), ("withdraw", withdraw.claims.id.as_str()));
    assert_eq!(state.decided_by, DecidedBy::Chain);
    assert!(!view.fork && view.forks.is_empty());
    assert_eq!(view.receipts[1].prev.as_deref(), Some(accept.claims.hash().unwrap().as_str()));
}

#[test]
#[ignore = "reads the KV time/subject index the receipt path no longer writes: ledger-queries (H2) moves this read to the ledger's tables"]
fn a_fork_is_kept_and_flagged() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, _) = setup(&kv, &keys);
    let first = claims(&sha, Some(2), 1, NOW - 5_000, Action::RejectAll, None);
    let hash = first.claims.hash().unwrap();
    let link = Some(hash.clone());
    // Two tabs answer from the same state: both name the first receipt.
    let tab_a = claims(&sha, Some(2), 2, NOW - 4_000, Action::AcceptAll, link.clone());
    let tab_b = claims(&sha, Some(2), 3, NOW - 3_000, Action::Withdraw, link.clone());
    for (n, submit) in [&tab_b, &first, &tab_a].into_iter().enumerate() {
        let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + n as i64 * 1_000 };
        block_on(svc.submit_receipt(SITE, &body(submit))).unwrap();
    }
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 9_000 };
    let view = block_on(svc.subject(SITE, &first.claims.subject)).unwrap();
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
