//! The Art. 8(4) fields of a policy: validated when present, part of the content hash, and
//! absent from policies that do not state them (whose hash therefore does not change).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use kelisim_core::canonical::canonicalize_value;
use kelisim_core::consent_terms::{ConsentTerm, ConsentTerms, CrossBorder, ThirdParty};
use kelisim_core::policy::Policy;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const DEMO: &str = include_str!("../../www/demo/policies/crm-demo.json");

fn demo() -> Policy {
    serde_json::from_str(DEMO).unwrap()
}

fn ru(text: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("ru".to_owned(), text.to_owned())])
}

fn terms() -> ConsentTerms {
    ConsentTerms {
        term: Some(ConsentTerm {
            months: None, text: ru("До отзыва согласия или достижения целей обработки.")
        }),
        third_parties: vec![
            ThirdParty {
                name: "Meta Platforms (WhatsApp Business API)".into(),
                purpose: ru("Доставка сообщений"),
                country: Some("US".into()),
            },
            ThirdParty { name: "Telegram".into(), purpose: BTreeMap::new(), country: None },
        ],
        cross_border: Some(CrossBorder {
            transfers: true,
            countries: vec!["DE".into(), "US".into()],
            text: ru("Серверы вне Республики Казахстан."),
        }),
        data_collected: BTreeMap::from([(
            "analytics".to_owned(),
            BTreeMap::from([("ru".to_owned(), vec!["IP-адрес".to_owned(), "cookie".to_owned()])]),
        )]),
    }
}

fn with_terms() -> Policy {
    let mut p = demo();
    p.operator.bin_iin = Some("061211600012".into());
    p.consent = Some(terms());
    p
}

fn code(p: &Policy) -> &'static str {
    p.validate().unwrap_err().code()
}

#[test]
fn a_policy_without_the_fields_keeps_its_hash_and_shape() {
    let p = demo();
    assert_eq!(p.operator.bin_iin, None);
    assert_eq!(p.consent, None);
    let raw: Value = serde_json::from_str(DEMO).unwrap();
    let raw_hash = hex(&Sha256::digest(canonicalize_value(&raw).unwrap().as_bytes()));
    assert_eq!(p.content_hash().unwrap(), raw_hash, "the hash over the file as written");
    let out = serde_json::to_value(&p).unwrap();
    assert!(out.get("consent").is_none() && out["operator"].get("bin_iin").is_none());
}

#[test]
fn the_fields_validate_and_are_bound_by_the_hash() {
    let p = with_terms();
    p.validate().unwrap();
    let base = demo().content_hash().unwrap();
    let hash = p.content_hash().unwrap();
    assert_ne!(hash, base);
    let back: Policy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);

    let mut other = p.clone();
    other.consent.as_mut().unwrap().cross_border.as_mut().unwrap().countries.push("FR".into());
    assert_ne!(other.content_hash().unwrap(), hash, "a new country changes the hash");
    let mut other = p.clone();
    other.consent.as_mut().unwrap().third_parties.pop();
    assert_ne!(other.content_hash().unwrap(), hash, "a third party removed changes the hash");
    let mut other = p;
    other.operator.bin_iin = None;
    assert_ne!(other.content_hash().unwrap(), hash, "the BIN is bound too");
}

#[test]
fn bad_fields_are_refused_with_stable_codes() {
    type Mutation = Box<dyn Fn(&mut Policy)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("invalid_id", Box::new(|p| p.operator.bin_iin = Some("061211600013".into()))),
        ("invalid_id", Box::new(|p| p.operator.bin_iin = Some("06121160001".into()))),
        ("invalid_id", Box::new(|p| p.consent.as_mut().unwrap().term.as_mut().unwrap().months = Some(0))),
        ("invalid_id", Box::new(|p| p.consent.as_mut().unwrap().term.as_mut().unwrap().months = Some(1_201))),
        (
            "translation_missing",
            Box::new(|p| {
                p.consent.as_mut().unwrap().term.as_mut().unwrap().text = BTreeMap::from([("en".into(), "x".into())])
            }),
        ),
        (
            "language_unsupported",
            Box::new(|p| {
                p.consent.as_mut().unwrap().term.as_mut().unwrap().text.insert("fr".into(), "x".into());
            }),
        ),
        ("empty", Box::new(|p| p.consent.as_mut().unwrap().term.as_mut().unwrap().text = ru("  "))),
        ("empty", Box::new(|p| p.consent.as_mut().unwrap().third_parties[0].name = String::new())),
        (
            "duplicate",
            Box::new(|p| {
                p.consent.as_mut().unwrap().third_parties[1].name = "meta platforms (whatsapp business api)".into()
            }),
        ),
        ("invalid_id", Box::new(|p| p.consent.as_mut().unwrap().third_parties[0].country = Some("usa".into()))),
        ("invalid_id", Box::new(|p| p.consent.as_mut().unwrap().cross_border.as_mut().unwrap().transfers = false)),
        (
            "duplicate",
            Box::new(|p| p.consent.as_mut().unwrap().cross_border.as_mut().unwrap().countries.push("DE".into())),
        ),
        (
            "category_unknown",
            Box::new(|p| {
                p.consent
                    .as_mut()
                    .unwrap()
                    .data_collected
                    .insert("nope".into(), BTreeMap::from([("ru".into(), vec!["x".into()])]));
            }),
        ),
        (
            "empty",
            Box::new(|p| {
                p.consent
                    .as_mut()
                    .unwrap()
                    .data_collected
                    .insert("marketing".into(), BTreeMap::from([("ru".into(), vec![])]));
            }),
        ),
        (
            "too_many",
            Box::new(|p| {
                p.consent.as_mut().unwrap().third_parties = (0..65)
                    .map(|i| ThirdParty { name: format!("p{i}"), purpose: BTreeMap::new(), country: None })
                    .collect();
            }),
        ),
    ];
    for (i, (expected, mutate)) in cases.iter().enumerate() {
        let mut p = with_terms();
        mutate(&mut p);
        assert_eq!(code(&p), *expected, "case {i}");
    }
}

#[test]
fn unknown_and_duplicate_fields_are_refused() {
    let mut doc = serde_json::to_value(with_terms()).unwrap();
    doc["consent"]["term"]["forever"] = json!(true);
    assert!(serde_json::from_value::<Policy>(doc).is_err());
    let mut doc = serde_json::to_value(with_terms()).unwrap();
    doc["consent"]["extra"] = json!(1);
    assert!(serde_json::from_value::<Policy>(doc).is_err());
    let text = serde_json::to_string(&with_terms()).unwrap().replacen(
        "\"data_collected\":{",
        "\"data_collected\":{\"analytics\":{\"ru\":[\"x\"]},",
        1,
    );
    assert!(serde_json::from_str::<Policy>(&text).unwrap_err().to_string().contains("duplicate key"));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
