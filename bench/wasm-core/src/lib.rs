//! Loops over the core receipt pieces, exported without any import so V8 can run them bare.
//! Each `bench_*` runs its piece `n` times over one fixed, valid receipt and returns a checksum
//! (so nothing is optimised away); `setup` builds that receipt (call it first).
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::BTreeMap;

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, Receipt, ReceiptClaims, SubmitReceipt};
use kelisim_core::sign::{EdgeSigningKey, JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;

const NOW: i64 = 1_795_398_005_123;

struct State {
    submit: SubmitReceipt,
    json: Vec<u8>,
    edge: EdgeSigningKey,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

#[no_mangle]
pub extern "C" fn setup() {
    let visitor = EdgeSigningKey::from_seed("v", [9; 32]);
    let jwk = visitor.public_jwk();
    let decisions: BTreeMap<String, Decision> =
        ["necessary", "analytics", "marketing", "cross_border", "ai_processing"]
            .iter()
            .map(|c| (c.to_string(), if *c == "necessary" { Decision::Granted } else { Decision::Denied }))
            .collect();
    let claims = ReceiptClaims {
        schema: 1,
        id: ulid_from_parts(NOW as u64, [3; 10]),
        site: "crm-demo".into(),
        subject: jwk.thumbprint(),
        subject_key: Some(jwk.clone()),
        policy: PolicyRef { version: 1, sha256: "a".repeat(64), language: "ru".into() },
        decisions,
        action: Action::RejectAll,
        gpc: false,
        client_time: format_millis(NOW - 1000),
        prev: None,
        widget_version: "0.1.0".into(),
    };
    let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(jwk.thumbprint()), typ: None };
    let sig = visitor.sign_detached(&header, to_canonical_string(&claims).unwrap().as_bytes());
    let submit = SubmitReceipt { claims, visitor_signature: Some(sig) };
    let json = serde_json::to_vec(&submit).unwrap();
    let edge = EdgeSigningKey::from_seed("edge", [5; 32]);
    STATE.with(|s| *s.borrow_mut() = Some(State { submit, json, edge }));
}

fn with<R>(f: impl FnOnce(&State) -> R) -> R {
    STATE.with(|s| f(s.borrow().as_ref().unwrap()))
}

#[no_mangle]
pub extern "C" fn bench_canonical(n: u32) -> u32 {
    with(|s| (0..n).map(|_| s.submit.claims.canonical().unwrap().len() as u32).fold(0, u32::wrapping_add))
}

#[no_mangle]
pub extern "C" fn bench_parse(n: u32) -> u32 {
    with(|s| {
        (0..n)
            .map(|_| serde_json::from_slice::<SubmitReceipt>(&s.json).unwrap().claims.id.len() as u32)
            .fold(0, u32::wrapping_add)
    })
}

#[no_mangle]
pub extern "C" fn bench_verify(n: u32) -> u32 {
    with(|s| {
        (0..n)
            .map(|_| u32::from(s.submit.claims.verify_visitor_signature(s.submit.visitor_signature.as_deref()).is_ok()))
            .sum()
    })
}

#[no_mangle]
pub extern "C" fn bench_accept(n: u32) -> u32 {
    with(|s| {
        (0..n).map(|_| Receipt::accept(s.submit.clone(), NOW).unwrap().hash.len() as u32).fold(0, u32::wrapping_add)
    })
}

#[no_mangle]
pub extern "C" fn bench_countersign(n: u32) -> u32 {
    with(|s| {
        let accepted = Receipt::accept(s.submit.clone(), NOW).unwrap();
        (0..n).map(|_| accepted.clone().countersign(&s.edge).unwrap().jws.len() as u32).fold(0, u32::wrapping_add)
    })
}
