//! Validation of policies and receipts, one test per error a check can produce, plus the JSON
//! model (round trips, unknown fields, duplicate keys) and offline verification of countersigned
//! receipts. Every refusal is asserted by its stable `code()`.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use kelisim_core::canonical::{canonicalize_value, to_canonical_string};
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::limits::{
    MAX_BLOCKS_PER_LANGUAGE, MAX_CATEGORIES, MAX_CLIENT_CLOCK_AHEAD_MS, MAX_CONTACT_CHARS, MAX_JWS_CHARS,
    MAX_LANGUAGES, MAX_LIST_ITEMS, MAX_RECEIPT_AGE_MS, MAX_TEXT_CHARS, MAX_URL_CHARS,
};
use kelisim_core::policy::{
    check_language, is_safe_href, Block, Localized, Operator, Policy, PolicyCategory, POLICY_SCHEMA_VERSION,
};
use kelisim_core::receipt::{
    Action, CheckResult, PolicyRef, Receipt, ReceiptClaims, SignedReceipt, SubmitReceipt, RECEIPT_SCHEMA_VERSION,
};
use kelisim_core::sign::{b64url_decode, b64url_encode, EdgeSigningKey, Jwks, JwsHeader, PublicJwk};
use kelisim_core::time::format_millis;
use kelisim_core::ValidationError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const SITE: &str = "test-site";
/// When the visitor's browser made the receipt.
const CLIENT_MS: i64 = 1_795_398_005_123;
/// The edge's clock when the receipt arrives: two seconds later.
const NOW_MS: i64 = CLIENT_MS + 2_000;
const VISITOR_SEED: [u8; 32] = [42; 32];
const OTHER_SEED: [u8; 32] = [43; 32];
const EDGE_KID: &str = "edge-test-01";
const EDGE_SEED: [u8; 32] = [7; 32];

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn loc(ru: &str, en: &str) -> Localized {
    BTreeMap::from([("ru".to_string(), ru.to_string()), ("en".to_string(), en.to_string())])
}

fn category(id: &str, switchable: bool, gpc_sensitive: bool, title: Localized, section: &str) -> PolicyCategory {
    PolicyCategory {
        id: id.into(),
        switchable,
        default: !switchable,
        gpc_sensitive,
        description: title.iter().map(|(k, v)| (k.clone(), format!("{v}: description"))).collect(),
        title,
        sections: vec![section.into()],
    }
}

fn heading(level: u8, text: &str, anchor: Option<&str>) -> Block {
    Block::Heading { level, text: text.into(), anchor: anchor.map(str::to_string) }
}

fn paragraph(text: &str) -> Block {
    Block::Paragraph { text: text.into(), anchor: None }
}

fn link(text: &str, href: &str) -> Block {
    Block::Link { text: text.into(), href: href.into() }
}

fn ru_text() -> Vec<Block> {
    vec![
        heading(1, "Политика конфиденциальности", Some("intro")),
        paragraph("ТОО «Пример» обрабатывает персональные данные посетителей сайта."),
        heading(2, "Аналитика", Some("analytics")),
        paragraph("Мы считаем посещения, чтобы улучшать сайт."),
        heading(2, "Маркетинг", Some("marketing")),
        Block::List { items: vec!["Рекламные cookie".into(), "Ретаргетинг".into()] },
        heading(2, "Трансграничная передача", Some("cross-border")),
        paragraph("Данные могут передаваться за пределы Казахстана."),
        heading(2, "Обработка с помощью ИИ", Some("ai")),
        paragraph("Обращения могут обрабатываться моделями ИИ."),
        heading(3, "Контакты", None),
        link("Написать нам", "mailto:privacy@example.kz"),
        link("Полный текст", "https://example.kz/privacy"),
    ]
}

fn en_text() -> Vec<Block> {
    vec![
        heading(1, "Privacy policy", Some("intro")),
        paragraph("Example LLP processes the personal data of the site's visitors."),
        heading(2, "Analytics", Some("analytics")),
        paragraph("We count visits to improve the site."),
        heading(2, "Marketing", Some("marketing")),
        Block::List { items: vec!["Advertising cookies".into(), "Retargeting".into()] },
        heading(2, "Cross-border transfer", Some("cross-border")),
        paragraph("Data may be transferred outside Kazakhstan."),
        heading(2, "AI processing", Some("ai")),
        paragraph("Requests may be processed by AI models."),
        heading(3, "Contacts", None),
        link("Write to us", "mailto:privacy@example.kz"),
        link("Full text", "https://example.kz/privacy"),
    ]
}

/// The one valid policy every policy test mutates.
fn policy() -> Policy {
    Policy {
        schema: POLICY_SCHEMA_VERSION,
        site: SITE.into(),
        version: 1,
        effective_date: "2026-11-01".into(),
        material: true,
        operator: Operator {
            legal_name: "ТОО «Пример»".into(),
            city: "Алматы".into(),
            email: "privacy@example.kz".into(),
            phone: "+7 727 000 00 00".into(),
            bin_iin: None,
        },
        languages: vec!["ru".into(), "en".into()],
        categories: vec![
            category("necessary", false, false, loc("Необходимые", "Necessary"), "intro"),
            category("analytics", true, false, loc("Аналитика", "Analytics"), "analytics"),
            category("marketing", true, true, loc("Маркетинг", "Marketing"), "marketing"),
            category("cross_border", true, false, loc("Трансграничная передача", "Cross-border"), "cross-border"),
            category("ai_processing", true, false, loc("Обработка ИИ", "AI processing"), "ai"),
        ],
        summary: loc("Мы используем cookie.", "We use cookies."),
        text: BTreeMap::from([("ru".to_string(), ru_text()), ("en".to_string(), en_text())]),
        consent: None,
    }
}

fn visitor() -> EdgeSigningKey {
    EdgeSigningKey::from_seed("visitor", VISITOR_SEED)
}

fn decisions(entries: &[(&str, Decision)]) -> BTreeMap<String, Decision> {
    entries.iter().map(|(k, d)| ((*k).to_string(), *d)).collect()
}

fn custom_decisions() -> BTreeMap<String, Decision> {
    use Decision::{Denied, Granted};
    decisions(&[
        ("necessary", Granted),
        ("analytics", Granted),
        ("marketing", Denied),
        ("cross_border", Denied),
        ("ai_processing", Granted),
    ])
}

fn all_decisions(switchable: Decision) -> BTreeMap<String, Decision> {
    decisions(&[
        ("necessary", Decision::Granted),
        ("analytics", switchable),
        ("marketing", switchable),
        ("cross_border", switchable),
        ("ai_processing", switchable),
    ])
}

/// The one valid receipt claims every receipt test mutates: keyed, custom decisions.
fn claims() -> ReceiptClaims {
    let jwk = visitor().public_jwk();
    ReceiptClaims {
        schema: RECEIPT_SCHEMA_VERSION,
        id: ulid_from_parts(u64::try_from(CLIENT_MS).unwrap(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        site: SITE.into(),
        subject: jwk.thumbprint(),
        subject_key: Some(jwk),
        policy: PolicyRef { version: 1, sha256: policy().content_hash().unwrap(), language: "ru".into() },
        decisions: custom_decisions(),
        action: Action::Custom,
        gpc: false,
        client_time: format_millis(CLIENT_MS),
        prev: None,
        widget_version: "0.1.0".into(),
    }
}

/// The visitor's detached JWS over `claims`, with `kid` as given (the subject when valid).
fn sign_with(key: &EdgeSigningKey, claims: &ReceiptClaims, kid: Option<&str>) -> String {
    let header = JwsHeader { alg: "EdDSA".into(), kid: kid.map(str::to_string), typ: None };
    key.sign_detached(&header, claims.canonical().unwrap().as_bytes())
}

fn sign(claims: &ReceiptClaims) -> String {
    sign_with(&visitor(), claims, Some(&claims.subject))
}

fn edge() -> EdgeSigningKey {
    EdgeSigningKey::from_seed(EDGE_KID, EDGE_SEED)
}

fn jwks() -> Jwks {
    Jwks { keys: vec![edge().jwks_entry()] }
}

fn signed_receipt() -> SignedReceipt {
    let c = claims();
    let submit = SubmitReceipt { visitor_signature: Some(sign(&c)), claims: c };
    Receipt::accept(submit, NOW_MS).unwrap().countersign(&edge()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Assertion helpers
// ---------------------------------------------------------------------------------------------

fn expect_code(result: Result<(), ValidationError>, code: &str, what: &str) -> ValidationError {
    match result {
        Ok(()) => panic!("{what}: accepted, expected {code}"),
        Err(e) => {
            assert_eq!(e.code(), code, "{what}: {e:?}");
            e
        }
    }
}

fn policy_fails(p: &Policy, code: &str) -> ValidationError {
    expect_code(p.validate(), code, "policy")
}

fn claims_fail(c: &ReceiptClaims, code: &str) -> ValidationError {
    expect_code(c.validate(SITE, &policy(), NOW_MS), code, "claims")
}

fn claims_fail_against(c: &ReceiptClaims, p: &Policy, code: &str) -> ValidationError {
    expect_code(c.validate_against(p), code, "claims against policy")
}

fn push_block(p: &mut Policy, lang: &str, block: Block) {
    p.text.get_mut(lang).unwrap().push(block);
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value);
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
}

/// Inserts an unknown member into the object at `pointer` and checks that `T` refuses it while
/// accepting the unmodified document.
fn refuses_unknown_field<T: DeserializeOwned>(doc: &Value, pointer: &str) {
    assert!(serde_json::from_value::<T>(doc.clone()).is_ok(), "control document refused at {pointer:?}");
    let mut bad = doc.clone();
    bad.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer:?}"))
        .insert("unexpected".into(), json!(true));
    let text = bad.to_string();
    match serde_json::from_str::<T>(&text) {
        Ok(_) => panic!("unknown field at {pointer:?} accepted"),
        Err(e) => assert!(e.to_string().contains("unknown field"), "{pointer:?}: {e}"),
    }
}

/// Replaces the first `needle` in `json` with `replacement` (which adds a duplicate key) and checks
/// that `T` refuses the result while accepting the original.
fn refuses_duplicate_key<T: DeserializeOwned>(json: &str, needle: &str, replacement: &str) {
    assert!(serde_json::from_str::<T>(json).is_ok(), "control document refused");
    assert!(json.contains(needle), "{needle} not found in {json}");
    let bad = json.replacen(needle, replacement, 1);
    match serde_json::from_str::<T>(&bad) {
        Ok(_) => panic!("duplicate key accepted: {replacement}"),
        Err(e) => assert!(e.to_string().contains("duplicate"), "{replacement}: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The valid fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn valid_policy_validates() {
    let p = policy();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(p.content_hash().unwrap().len(), 64);
    assert_eq!(p.category("marketing").map(|c| c.gpc_sensitive), Some(true));
    assert!(p.category("nope").is_none());
}

#[test]
fn valid_claims_validate_and_signature_verifies() {
    let c = claims();
    assert_eq!(c.validate_shape(SITE), Ok(()));
    assert_eq!(c.validate_against(&policy()), Ok(()));
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
    assert_eq!(c.verify_visitor_signature(Some(&sign(&c))), Ok(()));
    assert_eq!(c.subject.len(), 43);
    assert!(c.granted("necessary") && c.granted("analytics") && !c.granted("marketing") && !c.granted("unknown"));
}

#[test]
fn keyless_claims_validate_without_signature() {
    let mut c = claims();
    c.subject_key = None;
    c.subject = "A".repeat(43);
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
    assert_eq!(c.verify_visitor_signature(None), Ok(()));
}

#[test]
fn consistent_actions_validate() {
    let p = policy();
    let mut c = claims();
    c.action = Action::AcceptAll;
    c.decisions = all_decisions(Decision::Granted);
    assert_eq!(c.validate_against(&p), Ok(()));
    for action in [Action::RejectAll, Action::Withdraw] {
        c.action = action;
        c.decisions = all_decisions(Decision::Denied);
        assert_eq!(c.validate_against(&p), Ok(()), "{action:?}");
    }
    // GPC default: only gpc_sensitive categories must be denied.
    c.action = Action::GpcDefault;
    c.gpc = true;
    c.decisions = all_decisions(Decision::Granted);
    c.decisions.insert("marketing".into(), Decision::Denied);
    assert_eq!(c.validate_against(&p), Ok(()));
}

#[test]
fn valid_prev_is_accepted() {
    let mut c = claims();
    c.prev = Some(claims().hash().unwrap());
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// schema_unsupported
// ---------------------------------------------------------------------------------------------

#[test]
fn schema_unsupported_policy() {
    for schema in [0, 2, u32::MAX] {
        let mut p = policy();
        p.schema = schema;
        assert_eq!(policy_fails(&p, "schema_unsupported"), ValidationError::SchemaUnsupported(schema));
    }
}

#[test]
fn schema_unsupported_receipt() {
    for schema in [0, 2] {
        let mut c = claims();
        c.schema = schema;
        assert_eq!(claims_fail(&c, "schema_unsupported"), ValidationError::SchemaUnsupported(schema));
    }
}

// ---------------------------------------------------------------------------------------------
// invalid_id
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_id_policy_site_slug() {
    for site in ["", "Test-Site", "test/site", "test.site", "-test", "test site", &"s".repeat(65)] {
        let mut p = policy();
        p.site = site.into();
        let e = policy_fails(&p, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "site", .. }), "{site:?}: {e:?}");
    }
}

#[test]
fn invalid_id_receipt_site_slug() {
    let mut c = claims();
    c.site = "../other".into();
    let e = expect_code(c.validate_shape("../other"), "invalid_id", "receipt site");
    assert!(matches!(e, ValidationError::InvalidId { field: "site", .. }));
}

#[test]
fn invalid_id_category_slug() {
    for id in ["Analytics", "ana lytics", "a:b", "_x", ""] {
        let mut p = policy();
        p.categories[1].id = id.into();
        let e = policy_fails(&p, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "category", .. }), "{id:?}: {e:?}");
    }
}

#[test]
fn invalid_id_anchor() {
    for anchor in ["Intro", "intro section", "#intro", ""] {
        let mut p = policy();
        push_block(&mut p, "en", heading(2, "Extra", Some(anchor)));
        let e = policy_fails(&p, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "anchor", .. }), "{anchor:?}: {e:?}");
    }
}

#[test]
fn invalid_id_heading_level() {
    for level in [0, 5, u8::MAX] {
        let mut p = policy();
        push_block(&mut p, "ru", heading(level, "Заголовок", None));
        let e = policy_fails(&p, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "heading.level", .. }), "{level}: {e:?}");
    }
}

#[test]
fn invalid_id_receipt_id_not_ulid() {
    let good = claims().id;
    for id in [
        good.to_lowercase(),
        format!("8{}", &good[1..]),
        format!("{}U", &good[..25]),
        good[..25].to_string(),
        format!("{good}0"),
        String::new(),
        "01ARZ3NDEKTSV4RRFFQ69G5FA-".into(),
        "../../../../../etc/passwd00".into(),
    ] {
        let mut c = claims();
        c.id = id.clone();
        assert_eq!(
            claims_fail(&c, "invalid_id"),
            ValidationError::InvalidId { field: "id", reason: "must be a ULID" },
            "{id:?}"
        );
    }
}

#[test]
fn invalid_id_receipt_id_time_outside_the_clock_window() {
    let at = |ms: i64| ulid_from_parts(u64::try_from(ms).unwrap(), [9; 10]);
    // The window's edges are inside, as they are for client_time.
    for ms in [NOW_MS + MAX_CLIENT_CLOCK_AHEAD_MS, NOW_MS - MAX_RECEIPT_AGE_MS] {
        let mut c = claims();
        c.id = at(ms);
        assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()), "{ms}");
    }
    // A client_time in the window does not carry an id minted a year off, nor at time zero.
    for ms in [NOW_MS + MAX_CLIENT_CLOCK_AHEAD_MS + 1, NOW_MS - MAX_RECEIPT_AGE_MS - 1, NOW_MS + 365 * 86_400_000, 0] {
        let mut c = claims();
        c.id = at(ms);
        let e = claims_fail(&c, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "id", .. }), "{ms}: {e:?}");
    }
}

#[test]
fn invalid_id_widget_version() {
    for v in ["", "0.1.0 beta", "<script>", "0.1.0/../x", &"1".repeat(33), "0.1.0\n"] {
        let mut c = claims();
        c.widget_version = v.into();
        let e = claims_fail(&c, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "widget_version", .. }), "{v:?}: {e:?}");
    }
    let mut c = claims();
    c.widget_version = "1.2.3-rc.1+build.5".into();
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
}

// ---------------------------------------------------------------------------------------------
// too_long, too_many, empty
// ---------------------------------------------------------------------------------------------

#[test]
fn too_long_texts() {
    let mut p = policy();
    p.summary.insert("en".into(), "x".repeat(MAX_TEXT_CHARS + 1));
    assert_eq!(policy_fails(&p, "too_long"), ValidationError::TooLong { field: "summary", max: MAX_TEXT_CHARS });

    let mut p = policy();
    p.operator.legal_name = "x".repeat(MAX_CONTACT_CHARS + 1);
    assert_eq!(
        policy_fails(&p, "too_long"),
        ValidationError::TooLong { field: "operator.legal_name", max: MAX_CONTACT_CHARS }
    );

    let mut p = policy();
    push_block(&mut p, "en", paragraph(&"x".repeat(MAX_TEXT_CHARS + 1)));
    assert_eq!(policy_fails(&p, "too_long"), ValidationError::TooLong { field: "paragraph", max: MAX_TEXT_CHARS });

    let mut p = policy();
    push_block(&mut p, "en", link("Long", &format!("https://example.kz/{}", "a".repeat(MAX_URL_CHARS))));
    assert_eq!(policy_fails(&p, "too_long"), ValidationError::TooLong { field: "link href", max: MAX_URL_CHARS });

    let mut p = policy();
    p.categories[2].description.insert("ru".into(), "д".repeat(MAX_TEXT_CHARS + 1));
    assert_eq!(
        policy_fails(&p, "too_long"),
        ValidationError::TooLong { field: "category.description", max: MAX_TEXT_CHARS }
    );
}

#[test]
fn too_long_counts_characters_not_bytes() {
    let mut p = policy();
    // 300 Cyrillic characters are 600 bytes: still within the limit.
    p.operator.legal_name = "д".repeat(MAX_CONTACT_CHARS);
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn too_long_visitor_signature() {
    let c = claims();
    let long = "a".repeat(MAX_JWS_CHARS + 1);
    let e = expect_code(c.verify_visitor_signature(Some(&long)), "too_long", "signature");
    assert_eq!(e, ValidationError::TooLong { field: "visitor_signature", max: MAX_JWS_CHARS });
}

#[test]
fn too_many_languages() {
    let mut p = policy();
    for lang in ["kk", "de", "fr", "es", "it", "uz", "ky"] {
        p.languages.push(lang.into());
    }
    assert_eq!(p.languages.len(), MAX_LANGUAGES + 1);
    assert_eq!(policy_fails(&p, "too_many"), ValidationError::TooMany { field: "languages", max: MAX_LANGUAGES });
}

#[test]
fn too_many_categories() {
    let mut p = policy();
    for i in p.categories.len()..=MAX_CATEGORIES {
        p.categories.push(category(&format!("custom-{i}"), true, false, loc("Своя", "Own"), "intro"));
    }
    assert_eq!(p.categories.len(), MAX_CATEGORIES + 1);
    assert_eq!(policy_fails(&p, "too_many"), ValidationError::TooMany { field: "categories", max: MAX_CATEGORIES });
    // Exactly the maximum is fine.
    p.categories.pop();
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn too_many_list_items() {
    let mut p = policy();
    push_block(&mut p, "en", Block::List { items: vec!["item".into(); MAX_LIST_ITEMS + 1] });
    assert_eq!(policy_fails(&p, "too_many"), ValidationError::TooMany { field: "list", max: MAX_LIST_ITEMS });
}

#[test]
fn too_many_text_blocks() {
    let mut p = policy();
    p.text.insert("en".into(), vec![paragraph("x"); MAX_BLOCKS_PER_LANGUAGE + 1]);
    assert_eq!(policy_fails(&p, "too_many"), ValidationError::TooMany { field: "text", max: MAX_BLOCKS_PER_LANGUAGE });
}

#[test]
fn too_many_decisions() {
    let mut c = claims();
    for i in c.decisions.len()..=MAX_CATEGORIES {
        c.decisions.insert(format!("custom-{i}"), Decision::Denied);
    }
    assert_eq!(c.decisions.len(), MAX_CATEGORIES + 1);
    assert_eq!(claims_fail(&c, "too_many"), ValidationError::TooMany { field: "decisions", max: MAX_CATEGORIES });
}

#[test]
fn empty_languages() {
    let mut p = policy();
    p.languages.clear();
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "languages" });
}

#[test]
fn empty_text() {
    let mut p = policy();
    p.text.insert("en".into(), Vec::new());
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "text" });
}

#[test]
fn empty_list() {
    let mut p = policy();
    push_block(&mut p, "ru", Block::List { items: Vec::new() });
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "list" });

    let mut p = policy();
    push_block(&mut p, "ru", Block::List { items: vec!["ok".into(), " ".into()] });
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "list item" });
}

#[test]
fn empty_blank_paragraph() {
    for blank in ["", " ", "\n\t ", "\u{3000}"] {
        let mut p = policy();
        push_block(&mut p, "en", paragraph(blank));
        assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "paragraph" }, "{blank:?}");
    }
}

#[test]
fn empty_other_texts() {
    let mut p = policy();
    p.summary.insert("ru".into(), "  ".into());
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "summary" });

    let mut p = policy();
    p.operator.email = String::new();
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "operator.email" });

    let mut p = policy();
    push_block(&mut p, "en", heading(2, " ", None));
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "heading" });

    let mut p = policy();
    push_block(&mut p, "en", link("", "https://example.kz"));
    assert_eq!(policy_fails(&p, "empty"), ValidationError::Empty { field: "link text" });
}

// ---------------------------------------------------------------------------------------------
// site_mismatch, language_unsupported, categories
// ---------------------------------------------------------------------------------------------

#[test]
fn site_mismatch() {
    let mut c = claims();
    c.site = "other-site".into();
    assert_eq!(
        claims_fail(&c, "site_mismatch"),
        ValidationError::SiteMismatch { expected: SITE.into(), found: "other-site".into() }
    );
}

#[test]
fn language_unsupported_receipt_language_not_offered() {
    for lang in ["kk", "RU", "", "ru-RU"] {
        let mut c = claims();
        c.policy.language = lang.into();
        assert_eq!(claims_fail(&c, "language_unsupported"), ValidationError::LanguageUnsupported(lang.into()));
    }
}

#[test]
fn language_unsupported_extra_key_in_localized() {
    let mut p = policy();
    p.summary.insert("kk".into(), "Біз cookie қолданамыз.".into());
    assert_eq!(policy_fails(&p, "language_unsupported"), ValidationError::LanguageUnsupported("kk".into()));

    let mut p = policy();
    p.categories[1].title.insert("de".into(), "Analytik".into());
    assert_eq!(policy_fails(&p, "language_unsupported"), ValidationError::LanguageUnsupported("de".into()));

    let mut p = policy();
    p.categories[3].description.insert("kk".into(), "Сипаттама".into());
    assert_eq!(policy_fails(&p, "language_unsupported"), ValidationError::LanguageUnsupported("kk".into()));

    let mut p = policy();
    p.text.insert("kk".into(), en_text());
    assert_eq!(policy_fails(&p, "language_unsupported"), ValidationError::LanguageUnsupported("kk".into()));
}

#[test]
fn language_unsupported_bad_tag() {
    for tag in ["RU", "r", "engl", "e1", "ru-RU", "", "рус"] {
        let mut p = policy();
        p.languages[0] = tag.into();
        let e = policy_fails(&p, "language_unsupported");
        assert_eq!(e, ValidationError::LanguageUnsupported(tag.into()), "{tag:?}");
        assert!(check_language(tag).is_err());
    }
    for tag in ["ru", "kk", "en", "fil"] {
        assert_eq!(check_language(tag), Ok(()));
    }
}

#[test]
fn category_unknown() {
    let mut c = claims();
    c.decisions.insert("profiling".into(), Decision::Denied);
    assert_eq!(claims_fail(&c, "category_unknown"), ValidationError::CategoryUnknown("profiling".into()));
}

#[test]
fn category_missing_in_receipt() {
    let mut c = claims();
    c.decisions.remove("ai_processing");
    assert_eq!(claims_fail(&c, "category_missing"), ValidationError::CategoryMissing("ai_processing".into()));

    let mut c = claims();
    c.decisions.remove("necessary");
    assert_eq!(claims_fail(&c, "category_missing"), ValidationError::CategoryMissing("necessary".into()));
}

#[test]
fn category_missing_policy_without_necessary() {
    let mut p = policy();
    p.categories.remove(0);
    assert_eq!(policy_fails(&p, "category_missing"), ValidationError::CategoryMissing("necessary".into()));

    let mut p = policy();
    p.categories.clear();
    assert_eq!(policy_fails(&p, "category_missing"), ValidationError::CategoryMissing("necessary".into()));
}

#[test]
fn necessary_denied_by_receipt() {
    for action in [Action::Custom, Action::RejectAll, Action::Withdraw] {
        let mut c = claims();
        c.action = action;
        c.decisions = all_decisions(Decision::Denied);
        c.decisions.insert("necessary".into(), Decision::Denied);
        assert_eq!(claims_fail(&c, "necessary_denied"), ValidationError::NecessaryDenied, "{action:?}");
    }
}

#[test]
fn necessary_denied_by_policy() {
    let mut p = policy();
    p.categories[0].switchable = true;
    assert_eq!(policy_fails(&p, "necessary_denied"), ValidationError::NecessaryDenied);

    let mut p = policy();
    p.categories[0].default = false;
    assert_eq!(policy_fails(&p, "necessary_denied"), ValidationError::NecessaryDenied);
}

#[test]
fn category_locked_unless_necessary() {
    // Only `necessary` rests on contract or law; any other locked category would be granted for
    // every visitor whatever they chose.
    for default in [true, false] {
        let mut p = policy();
        p.categories[2].switchable = false;
        p.categories[2].default = default;
        assert_eq!(policy_fails(&p, "category_locked"), ValidationError::CategoryLocked("marketing".into()));
    }
}

#[test]
fn necessary_drives_no_ad_signal() {
    use kelisim_core::category::consent_mode_signals;
    assert!(consent_mode_signals("necessary").all(|s| !s.starts_with("ad_")));
}

// ---------------------------------------------------------------------------------------------
// duplicate, translation_missing, section_unknown
// ---------------------------------------------------------------------------------------------

#[test]
fn duplicate_languages() {
    let mut p = policy();
    p.languages.push("ru".into());
    assert_eq!(policy_fails(&p, "duplicate"), ValidationError::Duplicate { field: "languages", value: "ru".into() });
}

#[test]
fn duplicate_category_ids() {
    let mut p = policy();
    let copy = p.categories[2].clone();
    p.categories.push(copy);
    assert_eq!(
        policy_fails(&p, "duplicate"),
        ValidationError::Duplicate { field: "category", value: "marketing".into() }
    );
}

#[test]
fn duplicate_anchors() {
    let mut p = policy();
    push_block(&mut p, "en", heading(2, "Analytics again", Some("analytics")));
    assert_eq!(
        policy_fails(&p, "duplicate"),
        ValidationError::Duplicate { field: "anchor", value: "analytics".into() }
    );
}

#[test]
fn translation_missing() {
    let mut p = policy();
    p.text.remove("en");
    assert_eq!(
        policy_fails(&p, "translation_missing"),
        ValidationError::TranslationMissing { field: "text".into(), language: "en".into() }
    );

    let mut p = policy();
    p.categories[1].title.remove("en");
    assert_eq!(
        policy_fails(&p, "translation_missing"),
        ValidationError::TranslationMissing { field: "category.title".into(), language: "en".into() }
    );

    let mut p = policy();
    p.categories[4].description.remove("ru");
    assert_eq!(
        policy_fails(&p, "translation_missing"),
        ValidationError::TranslationMissing { field: "category.description".into(), language: "ru".into() }
    );

    let mut p = policy();
    p.summary.remove("ru");
    assert_eq!(
        policy_fails(&p, "translation_missing"),
        ValidationError::TranslationMissing { field: "summary".into(), language: "ru".into() }
    );
}

#[test]
fn section_unknown() {
    let mut p = policy();
    p.categories[1].sections.push("nowhere".into());
    assert_eq!(policy_fails(&p, "section_unknown"), ValidationError::SectionUnknown("nowhere".into()));
}

#[test]
fn section_unknown_when_anchor_exists_in_one_language_only() {
    let mut p = policy();
    push_block(&mut p, "ru", heading(2, "Только по-русски", Some("only-ru")));
    assert_eq!(p.validate(), Ok(()));
    p.categories[1].sections.push("only-ru".into());
    assert_eq!(policy_fails(&p, "section_unknown"), ValidationError::SectionUnknown("only-ru".into()));
}

// ---------------------------------------------------------------------------------------------
// unsafe_link
// ---------------------------------------------------------------------------------------------

const UNSAFE_HREFS: [&str; 14] = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/",
    "/relative/path",
    "ftp://example.kz/file",
    "https:/\\evil.example",
    " https://example.kz",
    "https://example.kz/\u{0}",
];

#[test]
fn unsafe_link() {
    for href in UNSAFE_HREFS {
        let mut p = policy();
        push_block(&mut p, "en", link("Click", href));
        let e = policy_fails(&p, "unsafe_link");
        assert_eq!(e, ValidationError::UnsafeLink(href.into()), "{href:?}");
        assert!(!is_safe_href(href), "{href:?}");
    }
}

#[test]
fn unsafe_link_message_is_truncated() {
    let href = format!("javascript:{}", "a".repeat(200));
    let mut p = policy();
    push_block(&mut p, "ru", link("Жми", &href));
    let ValidationError::UnsafeLink(shown) = policy_fails(&p, "unsafe_link") else { panic!("not UnsafeLink") };
    assert_eq!(shown.chars().count(), 80);
}

#[test]
fn safe_links_are_accepted() {
    for href in
        ["https://example.kz/privacy", "HTTPS://EXAMPLE.KZ", "http://example.kz", "mailto:a@b.kz", "tel:+77270000000"]
    {
        assert!(is_safe_href(href), "{href:?}");
        let mut p = policy();
        push_block(&mut p, "en", link("Ok", href));
        assert_eq!(p.validate(), Ok(()), "{href:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_timestamp_client_time() {
    for t in [
        "2026-11-23T01:40:05Z",
        "2026-11-23T01:40:05.123+00:00",
        "2026-11-23 01:40:05.123Z",
        "2026-02-30T00:00:00.000Z",
        "2026-11-23T24:00:00.000Z",
        "",
        "1795398005123",
    ] {
        let mut c = claims();
        c.client_time = t.into();
        assert_eq!(claims_fail(&c, "invalid_timestamp"), ValidationError::InvalidTimestamp("client_time"), "{t:?}");
    }
}

#[test]
fn invalid_timestamp_effective_date() {
    for d in ["2026-13-01", "2026-02-29", "2026-11-1", "01.11.2026", "", "2026-11-01T00:00:00.000Z"] {
        let mut p = policy();
        p.effective_date = d.into();
        assert_eq!(policy_fails(&p, "invalid_timestamp"), ValidationError::InvalidTimestamp("effective_date"), "{d:?}");
    }
}

#[test]
fn client_time_in_future() {
    let mut c = claims();
    c.client_time = format_millis(NOW_MS + MAX_CLIENT_CLOCK_AHEAD_MS);
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
    c.client_time = format_millis(NOW_MS + MAX_CLIENT_CLOCK_AHEAD_MS + 1);
    assert_eq!(claims_fail(&c, "client_time_in_future"), ValidationError::ClientTimeInFuture);
}

#[test]
fn client_time_too_old() {
    let mut c = claims();
    c.client_time = format_millis(NOW_MS - MAX_RECEIPT_AGE_MS);
    assert_eq!(c.validate(SITE, &policy(), NOW_MS), Ok(()));
    c.client_time = format_millis(NOW_MS - MAX_RECEIPT_AGE_MS - 1);
    assert_eq!(claims_fail(&c, "client_time_too_old"), ValidationError::ClientTimeTooOld);
}

// ---------------------------------------------------------------------------------------------
// Subject, key and visitor signature
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_subject() {
    let good = claims().subject;
    for subject in [
        good[..42].to_string(),
        format!("{good}A"),
        format!("{}+", &good[..42]),
        format!("{}=", &good[..42]),
        String::new(),
        format!("{}a", "д".repeat(21)),
    ] {
        let mut c = claims();
        c.subject_key = None;
        c.subject = subject.clone();
        assert_eq!(claims_fail(&c, "invalid_subject"), ValidationError::InvalidSubject, "{subject:?}");
    }
}

#[test]
fn subject_key_mismatch() {
    let mut c = claims();
    c.subject_key = Some(EdgeSigningKey::from_seed("x", OTHER_SEED).public_jwk());
    assert_eq!(claims_fail(&c, "subject_key_mismatch"), ValidationError::SubjectKeyMismatch);

    // A well-formed subject that is not the key's thumbprint.
    let mut c = claims();
    c.subject = "A".repeat(43);
    assert_eq!(claims_fail(&c, "subject_key_mismatch"), ValidationError::SubjectKeyMismatch);
}

#[test]
fn signature_missing() {
    let c = claims();
    assert_eq!(
        expect_code(c.verify_visitor_signature(None), "signature_missing", "no signature"),
        ValidationError::SignatureMissing
    );
}

#[test]
fn subject_key_missing() {
    let c = claims();
    let sig = sign(&c);
    let mut keyless = c;
    keyless.subject_key = None;
    assert_eq!(
        expect_code(keyless.verify_visitor_signature(Some(&sig)), "subject_key_missing", "no key"),
        ValidationError::SubjectKeyMissing
    );
}

#[test]
fn signature_invalid_tampered_claims() {
    let c = claims();
    let sig = sign(&c);
    let mut tampered = c;
    tampered.decisions.insert("marketing".into(), Decision::Granted);
    // The tampered claims are still well-formed: only the signature catches it.
    assert_eq!(tampered.validate(SITE, &policy(), NOW_MS), Ok(()));
    expect_code(tampered.verify_visitor_signature(Some(&sig)), "signature_invalid", "tampered claims");

    let mut tampered = claims();
    tampered.client_time = format_millis(CLIENT_MS + 1);
    expect_code(tampered.verify_visitor_signature(Some(&sig)), "signature_invalid", "tampered time");
}

#[test]
fn signature_invalid_wrong_kid() {
    let c = claims();
    for kid in [Some("someone-else"), Some(&*"A".repeat(43)), None] {
        let sig = sign_with(&visitor(), &c, kid);
        expect_code(c.verify_visitor_signature(Some(&sig)), "signature_invalid", "wrong kid");
    }
}

#[test]
fn signature_invalid_other_forms() {
    let c = claims();
    // Signed by another key under the right kid.
    let other = EdgeSigningKey::from_seed("x", OTHER_SEED);
    let sig = sign_with(&other, &c, Some(&c.subject));
    expect_code(c.verify_visitor_signature(Some(&sig)), "signature_invalid", "other key");

    // Attached instead of detached.
    let header = JwsHeader { alg: "EdDSA".into(), kid: Some(c.subject.clone()), typ: None };
    let attached = visitor().sign_compact(&header, c.canonical().unwrap().as_bytes());
    if attached.len() <= MAX_JWS_CHARS {
        expect_code(c.verify_visitor_signature(Some(&attached)), "signature_invalid", "attached");
    } else {
        expect_code(c.verify_visitor_signature(Some(&attached)), "too_long", "attached");
    }

    // alg none and garbage.
    let none = visitor().sign_detached(&JwsHeader { alg: "none".into(), ..header }, c.canonical().unwrap().as_bytes());
    expect_code(c.verify_visitor_signature(Some(&none)), "signature_invalid", "alg none");
    for garbage in ["", "..", "a.b.c", "not a jws"] {
        expect_code(c.verify_visitor_signature(Some(garbage)), "signature_invalid", garbage);
    }
}

#[test]
fn signature_invalid_non_canonical_header() {
    // Issue 10 case 8: the same claims, validly signed, under two header spellings.
    let c = claims();
    for typ in [Some("JWT"), Some("kelisim-receipt+jws")] {
        let header = JwsHeader { alg: "EdDSA".into(), kid: Some(c.subject.clone()), typ: typ.map(str::to_string) };
        let sig = visitor().sign_detached(&header, c.canonical().unwrap().as_bytes());
        expect_code(c.verify_visitor_signature(Some(&sig)), "signature_invalid", "extra typ");
    }
    let reordered = b64url_encode(format!(r#"{{"kid":"{}","alg":"EdDSA"}}"#, c.subject).as_bytes());
    let canonical_sig = sign(&c);
    let signature = canonical_sig.rsplit('.').next().unwrap();
    // (Not even validly signed under the reordered text; the header check comes first anyway.)
    let sig = format!("{reordered}..{signature}");
    expect_code(c.verify_visitor_signature(Some(&sig)), "signature_invalid", "reordered");
}

#[test]
fn signature_invalid_unusable_subject_key() {
    let good = visitor().public_jwk();
    for key in [
        PublicJwk { x: "AAAA".into(), ..good.clone() },
        PublicJwk { kty: "EC".into(), ..good.clone() },
        PublicJwk { crv: "X25519".into(), ..good.clone() },
        PublicJwk { x: format!("{}=", good.x), ..good.clone() },
    ] {
        let mut c = claims();
        c.subject = key.thumbprint();
        c.subject_key = Some(key);
        claims_fail(&c, "signature_invalid");
    }
}

#[test]
fn invalid_prev() {
    let hash = claims().hash().unwrap();
    for prev in [hash.to_uppercase(), hash[..63].to_string(), format!("{hash}0"), "g".repeat(64), String::new()] {
        let mut c = claims();
        c.prev = Some(prev.clone());
        assert_eq!(claims_fail(&c, "invalid_prev"), ValidationError::InvalidPrev, "{prev:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// action_mismatch
// ---------------------------------------------------------------------------------------------

#[test]
fn action_mismatch_accept_all_with_denied() {
    let mut c = claims();
    c.action = Action::AcceptAll;
    c.decisions = all_decisions(Decision::Granted);
    c.decisions.insert("cross_border".into(), Decision::Denied);
    assert_eq!(claims_fail(&c, "action_mismatch"), ValidationError::ActionMismatch("accept_all"));
}

#[test]
fn action_mismatch_reject_all_with_granted() {
    let mut c = claims();
    c.action = Action::RejectAll;
    c.decisions = all_decisions(Decision::Denied);
    c.decisions.insert("analytics".into(), Decision::Granted);
    assert_eq!(claims_fail(&c, "action_mismatch"), ValidationError::ActionMismatch("reject_all"));
}

#[test]
fn action_mismatch_withdraw_with_granted() {
    let mut c = claims();
    c.action = Action::Withdraw;
    c.decisions = all_decisions(Decision::Denied);
    c.decisions.insert("ai_processing".into(), Decision::Granted);
    assert_eq!(claims_fail(&c, "action_mismatch"), ValidationError::ActionMismatch("withdraw"));
}

#[test]
fn action_mismatch_gpc_default() {
    // Without GPC.
    let mut c = claims();
    c.action = Action::GpcDefault;
    c.gpc = false;
    c.decisions = all_decisions(Decision::Denied);
    assert_eq!(claims_fail(&c, "action_mismatch"), ValidationError::ActionMismatch("gpc_default"));

    // With GPC but a gpc_sensitive category granted.
    c.gpc = true;
    c.decisions.insert("marketing".into(), Decision::Granted);
    assert_eq!(claims_fail_against(&c, &policy(), "action_mismatch"), ValidationError::ActionMismatch("gpc_default"));
}

/// A policy stored before locking was refused: `marketing` locked on by the operator.
fn policy_with_marketing_locked_on() -> Policy {
    let mut p = policy();
    p.categories[2].switchable = false;
    p.categories[2].default = true;
    p
}

#[test]
fn action_mismatch_refusal_granting_a_locked_category() {
    // Issue 10 case 2: a reject_all (or withdraw) that grants marketing because a policy locked
    // it on is not a refusal, whatever the policy says.
    let p = policy_with_marketing_locked_on();
    for (action, code) in [(Action::RejectAll, "reject_all"), (Action::Withdraw, "withdraw")] {
        let mut c = claims();
        c.action = action;
        c.decisions = all_decisions(Decision::Denied);
        c.decisions.insert("marketing".into(), Decision::Granted);
        assert_eq!(claims_fail_against(&c, &p, "action_mismatch"), ValidationError::ActionMismatch(code));
        c.decisions.insert("marketing".into(), Decision::Denied);
        assert_eq!(c.validate_against(&p), Ok(()), "{action:?} denying everything optional");
    }
}

#[test]
fn action_mismatch_gpc_default_granting_a_locked_sensitive_category() {
    let p = policy_with_marketing_locked_on();
    let mut c = claims();
    c.action = Action::GpcDefault;
    c.gpc = true;
    c.decisions = all_decisions(Decision::Denied);
    c.decisions.insert("marketing".into(), Decision::Granted);
    assert_eq!(claims_fail_against(&c, &p, "action_mismatch"), ValidationError::ActionMismatch("gpc_default"));
}

// ---------------------------------------------------------------------------------------------
// policy_hash_mismatch, not_canonical
// ---------------------------------------------------------------------------------------------

#[test]
fn policy_hash_mismatch_non_hex() {
    let good = policy().content_hash().unwrap();
    for sha in [good.to_uppercase(), "z".repeat(64), good[..63].to_string(), String::new(), format!("{good}00")] {
        let mut c = claims();
        c.policy.sha256 = sha.clone();
        let e = expect_code(c.validate_shape(SITE), "policy_hash_mismatch", "non-hex sha256");
        assert_eq!(e, ValidationError::PolicyHashMismatch(1), "{sha:?}");
    }
}

#[test]
fn not_canonical() {
    for v in [json!(1.5), json!({"a": [0.1]}), json!(9_007_199_254_740_992_u64), json!(-9_007_199_254_740_992_i64)] {
        let e = canonicalize_value(&v).unwrap_err();
        assert_eq!(e.code(), "not_canonical", "{v}");
    }
    assert_eq!(to_canonical_string(&u64::MAX).unwrap_err().code(), "not_canonical");
    assert_eq!(to_canonical_string(&2.0_f64).unwrap_err().code(), "not_canonical");
    assert_eq!(canonicalize_value(&json!(9_007_199_254_740_991_u64)).unwrap(), "9007199254740991");
}

#[test]
fn every_code_is_distinct() {
    let all = [
        ValidationError::SchemaUnsupported(0),
        ValidationError::InvalidId { field: "f", reason: "r" },
        ValidationError::TooLong { field: "f", max: 1 },
        ValidationError::TooMany { field: "f", max: 1 },
        ValidationError::Empty { field: "f" },
        ValidationError::SiteMismatch { expected: String::new(), found: String::new() },
        ValidationError::PolicyVersionUnknown(0),
        ValidationError::PolicyHashMismatch(0),
        ValidationError::PolicyVersionConflict { expected: 0, found: 0 },
        ValidationError::LanguageUnsupported(String::new()),
        ValidationError::CategoryUnknown(String::new()),
        ValidationError::CategoryMissing(String::new()),
        ValidationError::NecessaryDenied,
        ValidationError::CategoryLocked(String::new()),
        ValidationError::PolicyChangeNotMaterial { category: String::new(), change: "c" },
        ValidationError::Duplicate { field: "f", value: String::new() },
        ValidationError::TranslationMissing { field: String::new(), language: String::new() },
        ValidationError::SectionUnknown(String::new()),
        ValidationError::UnsafeLink(String::new()),
        ValidationError::InvalidTimestamp("f"),
        ValidationError::ClientTimeInFuture,
        ValidationError::ClientTimeTooOld,
        ValidationError::InvalidSubject,
        ValidationError::SubjectKeyMismatch,
        ValidationError::SignatureMissing,
        ValidationError::SubjectKeyMissing,
        ValidationError::SignatureInvalid(String::new()),
        ValidationError::InvalidPrev,
        ValidationError::ActionMismatch("a"),
        ValidationError::InvalidOrigin(String::new()),
        ValidationError::NotCanonical(String::new()),
    ];
    let codes: std::collections::BTreeSet<&str> = all.iter().map(ValidationError::code).collect();
    assert_eq!(codes.len(), all.len());
    assert!(codes.iter().all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
}

// ---------------------------------------------------------------------------------------------
// JSON: round trips, unknown fields, duplicate keys
// ---------------------------------------------------------------------------------------------

#[test]
fn json_round_trips() {
    round_trip(&policy());
    round_trip(&claims());
    round_trip(&SubmitReceipt { visitor_signature: Some(sign(&claims())), claims: claims() });
    round_trip(&signed_receipt());
    let mut keyless = claims();
    keyless.subject_key = None;
    keyless.prev = Some("0".repeat(64));
    round_trip(&keyless);
    // A round trip keeps the hash and the signatures valid.
    let p: Policy = serde_json::from_str(&serde_json::to_string(&policy()).unwrap()).unwrap();
    assert_eq!(p.content_hash(), policy().content_hash());
    let s: SignedReceipt = serde_json::from_str(&serde_json::to_string(&signed_receipt()).unwrap()).unwrap();
    assert!(s.verify(&jwks()).is_valid());
}

#[test]
fn deny_unknown_fields() {
    let p = serde_json::to_value(policy()).unwrap();
    refuses_unknown_field::<Policy>(&p, "");
    refuses_unknown_field::<Policy>(&p, "/operator");
    refuses_unknown_field::<Policy>(&p, "/categories/2");
    // Every kind of block (heading with and without anchor, paragraph, list, link).
    for i in [0, 1, 5, 10, 11] {
        refuses_unknown_field::<Policy>(&p, &format!("/text/en/{i}"));
    }
    refuses_unknown_field::<Operator>(&p["operator"], "");
    refuses_unknown_field::<PolicyCategory>(&p["categories"][0], "");
    refuses_unknown_field::<Block>(&p["text"]["ru"][0], "");
    refuses_unknown_field::<Block>(&p["text"]["ru"][1], "");

    let c = serde_json::to_value(claims()).unwrap();
    refuses_unknown_field::<ReceiptClaims>(&c, "");
    refuses_unknown_field::<ReceiptClaims>(&c, "/policy");
    refuses_unknown_field::<ReceiptClaims>(&c, "/subject_key");
    refuses_unknown_field::<PolicyRef>(&c["policy"], "");
    refuses_unknown_field::<PublicJwk>(&c["subject_key"], "");

    let submit = serde_json::to_value(SubmitReceipt { visitor_signature: Some(sign(&claims())), claims: claims() });
    let submit = submit.unwrap();
    refuses_unknown_field::<SubmitReceipt>(&submit, "");
    refuses_unknown_field::<SubmitReceipt>(&submit, "/claims");

    let signed = serde_json::to_value(signed_receipt()).unwrap();
    refuses_unknown_field::<SignedReceipt>(&signed, "");
    refuses_unknown_field::<SignedReceipt>(&signed, "/receipt");
    refuses_unknown_field::<SignedReceipt>(&signed, "/receipt/claims");
}

#[test]
fn unknown_block_type_is_refused() {
    for block in [
        json!({"type": "html", "text": "<b>x</b>"}),
        json!({"text": "no type"}),
        json!({"type": "Paragraph", "text": "x"}),
    ] {
        assert!(serde_json::from_value::<Block>(block.clone()).is_err(), "{block}");
    }
}

#[test]
fn duplicate_keys_are_refused() {
    let c = serde_json::to_string(&claims()).unwrap();
    refuses_duplicate_key::<ReceiptClaims>(&c, r#""decisions":{"#, r#""decisions":{"necessary":"denied","#);
    // The same value twice, and a key spelled with an escape, are duplicates too.
    refuses_duplicate_key::<ReceiptClaims>(&c, r#""decisions":{"#, r#""decisions":{"necessary":"granted","#);
    refuses_duplicate_key::<ReceiptClaims>(&c, r#""decisions":{"#, r#""decisions":{"\u006eecessary":"denied","#);

    let p = serde_json::to_string(&policy()).unwrap();
    refuses_duplicate_key::<Policy>(&p, r#""title":{"#, r#""title":{"ru":"Другое","#);
    refuses_duplicate_key::<Policy>(&p, r#""description":{"#, r#""description":{"en":"Other","#);
    refuses_duplicate_key::<Policy>(&p, r#""summary":{"#, r#""summary":{"en":"Other","#);
    refuses_duplicate_key::<Policy>(&p, r#""text":{"#, r#""text":{"ru":[{"type":"paragraph","text":"Подмена"}],"#);

    // Duplicate struct members are refused too.
    refuses_duplicate_key::<ReceiptClaims>(&c, r#""site":"#, r#""site":"other-site","site":"#);
    refuses_duplicate_key::<Policy>(&p, r#""version":"#, r#""version":2,"version":"#);
}

#[test]
fn duplicate_block_type_tag_is_refused() {
    let text = r#"{"type":"paragraph","type":"heading","level":1,"text":"x"}"#;
    assert!(serde_json::from_str::<Block>(text).is_err());
}

// ---------------------------------------------------------------------------------------------
// Localized views and language choice
// ---------------------------------------------------------------------------------------------

#[test]
fn localized_keeps_only_one_language() {
    let full = policy();
    let hash = full.content_hash().unwrap();
    let view = full.localized("en");
    assert_eq!(full.content_hash().unwrap(), hash, "creating a view changed the full policy's hash");
    assert_eq!(full, policy());
    assert_ne!(view.content_hash().unwrap(), hash);

    assert_eq!(view.summary.keys().collect::<Vec<_>>(), ["en"]);
    assert_eq!(view.text.keys().collect::<Vec<_>>(), ["en"]);
    assert_eq!(view.text["en"], en_text());
    assert_eq!(view.summary["en"], "We use cookies.");
    assert_eq!(view.categories.len(), full.categories.len());
    for (v, f) in view.categories.iter().zip(&full.categories) {
        assert_eq!(v.title.keys().collect::<Vec<_>>(), ["en"]);
        assert_eq!(v.description.keys().collect::<Vec<_>>(), ["en"]);
        assert_eq!(v.title["en"], f.title["en"]);
        assert_eq!(
            (&v.id, v.switchable, v.default, v.gpc_sensitive),
            (&f.id, f.switchable, f.default, f.gpc_sensitive)
        );
        assert_eq!(v.sections, f.sections);
    }
    // Everything that is not text is kept.
    assert_eq!((&view.site, view.version, &view.operator), (&full.site, full.version, &full.operator));
    assert_eq!(view.languages, full.languages);

    // A language the policy does not offer yields no texts at all.
    let none = full.localized("kk");
    assert!(none.summary.is_empty() && none.text.is_empty());
    assert!(none.categories.iter().all(|c| c.title.is_empty() && c.description.is_empty()));
}

#[test]
fn pick_language() {
    let p = policy();
    assert_eq!(p.pick_language(Some("en")), "en");
    assert_eq!(p.pick_language(Some("ru")), "ru");
    assert_eq!(p.pick_language(Some("kk")), "ru");
    assert_eq!(p.pick_language(Some("EN")), "ru");
    assert_eq!(p.pick_language(Some("")), "ru");
    assert_eq!(p.pick_language(None), "ru");
    let mut empty = policy();
    empty.languages.clear();
    assert_eq!(empty.pick_language(Some("en")), "");
}

// ---------------------------------------------------------------------------------------------
// Countersigned receipts
// ---------------------------------------------------------------------------------------------

fn flip_signature_segment(jws: &str) -> String {
    let mut parts: Vec<String> = jws.split('.').map(str::to_string).collect();
    let mut sig = b64url_decode(&parts[2]).unwrap();
    sig[17] ^= 0x01;
    parts[2] = b64url_encode(&sig);
    parts.join(".")
}

#[test]
fn countersigned_receipt_verifies() {
    let s = signed_receipt();
    let v = s.verify(&jwks());
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(v.edge_signature, CheckResult::Valid);
    assert_eq!(v.visitor_signature, CheckResult::Valid);
    assert_eq!(v.hash, CheckResult::Valid);
    assert_eq!(v.kid.as_deref(), Some(EDGE_KID));
    assert_eq!(s.receipt.hash, claims().hash().unwrap());
    assert_eq!(s.receipt.server_time, format_millis(NOW_MS));
}

#[test]
fn keyless_countersigned_receipt_verifies_with_absent_visitor_signature() {
    let mut c = claims();
    c.subject_key = None;
    c.subject = "B".repeat(43);
    let submit = SubmitReceipt { claims: c, visitor_signature: None };
    let s = Receipt::accept(submit, NOW_MS).unwrap().countersign(&edge()).unwrap();
    let v = s.verify(&jwks());
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(v.visitor_signature, CheckResult::Absent);
}

#[test]
fn flipped_claim_is_invalid() {
    let mut s = signed_receipt();
    s.receipt.claims.decisions.insert("marketing".into(), Decision::Granted);
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert!(matches!(v.hash, CheckResult::Invalid(_)), "{v:?}");
    assert!(matches!(v.visitor_signature, CheckResult::Invalid(_)), "{v:?}");
}

#[test]
fn flipped_hash_is_invalid() {
    let mut s = signed_receipt();
    s.receipt.hash = "0".repeat(64);
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert!(matches!(v.hash, CheckResult::Invalid(_)), "{v:?}");
    assert_eq!(v.visitor_signature, CheckResult::Valid);
}

#[test]
fn flipped_server_time_is_invalid() {
    let mut s = signed_receipt();
    s.receipt.server_time = format_millis(NOW_MS + 1);
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert_eq!((v.hash, v.visitor_signature), (CheckResult::Valid, CheckResult::Valid));
}

#[test]
fn flipped_jws_is_invalid() {
    let good = signed_receipt();
    let mut s = good.clone();
    s.jws = flip_signature_segment(&good.jws);
    assert_ne!(s.jws, good.jws);
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert_eq!((v.hash, v.visitor_signature), (CheckResult::Valid, CheckResult::Valid));

    // The JWS of another receipt: it verifies on its own but covers different content.
    let mut other_claims = claims();
    other_claims.widget_version = "0.2.0".into();
    let other =
        Receipt::accept(SubmitReceipt { visitor_signature: Some(sign(&other_claims)), claims: other_claims }, NOW_MS)
            .unwrap()
            .countersign(&edge())
            .unwrap();
    let mut s = good;
    s.jws = other.jws;
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
}

#[test]
fn flipped_visitor_signature_is_invalid() {
    let mut s = signed_receipt();
    s.receipt.visitor_signature = s.receipt.visitor_signature.as_deref().map(flip_signature_segment);
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.visitor_signature, CheckResult::Invalid(_)), "{v:?}");
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert_eq!(v.hash, CheckResult::Valid);

    // A visitor signature removed after countersigning.
    let mut s = signed_receipt();
    s.receipt.visitor_signature = None;
    let v = s.verify(&jwks());
    assert!(!v.is_valid());
    assert!(matches!(v.visitor_signature, CheckResult::Invalid(_)), "{v:?}");
}

#[test]
fn visitor_signature_invalid_even_when_edge_countersigned_it() {
    // The edge countersigns whatever it is given: a bad visitor signature stays detectable.
    let c = claims();
    let bad = flip_signature_segment(&sign(&c));
    let s = Receipt::accept(SubmitReceipt { claims: c, visitor_signature: Some(bad) }, NOW_MS)
        .unwrap()
        .countersign(&edge())
        .unwrap();
    let v = s.verify(&jwks());
    assert_eq!(v.edge_signature, CheckResult::Valid);
    assert!(matches!(v.visitor_signature, CheckResult::Invalid(_)), "{v:?}");
    assert!(!v.is_valid());
}

#[test]
fn edge_key_not_in_jwks_is_invalid() {
    let s = signed_receipt();
    // Another key under another kid.
    let other = Jwks { keys: vec![EdgeSigningKey::from_seed("edge-other", [9; 32]).jwks_entry()] };
    let v = s.verify(&other);
    assert!(!v.is_valid());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert_eq!((v.hash, v.visitor_signature), (CheckResult::Valid, CheckResult::Valid));
    // An empty JWKS.
    let v = s.verify(&Jwks::default());
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    // A different key published under the same kid.
    let impostor = Jwks { keys: vec![EdgeSigningKey::from_seed(EDGE_KID, [9; 32]).jwks_entry()] };
    let v = s.verify(&impostor);
    assert!(matches!(v.edge_signature, CheckResult::Invalid(_)), "{v:?}");
    assert!(!v.is_valid());
}

// ---------------------------------------------------------------------------------------------
// Clause anchors on paragraphs
// ---------------------------------------------------------------------------------------------

/// A policy document as stored before paragraphs could carry anchors.
const POLICY_WITHOUT_PARAGRAPH_ANCHORS: &str = r#"{"schema":1,"site":"test-site","version":3,"effective_date":"2026-11-01","material":false,
"operator":{"legal_name":"ТОО «Пример»","city":"Алматы","email":"privacy@example.kz","phone":"+7 727 000 00 00"},
"languages":["ru"],
"categories":[{"id":"necessary","switchable":false,"default":true,"title":{"ru":"Необходимые"},"description":{"ru":"Без них сайт не работает."},"sections":["s2"]}],
"summary":{"ru":"Мы используем cookie."},
"text":{"ru":[{"type":"heading","level":2,"text":"2. Цели","anchor":"s2"},{"type":"paragraph","text":"2.1. Оператор обрабатывает данные."},{"type":"list","items":["a"]},{"type":"link","text":"Почта","href":"mailto:privacy@example.kz"}]}}"#;

/// Its content hash, computed before `Paragraph` gained `anchor`: receipts already bind it.
const POLICY_WITHOUT_PARAGRAPH_ANCHORS_SHA256: &str =
    "6f000b3b1e215b5c91f6228e60356a570ff1ebd808460ad98feca8835a861f2a";

#[test]
fn hash_of_a_policy_without_paragraph_anchors_is_unchanged() {
    let p: Policy = serde_json::from_str(POLICY_WITHOUT_PARAGRAPH_ANCHORS).unwrap();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(p.content_hash().unwrap(), POLICY_WITHOUT_PARAGRAPH_ANCHORS_SHA256);
    // Serialising writes no `anchor` for a paragraph that has none.
    let back = serde_json::to_value(&p).unwrap();
    assert_eq!(back["text"]["ru"][1], json!({"type": "paragraph", "text": "2.1. Оператор обрабатывает данные."}));
}

fn clause(text: &str, anchor: &str) -> Block {
    Block::Paragraph { text: text.into(), anchor: Some(anchor.into()) }
}

/// The valid policy with clause `s9-1` in both languages.
fn policy_with_clause() -> Policy {
    let mut p = policy();
    push_block(&mut p, "ru", clause("9.1. Данные передаются партнёрам.", "s9-1"));
    push_block(&mut p, "en", clause("9.1. Data goes to partners.", "s9-1"));
    p
}

#[test]
fn clause_anchor_is_a_section_a_category_may_name() {
    let mut p = policy_with_clause();
    p.categories[3].sections.push("s9-1".into());
    assert_eq!(p.validate(), Ok(()));
    round_trip(&p);
    let doc = serde_json::to_value(&p).unwrap();
    assert_eq!(doc["text"]["en"].as_array().unwrap().last().unwrap()["anchor"], "s9-1");
}

#[test]
fn clause_anchor_changes_the_content_hash() {
    let plain = policy();
    let mut anchored = policy();
    push_block(&mut anchored, "en", paragraph("9.1. Data goes to partners."));
    let before = anchored.content_hash().unwrap();
    anchored.text.get_mut("en").unwrap().pop();
    push_block(&mut anchored, "en", clause("9.1. Data goes to partners.", "s9-1"));
    assert_ne!(anchored.content_hash().unwrap(), before);
    assert_ne!(anchored.content_hash().unwrap(), plain.content_hash().unwrap());
}

#[test]
fn invalid_id_clause_anchor() {
    for anchor in ["S9", "9 1", "#s9", ""] {
        let mut p = policy();
        push_block(&mut p, "en", clause("9. Extra", anchor));
        let e = policy_fails(&p, "invalid_id");
        assert!(matches!(e, ValidationError::InvalidId { field: "anchor", .. }), "{anchor:?}: {e:?}");
    }
}

#[test]
fn duplicate_clause_anchors() {
    // Clause against clause, and clause against heading, in one language.
    let mut p = policy_with_clause();
    push_block(&mut p, "en", clause("9.1. Again.", "s9-1"));
    assert_eq!(policy_fails(&p, "duplicate"), ValidationError::Duplicate { field: "anchor", value: "s9-1".into() });

    let mut p = policy();
    push_block(&mut p, "ru", clause("Аналитика снова.", "analytics"));
    assert_eq!(
        policy_fails(&p, "duplicate"),
        ValidationError::Duplicate { field: "anchor", value: "analytics".into() }
    );
}

#[test]
fn section_unknown_when_clause_exists_in_one_language_only() {
    let mut p = policy();
    push_block(&mut p, "ru", clause("9.1. Только по-русски.", "s9-1"));
    assert_eq!(p.validate(), Ok(()));
    p.categories[1].sections.push("s9-1".into());
    assert_eq!(policy_fails(&p, "section_unknown"), ValidationError::SectionUnknown("s9-1".into()));
}

#[test]
fn clause_anchor_unknown_field_still_refused() {
    let block = json!({"type": "paragraph", "text": "9.1. x", "anchor": "s9-1", "id": "x"});
    assert!(serde_json::from_value::<Block>(block).is_err());
    let block = json!({"type": "paragraph", "text": "9.1. x", "anchor": "s9-1"});
    assert_eq!(serde_json::from_value::<Block>(block).unwrap(), clause("9.1. x", "s9-1"));
}
