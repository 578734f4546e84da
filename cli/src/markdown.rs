//! Markdown policy text to structured [`Block`]s. Pure; a deliberately small subset:
//!
//! - `#` to `####` followed by a space: a heading; a trailing `{#anchor}` gives its anchor;
//! - a line that is only `[text](href)`: a link block;
//! - consecutive `- ` / `* ` lines: one list (an indented line continues the item above);
//! - anything else, up to a blank line or one of the above: a paragraph, lines joined by a space.
//!
//! Inline markup (`**bold**`, `` `code` ``, `<b>`, inline links) is kept as literal text: the
//! widget renders every field as text, never as HTML.

use kelisim_core::id::check_slug;
use kelisim_core::policy::{is_safe_href, Block};

/// Deepest heading a policy allows.
pub const MAX_HEADING_LEVEL: usize = 4;

/// Why a Markdown file cannot become policy text, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MarkdownError {
    pub line: usize,
    pub message: String,
}

/// What a line is, before grouping.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    Heading {
        level: u8,
        text: String,
        anchor: Option<String>,
    },
    Link {
        text: &'a str,
        href: &'a str,
    },
    Item(&'a str),
    /// An indented line (continues a list item or a paragraph).
    Indented(&'a str),
    Text(&'a str),
}

/// Converts Markdown text to policy blocks.
///
/// # Errors
/// [`MarkdownError`] for a heading deeper than [`MAX_HEADING_LEVEL`] or without text, an
/// anchor that is not a slug, an unsafe link target, or a text with no block at all.
pub fn to_blocks(text: &str) -> Result<Vec<Block>, MarkdownError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();

    fn flush(blocks: &mut Vec<Block>, paragraph: &mut Vec<&str>, items: &mut Vec<String>) {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph { text: paragraph.join(" ") });
            paragraph.clear();
        }
        if !items.is_empty() {
            blocks.push(Block::List { items: std::mem::take(items) });
        }
    }

    for (index, raw) in text.lines().enumerate() {
        let line = classify(raw).map_err(|message| MarkdownError { line: index + 1, message })?;
        match line {
            Line::Blank => flush(&mut blocks, &mut paragraph, &mut items),
            Line::Heading { level, text, anchor } => {
                flush(&mut blocks, &mut paragraph, &mut items);
                blocks.push(Block::Heading { level, text, anchor });
            }
            Line::Link { text, href } => {
                flush(&mut blocks, &mut paragraph, &mut items);
                blocks.push(Block::Link { text: text.to_owned(), href: href.to_owned() });
            }
            Line::Item(item) => {
                if !paragraph.is_empty() {
                    flush(&mut blocks, &mut paragraph, &mut items);
                }
                items.push(item.to_owned());
            }
            Line::Indented(more) if !items.is_empty() => {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(more);
                }
            }
            Line::Indented(more) | Line::Text(more) => {
                if !items.is_empty() {
                    flush(&mut blocks, &mut paragraph, &mut items);
                }
                paragraph.push(more);
            }
        }
    }
    flush(&mut blocks, &mut paragraph, &mut items);
    if blocks.is_empty() {
        return Err(MarkdownError { line: 1, message: "no text: the file is empty".into() });
    }
    Ok(blocks)
}

fn classify(raw: &str) -> Result<Line<'_>, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(Line::Blank);
    }
    let indented = raw.starts_with([' ', '\t']);
    if !indented {
        if let Some(heading) = heading(trimmed)? {
            return Ok(heading);
        }
        if trimmed == "-" || trimmed == "*" {
            return Err("empty list item".into());
        }
        if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            let item = item.trim();
            if item.is_empty() {
                return Err("empty list item".into());
            }
            return Ok(Line::Item(item));
        }
    }
    if let Some((text, href)) = link(trimmed) {
        if !is_safe_href(href) {
            return Err(format!("link target {href:?} must start with https://, http://, mailto: or tel:"));
        }
        return Ok(Line::Link { text, href });
    }
    Ok(if indented { Line::Indented(trimmed) } else { Line::Text(trimmed) })
}

/// A heading line (`#`… then a space), or `None` for text that merely starts with `#`.
fn heading(line: &str) -> Result<Option<Line<'static>>, String> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if level == 0 {
        return Ok(None);
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return Ok(None); // `#hashtag` is text, as in CommonMark
    }
    if level > MAX_HEADING_LEVEL {
        return Err(format!("heading level {level}: policies allow # to ####"));
    }
    let mut text = rest.trim();
    let mut anchor = None;
    if let Some(open) = text.rfind("{#") {
        if let Some(inner) = text[open + 2..].strip_suffix('}') {
            check_slug("anchor", inner).map_err(|e| format!("anchor {{#{inner}}}: {e}"))?;
            anchor = Some(inner.to_owned());
            text = text[..open].trim_end();
        }
    }
    // An optional closing sequence of `#`s (`## Title ##`).
    let without_closing = text.trim_end_matches('#');
    if without_closing.len() < text.len() && (without_closing.is_empty() || without_closing.ends_with([' ', '\t'])) {
        text = without_closing.trim_end();
    }
    if text.is_empty() {
        return Err("heading without text".into());
    }
    let level = u8::try_from(level).map_err(|_| "heading level".to_owned())?;
    Ok(Some(Line::Heading { level, text: text.to_owned(), anchor }))
}

/// `[text](href)` filling the whole line.
fn link(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix('[')?.strip_suffix(')')?;
    let (text, href) = inner.split_once("](")?;
    let text = text.trim();
    let href = href.trim();
    if text.is_empty() || href.is_empty() || text.contains(['[', ']']) || href.contains(['(', ')', ' ']) {
        return None;
    }
    Some((text, href))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heading(level: u8, text: &str, anchor: Option<&str>) -> Block {
        Block::Heading { level, text: text.into(), anchor: anchor.map(Into::into) }
    }
    fn para(text: &str) -> Block {
        Block::Paragraph { text: text.into() }
    }

    #[test]
    fn a_policy_document() {
        let md = "\u{feff}# Политика конфиденциальности {#policy}\r\n\r\n\
                  Настоящая политика\r\nописывает обработку.\r\n\r\n\
                  ## Cookies {#analytics}\n\
                  - IP-адрес\n\
                  * cookies and\n  similar storage\n\n\
                  [Write to us](mailto:dpo@example.kz)\n\
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
                para("Text with **bold**, <b>tags</b> and [inline](https://x.kz) links."),
            ]
        );
    }

    #[test]
    fn blocks_end_where_another_begins() {
        let md = "para one\n- item\npara two\n## Head\nafter\n[link](https://a.kz)\nlast";
        assert_eq!(
            to_blocks(md).unwrap(),
            vec![
                para("para one"),
                Block::List { items: vec!["item".into()] },
                para("para two"),
                heading(2, "Head", None),
                para("after"),
                Block::Link { text: "link".into(), href: "https://a.kz".into() },
                para("last"),
            ]
        );
    }

    #[test]
    fn headings_follow_commonmark_where_it_matters() {
        assert_eq!(to_blocks("#hashtag").unwrap(), vec![para("#hashtag")]);
        assert_eq!(to_blocks("## Title ##").unwrap(), vec![heading(2, "Title", None)]);
        assert_eq!(to_blocks("## C# {#c-sharp}").unwrap(), vec![heading(2, "C#", Some("c-sharp"))]);
        assert_eq!(to_blocks("# a {not anchor}").unwrap(), vec![heading(1, "a {not anchor}", None)]);
        assert_eq!(to_blocks("    # indented").unwrap(), vec![para("# indented")]);
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("ok\n\n##### deep", 3, "heading level 5"),
            ("#", 1, "heading without text"),
            ("# {#only-anchor}", 1, "heading without text"),
            ("text\n# Bad {#Not_A_Slug!}", 2, "anchor"),
            ("[click](javascript:alert(1))", 1, ""),
            ("[click](javascript:alert)", 1, "link target"),
            ("-  ", 1, "empty"),
            ("", 1, "empty"),
            ("\n \n\t\n", 1, "empty"),
        ];
        for (md, line, needle) in cases {
            match to_blocks(md) {
                Err(e) => {
                    assert_eq!(e.line, line, "{md:?}: {e}");
                    assert!(e.message.contains(needle), "{md:?}: {e}");
                }
                // `[click](javascript:alert(1))` is not a link line (parentheses in the
                // target), so it stays literal text: still never a clickable link.
                Ok(blocks) => assert_eq!(blocks, vec![para(md)], "{md:?}"),
            }
        }
    }

    #[test]
    fn no_input_panics() {
        for md in ["[", "[]()", "[a](", "](", "#\u{0}", "# {#", "# {#}", "- ", "*", "* *", "{#a}", "\u{feff}", "#\t"] {
            let _ = to_blocks(md);
        }
    }
}
