//! CORS and origin rules: a site's public endpoints answer only the origins it configured.

use crate::error::ApiError;

/// How long a browser may cache a preflight answer.
pub const PREFLIGHT_MAX_AGE_SECONDS: u32 = 86_400;

/// Whether `origin` may use a site's public endpoints.
#[must_use]
pub fn origin_allowed(origins: &[String], origin: &str) -> bool {
    origins.iter().any(|o| o == origin)
}

/// A write from a browser must come from an allowed origin; requests without `Origin`
/// (servers, the CLI) are not cross-origin browser requests and pass.
///
/// # Errors
/// 403 `origin_forbidden`.
pub fn check_write_origin(origins: &[String], origin: Option<&str>) -> Result<(), ApiError> {
    match origin {
        Some(o) if !origin_allowed(origins, o) => Err(ApiError::origin_forbidden()),
        _ => Ok(()),
    }
}

/// The CORS headers for a response to `origin` on a site's public endpoint.
#[must_use]
pub fn headers_for(origins: &[String], origin: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Vary", "Origin".to_owned())];
    if let Some(o) = origin.filter(|o| origin_allowed(origins, o)) {
        headers.push(("Access-Control-Allow-Origin", o.to_owned()));
        headers.push(("Access-Control-Expose-Headers", "ETag, Retry-After, Kelisim-Replayed, Date".to_owned()));
    }
    headers
}

/// The extra headers of a successful preflight.
#[must_use]
pub fn preflight_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS".to_owned()),
        ("Access-Control-Allow-Headers", "Content-Type".to_owned()),
        ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECONDS.to_string()),
    ]
}

/// Checks an origin for the site configuration: `scheme://host[:port]` as a browser sends it
/// (see [`kelisim_core::origin::normalize_origin`], which also gives the form to store).
#[must_use]
pub fn is_valid_origin(origin: &str) -> bool {
    kelisim_core::origin::is_valid_origin(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_origin_is_echoed_foreign_gets_nothing() {
        let origins = vec!["http://127.0.0.1:8801".to_owned()];
        let allowed = headers_for(&origins, Some("http://127.0.0.1:8801"));
        assert!(allowed.iter().any(|(k, v)| *k == "Access-Control-Allow-Origin" && v == "http://127.0.0.1:8801"));
        let foreign = headers_for(&origins, Some("https://evil.example"));
        assert!(!foreign.iter().any(|(k, _)| *k == "Access-Control-Allow-Origin"));
        assert!(check_write_origin(&origins, Some("https://evil.example")).is_err());
        assert!(check_write_origin(&origins, None).is_ok());
    }

    #[test]
    fn origins_are_bare() {
        assert!(is_valid_origin("https://shop.example.kz"));
        assert!(is_valid_origin("http://127.0.0.1:8801"));
        for bad in ["https://a/", "https://a/path", "ftp://a", "*", "null", "https://", "http://:"] {
            assert!(!is_valid_origin(bad), "{bad}");
        }
    }

    #[test]
    fn the_widget_may_read_the_edge_clock() {
        let origins = vec!["http://127.0.0.1:8801".to_owned()];
        let headers = headers_for(&origins, Some("http://127.0.0.1:8801"));
        let exposed = headers.iter().find(|(k, _)| *k == "Access-Control-Expose-Headers").map(|(_, v)| v.as_str());
        assert_eq!(exposed, Some("ETag, Retry-After, Kelisim-Replayed, Date"));
    }
}
