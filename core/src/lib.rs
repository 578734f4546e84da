//! Kelisim's pure core: the receipt and policy models, canonical JSON, Ed25519 JWS, validation
//! and limits. No web dependencies: it compiles natively (tests, CLI) and to wasm32 (edge, widget).
//!
//! # Layout
//! - [`api`]: the edge's answers and stored records, shared by the edge and the CLI.
//! - [`receipt`]: claims the browser signs, the receipt the edge countersigns, verification.
//! - [`policy`]: the versioned policy document (structured text blocks, never HTML) and its hash.
//! - [`policy_change`]: which changes between versions must be published as material.
//! - [`consent_terms`]: what a consent states under Law No. 94-V Art. 8(4) (BIN/IIN, term, …).
//! - [`category`]: standard categories, Consent Mode v2 signals, decisions.
//! - [`canonical`]: RFC 8785 canonical JSON for the subset receipts and policies use.
//! - [`sign`]: compact JWS with EdDSA (RFC 7515/8037), JWK/JWKS, RFC 7638 thumbprints.
//! - [`id`], [`time`]: ULIDs, slugs, timestamps. [`origin`]: site origins, normalised.
//! - [`limits`], [`error`], [`error_code`]: every limit as a named constant; validation errors;
//!   the one list of stable error codes.
//!
//! The wire format itself (canonical JSON writing, base64url, ULIDs and slugs, timestamps and
//! HTTP dates, names, the Consent Mode table) is kelisim-wire's (`wire/`), which the widget uses
//! too; [`canonical`], [`id`], [`time`], [`category`], [`sign`] and [`receipt`] build on it and
//! keep their API. `tests/wire.rs` pins the serde model's canonical text to kelisim-wire's
//! hand-written claims and receipts.

pub mod api;
pub mod canonical;
pub mod category;
pub mod consent_terms;
pub mod error;
pub mod error_code;
pub mod id;
pub mod limits;
pub mod origin;
pub mod policy;
pub mod policy_change;
pub mod receipt;
pub mod sign;
pub mod time;
pub mod unique;

pub use error::ValidationError;
pub use error_code::ErrorCode;
