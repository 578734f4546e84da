//! Kelisim's consent widget: Rust compiled to WebAssembly, loaded by one `<script>` tag. It shows
//! the site's current policy, asks for consent per category, remembers the answer first-party,
//! unblocks only the scripts the visitor allowed, and posts a receipt signed with the visitor's
//! WebCrypto Ed25519 key, then checks the edge's countersignature.
//!
//! The wasm decides and the loader (`js/loader.js`) is its hands: the wasm is `no_std` with
//! `alloc`, synchronous, and talks to the loader in text through one export and one import (no
//! serde, no `core::fmt`, no futures, no web-sys). The wire format (canonical JSON writing,
//! base64url, ids, times, names, the claims and receipt texts, the Consent Mode table) is
//! kelisim-wire's, the code core writes with; kelisim-core is only a dev-dependency: native tests
//! pin every text the widget writes to core's.
//!
//! # Layout
//! Pure modules, tested natively (`cargo test -p kelisim-widget`):
//! - [`config`]: the tag's attributes.
//! - [`i18n`]: interface strings (ru, kk, en) and the language pick.
//! - [`model`]: the served policy (actions, decisions and `necessary` are kelisim-wire's).
//! - [`state`]: when the banner shows; decisions after each action; what the settings show.
//! - [`ui`]: the banner, the settings and the policy as element trees for the loader to build.
//! - [`receipt`]: claims, the visitor's detached JWS, checks of the edge's countersignature.
//! - [`json`]: a small strict JSON reader, tested against serde_json (writing is kelisim-wire's).
//! - [`sha256`]: SHA-256, pinned to core's `sha2` (kelisim-wire has no hashes).
//! - [`codec`]: the edge's policy answer and the stored state ↔ the model.
//! - [`outbox`]: receipts waiting for the edge, retries and backoff, receipts made again.
//! - [`clock`]: the edge's clock, learnt from its `Date` header.
//! - [`scripts`]: which marked scripts run, in what order.
//! - [`consent_mode`]: Google Consent Mode v2 signals, from kelisim-wire's table.
//! - [`controller`]: the widget's logic over a [`controller::Host`] (events in, operations out),
//!   with native scenario tests on a fake host.
//!
//! The browser side (`web`, wasm32 only): `widget` (the wasm-bindgen shim over the controller),
//! `host` (the loader's operations, as the controller's host). `js/loader.js` is the tag's file: Consent Mode defaults,
//! `window.kelisim`, the policy request, the wasm, then fetch, WebCrypto, IndexedDB, storage, DOM
//! and events for it.

#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod clock;
pub mod codec;
pub mod config;
pub mod consent_mode;
pub mod controller;
pub mod i18n;
pub mod json;
pub mod model;
pub mod outbox;
pub mod receipt;
pub mod scripts;
pub mod sha256;
pub mod state;
pub mod ui;

#[cfg(target_arch = "wasm32")]
mod web;
