//! `kelisim policy import|review|edit|publish|list`: a site owner's own document imported into
//! a local draft, reviewed, edited and published as the next version; or a new version published
//! from a JSON document or from Markdown texts merged into the current version.

use kelisim_core::api::policies::{PolicyAnswer, PolicyVersions, Published};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Subcommand};
use kelisim_core::policy::{check_language, Block, Policy};
use kelisim_core::time::parse_date;

use super::{answer, check_site, read_json_file, read_text, today, Ctx};
use crate::client::{Access, Client, Req};
use crate::error::{one_line, Error, Result, EXIT_OK};
use crate::import::markdown::to_blocks;
use crate::import::{draft, review};
use crate::output::{note, out, out_json, table};

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Publishes the next policy version: the site's draft (`policy publish SITE`, after
    /// `policy import`), a Policy JSON file as it is (`--site S FILE`), or Markdown texts
    /// (`--site S --text LANG=FILE`…) merged into the current version (or --base) with version + 1
    #[command(group(ArgGroup::new("source").required(true).args(["target", "text"])))]
    Publish {
        /// SITE: publish its draft; or, with --site, a complete Policy JSON FILE (published as it is)
        #[arg(value_name = "SITE|FILE", conflicts_with_all = ["text", "base"])]
        target: Option<String>,
        /// The site id, e.g. crm-demo (with a JSON FILE or --text)
        #[arg(long)]
        site: Option<String>,
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
        /// Where `policy import` keeps drafts
        #[arg(long, env = "KELISIM_DRAFTS", default_value = draft::DEFAULT_DRAFT_DIR)]
        drafts: PathBuf,
    },
    /// Imports the site's own policy document (.docx, .html, .md or .txt) in one language into
    /// the site's local draft; nothing is published
    Import {
        /// The document
        file: PathBuf,
        /// The site id, e.g. shop
        #[arg(long)]
        site: String,
        /// The document's language: ru, kk or en
        #[arg(long)]
        lang: String,
        /// Where drafts are kept
        #[arg(long, env = "KELISIM_DRAFTS", default_value = draft::DEFAULT_DRAFT_DIR)]
        drafts: PathBuf,
    },
    /// Shows what the import found in the site's draft, and what is missing before publishing
    Review {
        /// The site id, e.g. shop
        site: String,
        /// Prints the draft (policy and findings) as JSON
        #[arg(long)]
        json: bool,
        /// Where drafts are kept
        #[arg(long, env = "KELISIM_DRAFTS", default_value = draft::DEFAULT_DRAFT_DIR)]
        drafts: PathBuf,
    },
    /// Edits the site's draft: operator, category texts and sections, banner text
    Edit(EditArgs),
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

/// `kelisim policy edit`: what the owner changes in a draft, without writing JSON.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    /// The site id, e.g. shop
    site: String,
    /// The operator's legal name, e.g. ТОО «Пример»
    #[arg(long)]
    legal_name: Option<String>,
    /// The operator's city
    #[arg(long)]
    city: Option<String>,
    /// The operator's e-mail for data requests
    #[arg(long)]
    email: Option<String>,
    /// The operator's phone
    #[arg(long)]
    phone: Option<String>,
    /// The operator's BIN or IIN (12 digits, check digit verified); "" removes it
    #[arg(long)]
    bin_iin: Option<String>,
    /// A category's title in one language (repeatable)
    #[arg(long, value_name = "CATEGORY:LANG=TEXT")]
    title: Vec<String>,
    /// A category's description in one language (repeatable)
    #[arg(long, value_name = "CATEGORY:LANG=TEXT")]
    description: Vec<String>,
    /// The banner's short text in one language (repeatable)
    #[arg(long, value_name = "LANG=TEXT")]
    summary: Vec<String>,
    /// The headings or clauses a category points at, e.g. analytics=§6,§7.2 (empty: none) (repeatable)
    #[arg(long, value_name = "CATEGORY=§N,…")]
    sections: Vec<String>,
    /// Adds a standard category (analytics, marketing, cross_border, ai_processing)
    #[arg(long, value_name = "CATEGORY")]
    add_category: Vec<String>,
    /// Removes a category the site does not need (never necessary)
    #[arg(long, value_name = "CATEGORY")]
    remove_category: Vec<String>,
    /// The consent term in months; 0: until withdrawn
    #[arg(long)]
    term_months: Option<u32>,
    /// Where drafts are kept
    #[arg(long, env = "KELISIM_DRAFTS", default_value = draft::DEFAULT_DRAFT_DIR)]
    drafts: PathBuf,
}

fn edit(args: &EditArgs) -> Result<u8> {
    check_site(&args.site)?;
    let mut d = draft::require(&args.drafts, &args.site)?;
    apply_edits(&mut d, args)?;
    draft::save(&args.drafts, &d)?;
    out(&format!("draft of site {} updated; see `kelisim policy review {}`", args.site, args.site))?;
    Ok(EXIT_OK)
}

/// Splits `CATEGORY:LANG=TEXT`.
fn category_lang_text<'a>(flag: &str, arg: &'a str) -> Result<(&'a str, &'a str, &'a str)> {
    let bad = || Error::Usage(format!("--{flag} {:?}: expected CATEGORY:LANG=TEXT", one_line(arg)));
    let (key, text) = arg.split_once('=').ok_or_else(bad)?;
    let (category, lang) = key.split_once(':').ok_or_else(bad)?;
    Ok((category, lang, text))
}

fn apply_edits(d: &mut draft::Draft, a: &EditArgs) -> Result<()> {
    let p = &mut d.policy;
    let text_field = |flag: &str, v: &str| -> Result<String> {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > kelisim_core::limits::MAX_CONTACT_CHARS {
            return Err(Error::Usage(format!(
                "--{flag}: expected 1 to {} characters",
                kelisim_core::limits::MAX_CONTACT_CHARS
            )));
        }
        Ok(v.to_owned())
    };
    for (flag, value, field) in [
        ("legal-name", &a.legal_name, &mut p.operator.legal_name),
        ("city", &a.city, &mut p.operator.city),
        ("email", &a.email, &mut p.operator.email),
        ("phone", &a.phone, &mut p.operator.phone),
    ] {
        if let Some(v) = value {
            *field = text_field(flag, v)?;
        }
    }
    if let Some(bin) = &a.bin_iin {
        let bin: String = bin.chars().filter(|c| !c.is_whitespace()).collect();
        if bin.is_empty() {
            p.operator.bin_iin = None;
        } else {
            kelisim_core::consent_terms::check_bin_iin(&bin)
                .map_err(|e| Error::Usage(format!("--bin-iin {bin:?}: {e}")))?;
            p.operator.bin_iin = Some(bin);
        }
    }
    for id in &a.add_category {
        if p.category(id).is_none() {
            let c = crate::import::defaults::category(id, &p.languages).ok_or_else(|| {
                Error::Usage(format!("--add-category {id:?}: one of analytics, marketing, cross_border, ai_processing"))
            })?;
            p.categories.push(c);
        }
    }
    for id in &a.remove_category {
        if id == kelisim_core::category::NECESSARY {
            return Err(Error::Usage("--remove-category necessary: necessary is always part of a policy".into()));
        }
        if p.category(id).is_none() {
            return Err(Error::Usage(format!("--remove-category {id:?}: the draft has no such category")));
        }
        p.categories.retain(|c| &c.id != id);
        if let Some(consent) = p.consent.as_mut() {
            consent.data_collected.remove(id);
        }
    }
    for (flag, args) in [("title", &a.title), ("description", &a.description)] {
        for arg in args {
            let (id, lang, text) = category_lang_text(flag, arg)?;
            if !p.languages.iter().any(|l| l == lang) {
                return Err(Error::Usage(format!(
                    "--{flag} {arg:?}: the draft has no text in {lang}; import it first"
                )));
            }
            let c = p.categories.iter_mut().find(|c| c.id == id).ok_or_else(|| {
                Error::Usage(format!("--{flag} {arg:?}: the draft has no category {id} (--add-category first)"))
            })?;
            let target = if flag == "title" { &mut c.title } else { &mut c.description };
            target.insert(lang.to_owned(), text.trim().to_owned());
        }
    }
    for arg in &a.summary {
        let (lang, text) = arg
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--summary {:?}: expected LANG=TEXT", one_line(arg))))?;
        if !p.languages.iter().any(|l| l == lang) {
            return Err(Error::Usage(format!("--summary {lang}: the draft has no text in {lang}; import it first")));
        }
        p.summary.insert(lang.to_owned(), text.trim().to_owned());
    }
    let common = draft::common_anchors(p);
    for arg in &a.sections {
        let (id, list) = arg
            .split_once('=')
            .ok_or_else(|| Error::Usage(format!("--sections {:?}: expected CATEGORY=§N,…", one_line(arg))))?;
        let anchors: Vec<String> =
            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(crate::import::anchors::parse_label).collect();
        if let Some(missing) = anchors.iter().find(|a| !common.contains(*a)) {
            return Err(Error::Usage(format!(
                "--sections {arg:?}: {} is not a heading or clause in every language of the draft",
                crate::import::anchors::label(missing)
            )));
        }
        let c = p
            .categories
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| Error::Usage(format!("--sections {arg:?}: the draft has no category {id}")))?;
        c.sections = anchors;
        d.edited_sections.insert(id.to_owned());
    }
    if let Some(months) = a.term_months {
        let consent = p.consent.get_or_insert_with(Default::default);
        let lang = p.languages.first().cloned().unwrap_or_else(|| "ru".into());
        let term = consent.term.get_or_insert_with(|| kelisim_core::consent_terms::ConsentTerm {
            months: None,
            text: BTreeMap::from([(lang.clone(), crate::import::defaults::term_text(&lang, months))]),
        });
        term.months = (months > 0).then_some(months);
    }
    Ok(())
}

/// Runs a `policy` command.
///
/// # Errors
/// Any [`Error`].
pub fn run(ctx: &Ctx, cmd: &PolicyCmd) -> Result<u8> {
    match cmd {
        PolicyCmd::Publish { target, site, text, base, material, effective_date, dry_run, drafts } => {
            let effective = effective_date
                .as_deref()
                .map(|d| {
                    parse_date("effective_date", d)
                        .map(|_| d.to_owned())
                        .map_err(|_| Error::Usage(format!("--effective-date {:?}: expected YYYY-MM-DD", one_line(d))))
                })
                .transpose()?;
            let (site, policy) = match (site, target) {
                (None, Some(site)) => {
                    check_site(site)?;
                    let client = ctx.client()?;
                    let draft = draft::require(drafts, site)?;
                    let current = current_version(&client, site)?;
                    let mut policy = draft.policy.clone();
                    policy.version = current.map_or(1, |v| v.saturating_add(1));
                    policy.effective_date = effective.unwrap_or_else(today);
                    policy.material = current.is_none() || *material;
                    policy.validate().map_err(|e| {
                        Error::Input(format!(
                            "the draft of site {site} is not ready: {e}; see `kelisim policy review {site}`"
                        ))
                    })?;
                    (site.clone(), policy)
                }
                (None, None) => return Err(Error::Usage("--text needs --site SITE".into())),
                (Some(site), Some(file)) => {
                    check_site(site)?;
                    if *material || effective.is_some() {
                        return Err(Error::Usage(
                            "a JSON FILE is published as it is: --material and --effective-date go with --text or a draft".into(),
                        ));
                    }
                    (site.clone(), from_json_file(site, Path::new(file))?)
                }
                (Some(site), None) => {
                    check_site(site)?;
                    let client = ctx.client()?;
                    let texts = read_texts(text)?;
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
                    (site.clone(), build(base, site, &texts, next, &effective.unwrap_or_else(today), *material)?)
                }
            };
            let client = ctx.client()?;
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
        PolicyCmd::Import { file, site, lang, drafts } => {
            check_site(site)?;
            check_language(lang)
                .map_err(|_| Error::Usage(format!("--lang {:?}: expected ru, kk or en", one_line(lang))))?;
            let name = file.display().to_string();
            let imported = crate::import::read_source(file)
                .and_then(|bytes| crate::import::import(&name, &bytes, lang))
                .map_err(|e| Error::Input(format!("{name}: {}: {e}; nothing was saved", e.code())))?;
            let mut d = draft::load(drafts, site)?.unwrap_or_else(|| draft::new(site, &today()));
            let counts = imported.report.counts.clone();
            draft::merge(&mut d, lang, imported);
            if let Err(e) = d.policy.text.get(lang).map_or(Ok(()), |blocks| draft::check_text(lang, blocks)) {
                return Err(Error::Input(format!("{name}: the text cannot be a policy: {e}; nothing was saved")));
            }
            draft::save(drafts, &d)?;
            out(&format!(
                "imported {name} ({lang}): {} headings, {} clauses, {} lists ({} items), {} links",
                counts.headings, counts.clauses, counts.lists, counts.list_items, counts.links
            ))?;
            note(&format!(
                "draft saved to {}; next: kelisim policy review {site}",
                draft::path(drafts, site).display()
            ));
            Ok(EXIT_OK)
        }
        PolicyCmd::Review { site, json, drafts } => {
            check_site(site)?;
            let d = draft::require(drafts, site)?;
            if *json {
                out_json(&serde_json::to_value(&d).map_err(|e| Error::Output(e.to_string()))?)?;
            } else {
                out(&review::render(&d))?;
            }
            Ok(EXIT_OK)
        }
        PolicyCmd::Edit(args) => edit(args),
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
            let versions: PolicyVersions = answer(value, "policy list")?;
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

/// The version number of the site's current policy, or `None` when none is published.
fn current_version(client: &Client, site: &str) -> Result<Option<u32>> {
    let what = format!("read the policy of site {site}");
    match client.json(&Req::get(format!("/v1/sites/{site}/policy"), Access::Public, what)) {
        Ok(value) => Ok(Some(answer::<PolicyAnswer>(value, "the current policy")?.policy.version)),
        Err(Error::Api { status: 404, code, .. }) if code == "policy_not_found" => Ok(None),
        Err(Error::Api { status: 404, code, .. }) if code == "unknown_site" => Err(Error::Usage(format!(
            "site {site} is not configured on this edge: run `kelisim site create {site} --origin https://…` first"
        ))),
        Err(e) => Err(e),
    }
}

/// The current policy, whole: the edge serves one language per request, so every language is
/// fetched and merged, and the merge is checked against the served content hash.
fn fetch_current(client: &Client, site: &str) -> Result<Option<Policy>> {
    let what = format!("read the policy of site {site}");
    let first = match client.json(&Req::get(format!("/v1/sites/{site}/policy"), Access::Public, what.clone())) {
        Ok(value) => answer::<PolicyAnswer>(value, "the current policy")?,
        Err(Error::Api { status: 404, code, .. }) if code == "policy_not_found" => return Ok(None),
        Err(e) => return Err(e),
    };
    let version = first.policy.version;
    let mut views = vec![first.policy.clone()];
    for lang in first.policy.languages.iter().skip(1) {
        let req = Req::get(format!("/v1/sites/{site}/policy/versions/{version}"), Access::Public, what.clone())
            .query("lang", lang);
        let served: PolicyAnswer = answer(client.json(&req)?, "a policy version")?;
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
