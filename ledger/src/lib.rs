//! Kelisim's ledger, pure and runtime-free: each site's receipts form an append-only,
//! tamper-evident log in the shape certificate transparency uses (RFC 6962 / RFC 9162 Merkle
//! tree, C2SP tlog-checkpoint, signed-note and tlog-tiles). Compiles natively (tests, CLI,
//! mirror) and to wasm32 (the edge's Durable Object). The design of the integration is in
//! `docs/ledger.md`.
//!
//! The tree math, tiles and checkpoint bodies are Cloudflare's `tlog_tiles`, the signed notes
//! `signed_note` (both BSD-3, from cloudflare/azul). This crate fixes Kelisim's choices on top:
//! the entry bytes, the log's name, the storage seam, the C2SP path spelling, erasure.
//!
//! # Layout
//! - [`leaf`]: the exact bytes of a receipt entry and of an erasure entry; the leaf hash.
//! - [`tree`]: append over stored hashes (the [`tree::HashStorage`] seam), tree hash, inclusion
//!   and consistency proofs and their verification.
//! - [`origin`]: the log's name, `<edge-host>/kelisim/<site>`.
//! - [`checkpoint`]: signed checkpoints: sign, parse + verify, check a newer one extends an older.
//! - [`tiles`]: C2SP tile paths (strict parser for the GET route), tile contents, entry bundles.
//! - [`erasure`]: tombstones, and proofs that say which erasure removed a leaf.
//! - [`limits`]: every limit as a named constant.
//! - [`api`]: the JSON answers of the public proof routes (edge serves, CLI and mirror check).

pub mod api;
pub mod checkpoint;
pub mod erasure;
pub mod leaf;
pub mod limits;
pub mod origin;
pub mod tiles;
pub mod tree;

pub use tlog_tiles::{Hash, EMPTY_HASH, HASH_SIZE};
