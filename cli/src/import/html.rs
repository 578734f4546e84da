//! HTML as Word ("Web Page, Filtered"), Google Docs ("Web page") or a site exports it, parsed
//! by html5ever through `scraper`: block elements become paragraphs, `h1`–`h6` headings, `li`
//! list items (numbered ones get their number), `a href` links. Only text is kept: no markup,
//! script, style or attribute reaches the policy.

use scraper::{ElementRef, Html, Node};

use super::{ImportError, Para, ParaKind};

/// Deepest element nesting read; deeper content is dropped (no real document nests this far,
/// and it bounds the recursion).
const MAX_DEPTH: usize = 256;

/// Elements whose content is never text of the policy.
const SKIPPED: [&str; 10] =
    ["head", "script", "style", "template", "noscript", "svg", "math", "iframe", "object", "nav"];

/// Elements that end the paragraph before and after them.
const BLOCKS: [&str; 24] = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "blockquote",
    "pre",
    "address",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "th",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "body",
];

/// Reads the paragraphs of an HTML document.
///
/// # Errors
/// None today (html5ever recovers from any input); kept for the reader signature.
pub fn read(text: &str) -> Result<Vec<Para>, ImportError> {
    let html = Html::parse_document(text);
    let mut w = Walker::default();
    w.walk(html.root_element(), 0);
    w.flush();
    Ok(w.paras)
}

#[derive(Default)]
struct Walker {
    paras: Vec<Para>,
    text: String,
    kind: Option<ParaKind>,
    links: Vec<(String, String)>,
    /// Open lists: `Some(next number)` for `ol`, `None` for `ul`.
    lists: Vec<Option<u32>>,
}

impl Walker {
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.text);
        let kind = self.kind.take().unwrap_or(ParaKind::Plain);
        let links = std::mem::take(&mut self.links);
        if !text.trim().is_empty() {
            self.paras.push(Para { text, kind, links });
        }
    }

    fn walk(&mut self, el: ElementRef<'_>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let name = el.value().name().to_ascii_lowercase();
        if SKIPPED.contains(&name.as_str()) {
            return;
        }
        let heading = match name.as_bytes() {
            [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
            _ => None,
        };
        let block = heading.is_some() || BLOCKS.contains(&name.as_str());
        if block {
            self.flush();
        }
        match name.as_str() {
            "ul" => self.lists.push(None),
            "ol" => self.lists.push(Some(el.value().attr("start").and_then(|s| s.parse().ok()).unwrap_or(1))),
            "li" => match self.lists.last_mut() {
                Some(Some(next)) => {
                    self.text = format!("{next}. ");
                    *next += 1;
                }
                _ => self.kind = Some(ParaKind::Bullet),
            },
            "br" => self.text.push(' '),
            _ => {}
        }
        if let Some(level) = heading {
            self.kind = Some(ParaKind::Heading { level: level.min(4), anchor: None });
        }
        let link_start = self.text.len();
        for child in el.children() {
            match child.value() {
                Node::Text(t) => self.text.push_str(t),
                Node::Element(_) => {
                    if let Some(child) = ElementRef::wrap(child) {
                        self.walk(child, depth + 1);
                    }
                }
                _ => {}
            }
        }
        if name == "a" {
            if let Some(href) = el.value().attr("href") {
                let text = self.text.get(link_start..).unwrap_or_default().trim().to_owned();
                self.links.push((text, href.trim().to_owned()));
            }
        }
        if name == "ul" || name == "ol" {
            self.lists.pop();
        }
        if block {
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_lists_and_links() {
        let html = r#"<html><head><title>x</title><style>p{}</style></head><body>
            <h1>Политика</h1>
            <p class=MsoNormal><span style='mso-list:Ignore'>1.1.<span>&nbsp;&nbsp;</span></span>Текст <b>жирный</b><o:p></o:p></p>
            <ul><li>первый</li><li>второй <ul><li>вложенный</li></ul></li></ul>
            <ol start="3"><li>три</li><li>четыре</li></ol>
            <p>Почта: <a href="mailto:a@b.kz">a@b.kz</a></p>
            <script>alert(1)</script><p>конец<br>строки</p></body></html>"#;
        let paras = read(html).unwrap();
        let texts: Vec<(&str, &ParaKind)> = paras.iter().map(|p| (p.text.trim(), &p.kind)).collect();
        assert_eq!(texts[0], ("Политика", &ParaKind::Heading { level: 1, anchor: None }));
        assert_eq!(texts[1].0, "1.1.\u{a0}\u{a0}Текст жирный");
        assert_eq!(texts[2], ("первый", &ParaKind::Bullet));
        assert_eq!(texts[3], ("второй", &ParaKind::Bullet));
        assert_eq!(texts[4], ("вложенный", &ParaKind::Bullet));
        assert_eq!(texts[5], ("3. три", &ParaKind::Plain));
        assert_eq!(texts[6], ("4. четыре", &ParaKind::Plain));
        assert_eq!(paras[7].links, vec![("a@b.kz".to_owned(), "mailto:a@b.kz".to_owned())]);
        assert_eq!(texts[8].0, "конец строки");
        assert_eq!(paras.len(), 9, "{paras:?}");
    }
}
