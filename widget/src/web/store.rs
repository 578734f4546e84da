//! First-party storage: `localStorage`, with an in-memory copy that also serves the session when
//! `localStorage` is missing or throws (private modes, disabled storage, quota).
//!
//! Keys: `kelisim:{site}` (the remembered choice), `kelisim:{site}:outbox` (receipts waiting for
//! the edge), `kelisim:{site}:receipts` (countersigned receipts).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use wasm_bindgen::JsValue;
use web_sys::Storage;

use super::dom::concat;

#[derive(Debug, Default)]
pub struct Store {
    local: Option<Storage>,
    /// Writes `localStorage` refused (`None` = a refused removal): they win over what it holds.
    memory: RefCell<Vec<(String, Option<String>)>>,
}

impl Store {
    pub fn new() -> Self {
        // `window.localStorage` itself throws where storage is disabled.
        let local = super::dom::window().and_then(|w| w.local_storage().ok().flatten());
        Self { local, memory: RefCell::default() }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        if let Some((_, v)) = self.memory.borrow().iter().find(|(k, _)| k == key) {
            return v.clone();
        }
        self.local.as_ref().and_then(|s| s.get_item(key).ok().flatten())
    }

    pub fn set(&self, key: &str, value: &str) {
        let stored = self.local.as_ref().is_some_and(|s| s.set_item(key, value).is_ok());
        self.remember(key, stored, Some(value.to_owned()));
    }

    pub fn remove(&self, key: &str) {
        let removed = self.local.as_ref().is_some_and(|s| s.remove_item(key).is_ok());
        self.remember(key, removed, None);
    }

    /// The stored JSON, parsed by the browser (`undefined` when absent or unreadable).
    pub fn get_json(&self, key: &str) -> JsValue {
        self.get(key).map_or(JsValue::UNDEFINED, |t| super::dom::parse(&t))
    }

    pub fn set_json(&self, key: &str, value: &JsValue) {
        if let Some(text) = js_sys::JSON::stringify(value).ok().and_then(|t| t.as_string()) {
            self.set(key, &text);
        }
    }

    fn remember(&self, key: &str, persisted: bool, value: Option<String>) {
        let mut memory = self.memory.borrow_mut();
        memory.retain(|(k, _)| k != key);
        if !persisted {
            memory.push((key.to_owned(), value));
        }
    }
}

/// The storage key of the remembered choice.
pub fn choice_key(site: &str) -> String {
    concat(&["kelisim:", site])
}

/// The storage key of the outbox.
pub fn outbox_key(site: &str) -> String {
    concat(&["kelisim:", site, ":outbox"])
}

/// The storage key of the countersigned receipts.
pub fn receipts_key(site: &str) -> String {
    concat(&["kelisim:", site, ":receipts"])
}
