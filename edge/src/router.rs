//! The route table: which method and path map to which handler. Pure, so every path (including
//! hostile ones) is tested natively. Identifiers are validated here, before any storage access.
//! Over 400 lines because its tests (every path, method and hostile identifier) sit beside the
//! table they pin; the table itself is about 300.

use kelisim_core::id::{check_slug, is_subject_id, ulid_time_ms};
use kelisim_core::ErrorCode;

pub use crate::auth::Access;
use crate::auth::{Scope, TOKEN_ID_CHARS};
use crate::error::ApiError;

/// Longest path the edge will look at; anything longer is refused before parsing.
pub const MAX_PATH_CHARS: usize = 512;

/// The most request-header bytes (names, values and `: `/CRLF framing) the edge reads. Its own
/// API needs a few hundred (Content-Type, Origin, Authorization); browsers add User-Agent,
/// client hints and any cookies of a parent domain, which stay far below this. Cloudflare's own
/// front allows 128 KiB; nothing the edge does needs that much attacker-chosen text.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Refuses a request whose headers (as `(name, value)` pairs) exceed [`MAX_HEADER_BYTES`].
///
/// # Errors
/// 431 `headers_too_large`.
pub fn check_header_size<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), ApiError> {
    let total: usize = headers.into_iter().map(|(name, value)| name.len() + value.len() + 4).sum();
    if total > MAX_HEADER_BYTES {
        Err(ApiError::headers_too_large(MAX_HEADER_BYTES))
    } else {
        Ok(())
    }
}

/// HTTP methods the edge distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Other,
}

/// A matched route with its validated path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Jwks,
    OpenApi,
    /// CORS preflight for a site's public endpoints.
    Preflight {
        site: String,
    },
    GetPolicy {
        site: String,
    },
    /// The widget's loader with the site's current first layer in it (public).
    SiteLoader {
        site: String,
    },
    GetPolicyVersion {
        site: String,
        version: u32,
    },
    ListPolicyVersions {
        site: String,
    },
    PublishPolicy {
        site: String,
    },
    SubmitReceipt {
        site: String,
    },
    ListReceipts {
        site: String,
    },
    GetReceipt {
        site: String,
        id: String,
    },
    GetSubject {
        site: String,
        subject: String,
    },
    EraseSubject {
        site: String,
        subject: String,
    },
    PutSite {
        site: String,
    },
    CreateToken {
        site: String,
    },
    ListTokens {
        site: String,
    },
    RevokeToken {
        site: String,
        id: String,
    },
    ListErasures {
        site: String,
    },
    Export {
        site: String,
    },
    Stats {
        site: String,
    },
    /// The log's latest signed checkpoint (public).
    LogCheckpoint {
        site: String,
    },
    /// The log's signed-note verifier key (public).
    LogKey {
        site: String,
    },
    /// A hash tile (public) or an entry bundle (`export` scope): `path` is the C2SP tile path
    /// (`tile/…`), already validated.
    LogTile {
        site: String,
        path: String,
        entries: bool,
    },
    LogInclusion {
        site: String,
    },
    LogConsistency {
        site: String,
    },
}

impl Route {
    /// Who may call this route: the single table every operator check reads.
    #[must_use]
    pub fn access(&self) -> Access {
        match self {
            Self::Jwks
            | Self::OpenApi
            | Self::Preflight { .. }
            | Self::GetPolicy { .. }
            | Self::SiteLoader { .. }
            | Self::GetPolicyVersion { .. }
            | Self::SubmitReceipt { .. }
            | Self::LogCheckpoint { .. }
            | Self::LogKey { .. }
            | Self::LogTile { entries: false, .. }
            | Self::LogInclusion { .. }
            | Self::LogConsistency { .. } => Access::Public,
            // An entry bundle holds the receipts themselves.
            Self::LogTile { entries: true, .. } => Access::Scoped(Scope::Export),
            Self::PutSite { .. } | Self::CreateToken { .. } | Self::ListTokens { .. } | Self::RevokeToken { .. } => {
                Access::Admin
            }
            Self::ListReceipts { .. }
            | Self::GetReceipt { .. }
            | Self::GetSubject { .. }
            | Self::Stats { .. }
            | Self::ListPolicyVersions { .. } => Access::Scoped(Scope::Read),
            Self::Export { .. } => Access::Scoped(Scope::Export),
            Self::EraseSubject { .. } | Self::ListErasures { .. } => Access::Scoped(Scope::Erase),
            Self::PublishPolicy { .. } => Access::Scoped(Scope::Publish),
        }
    }

    /// The site a route is about, if any.
    #[must_use]
    pub fn site(&self) -> Option<&str> {
        match self {
            Self::Jwks | Self::OpenApi => None,
            Self::Preflight { site }
            | Self::GetPolicy { site }
            | Self::SiteLoader { site }
            | Self::GetPolicyVersion { site, .. }
            | Self::ListPolicyVersions { site }
            | Self::PublishPolicy { site }
            | Self::SubmitReceipt { site }
            | Self::ListReceipts { site }
            | Self::GetReceipt { site, .. }
            | Self::GetSubject { site, .. }
            | Self::EraseSubject { site, .. }
            | Self::PutSite { site }
            | Self::CreateToken { site }
            | Self::ListTokens { site }
            | Self::RevokeToken { site, .. }
            | Self::ListErasures { site }
            | Self::Export { site }
            | Self::Stats { site }
            | Self::LogCheckpoint { site }
            | Self::LogKey { site }
            | Self::LogTile { site, .. }
            | Self::LogInclusion { site }
            | Self::LogConsistency { site } => Some(site),
        }
    }
}

/// Every operator route as (method, path template): what the auth-enumeration tests walk. One
/// more is outside this table, as outside the OpenAPI document (its path has a variable number of
/// segments): the log's entry bundles, `GET /v1/sites/{site}/log/tile/entries/{N}[.p/{W}]`
/// (`export` scope; `router::tests::log_routes_are_public_except_entry_bundles_…`).
pub const OPERATOR_ROUTES: &[(&str, &str)] = &[
    ("PUT", "/v1/sites/{site}"),
    ("POST", "/v1/sites/{site}/tokens"),
    ("GET", "/v1/sites/{site}/tokens"),
    ("DELETE", "/v1/sites/{site}/tokens/{token_id}"),
    ("PUT", "/v1/sites/{site}/policy"),
    ("GET", "/v1/sites/{site}/policy/versions"),
    ("GET", "/v1/sites/{site}/receipts"),
    ("GET", "/v1/sites/{site}/receipts/{id}"),
    ("GET", "/v1/sites/{site}/subjects/{subject}"),
    ("DELETE", "/v1/sites/{site}/subjects/{subject}"),
    ("GET", "/v1/sites/{site}/erasures"),
    ("GET", "/v1/sites/{site}/export"),
    ("GET", "/v1/sites/{site}/stats"),
];

fn site_param(raw: &str) -> Result<String, ApiError> {
    check_slug("site", raw).map_err(|e| ApiError::new(ErrorCode::InvalidId, e.to_string()))?;
    Ok(raw.to_owned())
}

/// A C2SP tile path under `/v1/sites/{site}/log/` (`tile/{L}/{N}[.p/{W}]`,
/// `tile/entries/{N}[.p/{W}]`; `{N}` spans several segments past index 999), parsed strictly.
fn log_tile(method: Method, segments: &[&str]) -> Result<Option<Route>, ApiError> {
    let ["v1", "sites", site, "log", rest @ ..] = segments else { return Ok(None) };
    if rest.first() != Some(&"tile") {
        return Ok(None);
    }
    let site = site_param(site)?;
    let path = rest.join("/");
    let tile = kelisim_ledger::tiles::TilePath::parse(&path)
        .map_err(|_| ApiError::new(ErrorCode::InvalidId, "not a C2SP tile path"))?;
    if !matches!(method, Method::Get | Method::Head) {
        return Err(ApiError::method_not_allowed("GET, HEAD"));
    }
    Ok(Some(Route::LogTile { site, path, entries: tile.is_entries() }))
}

/// Matches `method` and `path` to a route.
///
/// # Errors
/// 404 `not_found` for unknown paths, 405 (naming the path's methods for `Allow`) for a known
/// path with another method, 400
/// `invalid_id` for a malformed identifier in the path.
pub fn route(method: Method, path: &str) -> Result<Route, ApiError> {
    if path.len() > MAX_PATH_CHARS {
        return Err(ApiError::new(ErrorCode::PathTooLong, format!("path exceeds {MAX_PATH_CHARS} characters")));
    }
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let not_found = || ApiError::new(ErrorCode::NotFound, "no such resource");
    if let Some(tile) = log_tile(method, &segments)? {
        return Ok(tile);
    }
    use Method::{Delete, Get, Head, Options, Post, Put};
    let matched = match segments.as_slice() {
        ["v1", "openapi.json"] => match method {
            Get | Head => Route::OpenApi,
            _ => return Err(ApiError::method_not_allowed("GET, HEAD")),
        },
        [".well-known", "jwks.json"] => match method {
            Get | Head => Route::Jwks,
            _ => return Err(ApiError::method_not_allowed("GET, HEAD")),
        },
        ["v1", "sites", site] => match method {
            Put => Route::PutSite { site: site_param(site)? },
            _ => return Err(ApiError::method_not_allowed("PUT")),
        },
        ["v1", "sites", site, "policy"] => {
            let site = site_param(site)?;
            match method {
                Get | Head => Route::GetPolicy { site },
                Put => Route::PublishPolicy { site },
                Options => Route::Preflight { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD, PUT, OPTIONS")),
            }
        }
        ["v1", "sites", site, "kelisim.js"] => {
            let site = site_param(site)?;
            match method {
                Get | Head => Route::SiteLoader { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD")),
            }
        }
        ["v1", "sites", site, "policy", "versions", version] => {
            let site = site_param(site)?;
            let version = version
                .parse::<u32>()
                .ok()
                .filter(|v| *v > 0 && version.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidId, "version must be a positive integer"))?;
            match method {
                Get | Head => Route::GetPolicyVersion { site, version },
                Options => Route::Preflight { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD, OPTIONS")),
            }
        }
        ["v1", "sites", site, "receipts"] => {
            let site = site_param(site)?;
            match method {
                Post => Route::SubmitReceipt { site },
                Get | Head => Route::ListReceipts { site },
                Options => Route::Preflight { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD, POST, OPTIONS")),
            }
        }
        ["v1", "sites", site, "receipts", id] => {
            let site = site_param(site)?;
            if ulid_time_ms(id).is_none() {
                return Err(ApiError::new(ErrorCode::InvalidId, "receipt id must be a ULID"));
            }
            match method {
                Get | Head => Route::GetReceipt { site, id: (*id).to_owned() },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD")),
            }
        }
        ["v1", "sites", site, "subjects", subject] => {
            let site = site_param(site)?;
            if !is_subject_id(subject) {
                return Err(ApiError::new(ErrorCode::InvalidId, "subject must be a 43-character base64url id"));
            }
            let subject = (*subject).to_owned();
            match method {
                Get | Head => Route::GetSubject { site, subject },
                Delete => Route::EraseSubject { site, subject },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD, DELETE")),
            }
        }
        ["v1", "sites", site, "policy", "versions"] => {
            let site = site_param(site)?;
            match method {
                Get | Head => Route::ListPolicyVersions { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD")),
            }
        }
        ["v1", "sites", site, "tokens"] => {
            let site = site_param(site)?;
            match method {
                Get | Head => Route::ListTokens { site },
                Post => Route::CreateToken { site },
                _ => return Err(ApiError::method_not_allowed("GET, HEAD, POST")),
            }
        }
        ["v1", "sites", site, "tokens", id] => {
            let site = site_param(site)?;
            if id.len() != TOKEN_ID_CHARS || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(ApiError::new(ErrorCode::InvalidId, "token id must be 24 lowercase hex characters"));
            }
            match method {
                Delete => Route::RevokeToken { site, id: (*id).to_owned() },
                _ => return Err(ApiError::method_not_allowed("DELETE")),
            }
        }
        ["v1", "sites", site, leaf @ ("erasures" | "export" | "stats")] => {
            let site = site_param(site)?;
            if !matches!(method, Get | Head) {
                return Err(ApiError::method_not_allowed("GET, HEAD"));
            }
            match *leaf {
                "erasures" => Route::ListErasures { site },
                "export" => Route::Export { site },
                _ => Route::Stats { site },
            }
        }
        ["v1", "sites", site, "log", leaf @ ("checkpoint" | "key")] => {
            let site = site_param(site)?;
            if !matches!(method, Get | Head) {
                return Err(ApiError::method_not_allowed("GET, HEAD"));
            }
            match *leaf {
                "checkpoint" => Route::LogCheckpoint { site },
                _ => Route::LogKey { site },
            }
        }
        ["v1", "sites", site, "log", "proof", leaf @ ("inclusion" | "consistency")] => {
            let site = site_param(site)?;
            if !matches!(method, Get | Head) {
                return Err(ApiError::method_not_allowed("GET, HEAD"));
            }
            match *leaf {
                "inclusion" => Route::LogInclusion { site },
                _ => Route::LogConsistency { site },
            }
        }
        _ => return Err(not_found()),
    };
    Ok(matched)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_routes() {
        assert_eq!(route(Method::Get, "/.well-known/jwks.json"), Ok(Route::Jwks));
        assert_eq!(route(Method::Get, "/v1/sites/crm-demo/policy"), Ok(Route::GetPolicy { site: "crm-demo".into() }));
        assert_eq!(
            route(Method::Get, "/v1/sites/crm-demo/kelisim.js"),
            Ok(Route::SiteLoader { site: "crm-demo".into() })
        );
        assert_eq!(route(Method::Post, "/v1/sites/crm-demo/kelisim.js").map_err(|e| e.status), Err(405));
        assert_eq!(route(Method::Get, "/v1/sites/Not_A_Slug!/kelisim.js").map_err(|e| e.status), Err(400));
        assert_eq!(Route::SiteLoader { site: "a".into() }.access(), Access::Public);
        assert_eq!(
            route(Method::Get, "/v1/sites/crm-demo/policy/versions/3"),
            Ok(Route::GetPolicyVersion { site: "crm-demo".into(), version: 3 })
        );
        assert_eq!(
            route(Method::Post, "/v1/sites/crm-demo/receipts"),
            Ok(Route::SubmitReceipt { site: "crm-demo".into() })
        );
        assert_eq!(
            route(Method::Options, "/v1/sites/crm-demo/receipts"),
            Ok(Route::Preflight { site: "crm-demo".into() })
        );
    }

    #[test]
    fn wrong_method_is_405_and_unknown_path_404() {
        assert_eq!(route(Method::Delete, "/.well-known/jwks.json").unwrap_err().status, 405);
        assert_eq!(route(Method::Other, "/v1/sites/a/receipts").unwrap_err().status, 405);
        assert_eq!(route(Method::Get, "/v2/anything").unwrap_err().status, 404);
        assert_eq!(route(Method::Get, "/").unwrap_err().status, 404);
    }

    #[test]
    fn a_405_names_exactly_the_methods_the_path_routes() {
        let all = [
            ("GET", Method::Get),
            ("HEAD", Method::Head),
            ("POST", Method::Post),
            ("PUT", Method::Put),
            ("DELETE", Method::Delete),
            ("OPTIONS", Method::Options),
            ("TRACE", Method::Other),
        ];
        for path in [
            "/v1/openapi.json",
            "/.well-known/jwks.json",
            "/v1/sites/a",
            "/v1/sites/a/policy",
            "/v1/sites/a/policy/versions",
            "/v1/sites/a/policy/versions/1",
            "/v1/sites/a/receipts",
            "/v1/sites/a/receipts/01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "/v1/sites/a/subjects/sssssssssssssssssssssssssssssssssssssssssss",
            "/v1/sites/a/tokens",
            "/v1/sites/a/tokens/aaaaaaaaaaaaaaaaaaaaaaaa",
            "/v1/sites/a/erasures",
            "/v1/sites/a/export",
            "/v1/sites/a/stats",
        ] {
            let routed: Vec<&str> =
                all.iter().filter(|(_, m)| route(*m, path).is_ok()).map(|(name, _)| *name).collect();
            for (name, method) in all {
                if let Err(e) = route(method, path) {
                    assert_eq!(e.status, 405, "{name} {path}");
                    let allow: Vec<&str> = e.allow.unwrap().split(", ").collect();
                    let mut sorted = allow.clone();
                    sorted.sort_unstable();
                    let mut expected = routed.clone();
                    expected.sort_unstable();
                    assert_eq!(sorted, expected, "Allow of {path}");
                }
            }
        }
        assert_eq!(route(Method::Get, "/v2/x").unwrap_err().allow, None);
    }

    #[test]
    fn every_operator_route_is_routed_and_not_public() {
        let fill = |t: &str| {
            t.replace("{site}", "crm-demo")
                .replace("{token_id}", &"a".repeat(24))
                .replace("{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
                .replace("{subject}", &"s".repeat(43))
        };
        for (method, template) in OPERATOR_ROUTES {
            let m = match *method {
                "GET" => Method::Get,
                "PUT" => Method::Put,
                "POST" => Method::Post,
                _ => Method::Delete,
            };
            let r = route(m, &fill(template)).unwrap();
            assert_ne!(r.access(), Access::Public, "{method} {template}");
            assert_eq!(r.site(), Some("crm-demo"));
        }
    }

    #[test]
    fn hostile_ids_are_refused_before_storage() {
        for path in [
            "/v1/sites/../policy",
            "/v1/sites/%2e%2e/policy",
            "/v1/sites/CRM/policy",
            "/v1/sites/a:b/receipts",
            "/v1/sites/a/receipts/..%2F..%2Fetc",
            "/v1/sites/a/receipts/01ARZ3NDEKTSV4RRFFQ69G5FA",
            "/v1/sites/a/policy/versions/0",
            "/v1/sites/a/policy/versions/+1",
            "/v1/sites/a/policy/versions/99999999999",
            "/v1/sites/a/subjects/short",
        ] {
            let err = route(Method::Get, path).unwrap_err();
            assert_eq!((err.status, err.code.as_str()), (400, "invalid_id"), "{path}");
        }
        let long = format!("/v1/sites/{}", "a".repeat(600));
        assert_eq!(route(Method::Get, &long).unwrap_err().code, "path_too_long");
        let small = [("content-type", "application/json"), ("origin", "https://a.example")];
        assert!(check_header_size(small).is_ok());
        let pad = "x".repeat(MAX_HEADER_BYTES);
        let err = check_header_size([("content-type", "application/json"), ("x-pad", pad.as_str())]).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (431, "headers_too_large"));
    }

    #[test]
    fn log_routes_are_public_except_entry_bundles_and_tile_paths_are_strict() {
        let at = |p: &str| route(Method::Get, &format!("/v1/sites/crm-demo/log/{p}"));
        assert_eq!(at("checkpoint"), Ok(Route::LogCheckpoint { site: "crm-demo".into() }));
        assert_eq!(at("proof/inclusion"), Ok(Route::LogInclusion { site: "crm-demo".into() }));
        let tile = at("tile/0/x001/234.p/7").unwrap();
        assert_eq!(
            tile,
            Route::LogTile { site: "crm-demo".into(), path: "tile/0/x001/234.p/7".into(), entries: false }
        );
        assert_eq!(tile.access(), Access::Public);
        let bundle = at("tile/entries/000").unwrap();
        assert_ne!(bundle.access(), Access::Public);
        for bad in ["tile/0/1", "tile/0/000.p/0", "tile/64/000", "tile/entries/000.p/257", "tile/0/000/"] {
            assert_eq!(at(bad).unwrap_err().code.as_str(), "invalid_id", "{bad}");
        }
        assert_eq!(at("nope").unwrap_err().status, 404);
        assert_eq!(route(Method::Post, "/v1/sites/crm-demo/log/checkpoint").unwrap_err().status, 405);
        assert_eq!(route(Method::Delete, "/v1/sites/crm-demo/log/tile/0/000").unwrap_err().status, 405);
    }
}
