//! JWS verification over hostile text: the edge's compact countersignature (against a JWKS of
//! two keys, `typ` pinned), the same with one known key, and the visitor's detached form.
//! Never panics; accepts nothing the harness did not sign; everything it signs verifies.
//!
//! Input: `JWS` or `JWS\nPAYLOAD` (the payload is what the detached form is checked over).
#![no_main]

use kelisim_core::sign::{
    b64url_decode, verify_compact, verify_compact_with_key, verify_detached, EdgeSigningKey, Jwks, JwsHeader, JWS_ALG,
    RECEIPT_JWS_TYP,
};
use libfuzzer_sys::fuzz_target;

/// The fixed keys the seeds were signed with (see examples/make_seeds.rs).
pub const CURRENT: (&str, [u8; 32]) = ("edge-2026-02", [0x11; 32]);
pub const PREVIOUS: (&str, [u8; 32]) = ("edge-2026-01", [0x22; 32]);
pub const VISITOR_KID: &str = "visitor";

fn key((kid, seed): (&str, [u8; 32])) -> EdgeSigningKey {
    EdgeSigningKey::from_seed(kid, seed)
}

fn header_of(jws: &str) -> JwsHeader {
    let h = jws.split('.').next().expect("split yields one segment");
    let json = b64url_decode(h).expect("a verified JWS has a strict base64url header");
    serde_json::from_slice(&json).expect("a verified JWS has a valid header")
}

fuzz_target!(|data: &[u8]| {
    let (jws_bytes, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(jws) = std::str::from_utf8(jws_bytes) else { return };
    let (current, previous) = (key(CURRENT), key(PREVIOUS));
    let jwks = Jwks { keys: vec![current.jwks_entry(), previous.jwks_entry()] };

    // Anything that verifies must be, byte for byte, what the key signs for that header and
    // payload (Ed25519 is deterministic and base64url is decoded strictly): no malleability.
    if let Ok((header, body)) = verify_compact(jws, &jwks, Some(RECEIPT_JWS_TYP)) {
        assert_eq!(header.alg, JWS_ALG);
        assert_eq!(header.typ.as_deref(), Some(RECEIPT_JWS_TYP));
        let signer = if header.kid.as_deref() == Some(CURRENT.0) { &current } else { &previous };
        assert_eq!(header.kid.as_deref(), Some(signer.kid()));
        assert_eq!(jws, signer.sign_compact(&header, &body), "a JWS verified that the key did not make");
    }
    if let Ok(body) = verify_compact(jws, &jwks, None).map(|(_, b)| b) {
        let header = header_of(jws);
        let signer = if header.kid.as_deref() == Some(CURRENT.0) { &current } else { &previous };
        assert_eq!(jws, signer.sign_compact(&header, &body));
    }
    for expected_kid in [Some(CURRENT.0), None] {
        if let Ok(body) = verify_compact_with_key(jws, &current.public_jwk(), expected_kid) {
            assert_eq!(jws, current.sign_compact(&header_of(jws), &body));
        }
    }
    let visitor = EdgeSigningKey::from_seed(VISITOR_KID, [0x33; 32]);
    if verify_detached(jws, payload, &visitor.public_jwk(), VISITOR_KID).is_ok() {
        let header = header_of(jws);
        assert_eq!(header.kid.as_deref(), Some(VISITOR_KID));
        assert_eq!(jws, visitor.sign_detached(&header, payload), "a detached JWS verified that the key did not make");
    }

    // Everything the harness signs verifies: the fuzzed payload and a fuzzed (string) kid.
    let kid = std::str::from_utf8(payload).ok().filter(|k| !k.is_empty() && k.len() <= 64);
    let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(current.kid().into()), typ: Some(RECEIPT_JWS_TYP.into()) };
    let signed = current.sign_compact(&header, payload);
    if payload.len() <= 64 * 1024 {
        let (h, body) = verify_compact(&signed, &jwks, Some(RECEIPT_JWS_TYP)).expect("own compact JWS must verify");
        assert_eq!((h, body.as_slice()), (header, payload));
        assert_eq!(verify_compact_with_key(&signed, &current.public_jwk(), Some(CURRENT.0)).as_deref(), Ok(payload));
    }
    let detached =
        visitor.sign_detached(&JwsHeader { alg: JWS_ALG.into(), kid: Some(VISITOR_KID.into()), typ: None }, payload);
    assert_eq!(verify_detached(&detached, payload, &visitor.public_jwk(), VISITOR_KID), Ok(()));
    if let Some(kid) = kid {
        let own = EdgeSigningKey::from_seed(kid, [0x44; 32]);
        let h = JwsHeader { alg: JWS_ALG.into(), kid: Some(kid.into()), typ: None };
        let detached = own.sign_detached(&h, jws.as_bytes());
        assert_eq!(verify_detached(&detached, jws.as_bytes(), &own.public_jwk(), kid), Ok(()));
        // The same signature over any other payload is refused.
        if !jws.is_empty() {
            assert!(verify_detached(&detached, payload, &own.public_jwk(), kid).is_err() || payload == jws.as_bytes());
        }
    }
});
