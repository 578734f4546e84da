//! `kelisim site create|snippet`: configuring a site's origins (admin), and the tag a site owner
//! pastes into their pages.

use std::path::PathBuf;

use clap::Subcommand;
use kelisim_core::limits::{MAX_ORIGINS, MAX_ORIGIN_CHARS};
use serde_json::json;

use super::{check_site, Ctx};
use crate::client::{Access, Req};
use crate::error::{one_line, Error, Result, EXIT_OK};
use crate::import::draft;
use crate::output::out;

#[derive(Debug, Subcommand)]
pub enum SiteCmd {
    /// Creates or reconfigures a site: the origins whose pages may show the banner and post
    /// receipts (admin token)
    Create {
        /// The site id, e.g. shop
        site: String,
        /// An origin of the site's pages, e.g. https://shop.example.kz (repeatable)
        #[arg(long = "origin", value_name = "URL", required = true)]
        origins: Vec<String>,
    },
    /// Prints the one <script> tag to paste into every page, with an example of a marked
    /// third-party script and the footer link that reopens the settings
    Snippet {
        /// The site id, e.g. shop
        site: String,
        /// Where `policy import` keeps drafts (the categories shown come from the draft)
        #[arg(long, env = "KELISIM_DRAFTS", default_value = draft::DEFAULT_DRAFT_DIR)]
        drafts: PathBuf,
    },
}

/// Runs a `site` command.
///
/// # Errors
/// Any [`Error`].
pub fn run(ctx: &Ctx, cmd: &SiteCmd) -> Result<u8> {
    match cmd {
        SiteCmd::Create { site, origins } => {
            check_site(site)?;
            if origins.len() > MAX_ORIGINS {
                return Err(Error::Usage(format!("--origin: at most {MAX_ORIGINS} origins per site")));
            }
            let origins = origins.iter().map(|o| normalise_origin(o)).collect::<Result<Vec<_>>>()?;
            let client = ctx.client()?;
            let req = Req::new("PUT", format!("/v1/sites/{site}"), Access::Admin, format!("configure site {site}"))
                .json_body(&json!({ "origins": origins }));
            client.json(&req)?;
            out(&format!("site {site} accepts pages from {}", origins.join(", ")))?;
            Ok(EXIT_OK)
        }
        SiteCmd::Snippet { site, drafts } => {
            check_site(site)?;
            let base = crate::client::normalise_base(&ctx.edge)?;
            let draft = draft::load(drafts, site)?;
            let lang = draft.as_ref().and_then(|d| d.policy.languages.first().cloned()).unwrap_or_else(|| "ru".into());
            let categories: Vec<String> = draft
                .as_ref()
                .map(|d| d.policy.categories.iter().filter(|c| c.switchable).map(|c| c.id.clone()).collect())
                .unwrap_or_default();
            out(&snippet(&base, site, &lang, &categories))?;
            Ok(EXIT_OK)
        }
    }
}

/// The snippet for `site` served by the edge at `base`.
#[must_use]
pub fn snippet(base: &str, site: &str, lang: &str, categories: &[String]) -> String {
    let settings = match lang {
        "kk" => "Құпиялылық баптаулары",
        "en" => "Privacy settings",
        _ => "Настройки конфиденциальности",
    };
    let mut s = format!(
        "<!-- Kelisim: in the <head> of every page -->\n<script src=\"{base}/v1/sites/{site}/kelisim.js\" data-site=\"{site}\" async></script>\n\n\
         <!-- Third-party scripts: type=\"text/plain\" and their category; each runs only after consent -->\n"
    );
    let examples: Vec<&str> =
        if categories.is_empty() { vec!["analytics"] } else { categories.iter().map(String::as_str).collect() };
    for category in examples {
        s.push_str(&format!(
            "<script type=\"text/plain\" data-category=\"{category}\" src=\"https://example.com/{}.js\"></script>\n",
            category.replace('_', "-")
        ));
    }
    s.push_str(&format!(
        "\n<!-- In the footer: visitors change or withdraw their consent here -->\n<a href=\"#\" data-kelisim-open>{settings}</a>"
    ));
    s
}

/// Checks an origin (`https://host[:port]`, no path) and drops a trailing `/`.
///
/// # Errors
/// [`Error::Usage`] naming the origin.
pub fn normalise_origin(origin: &str) -> Result<String> {
    let o = origin.trim_end_matches('/');
    let bad = |why: &str| Error::Usage(format!("--origin {:?}: {why}", one_line(origin)));
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
        .ok_or_else(|| bad("expected https://host or http://host[:port]"))?;
    if rest.is_empty() || o.len() > MAX_ORIGIN_CHARS {
        return Err(bad("expected https://host or http://host[:port]"));
    }
    if rest.contains(['/', '?', '#', '@']) || rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("an origin is scheme, host and port only, without a path"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, Some(p)),
        _ => (rest, None),
    };
    if host.is_empty() || port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 5) {
        return Err(bad("expected https://host or http://host[:port]"));
    }
    Ok(o.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(normalise_origin("https://Shop.Example.kz/").unwrap(), "https://shop.example.kz");
        assert_eq!(normalise_origin("http://127.0.0.1:8801").unwrap(), "http://127.0.0.1:8801");
        for bad in [
            "shop.kz",
            "https://",
            "https://x.kz/path",
            "https://x.kz:port",
            "ftp://x",
            "https://a b",
            "https://u@x.kz",
        ] {
            assert!(normalise_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_snippet_has_one_tag_and_examples() {
        let s = snippet("https://edge.example", "shop", "ru", &["analytics".into(), "cross_border".into()]);
        assert_eq!(s.matches("data-site=").count(), 1);
        assert!(s.contains(
            "<script src=\"https://edge.example/v1/sites/shop/kelisim.js\" data-site=\"shop\" async></script>"
        ));
        assert!(s.contains("data-category=\"cross_border\" src=\"https://example.com/cross-border.js\""));
        assert!(s.contains("data-kelisim-open>Настройки конфиденциальности</a>"));
    }
}
