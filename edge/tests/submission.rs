//! The receipt path's integrity rules natively over `MemoryKv`: checking writes nothing, erased
//! history stays erased, one header spelling, normalised origins, material policy changes.
#![allow(clippy::unwrap_used, clippy::panic)]

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, ReceiptClaims, SubmitReceipt};
use kelisim_core::sign::{b64url_encode, EdgeSigningKey, JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::{Kv, MemoryKv};
use kelisim_edge::ledger::sql::LedgerDb;
use kelisim_edge::service::Service;
use pollster::block_on;
use sha2::{Digest, Sha256};

#[path = "common/submit.rs"]
mod submit;
use serde_json::Value;
use submit::SubmitExt;

const NOW: i64 = 1_795_398_005_123;
const SITE: &str = "services-demo";
const EDGE_SEED: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const POLICY: &str = include_str!("../../www/demo/policies/services-demo.json");

fn ring() -> Keyring {
    Keyring::parse(&format!("test:{EDGE_SEED}")).unwrap()
}

fn svc<'a>(kv: &'a MemoryKv, keys: &'a Keyring, now_ms: i64) -> Service<'a, MemoryKv> {
    // A fresh cache per call: nothing carries over between the steps of a test but KV.
    let cache: &'static IsolateCache = Box::leak(Box::default());
    Service { kv, keys, cache, now_ms }
}

fn setup(kv: &MemoryKv, keys: &Keyring) -> String {
    let s = svc(kv, keys, NOW);
    block_on(s.put_site(SITE, br#"{"origins":["http://127.0.0.1:8802"]}"#)).unwrap();
    block_on(s.publish_policy(SITE, POLICY.as_bytes())).unwrap().sha256
}

/// Claims of `action` for the demo policy, minted at `minted_ms`, by visitor `seed` (signed) or
/// unsigned under the subject that visitor would have.
fn claims(sha256: &str, seed: u8, minted_ms: i64, action: Action, signed: bool) -> ReceiptClaims {
    let jwk = EdgeSigningKey::from_seed("v", [seed; 32]).public_jwk();
    let granted = action == Action::AcceptAll;
    let decisions = ["necessary", "analytics", "marketing", "cross_border"]
        .iter()
        .map(|c| (c.to_string(), if granted || *c == "necessary" { Decision::Granted } else { Decision::Denied }))
        .collect();
    ReceiptClaims {
        schema: 1,
        id: ulid_from_parts(minted_ms as u64, [seed; 10]),
        site: SITE.into(),
        subject: jwk.thumbprint(),
        subject_key: signed.then_some(jwk),
        policy: PolicyRef { version: 1, sha256: sha256.into(), language: "ru".into() },
        decisions,
        action,
        gpc: false,
        client_time: format_millis(minted_ms),
        prev: None,
        widget_version: "0.1.0".into(),
    }
}

fn submit(claims: ReceiptClaims, seed: u8) -> SubmitReceipt {
    let visitor_signature = claims.subject_key.as_ref().map(|jwk| {
        let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(jwk.thumbprint()), typ: None };
        EdgeSigningKey::from_seed("v", [seed; 32])
            .sign_detached(&header, to_canonical_string(&claims).unwrap().as_bytes())
    });
    SubmitReceipt { claims, visitor_signature }
}

fn body(s: &SubmitReceipt) -> Vec<u8> {
    serde_json::to_vec(s).unwrap()
}

/// What an erasure leaves of a subject in the site's ledger (`erased_subject`), written by hand.
fn write_tombstone(_kv: &MemoryKv, subject: &str, erased_at_ms: i64, subject_signed: bool) {
    let sha: Vec<u8> = Sha256::digest(subject.as_bytes()).to_vec();
    submit::ledger_db()
        .exec(
            "INSERT INTO erased_subject (subject_sha256, erasure_id, erased_at_ms, subject_signed) VALUES (?, ?, ?, ?)",
            &[
                sha.into(),
                ulid_from_parts(erased_at_ms as u64, [0; 10]).into(),
                erased_at_ms.into(),
                i64::from(subject_signed).into(),
            ],
        )
        .unwrap();
}

/// What an erasure does to a receipt's leaf in the site's ledger, by hand: its entry and id go,
/// the id's hash is kept (a replay is refused).
fn erase_leaf(id: &str) {
    let db = submit::ledger_db();
    db.exec("UPDATE leaf SET entry = NULL, receipt_id = NULL, erased_by = 999 WHERE receipt_id = ?", &[id.into()])
        .unwrap();
    let sha: Vec<u8> = Sha256::digest(id.as_bytes()).to_vec();
    db.exec("INSERT INTO erased_id (id_sha256, idx, erased_by) VALUES (?, 0, 999)", &[sha.into()]).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Check, then store
// ---------------------------------------------------------------------------------------------

#[test]
fn checking_a_receipt_writes_nothing_and_storing_it_writes_it() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let s = svc(&kv, &keys, NOW);
    let before = kv.len();
    let checked =
        block_on(s.check_receipt(SITE, submit(claims(&sha, 1, NOW - 1000, Action::RejectAll, true), 1))).unwrap();
    assert_eq!(kv.len(), before, "a check stores nothing");
    assert_eq!(checked.subject(), claims(&sha, 1, NOW, Action::RejectAll, true).subject);
    let stored = block_on(s.submit_parsed(SITE, checked.into_submit())).unwrap();
    assert!(!stored.replayed);
    assert_eq!(kv.len(), before + 1, "the one record (no KV index: the ledger holds the rows)");
}

#[test]
fn a_forged_receipt_is_refused_by_the_check_before_any_budget_is_spent() {
    // The routes charge rate limits between check and store: what the check refuses never
    // reaches them. A forgery naming a real subject is refused by the check.
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let s = svc(&kv, &keys, NOW);
    block_on(s.submit_parsed(SITE, submit(claims(&sha, 2, NOW - 1000, Action::RejectAll, true), 2))).unwrap();
    let mut forged = submit(claims(&sha, 2, NOW - 500, Action::RejectAll, true), 2);
    forged.claims.action = Action::AcceptAll;
    forged.claims.decisions.values_mut().for_each(|d| *d = Decision::Granted);
    let reads_before = kv.reads.borrow().len();
    let err = block_on(s.check_receipt(SITE, forged)).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (422, "signature_invalid"));
    assert_eq!(kv.reads.borrow().len(), reads_before, "a bad signature costs no KV read once the policy is cached");
}

// ---------------------------------------------------------------------------------------------
// Erased history stays erased (tombstones written by hand: the erasure writes them elsewhere)
// ---------------------------------------------------------------------------------------------

#[test]
fn an_erased_receipt_posted_again_is_refused() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let original = submit(claims(&sha, 3, NOW - 60_000, Action::AcceptAll, true), 3);
    let subject = original.claims.subject.clone();
    // Accepted, then erased (record gone, tombstone left) a little later.
    block_on(svc(&kv, &keys, NOW - 59_000).submit_receipt(SITE, &body(&original))).unwrap();
    block_on(kv.delete(&kelisim_edge::keys::receipt(SITE, &original.claims.id))).unwrap();
    erase_leaf(&original.claims.id);
    write_tombstone(&kv, &subject, NOW - 30_000, true);
    let stored = kv.len();

    let later = svc(&kv, &keys, NOW);
    let err = block_on(later.submit_receipt(SITE, &body(&original))).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (410, "receipt_erased"));
    // Minted exactly at the erasure: still the erased history.
    let at = submit(claims(&sha, 3, NOW - 30_000, Action::RejectAll, true), 3);
    assert_eq!(block_on(later.submit_receipt(SITE, &body(&at))).unwrap_err().code, "receipt_erased");
    assert_eq!(kv.len(), stored, "nothing stored");
    // A new choice made after the erasure is the visitor starting again: accepted.
    let fresh = submit(claims(&sha, 3, NOW - 1000, Action::RejectAll, true), 3);
    assert!(!block_on(later.submit_receipt(SITE, &body(&fresh))).unwrap().replayed);
}

#[test]
fn an_unsigned_receipt_cannot_take_over_an_erased_signed_subject() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let unsigned = submit(claims(&sha, 4, NOW - 1000, Action::AcceptAll, false), 4);
    // No index entry is left after an erasure: only the tombstone says the subject signed.
    write_tombstone(&kv, &unsigned.claims.subject, NOW - 30_000, true);
    let stored = kv.len();
    let err = block_on(svc(&kv, &keys, NOW).submit_receipt(SITE, &body(&unsigned))).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (409, "subject_requires_signature"));
    assert_eq!(kv.len(), stored);
}

#[test]
fn an_unsigned_subject_erased_may_start_again_unsigned() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let unsigned = submit(claims(&sha, 5, NOW - 1000, Action::RejectAll, false), 5);
    write_tombstone(&kv, &unsigned.claims.subject, NOW - 30_000, false);
    assert!(block_on(svc(&kv, &keys, NOW).submit_receipt(SITE, &body(&unsigned))).is_ok());
    // …but its erased receipts stay erased.
    let old = submit(claims(&sha, 5, NOW - 40_000, Action::RejectAll, false), 5);
    assert_eq!(block_on(svc(&kv, &keys, NOW).submit_receipt(SITE, &body(&old))).unwrap_err().code, "receipt_erased");
}

#[test]
fn the_tombstone_read_failing_is_a_503_and_stores_nothing() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let s = svc(&kv, &keys, NOW);
    // Warm the policy cache of this service, then fail KV: the parallel reads (tombstone among
    // them) fail and nothing is written.
    block_on(s.submit_parsed(SITE, submit(claims(&sha, 6, NOW - 1000, Action::RejectAll, true), 6))).unwrap();
    let stored = kv.len();
    kv.failing.set(true);
    let err =
        block_on(s.submit_parsed(SITE, submit(claims(&sha, 7, NOW - 1000, Action::RejectAll, true), 7))).unwrap_err();
    kv.failing.set(false);
    assert_eq!((err.status, err.code.as_str()), (503, "storage_unavailable"));
    assert_eq!(kv.len(), stored);
}

// ---------------------------------------------------------------------------------------------
// One header spelling, ids in the clock window
// ---------------------------------------------------------------------------------------------

#[test]
fn a_reordered_or_extended_visitor_header_is_refused() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let good = submit(claims(&sha, 8, NOW - 1000, Action::RejectAll, true), 8);
    let subject = good.claims.subject.clone();
    let payload = to_canonical_string(&good.claims).unwrap();
    let visitor = EdgeSigningKey::from_seed("v", [8; 32]);
    let with_typ = JwsHeader { alg: JWS_ALG.into(), kid: Some(subject.clone()), typ: Some("JWT".into()) };
    let extra =
        SubmitReceipt { visitor_signature: Some(visitor.sign_detached(&with_typ, payload.as_bytes())), ..good.clone() };
    let reordered_header = b64url_encode(format!(r#"{{"kid":"{subject}","alg":"EdDSA"}}"#).as_bytes());
    let signature = good.visitor_signature.as_deref().unwrap().rsplit('.').next().unwrap();
    let reordered =
        SubmitReceipt { visitor_signature: Some(format!("{reordered_header}..{signature}")), ..good.clone() };
    let s = svc(&kv, &keys, NOW);
    for bad in [extra, reordered] {
        let err = block_on(s.submit_receipt(SITE, &body(&bad))).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (422, "signature_invalid"));
    }
    // The canonical one is accepted, and is the one stored under the id.
    assert!(block_on(s.submit_receipt(SITE, &body(&good))).is_ok());
}

#[test]
fn a_receipt_id_minted_far_from_the_edge_clock_is_refused() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let sha = setup(&kv, &keys);
    let mut c = claims(&sha, 9, NOW - 1000, Action::RejectAll, true);
    c.id = ulid_from_parts((NOW + 400 * 86_400_000) as u64, [9; 10]);
    let err = block_on(svc(&kv, &keys, NOW).submit_receipt(SITE, &body(&submit(c, 9)))).unwrap_err();
    assert_eq!((err.status, err.code.as_str()), (422, "invalid_id"));
}

// ---------------------------------------------------------------------------------------------
// Site origins
// ---------------------------------------------------------------------------------------------

#[test]
fn site_origins_are_stored_as_browsers_send_them() {
    let (kv, keys) = (MemoryKv::default(), ring());
    let s = svc(&kv, &keys, NOW);
    let put = br#"{"origins":["https://SHOP.EXAMPLE","https://shop.example:443","http://Localhost:8080"]}"#;
    block_on(s.put_site("shop", put)).unwrap();
    let stored: Value = serde_json::from_str(&block_on(kv.get("site/shop")).unwrap().unwrap()).unwrap();
    assert_eq!(stored["origins"], serde_json::json!(["https://shop.example", "http://localhost:8080"]));
    for bad in ["http://:", "https://shop.example/", "https://user@shop.example", "ftp://shop.example"] {
        let body = format!(r#"{{"origins":["{bad}"]}}"#);
        let err = block_on(s.put_site("shop", body.as_bytes())).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (422, "invalid_origin"), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Only the visitor changes their answer: material policy changes
// ---------------------------------------------------------------------------------------------

fn next_policy(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut p: Value = serde_json::from_str(POLICY).unwrap();
    p["version"] = 2.into();
    p["material"] = false.into();
    edit(&mut p);
    serde_json::to_vec(&p).unwrap()
}

fn category_index(p: &Value, id: &str) -> usize {
    p["categories"].as_array().unwrap().iter().position(|c| c["id"] == id).unwrap()
}

#[test]
fn a_non_material_version_that_could_grant_a_denial_is_refused() {
    let (kv, keys) = (MemoryKv::default(), ring());
    setup(&kv, &keys);
    let s = svc(&kv, &keys, NOW);
    let default_on = |p: &mut Value| {
        let i = category_index(p, "marketing");
        p["categories"][i]["default"] = true.into();
    };
    let removed = |p: &mut Value| {
        let i = category_index(p, "analytics");
        p["categories"].as_array_mut().unwrap().remove(i);
    };
    for (what, body) in [("default on", next_policy(default_on)), ("removed", next_policy(removed))] {
        let stored = kv.len();
        let err = block_on(s.publish_policy(SITE, &body)).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (422, "policy_change_not_material"), "{what}");
        assert_eq!(kv.len(), stored, "{what}: nothing published");
    }
    // Locking marketing on (issue 10 case 2) is refused whatever the material flag.
    let locked = next_policy(|p| {
        let i = category_index(p, "marketing");
        p["categories"][i]["switchable"] = false.into();
        p["categories"][i]["default"] = true.into();
        p["material"] = true.into();
    });
    assert_eq!(block_on(s.publish_policy(SITE, &locked)).unwrap_err().code, "category_locked");
    // The same default change published as material asks everyone again: accepted.
    let material = next_policy(|p| {
        default_on(p);
        p["material"] = true.into();
    });
    let stored = block_on(s.publish_policy(SITE, &material)).unwrap();
    assert_eq!((stored.policy.version, stored.last_material_version), (2, 2));
    // A harmless non-material change (a text edit) still publishes.
    let text_only = next_policy(|p| {
        p["version"] = 3.into();
        p["effective_date"] = "2026-12-01".into();
    });
    assert!(block_on(s.publish_policy(SITE, &text_only)).is_ok());
}
