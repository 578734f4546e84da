//! Kelisim's wire format, once: the texts a receipt is made of, written the same way by the
//! widget (in wasm), core, the edge and the CLI. `no_std` with `alloc`, no dependencies and no
//! `core::fmt` (no formatting machinery in the widget's wasm).
//!
//! # Layout
//! - [`canonical`]: canonical JSON (RFC 8785) writing: strings, non-negative integers, booleans,
//!   null, member names in canonical order.
//! - [`base64url`]: base64url without padding, strict decoding.
//! - [`id`]: ULIDs, slugs, subject ids.
//! - [`time`]: RFC 3339 timestamps with milliseconds; [`http_date`]: HTTP `Date` headers.
//! - [`names`]: the standard categories, actions, decisions, the receipt schema version.
//! - [`decisions`]: a decision per category, in canonical order.
//! - [`claims`]: the canonical claims of a receipt (what the visitor signs).
//! - [`receipt`]: the submission body and the countersigned receipt payload around the claims.
//! - [`consent_mode`]: which Google Consent Mode v2 signals each standard category drives.
//!
//! Every function is `#[inline]`: it is then compiled in the crate that calls it, as the
//! widget's own modules were, and the wasm stays as small as when the widget kept copies. Without
//! it each crate is optimised apart before the link, and the widget's wasm grew by 759 bytes raw
//! (284 brotli): second copies of `String::push` and of allocation paths, other inlining.
//!
//! Not here: SHA-256 (core uses `sha2`, the widget its own small one, pinned to it) and JSON
//! reading (core uses serde_json, the widget a small strict parser).

#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod base64url;
pub mod canonical;
pub mod claims;
pub mod consent_mode;
pub mod decisions;
pub mod http_date;
pub mod id;
pub mod names;
pub mod receipt;
pub mod time;
