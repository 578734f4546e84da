//! The service logic natively over `MemoryKv`: idempotency, conflicts, storage faults.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::ledger::{append, ledger_db, site_log};
use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, ReceiptClaims, SubmitReceipt};
use kelisim_core::sign::{EdgeSigningKey, JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::{ReceiptQuery, Service};
use pollster::block_on;

use common::SubmitExt;

const NOW: i64 = 1_795_398_005_123;
const EDGE_SEED: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const POLICY: &str = include_str!("../../www/demo/policies/services-demo.json");

fn ring() -> Keyring {
    Keyring::parse(&format!("test:{EDGE_SEED}")).unwrap()
}

fn setup(kv: &MemoryKv, keys: &Keyring) -> String {
    let svc = Service { kv, keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.put_site("services-demo", br#"{"origins":["http://127.0.0.1:8802"]}"#)).unwrap();
    block_on(svc.publish_policy("services-demo", POLICY.as_bytes())).unwrap().sha256
}

fn submission(sha256: &str, seed: u8, action: Action) -> Vec<u8> {
    let visitor = EdgeSigningKey::from_seed("v", [seed; 32]);
    let jwk = visitor.public_jwk();
    let granted = action == Action::AcceptAll;
    let decisions = ["necessary", "analytics", "marketing", "cross_border"]
        .iter()
        .map(|c| (c.to_string(), if granted || *c == "necessary" { Decision::Granted } else { Decision::Denied }))
        .collect();
    let claims = ReceiptClaims {
        schema: 1,
        id: ulid_from_parts(NOW as u64, [seed; 10]),
        site: "services-demo".into(),
        subject: jwk.thumbprint(),
        subject_key: Some(jwk.clone()),
        policy: PolicyRef { version: 1, sha256: sha256.into(), language: "ru".into() },
        decisions,
        action,
        gpc: false,
        client_time: format_millis(NOW - 1000),
        prev: None,
        widget_version: "0.1.0".into(),
    };
    let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(jwk.thumbprint()), typ: None };
    let sig = visitor.sign_detached(&header, to_canonical_string(&claims).unwrap().as_bytes());
    serde_json::to_vec(&SubmitReceipt { claims, visitor_signature: Some(sig) }).unwrap()
}

#[test]
fn replay_returns_the_same_receipt_and_stores_nothing_new() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let body = submission(&sha, 1, Action::RejectAll);
    let first = block_on(
        Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW }
            .submit_receipt("services-demo", &body),
    )
    .unwrap();
    let stored = kv.len();
    let later = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 5000 };
    let second = block_on(later.submit_receipt("services-demo", &body)).unwrap();
    assert!(!first.replayed && second.replayed);
    assert_eq!(first.signed, second.signed, "the server time of the first acceptance is kept");
    assert_eq!(kv.len(), stored);
    assert!(first.signed.verify(&keys.jwks()).is_valid());
}

#[test]
fn a_different_receipt_under_the_same_id_conflicts() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.submit_receipt("services-demo", &submission(&sha, 2, Action::RejectAll))).unwrap();
    let mut other: SubmitReceipt = serde_json::from_slice(&submission(&sha, 3, Action::AcceptAll)).unwrap();
    other.claims.id = ulid_from_parts(NOW as u64, [2; 10]);
    let err = block_on(svc.submit_receipt("services-demo", &serde_json::to_vec(&other).unwrap())).unwrap_err();
    // The signature no longer matches the changed id, so this is refused before the id check.
    assert_eq!(err.code, "signature_invalid");
    // Unsigned under the signed subject: refused, it would take over that visitor's state.
    other.claims.subject_key = None;
    other.visitor_signature = None;
    let original: SubmitReceipt = serde_json::from_slice(&submission(&sha, 2, Action::RejectAll)).unwrap();
    other.claims.subject = original.claims.subject;
    let err = block_on(svc.submit_receipt("services-demo", &serde_json::to_vec(&other).unwrap())).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "subject_requires_signature"));
    // Unsigned under a fresh subject reaches the id check: another receipt holds this id.
    other.claims.subject = "u".repeat(43);
    let err = block_on(svc.submit_receipt("services-demo", &serde_json::to_vec(&other).unwrap())).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "receipt_conflict"));
}

#[test]
fn storage_outage_is_503_with_retry_after_and_nothing_stored() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let before = kv.len();
    kv.failing.set(true);
    let err = block_on(
        Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW }
            .submit_receipt("services-demo", &submission(&sha, 4, Action::RejectAll)),
    )
    .unwrap_err();
    assert_eq!((err.status, err.code.as_str(), err.retry_after.is_some()), (503, "storage_unavailable", true));
    kv.failing.set(false);
    assert_eq!(kv.len(), before);
}

#[test]
fn a_kv_failure_after_the_append_is_503_and_the_retry_completes_it() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let body = submission(&sha, 5, Action::AcceptAll);
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW };
    let before = kv.len();
    kv.puts_before_failure.set(Some(0)); // the leaf is appended, its KV record is not written
    assert_eq!(block_on(svc.submit_receipt("services-demo", &body)).unwrap_err().status, 503);
    assert_eq!(kv.len(), before);
    kv.puts_before_failure.set(None);
    let retried = block_on(svc.submit_receipt("services-demo", &body)).unwrap();
    assert!(retried.replayed);
    assert_eq!(kv.len(), before + 1);
    let stored = block_on(svc.receipt("services-demo", &retried.signed.receipt.claims.id)).unwrap();
    assert_eq!(stored, retried.signed);
}

#[test]
fn pages_are_newest_first_with_a_cursor() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let db = ledger_db();
    let sha = setup(&kv, &keys);
    for seed in 10..15u8 {
        let submit: SubmitReceipt = serde_json::from_slice(&submission(&sha, seed, Action::RejectAll)).unwrap();
        append(&kv, &db, &keys, submit, NOW + i64::from(seed));
    }
    let log = site_log("services-demo", &db, &kv, &keys, NOW + 100);
    let first = log.list_receipts(&ReceiptQuery { limit: 3, ..ReceiptQuery::default() }).unwrap();
    let second =
        log.list_receipts(&ReceiptQuery { limit: 3, cursor: first.cursor.clone(), ..ReceiptQuery::default() }).unwrap();
    let times: Vec<_> = first.receipts.iter().chain(&second.receipts).map(|r| r.server_time.clone()).collect();
    assert_eq!(times.len(), 5);
    assert!(times.windows(2).all(|w| w[0] > w[1]), "{times:?}");
    assert!(second.cursor.is_none());
}

#[test]
fn an_isolate_reads_a_policy_version_from_kv_once() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let cache = IsolateCache::default();
    for seed in 1..=3 {
        let svc = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW + i64::from(seed) };
        block_on(svc.submit_receipt("services-demo", &submission(&sha, seed, Action::AcceptAll))).unwrap();
    }
    let policy_reads = kv.reads.borrow().iter().filter(|k| k.starts_with("policy/services-demo/v/")).count();
    assert_eq!(policy_reads, 1, "{:?}", kv.reads.borrow());
    // A fresh isolate reads it again and accepts the same way.
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 9 };
    block_on(svc.submit_receipt("services-demo", &submission(&sha, 9, Action::AcceptAll))).unwrap();
    assert_eq!(kv.reads.borrow().iter().filter(|k| k.starts_with("policy/services-demo/v/")).count(), 2);
}

#[test]
fn a_cached_site_config_follows_changes_made_here_at_once_and_elsewhere_within_the_ttl() {
    let (kv, keys) = (MemoryKv::default(), ring());
    setup(&kv, &keys);
    let cache = IsolateCache::default();
    let here = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    assert_eq!(block_on(here.site("services-demo")).unwrap().origins, ["http://127.0.0.1:8802"]);
    block_on(here.put_site("services-demo", br#"{"origins":["https://a.example"]}"#)).unwrap();
    assert_eq!(block_on(here.site("services-demo")).unwrap().origins, ["https://a.example"]);

    // Another isolate changes it: this one keeps its copy for at most the TTL.
    let elsewhere = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW + 1 };
    block_on(elsewhere.put_site("services-demo", br#"{"origins":["https://b.example"]}"#)).unwrap();
    let soon = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW + 1 };
    assert_eq!(block_on(soon.site("services-demo")).unwrap().origins, ["https://a.example"]);
    let later = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW + kelisim_edge::cache::SITE_CONFIG_TTL_MS };
    assert_eq!(block_on(later.site("services-demo")).unwrap().origins, ["https://b.example"]);
}

#[test]
fn a_kv_failure_on_any_of_the_parallel_reads_is_a_503_and_stores_nothing() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let cache = IsolateCache::default();
    let svc = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    block_on(svc.submit_receipt("services-demo", &submission(&sha, 1, Action::AcceptAll))).unwrap();
    let stored = kv.len();
    // The policy version now comes from the cache; the id check still needs KV.
    kv.failing.set(true);
    let err = block_on(svc.submit_receipt("services-demo", &submission(&sha, 2, Action::AcceptAll))).unwrap_err();
    kv.failing.set(false);
    assert_eq!((err.status, err.code.as_str()), (503, "storage_unavailable"));
    assert_eq!(kv.len(), stored);
}

#[test]
fn authorisation_follows_the_access_table_for_every_kind_of_caller() {
    use kelisim_edge::auth::{Principal, Scope};
    use kelisim_edge::router::Access;
    let (kv, keys) = (MemoryKv::default(), ring());
    setup(&kv, &keys);
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.put_site("crm-demo", br#"{"origins":[]}"#)).unwrap();
    let token = |site: &str, scopes: &str, random: u8| {
        let body = format!(r#"{{"scopes":{scopes},"label":"t"}}"#);
        format!("Bearer {}", block_on(svc.create_token(site, body.as_bytes(), [random; 32])).unwrap().1)
    };
    let read = token("services-demo", r#"["read"]"#, 1);
    let erase_other_site = token("crm-demo", r#"["read","erase"]"#, 2);
    let admin = "Bearer admin-secret";
    let check = |access: Access, header: Option<&str>| {
        block_on(svc.authorize(access, Some("services-demo"), header, "admin-secret")).map_err(|e| e.status)
    };
    let read_access = Access::Scoped(Scope::Read);
    let erase_access = Access::Scoped(Scope::Erase);
    assert_eq!(check(Access::Public, None), Ok(None));
    assert!(matches!(check(Access::Admin, Some(admin)), Ok(Some(Principal::Admin))));
    assert!(matches!(check(read_access, Some(admin)), Ok(Some(Principal::Admin))));
    assert!(matches!(check(read_access, Some(&read)), Ok(Some(Principal::Site(_)))));
    assert_eq!(check(Access::Admin, Some(&read)).unwrap_err(), 401, "a site token is never the admin");
    assert_eq!(check(erase_access, Some(&read)).unwrap_err(), 403, "missing scope");
    assert_eq!(check(erase_access, Some(&erase_other_site)).unwrap_err(), 403, "another site's token");
    for bad in [None, Some("Bearer kls_unknown"), Some("Basic YWRtaW46YWRtaW4="), Some("admin-secret"), Some("Bearer ")]
    {
        assert_eq!(check(read_access, bad).unwrap_err(), 401, "{bad:?}");
        assert_eq!(check(Access::Admin, bad).unwrap_err(), 401, "{bad:?}");
    }
    // An empty admin secret never matches.
    assert_eq!(block_on(svc.authorize(Access::Admin, None, Some("Bearer "), "")).unwrap_err().status, 401);
}

#[test]
fn a_sites_tokens_are_all_listed_past_one_page_of_every_sites_tokens() {
    let (kv, keys) = (MemoryKv::default(), ring());
    setup(&kv, &keys);
    let svc = Service { kv: &kv, keys: &keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.put_site("crm-demo", br#"{"origins":[]}"#)).unwrap();
    let create = |site: &str, n: u16| {
        let mut random = [0u8; 32];
        random[..2].copy_from_slice(&n.to_le_bytes());
        block_on(svc.create_token(site, br#"{"scopes":["read"],"label":"t"}"#, random)).unwrap();
    };
    // 1 200 tokens of another site, then 3 of this one: more than one KV list page in all.
    for n in 0..1200 {
        create("crm-demo", n);
    }
    for n in 5000..5003 {
        create("services-demo", n);
    }
    assert_eq!(block_on(svc.tokens("services-demo")).unwrap().len(), 3);
    assert_eq!(block_on(svc.tokens("crm-demo")).unwrap().len(), 1200);
}
