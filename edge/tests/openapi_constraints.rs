//! The constraints edge/openapi.json states, checked against the Rust that enforces them: every
//! length, count, range and body cap equals its constant, and every identifier, date and time
//! pattern accepts and refuses the same sample strings as the validator the edge runs.
#![allow(clippy::unwrap_used, clippy::panic)]

use kelisim_core::canonical::is_sha256_hex;
use kelisim_core::id::{check_slug, is_subject_id, ulid_from_parts, ulid_time_ms};
use kelisim_core::limits::{
    DEFAULT_PAGE_LIMIT, MAX_BLOCKS_PER_LANGUAGE, MAX_CATEGORIES, MAX_CONTACT_CHARS, MAX_JWS_CHARS, MAX_LANGUAGES,
    MAX_LIST_ITEMS, MAX_ORIGINS, MAX_ORIGIN_CHARS, MAX_PAGE_LIMIT, MAX_POLICY_BODY_BYTES, MAX_RECEIPT_BODY_BYTES,
    MAX_SITE_BODY_BYTES, MAX_TEXT_CHARS, MAX_URL_CHARS, MAX_WIDGET_VERSION_CHARS,
};
use kelisim_core::policy::check_language;
use kelisim_core::time::{format_millis, parse_date, parse_millis};
use kelisim_edge::auth::MAX_TOKEN_LABEL_CHARS;
use kelisim_edge::cors::is_valid_origin;
use kelisim_edge::router::{route, Method};
use kelisim_edge::service::{MAX_CURSOR_CHARS, MAX_EXPORT_PAGE, MAX_STATS_DAYS};
use regex_lite::Regex;
use serde_json::Value;

const DOCUMENT: &str = include_str!("../openapi.json");

fn doc() -> Value {
    serde_json::from_str(DOCUMENT).unwrap()
}

/// Follows `#/…` references until a node without one.
fn deref<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        node = doc.pointer(reference.strip_prefix('#').unwrap()).unwrap_or_else(|| panic!("dangling {reference}"));
    }
    node
}

fn at<'a>(doc: &'a Value, pointer: &str) -> &'a Value {
    deref(doc, doc.pointer(pointer).unwrap_or_else(|| panic!("{pointer} not in the document")))
}

fn number(doc: &Value, pointer: &str) -> u64 {
    at(doc, pointer).as_u64().unwrap_or_else(|| panic!("{pointer} is not a number"))
}

/// A schema's `pattern`, compiled. The document's patterns stay in the subset ECMA-262 and
/// regex-lite read alike (classes, groups, alternation, counted repetition, anchors).
fn pattern(doc: &Value, schema_pointer: &str) -> Regex {
    let source = at(doc, schema_pointer)["pattern"].as_str().unwrap_or_else(|| panic!("{schema_pointer}: no pattern"));
    Regex::new(source).unwrap()
}

/// Asserts that `pattern` and `validator` agree on every sample.
fn agree(what: &str, pattern: &Regex, validator: impl Fn(&str) -> bool, samples: &[String]) {
    let mut accepted = 0;
    for sample in samples {
        let by_edge = validator(sample);
        assert_eq!(pattern.is_match(sample), by_edge, "{what}: pattern and edge disagree on {sample:?}");
        accepted += usize::from(by_edge);
    }
    assert!(accepted > 0 && accepted < samples.len(), "{what}: the samples must include accepted and refused ones");
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn page_limits_cursor_and_version_equal_the_edge_constants() {
    let doc = doc();
    let limit = "/components/parameters/limit/schema";
    assert_eq!(number(&doc, &format!("{limit}/minimum")), 1);
    assert_eq!(number(&doc, &format!("{limit}/maximum")), MAX_PAGE_LIMIT as u64);
    assert_eq!(number(&doc, &format!("{limit}/default")), DEFAULT_PAGE_LIMIT as u64);
    assert_eq!(number(&doc, "/components/parameters/exportLimit/schema/maximum"), MAX_EXPORT_PAGE as u64);
    for cursor in ["cursor", "exportCursor"] {
        let schema = format!("/components/parameters/{cursor}/schema");
        assert_eq!(number(&doc, &format!("{schema}/minLength")), 1);
        assert_eq!(number(&doc, &format!("{schema}/maxLength")), MAX_CURSOR_CHARS as u64, "{cursor}");
    }
    assert_eq!(number(&doc, "/components/parameters/version/schema/minimum"), 1);
    assert_eq!(number(&doc, "/components/parameters/version/schema/maximum"), u64::from(u32::MAX));
    let stats_to = at(&doc, "/components/parameters/statsTo/description").as_str().unwrap();
    assert!(stats_to.contains(&format!("1 to {MAX_STATS_DAYS} days")), "{stats_to}");
}

#[test]
fn body_caps_equal_the_edge_constants_and_are_documented_413s() {
    let doc = doc();
    for (path, method, cap) in [
        ("/v1/sites/{site}", "put", MAX_SITE_BODY_BYTES),
        ("/v1/sites/{site}/tokens", "post", MAX_SITE_BODY_BYTES),
        ("/v1/sites/{site}/policy", "put", MAX_POLICY_BODY_BYTES),
        ("/v1/sites/{site}/receipts", "post", MAX_RECEIPT_BODY_BYTES),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["requestBody"]["x-max-body-bytes"].as_u64(), Some(cap as u64), "{method} {path}");
        let too_large = deref(&doc, &op["responses"]["413"]);
        let description = too_large["description"].as_str().unwrap_or_else(|| panic!("{method} {path}: no 413"));
        assert!(description.contains(&format!("exceeds {cap} bytes")), "{method} {path}: {description}");
    }
}

#[test]
fn lengths_and_counts_equal_the_core_constants() {
    let doc = doc();
    let s = "/components/schemas";
    for (pointer, expected) in [
        (format!("{s}/SiteConfig/properties/origins/maxItems"), MAX_ORIGINS),
        (format!("{s}/Origin/maxLength"), MAX_ORIGIN_CHARS),
        (format!("{s}/CreateToken/properties/label/maxLength"), MAX_TOKEN_LABEL_CHARS),
        (format!("{s}/DetachedJws/maxLength"), MAX_JWS_CHARS),
        (format!("{s}/ReceiptClaims/properties/decisions/maxProperties"), MAX_CATEGORIES),
        (format!("{s}/Policy/properties/categories/maxItems"), MAX_CATEGORIES),
        (format!("{s}/Policy/properties/languages/maxItems"), MAX_LANGUAGES),
        (format!("{s}/Policy/properties/text/additionalProperties/maxItems"), MAX_BLOCKS_PER_LANGUAGE),
        (format!("{s}/ListBlock/properties/items/maxItems"), MAX_LIST_ITEMS),
        (format!("{s}/ListBlock/properties/items/items/maxLength"), MAX_TEXT_CHARS),
        (format!("{s}/HeadingBlock/properties/text/maxLength"), MAX_TEXT_CHARS),
        (format!("{s}/ParagraphBlock/properties/text/maxLength"), MAX_TEXT_CHARS),
        (format!("{s}/LinkBlock/properties/text/maxLength"), MAX_TEXT_CHARS),
        (format!("{s}/LinkBlock/properties/href/maxLength"), MAX_URL_CHARS),
        (format!("{s}/LocalizedText/additionalProperties/maxLength"), MAX_TEXT_CHARS),
    ] {
        assert_eq!(number(&doc, &pointer), expected as u64, "{pointer}");
    }
    for field in ["legal_name", "city", "email", "phone"] {
        assert_eq!(number(&doc, &format!("{s}/Operator/properties/{field}/maxLength")), MAX_CONTACT_CHARS as u64);
    }
    let widget = pattern(&doc, &format!("{s}/ReceiptClaims/properties/widget_version"));
    assert!(widget.is_match(&"1".repeat(MAX_WIDGET_VERSION_CHARS)));
    assert!(!widget.is_match(&"1".repeat(MAX_WIDGET_VERSION_CHARS + 1)));
}

/// Strings around the edges of an identifier alphabet: each length near `len`, every ASCII byte,
/// and a few non-ASCII ones, in a valid frame.
fn id_samples(valid: &str) -> Vec<String> {
    let mut out = vec![String::new(), valid.to_owned()];
    for n in [1, 2, 3, valid.len() - 1, valid.len() + 1, 63, 64, 65] {
        out.push(valid.chars().cycle().take(n).collect());
    }
    for byte in 0x20u8..0x7f {
        for at in [0, valid.len() / 2, valid.len() - 1] {
            let mut s: Vec<char> = valid.chars().collect();
            s[at] = char::from(byte);
            out.push(s.into_iter().collect());
        }
    }
    for odd in ["é", "\u{0}", "\n", "ⅰ", "٣"] {
        out.push(format!("{}{odd}", &valid[..valid.len() - 1]));
    }
    out
}

#[test]
fn identifier_patterns_accept_exactly_what_the_validators_accept() {
    let doc = doc();
    let s = "/components/schemas";
    let slug = pattern(&doc, &format!("{s}/Slug"));
    let mut slugs = id_samples("crm-demo_1");
    slugs.extend(strings(&["a", "0", "-a", "_a", "a-", &"a".repeat(64), &"a".repeat(65), "CRM", "a.b", "a/b"]));
    agree("Slug", &slug, |x| check_slug("site", x).is_ok(), &slugs);

    let subject = "tNOu0dwuBfv8Gbu1wAOcYX7a9ZlocTzRKscVhOlYOns";
    agree("SubjectId", &pattern(&doc, &format!("{s}/SubjectId")), is_subject_id, &id_samples(subject));

    let ulid = ulid_from_parts(1_795_398_005_123, [0xA5; 10]);
    let mut ulids = id_samples(&ulid);
    ulids.extend([ulid_from_parts(0, [0; 10]), ulid_from_parts(u64::MAX, [0xFF; 10]), ulid.to_lowercase()]);
    ulids.extend(strings(&["8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01ARZ3NDEKTSV4RRFFQ69G5FAU"]));
    agree("Ulid", &pattern(&doc, &format!("{s}/Ulid")), |x| ulid_time_ms(x).is_some(), &ulids);

    let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    agree("Sha256Hex", &pattern(&doc, &format!("{s}/Sha256Hex")), is_sha256_hex, &id_samples(sha));

    let mut languages = strings(&["ru", "kk", "en", "fil", "e", "engl", "RU", "r1", "ру", "", "r-u"]);
    languages.extend(id_samples("kk"));
    agree("Language", &pattern(&doc, &format!("{s}/Language")), |x| check_language(x).is_ok(), &languages);

    let mut origins =
        strings(&["https://shop.example.kz", "http://127.0.0.1:8801", "http://[::1]:80", "https://", "ftp://a"]);
    origins.extend(strings(&["https://a/", "https://a/path", "*", "null", "HTTPS://a", "https://a b", "https://é.kz"]));
    origins.extend(strings(&[
        "HtTp://Shop.Example:08801",
        "https://x:443",
        "https://x:0",
        "https://x:65535",
        "https://x:65536",
    ]));
    origins.extend(strings(&[
        "https://-a.kz",
        "https://a-.kz",
        "https://a..kz",
        "http://:",
        "https://x:",
        "https://user@a",
    ]));
    origins.extend(strings(&[
        "https://[2001:DB8::1]",
        "http://[::ffff:1.2.3.4]:80",
        "http://[::1.2.3.04]",
        "http://[1::2::3]",
    ]));
    origins.extend(strings(&[
        "http://[1:2:3:4:5:6:7:8]",
        "http://[1:2:3:4:5:6:7:8:9]",
        "http://[12345::1]",
        "http://[::]",
    ]));
    origins.push(format!("https://{}.kz", "a".repeat(63)));
    origins.push(format!("https://{}.kz", "a".repeat(64)));
    origins.push(format!("https://{}", "a".repeat(MAX_ORIGIN_CHARS - 8)));
    origins.push(format!("https://{}", "a".repeat(MAX_ORIGIN_CHARS - 7)));
    origins.extend(id_samples("https://a.kz"));
    let origin_ok = |x: &str| is_valid_origin(x) && x.len() <= MAX_ORIGIN_CHARS;
    let origin = at(&doc, &format!("{s}/Origin"));
    let origin_pattern = pattern(&doc, &format!("{s}/Origin"));
    let max = origin["maxLength"].as_u64().unwrap() as usize;
    agree("Origin", &origin_pattern, is_valid_origin, &origins);
    for sample in &origins {
        let by_schema = origin_pattern.is_match(sample) && sample.chars().count() <= max;
        assert_eq!(by_schema, origin_ok(sample), "Origin: schema and edge disagree on {sample:?}");
    }

    // Token ids and policy versions are checked by the router itself.
    let token_routes = |x: &str| route(Method::Delete, &format!("/v1/sites/a/tokens/{x}")).is_ok();
    let tokens: Vec<String> =
        id_samples("0123456789abcdef01234567").into_iter().filter(|x| !x.contains(['/', '?', '#'])).collect();
    agree("TokenId", &pattern(&doc, &format!("{s}/TokenId")), token_routes, &tokens);
}

#[test]
fn the_version_path_parameter_is_the_router_s_range() {
    let doc = doc();
    let schema = at(&doc, "/components/parameters/version/schema");
    let (min, max) = (schema["minimum"].as_u64().unwrap(), schema["maximum"].as_u64().unwrap());
    for n in [0u64, 1, 2, 4_294_967_295, 4_294_967_296, 99_999_999_999] {
        let routed = route(Method::Get, &format!("/v1/sites/a/policy/versions/{n}")).is_ok();
        assert_eq!(routed, (min..=max).contains(&n), "version {n}");
    }
}

/// Every day of the years that decide leap rules, the first and last representable years, and
/// invalid month/day numbers around every month.
fn date_samples() -> Vec<String> {
    let mut out = Vec::new();
    for year in [0, 4, 100, 400, 1900, 1970, 2000, 2024, 2026, 2100, 2400, 9999] {
        for month in 0..=13 {
            for day in 0..=32 {
                out.push(format!("{year:04}-{month:02}-{day:02}"));
            }
        }
    }
    out.extend(strings(&[
        "2026-1-01",
        "2026-01-1",
        "26-01-01",
        "2026/01/01",
        "2026-01-01 ",
        " 2026-01-01",
        "20260101",
    ]));
    out.extend(strings(&["+2026-01-01", "2026-01-01T00:00:00.000Z", "2026-0a-01", "２０２６-01-01", "", "-001-01-01"]));
    out
}

#[test]
fn the_date_pattern_accepts_exactly_the_calendar_dates_the_edge_parses() {
    let doc = doc();
    let date = pattern(&doc, "/components/schemas/Date");
    agree("Date", &date, |x| parse_date("d", x).is_ok(), &date_samples());
}

#[test]
fn the_timestamp_pattern_accepts_exactly_what_the_edge_parses() {
    let doc = doc();
    let timestamp = pattern(&doc, "/components/schemas/Timestamp");
    let mut samples: Vec<String> = date_samples().iter().map(|d| format!("{d}T12:34:56.789Z")).collect();
    for (h, m, s) in [(0, 0, 0), (23, 59, 59), (24, 0, 0), (23, 60, 0), (23, 59, 60), (99, 99, 99), (9, 5, 7)] {
        samples.push(format!("2026-12-02T{h:02}:{m:02}:{s:02}.000Z"));
    }
    let good = "2026-12-02T16:33:58.442Z";
    for at in 0..good.len() {
        for replacement in ['0', '9', 'x', ' ', 'z', 't', '+', '-', ':', '.'] {
            let mut s: Vec<char> = good.chars().collect();
            s[at] = replacement;
            samples.push(s.into_iter().collect());
        }
    }
    samples.extend(strings(&[
        "2026-12-02T16:33:58Z",
        "2026-12-02T16:33:58.4420Z",
        "2026-12-02T16:33:58.442+00:00",
        good,
    ]));
    samples.extend([0, 1, 951_782_400_000, 1_795_398_005_123, 253_402_300_799_999].map(format_millis));
    agree("Timestamp", &timestamp, |x| parse_millis("t", x).is_ok(), &samples);
}
