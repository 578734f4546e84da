//! No request exceeds the production limit of 1,000 KV operations: each test runs every request
//! under a seam that fails its 1,001st operation, on a site of 5,000 receipts.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{claims, ring, seed, setup, Request, NOW, SITE};
use kelisim_core::receipt::Action;
use kelisim_edge::auth::Scope;
use kelisim_edge::kv::{MemoryKv, MAX_KV_OPS_PER_REQUEST};
use kelisim_edge::service::{parse_export_query, ReceiptQuery};
use pollster::block_on;

const BIG: &str = "bigbigbigbigbigbigbigbigbigbigbigbigbigbigb";
const OTHER: &str = "otherotherotherotherotherotherotherotherot";

/// A site of 5,000 receipts: 2,000 of one subject, 3,000 of another, over two days.
fn big_site() -> (MemoryKv, kelisim_edge::keyring::Keyring, String) {
    let (kv, keys) = (MemoryKv::default(), ring());
    let (sha, token) = setup(&kv, &keys);
    let template = claims(&sha, Some(1), 1, NOW - 1_000, Action::AcceptAll, None);
    seed(&kv, &keys, &template, BIG, NOW, 2_000);
    seed(&kv, &keys, &template, OTHER, NOW + 86_400_000 - 1_500, 3_000);
    (kv, keys, token)
}

#[test]
fn an_export_of_5000_receipts_streams_through_cursors_with_every_request_under_the_limit() {
    let (kv, keys, token) = big_site();
    let mut cursor: Option<String> = None;
    let (mut ids, mut requests) = (Vec::new(), 0);
    loop {
        requests += 1;
        assert!(requests < 20, "the export must end");
        let req = Request::new(&kv, &keys, NOW + 2 * 86_400_000);
        let svc = req.service(Scope::Export, &token);
        let mut pairs = vec![("format", "ndjson")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c.as_str()));
        }
        let (query, format) = parse_export_query(pairs).unwrap();
        let (chunk, next) = block_on(svc.export_chunk(SITE, &query, format)).unwrap();
        assert!(req.budget.used() <= MAX_KV_OPS_PER_REQUEST);
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
    assert!(requests >= 6, "5,000 receipts cannot fit one request's 1,000 operations ({requests})");
}

#[test]
fn an_export_refuses_a_chunk_larger_than_a_request_can_read() {
    let err = parse_export_query([("limit", "1000")]).unwrap_err();
    assert_eq!(err.code, "invalid_query");
    assert_eq!(parse_export_query([("limit", "10")]).unwrap().0.limit, 10);
}

#[test]
fn statistics_listings_and_subject_views_stay_under_the_limit() {
    let (kv, keys, token) = big_site();
    let later = NOW + 2 * 86_400_000;
    let req = Request::new(&kv, &keys, later);
    let day = |ms: i64| kelisim_core::time::format_millis(ms)[..10].to_owned();
    let stats = block_on(req.service(Scope::Read, &token).stats(SITE, &day(NOW), &day(later))).unwrap();
    assert_eq!(stats.days.iter().map(|d| d.total).sum::<u64>(), 5_000);
    assert!(!stats.truncated);

    let req = Request::new(&kv, &keys, later);
    let page = block_on(
        req.service(Scope::Read, &token).list_receipts(SITE, &ReceiptQuery { limit: 1_000, ..ReceiptQuery::default() }),
    )
    .unwrap();
    assert_eq!(page.receipts.len(), 1_000);

    let req = Request::new(&kv, &keys, later);
    let view = block_on(req.service(Scope::Read, &token).subject(SITE, BIG)).unwrap();
    assert_eq!(view.receipts.len(), 2_000);
}
