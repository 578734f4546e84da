//! What the loader lends the wasm: synchronous browser operations on an object of its own
//! (`host` in `js/loader.js`), behind one import, `host.call(op, a, b, c)` (one import rather
//! than one per operation keeps the glue small). None of them throws; each is a line or two of JS.

use alloc::string::String;

use wasm_bindgen::prelude::wasm_bindgen;

use crate::json;

#[wasm_bindgen]
extern "C" {
    /// The loader's host object.
    pub type Host;

    /// Operation `op` with its arguments (unused ones empty); its answer, if it has one.
    #[wasm_bindgen(method, structural)]
    fn call(this: &Host, op: &str, a: &str, b: &str, c: &str) -> Option<String>;
}

impl Host {
    /// `localStorage[key]` (or the page's in-memory copy where storage throws).
    pub fn load(&self, key: &str) -> Option<String> {
        self.call("load", key, "", "")
    }

    /// Stores `value` under `key`; `None` removes it.
    pub fn save(&self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.call("save", key, v, ""),
            None => self.call("remove", key, "", ""),
        };
    }

    /// Shows an element tree of [`crate::ui`]: the banner (`"banner"`) or a dialog
    /// (`"settings"`, `"policy"`; not twice), mounting the widget first.
    pub fn show(&self, kind: &str, tree: &str) {
        self.call("show", kind, tree, "");
    }

    /// Closes the banner and every dialog, returning focus where it was.
    pub fn close_all(&self) {
        self.call("closeAll", "", "", "");
    }

    /// Says `message` in the widget's polite live region.
    pub fn status(&self, message: &str) {
        self.call("status", message, "", "");
    }

    /// Puts decisions in force on the page: `gtag('consent', 'update', update)`, the
    /// `kelisim:change` event and subscribers with `{decisions, action}`, then the marked scripts
    /// now allowed. `decisions` and `update` are JSON objects (`{name: "granted" | "denied"}`).
    pub fn apply(&self, decisions: &str, action: &str, update: &str) {
        self.call("apply", decisions, action, update);
    }

    /// Fetches `url` from the edge (no credentials, revalidated) and answers with the events
    /// `clock` and `full` (status, body).
    pub fn fetch(&self, url: &str) {
        self.call("fetch", url, "", "");
    }

    /// Starts loading (or making) the visitor key, so a choice does not wait for it.
    pub fn warm(&self) {
        self.call("warm", "", "", "");
    }

    /// Records the queued choices (the `claims` event), then flushes the outbox.
    pub fn record(&self) {
        self.call("record", "", "", "");
    }

    /// The `kelisim:refused` event, with `detail` (JSON: `{id, status, code}`): the edge refused a
    /// receipt for good.
    pub fn refused(&self, detail: &str) {
        self.call("refused", detail, "", "");
    }

    /// `console.warn("[kelisim] " + message)`.
    pub fn warn(&self, message: &str) {
        self.call("warn", message, "", "");
    }

    /// `N` bytes from `crypto.getRandomValues`, if the browser has it.
    pub fn random<const N: usize>(&self) -> Option<[u8; N]> {
        let v = json::parse(&self.call("random", &json::decimal(N as u64), "", "")?)?;
        let bytes =
            v.as_array()?.iter().map(|b| u8::try_from(b.as_u64()?).ok()).collect::<Option<alloc::vec::Vec<u8>>>()?;
        bytes.try_into().ok()
    }

    /// `Date.now()`.
    pub fn now(&self) -> u64 {
        self.call("now", "", "", "").and_then(|t| json::parse(&t)?.as_u64()).unwrap_or(0)
    }
}
