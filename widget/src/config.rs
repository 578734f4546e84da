//! The widget's configuration, read from the attributes of its one `<script>` tag.
//!
//! ```html
//! <script src="https://EDGE/v1/kelisim.js" data-site="shop" data-lang="kk" data-position="top"
//!         data-accent="#0b7a4b" data-expiry-days="180" async></script>
//! ```
//!
//! Pure: the caller passes a lookup for attribute values, so every rule is tested natively.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use crate::json::find;
use crate::model::is_slug;

/// How long a choice is remembered when the tag does not say (`data-expiry-days`).
pub const DEFAULT_EXPIRY_DAYS: u32 = 365;
/// The shortest remembering period a tag may ask for: a day keeps a visitor from being asked on
/// every page view.
pub const MIN_EXPIRY_DAYS: u32 = 1;
/// The longest: about 13 months is the common regulatory ceiling for consent cookies; we allow a
/// little more for owners whose lawyers say so, but not "forever".
pub const MAX_EXPIRY_DAYS: u32 = 730;
/// A theme value longer than this is not a colour, length or font list; it is refused.
pub const MAX_THEME_VALUE_CHARS: usize = 120;

/// Theme attributes of the tag and the CSS custom property each one sets on the widget's host.
/// The same properties may be set by the page's own CSS (they inherit into the shadow root).
pub const THEME_ATTRIBUTES: [(&str, &str); 7] = [
    ("data-accent", "--kelisim-accent"),
    ("data-accent-text", "--kelisim-accent-text"),
    ("data-background", "--kelisim-bg"),
    ("data-text", "--kelisim-text"),
    ("data-border", "--kelisim-border"),
    ("data-radius", "--kelisim-radius"),
    ("data-font", "--kelisim-font"),
];

/// Where the first-visit banner sits. It always overlays the page (fixed), never pushes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Bottom,
    Top,
    Center,
}

impl Position {
    /// The CSS class of the banner for this position.
    #[must_use]
    pub fn class(self) -> &'static str {
        match self {
            Self::Bottom => "banner bottom",
            Self::Top => "banner top",
            Self::Center => "banner center",
        }
    }
}

/// Everything the tag configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub site: String,
    /// `data-lang`, lower-cased primary subtag, if the tag names one.
    pub lang: Option<String>,
    pub position: Position,
    pub expiry_days: u32,
    /// `(custom property, value)` pairs to set on the host element.
    pub theme: Vec<(&'static str, String)>,
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
        let position = match attr("data-position").as_deref().map(str::trim) {
            Some("top") => Position::Top,
            Some("center") => Position::Center,
            _ => Position::Bottom,
        };
        let expiry_days = attr("data-expiry-days")
            .and_then(|d| d.trim().parse::<u32>().ok())
            .map_or(DEFAULT_EXPIRY_DAYS, |d| d.clamp(MIN_EXPIRY_DAYS, MAX_EXPIRY_DAYS));
        let theme = THEME_ATTRIBUTES
            .iter()
            .filter_map(|(name, property)| {
                let value = attr(name)?;
                is_safe_theme_value(&value).then(|| (*property, value.trim().to_owned()))
            })
            .collect();
        Ok(Self { site, lang: attr("data-lang").and_then(|l| primary_subtag(&l)), position, expiry_days, theme })
    }
}

/// The lower-cased primary subtag of a language tag (`ru-KZ` → `ru`), if it is 2–3 letters.
#[must_use]
pub fn primary_subtag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    ((2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase())).then_some(primary)
}

/// A theme value is set with `style.setProperty` (CSSOM, allowed under a strict CSP), which
/// parses it as one value; we still refuse anything that could end a declaration or a block, or
/// load a resource, so a value can only ever be a colour, a length or a font list.
#[must_use]
pub fn is_safe_theme_value(value: &str) -> bool {
    let v = value.trim();
    let lower = v.to_ascii_lowercase();
    !v.is_empty()
        && v.chars().count() <= MAX_THEME_VALUE_CHARS
        && !v.chars().any(|c| matches!(c, ';' | '{' | '}' | '<' | '>' | '\\' | '@') || c.is_control())
        && ["url(", "image", "expression"].iter().all(|banned| find(&lower, banned).is_none())
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
        assert_eq!(c.position, Position::Bottom);
        assert_eq!(c.expiry_days, DEFAULT_EXPIRY_DAYS);
        assert!(c.theme.is_empty());
    }

    #[test]
    fn options_are_read_and_clamped() {
        let c = config(&[
            ("data-site", "s"),
            ("data-lang", "KK-kz"),
            ("data-position", "top"),
            ("data-expiry-days", "100000"),
        ])
        .unwrap();
        assert_eq!(c.lang.as_deref(), Some("kk"));
        assert_eq!(c.position, Position::Top);
        assert_eq!(c.expiry_days, MAX_EXPIRY_DAYS);
        assert_eq!(config(&[("data-site", "s"), ("data-expiry-days", "0")]).unwrap().expiry_days, MIN_EXPIRY_DAYS);
        assert_eq!(config(&[("data-site", "s"), ("data-expiry-days", "-3")]).unwrap().expiry_days, 365);
        assert_eq!(config(&[("data-site", "s"), ("data-position", "center")]).unwrap().position, Position::Center);
        assert_eq!(config(&[("data-site", "s"), ("data-position", "left")]).unwrap().position, Position::Bottom);
        assert_eq!(config(&[("data-site", "s"), ("data-lang", "русский")]).unwrap().lang, None);
    }

    #[test]
    fn theme_values_are_mapped_and_hostile_ones_dropped() {
        let c = config(&[
            ("data-site", "s"),
            ("data-accent", "#0b7a4b"),
            ("data-radius", "4px"),
            ("data-font", "\"PT Sans\", sans-serif"),
            ("data-background", "red;} body{display:none"),
            ("data-text", "url(https://tracker.example/x.png)"),
            ("data-border", "image-set(\"x.png\" 1x)"),
        ])
        .unwrap();
        assert_eq!(
            c.theme,
            vec![
                ("--kelisim-accent", "#0b7a4b".to_owned()),
                ("--kelisim-radius", "4px".to_owned()),
                ("--kelisim-font", "\"PT Sans\", sans-serif".to_owned()),
            ]
        );
    }
}
