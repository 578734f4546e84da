//! The widget's only network peer: its own edge (the origin of the loader script). Policy and
//! JWKS reads, receipt posts, and the WebCrypto check of the edge's signature. No credentials
//! are sent: nothing identifies the visitor but what the receipt itself says.

use alloc::string::String;

use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, RequestInit, Response};

use super::convert;
use super::dom::{concat, get, object, parse, set, set_str, window};
use super::keys::{subtle, ED25519};
use crate::json::decimal;
use crate::model::Served;

const UNFETCHED: &str = "the policy could not be fetched";

/// An HTTP answer: status and body text.
pub struct Answer {
    pub status: u16,
    pub text: String,
}

/// A response promise, then its status and body text. `Err` is a network error.
async fn answer(response: Promise) -> Result<Answer, JsValue> {
    let res: Response = JsFuture::from(response).await?.dyn_into()?;
    let text = JsFuture::from(res.text()?).await?.as_string().unwrap_or_default();
    Ok(Answer { status: res.status(), text })
}

/// `fetch(url, init)` with the widget's options: CORS, no credentials.
fn fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue> {
    let w = window().ok_or(JsValue::NULL)?;
    set_str(init, "credentials", "omit");
    set_str(init, "mode", "cors");
    Ok(w.fetch_with_str_and_init(url, init.unchecked_ref::<RequestInit>()))
}

/// The URL of the current policy in `lang` (or the edge's default language). The loader requests
/// the same URL while the wasm loads (see `js/loader.js`).
pub fn policy_url(edge: &str, site: &str, lang: Option<&str>) -> String {
    let mut url = concat(&[edge, "/v1/sites/", site, "/policy"]);
    if let Some(lang) = lang {
        url.push_str("?lang=");
        url.push_str(lang);
    }
    url
}

/// The current policy from `url`, or from `early`, the loader's request for it. Revalidated on
/// every page view (`cache: no-cache`, answered by a 304 when unchanged), so a new version is
/// seen at once. `Err` is what the console says.
pub async fn policy(url: &str, early: Option<Promise>) -> Result<Served, String> {
    let request = match early {
        Some(p) => p,
        None => {
            let init = object();
            set_str(&init, "cache", "no-cache");
            fetch(url, &init).map_err(|_| String::from(UNFETCHED))?
        }
    };
    let answer = answer(request).await.map_err(|_| String::from(UNFETCHED))?;
    if answer.status != 200 {
        return Err(concat(&[UNFETCHED, " (HTTP ", &decimal(answer.status.into()), ")"]));
    }
    convert::served(&parse(&answer.text)).ok_or_else(|| "the policy could not be read".into())
}

/// Posts a receipt. `keepalive` lets the request finish when the visitor leaves the page.
pub async fn post_receipt(edge: &str, site: &str, body: &str) -> Result<Answer, JsValue> {
    let init = object();
    set_str(&init, "method", "POST");
    set(&init, "keepalive", &JsValue::TRUE);
    set_str(&init, "body", body);
    let headers = object();
    set_str(&headers, "Content-Type", "application/json");
    set(&init, "headers", &headers);
    answer(fetch(&concat(&[edge, "/v1/sites/", site, "/receipts"]), &init)?).await
}

/// The public key `x` of the edge key `kid` in the edge's JWKS (an Ed25519 signing key).
pub async fn jwks_key(edge: &str, kid: &str) -> Option<String> {
    let answer = answer(fetch(&concat(&[edge, "/.well-known/jwks.json"]), &object()).ok()?).await.ok()?;
    if answer.status != 200 {
        return None;
    }
    let keys: Array = get(&parse(&answer.text), "keys").dyn_into().ok()?;
    let is = |k: &JsValue, name: &str, want: &str| get(k, name).as_string().as_deref() == Some(want);
    keys.iter()
        .find(|k| {
            is(k, "kid", kid)
                && is(k, "kty", "OKP")
                && is(k, "crv", ED25519)
                && is(k, "alg", "EdDSA")
                && is(k, "use", "sig")
        })
        .and_then(|k| get(&k, "x").as_string())
}

/// Verifies an Ed25519 `signature` over `input` with the public key `x` (base64url). `Err` when
/// this browser cannot check Ed25519 at all.
pub async fn verify(x: &str, input: &str, signature: &[u8]) -> Result<bool, JsValue> {
    let subtle = subtle().ok_or(JsValue::NULL)?;
    let jwk = object();
    set_str(&jwk, "kty", "OKP");
    set_str(&jwk, "crv", ED25519);
    set_str(&jwk, "x", x);
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported = subtle.import_key_with_str("jwk", jwk.unchecked_ref(), ED25519, false, &usages)?;
    let key: CryptoKey = JsFuture::from(imported).await?.dyn_into()?;
    let promise: Promise =
        subtle.verify_with_str_and_u8_array_and_u8_array(ED25519, &key, signature, input.as_bytes())?;
    Ok(JsFuture::from(promise).await?.is_truthy())
}
