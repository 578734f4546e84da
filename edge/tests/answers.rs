//! The rules the HTTP layer used to hold, now service methods tested natively: who is admitted
//! and when an unknown site is 404, one receipt's checked detail, the statistics' default
//! range, export chunks as sent, the erasure listing's query, and the typed answers of
//! configuring, publishing, listing versions and issuing tokens.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::{body, claims, ring, setup, NOW, SITE};
use kelisim_core::receipt::Action;
use kelisim_core::time::format_millis;
use kelisim_edge::auth::{Access, Principal, Scope};
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::{parse_erasures_query, Service, CSV_HEADER, DEFAULT_STATS_DAYS, NEXT_CURSOR_HEADER};
use pollster::block_on;

const ADMIN: &str = "admin-secret-of-the-test";

fn admin() -> String {
    format!("Bearer {ADMIN}")
}

#[test]
fn an_operator_route_on_an_unknown_site_is_404_only_after_authorisation() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let (_, token) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let read = Access::Scoped(Scope::Read);
    // Without a valid token nobody learns whether the site exists.
    let err = block_on(s.admit(read, Some("no-such-site"), false, None, ADMIN)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (401, "unauthorized"));
    let err = block_on(s.admit(read, Some("no-such-site"), false, Some(&admin()), ADMIN)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "unknown_site"));
    // A site token of another site is refused for that, not told the site is unknown.
    let err = block_on(s.admit(read, Some("no-such-site"), false, Some(&token), ADMIN)).unwrap_err();
    assert_eq!(err.status, 403);
    // Configuring is how a site comes to exist; a public route is nobody's.
    let admitted = block_on(s.admit(Access::Admin, Some("new-site"), true, Some(&admin()), ADMIN)).unwrap();
    assert_eq!(admitted, Some(Principal::Admin));
    assert_eq!(block_on(s.admit(Access::Public, Some("no-such-site"), false, None, ADMIN)).unwrap(), None);
    assert!(matches!(
        block_on(s.admit(read, Some(SITE), false, Some(&token), ADMIN)).unwrap(),
        Some(Principal::Site(_))
    ));
}

#[test]
fn a_receipt_detail_is_checked_and_names_its_chain_link() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let (sha, _) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let first = claims(&sha, Some(1), 1, NOW - 2_000, Action::RejectAll, None);
    let stored = block_on(s.submit_receipt(SITE, &body(&first))).unwrap().signed;
    let second = claims(&sha, Some(1), 2, NOW - 1_000, Action::AcceptAll, Some(stored.receipt.hash.clone()));
    block_on(s.submit_receipt(SITE, &body(&second))).unwrap();

    let detail = block_on(s.receipt_detail(SITE, &first.claims.id)).unwrap();
    assert!(detail.valid && detail.verification.is_valid());
    assert_eq!((detail.chain.prev, detail.chain.prev_found), (None, None));
    assert_eq!(detail.signed, stored);
    let detail = block_on(s.receipt_detail(SITE, &second.claims.id)).unwrap();
    assert_eq!((detail.chain.prev, detail.chain.prev_found), (Some(stored.receipt.hash.clone()), Some(true)));
    let missing = claims(&sha, Some(1), 3, NOW, Action::AcceptAll, None);
    let err = block_on(s.receipt_detail(SITE, &missing.claims.id)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "receipt_not_found"));
}

#[test]
fn statistics_default_to_the_last_days_by_the_edge_clock() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let view = block_on(s.stats_range(SITE, None, None)).unwrap();
    assert_eq!(view.to, format_millis(NOW)[..10]);
    assert_eq!(view.from, format_millis(NOW - DEFAULT_STATS_DAYS * 86_400_000)[..10]);
    let view = block_on(s.stats_range(SITE, Some("2026-11-01"), None)).unwrap();
    assert_eq!((view.from.as_str(), view.to.as_str()), ("2026-11-01", &format_millis(NOW)[..10]));
    let err = block_on(s.stats_range(SITE, Some("2026-11-30"), Some("2026-11-01"))).unwrap_err();
    assert_eq!(err.code.as_str(), "invalid_range");
}

#[test]
fn export_chunks_concatenate_into_one_file() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let (sha, _) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    for n in 0..3u8 {
        let c = claims(&sha, Some(10 + n), n, NOW - 3_000 + i64::from(n), Action::AcceptAll, None);
        block_on(s.submit_receipt(SITE, &body(&c))).unwrap();
    }
    let first = block_on(s.export(SITE, [("format", "csv"), ("limit", "2")])).unwrap();
    assert_eq!((first.content_type, first.filename), ("text/csv; charset=utf-8", "receipts.csv"));
    assert!(first.body.starts_with(CSV_HEADER), "the first CSV chunk starts with the header");
    let cursor = first.next_cursor.clone().unwrap();
    assert!(
        first.body.ends_with(&format!("kelisim-next-cursor: {cursor}\n")),
        "{NEXT_CURSOR_HEADER} also ends the body"
    );
    assert_eq!(first.body.lines().count(), 1 + 2 + 1);
    let last = block_on(s.export(SITE, [("format", "csv"), ("limit", "2"), ("cursor", cursor.as_str())])).unwrap();
    assert!(!last.body.contains("id,server_time"), "later chunks carry no header");
    assert_eq!((last.next_cursor, last.body.lines().count()), (None, 1));
    let ndjson = block_on(s.export(SITE, [])).unwrap();
    assert_eq!((ndjson.content_type, ndjson.filename), ("application/x-ndjson", "receipts.ndjson"));
    assert_eq!(ndjson.body.lines().count(), 3);
    assert_eq!(block_on(s.export(SITE, [("format", "xml")])).unwrap_err().code.as_str(), "invalid_query");
}

#[test]
fn the_erasure_listing_takes_only_a_cursor() {
    assert_eq!(parse_erasures_query([]).unwrap(), None);
    assert_eq!(parse_erasures_query([("cursor", "abc")]).unwrap().as_deref(), Some("abc"));
    for bad in [vec![("cursor", "")], vec![("limit", "5")]] {
        assert_eq!(parse_erasures_query(bad.clone()).unwrap_err().code.as_str(), "invalid_query", "{bad:?}");
    }
    let long = "c".repeat(kelisim_edge::service::MAX_CURSOR_CHARS + 1);
    assert!(parse_erasures_query([("cursor", long.as_str())]).is_err());
}

#[test]
fn configuring_publishing_and_tokens_answer_their_typed_records() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let origins = br#"{"origins":["https://a.example"]}"#;
    let (answer, created) = block_on(s.configure_site(SITE, origins)).unwrap();
    assert_eq!((answer.site.as_str(), created), (SITE, true));
    assert!(!block_on(s.configure_site(SITE, origins)).unwrap().1, "a second configuration replaces");
    let policy = include_str!("../../www/demo/policies/services-demo.json");
    let published = block_on(s.publish(SITE, policy.as_bytes())).unwrap();
    assert_eq!((published.site.as_str(), published.version), (SITE, 1));
    let versions = block_on(s.policy_versions(SITE)).unwrap().versions;
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].version, &versions[0].sha256), (1, &published.sha256));
    let issued = block_on(s.issue_token(SITE, br#"{"scopes":["read","read"],"label":"x"}"#, [3; 32])).unwrap();
    assert!(issued.token.starts_with("kls_"));
    assert_eq!(issued.scopes, vec![Scope::Read]);
    let listing = block_on(s.token_listing(SITE)).unwrap();
    assert_eq!(listing.tokens.len(), 1);
    assert_eq!((listing.tokens[0].id.as_str(), listing.tokens[0].sha256.as_str()), (issued.id.as_str(), ""));
}
