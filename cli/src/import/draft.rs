//! A site's draft policy, built up by `policy import` (one language per import, merged),
//! edited by `policy edit`, read by `policy review` and published by `policy publish SITE`.
//! Kept as JSON in `.kelisim/drafts/{site}.json` (or `--drafts DIR`); the owner never writes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kelisim_core::category::NECESSARY;
use kelisim_core::consent_terms::ConsentTerms;
use kelisim_core::policy::{Block, Operator, Policy, POLICY_SCHEMA_VERSION};
use serde::{Deserialize, Serialize};

use super::{defaults, Imported, Report};
use crate::error::{Error, Result};

/// Version of the draft file format.
pub const DRAFT_SCHEMA: u32 = 1;
/// Where drafts are kept unless `--drafts` or `KELISIM_DRAFTS` says otherwise.
pub const DEFAULT_DRAFT_DIR: &str = ".kelisim/drafts";
/// Largest draft file read (a policy is at most 256 KiB; reports add the outline).
const MAX_DRAFT_BYTES: u64 = 8 * 1024 * 1024;

/// A site's draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub schema: u32,
    pub site: String,
    /// The policy to publish; its version is set when it is published.
    pub policy: Policy,
    /// What each language's import found.
    pub reports: BTreeMap<String, Report>,
    /// Categories whose sections the owner set with `policy edit` (imports leave them alone).
    #[serde(default)]
    pub edited_sections: BTreeSet<String>,
}

/// The draft file of `site` in `dir`.
#[must_use]
pub fn path(dir: &Path, site: &str) -> PathBuf {
    dir.join(format!("{site}.json"))
}

/// Reads the draft of `site`, or `None` when there is none.
///
/// # Errors
/// [`Error::Input`] for an unreadable or malformed draft.
pub fn load(dir: &Path, site: &str) -> Result<Option<Draft>> {
    let file = path(dir, site);
    let text = match std::fs::metadata(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Input(format!("cannot read {}: {e}", file.display()))),
        Ok(m) if m.len() > MAX_DRAFT_BYTES => {
            return Err(Error::Input(format!("{} is larger than {MAX_DRAFT_BYTES} bytes", file.display())))
        }
        Ok(_) => {
            std::fs::read_to_string(&file).map_err(|e| Error::Input(format!("cannot read {}: {e}", file.display())))?
        }
    };
    let draft: Draft = serde_json::from_str(&text).map_err(|e| {
        Error::Input(format!("{} is not a Kelisim draft ({e}); import the document again", file.display()))
    })?;
    if draft.schema != DRAFT_SCHEMA || draft.site != site {
        return Err(Error::Input(format!("{} is not the draft of site {site}", file.display())));
    }
    Ok(Some(draft))
}

/// Reads the draft of `site`, which must exist.
///
/// # Errors
/// As [`load`], and [`Error::Usage`] when there is no draft.
pub fn require(dir: &Path, site: &str) -> Result<Draft> {
    load(dir, site)?.ok_or_else(|| {
        Error::Usage(format!(
            "site {site} has no draft in {}: run `kelisim policy import FILE --site {site} --lang ru` first",
            dir.display()
        ))
    })
}

/// Writes the draft whole (or not at all).
///
/// # Errors
/// [`Error::Output`].
pub fn save(dir: &Path, draft: &Draft) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Output(format!("cannot create {}: {e}", dir.display())))?;
    let text = serde_json::to_string_pretty(draft).map_err(|e| Error::Output(e.to_string()))?;
    crate::atomic::write(&path(dir, &draft.site), format!("{text}\n").as_bytes(), None)
}

/// A new, empty draft.
#[must_use]
pub fn new(site: &str, effective_date: &str) -> Draft {
    Draft {
        schema: DRAFT_SCHEMA,
        site: site.to_owned(),
        policy: Policy {
            schema: POLICY_SCHEMA_VERSION,
            site: site.to_owned(),
            version: 0,
            effective_date: effective_date.to_owned(),
            material: true,
            operator: Operator {
                legal_name: String::new(),
                city: String::new(),
                email: String::new(),
                phone: String::new(),
                bin_iin: None,
            },
            languages: Vec::new(),
            categories: Vec::new(),
            summary: BTreeMap::new(),
            text: BTreeMap::new(),
            consent: None,
        },
        reports: BTreeMap::new(),
        edited_sections: BTreeSet::new(),
    }
}

/// Adds (or replaces) language `lang` from an import; everything the owner already has or
/// edited is kept, what is missing is filled from the document and the built-in texts.
pub fn merge(draft: &mut Draft, lang: &str, imported: Imported) {
    let p = &mut draft.policy;
    p.languages = defaults::ordered(p.languages.iter().cloned().chain([lang.to_owned()]));
    p.text.insert(lang.to_owned(), imported.outline.blocks.clone());

    let mut wanted: Vec<String> = vec![NECESSARY.to_owned()];
    wanted.extend(imported.report.suggestions.iter().map(|s| s.category.clone()));
    for id in kelisim_core::category::STANDARD {
        if wanted.iter().any(|w| w == id) && p.category(id).is_none() {
            if let Some(c) = defaults::category(id, &p.languages) {
                p.categories.push(c);
            }
        }
    }
    // Standard order, the site's own categories after.
    let rank = |id: &str| kelisim_core::category::STANDARD.iter().position(|s| *s == id).unwrap_or(usize::MAX);
    p.categories.sort_by_key(|c| rank(&c.id));
    fill_texts(p);

    let id = &imported.report.identity;
    let o = &mut p.operator;
    for (field, found) in [
        (&mut o.legal_name, &id.legal_name),
        (&mut o.city, &id.city),
        (&mut o.email, &id.email),
        (&mut o.phone, &id.phone),
    ] {
        if field.trim().is_empty() {
            if let Some(f) = found {
                field.clone_from(&f.value);
            }
        }
    }
    if o.bin_iin.is_none() {
        o.bin_iin = id.bin_iin.as_ref().map(|f| f.value.clone());
    }
    p.consent = Some(merge_consent(p.consent.take().unwrap_or_default(), imported.consent));
    if p.consent.as_ref().is_some_and(|c| *c == ConsentTerms::default()) {
        p.consent = None;
    }
    draft.reports.insert(lang.to_owned(), imported.report);
    refresh_sections(draft);
}

/// Checks one language's blocks as a policy would (lengths, counts, links, anchors), in a
/// throwaway policy, so an import that could never be published saves nothing.
///
/// # Errors
/// The first [`kelisim_core::ValidationError`].
pub fn check_text(lang: &str, blocks: &[Block]) -> std::result::Result<(), kelisim_core::ValidationError> {
    let mut p = new("check", "2026-01-01").policy;
    p.version = 1;
    p.operator =
        Operator { legal_name: "x".into(), city: "x".into(), email: "x".into(), phone: "x".into(), bin_iin: None };
    p.languages = vec![lang.to_owned()];
    p.text.insert(lang.to_owned(), blocks.to_vec());
    p.summary.insert(lang.to_owned(), "x".into());
    let mut necessary =
        defaults::category(NECESSARY, &[]).ok_or(kelisim_core::ValidationError::CategoryMissing(NECESSARY.into()))?;
    necessary.title.insert(lang.to_owned(), "x".into());
    necessary.description.insert(lang.to_owned(), "x".into());
    p.categories = vec![necessary];
    p.validate()
}

/// Fills every missing category title / description and banner text from the built-in texts.
pub fn fill_texts(p: &mut Policy) {
    for lang in p.languages.clone() {
        if let Some(s) = defaults::summary(&lang) {
            p.summary.entry(lang.clone()).or_insert_with(|| s.to_owned());
        }
        for c in &mut p.categories {
            if let Some((t, d)) = defaults::category_text(&c.id, &lang) {
                c.title.entry(lang.clone()).or_insert_with(|| t.to_owned());
                c.description.entry(lang.clone()).or_insert_with(|| d.to_owned());
            }
        }
    }
}

/// Each category's sections: the anchors the default language's import suggested that exist in
/// every language's text (a category's sections must be common to all). Sections the owner set
/// are kept if they still exist.
pub fn refresh_sections(draft: &mut Draft) {
    let p = &mut draft.policy;
    let common = common_anchors(p);
    let default_report = p.languages.first().and_then(|l| draft.reports.get(l));
    for c in &mut p.categories {
        if draft.edited_sections.contains(&c.id) {
            c.sections.retain(|s| common.contains(s));
            continue;
        }
        c.sections = default_report
            .and_then(|r| r.suggestions.iter().find(|s| s.category == c.id))
            .map(|s| s.sections.iter().filter(|a| common.contains(*a)).cloned().collect())
            .unwrap_or_default();
    }
}

/// Heading and clause anchors present in the text of every language.
#[must_use]
pub fn common_anchors(p: &Policy) -> BTreeSet<String> {
    let mut common: Option<BTreeSet<String>> = None;
    for blocks in p.text.values() {
        let anchors: BTreeSet<String> = blocks.iter().filter_map(Block::anchor).map(str::to_owned).collect();
        common = Some(match common {
            None => anchors,
            Some(prev) => prev.intersection(&anchors).cloned().collect(),
        });
    }
    common.unwrap_or_default()
}

/// `base` with what `more` adds: texts of new languages, third parties and countries not yet
/// named, data lists of new languages.
fn merge_consent(mut base: ConsentTerms, more: ConsentTerms) -> ConsentTerms {
    match (&mut base.term, more.term) {
        (None, Some(t)) => base.term = Some(t),
        (Some(b), Some(t)) => {
            b.months = b.months.or(t.months);
            for (l, text) in t.text {
                b.text.entry(l).or_insert(text);
            }
        }
        _ => {}
    }
    for party in more.third_parties {
        if !base.third_parties.iter().any(|p| p.name == party.name) {
            base.third_parties.push(party);
        }
    }
    match (&mut base.cross_border, more.cross_border) {
        (None, Some(c)) => base.cross_border = Some(c),
        (Some(b), Some(c)) => {
            b.transfers |= c.transfers;
            for country in c.countries {
                if !b.countries.contains(&country) {
                    b.countries.push(country);
                }
            }
            b.countries.sort();
            for (l, text) in c.text {
                b.text.entry(l).or_insert(text);
            }
        }
        _ => {}
    }
    for (category, lists) in more.data_collected {
        let entry = base.data_collected.entry(category).or_default();
        for (l, items) in lists {
            entry.entry(l).or_insert(items);
        }
    }
    base
}
