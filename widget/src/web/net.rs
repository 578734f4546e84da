//! The widget's only network peer: its own edge (the origin of the loader script). Policy and
//! JWKS reads, receipt posts, and the WebCrypto check of the edge's signature. No credentials
//! are sent: nothing identifies the visitor but what the receipt itself says.

use js_sys::{Array, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, RequestInit, Response};

use super::convert;
use super::dom::{get, object, parse, set, window};
use super::keys::{subtle, ED25519};
use crate::state::Served;

/// An HTTP answer: status and body text.
pub struct Answer {
    pub status: u16,
    pub text: String,
}

/// `fetch(url, init)` and the body as text. `Err` is a network error (nothing was answered).
async fn fetch(url: &str, init: &JsValue) -> Result<Answer, JsValue> {
    let w = window().ok_or(JsValue::NULL)?;
    set(init, "credentials", &JsValue::from_str("omit"));
    set(init, "mode", &JsValue::from_str("cors"));
    let res: Response =
        JsFuture::from(w.fetch_with_str_and_init(url, init.unchecked_ref::<RequestInit>())).await?.dyn_into()?;
    let text = JsFuture::from(res.text()?).await?.as_string().unwrap_or_default();
    Ok(Answer { status: res.status(), text })
}

/// The current policy in `lang` (or the edge's default language). Revalidated on every page view
/// (`cache: no-cache`, answered by a 304 when unchanged), so a new version is seen at once.
pub async fn policy(edge: &str, site: &str, lang: Option<&str>) -> Result<Served, String> {
    let query = lang.map(|l| format!("?lang={l}")).unwrap_or_default();
    let init = object();
    set(&init, "cache", &JsValue::from_str("no-cache"));
    let answer = fetch(&format!("{edge}/v1/sites/{site}/policy{query}"), &init)
        .await
        .map_err(|_| "the policy could not be fetched".to_owned())?;
    if answer.status != 200 {
        return Err(format!("the policy could not be fetched (HTTP {})", answer.status));
    }
    convert::served(&parse(&answer.text)).ok_or_else(|| "the policy could not be read".to_owned())
}

/// Posts a receipt. `keepalive` lets the request finish when the visitor leaves the page.
pub async fn post_receipt(edge: &str, site: &str, body: &str) -> Result<Answer, JsValue> {
    let init = object();
    set(&init, "method", &JsValue::from_str("POST"));
    set(&init, "keepalive", &JsValue::TRUE);
    set(&init, "body", &JsValue::from_str(body));
    let headers = object();
    set(&headers, "Content-Type", &JsValue::from_str("application/json"));
    set(&init, "headers", &headers);
    fetch(&format!("{edge}/v1/sites/{site}/receipts"), &init).await
}

/// The public key `x` of the edge key `kid` in the edge's JWKS (an Ed25519 signing key).
pub async fn jwks_key(edge: &str, kid: &str) -> Option<String> {
    let answer = fetch(&format!("{edge}/.well-known/jwks.json"), &object()).await.ok()?;
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
    set(&jwk, "kty", &JsValue::from_str("OKP"));
    set(&jwk, "crv", &JsValue::from_str(ED25519));
    set(&jwk, "x", &JsValue::from_str(x));
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported = subtle.import_key_with_str("jwk", jwk.unchecked_ref(), ED25519, false, &usages)?;
    let key: CryptoKey = JsFuture::from(imported).await?.dyn_into()?;
    let promise: Promise =
        subtle.verify_with_str_and_u8_array_and_u8_array(ED25519, &key, signature, input.as_bytes())?;
    Ok(JsFuture::from(promise).await?.is_truthy())
}
