//! Published test vectors: RFC 8037 Appendix A (Ed25519 JWK, thumbprint, JWS) and RFC 8785
//! (canonical JSON) for the subset Kelisim uses (no floats).
#![allow(clippy::unwrap_used)]

use kelisim_core::canonical::{canonicalize_value, to_canonical_string};
use kelisim_core::sign::*;
use serde_json::{json, Value};

/// RFC 8037 A.1: the private key's `d` (the Ed25519 seed; RFC 8032 §7.1 TEST 1).
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
/// RFC 8037 A.1/A.2: the public key's `x`.
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// RFC 8037 A.3: the RFC 7638 thumbprint of the A.2 public key.
const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// RFC 8037 A.4: the payload signed.
const RFC8037_PAYLOAD: &[u8] = b"Example of Ed25519 signing";
/// RFC 8037 A.4: the resulting compact JWS (protected header `{"alg":"EdDSA"}`).
const RFC8037_JWS: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

fn rfc8037_key() -> EdgeSigningKey {
    EdgeSigningKey::from_seed_b64url("rfc8037", RFC8037_D).unwrap()
}

fn rfc8037_public() -> PublicJwk {
    PublicJwk { kty: "OKP".into(), crv: "Ed25519".into(), x: RFC8037_X.into() }
}

fn alg_only() -> JwsHeader {
    JwsHeader { alg: "EdDSA".into(), kid: None, typ: None }
}

#[test]
fn rfc8037_a1_a2_private_to_public() {
    // The seed is RFC 8032 TEST 1's secret key; x is its public key.
    assert_eq!(
        b64url_decode(RFC8037_D).unwrap(),
        [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49,
            0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
        ]
    );
    assert_eq!(rfc8037_key().public_jwk(), rfc8037_public());
    assert!(rfc8037_public().verifying_key().is_ok());
}

#[test]
fn rfc8037_a3_thumbprint() {
    assert_eq!(rfc8037_public().thumbprint(), RFC8037_THUMBPRINT);
    assert_eq!(rfc8037_key().public_jwk().thumbprint(), RFC8037_THUMBPRINT);
}

#[test]
fn rfc8037_a4_signing() {
    assert_eq!(rfc8037_key().sign_compact(&alg_only(), RFC8037_PAYLOAD), RFC8037_JWS);
    // The detached form carries the same header and signature.
    let detached = rfc8037_key().sign_detached(&alg_only(), RFC8037_PAYLOAD);
    let parts: Vec<&str> = RFC8037_JWS.split('.').collect();
    assert_eq!(detached, format!("{}..{}", parts[0], parts[2]));
}

#[test]
fn rfc8037_a5_verification() {
    let payload = verify_compact_with_key(RFC8037_JWS, &rfc8037_public(), None).unwrap();
    assert_eq!(payload, RFC8037_PAYLOAD);
    // The vector has no kid: a kid-pinning or JWKS verifier must refuse it.
    assert_eq!(verify_compact_with_key(RFC8037_JWS, &rfc8037_public(), Some("rfc8037")), Err(JwsError::KeyId));
    let jwks = Jwks { keys: vec![rfc8037_key().jwks_entry()] };
    assert_eq!(verify_compact(RFC8037_JWS, &jwks, None), Err(JwsError::KeyId));
    // With a kid, through a JWKS.
    let header = JwsHeader { kid: Some("rfc8037".into()), ..alg_only() };
    let jws = rfc8037_key().sign_compact(&header, RFC8037_PAYLOAD);
    let (h, p) = verify_compact(&jws, &jwks, None).unwrap();
    assert_eq!((h, p.as_slice()), (header, RFC8037_PAYLOAD));
}

fn canon(text: &str) -> String {
    canonicalize_value(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

#[test]
fn rfc8785_3_2_2_example_without_floats() {
    // RFC 8785 §3.2.2's input with its "numbers" member (all floats) left out.
    let input = r#"{
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"#;
    let expected = "{\"literals\":[null,true,false],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assert_eq!(canon(input), expected);
    assert_eq!(canon(input), r#"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#);
}

#[test]
fn rfc8785_3_2_2_numbers_are_refused() {
    let input = r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}"#;
    let err = canonicalize_value(&serde_json::from_str(input).unwrap()).unwrap_err();
    assert_eq!(err.code(), "not_canonical");
}

#[test]
fn rfc8785_3_2_3_sorting() {
    let input = r#"{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    // Sorted by UTF-16 code units: U+000D, U+0031, U+0080, U+00F6, U+20AC, U+D83D (the emoji's
    // high surrogate), U+FB33 — the emoji sorts before U+FB33 although its code point is larger.
    let expected = concat!(
        "{\"\\r\":\"Carriage Return\",",
        "\"1\":\"One\",",
        "\"\u{80}\":\"Control\",",
        "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",",
        "\"\u{20ac}\":\"Euro Sign\",",
        "\"\u{1f600}\":\"Emoji: Grinning Face\",",
        "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
    assert_eq!(canon(input), expected);
}

#[test]
fn rfc8785_string_escaping() {
    let cases: &[(&str, &str)] = &[
        ("\u{0}", r#""\u0000""#),
        ("\u{f}", r#""\u000f""#),
        ("\u{1f}", r#""\u001f""#),
        ("\u{1b}", r#""\u001b""#),
        ("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
        ("\"\\", r#""\"\\""#),
        ("a/b", r#""a/b""#),
        ("\u{7f}", "\"\u{7f}\""),
        ("é€😀\u{2028}", "\"é€😀\u{2028}\""),
        ("'<>&", r#""'<>&""#),
    ];
    for (value, expected) in cases {
        assert_eq!(to_canonical_string(value).unwrap(), *expected, "{value:?}");
        assert_eq!(canonicalize_value(&Value::String((*value).into())).unwrap(), *expected);
    }
}

#[test]
fn rfc8785_literals_integers_and_structure() {
    assert_eq!(canon(" [ null , true , false , 0 , 1 , -1 , [ ] , { } ] "), "[null,true,false,0,1,-1,[],{}]");
    assert_eq!(
        canon(r#"{"b":[{"d":1,"c":2}],"a":{"z":null,"y":"x"}}"#),
        r#"{"a":{"y":"x","z":null},"b":[{"c":2,"d":1}]}"#
    );
    assert_eq!(to_canonical_string(&json!(9_007_199_254_740_991_u64)).unwrap(), "9007199254740991");
    assert_eq!(to_canonical_string(&json!(-9_007_199_254_740_991_i64)).unwrap(), "-9007199254740991");
}

#[test]
fn floats_are_refused() {
    // serde_json reads `-0` as the float -0.0, so it is refused too (RFC 8785 would write `0`).
    for text in ["1.5", "1.0", "1e2", "-0.0", "-0", "[0.1]", r#"{"a":{"b":2.5}}"#] {
        let err = canonicalize_value(&serde_json::from_str(text).unwrap()).unwrap_err();
        assert_eq!(err.code(), "not_canonical", "{text}");
    }
    assert_eq!(to_canonical_string(&1.5_f64).unwrap_err().code(), "not_canonical");
}

#[test]
fn integers_beyond_2_pow_53_are_refused() {
    for text in ["9007199254740992", "-9007199254740992", "18446744073709551615", "-9223372036854775808"] {
        let err = canonicalize_value(&serde_json::from_str(text).unwrap()).unwrap_err();
        assert_eq!(err.code(), "not_canonical", "{text}");
    }
    assert_eq!(to_canonical_string(&(1_u64 << 53)).unwrap_err().code(), "not_canonical");
    assert_eq!(to_canonical_string(&i64::MIN).unwrap_err().code(), "not_canonical");
}
