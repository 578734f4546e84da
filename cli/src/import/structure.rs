//! Structure recognised in a document's paragraphs, the same for every format: the title,
//! headings (heading styles, `1. Термины`, `4. ПРАВА ПОЛЬЗОВАТЕЛЯ`, lines in capitals),
//! numbered clauses at any depth (`2.1.`, `2.1.2`) kept with their numbers, bullet lists (`·`,
//! `•`, `-`, `–`, `—`, `*`, Word's `o` and `§` of deeper levels, list styles), and short lines
//! that carry one contact as links. Every heading and clause gets a stable anchor.

use std::collections::BTreeSet;

use kelisim_core::limits::{MAX_LIST_ITEMS, MAX_TEXT_CHARS};
use kelisim_core::policy::{is_safe_href, Block};
use serde::{Deserialize, Serialize};

use super::clean::{clean, collapse, strip_artefacts};
use super::{anchors, links, ImportError, Para, ParaKind};

/// Longest line read as a heading when only its number or capitals say so; longer lines with a
/// single-level number are clauses.
pub const MAX_HEADING_CHARS: usize = 120;
/// Longest paragraph that becomes a link block when it carries exactly one contact
/// (`E-mail: privacy@example.kz`); longer text keeps contacts as text.
pub const MAX_LINK_LINE_CHARS: usize = 160;
/// Deepest clause number read (`1.2.3.4.5.6`); deeper is text.
const MAX_NUMBER_DEPTH: usize = 6;
/// Largest part of a clause number (`12.105`): larger numbers are amounts or years, not clauses.
const MAX_NUMBER_PART: u32 = 999;

/// Bullets Word, Google Docs and people write, followed by a space or tab.
const BULLETS: [char; 12] = ['·', '•', '-', '–', '—', '*', '▪', '◦', '○', '●', '■', '➢'];
/// Bullets Word's exports write for deeper levels (Courier `o`, Wingdings `§`), only when a tab
/// (plain text) or a non-breaking space (HTML) follows.
const TAB_BULLETS: [char; 2] = ['o', '§'];

/// What a heading or clause is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Heading,
    Clause,
}

/// A heading or a clause, with its anchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub anchor: String,
    pub kind: SectionKind,
    /// The number as written, without a trailing dot (`2.1.2`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Its text (a clause's first 200 characters are enough to recognise it).
    pub text: String,
    /// The anchor of the heading it sits under (its own for a heading): what a category points
    /// at when the clause itself is published without an anchor (a link block).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
}

/// How much of each kind was found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub headings: usize,
    pub clauses: usize,
    pub paragraphs: usize,
    pub lists: usize,
    pub list_items: usize,
    pub links: usize,
}

/// A piece of text and the section it belongs to, for suggestions and identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Index in [`Outline::blocks`].
    pub block: usize,
    pub text: String,
    /// Index in [`Outline::sections`] of the clause or heading it belongs to.
    pub section: Option<usize>,
}

/// A document's blocks, its sections and the text units they hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub blocks: Vec<Block>,
    pub sections: Vec<Section>,
    pub units: Vec<Unit>,
    pub counts: Counts,
}

/// A paragraph after its marker and number are read.
enum Line {
    Heading { level: u8, text: String, number: Option<String>, anchor: Option<String> },
    Clause { text: String, number: String },
    Item(String),
    Text(String),
}

/// Recognises the structure of `paras`.
///
/// # Errors
/// [`ImportError::UnsafeLink`] for a hyperlink with an unsafe target; [`ImportError::NoClauses`]
/// when nothing but paragraphs is found; [`ImportError::Empty`]; [`ImportError::Malformed`] for a
/// paragraph longer than a policy admits.
pub fn structure(paras: Vec<Para>) -> Result<Outline, ImportError> {
    let mut b = Builder::default();
    for para in paras {
        for (_, href) in &para.links {
            if !is_allowed_target(href) {
                return Err(ImportError::UnsafeLink(href.chars().take(80).collect()));
            }
        }
        let Some(line) = classify(&para, b.outline.blocks.is_empty() && b.items.is_empty()) else { continue };
        b.push(line, &para.links)?;
    }
    b.flush_list();
    let outline = b.outline;
    if outline.blocks.is_empty() {
        return Err(ImportError::Empty);
    }
    let structured = outline.counts.clauses + outline.sections.iter().filter(|s| s.number.is_some()).count();
    if structured == 0 && outline.counts.headings <= 1 {
        return Err(ImportError::NoClauses);
    }
    Ok(outline)
}

/// Link targets a document may carry: safe ones, and in-document or relative ones (which are
/// dropped, as a policy shown elsewhere cannot follow them).
fn is_allowed_target(href: &str) -> bool {
    let h = href.trim();
    if is_safe_href(h) {
        return true;
    }
    // No scheme at all (`#anchor`, `page.html`, `/privacy`, `a?b=c:d`): relative.
    match (h.find(':'), h.find(['/', '?', '#'])) {
        (None, _) => true,
        (Some(colon), Some(other)) => other < colon,
        (Some(_), None) => false,
    }
}

fn classify(para: &Para, first: bool) -> Option<Line> {
    match &para.kind {
        ParaKind::Bullet => {
            let text = clean(&para.text);
            (!text.is_empty()).then_some(Line::Item(text))
        }
        ParaKind::Heading { level, anchor } => {
            let text = clean(&para.text);
            if text.is_empty() {
                return None;
            }
            let number = split_number(&text).map(|(n, _)| n);
            Some(Line::Heading { level: *level, text, number, anchor: anchor.clone() })
        }
        ParaKind::Plain => {
            let raw = strip_artefacts(&para.text);
            if let Some(item) = strip_bullet(&raw) {
                let item = collapse(item);
                return (!item.is_empty()).then_some(Line::Item(item));
            }
            let text = collapse(&raw);
            if text.is_empty() {
                return None;
            }
            if let Some((number, body)) = split_number(&text) {
                let depth = number.split('.').count();
                if depth == 1 && looks_like_heading(body) {
                    return Some(Line::Heading { level: 2, text, number: Some(number), anchor: None });
                }
                return Some(Line::Clause { text, number });
            }
            if first && text.chars().count() <= MAX_HEADING_CHARS && !text.ends_with(['.', ';', ',']) {
                return Some(Line::Heading { level: 1, text, number: None, anchor: None });
            }
            if is_capitals(&text) {
                return Some(Line::Heading { level: 2, text, number: None, anchor: None });
            }
            Some(Line::Text(text))
        }
    }
}

/// The text after a leading bullet, if the line starts with one.
fn strip_bullet(raw: &str) -> Option<&str> {
    let t = raw.trim_start();
    let mut chars = t.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    if BULLETS.contains(&first) && rest.starts_with([' ', '\t', '\u{a0}']) {
        return Some(rest);
    }
    if TAB_BULLETS.contains(&first) && rest.starts_with(['\t', '\u{a0}']) {
        return Some(rest);
    }
    None
}

/// `2.1.2. Text` → (`2.1.2`, `Text`): one to six parts of 1–3 digits; a single part needs a
/// `.` or `)` after it (`1. Термины`, `4) …`), so `2024 год` and `100 тенге` stay text.
fn split_number(text: &str) -> Option<(String, &str)> {
    let end = text.find(' ')?;
    let (head, body) = (&text[..end], text[end..].trim_start());
    if body.is_empty() {
        return None;
    }
    let closed = head.ends_with('.') || head.ends_with(')');
    let core = head.trim_end_matches(['.', ')']);
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = parts.iter().all(|p| {
        (1..=3).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= MAX_NUMBER_PART)
    });
    if !numeric || parts.len() > MAX_NUMBER_DEPTH || (parts.len() == 1 && !closed) {
        return None;
    }
    Some((core.to_owned(), body))
}

/// A short line that does not end like a sentence, starting with a capital letter.
fn looks_like_heading(body: &str) -> bool {
    body.chars().count() <= MAX_HEADING_CHARS
        && !body.ends_with(['.', ';', ',', ':'])
        && body.chars().next().is_some_and(char::is_uppercase)
}

/// A line in capitals (`КОНТАКТНАЯ ИНФОРМАЦИЯ`): at least four letters, none lower-case.
fn is_capitals(text: &str) -> bool {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 4 && text.chars().count() <= MAX_HEADING_CHARS && !text.chars().any(char::is_lowercase)
}

#[derive(Default)]
struct Builder {
    outline: Outline,
    items: Vec<String>,
    anchors: BTreeSet<String>,
    /// Index of the current section (the last heading or clause).
    section: Option<usize>,
    /// Anchor of the current heading.
    heading: Option<String>,
}

impl Builder {
    fn push(&mut self, line: Line, para_links: &[(String, String)]) -> Result<(), ImportError> {
        match line {
            Line::Item(text) => {
                check_length(&text)?;
                if self.items.len() == MAX_LIST_ITEMS {
                    self.flush_list();
                }
                self.items.push(text);
            }
            Line::Heading { level, text, number, anchor } => {
                self.flush_list();
                check_length(&text)?;
                let first = self.outline.blocks.is_empty();
                let level = match (&number, first) {
                    (_, true) => 1,
                    (Some(n), false) => u8::try_from(n.split('.').count() + 1).unwrap_or(4).min(4),
                    (None, false) => level.clamp(2, 4),
                };
                let base = anchor
                    .or_else(|| number.as_deref().map(anchors::from_number))
                    .or_else(|| anchors::from_text(&text))
                    .unwrap_or_else(|| "section".to_owned());
                let anchor = anchors::unique(base, &mut self.anchors);
                self.heading = Some(anchor.clone());
                self.open_section(anchor.clone(), SectionKind::Heading, number, &text);
                self.outline.counts.headings += 1;
                self.outline.blocks.push(Block::Heading { level, text, anchor: Some(anchor) });
            }
            Line::Clause { text, number } => {
                self.flush_list();
                check_length(&text)?;
                let anchor = anchors::unique(anchors::from_number(&number), &mut self.anchors);
                self.open_section(anchor.clone(), SectionKind::Clause, Some(number), &text);
                self.outline.counts.clauses += 1;
                self.text_block(text, para_links, Some(anchor));
            }
            Line::Text(text) => {
                self.flush_list();
                check_length(&text)?;
                self.text_block(text, para_links, None);
            }
        }
        Ok(())
    }

    fn open_section(&mut self, anchor: String, kind: SectionKind, number: Option<String>, text: &str) {
        self.outline.sections.push(Section {
            anchor,
            kind,
            number,
            text: text.chars().take(200).collect(),
            heading: self.heading.clone(),
        });
        self.section = Some(self.outline.sections.len() - 1);
    }

    /// A paragraph (with its clause's anchor, if it is a clause), or a link block when the
    /// paragraph is short and carries one contact (a link has no anchor: a category pointing at
    /// such a clause points at its heading, see [`super::suggest`]).
    fn text_block(&mut self, text: String, para_links: &[(String, String)], anchor: Option<String>) {
        let short = text.chars().count() <= MAX_LINK_LINE_CHARS;
        let explicit: Vec<&String> = para_links.iter().map(|(_, h)| h).filter(|h| is_safe_href(h)).collect();
        let found = links::find(&text);
        let href = match (explicit.as_slice(), found.as_slice()) {
            ([one], _) if short => Some((*one).clone()),
            ([], [one]) if short => Some(one.href.clone()),
            _ => None,
        };
        self.outline.units.push(Unit { block: self.outline.blocks.len(), text: text.clone(), section: self.section });
        match href {
            Some(href) => {
                self.outline.counts.links += 1;
                self.outline.blocks.push(Block::Link { text, href });
            }
            None => {
                self.outline.counts.paragraphs += 1;
                self.outline.blocks.push(Block::Paragraph { text, anchor });
            }
        }
    }

    fn flush_list(&mut self) {
        if self.items.is_empty() {
            return;
        }
        let items = std::mem::take(&mut self.items);
        self.outline.counts.lists += 1;
        self.outline.counts.list_items += items.len();
        self.outline.units.push(Unit {
            block: self.outline.blocks.len(),
            text: items.join("\n"),
            section: self.section,
        });
        self.outline.blocks.push(Block::List { items });
    }
}

fn check_length(text: &str) -> Result<(), ImportError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ImportError::Malformed(format!(
            "a paragraph is longer than {MAX_TEXT_CHARS} characters (it starts {:?}); split it",
            text.chars().take(60).collect::<String>()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[&str]) -> Vec<Para> {
        lines.iter().map(|l| Para::plain(*l)).collect()
    }

    #[test]
    fn numbered_headings_clauses_and_bullets() {
        let outline = structure(plain(&[
            "\u{feff}ПОЛИТИКА КОНФИДЕНЦИАЛЬНОСТИ",
            "[bookmark: _a1]1. Термины",
            "1.1.\tОператор — ТОО «Пример».",
            "2. ПРАВА ПОЛЬЗОВАТЕЛЯ",
            "2.1. Пользователь вправе:",
            "·\tзнать, какие данные хранятся;",
            "o\tисправлять их;",
            "- удалять их.",
            "2.1.2 Отозвать согласие можно письмом.",
            "Продолжение пункта без номера.",
            "E-mail: privacy@example.kz",
            "2024 год был хорошим.",
        ]))
        .unwrap();
        let kinds: Vec<&str> = outline
            .blocks
            .iter()
            .map(|b| match b {
                Block::Heading { .. } => "h",
                Block::Paragraph { .. } => "p",
                Block::List { .. } => "l",
                Block::Link { .. } => "a",
            })
            .collect();
        assert_eq!(kinds, ["h", "h", "p", "h", "p", "l", "p", "p", "a", "p"]);
        assert_eq!(
            outline.blocks[0],
            Block::Heading {
                level: 1,
                text: "ПОЛИТИКА КОНФИДЕНЦИАЛЬНОСТИ".into(),
                anchor: Some("politika-konfidentsialnosti".into())
            }
        );
        assert_eq!(
            outline.blocks[1],
            Block::Heading { level: 2, text: "1. Термины".into(), anchor: Some("s1".into()) }
        );
        assert_eq!(
            outline.blocks[2],
            Block::Paragraph {
                text: "1.1. Оператор — ТОО «Пример».".into(), anchor: Some("s1-1".into())
            }
        );
        assert_eq!(
            outline.blocks[5],
            Block::List {
                items: vec!["знать, какие данные хранятся;".into(), "исправлять их;".into(), "удалять их.".into()]
            }
        );
        assert_eq!(
            outline.blocks[8],
            Block::Link { text: "E-mail: privacy@example.kz".into(), href: "mailto:privacy@example.kz".into() }
        );
        let anchors: Vec<&str> = outline.sections.iter().map(|s| s.anchor.as_str()).collect();
        assert_eq!(anchors, ["politika-konfidentsialnosti", "s1", "s1-1", "s2", "s2-1", "s2-1-2"]);
        // Every heading and clause is published with its anchor; unnumbered text has none.
        let published: Vec<Option<&str>> = outline.blocks.iter().map(Block::anchor).collect();
        assert_eq!(
            published,
            [
                Some("politika-konfidentsialnosti"),
                Some("s1"),
                Some("s1-1"),
                Some("s2"),
                Some("s2-1"),
                None,
                Some("s2-1-2"),
                None,
                None,
                None
            ]
        );
        assert_eq!(outline.sections[5].heading.as_deref(), Some("s2"));
        assert_eq!(
            outline.counts,
            Counts { headings: 3, clauses: 3, paragraphs: 5, lists: 1, list_items: 3, links: 1 }
        );
    }

    #[test]
    fn text_without_structure_is_refused() {
        assert_eq!(structure(plain(&["Просто текст.", "Ещё текст без пунктов."])), Err(ImportError::NoClauses));
        assert_eq!(structure(plain(&["  ", "[bookmark: _x]"])), Err(ImportError::Empty));
    }

    #[test]
    fn unsafe_targets_are_refused_relative_ones_dropped() {
        let mut p = Para::plain("Сайт");
        p.links = vec![("Сайт".into(), "javascript:alert(1)".into())];
        assert!(matches!(structure(vec![p.clone()]), Err(ImportError::UnsafeLink(_))));
        for bad in ["JavaScript:x", " data:text/html,x", "vbscript:x", "file:///etc/passwd"] {
            p.links = vec![("x".into(), bad.into())];
            assert!(matches!(structure(vec![p.clone()]), Err(ImportError::UnsafeLink(_))), "{bad}");
        }
        for ok in ["#_Toc1", "/privacy", "page.html?a=b:c", "https://x.kz"] {
            assert!(is_allowed_target(ok), "{ok}");
        }
    }

    #[test]
    fn numbers_are_read_strictly() {
        assert_eq!(split_number("2.1.2 Текст").map(|(n, _)| n), Some("2.1.2".into()));
        assert_eq!(split_number("4) Текст").map(|(n, _)| n), Some("4".into()));
        assert_eq!(split_number("4 Текст"), None);
        assert_eq!(split_number("2024. Год"), None);
        assert_eq!(split_number("1.2.3.4.5.6.7 глубоко"), None);
        assert_eq!(split_number("1."), None);
    }
}
