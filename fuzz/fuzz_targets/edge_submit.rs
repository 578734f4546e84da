//! The edge's whole receipt path, natively over the in-memory KV: `Service::submit_receipt`
//! parses, validates against the published policy, verifies the visitor's signature,
//! countersigns and stores. Checks: no panic; an error stores nothing and is a client error;
//! an accepted receipt verifies offline against the JWKS; a replay returns the same receipt and
//! stores nothing new; another receipt under the same id is refused.
//!
//! Input: a receipt submission body (JSON). Site `s`, the policy of fixtures/minimal-policy.json
//! published as version 1, the edge clock at 2026-11-23T00:05:00.000Z.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use kelisim_core::receipt::SubmitReceipt;
use kelisim_core::time::format_millis;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::MemoryKv;
use kelisim_edge::service::Service;
use libfuzzer_sys::fuzz_target;

const POLICY: &str = include_str!("../fixtures/minimal-policy.json");
const NOW_MS: i64 = 1_795_392_300_000;
/// Two edge keys: the first signs, both are in the JWKS.
const KEYS: &str =
    "edge-b:ERERERERERERERERERERERERERERERERERERERERERE,edge-a:IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI";

/// Drives a future whose every await is ready at once (MemoryKv never waits).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let keys = Keyring::parse(KEYS).expect("fixed keyring");
    let kv = MemoryKv::default();
    let svc = Service { kv: &kv, keys: &keys, now_ms: NOW_MS };
    block_on(svc.put_site("s", br#"{"origins":["https://s.example"]}"#)).expect("site");
    block_on(svc.publish_policy("s", POLICY.as_bytes())).expect("policy");
    let before = kv.len();

    match block_on(svc.submit_receipt("s", data)) {
        Err(e) => {
            assert!(matches!(e.status, 400 | 404 | 409 | 422), "status {} ({}) for a submission", e.status, e.code);
            assert_eq!(kv.len(), before, "a refused submission stored something");
        }
        Ok(first) => {
            assert!(!first.replayed);
            let parsed: SubmitReceipt = serde_json::from_slice(data).expect("accepted bodies parse");
            assert_eq!(first.signed.receipt.claims, parsed.claims);
            assert_eq!(first.signed.receipt.visitor_signature, parsed.visitor_signature);
            assert_eq!(first.signed.receipt.server_time, format_millis(NOW_MS));
            let verification = first.signed.verify(&keys.jwks());
            assert!(verification.is_valid(), "an accepted receipt does not verify: {verification:?}");
            assert_eq!(verification.kid.as_deref(), Some("edge-b"));
            // The record and its two index entries.
            assert_eq!(kv.len(), before + 3);
            assert_eq!(block_on(svc.receipt("s", &parsed.claims.id)).ok().as_ref(), Some(&first.signed));

            let again = block_on(svc.submit_receipt("s", data)).expect("a replay is accepted");
            assert!(again.replayed);
            assert_eq!(again.signed, first.signed);
            assert_eq!(kv.len(), before + 3, "a replay stored something new");

            // The same id with other content is refused (409, or 422 when the change is invalid).
            let mut other = parsed;
            other.claims.widget_version.push_str("-x");
            let body = serde_json::to_vec(&other).expect("json");
            let err = block_on(svc.submit_receipt("s", &body)).expect_err("another receipt under a taken id");
            assert!(matches!(err.status, 409 | 422), "{} {}", err.status, err.code);
            assert_eq!(kv.len(), before + 3);
            assert_eq!(block_on(svc.receipt("s", &other.claims.id)).ok().as_ref(), Some(&first.signed));
        }
    }
});
