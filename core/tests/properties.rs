//! Property tests: canonical JSON is idempotent and independent of member order; JWS signing
//! round-trips; no single-byte change to a compact JWS still verifies.
#![allow(clippy::unwrap_used)]

use kelisim_core::canonical::{canonicalize_value, to_canonical_string};
use kelisim_core::sign::*;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Number, Value};

/// Largest integer canonical JSON accepts (2^53 − 1).
const MAX_SAFE: i64 = (1 << 53) - 1;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, ..ProptestConfig::default() }
}

/// Ed25519 is slow in unoptimised test builds (tens of milliseconds for a case that signs and
/// verifies several times), so the full round trip runs fewer cases to keep the suite fast.
fn signing_config() -> ProptestConfig {
    ProptestConfig { cases: 64, ..ProptestConfig::default() }
}

/// Any string: every `char` is possible, including controls, astral characters (surrogate pairs
/// in UTF-16, which decide the member order) and non-characters.
fn any_string() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z]{0,6}", prop::collection::vec(any::<char>(), 0..8).prop_map(|cs| cs.into_iter().collect()),]
}

/// JSON values of the canonical subset: no floats, integers within ±(2^53 − 1), bounded depth.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-MAX_SAFE..=MAX_SAFE).prop_map(|i| Value::Number(Number::from(i))),
        (-1000_i64..1000).prop_map(|i| Value::Number(Number::from(i))),
        any_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any_string(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Writes `value` as JSON text with object members in a rotated-and-maybe-reversed order and
/// with whitespace between tokens: a valid but non-canonical rendering.
fn write_scrambled(out: &mut String, value: &Value, salt: usize) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if !entries.is_empty() {
                let len = entries.len();
                entries.rotate_left(salt % len);
            }
            if salt % 2 == 1 {
                entries.reverse();
            }
            out.push_str("{ ");
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\n");
                }
                out.push_str(&serde_json::to_string(key).unwrap());
                out.push_str(" : ");
                write_scrambled(out, item, salt.wrapping_mul(31).wrapping_add(i));
            }
            out.push_str(" }");
        }
        Value::Array(items) => {
            out.push_str("[\t");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_scrambled(out, item, salt.wrapping_add(i + 1));
            }
            out.push_str(" ]");
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

/// Rebuilds every object by inserting its members in reverse order.
fn reinserted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut rebuilt = Map::new();
            for (key, item) in map.iter().rev() {
                rebuilt.insert(key.clone(), reinserted(item));
            }
            Value::Object(rebuilt)
        }
        Value::Array(items) => Value::Array(items.iter().map(reinserted).collect()),
        other => other.clone(),
    }
}

fn header(kid: &str, typ: Option<&str>) -> JwsHeader {
    JwsHeader { alg: JWS_ALG.into(), kid: Some(kid.into()), typ: typ.map(Into::into) }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn canonicalize_is_idempotent(value in json_value()) {
        let first = canonicalize_value(&value).unwrap();
        let parsed: Value = serde_json::from_str(&first).unwrap();
        prop_assert_eq!(&parsed, &value);
        let second = canonicalize_value(&parsed).unwrap();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(to_canonical_string(&value).unwrap(), first);
    }

    #[test]
    fn canonicalize_ignores_member_order(value in json_value(), salt in any::<usize>()) {
        let expected = canonicalize_value(&value).unwrap();
        let mut text = String::new();
        write_scrambled(&mut text, &value, salt);
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonicalize_value(&reparsed).unwrap(), expected.clone());
        prop_assert_eq!(canonicalize_value(&reinserted(&value)).unwrap(), expected);
    }

    #[test]
    fn any_single_byte_change_is_refused(
        seed in any::<[u8; 32]>(),
        payload in prop::collection::vec(any::<u8>(), 0..64),
        position in any::<Index>(),
        delta in 1_u8..=255,
    ) {
        let key = EdgeSigningKey::from_seed("k", seed);
        let jws = key.sign_compact(&header("k", Some(RECEIPT_JWS_TYP)), &payload);
        let mut bytes = jws.clone().into_bytes();
        let i = position.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        // Bytes that are not UTF-8 cannot even be handed to the verifier: refused by parsing.
        if let Ok(tampered) = String::from_utf8(bytes) {
            prop_assert_ne!(&tampered, &jws);
            let jwks = Jwks { keys: vec![key.jwks_entry()] };
            prop_assert!(verify_compact(&tampered, &jwks, None).is_err());
            prop_assert!(verify_compact_with_key(&tampered, &key.public_jwk(), None).is_err());
        }
    }

    #[test]
    fn b64url_round_trips_and_is_canonical(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let text = b64url_encode(&bytes);
        prop_assert_eq!(b64url_decode(&text).unwrap(), bytes);
        let padded = format!("{text}=");
        prop_assert!(b64url_decode(&padded).is_err());
    }

    #[test]
    fn b64url_decode_never_panics(text in "[A-Za-z0-9_=+/ -]{0,16}") {
        if let Ok(bytes) = b64url_decode(&text) {
            prop_assert_eq!(b64url_encode(&bytes), text);
        }
    }
}

proptest! {
    #![proptest_config(signing_config())]
    #[test]
    fn sign_verify_round_trip(
        seed in any::<[u8; 32]>(),
        payload in prop::collection::vec(any::<u8>(), 0..512),
        kid in "[A-Za-z0-9_-]{1,24}",
        typ in prop::option::of("[a-z+]{1,12}"),
    ) {
        let key = EdgeSigningKey::from_seed(kid.clone(), seed);
        let h = header(&kid, typ.as_deref());
        let jws = key.sign_compact(&h, &payload);
        let jwks = Jwks { keys: vec![key.jwks_entry()] };
        let (got_header, got_payload) = verify_compact(&jws, &jwks, typ.as_deref()).unwrap();
        prop_assert_eq!(got_header, h.clone());
        prop_assert_eq!(&got_payload, &payload);
        prop_assert_eq!(verify_compact_with_key(&jws, &key.public_jwk(), Some(&kid)).unwrap(), payload.clone());

        // A detached JWS has one header: `alg` and `kid`, nothing else.
        let detached = key.sign_detached(&header(&kid, None), &payload);
        prop_assert_eq!(verify_detached(&detached, &payload, &key.public_jwk(), &kid), Ok(()));
        if typ.is_some() {
            prop_assert!(verify_detached(&key.sign_detached(&h, &payload), &payload, &key.public_jwk(), &kid).is_err());
        }
        let seed_b64 = b64url_encode(&seed);
        let again = EdgeSigningKey::from_seed_b64url(kid.clone(), &seed_b64).unwrap();
        prop_assert_eq!(again.public_jwk(), key.public_jwk());
        prop_assert_eq!(key.public_jwk().thumbprint().len(), 43);
    }
}
