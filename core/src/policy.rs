//! The privacy policy model: a versioned document with the operator's identity, the consent
//! categories and the text per language as structured blocks (never HTML), and its content hash.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::canonical::canonical_sha256;
use crate::category::NECESSARY;
use crate::error::ValidationError;
use crate::id::check_slug;
use crate::limits::{
    MAX_BLOCKS_PER_LANGUAGE, MAX_CATEGORIES, MAX_CONTACT_CHARS, MAX_LANGUAGES, MAX_LIST_ITEMS, MAX_TEXT_CHARS,
    MAX_URL_CHARS,
};
use crate::time::parse_date;

/// Version of the policy document format.
pub const POLICY_SCHEMA_VERSION: u32 = 1;

/// Text keyed by language tag (`ru`, `kk`, `en`, …).
pub type Localized = BTreeMap<String, String>;

/// Who the data controller is, shown with the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub legal_name: String,
    pub city: String,
    pub email: String,
    pub phone: String,
    /// BIN (legal entity) or IIN (individual entrepreneur), Law No. 94-V Art. 8(4); checked by
    /// [`crate::consent_terms::check_bin_iin`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_iin: Option<String>,
}

/// One consent category as a policy declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCategory {
    pub id: String,
    pub switchable: bool,
    pub default: bool,
    /// Whether this category is a sale or share of data that Global Privacy Control turns off.
    #[serde(default)]
    pub gpc_sensitive: bool,
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub title: Localized,
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub description: Localized,
    /// Anchors of the headings or numbered clauses in the policy text this category refers to.
    #[serde(default)]
    pub sections: Vec<String>,
}

/// A block of policy text. Rendered by building DOM nodes; no field is ever parsed as markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Heading {
        level: u8,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor: Option<String>,
    },
    Paragraph {
        text: String,
        /// A numbered clause's anchor (`2.1.2` → `s2-1-2`), so a category can point at it.
        /// Absent on a plain paragraph and then not serialised: older policies keep their hash.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        anchor: Option<String>,
    },
    List {
        items: Vec<String>,
    },
    Link {
        text: String,
        href: String,
    },
}

/// A privacy policy version as the operator publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub schema: u32,
    pub site: String,
    pub version: u32,
    /// `YYYY-MM-DD`: when this version takes effect.
    pub effective_date: String,
    /// A material change: widgets ask again visitors who consented to an earlier version.
    pub material: bool,
    pub operator: Operator,
    /// Languages offered, the first being the default.
    pub languages: Vec<String>,
    pub categories: Vec<PolicyCategory>,
    /// The short text of the banner.
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub summary: Localized,
    /// The full policy text per language.
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub text: BTreeMap<String, Vec<Block>>,
    /// What the consent states under Law No. 94-V Art. 8(4) (term, third parties, cross-border
    /// transfer, data collected); see [`crate::consent_terms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<crate::consent_terms::ConsentTerms>,
}

impl Policy {
    /// The content hash a receipt binds to: SHA-256 over the canonical JSON of the document.
    ///
    /// # Errors
    /// [`ValidationError::NotCanonical`] if the document cannot be canonicalised.
    pub fn content_hash(&self) -> Result<String, ValidationError> {
        canonical_sha256(self)
    }

    /// The category with `id`, if this policy declares it.
    #[must_use]
    pub fn category(&self, id: &str) -> Option<&PolicyCategory> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Checks the document on its own: identifiers, limits, translations, links and the rules
    /// for `necessary`. Whether `site` and `version` fit the store is the caller's check.
    ///
    /// # Errors
    /// The first [`ValidationError`] found.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.schema != POLICY_SCHEMA_VERSION {
            return Err(ValidationError::SchemaUnsupported(self.schema));
        }
        check_slug("site", &self.site)?;
        parse_date("effective_date", &self.effective_date)?;
        self.validate_operator()?;
        self.validate_languages()?;
        let anchors = self.validate_text()?;
        self.validate_categories(&anchors)?;
        crate::consent_terms::validate(self)?;
        check_localized("summary", &self.summary, &self.languages, MAX_TEXT_CHARS)
    }

    fn validate_operator(&self) -> Result<(), ValidationError> {
        let o = &self.operator;
        for (field, value) in [
            ("operator.legal_name", &o.legal_name),
            ("operator.city", &o.city),
            ("operator.email", &o.email),
            ("operator.phone", &o.phone),
        ] {
            check_text(field, value, MAX_CONTACT_CHARS)?;
        }
        Ok(())
    }

    fn validate_languages(&self) -> Result<(), ValidationError> {
        if self.languages.is_empty() {
            return Err(ValidationError::Empty { field: "languages" });
        }
        if self.languages.len() > MAX_LANGUAGES {
            return Err(ValidationError::TooMany { field: "languages", max: MAX_LANGUAGES });
        }
        let mut seen = BTreeSet::new();
        for lang in &self.languages {
            check_language(lang)?;
            if !seen.insert(lang) {
                return Err(ValidationError::Duplicate { field: "languages", value: lang.clone() });
            }
        }
        Ok(())
    }

    /// Validates the text of every language and returns the anchors (of headings and clauses)
    /// common to all.
    fn validate_text(&self) -> Result<BTreeSet<String>, ValidationError> {
        if let Some(extra) = self.text.keys().find(|k| !self.languages.contains(k)) {
            return Err(ValidationError::LanguageUnsupported(extra.clone()));
        }
        let mut common: Option<BTreeSet<String>> = None;
        for lang in &self.languages {
            let blocks = self
                .text
                .get(lang)
                .ok_or_else(|| ValidationError::TranslationMissing { field: "text".into(), language: lang.clone() })?;
            if blocks.is_empty() {
                return Err(ValidationError::Empty { field: "text" });
            }
            if blocks.len() > MAX_BLOCKS_PER_LANGUAGE {
                return Err(ValidationError::TooMany { field: "text", max: MAX_BLOCKS_PER_LANGUAGE });
            }
            let mut anchors = BTreeSet::new();
            for block in blocks {
                validate_block(block)?;
                if let Some(a) = block.anchor() {
                    if !anchors.insert(a.to_owned()) {
                        return Err(ValidationError::Duplicate { field: "anchor", value: a.to_owned() });
                    }
                }
            }
            common = Some(match common {
                None => anchors,
                Some(prev) => prev.intersection(&anchors).cloned().collect(),
            });
        }
        Ok(common.unwrap_or_default())
    }

    fn validate_categories(&self, anchors: &BTreeSet<String>) -> Result<(), ValidationError> {
        if self.categories.len() > MAX_CATEGORIES {
            return Err(ValidationError::TooMany { field: "categories", max: MAX_CATEGORIES });
        }
        if self.category(NECESSARY).is_none() {
            return Err(ValidationError::CategoryMissing(NECESSARY.into()));
        }
        let mut seen = BTreeSet::new();
        for cat in &self.categories {
            check_slug("category", &cat.id)?;
            if !seen.insert(&cat.id) {
                return Err(ValidationError::Duplicate { field: "category", value: cat.id.clone() });
            }
            if cat.id == NECESSARY && (cat.switchable || !cat.default) {
                return Err(ValidationError::NecessaryDenied);
            }
            // A locked category is granted for every visitor whatever they chose: only the one
            // that rests on contract or law may be.
            if cat.id != NECESSARY && !cat.switchable {
                return Err(ValidationError::CategoryLocked(cat.id.clone()));
            }
            check_localized("category.title", &cat.title, &self.languages, MAX_TEXT_CHARS)?;
            check_localized("category.description", &cat.description, &self.languages, MAX_TEXT_CHARS)?;
            for section in &cat.sections {
                if !anchors.contains(section) {
                    return Err(ValidationError::SectionUnknown(section.clone()));
                }
            }
        }
        Ok(())
    }
}

fn validate_block(block: &Block) -> Result<(), ValidationError> {
    match block {
        Block::Heading { level, text, anchor } => {
            if !(1..=4).contains(level) {
                return Err(ValidationError::InvalidId { field: "heading.level", reason: "must be 1 to 4" });
            }
            if let Some(a) = anchor {
                check_slug("anchor", a)?;
            }
            check_text("heading", text, MAX_TEXT_CHARS)
        }
        Block::Paragraph { text, anchor } => {
            if let Some(a) = anchor {
                check_slug("anchor", a)?;
            }
            check_text("paragraph", text, MAX_TEXT_CHARS)
        }
        Block::List { items } => {
            if items.is_empty() {
                return Err(ValidationError::Empty { field: "list" });
            }
            if items.len() > MAX_LIST_ITEMS {
                return Err(ValidationError::TooMany { field: "list", max: MAX_LIST_ITEMS });
            }
            items.iter().try_for_each(|i| check_text("list item", i, MAX_TEXT_CHARS))
        }
        Block::Link { text, href } => {
            check_text("link text", text, MAX_TEXT_CHARS)?;
            check_text("link href", href, MAX_URL_CHARS)?;
            if is_safe_href(href) {
                Ok(())
            } else {
                Err(ValidationError::UnsafeLink(href.chars().take(80).collect()))
            }
        }
    }
}

impl Block {
    /// The anchor a category's `sections` can name: a heading's or a numbered clause's.
    #[must_use]
    pub fn anchor(&self) -> Option<&str> {
        match self {
            Self::Heading { anchor, .. } | Self::Paragraph { anchor, .. } => anchor.as_deref(),
            Self::List { .. } | Self::Link { .. } => None,
        }
    }
}

/// Whether a link target is one a policy may carry: `https:`, `http:`, `mailto:` or `tel:`,
/// with no whitespace or control characters that browsers strip before reading the scheme.
#[must_use]
pub fn is_safe_href(href: &str) -> bool {
    let clean = !href.chars().any(|c| c.is_whitespace() || c.is_control());
    let lower = href.to_ascii_lowercase();
    clean && ["https://", "http://", "mailto:", "tel:"].iter().any(|scheme| lower.starts_with(scheme))
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value.chars().count() > max {
        return Err(ValidationError::TooLong { field, max });
    }
    Ok(())
}

fn check_localized(
    field: &'static str,
    value: &Localized,
    languages: &[String],
    max: usize,
) -> Result<(), ValidationError> {
    for lang in languages {
        let text = value
            .get(lang)
            .ok_or_else(|| ValidationError::TranslationMissing { field: field.into(), language: lang.clone() })?;
        check_text(field, text, max)?;
    }
    if let Some(extra) = value.keys().find(|k| !languages.contains(k)) {
        return Err(ValidationError::LanguageUnsupported(extra.clone()));
    }
    Ok(())
}

/// A language tag as Kelisim accepts it: 2–3 lowercase ASCII letters (`ru`, `kk`, `en`).
///
/// # Errors
/// [`ValidationError::LanguageUnsupported`].
pub fn check_language(lang: &str) -> Result<(), ValidationError> {
    if (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(ValidationError::LanguageUnsupported(lang.chars().take(16).collect()))
    }
}

impl Policy {
    /// The language served when a visitor asks for `requested`: it if offered, else the default
    /// (the first of `languages`).
    #[must_use]
    pub fn pick_language(&self, requested: Option<&str>) -> &str {
        requested
            .and_then(|r| self.languages.iter().find(|l| *l == r))
            .or_else(|| self.languages.first())
            .map_or("", String::as_str)
    }

    /// A copy carrying only `lang`'s texts: what a widget downloads. The content hash is always
    /// computed over the full document, never over this view.
    #[must_use]
    pub fn localized(&self, lang: &str) -> Self {
        let keep = |m: &Localized| m.iter().filter(|(k, _)| *k == lang).map(|(k, v)| (k.clone(), v.clone())).collect();
        Self {
            categories: self
                .categories
                .iter()
                .map(|c| PolicyCategory { title: keep(&c.title), description: keep(&c.description), ..c.clone() })
                .collect(),
            summary: keep(&self.summary),
            text: self.text.iter().filter(|(k, _)| *k == lang).map(|(k, v)| (k.clone(), v.clone())).collect(),
            ..self.clone()
        }
    }
}
