//! A site's ledger: the log (leaves, stored hashes, checkpoints, erasures) and the query tables
//! (rows by time, subject, category and decision; exact day counters), all in one SQLite
//! database that a Durable Object per site owns as the single writer (`docs/ledger.md`).
//!
//! Pure and synchronous over the [`sql::LedgerDb`] seam: the object (`ledger_object.rs`,
//! wasm32) runs it on workerd's SQLite, native tests on rusqlite.
//!
//! # Layout
//! - [`sql`]: the seam and typed column readers. [`schema`]: the tables.
//! - [`rows`]: the query-table rows of one receipt (insert on append, delete on erasure).
//! - [`sqlite`]: the native implementation of the seam (tests, benches).
//! - [`append`]: the receipt write path (dedupe, erased history, index, countersign, commit, KV).
//! - [`hashes`]: the tree's stored hashes over SQL. [`log`]: checkpoints and the KV sweep (the
//!   alarm). [`proofs`]: the public reads (checkpoint, proofs, tiles). [`erase`]: erasure in
//!   the log. [`log_query`]: the log routes' query parsing.
//! - Operator reads: [`query`] (listings, a subject's view, chain links), [`stats`] (exact day
//!   counters), [`export`] (chunks from the leaves' entries), [`reads`] (their internal routes).

pub mod append;
pub mod erase;
pub mod export;
pub mod hashes;
pub mod log;
pub mod log_query;
pub mod proofs;
pub mod query;
pub mod reads;
pub mod rows;
pub mod schema;
pub mod sql;
#[cfg(not(target_arch = "wasm32"))]
pub mod sqlite;
pub mod stats;

use kelisim_ledger::origin::LogOrigin;

use crate::keyring::Keyring;
use crate::kv::Kv;
use sql::LedgerDb;

/// One site's ledger at one instant: what the object's operations run against. Its methods
/// live one concept per file in this module (append, log reads, erasure, queries, stats,
/// export); each is pure over `db` (synchronous SQL) and `kv` (the receipt records).
pub struct SiteLog<'a, K: Kv, D: LedgerDb> {
    pub site: &'a str,
    pub origin: LogOrigin,
    pub db: &'a D,
    pub kv: &'a K,
    pub keys: &'a Keyring,
    pub now_ms: i64,
}
