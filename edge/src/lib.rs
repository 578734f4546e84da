//! Kelisim's edge: a Cloudflare Worker that serves policies, verifies, countersigns (JWS, EdDSA)
//! and stores consent receipts in Workers KV, and answers operators.
//!
//! # Layout
//! - `router`: the route table (pure). `error`: every error → HTTP, in one place.
//! - `service`: the logic, over the `kv::Kv` seam (native tests use `kv::MemoryKv`).
//! - `keys`: the KV key schema (documented there). `keyring`, `auth`, `cors`: pure helpers.
//! - `chain`: a subject's hash chain (current receipt, forks). `erasure`: resumable erasure of a subject;
//!   `tombstone`: what erasure leaves.
//! - `cache`: what an isolate keeps between requests (policy versions, site configurations).
//! - `routes`, `store_kv`: the thin runtime layer (wasm32 only).

pub mod auth;
pub mod cache;
pub mod chain;
pub mod cors;
pub mod erasure;
pub mod error;
pub mod first_layer;
pub mod keyring;
pub mod keys;
pub mod kv;
pub mod router;
pub mod service;
pub mod tombstone;

#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod store_kv;

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(req: worker::Request, env: worker::Env, _ctx: worker::Context) -> worker::Result<worker::Response> {
    Ok(routes::handle(req, env).await)
}
