//! No request exceeds the production limit of 1,000 KV operations: each test runs every request
//! under a seam that fails its 1,001st operation, on a site of 5,000 receipts. Listings,
//! statistics, subject views and export chunks read the site's ledger and make none at all.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::ledger::{self, ledger_db, site_log, SqliteDb};
use common::{claims, ring, setup, Request, NOW, SITE};
use kelisim_core::receipt::Action;
use kelisim_edge::auth::Scope;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::{MemoryKv, MAX_KV_OPS_PER_REQUEST};
use kelisim_edge::service::{parse_export_query, ReceiptQuery, MAX_EXPORT_PAGE};

const BIG: &str = "bigbigbigbigbigbigbigbigbigbigbigbigbigbigb";
const OTHER: &str = "otherotherotherotherotherotherotherotherot";

/// A site of 5,000 receipts: 2,000 of one subject, 3,000 of another, over two days, in KV and
/// in the site's ledger.
fn big_ledger() -> (MemoryKv, SqliteDb, Keyring, String) {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let (sha, token) = setup(&kv, &keys);
    let template = claims(&sha, Some(1), 1, NOW - 1_000, Action::AcceptAll, None);
    ledger::seed(&kv, &db, &keys, &template, BIG, NOW, 2_000);
    ledger::seed(&kv, &db, &keys, &template, OTHER, NOW + 86_400_000 - 1_500, 3_000);
    (kv, db, keys, token)
}

#[test]
fn an_export_of_5000_receipts_streams_through_cursors_with_every_request_under_the_limit() {
    let (kv, db, keys, token) = big_ledger();
    let mut cursor: Option<String> = None;
    let (mut ids, mut requests) = (Vec::new(), 0);
    loop {
        requests += 1;
        assert!(requests < 20, "the export must end");
        let req = Request::new(&kv, &keys, NOW + 2 * 86_400_000);
        req.service(Scope::Export, &token);
        let worker_ops = req.budget.used();
        let log = site_log(SITE, &db, &req.budget, &keys, req.now_ms);
        let mut pairs = vec![("format", "ndjson")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.as_str()));
        }
        let (query, format) = parse_export_query(pairs).unwrap();
        let (chunk, next) = log.export_chunk(&query, format).unwrap();
        assert!(req.budget.used() <= MAX_KV_OPS_PER_REQUEST);
        assert_eq!(req.budget.used(), worker_ops, "the chunk itself makes no KV operation");
        for line in chunk.lines() {
            let signed: serde_json::Value = serde_json::from_str(line).unwrap();
            ids.push(signed["receipt"]["claims"]["id"].as_str().unwrap().to_owned());
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(ids.len(), 5_000);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5_000, "no receipt twice");
    assert!(requests >= 6, "5,000 receipts cannot fit chunks of {MAX_EXPORT_PAGE} ({requests})");
}

#[test]
fn an_export_refuses_a_chunk_larger_than_a_request_can_read() {
    let err = parse_export_query([("limit", "1000")]).unwrap_err();
    assert_eq!(err.code, "invalid_query");
    assert_eq!(parse_export_query([("limit", "10")]).unwrap().0.limit, 10);
}

#[test]
fn statistics_listings_and_subject_views_stay_under_the_limit() {
    let (kv, db, keys, token) = big_ledger();
    let later = NOW + 2 * 86_400_000;
    let day = |ms: i64| kelisim_core::time::format_millis(ms)[..10].to_owned();
    let req = Request::new(&kv, &keys, later);
    req.service(Scope::Read, &token);
    let worker_ops = req.budget.used();
    let log = site_log(SITE, &db, &req.budget, &keys, later);
    let stats = log.stats(&day(NOW), &day(later)).unwrap();
    assert_eq!(stats.days.iter().map(|d| d.total).sum::<u64>(), 5_000);
    assert!(!stats.truncated);
    let page = log.list_receipts(&ReceiptQuery { limit: 1_000, ..ReceiptQuery::default() }).unwrap();
    assert_eq!(page.receipts.len(), 1_000);
    let view = log.subject_view(BIG).unwrap();
    assert_eq!(view.receipts.len(), 2_000);
    assert_eq!(req.budget.used(), worker_ops, "the ledger's reads make no KV operation");
    assert!(req.budget.used() <= MAX_KV_OPS_PER_REQUEST);
}
