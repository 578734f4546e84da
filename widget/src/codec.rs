//! JSON text ↔ the model, for what crosses into the wasm as text: the edge's policy answer, the
//! tag's attributes, and what the widget keeps in `localStorage` (the remembered choice, the
//! outbox, the countersigned receipts). Anything of the wrong shape reads as `None`; data a
//! former widget stored with `JSON.stringify` reads the same way. Pure, tested natively.

use alloc::string::String;
use alloc::vec::Vec;

use kelisim_wire::time;

use crate::json::{self, parse, Value};
use crate::model::{decision_str, Action, Block, Category, Decisions, Operator, Policy, Served, Terms, ThirdParty};
use crate::outbox::{Entry, Outbox};
use crate::receipt::Draft;
use crate::state::{Remembered, DAY_MS};

fn string(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(String::from)
}

fn boolean(v: &Value, key: &str) -> Option<bool> {
    v.get(key)?.as_bool()
}

fn number(v: &Value, key: &str) -> Option<u64> {
    v.get(key)?.as_u64()
}

fn small(v: &Value, key: &str) -> Option<u32> {
    u32::try_from(number(v, key)?).ok()
}

/// An array of strings.
fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array()?.iter().map(|s| s.as_str().map(String::from)).collect()
}

/// The entry for `lang` of a `{lang: …}` object, or its first (the edge serves one language).
fn localized<'a>(v: Option<&'a Value>, lang: &str) -> Option<Option<&'a Value>> {
    let members = v?.as_object()?;
    Some(members.iter().find(|(k, _)| k == lang).or(members.first()).map(|(_, t)| t))
}

fn text(v: Option<&Value>, lang: &str) -> Option<String> {
    match localized(v, lang)? {
        Some(t) => t.as_str().map(String::from),
        None => Some(String::new()),
    }
}

fn category(v: &Value, lang: &str) -> Option<Category> {
    Some(Category {
        id: string(v, "id")?,
        switchable: boolean(v, "switchable")?,
        default: boolean(v, "default")?,
        gpc_sensitive: boolean(v, "gpc_sensitive").unwrap_or(false),
        title: text(v.get("title"), lang)?,
        description: text(v.get("description"), lang)?,
    })
}

fn block(v: &Value) -> Option<Block> {
    Some(match v.get("type")?.as_str()? {
        "heading" => Block::Heading {
            level: u8::try_from(number(v, "level")?).ok()?,
            text: string(v, "text")?,
            anchor: string(v, "anchor"),
        },
        "paragraph" => Block::Paragraph { text: string(v, "text")?, anchor: string(v, "anchor") },
        "list" => Block::List { items: strings(v.get("items"))? },
        "link" => Block::Link { text: string(v, "text")?, href: string(v, "href")? },
        _ => return None,
    })
}

/// The member for `lang` of a `{lang: …}` object, else for the policy's default language
/// (`fallback`): the edge serves Art. 8(4) texts in every language, the default one always.
fn pick<'a>(v: Option<&'a Value>, lang: &str, fallback: &str) -> Option<&'a Value> {
    let members = v?.as_object()?;
    members.iter().find(|(k, _)| k == lang).or_else(|| members.iter().find(|(k, _)| k == fallback)).map(|(_, t)| t)
}

fn picked(v: Option<&Value>, lang: &str, fallback: &str) -> String {
    pick(v, lang, fallback).and_then(Value::as_str).map(String::from).unwrap_or_default()
}

/// The policy's `consent` (Art. 8(4)) in `lang`; parts of the wrong shape are left out.
fn terms(v: Option<&Value>, lang: &str, fallback: &str) -> Terms {
    let Some(v) = v else { return Terms::default() };
    let cross = v.get("cross_border");
    Terms {
        term: v.get("term").map(|t| picked(t.get("text"), lang, fallback)).unwrap_or_default(),
        third_parties: v
            .get("third_parties")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .filter_map(|p| {
                        Some(ThirdParty {
                            name: string(p, "name")?,
                            purpose: picked(p.get("purpose"), lang, fallback),
                            country: string(p, "country").unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        transfers: cross.and_then(|c| boolean(c, "transfers")),
        countries: strings(cross.and_then(|c| c.get("countries"))).unwrap_or_default(),
        transfer_text: picked(cross.and_then(|c| c.get("text")), lang, fallback),
        data: v
            .get("data_collected")
            .and_then(Value::as_object)
            .map(|all| {
                all.iter()
                    .filter_map(|(id, lists)| Some((id.clone(), strings(pick(Some(lists), lang, fallback))?)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn policy(v: &Value, lang: &str) -> Option<Policy> {
    let o = v.get("operator")?;
    let languages = strings(v.get("languages"))?;
    let fallback = languages.first().map_or("", String::as_str);
    let terms = terms(v.get("consent"), lang, fallback);
    // The first layer has no `text`.
    let text = match v.get("text").map(|t| localized(Some(t), lang)) {
        Some(Some(Some(blocks))) => blocks.as_array()?.iter().map(block).collect::<Option<Vec<_>>>()?,
        Some(None) => return None,
        _ => Vec::new(),
    };
    Some(Policy {
        version: small(v, "version")?,
        effective_date: string(v, "effective_date")?,
        operator: Operator {
            legal_name: string(o, "legal_name")?,
            city: string(o, "city")?,
            email: string(o, "email")?,
            phone: string(o, "phone")?,
            bin_iin: string(o, "bin_iin").unwrap_or_default(),
        },
        languages,
        categories: v.get("categories")?.as_array()?.iter().map(|c| category(c, lang)).collect::<Option<Vec<_>>>()?,
        summary: self::text(v.get("summary"), lang)?,
        text,
        terms,
    })
}

/// The edge's answer to `GET /v1/sites/{site}/policy?lang=`, whole or its first layer.
#[must_use]
pub fn served(text: &str) -> Option<Served> {
    let v = parse(text)?;
    let language = string(&v, "language")?;
    Some(Served {
        sha256: string(&v, "sha256")?,
        last_material_version: small(&v, "last_material_version")?,
        policy: policy(v.get("policy")?, &language)?,
        language,
        full: v.get("layer").is_none(),
    })
}

/// The value of each member of a JSON object of strings (`{name: value}`), for the tag's
/// attributes.
pub fn lookup(object: &str) -> impl Fn(&str) -> Option<String> {
    let v = parse(object);
    move |name| v.as_ref().and_then(|v| string(v, name))
}

fn decisions(v: Option<&Value>) -> Option<Decisions> {
    let mut out = Decisions::default();
    for (k, d) in v?.as_object()? {
        let granted = match d.as_str()? {
            "granted" => true,
            "denied" => false,
            _ => return None,
        };
        out.insert(k.clone(), granted);
    }
    Some(out)
}

/// `{"name":"granted"|"denied",…}`.
#[must_use]
pub fn decisions_json<'a>(d: impl IntoIterator<Item = (&'a str, bool)>) -> String {
    let mut out = String::from("{");
    for (k, granted) in d {
        if out.len() > 1 {
            out.push(',');
        }
        json::name(&mut out, k);
        json::string(&mut out, decision_str(granted));
    }
    out.push('}');
    out
}

/// The remembered choice (`localStorage["kelisim:{site}"]`).
#[must_use]
pub fn remembered(text: &str) -> Option<Remembered> {
    let v = parse(text)?;
    Some(Remembered {
        version: small(&v, "version")?,
        decisions: decisions(v.get("decisions"))?,
        action: Action::parse(v.get("action")?.as_str()?)?,
        gpc: boolean(&v, "gpc")?,
        at: number(&v, "at")?,
        expires: number(&v, "expires")?,
        subject: string(&v, "subject")?,
        keyed: boolean(&v, "keyed").unwrap_or(false),
        hash: string(&v, "hash")?,
    })
}

#[must_use]
pub fn remembered_json(r: &Remembered) -> String {
    let mut out = String::from("{\"version\":");
    json::number(&mut out, r.version.into());
    out.push_str(",\"decisions\":");
    out.push_str(&decisions_json(r.decisions.iter()));
    out.push_str(",\"action\":");
    json::string(&mut out, r.action.as_str());
    out.push_str(",\"gpc\":");
    json::boolean(&mut out, r.gpc);
    out.push_str(",\"at\":");
    json::number(&mut out, r.at);
    out.push_str(",\"expires\":");
    json::number(&mut out, r.expires);
    out.push_str(",\"subject\":");
    json::string(&mut out, &r.subject);
    out.push_str(",\"keyed\":");
    json::boolean(&mut out, r.keyed);
    out.push_str(",\"hash\":");
    json::string(&mut out, &r.hash);
    out.push('}');
    out
}

/// The `code` of the edge's error answer (`{"error":{"code":…}}`), empty for any other text.
#[must_use]
pub fn error_code(text: &str) -> String {
    parse(text).and_then(|v| string(v.get("error")?, "code")).unwrap_or_default()
}

/// What a receipt says besides its id and time, read back from its canonical claims (to make it
/// again on the edge's clock), and its subject.
#[must_use]
pub fn draft(claims: &str) -> Option<(Draft, String)> {
    let v = parse(claims)?;
    let p = v.get("policy")?;
    let prev = match v.get("prev")? {
        Value::Null => None,
        other => Some(String::from(other.as_str()?)),
    };
    let draft = Draft {
        site: string(&v, "site")?,
        version: small(p, "version")?,
        sha256: string(p, "sha256")?,
        language: string(p, "language")?,
        decisions: decisions(v.get("decisions"))?,
        action: Action::parse(v.get("action")?.as_str()?)?,
        gpc: boolean(&v, "gpc")?,
        prev,
    };
    Some((draft, string(&v, "subject")?))
}

/// The last choice the edge recorded: the newest kept receipt (`[{receipt, jws}]`, see
/// [`keep_receipt`]) other than the one whose hash is `except`, as a remembered choice made at
/// its client time and kept `expiry_days`.
#[must_use]
pub fn last_recorded(stored: Option<&str>, except: &str, expiry_days: u32) -> Option<Remembered> {
    let kept = parse(stored?)?;
    let receipt = kept
        .as_array()?
        .iter()
        .rev()
        .filter_map(|k| k.get("receipt"))
        .find(|r| r.get("hash").and_then(Value::as_str).is_some_and(|h| h != except))?;
    let claims = receipt.get("claims")?;
    let at = u64::try_from(time::parse_millis(claims.get("client_time")?.as_str()?)?).ok()?;
    Some(Remembered {
        version: small(claims.get("policy")?, "version")?,
        decisions: decisions(claims.get("decisions"))?,
        action: Action::parse(claims.get("action")?.as_str()?)?,
        gpc: boolean(claims, "gpc")?,
        at,
        expires: at.saturating_add(u64::from(expiry_days).saturating_mul(DAY_MS)),
        subject: string(claims, "subject")?,
        keyed: !matches!(claims.get("subject_key")?, Value::Null),
        hash: string(receipt, "hash")?,
    })
}

/// The stored outbox; an unreadable entry is dropped (an entry is only ever written whole).
#[must_use]
pub fn outbox(text: &str) -> Outbox {
    let entries = parse(text)
        .as_ref()
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| {
                    Some(Entry {
                        id: string(e, "id")?,
                        body: string(e, "body")?,
                        attempts: small(e, "attempts")?,
                        next_at: number(e, "next_at")?,
                        restamped: boolean(e, "restamped").unwrap_or(false),
                        remake: boolean(e, "remake").unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Outbox { entries }
}

#[must_use]
pub fn outbox_json(o: &Outbox) -> String {
    let mut out = String::from("[");
    for (i, e) in o.entries.iter().enumerate() {
        out.push_str(if i > 0 { ",{\"id\":" } else { "{\"id\":" });
        json::string(&mut out, &e.id);
        out.push_str(",\"body\":");
        json::string(&mut out, &e.body);
        out.push_str(",\"attempts\":");
        json::number(&mut out, e.attempts.into());
        out.push_str(",\"next_at\":");
        json::number(&mut out, e.next_at);
        for (name, set) in [(",\"restamped\":true", e.restamped), (",\"remake\":true", e.remake)] {
            if set {
                out.push_str(name);
            }
        }
        out.push('}');
    }
    out.push(']');
    out
}

/// The kept receipts (`localStorage["kelisim:{site}:receipts"]`, `[{receipt, jws}]`) with the
/// receipt `payload` (canonical JSON) and its `jws` added, the oldest dropped beyond `max`.
#[must_use]
pub fn keep_receipt(stored: Option<&str>, payload: &str, jws: &str, max: usize) -> String {
    let kept = stored.and_then(parse).and_then(|v| match v {
        Value::Array(items) => Some(items),
        _ => None,
    });
    let kept = kept.unwrap_or_default();
    let mut out = String::from("[");
    for item in kept.iter().skip((kept.len() + 1).saturating_sub(max)) {
        item.write(&mut out);
        out.push(',');
    }
    out.push_str("{\"receipt\":");
    out.push_str(payload);
    out.push_str(",\"jws\":");
    json::string(&mut out, jws);
    out.push_str("}]");
    out
}

/// The kept receipts as stored, or `[]` when there are none or they are unreadable.
#[must_use]
pub fn receipts(stored: Option<&str>) -> String {
    match stored.and_then(parse) {
        Some(v @ Value::Array(_)) => {
            let mut out = String::new();
            v.write(&mut out);
            out
        }
        _ => String::from("[]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::served as from_core;

    fn demo() -> kelisim_core::policy::Policy {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/demo/policies/crm-demo.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_edges_policy_answer_reads_as_core_means_it() {
        for (policy, lang) in
            ["ru", "kk", "en"].into_iter().flat_map(|lang| [(demo(), lang), (crate::state::tests::with_terms(), lang)])
        {
            // What the edge serves: the policy localized to one language, its full hash.
            let body = serde_json::json!({
                "sha256": policy.content_hash().unwrap(),
                "last_material_version": 1,
                "language": lang,
                "policy": policy.localized(lang),
            });
            let served = served(&body.to_string()).expect("the edge's answer reads");
            assert_eq!(served, from_core(&policy, lang), "{lang}");
        }
        assert_eq!(served("{}"), None);
        assert_eq!(served("not json"), None);
    }

    #[test]
    fn the_first_layer_reads_as_the_banners_part_of_the_policy() {
        let policy = crate::state::tests::with_terms();
        for lang in ["ru", "kk", "en"] {
            // What edge/src/first_layer.rs serves: the localized policy without its text, its
            // Art. 8(4) details and the categories' sections (pinned by tests/e2e/openapi.test.mjs).
            let mut shown = serde_json::to_value(policy.localized(lang)).unwrap();
            let members = shown.as_object_mut().unwrap();
            members.remove("text");
            members.remove("consent");
            for c in members["categories"].as_array_mut().unwrap() {
                c.as_object_mut().unwrap().remove("sections");
            }
            let body = serde_json::json!({
                "sha256": policy.content_hash().unwrap(),
                "last_material_version": 1,
                "language": lang,
                "layer": "banner",
                "policy": shown,
            });
            let layer = served(&body.to_string()).expect("the first layer reads");
            let whole = from_core(&policy, lang);
            assert!(!layer.full && whole.full);
            assert_eq!(
                (&layer.sha256, &layer.language, layer.last_material_version),
                (&whole.sha256, &whole.language, 1)
            );
            assert_eq!(layer.policy.categories, whole.policy.categories);
            assert_eq!(
                (&layer.policy.summary, &layer.policy.operator),
                (&whole.policy.summary, &whole.policy.operator)
            );
            assert_eq!(
                (layer.policy.version, &layer.policy.languages),
                (whole.policy.version, &whole.policy.languages)
            );
            assert!(layer.policy.text.is_empty() && layer.policy.terms == crate::model::Terms::default());
        }
        // A `text` that is not per language is still refused, with or without the layer marker.
        let mut bad: serde_json::Value = serde_json::json!({
            "sha256": policy.content_hash().unwrap(),
            "last_material_version": 1,
            "language": "ru",
            "policy": policy.localized("ru"),
        });
        assert!(served(&bad.to_string()).is_some());
        bad["policy"]["text"] = serde_json::json!([]);
        assert_eq!(served(&bad.to_string()), None);
        bad["layer"] = "banner".into();
        assert_eq!(served(&bad.to_string()), None);
    }

    #[test]
    fn remembered_choices_round_trip_and_read_what_json_stringify_wrote() {
        let r = Remembered {
            version: 3,
            decisions: [("necessary", true), ("analytics", false)].into_iter().collect(),
            action: Action::Custom,
            gpc: true,
            at: 1_795_398_005_123,
            expires: 1_826_934_005_123,
            subject: "s".repeat(43),
            keyed: false,
            hash: "0".repeat(64),
        };
        assert_eq!(remembered(&remembered_json(&r)), Some(r.clone()));
        let older = r#"{"version":3,"decisions":{"analytics":"denied","necessary":"granted"},"action":"custom","gpc":true,"at":1795398005123,"expires":1826934005123,"subject":"sssssssssssssssssssssssssssssssssssssssssss","hash":"0000000000000000000000000000000000000000000000000000000000000000"}"#;
        assert_eq!(remembered(older).map(|o| o.decisions), Some(r.decisions.clone()));
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"version":-1}"#,
            &older.replace("custom", "maybe"),
            &older.replace("\"denied\"", "\"no\""),
        ] {
            assert_eq!(remembered(bad), None, "{bad}");
        }
    }

    #[test]
    fn outboxes_round_trip_and_unreadable_entries_are_dropped() {
        let mut o = Outbox::default();
        o.push("A".into(), "{\"claims\":{}}".into());
        o.push("B".into(), "b\"\\".into());
        o.settle("A", crate::outbox::Outcome::Retry, 1_000);
        assert_eq!(outbox(&outbox_json(&o)), o);
        assert!(outbox("{not json").is_empty());
        assert!(outbox("{\"a\":1}").is_empty());
        let mixed = r#"[{"id":"A","body":"x","attempts":0,"next_at":0},{"id":1},{"id":"B","body":"y","attempts":2,"next_at":5}]"#;
        assert_eq!(outbox(mixed).entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["A", "B"]);
    }

    #[test]
    fn kept_receipts_grow_to_a_bound_oldest_out() {
        let mut stored: Option<String> = None;
        for i in 0..5 {
            stored = Some(keep_receipt(stored.as_deref(), &format!("{{\"n\":{i}}}"), &format!("jws{i}"), 3));
        }
        let v: serde_json::Value = serde_json::from_str(stored.as_deref().unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!([
                {"receipt": {"n": 2}, "jws": "jws2"},
                {"receipt": {"n": 3}, "jws": "jws3"},
                {"receipt": {"n": 4}, "jws": "jws4"},
            ])
        );
        assert_eq!(receipts(stored.as_deref()), stored.unwrap());
        assert_eq!(receipts(None), "[]");
        assert_eq!(receipts(Some("{\"a\":1}")), "[]");
        assert_eq!(keep_receipt(Some("garbage"), "{}", "j", 3), "[{\"receipt\":{},\"jws\":\"j\"}]");
    }

    fn sample_claims(prev: Option<String>, action: Action, at: u64) -> crate::receipt::Claims {
        let draft = Draft {
            site: "crm-demo".into(),
            version: 3,
            sha256: "a".repeat(64),
            language: "kk".into(),
            decisions: [("necessary", true), ("marketing", false)].into_iter().collect(),
            action,
            gpc: true,
            prev,
        };
        crate::receipt::claims(draft, &crate::receipt::Subject::keyed(&"x".repeat(43)), at, [7; 10])
    }

    #[test]
    fn a_receipt_reads_back_as_the_draft_it_was_made_from() {
        for prev in [None, Some("b".repeat(64))] {
            let claims = sample_claims(prev.clone(), Action::RejectAll, 1_795_398_005_123);
            let (draft, subject) = draft(&claims.canonical()).expect("reads");
            assert_eq!(subject, claims.subject.id);
            let again = crate::receipt::claims(draft, &claims.subject, 1_795_398_005_123, [7; 10]);
            assert_eq!(again.canonical(), claims.canonical());
        }
        assert!(draft("{}").is_none());
        assert!(draft(&sample_claims(None, Action::Custom, 0).canonical().replace("\"custom\"", "\"maybe\"")).is_none());
    }

    #[test]
    fn the_last_recorded_choice_is_the_newest_kept_receipt_but_the_refused_one() {
        use crate::receipt::{receipt_payload, Sent};
        let mut stored = None;
        let mut hashes = Vec::new();
        for (i, action) in [Action::AcceptAll, Action::RejectAll].into_iter().enumerate() {
            let claims = sample_claims(None, action, 1_795_398_005_123 + i as u64);
            let sent = Sent::from_body(&crate::receipt::body(&claims.canonical(), None)).unwrap();
            hashes.push(sent.hash.clone());
            let payload = receipt_payload(&sent, "2026-11-23T01:40:06.000Z", None);
            stored = Some(keep_receipt(stored.as_deref(), &payload, "j", 50));
        }
        let last = last_recorded(stored.as_deref(), "", 10).expect("a recorded choice");
        assert_eq!(last.action, Action::RejectAll);
        assert_eq!(last.hash, hashes[1]);
        assert_eq!(last.version, 3);
        assert!(last.keyed && last.gpc);
        assert_eq!(last.at, 1_795_398_005_124);
        assert_eq!(last.expires, last.at + 10 * DAY_MS);
        assert_eq!(last.decisions.get("marketing"), Some(false));
        let before = last_recorded(stored.as_deref(), &hashes[1], 10).expect("the one before");
        assert_eq!(before.hash, hashes[0]);
        assert_eq!(last_recorded(None, "", 10), None);
        assert_eq!(last_recorded(Some("[]"), "", 10), None);
        assert_eq!(last_recorded(Some("nonsense"), "", 10), None);
    }

    #[test]
    fn error_codes_are_read_from_the_edges_error_answer() {
        assert_eq!(error_code(r#"{"error":{"code":"client_time_in_future","message":"m"}}"#), "client_time_in_future");
        assert_eq!(error_code("<html>"), "");
        assert_eq!(error_code(r#"{"code":"x"}"#), "");
    }

    #[test]
    fn attributes_and_decisions() {
        let attr = lookup(r#"{"data-site":"crm-demo","data-lang":"kk","async":""}"#);
        assert_eq!(attr("data-site").as_deref(), Some("crm-demo"));
        assert_eq!(attr("data-position"), None);
        assert_eq!(lookup("nope")("data-site"), None);
        let d: Decisions = [("b", true), ("a", false)].into_iter().collect();
        assert_eq!(decisions_json(d.iter()), r#"{"a":"denied","b":"granted"}"#);
        assert_eq!(decisions_json([]), "{}");
    }
}
