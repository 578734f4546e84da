//! A receipt submission body as the edge receives it (`POST /v1/sites/{site}/receipts`):
//! strict parsing, the shape checks, the claims hash, the visitor's detached JWS, and the
//! canonical form (RFC 8785) that the visitor signs and the hash chain links.
#![no_main]

use kelisim_core::receipt::{ReceiptClaims, SubmitReceipt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(submit) = serde_json::from_slice::<SubmitReceipt>(data) else { return };
    let claims = &submit.claims;

    // Seeds are made for site "s" (see examples/make_seeds.rs) so mutations get past the
    // site check and reach the later ones.
    let shape = claims.validate_shape("s");
    let signature = claims.verify_visitor_signature(submit.visitor_signature.as_deref());

    // Claims hold only strings, u32s, booleans and maps: they always have a canonical form.
    let canonical = claims.canonical().expect("receipt claims must always canonicalise");
    let hash = claims.hash().expect("receipt claims must always hash");
    assert_eq!(hash, kelisim_core::canonical::sha256_hex(canonical.as_bytes()));
    assert!(kelisim_core::canonical::is_sha256_hex(&hash));

    // Round trip: the canonical text parses back to the same claims and is a fixed point.
    let back: ReceiptClaims = serde_json::from_str(&canonical)
        .unwrap_or_else(|e| panic!("canonical claims do not parse back: {e}\n{canonical}"));
    assert_eq!(&back, claims, "canonical claims parse back to different claims");
    assert_eq!(back.canonical().ok().as_deref(), Some(canonical.as_str()), "canonical form is not a fixed point");

    // A signature can only verify for claims whose key is a valid point whose thumbprint is
    // the subject, which is exactly what the shape check requires of a key.
    if signature.is_ok() && submit.visitor_signature.is_some() {
        let key = claims.subject_key.as_ref().expect("a verified signature needs a key");
        assert!(key.verifying_key().is_ok());
        if shape.is_ok() {
            assert_eq!(key.thumbprint(), claims.subject);
        }
    }
});
