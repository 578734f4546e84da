//! What the loader lends the wasm: synchronous browser operations on an object of its own
//! (`host` in `js/loader.js`), behind one import, `host.call(op, a, b, c)` (one import rather
//! than one per operation keeps the glue small), as the controller's [`controller::Host`].
//! None of them throws; each is a line or two of JS.

use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::prelude::wasm_bindgen;

use crate::{controller, json};

#[wasm_bindgen]
extern "C" {
    /// The loader's host object.
    pub type Host;

    /// Operation `op` with its arguments (unused ones empty); its answer, if it has one.
    #[wasm_bindgen(method, structural)]
    fn call(this: &Host, op: &str, a: &str, b: &str, c: &str) -> Option<String>;
}

impl controller::Host for Host {
    fn load(&self, key: &str) -> Option<String> {
        self.call("load", key, "", "")
    }

    fn save(&self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.call("save", key, v, ""),
            None => self.call("remove", key, "", ""),
        };
    }

    fn show(&self, kind: &str, tree: &str) {
        self.call("show", kind, tree, "");
    }

    fn close_all(&self) {
        self.call("closeAll", "", "", "");
    }

    fn status(&self, message: &str) {
        self.call("status", message, "", "");
    }

    fn apply(&self, decisions: &str, action: &str, update: &str) {
        self.call("apply", decisions, action, update);
    }

    fn warm(&self) {
        self.call("warm", "", "", "");
    }

    fn record(&self) {
        self.call("record", "", "", "");
    }

    fn refused(&self, detail: &str) {
        self.call("refused", detail, "", "");
    }

    fn warn(&self, message: &str) {
        self.call("warn", message, "", "");
    }

    fn random<const N: usize>(&self) -> Option<[u8; N]> {
        let v = json::parse(&self.call("random", &json::decimal(N as u64), "", "")?)?;
        let bytes = v.as_array()?.iter().map(|b| u8::try_from(b.as_u64()?).ok()).collect::<Option<Vec<u8>>>()?;
        bytes.try_into().ok()
    }

    fn now(&self) -> u64 {
        self.call("now", "", "", "").and_then(|t| json::parse(&t)?.as_u64()).unwrap_or(0)
    }

    fn fetch(&self, url: &str) {
        self.call("fetch", url, "", "");
    }
}
