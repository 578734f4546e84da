//! The name of a site's log: the checkpoint's origin line and the signed-note key name.
//!
//! `<edge-host>/kelisim/<site>`, e.g. `consent.example.kz/kelisim/acme`: the host the edge is
//! reached at (lower case, an optional `:port` for local runs), a fixed `kelisim` segment so the
//! name cannot collide with another log the same host may serve, and the site's slug. C2SP
//! tlog-checkpoint recommends a schema-less URL-like origin; signed-note requires a key name
//! without spaces or `+`, which this shape satisfies by construction.

use std::fmt;

use kelisim_core::id::check_slug;
use thiserror::Error;

/// Longest host name (RFC 1035 §2.3.4) plus `:65535`.
const MAX_HOST_CHARS: usize = 253 + 6;

/// A validated log origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogOrigin(String);

/// Why an origin was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OriginError {
    #[error("edge host must be lower-case a-z, 0-9, '.', '-' with an optional ':port'")]
    InvalidHost,
    #[error("site is not a slug")]
    InvalidSite,
    #[error("origin is not <edge-host>/kelisim/<site>")]
    Malformed,
}

impl OriginError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidHost => "origin_invalid_host",
            Self::InvalidSite => "origin_invalid_site",
            Self::Malformed => "origin_malformed",
        }
    }
}

impl LogOrigin {
    /// The origin of `site`'s log on the edge reached at `edge_host`.
    ///
    /// # Errors
    /// [`OriginError::InvalidHost`], [`OriginError::InvalidSite`].
    pub fn new(edge_host: &str, site: &str) -> Result<Self, OriginError> {
        check_host(edge_host)?;
        check_slug("site", site).map_err(|_| OriginError::InvalidSite)?;
        Ok(Self(format!("{edge_host}/kelisim/{site}")))
    }

    /// Parses an origin line strictly.
    ///
    /// # Errors
    /// [`OriginError::Malformed`] or the errors of [`LogOrigin::new`].
    pub fn parse(origin: &str) -> Result<Self, OriginError> {
        let (host, site) = origin.split_once("/kelisim/").ok_or(OriginError::Malformed)?;
        let parsed = Self::new(host, site)?;
        if parsed.0 != origin {
            return Err(OriginError::Malformed);
        }
        Ok(parsed)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The site slug.
    #[must_use]
    pub fn site(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for LogOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_host(host: &str) -> Result<(), OriginError> {
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-']);
    let port_ok = port.is_none_or(|p| {
        !p.is_empty() && !p.starts_with('0') && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
    });
    if host.len() > MAX_HOST_CHARS || !name_ok || !port_ok {
        return Err(OriginError::InvalidHost);
    }
    Ok(())
}
