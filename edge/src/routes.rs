//! The HTTP layer (transport only): reads the request (capped body and headers, query pairs,
//! CORS), calls one `service` method, and writes its typed answer as a `Response` (with `Date`
//! from the edge's clock). Every rule is in `service`, tested natively.

use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen_futures::JsFuture;
use worker::{Date, Env, Headers, Request, Response};

use kelisim_core::limits::{MAX_POLICY_BODY_BYTES, MAX_RECEIPT_BODY_BYTES, MAX_SITE_BODY_BYTES};
use kelisim_core::receipt::SubmitReceipt;
use kelisim_core::time::format_http_date;

use crate::cache::IsolateCache;
use crate::cors;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::ledger::reads::CHAIN_LINK_PATH;
use crate::ledger_object::{LEDGER_BINDING, REQUESTED_BY_HEADER, SITE_HEADER};
use crate::router::{check_header_size, route, Method, Route};
use crate::service::policies::PolicyReply;
use crate::service::{parse_erasures_query, parse_json, Service, NEXT_CURSOR_HEADER};
use crate::site_loader;
use crate::store_kv::{WorkersKv, BINDING};

/// Past a body cap, how much more of an upload is read and discarded before the connection is
/// cut: enough for any honest mistake, little enough that it costs nothing.
const MAX_DRAIN_BYTES: usize = 1024 * 1024;
/// A `[vars]` entry that test configurations set to "1": each response then names the size of
/// the isolate's wasm memory. Never set in `edge/wrangler.toml`.
const DIAGNOSTICS_VAR: &str = "KELISIM_DIAGNOSTICS";
/// With [`DIAGNOSTICS_VAR`] set, this path asks a ledger object whether a failing commit rolls
/// back (`ledger_object.rs`); outside the router and the API.
const LEDGER_ROLLBACK_PROBE: &str = "/__diagnostics/ledger-rollback";
/// The OpenAPI document of every route, served as is.
const OPENAPI: &str = include_str!("../openapi.json");

/// The static loader's path in the assets (scripts/build-widget.sh writes it).
const STATIC_LOADER_PATH: &str = "https://assets.invalid/v1/kelisim.js";
/// The site's loader carries the current first layer, so it is revalidated on every page view
/// (its ETag answers 304 when neither the policy nor the widget changed): a policy edit shows at
/// once, as the first layer fetched with `cache: 'no-cache'` did.
const SITE_LOADER_CACHE_CONTROL: &str = "no-cache";

/// The widget's static loader, as the assets serve `/v1/kelisim.js`.
async fn static_loader(env: &Env) -> Result<String, ApiError> {
    let assets = env.assets("ASSETS").map_err(|_| ApiError::internal())?;
    let mut res = assets.fetch(STATIC_LOADER_PATH, None).await.map_err(|_| ApiError::internal())?;
    if res.status_code() != 200 {
        return Err(ApiError::internal());
    }
    res.text().await.map_err(|_| ApiError::internal())
}

/// A response under construction.
struct Reply {
    status: u16,
    body: Body,
    headers: Vec<(&'static str, String)>,
}

enum Body {
    Text(String),
    Bytes(Vec<u8>),
}

impl Reply {
    fn json<T: Serialize>(status: u16, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(value).map_err(|_| ApiError::internal())?;
        Ok(Self::raw_json(status, body))
    }

    fn raw_json(status: u16, body: String) -> Self {
        Self { status, body: Body::Text(body), headers: Vec::new() }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// The request's method, by its name on the wire: `worker` 0.8.7 reads a method it does not know
/// (`QUERY`, `PROPFIND`, …) as GET, which would answer it instead of 405. The runtime upper-cases
/// the six standard names whatever their case (Fetch: normalize a method).
fn method_of(req: &Request) -> Method {
    match req.inner().method().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "OPTIONS" => Method::Options,
        _ => Method::Other,
    }
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads a JSON body of at most `max` bytes, refusing early on `Content-Length` and counting
/// streamed bytes for chunked bodies, so an oversized body is never buffered whole.
async fn read_json_body(req: &mut Request, max: usize) -> Result<Vec<u8>, ApiError> {
    let content_type = header(req, "Content-Type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media != "application/json" {
        return Err(ApiError::unsupported_media_type());
    }
    if let Some(len) = header(req, "Content-Length").and_then(|l| l.trim().parse::<usize>().ok()) {
        // Far over the cap: refuse unread. Slightly over: the loop below reads and discards it.
        if len > MAX_DRAIN_BYTES {
            return Err(ApiError::too_large(max));
        }
    }
    let Some(stream) = req.inner().body() else {
        return Err(ApiError::malformed_body("empty body"));
    };
    let reader = web_sys::ReadableStreamDefaultReader::new(&stream).map_err(|_| ApiError::internal())?;
    let mut body = Vec::new();
    let mut received = 0usize;
    loop {
        let chunk =
            JsFuture::from(reader.read()).await.map_err(|_| ApiError::malformed_body("body could not be read"))?;
        let done = js_sys::Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            break;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).map_err(|_| ApiError::internal())?;
        let bytes = js_sys::Uint8Array::new(&value);
        received += bytes.length() as usize;
        if received > max {
            if received > MAX_DRAIN_BYTES {
                let _ = JsFuture::from(reader.cancel()).await;
                return Err(ApiError::too_large(max));
            }
            // Past the cap nothing is kept, but the upload is read to its end: answering while
            // the runtime still pipes an unread body makes it fail the connection.
            body.clear();
            continue;
        }
        body.extend_from_slice(&bytes.to_vec());
    }
    if received > max {
        return Err(ApiError::too_large(max));
    }
    if body.is_empty() {
        return Err(ApiError::malformed_body("empty body"));
    }
    Ok(body)
}

/// Reads and drops an upload the edge refuses before looking at it (up to [`MAX_DRAIN_BYTES`]):
/// answering while the runtime still pipes an unread body makes it fail the connection.
async fn discard_body(req: &mut Request) {
    let Some(stream) = req.inner().body() else { return };
    let Ok(reader) = web_sys::ReadableStreamDefaultReader::new(&stream) else { return };
    let mut received = 0usize;
    while let Ok(chunk) = JsFuture::from(reader.read()).await {
        if js_sys::Reflect::get(&chunk, &"done".into()).map(|d| d.is_truthy()).unwrap_or(true) {
            return;
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).unwrap_or_default();
        received += js_sys::Uint8Array::new(&value).length() as usize;
        if received > MAX_DRAIN_BYTES {
            let _ = JsFuture::from(reader.cancel()).await;
            return;
        }
    }
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url().map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()).unwrap_or_default()
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    query_pairs(req).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn secret(env: &Env, name: &str) -> String {
    env.secret(name).map(|s| s.to_string()).unwrap_or_default()
}

fn random<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| ApiError::internal())?;
    Ok(bytes)
}

/// Applies a Workers Rate Limiting binding to `key`. A missing binding or a limiter fault lets
/// the request through: availability of consent recording outranks throttling.
async fn rate_limit(env: &Env, binding: &str, key: &str, period_seconds: u32) -> Result<(), ApiError> {
    let Ok(limiter) = env.rate_limiter(binding) else { return Ok(()) };
    match limiter.limit(key.to_owned()).await {
        Ok(outcome) if !outcome.success => Err(ApiError::rate_limited(period_seconds)),
        _ => Ok(()),
    }
}

thread_local! {
    static KEYRING: std::cell::RefCell<Option<(String, Rc<Keyring>)>> = const { std::cell::RefCell::new(None) };
    /// Parsed policy versions and site configurations kept between this isolate's requests.
    static CACHE: Rc<IsolateCache> = Rc::new(IsolateCache::default());
}

/// A plain-text binding that may be a `[vars]` entry or a secret (the retired keys are public,
/// so either is fine).
fn var_or_secret(env: &Env, name: &str) -> String {
    env.var(name).map(|v| v.to_string()).unwrap_or_else(|_| secret(env, name))
}

/// The keyring for the current secret and retired keys, parsed once per isolate.
pub(crate) fn keyring(env: &Env) -> Result<Rc<Keyring>, ApiError> {
    let signing = secret(env, "EDGE_SIGNING_KEYS");
    let retired = var_or_secret(env, "EDGE_RETIRED_KEYS");
    let raw = format!("{signing}\n{retired}");
    KEYRING.with(|cell| {
        if let Some((cached, ring)) = cell.borrow().as_ref() {
            if *cached == raw {
                return Ok(ring.clone());
            }
        }
        let ring = Rc::new(Keyring::parse_with_retired(&signing, &retired).map_err(|e| {
            worker::console_error!("EDGE_SIGNING_KEYS / EDGE_RETIRED_KEYS: {e}");
            ApiError::internal()
        })?);
        *cell.borrow_mut() = Some((raw, ring.clone()));
        Ok(ring)
    })
}

/// Headers of the ledger object's answer the worker relays.
const RELAYED_HEADERS: &[&str] =
    &["Content-Type", "Content-Disposition", "Cache-Control", "Retry-After", "Kelisim-Replayed", NEXT_CURSOR_HEADER];

/// Sends one internal request to `site`'s ledger object (`https://ledger<path>`, the public
/// path after `/v1/sites/{site}` with its query) and turns its answer into a [`Reply`]: the
/// object's status, body and [`RELAYED_HEADERS`].
///
/// # Errors
/// 503 `ledger_unavailable` when the object cannot be reached or throws.
async fn to_ledger(
    env: &Env,
    site: &str,
    method: worker::Method,
    path: &str,
    body: Option<Vec<u8>>,
    requested_by: Option<&str>,
) -> Result<Reply, ApiError> {
    let unavailable = |e: worker::Error| {
        worker::console_error!("ledger {site}: {e}");
        ApiError::ledger_unavailable()
    };
    let stub =
        env.durable_object(LEDGER_BINDING).and_then(|ns| ns.id_from_name(site)?.get_stub()).map_err(unavailable)?;
    let headers = Headers::new();
    headers.set(SITE_HEADER, site).map_err(unavailable)?;
    if let Some(by) = requested_by {
        headers.set(REQUESTED_BY_HEADER, by).map_err(unavailable)?;
    }
    let mut init = worker::RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
    }
    let req = Request::new_with_init(&format!("https://ledger{path}"), &init).map_err(unavailable)?;
    let mut res = stub.fetch_with_request(req).await.map_err(unavailable)?;
    let bytes = res.bytes().await.map_err(unavailable)?;
    let mut reply = Reply { status: res.status_code(), body: Body::Bytes(bytes), headers: Vec::new() };
    for name in RELAYED_HEADERS {
        if let Ok(Some(value)) = res.headers().get(name) {
            reply = reply.header(name, value);
        }
    }
    Ok(reply)
}

/// The request's path after `/v1/sites/{site}`, with its query: what the ledger object routes on.
fn ledger_path(req: &Request, site: &str) -> String {
    let url = req.url().ok();
    let path = req.path();
    let rest = path.strip_prefix(&format!("/v1/sites/{site}")).unwrap_or(&path).to_owned();
    match url.as_ref().and_then(|u| u.query()) {
        Some(q) => format!("{rest}?{q}"),
        None => rest,
    }
}

/// Asks the site's ledger object whether a receipt of `subject` with hash `prev` is held.
async fn ledger_prev_found(env: &Env, site: &str, subject: &str, prev: &str) -> Result<bool, ApiError> {
    #[derive(serde::Deserialize)]
    struct Link {
        prev_found: bool,
    }
    let mut url = worker::Url::parse(&format!("https://ledger{CHAIN_LINK_PATH}")).map_err(|_| ApiError::internal())?;
    url.query_pairs_mut().append_pair("subject", subject).append_pair("prev", prev);
    let path = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let reply = to_ledger(env, site, worker::Method::Get, &path, None, None).await?;
    let body = match reply.body {
        Body::Bytes(b) => b,
        Body::Text(t) => t.into_bytes(),
    };
    if reply.status != 200 {
        worker::console_error!("ledger chain link: {} {}", reply.status, String::from_utf8_lossy(&body));
        return Err(ApiError::ledger_unavailable());
    }
    serde_json::from_slice::<Link>(&body).map(|l| l.prev_found).map_err(|_| ApiError::internal())
}

/// Handles one request; never fails: every error becomes its JSON response.
pub async fn handle(mut req: Request, env: Env) -> Response {
    let method = method_of(&req);
    // The edge's clock: the service decides with it, and `Date` tells the widget what it is.
    let now_ms = Date::now().as_millis() as i64;
    let mut cors_headers = Vec::new();
    let diagnostics = env.var(DIAGNOSTICS_VAR).is_ok_and(|v| v.to_string() == "1");
    let result = if diagnostics && req.path() == LEDGER_ROLLBACK_PROBE {
        // Test builds only: does a failing block roll back in the object's storage?
        to_ledger(&env, "diagnostics", worker::Method::Post, "/diagnostics/rollback", None, None).await
    } else {
        dispatch(&mut req, &env, method, now_ms, &mut cors_headers).await
    };
    let reply = result.unwrap_or_else(|e| {
        if e.status >= 500 {
            worker::console_error!("{} {}: {} {}", req.method().to_string(), req.path(), e.code, e.message);
        }
        let mut reply = Reply::raw_json(e.status, e.body());
        if let Some(allow) = e.allow {
            reply = reply.header("Allow", allow);
        }
        match e.retry_after {
            Some(seconds) => reply.header("Retry-After", seconds.to_string()),
            None => reply,
        }
    });
    let headers = Headers::new();
    if env.var(DIAGNOSTICS_VAR).is_ok_and(|v| v.to_string() == "1") {
        // Test builds only: lets a soak watch this isolate's wasm memory (64 KiB pages).
        let _ = headers.set("Kelisim-Wasm-Memory-Pages", &core::arch::wasm32::memory_size(0).to_string());
    }
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    // workerd under `wrangler dev` adds no `Date`; the widget learns the edge's clock from it.
    let _ = headers.set("Date", &format_http_date(now_ms));
    for (name, value) in reply.headers.iter().chain(cors_headers.iter()) {
        let _ = headers.set(name, value);
    }
    match reply.body {
        Body::Text(text) => {
            let body = if method == Method::Head || reply.status == 304 || reply.status == 204 {
                Vec::new()
            } else {
                text.into_bytes()
            };
            Response::builder().with_status(reply.status).with_headers(headers).fixed(body)
        }
        Body::Bytes(bytes) => {
            let body = if method == Method::Head { Vec::new() } else { bytes };
            Response::builder().with_status(reply.status).with_headers(headers).fixed(body)
        }
    }
}

async fn dispatch(
    req: &mut Request,
    env: &Env,
    method: Method,
    now_ms: i64,
    cors_headers: &mut Vec<(&'static str, String)>,
) -> Result<Reply, ApiError> {
    let headers: Vec<(String, String)> = req.headers().entries().collect();
    if let Err(e) = check_header_size(headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))) {
        discard_body(req).await;
        return Err(e);
    }
    let route = route(method, &req.path())?;
    let kv = WorkersKv(env.kv(BINDING).map_err(|_| ApiError::storage_unavailable())?);
    let keys = keyring(env)?;
    let cache = CACHE.with(Rc::clone);
    let service = Service { kv: &kv, keys: &keys, cache: &cache, now_ms };
    let origin = header(req, "Origin");
    let authorization = header(req, "Authorization");
    let creates_site = matches!(route, Route::PutSite { .. });
    let admin_token = secret(env, "ADMIN_TOKEN");
    let principal =
        service.admit(route.access(), route.site(), creates_site, authorization.as_deref(), &admin_token).await?;

    match route {
        Route::Jwks => {
            cors_headers.push(("Access-Control-Allow-Origin", "*".into()));
            Ok(Reply::raw_json(200, service.jwks_json()?).header("Cache-Control", "public, max-age=300"))
        }
        Route::OpenApi => {
            cors_headers.push(("Access-Control-Allow-Origin", "*".into()));
            Ok(Reply::raw_json(200, OPENAPI.to_owned()))
        }
        Route::Preflight { site } => {
            let config = service.site(&site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            if !origin.as_deref().is_some_and(|o| cors::origin_allowed(&config.origins, o)) {
                return Err(ApiError::origin_forbidden());
            }
            cors_headers.extend(cors::preflight_headers());
            Ok(Reply::raw_json(204, String::new()))
        }
        Route::GetPolicy { ref site } | Route::GetPolicyVersion { ref site, .. } => {
            let version = match route {
                Route::GetPolicyVersion { version, .. } => Some(version),
                _ => None,
            };
            let config = service.site(site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            let lang = query_param(req, "lang");
            let layer = query_param(req, "layer");
            let if_none_match = header(req, "If-None-Match");
            let reply = service
                .policy_answer(site, version, lang.as_deref(), layer.as_deref(), if_none_match.as_deref())
                .await?;
            Ok(match reply {
                PolicyReply::NotModified { etag, cache_control } => {
                    Reply::raw_json(304, String::new()).header("ETag", etag).header("Cache-Control", cache_control)
                }
                PolicyReply::Fresh { etag, cache_control, language, body } => {
                    Reply::raw_json(200, body.to_json().map_err(|_| ApiError::internal())?)
                        .header("ETag", etag)
                        .header("Cache-Control", cache_control)
                        .header("Content-Language", language)
                }
            })
        }
        Route::SiteLoader { site } => {
            // The static loader from the assets, with the site's first layers when they can be
            // had: a policy missing or KV failing still serves the loader, which then fetches.
            let plain = static_loader(env).await?;
            let layers = match service.first_layers(&site).await {
                Ok(layers) => layers,
                Err(e) if e.status == 404 => return Err(e),
                Err(_) => std::collections::BTreeMap::new(),
            };
            let body = site_loader::embed(&plain, &layers).unwrap_or(plain);
            let etag = site_loader::etag(&body);
            let status = if header(req, "If-None-Match").as_deref() == Some(etag.as_str()) { 304 } else { 200 };
            Ok(Reply::raw_json(status, body)
                .header("Content-Type", "text/javascript; charset=utf-8")
                .header("Cache-Control", SITE_LOADER_CACHE_CONTROL)
                .header("ETag", etag)
                .header("Access-Control-Allow-Origin", "*"))
        }
        Route::ListPolicyVersions { site } => Reply::json(200, &service.policy_versions(&site).await?),
        Route::PublishPolicy { site } => {
            let body = read_json_body(req, MAX_POLICY_BODY_BYTES).await?;
            Reply::json(201, &service.publish(&site, &body).await?)
        }
        Route::SubmitReceipt { site } => {
            let config = service.site(&site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            cors::check_write_origin(&config.origins, origin.as_deref())?;
            let body = read_json_body(req, MAX_RECEIPT_BODY_BYTES).await?;
            // Budgets are spent only by receipts the edge would store: junk (malformed, for an
            // unknown policy, badly signed, naming someone else's subject) costs visitors nothing.
            let checked = service.check_receipt(&site, parse_json::<SubmitReceipt>(&body)?).await?;
            let canonical = serde_json::to_vec(checked.submit()).map_err(|_| ApiError::internal())?;
            if checked.submit().claims.subject_key.is_none() {
                // An unsigned receipt proves no subject: the log's refusals first (ledger::append).
                let check =
                    to_ledger(env, &site, worker::Method::Post, "/receipts/check", Some(canonical.clone()), None)
                        .await?;
                if check.status != 204 {
                    return Ok(check);
                }
            }
            rate_limit(env, "SITE_LIMITER", &site, 10).await?;
            rate_limit(env, "SUBJECT_LIMITER", &format!("{site}/{}", checked.subject()), 60).await?;
            // The ordered part (dedupe, index, countersignature, the one KV write) is the object's.
            to_ledger(env, &site, worker::Method::Post, "/receipts", Some(canonical), None).await
        }
        Route::LogCheckpoint { ref site }
        | Route::LogKey { ref site }
        | Route::LogInclusion { ref site }
        | Route::LogConsistency { ref site }
        | Route::LogTile { ref site, entries: false, .. } => {
            // Public data: any page may read it (the widget fetches its receipt's proof).
            cors_headers.push(("Access-Control-Allow-Origin", "*".into()));
            service.site(site).await?;
            to_ledger(env, site, worker::Method::Get, &ledger_path(req, site), None, None).await
        }
        Route::LogTile { ref site, entries: true, .. } => {
            let reply = to_ledger(env, site, worker::Method::Get, &ledger_path(req, site), None, None).await?;
            Ok(reply.header("Cache-Control", "private, max-age=60"))
        }
        Route::PutSite { site } => {
            let body = read_json_body(req, MAX_SITE_BODY_BYTES).await?;
            let (answer, created) = service.configure_site(&site, &body).await?;
            Reply::json(if created { 201 } else { 200 }, &answer)
        }
        Route::CreateToken { site } => {
            let body = read_json_body(req, MAX_SITE_BODY_BYTES).await?;
            let created = service.issue_token(&site, &body, random()?).await?;
            Ok(Reply::json(201, &created)?.header("Cache-Control", "no-store"))
        }
        Route::ListTokens { site } => Reply::json(200, &service.token_listing(&site).await?),
        Route::RevokeToken { site, id } => {
            service.revoke_token(&site, &id).await?;
            Ok(Reply::raw_json(204, String::new()))
        }
        Route::ListReceipts { site } | Route::GetSubject { site, .. } => {
            to_ledger(env, &site, worker::Method::Get, &ledger_path(req, &site), None, None).await
        }
        Route::GetReceipt { site, id } => {
            let prev_found = |subject: String, prev: String| {
                let site = site.clone();
                async move { ledger_prev_found(env, &site, &subject, &prev).await }
            };
            Reply::json(200, &service.receipt_detail(&site, &id, prev_found).await?)
        }
        Route::EraseSubject { site, subject } => {
            // Erasure is the log's: an erasure entry, the leaves' data removed, the KV records deleted.
            let by = principal.map(|p| p.audit_name()).unwrap_or_default();
            to_ledger(env, &site, worker::Method::Delete, &format!("/subjects/{subject}"), None, Some(&by)).await
        }
        Route::ListErasures { site } => {
            let pairs = query_pairs(req);
            let cursor = parse_erasures_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
            Reply::json(200, &service.erasures(&site, cursor.as_deref()).await?)
        }
        Route::Stats { site } | Route::Export { site } => {
            to_ledger(env, &site, worker::Method::Get, &ledger_path(req, &site), None, None).await
        }
    }
}
