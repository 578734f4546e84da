//! The widget's configuration, read from the attributes of its one `<script>` tag.
//!
//! ```html
//! <script src="https://EDGE/v1/kelisim.js" data-site="shop" data-lang="kk" data-position="top"
//!         data-accent="#0b7a4b" data-expiry-days="180" async></script>
//! ```
//!
//! Pure: the caller passes a lookup for attribute values, so every rule is tested natively.
//! `data-position` and the theme attributes are the loader's (`js/loader.js`): it mounts the
//! widget and paints the banner before the wasm is ready.

use alloc::borrow::ToOwned;
use alloc::string::String;

use crate::model::is_slug;

/// How long a choice is remembered when the tag does not say (`data-expiry-days`).
pub const DEFAULT_EXPIRY_DAYS: u32 = 365;
/// The shortest remembering period a tag may ask for: a day keeps a visitor from being asked on
/// every page view.
pub const MIN_EXPIRY_DAYS: u32 = 1;
/// The longest: about 13 months is the common regulatory ceiling for consent cookies; we allow a
/// little more for owners whose lawyers say so, but not "forever".
pub const MAX_EXPIRY_DAYS: u32 = 730;

/// Everything the tag configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub site: String,
    /// `data-lang`, lower-cased primary subtag, if the tag names one.
    pub lang: Option<String>,
    pub expiry_days: u32,
}

/// Why the tag cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `data-site` is missing or not a site id.
    Site,
}

impl ConfigError {
    /// What the site owner reads in the console.
    #[must_use]
    pub fn message(&self) -> &'static str {
        "the script tag needs data-site=\"<site id>\" (a-z, 0-9, _ and -)"
    }
}

impl Config {
    /// Reads the configuration through `attr(name)`. Unknown or malformed optional attributes
    /// fall back to their defaults; only a missing or invalid `data-site` is an error.
    ///
    /// # Errors
    /// [`ConfigError::Site`].
    pub fn from_attributes(attr: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let site = attr("data-site").map(|s| s.trim().to_owned()).unwrap_or_default();
        if !is_slug(&site) {
            return Err(ConfigError::Site);
        }
        let expiry_days = attr("data-expiry-days")
            .and_then(|d| d.trim().parse::<u32>().ok())
            .map_or(DEFAULT_EXPIRY_DAYS, |d| d.clamp(MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS));
        Ok(Self { site, lang: attr("data-lang").and_then(|l| primary_subtag(&l)), expiry_days })
    }
}

/// The lower-cased primary subtag of a language tag (`ru-KZ` → `ru`), if it is 2–3 letters.
#[must_use]
pub fn primary_subtag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase())).then_some(primary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_attributes(|name| map.get(name).cloned())
    }

    #[test]
    fn site_is_required_and_must_be_a_slug() {
        assert_eq!(config(&[]), Err(ConfigError::Site));
        assert_eq!(config(&[("data-site", "")]), Err(ConfigError::Site));
        assert_eq!(config(&[("data-site", "../x")]), Err(ConfigError::Site));
        assert_eq!(config(&[("data-site", "Shop")]), Err(ConfigError::Site));
        assert_eq!(config(&[("data-site", " crm-demo ")]).unwrap().site, "crm-demo");
    }

    #[test]
    fn defaults() {
        let c = config(&[("data-site", "crm-demo")]).unwrap();
        assert_eq!(c.lang, None);
        assert_eq!(c.expiry_days, DEFAULT_EXPIRY_DAYS);
    }

    #[test]
    fn options_are_read_and_clamped() {
        let c = config(&[("data-site", "s"), ("data-lang", "KK-kz"), ("data-expiry-days", "100000")]).unwrap();
        assert_eq!(c.lang.as_deref(), Some("kk"));
        assert_eq!(c.expiry_days, MAX_EXPIRY_DAYS);
        assert_eq!(config(&[("data-site", "s"), ("data-expiry-days", "0")]).unwrap().expiry_days, MIN_EXPIRY_DAYS);
        assert_eq!(config(&[("data-site", "s"), ("data-expiry-days", "-3")]).unwrap().expiry_days, 365);
        assert_eq!(config(&[("data-site", "s"), ("data-lang", "русский")]).unwrap().lang, None);
    }
}
