//! `kelisim policy publish|list`: publishing a new policy version from a JSON document or from
//! Markdown texts merged into the current version.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Subcommand};
use kelisim_core::policy::{check_language, Block, Policy};
use kelisim_core::time::parse_date;
use serde::Deserialize;

use super::{answer, check_site, read_json_file, read_text, today, Ctx};
use crate::client::{Access, Client, Req};
use crate::error::{one_line, Error, Result, EXIT_OK};
use crate::markdown::to_blocks;
use crate::output::{note, out, out_json, table};

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Publishes the next policy version: a Policy JSON file as it is, or Markdown texts
    /// (--text LANG=FILE…) merged into the current version (or --base) with version + 1
    #[command(group(ArgGroup::new("source").required(true).args(["file", "text"])))]
    Publish {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// A complete Policy JSON document (published as it is)
        #[arg(conflicts_with_all = ["text", "base", "material", "effective_date"])]
        file: Option<PathBuf>,
        /// LANG=FILE.md: the policy text of one language, in Markdown (repeatable)
        #[arg(long, value_name = "LANG=FILE")]
        text: Vec<String>,
        /// Takes everything but the texts from this Policy JSON instead of the current version
        #[arg(long, value_name = "FILE.json")]
        base: Option<PathBuf>,
        /// Marks the change as material: visitors who consented before are asked again
        #[arg(long)]
        material: bool,
        /// When the version takes effect (YYYY-MM-DD; default today, UTC)
        #[arg(long)]
        effective_date: Option<String>,
        /// Prints the policy that would be published, and publishes nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Lists the published versions, newest first
    List {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// Prints the edge's answer as JSON
        #[arg(long)]
        json: bool,
    },
}

/// What `GET /v1/sites/{site}/policy[/versions/{n}]` answers.
#[derive(Debug, Deserialize)]
struct Served {
    sha256: String,
    policy: Policy,
}

#[derive(Debug, Deserialize)]
struct Published {
    version: u32,
    sha256: String,
}

#[derive(Debug, Deserialize)]
struct VersionInfo {
    version: u32,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    effective_date: String,
    #[serde(default)]
    material: bool,
}

#[derive(Debug, Deserialize)]
struct Versions {
    versions: Vec<VersionInfo>,
}

/// Runs a `policy` command.
///
/// # Errors
/// Any [`Error`].
pub fn run(ctx: &Ctx, cmd: &PolicyCmd) -> Result<u8> {
    match cmd {
        PolicyCmd::Publish { site, file, text, base, material, effective_date, dry_run } => {
            check_site(site)?;
            let client = ctx.client()?;
            let policy = match file {
                Some(path) => from_json_file(site, path)?,
                None => {
                    let texts = read_texts(text)?;
                    let effective = match effective_date {
                        Some(d) => {
                            parse_date("effective_date", d).map_err(|_| {
                                Error::Usage(format!("--effective-date {:?}: expected YYYY-MM-DD", one_line(d)))
                            })?;
                            d.clone()
                        }
                        None => today(),
                    };
                    let current = fetch_current(&client, site)?;
                    let base = match base {
                        Some(path) => read_json_file::<Policy>(path, "a policy document")?,
                        None => current.clone().ok_or_else(|| {
                            Error::Usage(format!(
                                "site {site} has no published policy to take the rest from: pass --base FILE.json, or publish a JSON policy first"
                            ))
                        })?,
                    };
                    let next = current.as_ref().map_or(1, |p| p.version.saturating_add(1));
                    build(base, site, &texts, next, &effective, *material)?
                }
            };
            policy.validate().map_err(|e| Error::Input(format!("the policy is not valid: {e}")))?;
            let local_hash =
                policy.content_hash().map_err(|e| Error::Input(format!("the policy is not valid: {e}")))?;
            let value = serde_json::to_value(&policy).map_err(|e| Error::Input(e.to_string()))?;
            if *dry_run {
                out_json(&value)?;
                note(&format!("dry run: version {} (sha256 {local_hash}) not published", policy.version));
                return Ok(EXIT_OK);
            }
            let req = Req::new(
                "PUT",
                format!("/v1/sites/{site}/policy"),
                Access::Scope("publish"),
                format!("publish policies of site {site}"),
            )
            .json_body(&value);
            let published: Published = answer(client.json(&req)?, "policy publish")?;
            out(&format!(
                "published policy version {} of site {site} (sha256 {})",
                published.version, published.sha256
            ))?;
            if published.sha256 != local_hash {
                note(&format!("warning: the edge's hash differs from the local one ({local_hash})"));
            }
            Ok(EXIT_OK)
        }
        PolicyCmd::List { site, json } => {
            check_site(site)?;
            let client = ctx.client()?;
            let value = client.json(&Req::get(
                format!("/v1/sites/{site}/policy/versions"),
                Access::Scope("read"),
                format!("list policy versions of site {site}"),
            ))?;
            if *json {
                out_json(&value)?;
                return Ok(EXIT_OK);
            }
            let versions: Versions = answer(value, "policy list")?;
            let rows: Vec<Vec<String>> = versions
                .versions
                .iter()
                .map(|v| {
                    let material = if v.material { "material" } else { "-" };
                    vec![v.version.to_string(), v.effective_date.clone(), material.to_owned(), v.sha256.clone()]
                })
                .collect();
            out(&table(&["VERSION", "EFFECTIVE", "CHANGE", "SHA256"], &rows))?;
            Ok(EXIT_OK)
        }
    }
}

fn from_json_file(site: &str, path: &Path) -> Result<Policy> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown")) {
        return Err(Error::Usage(format!(
            "{} looks like Markdown: pass it as --text LANG={} (a JSON FILE is published as it is)",
            path.display(),
            path.display()
        )));
    }
    let policy: Policy = read_json_file(path, "a policy document")?;
    if policy.site != site {
        return Err(Error::Input(format!(
            "{} is the policy of site {}, not {site}",
            path.display(),
            one_line(&policy.site)
        )));
    }
    Ok(policy)
}

/// Reads `LANG=FILE` arguments and converts each file.
fn read_texts(args: &[String]) -> Result<BTreeMap<String, Vec<Block>>> {
    let mut texts = BTreeMap::new();
    for arg in args {
        let (lang, path) = arg.split_once('=').ok_or_else(|| {
            Error::Usage(format!("--text {:?}: expected LANG=FILE, e.g. ru=policy.ru.md", one_line(arg)))
        })?;
        check_language(lang).map_err(|_| {
            Error::Usage(format!("--text {:?}: the language must be 2–3 lowercase letters", one_line(arg)))
        })?;
        let path = Path::new(path);
        let blocks = to_blocks(&read_text(path)?).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        if texts.insert(lang.to_owned(), blocks).is_some() {
            return Err(Error::Usage(format!("--text: language {lang} given twice")));
        }
    }
    Ok(texts)
}

/// The next version: `base` with the given texts, version, date and materiality.
fn build(
    base: Policy,
    site: &str,
    texts: &BTreeMap<String, Vec<Block>>,
    version: u32,
    effective_date: &str,
    material: bool,
) -> Result<Policy> {
    if base.site != site {
        return Err(Error::Input(format!("the base policy is for site {}, not {site}", one_line(&base.site))));
    }
    let mut policy = base;
    for (lang, blocks) in texts {
        if !policy.languages.contains(lang) {
            return Err(Error::Usage(format!(
                "--text {lang}: the policy offers {}; a new language needs its summary and category titles too (use --base)",
                policy.languages.join(", ")
            )));
        }
        policy.text.insert(lang.clone(), blocks.clone());
    }
    policy.version = version;
    policy.effective_date = effective_date.to_owned();
    policy.material = material;
    Ok(policy)
}

/// The current policy, whole: the edge serves one language per request, so every language is
/// fetched and merged, and the merge is checked against the served content hash.
fn fetch_current(client: &Client, site: &str) -> Result<Option<Policy>> {
    let what = format!("read the policy of site {site}");
    let first = match client.json(&Req::get(format!("/v1/sites/{site}/policy"), Access::Public, what.clone())) {
        Ok(value) => answer::<Served>(value, "the current policy")?,
        Err(Error::Api { status: 404, code, .. }) if code == "policy_not_found" => return Ok(None),
        Err(e) => return Err(e),
    };
    let version = first.policy.version;
    let mut views = vec![first.policy.clone()];
    for lang in first.policy.languages.iter().skip(1) {
        let req = Req::get(format!("/v1/sites/{site}/policy/versions/{version}"), Access::Public, what.clone())
            .query("lang", lang);
        let served: Served = answer(client.json(&req)?, "a policy version")?;
        views.push(served.policy);
    }
    let merged = merge_languages(views).map_err(Error::Protocol)?;
    match merged.content_hash() {
        Ok(hash) if hash == first.sha256 => Ok(Some(merged)),
        _ => Err(Error::Protocol(format!(
            "could not rebuild policy version {version} of site {site} from its languages (hash mismatch); pass --base FILE.json"
        ))),
    }
}

/// Merges single-language views of one policy version into the whole document.
///
/// # Errors
/// A message when the views are not of the same version.
pub fn merge_languages(views: Vec<Policy>) -> std::result::Result<Policy, String> {
    let mut views = views.into_iter();
    let mut merged = views.next().ok_or("no policy")?;
    for view in views {
        if view.version != merged.version
            || view.site != merged.site
            || view.categories.len() != merged.categories.len()
        {
            return Err("the policy changed while it was being read; try again".into());
        }
        for category in view.categories {
            let target = merged
                .categories
                .iter_mut()
                .find(|c| c.id == category.id)
                .ok_or("the policy changed while it was being read; try again")?;
            target.title.extend(category.title);
            target.description.extend(category.description);
        }
        merged.summary.extend(view.summary);
        merged.text.extend(view.text);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Policy {
        let text = include_str!("../../../www/demo/policies/crm-demo.json");
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_languages_merge_back_into_the_whole_document() {
        let full = demo();
        let views: Vec<Policy> = full.languages.iter().map(|l| full.localized(l)).collect();
        let merged = merge_languages(views).unwrap();
        assert_eq!(merged, full);
        assert_eq!(merged.content_hash().unwrap(), full.content_hash().unwrap());
    }

    #[test]
    fn views_of_different_versions_are_refused() {
        let full = demo();
        let mut other = full.localized("en");
        other.version += 1;
        assert!(merge_languages(vec![full.localized("ru"), other]).is_err());
    }

    #[test]
    fn a_markdown_text_replaces_one_language() {
        let full = demo();
        let md = "# Политика {#policy}\n\n## Данные {#data}\n## Цели {#purposes}\n## Основания {#legal-bases}\n\
                  ## Безопасность {#security}\n## Авто {#auto-data}\n### Cookie {#cookies}\n## Маркетинг {#marketing}\n\
                  ## Трансграничная {#cross-border}\n## ИИ {#ai}\n\nТекст.";
        let texts = BTreeMap::from([("ru".to_owned(), to_blocks(md).unwrap())]);
        let next = build(full.clone(), "crm-demo", &texts, full.version + 1, "2026-12-01", true).unwrap();
        next.validate().unwrap();
        assert_eq!(next.version, full.version + 1);
        assert!(next.material);
        assert_eq!(next.text.get("en"), full.text.get("en"));
        assert_ne!(next.text.get("ru"), full.text.get("ru"));

        let missing_anchor = BTreeMap::from([("ru".to_owned(), to_blocks("# Short").unwrap())]);
        let bad = build(full.clone(), "crm-demo", &missing_anchor, 2, "2026-12-01", false).unwrap();
        assert!(bad.validate().unwrap_err().to_string().contains("does not exist"));

        let fr = BTreeMap::from([("fr".to_owned(), to_blocks("# Politique").unwrap())]);
        assert!(matches!(build(full.clone(), "crm-demo", &fr, 2, "2026-12-01", false), Err(Error::Usage(_))));
        assert!(matches!(build(full, "other", &texts, 2, "2026-12-01", false), Err(Error::Input(_))));
    }
}
