//! A site's log as the CLI reads it (docs/ledger.md §6–7): where it comes from, which key is
//! trusted for it, the witness (`kelisim log verify`), receipt inclusion (`kelisim receipts
//! verify`) and the mirror (`kelisim mirror`). Pure over the [`source::LogSource`] seam.
//!
//! - [`source`]: the seam and its HTTP implementation.
//! - [`trust`]: the checkpoint verifier: `--key`, or the edge's key checked against the JWKS.
//! - [`entries`]: entry bundles fetched and parsed strictly; receipt entries checked.
//! - [`witness`]: checkpoints extending the last one accepted; KV records against the log.
//! - [`inclusion`]: a receipt's inclusion proof against a verified checkpoint.
//! - [`mirror`]: the verifying SQLite copy.

pub mod entries;
pub mod inclusion;
pub mod mirror;
pub mod source;
pub mod trust;
pub mod witness;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod http_tests;
#[cfg(test)]
mod tests;
