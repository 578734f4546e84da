//! Importing a site owner's own policy document (`.docx`, `.html`, `.md`, or plain text as Word
//! and Google Docs export it) into policy blocks, with what was found for review: structure,
//! operator identity, category suggestions and the Art. 8(4) consent content.
//!
//! Each reader turns its format into [`Para`]s (a paragraph's text and what the format says it
//! is); [`structure`] recognises headings, numbered clauses and lists the same way for all.
//!
//! # Layout
//! - [`source`]: reading a file whole, within [`MAX_IMPORT_BYTES`], and deciding its format.
//! - [`docx`], [`html`], [`markdown`], [`text`]: one reader per format.
//! - [`clean`]: export artefacts removed (bookmarks, BOM, soft hyphens, odd spaces).
//! - [`structure`]: headings, clauses, lists and links → blocks with stable anchors.
//! - [`anchors`]: anchors from clause numbers (`§2.1.2` → `s2-1-2`) and from heading text.
//! - [`links`]: e-mail addresses, phone numbers and URLs found in text.
//! - [`identity`]: the operator (legal form and name, city, e-mail, phone, BIN / IIN).
//! - [`suggest`]: category suggestions from ru / kk / en term lists, and consent content.
//! - [`defaults`]: built-in category titles, descriptions and banner texts in ru / kk / en.
//! - [`draft`]: the local draft a site's imports build up, and the policy it becomes.
//! - [`review`]: what a draft holds and lacks, as `policy review` prints it.

pub mod anchors;
pub mod clean;
pub mod defaults;
pub mod docx;
pub mod draft;
pub mod html;
pub mod identity;
pub mod links;
pub mod markdown;
pub mod review;
pub mod source;
pub mod structure;
pub mod suggest;
pub mod text;

#[cfg(test)]
mod fixtures_test;

use serde::{Deserialize, Serialize};

pub use source::{read_source, Format};

/// One paragraph as a reader found it, before structure is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Para {
    /// The text, numbering included as the reader renders it (`2.1. …`); export artefacts may
    /// still be in it.
    pub text: String,
    pub kind: ParaKind,
    /// Hyperlinks the format marks in this paragraph: (text, target).
    pub links: Vec<(String, String)>,
}

impl Para {
    #[must_use]
    pub fn plain(text: impl Into<String>) -> Self {
        Self { text: text.into(), kind: ParaKind::Plain, links: Vec::new() }
    }
}

/// What the format says a paragraph is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParaKind {
    /// Nothing: the structure is read from the text.
    Plain,
    /// A heading style (`Heading 2`, `<h2>`, `##`), with an explicit anchor when the format has one.
    Heading { level: u8, anchor: Option<String> },
    /// A bulleted list item (the bullet is not in the text).
    Bullet,
}

/// Why a document cannot be imported. [`ImportError::code`] is stable; the message says what
/// to do. Nothing is written when an import fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is {size} bytes; the largest document imported is {max} bytes")]
    TooLarge { size: u64, max: u64 },
    #[error("the file is empty")]
    Empty,
    #[error("this is not a text document (binary content); export the policy as .docx, .html, .md or .txt")]
    Binary,
    #[error("the text is not UTF-8 (or UTF-16 with a byte-order mark); save it as UTF-8")]
    NotUtf8,
    #[error("not a Word document: {0}")]
    NotDocx(String),
    #[error("unsupported file type {0:?}: use .docx, .html, .htm, .md or .txt")]
    UnsupportedFormat(String),
    #[error("unsafe link target {0:?}: only https, http, mailto and tel links may be in a policy")]
    UnsafeLink(String),
    #[error("no numbered clauses or headings found: is this the policy text?")]
    NoClauses,
    #[error("{0}")]
    Malformed(String),
}

impl ImportError {
    /// The stable code of this error.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Empty => "empty",
            Self::Binary => "binary",
            Self::NotUtf8 => "not_utf8",
            Self::NotDocx(_) => "not_docx",
            Self::UnsupportedFormat(_) => "unsupported_format",
            Self::UnsafeLink(_) => "unsafe_link",
            Self::NoClauses => "no_clauses",
            Self::Malformed(_) => "malformed",
        }
    }
}

/// What an import found in one document, kept in the draft for `policy review`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The file imported (as given on the command line).
    pub source: String,
    pub format: Format,
    pub counts: structure::Counts,
    /// Every heading and clause with its anchor, in document order.
    pub sections: Vec<structure::Section>,
    pub identity: identity::Identity,
    pub suggestions: Vec<suggest::Suggestion>,
}

/// The result of importing one document.
#[derive(Debug, Clone)]
pub struct Imported {
    pub outline: structure::Outline,
    pub report: Report,
    pub consent: kelisim_core::consent_terms::ConsentTerms,
}

/// Imports `bytes` read from `name` (its extension decides the format) in language `lang`.
///
/// # Errors
/// Any [`ImportError`].
pub fn import(name: &str, bytes: &[u8], lang: &str) -> Result<Imported, ImportError> {
    let format = Format::of(name)?;
    let paras = match format {
        Format::Docx => docx::read(bytes)?,
        Format::Html => html::read(&text::decode(bytes)?)?,
        Format::Markdown => markdown::to_paras(&text::decode(bytes)?)?,
        Format::Text => text::read(&text::decode(bytes)?),
    };
    let outline = structure::structure(paras)?;
    let identity = identity::find(&outline);
    let suggestions = suggest::suggest(&outline);
    let consent = suggest::consent_terms(&outline, &suggestions, lang);
    let report = Report {
        source: name.to_owned(),
        format,
        counts: outline.counts.clone(),
        sections: outline.sections.clone(),
        identity,
        suggestions,
    };
    Ok(Imported { outline, report, consent })
}

#[cfg(test)]
pub mod words {
    //! The word sequence of a text, for "nothing of the text lost" checks.

    use kelisim_core::policy::Block;

    /// Lower-case runs of letters and digits, in order; artefact markers removed first.
    #[must_use]
    pub fn of(text: &str) -> Vec<String> {
        let text = super::clean::strip_artefacts(text);
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
    }

    /// The words of blocks, in order.
    #[must_use]
    pub fn of_blocks(blocks: &[Block]) -> Vec<String> {
        let mut out = Vec::new();
        for block in blocks {
            match block {
                Block::Heading { text, .. } | Block::Paragraph { text, .. } | Block::Link { text, .. } => {
                    out.extend(of(text));
                }
                Block::List { items } => items.iter().for_each(|i| out.extend(of(i))),
            }
        }
        out
    }
}
