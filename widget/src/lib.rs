//! Kelisim's consent widget: Rust compiled to WebAssembly, loaded by one `<script>` tag. It shows
//! the site's current policy, asks for consent per category, remembers the answer first-party,
//! unblocks only the scripts the visitor allowed, and posts a receipt signed with the visitor's
//! WebCrypto Ed25519 key, then checks the edge's countersignature.
//!
//! # Layout
//! Pure modules, tested natively (`cargo test -p kelisim-widget`):
//! - [`config`]: the tag's attributes.
//! - [`i18n`]: interface strings (ru, kk, en) and the language pick.
//! - [`state`]: when the banner shows; decisions after each action; what the settings show.
//! - [`receipt`]: claims, the visitor's detached JWS, checks of the edge's countersignature.
//! - [`outbox`]: receipts waiting for the edge, retries and backoff.
//! - [`scripts`]: which marked scripts run, in what order.
//! - [`consent_mode`]: Google Consent Mode v2 signals.
//!
//! The browser side (`web`, wasm32 only): `app` (the controller), `view` (shadow-root DOM,
//! accessibility), `store` (localStorage with an in-memory fallback), `keys` (the visitor key in
//! IndexedDB), `net` (fetch, WebCrypto verification), `activate` (re-creating marked scripts),
//! `api` (`window.kelisim` and the `kelisim:change` event). `js/loader.js` is the tag's file:
//! Consent Mode defaults, then the wasm.

pub mod config;
pub mod consent_mode;
pub mod i18n;
pub mod outbox;
pub mod receipt;
pub mod scripts;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod web;
