//! JS values ↔ the crate's types. JSON is parsed by the browser (`JSON.parse`, `response.json`)
//! and read here field by field, which keeps a JSON parser and serde's deserialisers out of the
//! wasm. Anything of the wrong shape reads as `None`.

use std::collections::BTreeMap;

use js_sys::{Array, Object};
use kelisim_core::category::Decision;
use kelisim_core::policy::{Block, Operator, Policy, PolicyCategory};
use kelisim_core::receipt::Action;
use wasm_bindgen::{JsCast, JsValue};

use super::dom::{get, object, set};
use crate::outbox::{Entry, Outbox};
use crate::state::{Remembered, Served};

fn string(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

fn boolean(v: &JsValue, key: &str) -> Option<bool> {
    get(v, key).as_bool()
}

/// A non-negative integer below 2^53.
fn number(v: &JsValue, key: &str) -> Option<u64> {
    let n = get(v, key).as_f64()?;
    ((0.0..=9_007_199_254_740_991.0).contains(&n) && n.fract() == 0.0).then_some(n as u64)
}

fn small(v: &JsValue, key: &str) -> Option<u32> {
    u32::try_from(number(v, key)?).ok()
}

fn array(v: &JsValue) -> Option<Array> {
    v.dyn_ref::<Array>().cloned()
}

fn strings(v: &JsValue) -> Option<Vec<String>> {
    array(v)?.iter().map(|s| s.as_string()).collect()
}

/// `Object.entries(v)`, for a plain object.
fn entries(v: &JsValue) -> Option<Vec<(String, JsValue)>> {
    if !v.is_object() || Array::is_array(v) {
        return None;
    }
    Object::entries(v.unchecked_ref())
        .iter()
        .map(|pair| {
            let pair: Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1)))
        })
        .collect()
}

// Maps are filled by insertion, not `collect()`, which would bring a sort per map type.

fn texts(v: &JsValue) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, t) in entries(v)? {
        out.insert(k, t.as_string()?);
    }
    Some(out)
}

pub fn decisions(v: &JsValue) -> Option<BTreeMap<String, Decision>> {
    let mut out = BTreeMap::new();
    for (k, d) in entries(v)? {
        let d = match d.as_string()?.as_str() {
            "granted" => Decision::Granted,
            "denied" => Decision::Denied,
            _ => return None,
        };
        out.insert(k, d);
    }
    Some(out)
}

pub fn action(s: &str) -> Option<Action> {
    [Action::AcceptAll, Action::RejectAll, Action::Custom, Action::Withdraw, Action::GpcDefault]
        .into_iter()
        .find(|a| a.as_str() == s)
}

fn decision_str(d: Decision) -> &'static str {
    if d.is_granted() {
        "granted"
    } else {
        "denied"
    }
}

/// `{name: "granted" | "denied"}`.
pub fn decisions_js<'a>(d: impl IntoIterator<Item = (&'a str, Decision)>) -> JsValue {
    let o = object();
    for (k, v) in d {
        set(&o, k, &JsValue::from_str(decision_str(v)));
    }
    o
}

pub fn decision_map_js(d: &BTreeMap<String, Decision>) -> JsValue {
    decisions_js(d.iter().map(|(k, v)| (k.as_str(), *v)))
}

fn category(v: &JsValue) -> Option<PolicyCategory> {
    Some(PolicyCategory {
        id: string(v, "id")?,
        switchable: boolean(v, "switchable")?,
        default: boolean(v, "default")?,
        gpc_sensitive: boolean(v, "gpc_sensitive").unwrap_or(false),
        title: texts(&get(v, "title"))?,
        description: texts(&get(v, "description"))?,
        sections: strings(&get(v, "sections")).unwrap_or_default(),
    })
}

fn block(v: &JsValue) -> Option<Block> {
    Some(match string(v, "type")?.as_str() {
        "heading" => Block::Heading {
            level: u8::try_from(number(v, "level")?).ok()?,
            text: string(v, "text")?,
            anchor: string(v, "anchor"),
        },
        "paragraph" => Block::Paragraph { text: string(v, "text")? },
        "list" => Block::List { items: strings(&get(v, "items"))? },
        "link" => Block::Link { text: string(v, "text")?, href: string(v, "href")? },
        _ => return None,
    })
}

fn policy(v: &JsValue) -> Option<Policy> {
    let o = get(v, "operator");
    let mut text = BTreeMap::new();
    for (lang, blocks) in entries(&get(v, "text"))? {
        text.insert(lang, array(&blocks)?.iter().map(|b| block(&b)).collect::<Option<Vec<_>>>()?);
    }
    Some(Policy {
        schema: small(v, "schema")?,
        site: string(v, "site")?,
        version: small(v, "version")?,
        effective_date: string(v, "effective_date")?,
        material: boolean(v, "material")?,
        operator: Operator {
            legal_name: string(&o, "legal_name")?,
            city: string(&o, "city")?,
            email: string(&o, "email")?,
            phone: string(&o, "phone")?,
        },
        languages: strings(&get(v, "languages"))?,
        categories: array(&get(v, "categories"))?.iter().map(|c| category(&c)).collect::<Option<Vec<_>>>()?,
        summary: texts(&get(v, "summary"))?,
        text,
    })
}

/// The edge's policy answer.
pub fn served(v: &JsValue) -> Option<Served> {
    Some(Served {
        sha256: string(v, "sha256")?,
        last_material_version: small(v, "last_material_version")?,
        language: string(v, "language")?,
        policy: policy(&get(v, "policy"))?,
    })
}

pub fn remembered(v: &JsValue) -> Option<Remembered> {
    Some(Remembered {
        version: small(v, "version")?,
        decisions: decisions(&get(v, "decisions"))?,
        action: action(&string(v, "action")?)?,
        gpc: boolean(v, "gpc")?,
        at: number(v, "at")?,
        expires: number(v, "expires")?,
        subject: string(v, "subject")?,
        keyed: boolean(v, "keyed").unwrap_or(false),
        hash: string(v, "hash")?,
    })
}

pub fn remembered_js(r: &Remembered) -> JsValue {
    let o = object();
    set(&o, "version", &r.version.into());
    set(&o, "decisions", &decision_map_js(&r.decisions));
    set(&o, "action", &r.action.as_str().into());
    set(&o, "gpc", &r.gpc.into());
    set(&o, "at", &(r.at as f64).into());
    set(&o, "expires", &(r.expires as f64).into());
    set(&o, "subject", &r.subject.as_str().into());
    set(&o, "keyed", &r.keyed.into());
    set(&o, "hash", &r.hash.as_str().into());
    o
}

/// The stored outbox; anything unreadable is dropped (an entry is only ever written whole).
pub fn outbox(v: &JsValue) -> Outbox {
    let entries = array(v)
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(Entry {
                        id: string(&e, "id")?,
                        body: string(&e, "body")?,
                        attempts: small(&e, "attempts")?,
                        next_at: number(&e, "next_at")?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Outbox { entries }
}

pub fn outbox_js(o: &Outbox) -> JsValue {
    let list = Array::new();
    for e in &o.entries {
        let item = object();
        set(&item, "id", &e.id.as_str().into());
        set(&item, "body", &e.body.as_str().into());
        set(&item, "attempts", &e.attempts.into());
        set(&item, "next_at", &(e.next_at as f64).into());
        list.push(&item);
    }
    list.into()
}
