//! The HTTP layer: turns a worker `Request` into a service call and the result into a
//! `Response`. Thin by design: reading capped bodies, headers, CORS, auth; logic is in `service`.

use futures_util::StreamExt;
use serde::Serialize;
use worker::{Date, Env, Headers, Request, Response};

use kelisim_core::limits::{
    DEFAULT_PAGE_LIMIT, MAX_POLICY_BODY_BYTES, MAX_RECEIPT_BODY_BYTES, MAX_SITE_BODY_BYTES,
};
use kelisim_core::policy::check_language;

use crate::auth::require_admin;
use crate::cors;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::router::{route, Method, Route};
use crate::service::Service;
use crate::store_kv::{WorkersKv, BINDING};

/// How long browsers and caches may keep the current policy before revalidating (ETag).
const POLICY_MAX_AGE_SECONDS: u32 = 60;
/// A published version never changes.
const POLICY_VERSION_MAX_AGE_SECONDS: u32 = 86_400;

/// A response under construction.
struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json<T: Serialize>(status: u16, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_string(value).map_err(|_| ApiError::internal())?;
        Ok(Self {
            status,
            body,
            headers: Vec::new(),
        })
    }

    fn raw_json(status: u16, body: String) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

fn method_of(req: &Request) -> Method {
    match req.method() {
        worker::Method::Get => Method::Get,
        worker::Method::Head => Method::Head,
        worker::Method::Post => Method::Post,
        worker::Method::Put => Method::Put,
        worker::Method::Delete => Method::Delete,
        worker::Method::Options => Method::Options,
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
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" {
        return Err(ApiError::unsupported_media_type());
    }
    if let Some(len) = header(req, "Content-Length").and_then(|l| l.trim().parse::<usize>().ok()) {
        if len > max {
            return Err(ApiError::too_large(max));
        }
    }
    let mut stream = req
        .stream()
        .map_err(|_| ApiError::malformed_body("no body"))?;
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::malformed_body("body could not be read"))?;
        if body.len() + chunk.len() > max {
            return Err(ApiError::too_large(max));
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::malformed_body("empty body"));
    }
    Ok(body)
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn secret(env: &Env, name: &str) -> String {
    env.secret(name).map(|s| s.to_string()).unwrap_or_default()
}

thread_local! {
    static KEYRING: std::cell::RefCell<Option<(String, std::rc::Rc<Keyring>)>> = const { std::cell::RefCell::new(None) };
}

/// The keyring for the current secret, parsed once per isolate.
fn keyring(env: &Env) -> Result<std::rc::Rc<Keyring>, ApiError> {
    let raw = secret(env, "EDGE_SIGNING_KEYS");
    KEYRING.with(|cell| {
        if let Some((cached, ring)) = cell.borrow().as_ref() {
            if *cached == raw {
                return Ok(ring.clone());
            }
        }
        let ring = std::rc::Rc::new(Keyring::parse(&raw).map_err(|e| {
            worker::console_error!("EDGE_SIGNING_KEYS: {e}");
            ApiError::internal()
        })?);
        *cell.borrow_mut() = Some((raw, ring.clone()));
        Ok(ring)
    })
}

/// Handles one request; never fails: every error becomes its JSON response.
pub async fn handle(mut req: Request, env: Env) -> Response {
    let method = method_of(&req);
    let mut cors_headers = Vec::new();
    let result = dispatch(&mut req, &env, method, &mut cors_headers).await;
    let reply = result.unwrap_or_else(|e| {
        if e.status >= 500 {
            worker::console_error!(
                "{} {}: {} {}",
                req.method().to_string(),
                req.path(),
                e.code,
                e.message
            );
        }
        let mut reply = Reply::raw_json(e.status, e.body());
        if let Some(seconds) = e.retry_after {
            reply = reply.header("Retry-After", seconds.to_string());
        }
        reply
    });
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    let _ = headers.set("X-Content-Type-Options", "nosniff");
    for (name, value) in reply.headers.iter().chain(cors_headers.iter()) {
        let _ = headers.set(name, value);
    }
    let body = if method == Method::Head || reply.status == 304 || reply.status == 204 {
        Vec::new()
    } else {
        reply.body.into_bytes()
    };
    Response::builder()
        .with_status(reply.status)
        .with_headers(headers)
        .fixed(body)
}

async fn dispatch(
    req: &mut Request,
    env: &Env,
    method: Method,
    cors_headers: &mut Vec<(&'static str, String)>,
) -> Result<Reply, ApiError> {
    let route = route(method, &req.path())?;
    let kv = WorkersKv(
        env.kv(BINDING)
            .map_err(|_| ApiError::storage_unavailable())?,
    );
    let keys = keyring(env)?;
    let service = Service {
        kv: &kv,
        keys: &keys,
        now_ms: Date::now().as_millis() as i64,
    };
    let origin = header(req, "Origin");
    let authorization = header(req, "Authorization");
    let admin = || require_admin(authorization.as_deref(), &secret(env, "ADMIN_TOKEN"));

    match route {
        Route::Jwks => {
            cors_headers.push(("Access-Control-Allow-Origin", "*".into()));
            Ok(Reply::raw_json(200, service.jwks_json()?)
                .header("Cache-Control", "public, max-age=300"))
        }
        Route::Preflight { site } => {
            let config = service.site(&site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            if !origin
                .as_deref()
                .is_some_and(|o| cors::origin_allowed(&config.origins, o))
            {
                return Err(ApiError::origin_forbidden());
            }
            cors_headers.extend(cors::preflight_headers());
            Ok(Reply::raw_json(204, String::new()))
        }
        Route::GetPolicy { ref site } | Route::GetPolicyVersion { ref site, .. } => {
            let site = site.clone();
            let version = match route {
                Route::GetPolicyVersion { version, .. } => Some(version),
                _ => None,
            };
            let config = service.site(&site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            let stored = service.policy(&site, version).await?;
            let requested = query_param(req, "lang").filter(|l| check_language(l).is_ok());
            let language = stored.policy.pick_language(requested.as_deref()).to_owned();
            let etag = format!(
                "\"{}-{}\"",
                &stored.sha256[..16.min(stored.sha256.len())],
                language
            );
            let max_age = if version.is_some() {
                POLICY_VERSION_MAX_AGE_SECONDS
            } else {
                POLICY_MAX_AGE_SECONDS
            };
            let cache = format!("public, max-age={max_age}");
            if header(req, "If-None-Match").as_deref() == Some(etag.as_str()) {
                return Ok(Reply::raw_json(304, String::new())
                    .header("ETag", etag)
                    .header("Cache-Control", cache));
            }
            let body = serde_json::json!({
                "sha256": stored.sha256,
                "last_material_version": stored.last_material_version,
                "language": language,
                "policy": stored.policy.localized(&language),
            });
            Ok(Reply::json(200, &body)?
                .header("ETag", etag)
                .header("Cache-Control", cache)
                .header("Content-Language", language))
        }
        Route::PublishPolicy { site } => {
            admin()?;
            let body = read_json_body(req, MAX_POLICY_BODY_BYTES).await?;
            let stored = service.publish_policy(&site, &body).await?;
            let out = serde_json::json!({ "site": site, "version": stored.policy.version, "sha256": stored.sha256 });
            Ok(Reply::json(201, &out)?)
        }
        Route::SubmitReceipt { site } => {
            let config = service.site(&site).await?;
            cors_headers.extend(cors::headers_for(&config.origins, origin.as_deref()));
            cors::check_write_origin(&config.origins, origin.as_deref())?;
            let body = read_json_body(req, MAX_RECEIPT_BODY_BYTES).await?;
            let submitted = service.submit_receipt(&site, &body).await?;
            let reply = Reply::json(201, &submitted.signed)?;
            Ok(if submitted.replayed {
                reply.header("Kelisim-Replayed", "true")
            } else {
                reply
            })
        }
        Route::PutSite { site } => {
            admin()?;
            let body = read_json_body(req, MAX_SITE_BODY_BYTES).await?;
            let created = service.put_site(&site, &body).await?;
            Ok(Reply::json(
                if created { 201 } else { 200 },
                &serde_json::json!({ "site": site }),
            )?)
        }
        Route::ListReceipts { site } => {
            admin()?;
            let limit = match query_param(req, "limit") {
                None => DEFAULT_PAGE_LIMIT,
                Some(l) => l.parse().map_err(|_| {
                    ApiError::bad_request("invalid_limit", "limit must be a number")
                })?,
            };
            let cursor = query_param(req, "cursor");
            let page = service
                .list_receipts(&site, None, limit, cursor.as_deref())
                .await?;
            Ok(Reply::json(200, &page)?)
        }
        Route::GetReceipt { site, id } => {
            admin()?;
            let signed = service.receipt(&site, &id).await?;
            let verification = signed.verify(&keys.jwks());
            Ok(Reply::json(
                200,
                &serde_json::json!({ "signed": signed, "verification": verification, "valid": verification.is_valid() }),
            )?)
        }
        Route::GetSubject { site, subject } => {
            admin()?;
            let page = service
                .list_receipts(
                    &site,
                    Some(&subject),
                    kelisim_core::limits::MAX_PAGE_LIMIT,
                    None,
                )
                .await?;
            Ok(Reply::json(200, &page)?)
        }
    }
}
