//! The visitor's signing key: a WebCrypto Ed25519 key pair made once per site, the private half
//! non-extractable, kept in IndexedDB (`kelisim` / `keys`, keyed by site) as a structured clone of
//! the `CryptoKey`. The script can ask the browser to sign with it but can never read it.

use alloc::vec::Vec;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransactionMode, SubtleCrypto};

use super::dom::{get, listener, object, set, window};
use crate::receipt::Subject;

const DB_NAME: &str = "kelisim";
const DB_VERSION: u32 = 1;
const STORE: &str = "keys";
/// The WebCrypto algorithm of visitor and edge keys.
pub const ED25519: &str = "Ed25519";

/// A key this browser signs with.
#[derive(Debug, Clone)]
pub struct Signer {
    key: CryptoKey,
    pub subject: Subject,
}

pub fn subtle() -> Option<SubtleCrypto> {
    Some(window()?.crypto().ok()?.subtle())
}

impl Signer {
    /// The signer a stored record (`{key, x}`) describes.
    pub fn from_record(record: &JsValue) -> Option<Self> {
        let key = get(record, "key").dyn_into::<CryptoKey>().ok()?;
        let x = get(record, "x").as_string()?;
        Some(Self { key, subject: Subject::keyed(&x) })
    }

    /// An Ed25519 signature over `input`.
    pub async fn sign(&self, input: &str) -> Result<Vec<u8>, JsValue> {
        let subtle = subtle().ok_or(JsValue::NULL)?;
        let promise = subtle.sign_with_str_and_u8_array(ED25519, &self.key, input.as_bytes())?;
        Ok(Uint8Array::new(&JsFuture::from(promise).await?).to_vec())
    }
}

/// Resolves when `req` succeeds, with its result; rejects on its error.
async fn done(req: &IdbRequest) -> Result<JsValue, JsValue> {
    let p = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    JsFuture::from(p).await?;
    req.result()
}

async fn open() -> Result<IdbDatabase, JsValue> {
    let factory = window().ok_or(JsValue::NULL)?.indexed_db()?.ok_or(JsValue::NULL)?;
    let req: IdbOpenDbRequest = factory.open_with_u32(DB_NAME, DB_VERSION)?;
    let upgrade = listener(|event: JsValue| {
        let event: web_sys::Event = event.unchecked_into();
        let db = event.target().and_then(|t| t.dyn_into::<IdbRequest>().ok()).and_then(|r| r.result().ok());
        if let Some(db) = db.and_then(|d| d.dyn_into::<IdbDatabase>().ok()) {
            if !db.object_store_names().contains(STORE) {
                let _ = db.create_object_store(STORE);
            }
        }
    });
    req.set_onupgradeneeded(Some(&upgrade));
    done(&req).await?.dyn_into()
}

/// The record for `site` (`{key, x}`), made and stored on first use. `Ok(None)`: this browser
/// has no WebCrypto Ed25519. `Err`: there is nowhere to keep a key.
pub async fn load_or_create(site: &str) -> Result<Option<JsValue>, JsValue> {
    let db = open().await?;
    let read = db.transaction_with_str(STORE)?.object_store(STORE)?;
    let found = done(&read.get(&JsValue::from_str(site))?).await?;
    if Signer::from_record(&found).is_some() {
        return Ok(Some(found));
    }
    let Some(subtle) = subtle() else { return Ok(None) };
    let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
    let generated = match subtle.generate_key_with_str(ED25519, false, &usages) {
        Ok(p) => JsFuture::from(p).await,
        Err(e) => Err(e),
    };
    let Ok(pair) = generated else { return Ok(None) };
    let public = get(&pair, "publicKey").dyn_into::<CryptoKey>()?;
    let jwk = JsFuture::from(subtle.export_key("jwk", &public)?).await?;
    let record = object();
    set(&record, "key", &get(&pair, "privateKey"));
    set(&record, "x", &get(&jwk, "x"));
    let write = db.transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)?.object_store(STORE)?;
    done(&write.put_with_key(&record, &JsValue::from_str(site))?).await?;
    Ok(Some(record))
}
