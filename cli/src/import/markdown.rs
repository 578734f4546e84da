//! Markdown (CommonMark, parsed by pulldown-cmark) to policy text. Two uses:
//!
//! - [`to_blocks`]: `policy publish --text LANG=FILE.md`, blocks as written: `#`–`####`
//!   headings with an optional `{#anchor}`, paragraphs, lists (nested items flattened), a
//!   paragraph that is only a link → a link block;
//! - [`to_paras`]: `policy import FILE.md`, paragraphs for [`super::structure`] to read numbered
//!   clauses and anchors from, as for every other format.
//!
//! Only text is kept: emphasis and code marks are dropped, an inline link keeps its text and
//! its target in parentheses, raw HTML stays literal text (the widget renders every field as
//! text, never as HTML). A link target must be https, http, mailto or tel.

use kelisim_core::id::check_slug;
use kelisim_core::policy::{is_safe_href, Block};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::clean::collapse;
use super::{ImportError, Para, ParaKind};

/// Deepest heading a policy allows.
pub const MAX_HEADING_LEVEL: usize = 4;

/// Why a Markdown file cannot become policy text, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MarkdownError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Heading {
        level: usize,
        anchor: Option<String>,
    },
    Paragraph,
    /// A list item: `Some(n)` numbered, `None` bulleted.
    Item(Option<u64>),
}

/// A block as Markdown wrote it.
#[derive(Debug, Clone)]
struct MdBlock {
    kind: Kind,
    /// The text, inline link targets in parentheses.
    text: String,
    /// The text without link targets.
    plain: String,
    links: Vec<(String, String)>,
    line: usize,
    /// Which top-level list an item belongs to (items of one list make one block).
    list: usize,
}

/// Converts Markdown text to policy blocks.
///
/// # Errors
/// [`MarkdownError`] for a heading deeper than [`MAX_HEADING_LEVEL`] or without text, an
/// anchor that is not a slug, an unsafe link target, or a text with no block at all.
pub fn to_blocks(text: &str) -> Result<Vec<Block>, MarkdownError> {
    let md = parse(text)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut last_list = None;
    for b in md {
        let same_list = matches!(b.kind, Kind::Item(_)) && last_list == Some(b.list);
        last_list = matches!(b.kind, Kind::Item(_)).then_some(b.list);
        let err = |message: String| MarkdownError { line: b.line, message };
        match b.kind {
            Kind::Heading { level, anchor } => {
                if level > MAX_HEADING_LEVEL {
                    return Err(err(format!("heading level {level}: policies allow # to ####")));
                }
                if b.text.is_empty() {
                    return Err(err("heading without text".into()));
                }
                if let Some(a) = &anchor {
                    check_slug("anchor", a).map_err(|e| err(format!("anchor {{#{a}}}: {e}")))?;
                }
                let level = u8::try_from(level).map_err(|_| err("heading level".into()))?;
                blocks.push(Block::Heading { level, text: b.text, anchor });
            }
            Kind::Item(number) => {
                if b.text.is_empty() {
                    return Err(err("empty list item".into()));
                }
                let item = match number {
                    Some(n) => format!("{n}. {}", b.text),
                    None => b.text,
                };
                match blocks.last_mut() {
                    Some(Block::List { items }) if same_list && items.len() < kelisim_core::limits::MAX_LIST_ITEMS => {
                        items.push(item);
                    }
                    _ => blocks.push(Block::List { items: vec![item] }),
                }
            }
            Kind::Paragraph => match b.links.as_slice() {
                [(link_text, href)] if b.plain == *link_text && !link_text.is_empty() => {
                    blocks.push(Block::Link { text: link_text.clone(), href: href.clone() });
                }
                _ if b.text.is_empty() => {}
                _ => blocks.push(Block::Paragraph { text: b.text, anchor: None }),
            },
        }
    }
    if blocks.is_empty() {
        return Err(MarkdownError { line: 1, message: "no text: the file is empty".into() });
    }
    Ok(blocks)
}

/// Converts Markdown text to paragraphs for an import.
///
/// # Errors
/// [`ImportError::UnsafeLink`] for an unsafe link target; [`ImportError::Malformed`] for
/// another Markdown error.
pub fn to_paras(text: &str) -> Result<Vec<Para>, ImportError> {
    let md = parse(text).map_err(|e| {
        if e.message.starts_with("link target") {
            ImportError::UnsafeLink(e.message.split('"').nth(1).unwrap_or_default().to_owned())
        } else {
            ImportError::Malformed(e.to_string())
        }
    })?;
    Ok(md
        .into_iter()
        .filter(|b| !b.text.is_empty())
        .map(|b| {
            let (text, kind) = match b.kind {
                Kind::Heading { level, anchor } => {
                    let anchor = anchor.filter(|a| check_slug("anchor", a).is_ok());
                    (
                        b.text,
                        ParaKind::Heading { level: u8::try_from(level.min(MAX_HEADING_LEVEL)).unwrap_or(4), anchor },
                    )
                }
                Kind::Item(Some(n)) => (format!("{n}. {}", b.text), ParaKind::Plain),
                Kind::Item(None) => (b.text, ParaKind::Bullet),
                Kind::Paragraph => (b.text, ParaKind::Plain),
            };
            Para { text, kind, links: b.links }
        })
        .collect())
}

fn parse(text: &str) -> Result<Vec<MdBlock>, MarkdownError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let line_of = |offset: usize| text.get(..offset).map_or(1, |t| t.matches('\n').count() + 1);
    let mut out: Vec<MdBlock> = Vec::new();
    let mut cur: Option<MdBlock> = None;
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut link: Option<(String, usize)> = None;

    fn flush(out: &mut Vec<MdBlock>, cur: &mut Option<MdBlock>) {
        if let Some(mut b) = cur.take() {
            b.text = collapse(&b.text);
            b.plain = collapse(&b.plain);
            out.push(b);
        }
    }
    let mut list_seq = 0usize;
    let open = |kind: Kind, line: usize, list: usize| {
        Some(MdBlock { kind, text: String::new(), plain: String::new(), links: Vec::new(), line, list })
    };

    for (event, range) in Parser::new_ext(text, Options::ENABLE_HEADING_ATTRIBUTES).into_offset_iter() {
        let line = line_of(range.start);
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                flush(&mut out, &mut cur);
                cur = open(
                    Kind::Heading { level: heading_level(level), anchor: id.map(|i| i.to_string()) },
                    line,
                    list_seq,
                );
            }
            Event::Start(Tag::Paragraph) => {
                let in_empty_item =
                    matches!(&cur, Some(b) if matches!(b.kind, Kind::Item(_)) && b.text.trim().is_empty());
                if !in_empty_item {
                    flush(&mut out, &mut cur);
                    cur = open(Kind::Paragraph, line, list_seq);
                }
            }
            Event::Start(Tag::List(start)) => {
                flush(&mut out, &mut cur);
                if lists.is_empty() {
                    list_seq += 1;
                }
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut out, &mut cur);
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                flush(&mut out, &mut cur);
                let number = match lists.last_mut() {
                    Some(Some(n)) => {
                        let this = *n;
                        *n += 1;
                        Some(this)
                    }
                    _ => None,
                };
                cur = open(Kind::Item(number), line, list_seq);
            }
            Event::Start(Tag::HtmlBlock | Tag::CodeBlock(_) | Tag::TableCell | Tag::BlockQuote(_)) => {
                flush(&mut out, &mut cur);
                cur = open(Kind::Paragraph, line, list_seq);
            }
            Event::End(
                TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::HtmlBlock
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::BlockQuote(_),
            )
            | Event::Rule => flush(&mut out, &mut cur),
            Event::End(TagEnd::Paragraph) if !matches!(&cur, Some(b) if matches!(b.kind, Kind::Item(_))) => {
                flush(&mut out, &mut cur);
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                let href = dest_url.trim().to_owned();
                if !is_safe_href(&href) {
                    return Err(MarkdownError {
                        line,
                        message: format!(
                            "link target \"{}\" must start with https://, http://, mailto: or tel:",
                            href.chars().take(80).collect::<String>()
                        ),
                    });
                }
                let b = cur.get_or_insert_with(|| MdBlock {
                    kind: Kind::Paragraph,
                    text: String::new(),
                    plain: String::new(),
                    links: Vec::new(),
                    line,
                    list: list_seq,
                });
                link = Some((href, b.plain.len()));
            }
            Event::End(TagEnd::Link) => {
                if let (Some((href, start)), Some(b)) = (link.take(), cur.as_mut()) {
                    let link_text = collapse(b.plain.get(start..).unwrap_or_default());
                    let bare = href.split_once(':').map_or(href.as_str(), |(_, rest)| rest);
                    if link_text != href && link_text != bare {
                        b.text.push_str(&format!(" ({href})"));
                    }
                    b.links.push((link_text, href));
                }
            }
            Event::Text(t)
            | Event::Code(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => {
                let b = cur.get_or_insert_with(|| MdBlock {
                    kind: Kind::Paragraph,
                    text: String::new(),
                    plain: String::new(),
                    links: Vec::new(),
                    line,
                    list: list_seq,
                });
                b.text.push_str(&t);
                b.plain.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(b) = cur.as_mut() {
                    b.text.push(' ');
                    b.plain.push(' ');
                }
            }
            _ => {}
        }
    }
    flush(&mut out, &mut cur);
    Ok(out)
}

fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, text: &str, anchor: Option<&str>) -> Block {
        Block::Heading { level, text: text.into(), anchor: anchor.map(Into::into) }
    }
    fn para(text: &str) -> Block {
        Block::Paragraph { text: text.into(), anchor: None }
    }

    #[test]
    fn a_policy_document() {
        let md = "\u{feff}# Политика конфиденциальности {#policy}\r\n\r\n\
                  Настоящая политика\r\nописывает обработку.\r\n\r\n\
                  ## Cookies {#analytics}\n\
                  - IP-адрес\n\
                  - cookies and\n  similar storage\n\n\
                  [Write to us](mailto:dpo@example.kz)\n\n\
                  #### Contacts\n\
                  Text with **bold**, <b>tags</b> and [inline](https://x.kz) links.\n";
        assert_eq!(
            to_blocks(md).unwrap(),
            vec![
                heading(1, "Политика конфиденциальности", Some("policy")),
                para("Настоящая политика описывает обработку."),
                heading(2, "Cookies", Some("analytics")),
                Block::List { items: vec!["IP-адрес".into(), "cookies and similar storage".into()] },
                Block::Link { text: "Write to us".into(), href: "mailto:dpo@example.kz".into() },
                heading(4, "Contacts", None),
                para("Text with bold, <b>tags</b> and inline (https://x.kz) links."),
            ]
        );
    }

    #[test]
    fn lists_nest_flat_and_number() {
        let md = "1. one\n2. two\n   - nested\n\n* loose\n\n  continued\n";
        assert_eq!(
            to_blocks(md).unwrap(),
            vec![
                Block::List { items: vec!["1. one".into(), "2. two".into(), "nested".into()] },
                Block::List { items: vec!["loose".into()] },
                para("continued"),
            ]
        );
        assert_eq!(
            to_blocks("[a@b.kz](mailto:a@b.kz)").unwrap(),
            vec![Block::Link { text: "a@b.kz".into(), href: "mailto:a@b.kz".into() }]
        );
    }

    #[test]
    fn headings_follow_commonmark() {
        assert_eq!(to_blocks("#hashtag").unwrap(), vec![para("#hashtag")]);
        assert_eq!(to_blocks("## Title ##").unwrap(), vec![heading(2, "Title", None)]);
        assert_eq!(to_blocks("## C# {#c-sharp}").unwrap(), vec![heading(2, "C#", Some("c-sharp"))]);
        assert_eq!(to_blocks("    # indented").unwrap(), vec![para("# indented")]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("ok\n\n##### deep", 3, "heading level 5"),
            ("text\n\n# Bad {#Not_A_Slug!}", 3, "anchor"),
            ("[click](javascript:alert(1))", 1, "link target"),
            ("a\n\nsee [click](JavaScript:alert)", 3, "link target"),
            ("", 1, "empty"),
            ("\n \n\t\n", 1, "empty"),
        ];
        for (md, line, needle) in cases {
            let e = to_blocks(md).unwrap_err();
            assert_eq!(e.line, line, "{md:?}: {e}");
            assert!(e.message.contains(needle), "{md:?}: {e}");
        }
        assert!(
            matches!(to_paras("[x](data:text/html,hi)"), Err(ImportError::UnsafeLink(t)) if t == "data:text/html,hi")
        );
    }

    #[test]
    fn paras_for_import() {
        let paras = to_paras("# Политика\n\n1. Термины\n2. Данные\n\n- имя\n\n2.1. Пункт.\n").unwrap();
        let texts: Vec<(&str, &ParaKind)> = paras.iter().map(|p| (p.text.as_str(), &p.kind)).collect();
        assert_eq!(
            texts,
            [
                ("Политика", &ParaKind::Heading { level: 1, anchor: None }),
                ("1. Термины", &ParaKind::Plain),
                ("2. Данные", &ParaKind::Plain),
                ("имя", &ParaKind::Bullet),
                ("2.1. Пункт.", &ParaKind::Plain),
            ]
        );
    }

    #[test]
    fn no_input_panics() {
        for md in [
            "[", "[]()", "[a](", "](", "#\u{0}", "# {#", "# {#}", "- ", "*", "* *", "{#a}", "\u{feff}", "#\t", "<div>",
            "```",
        ] {
            let _ = to_blocks(md);
            let _ = to_paras(md);
        }
    }
}
