//! Kelisim's edge: a Cloudflare Worker that serves policies, verifies, countersigns (JWS, EdDSA)
//! and stores consent receipts in Workers KV, and answers operators.
//!
//! # Layout
//! - `router`: the route table (pure). `error`: every error → HTTP status, in one place
//!   (the codes are `kelisim_core::ErrorCode`).
//! - `service/`: the logic, one file per concept (sites, policies, submission, receipts, subjects,
//!   erasure, stats, tokens, export, csv), over the `kv::Kv` seam (native tests use
//!   `kv::MemoryKv`). Its answers are the types of `kelisim_core::api`, shared with the CLI.
//! - `keys`: the KV key schema (documented there). `keyring`, `auth` (tokens, scopes, route
//!   access), `cors`: pure helpers.
//! - `chain`: a subject's hash chain (current receipt, forks).
//! - `ledger/`: a site's log and query tables over SQL (the Durable Object's storage).
//! - `first_layer`, `site_loader`: the banner's document, and the site's own loader with it
//!   written in (`GET /v1/sites/{site}/kelisim.js`).
//! - `cache`: what an isolate keeps between requests (policy versions, site configurations).
//! - `ledger_object`: the site's Durable Object (wasm32 only); `routes` forwards to it.
//! - `routes`, `store_kv`: the thin runtime layer (wasm32 only): parse the request, call one
//!   service method, write the answer (with `Date` from the edge's clock).

pub mod auth;
pub mod cache;
pub mod chain;
pub mod cors;
pub mod error;
pub mod first_layer;
pub mod keyring;
pub mod keys;
pub mod kv;
pub mod ledger;
pub mod router;
pub mod service;
pub mod site_loader;

#[cfg(target_arch = "wasm32")]
pub mod ledger_object;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod store_kv;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, _ctx: worker::Context) -> worker::Result<worker::Response> {
    Ok(routes::handle(req, env).await)
}
