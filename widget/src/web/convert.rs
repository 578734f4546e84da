//! JS values ↔ the crate's model. JSON is parsed by the browser (`JSON.parse`) and read here
//! field by field, which keeps a JSON parser out of the wasm. Anything of the wrong shape reads
//! as `None`; stored data written by an older widget reads the same way.

use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};

use crate::model::{decision_str, Action, Block, Category, Decisions, Operator, Policy, Served};
use crate::outbox::{Entry, Outbox};
use crate::state::Remembered;

/// A property of a JS object (`undefined` when absent or on error).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets a property of a JS object; failures (frozen objects) are ignored.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

fn set_str(obj: &JsValue, key: &str, value: &str) {
    set(obj, key, &JsValue::from_str(value));
}

/// A plain object `{}`.
pub fn object() -> JsValue {
    Object::new().into()
}

/// `JSON.parse(text)`, or `undefined`.
pub fn parse(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// `JSON.stringify(value)`.
pub fn stringify(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok()?.as_string()
}

/// The largest integer a JS number carries exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn string(v: &JsValue, key: &str) -> Option<String> {
    get(v, key).as_string()
}

fn boolean(v: &JsValue, key: &str) -> Option<bool> {
    get(v, key).as_bool()
}

/// A non-negative integer below 2^53.
fn number(v: &JsValue, key: &str) -> Option<u64> {
    let n = get(v, key).as_f64()?;
    let whole = n as u64;
    ((0.0..=MAX_SAFE_INTEGER).contains(&n) && whole as f64 == n).then_some(whole)
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

/// The text for `lang` of a `{lang: text}` map, or the first there is (the edge serves one).
fn text(v: &JsValue, lang: &str) -> Option<String> {
    let all = entries(v)?;
    let pick = all.iter().find(|(k, _)| k == lang).or(all.first());
    pick.map_or(Some(String::new()), |(_, t)| t.as_string())
}

pub fn decisions(v: &JsValue) -> Option<Decisions> {
    let mut out = Decisions::default();
    for (k, d) in entries(v)? {
        let granted = match d.as_string()?.as_str() {
            "granted" => true,
            "denied" => false,
            _ => return None,
        };
        out.insert(k, granted);
    }
    Some(out)
}

/// `{name: "granted" | "denied"}`.
pub fn decisions_js<'a>(d: impl IntoIterator<Item = (&'a str, bool)>) -> JsValue {
    let o = object();
    for (k, granted) in d {
        set_str(&o, k, decision_str(granted));
    }
    o
}

fn category(v: &JsValue, lang: &str) -> Option<Category> {
    Some(Category {
        id: string(v, "id")?,
        switchable: boolean(v, "switchable")?,
        default: boolean(v, "default")?,
        gpc_sensitive: boolean(v, "gpc_sensitive").unwrap_or(false),
        title: text(&get(v, "title"), lang)?,
        description: text(&get(v, "description"), lang)?,
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

fn policy(v: &JsValue, lang: &str) -> Option<Policy> {
    let o = get(v, "operator");
    let text_by_lang = entries(&get(v, "text"))?;
    let blocks = text_by_lang.iter().find(|(k, _)| k == lang).or(text_by_lang.first());
    let blocks = match blocks {
        Some((_, b)) => array(b)?.iter().map(|b| block(&b)).collect::<Option<Vec<_>>>()?,
        None => Vec::new(),
    };
    Some(Policy {
        version: small(v, "version")?,
        effective_date: string(v, "effective_date")?,
        operator: Operator {
            legal_name: string(&o, "legal_name")?,
            city: string(&o, "city")?,
            email: string(&o, "email")?,
            phone: string(&o, "phone")?,
        },
        languages: strings(&get(v, "languages"))?,
        categories: array(&get(v, "categories"))?.iter().map(|c| category(&c, lang)).collect::<Option<Vec<_>>>()?,
        summary: text(&get(v, "summary"), lang)?,
        text: blocks,
    })
}

/// The edge's policy answer.
pub fn served(v: &JsValue) -> Option<Served> {
    let language = string(v, "language")?;
    Some(Served {
        sha256: string(v, "sha256")?,
        last_material_version: small(v, "last_material_version")?,
        policy: policy(&get(v, "policy"), &language)?,
        language,
    })
}

pub fn remembered(v: &JsValue) -> Option<Remembered> {
    Some(Remembered {
        version: small(v, "version")?,
        decisions: decisions(&get(v, "decisions"))?,
        action: Action::parse(&string(v, "action")?)?,
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
    set(&o, "decisions", &decisions_js(r.decisions.iter()));
    set_str(&o, "action", r.action.as_str());
    set(&o, "gpc", &r.gpc.into());
    set(&o, "at", &(r.at as f64).into());
    set(&o, "expires", &(r.expires as f64).into());
    set_str(&o, "subject", &r.subject);
    set(&o, "keyed", &r.keyed.into());
    set_str(&o, "hash", &r.hash);
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
        set_str(&item, "id", &e.id);
        set_str(&item, "body", &e.body);
        set(&item, "attempts", &e.attempts.into());
        set(&item, "next_at", &(e.next_at as f64).into());
        list.push(&item);
    }
    list.into()
}
