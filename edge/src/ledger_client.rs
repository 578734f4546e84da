//! The worker's side of a site's ledger (wasm32 only): sends an internal request to the site's
//! `SiteLedger` object (`https://ledger/<path after /v1/sites/{site}>`, header
//! [`SITE_HEADER`]) and reads its answer for the route to relay. Only the worker holds the
//! binding, so the object's requests never come from the internet.

use worker::{Env, Headers, Method, Request, RequestInit, Url};

use crate::error::ApiError;
use crate::ledger_object::LEDGER_BINDING;
use kelisim_core::api::export::NEXT_CURSOR_HEADER;

/// The header naming the site an internal request is about (the object is also named by it).
pub const SITE_HEADER: &str = "Kelisim-Site";

/// The internal origin of the object's requests (never resolved: the stub delivers them).
pub const INTERNAL_ORIGIN: &str = "https://ledger";

/// The headers of the object's answer the worker passes on (the rest it sets itself: `Date`,
/// CORS, `X-Content-Type-Options`).
const RELAYED_HEADERS: [&str; 5] =
    ["Content-Type", "Content-Disposition", "Cache-Control", "Retry-After", NEXT_CURSOR_HEADER];

/// The object's answer: status, body and the relayed headers it set.
pub struct LedgerAnswer {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

fn unavailable(what: &str, e: &worker::Error) -> ApiError {
    worker::console_error!("ledger {what}: {e}");
    ApiError::storage_unavailable()
}

/// The internal URL of `path_and_query` (`/receipts?limit=5`).
///
/// # Errors
/// 500 when it does not parse (the route built it).
pub fn internal_url(path_and_query: &str) -> Result<Url, ApiError> {
    Url::parse(&format!("{INTERNAL_ORIGIN}{path_and_query}")).map_err(|_| ApiError::internal())
}

/// `GET url` on the ledger object of `site`.
///
/// # Errors
/// 503 when the object cannot be reached or throws.
pub async fn get(env: &Env, site: &str, url: &Url) -> Result<LedgerAnswer, ApiError> {
    let stub = env
        .durable_object(LEDGER_BINDING)
        .and_then(|ns| ns.id_from_name(site)?.get_stub())
        .map_err(|e| unavailable("binding", &e))?;
    let headers = Headers::new();
    headers.set(SITE_HEADER, site).map_err(|e| unavailable("header", &e))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let req = Request::new_with_init(url.as_str(), &init).map_err(|e| unavailable("request", &e))?;
    let mut resp = stub.fetch_with_request(req).await.map_err(|e| unavailable("fetch", &e))?;
    let body = resp.text().await.map_err(|e| unavailable("body", &e))?;
    let headers =
        RELAYED_HEADERS.iter().filter_map(|name| resp.headers().get(name).ok().flatten().map(|v| (*name, v))).collect();
    Ok(LedgerAnswer { status: resp.status_code(), body, headers })
}
