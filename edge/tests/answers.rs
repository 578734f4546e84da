//! The rules the HTTP layer used to hold, now service methods tested natively: who is admitted
//! and when an unknown site is 404, one receipt's checked detail, the statistics' default
//! range, export chunks as sent, the erasure listing's query, the policy answer (language,
//! layer, ETag and 304, caching), and the typed answers of configuring, publishing, listing
//! versions and issuing tokens.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::ledger::{append, ledger_db, site_log};
use common::{claims, ring, setup, NOW, SITE};
use kelisim_core::api::policies::PolicyBody;
use kelisim_core::policy::Policy;
use kelisim_core::receipt::Action;
use kelisim_core::time::format_millis;
use kelisim_edge::auth::{Access, Principal, Scope};
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::first_layer::first_layer;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::policies::{PolicyReply, POLICY_MAX_AGE_SECONDS, POLICY_VERSION_MAX_AGE_SECONDS};
use kelisim_edge::service::{parse_erasures_query, Service, CSV_HEADER, DEFAULT_STATS_DAYS, NEXT_CURSOR_HEADER};
use pollster::block_on;
use serde_json::{json, Value};

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
    let (kv, keys, cache, db) = (MemoryKv::default(), ring(), IsolateCache::default(), ledger_db());
    let (sha, _) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let first = claims(&sha, Some(1), 1, NOW - 2_000, Action::RejectAll, None);
    let stored = append(&kv, &db, &keys, first.clone(), NOW - 1_500);
    let second = claims(&sha, Some(1), 2, NOW - 1_000, Action::AcceptAll, Some(stored.receipt.hash.clone()));
    append(&kv, &db, &keys, second.clone(), NOW - 500);
    // The chain link is the ledger's answer (the worker asks the site's object).
    let log = site_log(SITE, &db, &kv, &keys, NOW);
    let asked = std::cell::Cell::new(0);
    let prev_found = |subject: String, prev: String| {
        asked.set(asked.get() + 1);
        std::future::ready(log.prev_found(&subject, &prev))
    };

    let detail = block_on(s.receipt_detail(SITE, &first.claims.id, prev_found)).unwrap();
    assert!(detail.valid && detail.verification.is_valid());
    assert_eq!((detail.chain.prev, detail.chain.prev_found), (None, None));
    assert_eq!(detail.signed, stored);
    assert_eq!(asked.get(), 0, "no chain link, no question to the ledger");
    let detail = block_on(s.receipt_detail(SITE, &second.claims.id, prev_found)).unwrap();
    assert_eq!((detail.chain.prev, detail.chain.prev_found), (Some(stored.receipt.hash.clone()), Some(true)));
    let missing = claims(&sha, Some(1), 3, NOW, Action::AcceptAll, None);
    let err = block_on(s.receipt_detail(SITE, &missing.claims.id, prev_found)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "receipt_not_found"));
    // A ledger that cannot answer makes the detail fail as storage does, not claim a link.
    let down = |_: String, _: String| std::future::ready(Err(kelisim_edge::error::ApiError::storage_unavailable()));
    let err = block_on(s.receipt_detail(SITE, &second.claims.id, down)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (503, "storage_unavailable"));
}

#[test]
fn statistics_default_to_the_last_days_by_the_edge_clock() {
    let (kv, keys, db) = (MemoryKv::default(), ring(), ledger_db());
    setup(&kv, &keys);
    let s = site_log(SITE, &db, &kv, &keys, NOW);
    let view = s.stats_range(None, None).unwrap();
    assert_eq!(view.to, format_millis(NOW)[..10]);
    assert_eq!(view.from, format_millis(NOW - DEFAULT_STATS_DAYS * 86_400_000)[..10]);
    let view = s.stats_range(Some("2026-11-01"), None).unwrap();
    assert_eq!((view.from.as_str(), view.to.as_str()), ("2026-11-01", &format_millis(NOW)[..10]));
    let err = s.stats_range(Some("2026-11-30"), Some("2026-11-01")).unwrap_err();
    assert_eq!(err.code.as_str(), "invalid_range");
}

#[test]
fn export_chunks_concatenate_into_one_file() {
    let (kv, keys, db) = (MemoryKv::default(), ring(), ledger_db());
    let (sha, _) = setup(&kv, &keys);
    for n in 0..3u8 {
        let c = claims(&sha, Some(10 + n), n, NOW - 3_000 + i64::from(n), Action::AcceptAll, None);
        append(&kv, &db, &keys, c, NOW - 2_000 + i64::from(n));
    }
    let s = site_log(SITE, &db, &kv, &keys, NOW);
    let first = s.export([("format", "csv"), ("limit", "2")]).unwrap();
    assert_eq!((first.content_type, first.filename), ("text/csv; charset=utf-8", "receipts.csv"));
    assert!(first.body.starts_with(CSV_HEADER), "the first CSV chunk starts with the header");
    let cursor = first.next_cursor.clone().unwrap();
    assert!(
        first.body.ends_with(&format!("kelisim-next-cursor: {cursor}\n")),
        "{NEXT_CURSOR_HEADER} also ends the body"
    );
    assert_eq!(first.body.lines().count(), 1 + 2 + 1);
    let last = s.export([("format", "csv"), ("limit", "2"), ("cursor", cursor.as_str())]).unwrap();
    assert!(!last.body.contains("id,server_time"), "later chunks carry no header");
    assert_eq!((last.next_cursor, last.body.lines().count()), (None, 1));
    let ndjson = s.export([]).unwrap();
    assert_eq!((ndjson.content_type, ndjson.filename), ("application/x-ndjson", "receipts.ndjson"));
    assert_eq!(ndjson.body.lines().count(), 3);
    assert_eq!(s.export([("format", "xml")]).unwrap_err().code.as_str(), "invalid_query");
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

/// `GET …/policy` with these query values and `If-None-Match`, on the site of `setup`.
fn policy_get(
    s: &Service<'_, MemoryKv>,
    version: Option<u32>,
    lang: Option<&str>,
    layer: Option<&str>,
    if_none_match: Option<&str>,
) -> PolicyReply {
    block_on(s.policy_answer(SITE, version, lang, layer, if_none_match)).unwrap()
}

/// A fresh answer's ETag, Cache-Control, Content-Language and body.
fn fresh(reply: PolicyReply) -> (String, String, String, PolicyBody) {
    match reply {
        PolicyReply::Fresh { etag, cache_control, language, body } => (etag, cache_control, language, *body),
        PolicyReply::NotModified { .. } => panic!("expected a fresh answer"),
    }
}

#[test]
fn a_matching_if_none_match_is_answered_304_with_the_same_caching() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    for (version, layer) in [(None, None), (None, Some("banner")), (Some(1), None), (Some(1), Some("banner"))] {
        let (etag, cache_control, _, _) = fresh(policy_get(&s, version, Some("kk"), layer, None));
        assert_eq!(
            policy_get(&s, version, Some("kk"), layer, Some(&etag)),
            PolicyReply::NotModified { etag: etag.clone(), cache_control: cache_control.clone() },
            "{version:?} {layer:?}"
        );
        // Only the exact tag: a weak one, one unquoted, or a list is answered in full.
        let bare = etag.trim_matches('"').to_owned();
        for other in [format!("W/{etag}"), bare, format!("{etag}, \"x\""), String::new()] {
            let reply = policy_get(&s, version, Some("kk"), layer, Some(&other));
            assert!(matches!(reply, PolicyReply::Fresh { .. }), "{other}");
        }
    }
}

#[test]
fn the_etag_differs_per_language_and_per_layer_and_names_the_content_hash() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let (sha, _) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let mut etags = std::collections::BTreeSet::new();
    for lang in ["ru", "kk", "en"] {
        for layer in [None, Some("banner")] {
            let (etag, _, language, body) = fresh(policy_get(&s, None, Some(lang), layer, None));
            let suffix = if layer.is_some() { "-banner" } else { "" };
            assert_eq!(etag, format!("\"{}-{lang}{suffix}\"", &sha[..16]));
            assert_eq!(language, lang);
            assert_eq!(matches!(body, PolicyBody::Banner(_)), layer.is_some());
            assert!(etags.insert(etag.clone()), "{etag} repeated");
            // Another language's or layer's tag does not make this answer a 304.
            let other_layer = if layer.is_some() { None } else { Some("banner") };
            let reply = policy_get(&s, None, Some(lang), other_layer, Some(&etag));
            assert!(matches!(reply, PolicyReply::Fresh { .. }), "{etag} for the other layer");
        }
    }
    assert_eq!(etags.len(), 6);
}

#[test]
fn an_unknown_layer_is_400_invalid_query_after_the_site_and_version_are_found() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    for bad in ["", "Banner", "full", "banner,full", "banner "] {
        for version in [None, Some(1)] {
            let err = block_on(s.policy_answer(SITE, version, None, Some(bad), None)).unwrap_err();
            assert_eq!((err.status, err.code.as_str()), (400, "invalid_query"), "{bad:?}");
        }
    }
    let err = block_on(s.policy_answer(SITE, Some(2), None, Some("full"), None)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "policy_not_found"));
    let err = block_on(s.policy_answer("no-such-site", None, None, Some("full"), None)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "unknown_site"));
}

#[test]
fn a_given_version_is_kept_longer_than_the_current_policy() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    const { assert!(POLICY_VERSION_MAX_AGE_SECONDS > POLICY_MAX_AGE_SECONDS) };
    for layer in [None, Some("banner")] {
        let (current_tag, current, _, current_body) = fresh(policy_get(&s, None, None, layer, None));
        let (version_tag, given, _, version_body) = fresh(policy_get(&s, Some(1), None, layer, None));
        assert_eq!(current, format!("public, max-age={POLICY_MAX_AGE_SECONDS}"));
        assert_eq!(current, "public, max-age=60");
        assert_eq!(given, "public, max-age=86400");
        // The same document: the same tag and body, only kept longer.
        assert_eq!((current_tag, current_body), (version_tag.clone(), version_body));
        assert_eq!(
            policy_get(&s, Some(1), None, layer, Some(&version_tag)),
            PolicyReply::NotModified { etag: version_tag, cache_control: given }
        );
    }
}

#[test]
fn a_language_not_offered_or_not_a_language_code_gets_the_default() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let (default_tag, _, default_language, default_body) = fresh(policy_get(&s, None, None, None, None));
    assert_eq!(default_language, "ru", "the first of `languages`");
    for lang in ["de", "KK", "Kk", "english", "k", "", "kk-KZ", "en,kk", "к"] {
        let (etag, _, language, body) = fresh(policy_get(&s, None, Some(lang), None, None));
        assert_eq!((&etag, &language, &body), (&default_tag, &default_language, &default_body), "{lang:?}");
    }
    let (_, _, language, _) = fresh(policy_get(&s, None, Some("en"), Some("banner"), None));
    assert_eq!(language, "en");
}

/// The full answer as the edge built it before it was typed: a `serde_json::Value`.
fn full_as_before(policy: &Policy, sha: &str, last_material_version: u32, language: &str) -> String {
    json!({
        "sha256": sha,
        "last_material_version": last_material_version,
        "language": language,
        "policy": policy.localized(language),
    })
    .to_string()
}

/// The first layer as the edge built it before it was typed: the localized policy as a value
/// with members taken out.
fn banner_as_before(policy: &Policy, sha: &str, last_material_version: u32, language: &str) -> String {
    let mut shown = serde_json::to_value(policy.localized(language)).unwrap();
    let members = shown.as_object_mut().unwrap();
    for name in ["text", "consent"] {
        members.remove(name);
    }
    for category in members["categories"].as_array_mut().unwrap() {
        category.as_object_mut().unwrap().remove("sections");
    }
    json!({
        "sha256": sha,
        "last_material_version": last_material_version,
        "language": language,
        "layer": "banner",
        "policy": shown,
    })
    .to_string()
}

#[test]
fn the_typed_policy_answers_are_the_bytes_served_before() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    let (sha, _) = setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let policy: Policy = serde_json::from_str(include_str!("../../www/demo/policies/services-demo.json")).unwrap();
    for lang in ["ru", "kk", "en"] {
        let (_, _, _, full) = fresh(policy_get(&s, None, Some(lang), None, None));
        assert_eq!(full.to_json().unwrap(), full_as_before(&policy, &sha, 1, lang), "{lang}");
        let (_, _, _, banner) = fresh(policy_get(&s, None, Some(lang), Some("banner"), None));
        assert_eq!(banner.to_json().unwrap(), banner_as_before(&policy, &sha, 1, lang), "{lang}");
    }
    // A policy with what the first layer leaves out (Art. 8(4) details) and an optional member.
    let mut value: Value = serde_json::from_str(include_str!("../../www/demo/policies/crm-demo.json")).unwrap();
    value["consent"] = json!({"term": {"text": {"ru": "До отзыва", "kk": "Кері қайтарылғанға дейін"}}});
    let policy: Policy = serde_json::from_value(value).unwrap();
    let sha = policy.content_hash().unwrap();
    for lang in ["ru", "kk", "en"] {
        let banner = PolicyBody::Banner(first_layer(&policy, &sha, 4, lang));
        assert_eq!(banner.to_json().unwrap(), banner_as_before(&policy, &sha, 4, lang), "{lang}");
        assert!(!banner.to_json().unwrap().contains("\"consent\""));
    }
}

#[test]
fn the_site_loaders_layers_are_the_first_layer_answers_in_every_language_of_the_policy() {
    let (kv, keys, cache) = (MemoryKv::default(), ring(), IsolateCache::default());
    setup(&kv, &keys);
    let s = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let layers = block_on(s.first_layers(SITE)).unwrap();
    assert_eq!(layers.keys().map(String::as_str).collect::<Vec<_>>(), ["en", "kk", "ru"]);
    for (lang, text) in &layers {
        let (_, _, _, body) = fresh(policy_get(&s, None, Some(lang), Some("banner"), None));
        assert_eq!(text, &body.to_json().unwrap(), "{lang}: the bytes GET …/policy?layer=banner answers");
    }
    // A site without a policy yet: no layers (the loader then fetches, and is told 404).
    block_on(s.put_site("no-policy-yet", br#"{"origins":["http://127.0.0.1:8802"]}"#)).unwrap();
    assert!(block_on(s.first_layers("no-policy-yet")).unwrap().is_empty());
    let err = block_on(s.first_layers("no-such-site")).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (404, "unknown_site"));
}
