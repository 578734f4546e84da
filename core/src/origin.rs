//! Web origins as a site configures them: validated and normalised to the one form a browser
//! sends in its `Origin` header (RFC 6454 serialisation), so a configured origin can match.

use crate::error::ValidationError;
use crate::limits::MAX_ORIGIN_CHARS;

/// Normalises `origin` to `scheme://host[:port]` as browsers serialise it: scheme `http` or
/// `https` (lower case), host lower case (ASCII only: an internationalised name is given in its
/// `xn--` form), the scheme's default port dropped, IPv6 literals in brackets. Paths (even a lone
/// `/`), queries, fragments, user info and empty hosts or ports are refused, not repaired.
///
/// # Errors
/// [`ValidationError::InvalidOrigin`] with the start of the input.
pub fn normalize_origin(origin: &str) -> Result<String, ValidationError> {
    let invalid = || ValidationError::InvalidOrigin(origin.chars().take(80).collect());
    if origin.len() > MAX_ORIGIN_CHARS || !origin.is_ascii() {
        return Err(invalid());
    }
    let (scheme, rest) = origin.split_once("://").ok_or_else(invalid)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return Err(invalid()),
    };
    let (host, port) = split_host_port(rest).ok_or_else(invalid)?;
    let host = host.to_ascii_lowercase();
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        is_ipv6_literal(inner)
    } else {
        is_dns_host(&host)
    };
    if !host_ok {
        return Err(invalid());
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(p) if p == default_port => Ok(format!("{scheme}://{host}")),
        Some(p) => Ok(format!("{scheme}://{host}:{p}")),
    }
}

/// Whether `origin` is a valid origin (see [`normalize_origin`]).
#[must_use]
pub fn is_valid_origin(origin: &str) -> bool {
    normalize_origin(origin).is_ok()
}

/// Splits `host[:port]` (host possibly a bracketed IPv6 literal); `None` when the port is empty,
/// not a number in 1–65535, or anything else follows.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (host, after) = authority.split_at(end + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            None => (authority, None),
            Some((host, port)) => (host, Some(port)),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|n| *n != 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// A DNS name or IPv4 address: dot-separated labels of letters, digits and inner hyphens.
fn is_dns_host(host: &str) -> bool {
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The inside of `[...]`: what `std::net::Ipv6Addr` parses (no zone ids, which origins never carry).
fn is_ipv6_literal(inner: &str) -> bool {
    inner.parse::<std::net::Ipv6Addr>().is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_as_browsers_send_them() {
        for (given, normal) in [
            ("https://shop.example.kz", "https://shop.example.kz"),
            ("https://SHOP.EXAMPLE", "https://shop.example"),
            ("HTTPS://Shop.Example", "https://shop.example"),
            ("https://x:443", "https://x"),
            ("http://x:80", "http://x"),
            ("https://x:80", "https://x:80"),
            ("http://x:443", "http://x:443"),
            ("http://127.0.0.1:8801", "http://127.0.0.1:8801"),
            ("http://localhost:08801", "http://localhost:8801"),
            ("http://[::1]:8080", "http://[::1]:8080"),
            ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
            ("https://[2001:db8::1]:443", "https://[2001:db8::1]"),
            ("https://xn--80ak6aa92e.kz", "https://xn--80ak6aa92e.kz"),
        ] {
            assert_eq!(normalize_origin(given).as_deref(), Ok(normal), "{given}");
        }
    }

    #[test]
    fn anything_but_a_bare_origin_is_refused() {
        let long = format!("https://{}.kz", "a".repeat(MAX_ORIGIN_CHARS));
        for bad in [
            "http://:",
            "http://",
            "https://",
            "https://:443",
            "https://x:",
            "https://x:0",
            "https://x:65536",
            "https://x:12a",
            "https://a/",
            "https://a/path",
            "https://a?q=1",
            "https://a#f",
            "https://user@a",
            "https://user:pw@a",
            "ftp://a",
            "javascript://a",
            "*",
            "null",
            "shop.example",
            "https://a..b",
            "https://.a",
            "https://a.",
            "https://-a.kz",
            "https://a_b.kz",
            "https://пример.kz",
            "https://[::1",
            "https://[not-ip]",
            "https://[::1]x",
            "https://::1",
            "https://a b",
            long.as_str(),
        ] {
            assert!(matches!(normalize_origin(bad), Err(ValidationError::InvalidOrigin(_))), "{bad} accepted");
            assert!(!is_valid_origin(bad));
        }
    }
}
