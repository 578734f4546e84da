//! Word documents (`.docx`: a zip of WordprocessingML): paragraphs of `word/document.xml`, their
//! heading styles (`word/styles.xml`), list numbering rendered as Word shows it
//! (`word/numbering.xml`: `numPr`, `ilvl`, `lvlText` such as `%1.%2.`) and hyperlinks
//! (`word/_rels/document.xml.rels`). Deleted text and field codes are left out.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::{ImportError, Para, ParaKind};

/// Largest part of a document read once unzipped: a 40-page policy's `document.xml` is about
/// 1 MiB; 32 MiB refuses zip bombs without refusing any real document.
pub const MAX_DOCX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// Levels of a Word list (`ilvl` 0–8).
const LIST_LEVELS: usize = 9;

/// Reads the paragraphs of a `.docx`.
///
/// # Errors
/// [`ImportError::NotDocx`] when the file is not a zip or has no `word/document.xml`, or an
/// XML part is malformed or too large.
pub fn read(bytes: &[u8]) -> Result<Vec<Para>, ImportError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ImportError::NotDocx(format!("the file is not a zip archive ({e}); was it saved as .docx?")))?;
    let document = part(&mut zip, "word/document.xml")?
        .ok_or_else(|| ImportError::NotDocx("the archive has no word/document.xml".into()))?;
    let styles = part(&mut zip, "word/styles.xml")?.map(|x| read_styles(&x)).transpose()?.unwrap_or_default();
    let numbering = part(&mut zip, "word/numbering.xml")?.map(|x| read_numbering(&x)).transpose()?.unwrap_or_default();
    let rels = part(&mut zip, "word/_rels/document.xml.rels")?.map(|x| read_rels(&x)).transpose()?.unwrap_or_default();
    read_document(&document, &styles, &numbering, &rels)
}

fn part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Result<Option<String>, ImportError> {
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ImportError::NotDocx(format!("{name}: {e}"))),
    };
    if file.size() > MAX_DOCX_PART_BYTES {
        return Err(ImportError::NotDocx(format!("{name} is larger than {MAX_DOCX_PART_BYTES} bytes unpacked")));
    }
    let mut text = String::new();
    file.take(MAX_DOCX_PART_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| ImportError::NotDocx(format!("{name}: {e}")))?;
    if text.len() as u64 > MAX_DOCX_PART_BYTES {
        return Err(ImportError::NotDocx(format!("{name} is larger than {MAX_DOCX_PART_BYTES} bytes unpacked")));
    }
    Ok(Some(text))
}

fn xml_error(part: &str, e: impl std::fmt::Display) -> ImportError {
    ImportError::NotDocx(format!("{part} is not well-formed XML: {e}"))
}

/// The value of the attribute whose local name is `local` (`w:val` → `val`).
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

/// A paragraph style: its heading level and the numbering it carries.
#[derive(Debug, Clone, Default)]
struct Style {
    heading: Option<u8>,
    num: Option<(String, usize)>,
}

fn read_styles(xml: &str) -> Result<BTreeMap<String, Style>, ImportError> {
    let mut reader = Reader::from_str(xml);
    let mut styles = BTreeMap::new();
    let mut current: Option<(String, Style)> = None;
    let mut num_id: Option<String> = None;
    let mut ilvl = 0usize;
    loop {
        match reader.read_event().map_err(|e| xml_error("word/styles.xml", e))? {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                "style" => current = attr(&e, "styleId").map(|id| (id, Style::default())),
                "name" => {
                    if let (Some((_, style)), Some(name)) = (current.as_mut(), attr(&e, "val")) {
                        let name = name.to_lowercase();
                        if name == "title" {
                            style.heading = Some(1);
                        } else if let Some(n) = name.strip_prefix("heading ").and_then(|n| n.trim().parse::<u8>().ok())
                        {
                            style.heading = Some(n);
                        }
                    }
                }
                "outlineLvl" => {
                    if let (Some((_, style)), Some(lvl)) = (current.as_mut(), attr(&e, "val")) {
                        if let Ok(lvl) = lvl.parse::<u8>() {
                            if lvl < 9 && style.heading.is_none() {
                                style.heading = Some(lvl + 1);
                            }
                        }
                    }
                }
                "numId" => num_id = attr(&e, "val"),
                "ilvl" => ilvl = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(0),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let Some((id, mut style)) = current.take() {
                    style.num = num_id.take().map(|n| (n, ilvl.min(LIST_LEVELS - 1)));
                    styles.insert(id, style);
                }
                ilvl = 0;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(styles)
}

/// One level of a list definition.
#[derive(Debug, Clone)]
struct Level {
    start: u32,
    format: String,
    text: String,
}

impl Default for Level {
    fn default() -> Self {
        Self { start: 1, format: "decimal".into(), text: String::new() }
    }
}

#[derive(Debug, Default)]
struct Numbering {
    /// abstractNumId → levels.
    abstracts: BTreeMap<String, Vec<Level>>,
    /// numId → abstractNumId.
    nums: BTreeMap<String, String>,
}

fn read_numbering(xml: &str) -> Result<Numbering, ImportError> {
    let mut reader = Reader::from_str(xml);
    let mut n = Numbering::default();
    let mut abstract_id: Option<String> = None;
    let mut levels: Vec<Level> = Vec::new();
    let mut level: Option<usize> = None;
    let mut num_id: Option<String> = None;
    loop {
        match reader.read_event().map_err(|e| xml_error("word/numbering.xml", e))? {
            Event::Start(e) | Event::Empty(e) => match local(&e).as_str() {
                "abstractNum" => {
                    abstract_id = attr(&e, "abstractNumId");
                    levels = vec![Level::default(); LIST_LEVELS];
                }
                "lvl" if abstract_id.is_some() => {
                    level = attr(&e, "ilvl").and_then(|v| v.parse::<usize>().ok()).filter(|l| *l < LIST_LEVELS);
                }
                "start" | "numFmt" | "lvlText" => {
                    if let (Some(l), Some(v)) = (level, attr(&e, "val")) {
                        let target = &mut levels[l];
                        match local(&e).as_str() {
                            "start" => target.start = v.parse().unwrap_or(1),
                            "numFmt" => target.format = v,
                            _ => target.text = v,
                        }
                    }
                }
                "num" => num_id = attr(&e, "numId"),
                "abstractNumId" => {
                    if let (Some(id), Some(v)) = (num_id.clone(), attr(&e, "val")) {
                        n.nums.insert(id, v);
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "abstractNum" => {
                    if let Some(id) = abstract_id.take() {
                        n.abstracts.insert(id, std::mem::take(&mut levels));
                    }
                }
                "lvl" => level = None,
                "num" => num_id = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(n)
}

fn read_rels(xml: &str) -> Result<BTreeMap<String, String>, ImportError> {
    let mut reader = Reader::from_str(xml);
    let mut rels = BTreeMap::new();
    loop {
        match reader.read_event().map_err(|e| xml_error("word/_rels/document.xml.rels", e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    rels.insert(id, target);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rels)
}

/// Renders one list number in a level's format.
fn render(n: u32, format: &str) -> String {
    const ROMAN: [(u32, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let letter = |n: u32| {
        let c = char::from_u32(u32::from(b'a') + (n.max(1) - 1) % 26).unwrap_or('a');
        c.to_string().repeat(usize::try_from((n.max(1) - 1) / 26 + 1).unwrap_or(1))
    };
    let roman = |mut n: u32| {
        let mut s = String::new();
        for (value, digits) in ROMAN {
            while n >= value {
                s.push_str(digits);
                n -= value;
            }
        }
        s
    };
    match format {
        "lowerLetter" => letter(n),
        "upperLetter" => letter(n).to_uppercase(),
        "lowerRoman" => roman(n),
        "upperRoman" => roman(n).to_uppercase(),
        "none" => String::new(),
        _ => n.to_string(),
    }
}

/// Counters of the lists met so far, per abstract list.
#[derive(Default)]
struct Counters(BTreeMap<String, [u32; LIST_LEVELS]>);

impl Counters {
    /// The label of the next paragraph at `ilvl` of list `num_id`, or `None` for a bullet (or
    /// an unknown list, read as a bullet too).
    fn next(&mut self, numbering: &Numbering, num_id: &str, ilvl: usize) -> Option<String> {
        let abstract_id = numbering.nums.get(num_id)?;
        let levels = numbering.abstracts.get(abstract_id)?;
        let level = levels.get(ilvl)?;
        if level.format == "bullet" {
            return None;
        }
        let counters = self.0.entry(abstract_id.clone()).or_insert([0; LIST_LEVELS]);
        counters[ilvl] = if counters[ilvl] == 0 { level.start } else { counters[ilvl] + 1 };
        for deeper in counters.iter_mut().skip(ilvl + 1) {
            *deeper = 0;
        }
        let mut label = level.text.clone();
        for (i, l) in levels.iter().enumerate().take(ilvl + 1) {
            let value = if counters[i] == 0 { l.start } else { counters[i] };
            label = label.replace(&format!("%{}", i + 1), &render(value, &l.format));
        }
        Some(label)
    }
}

/// The paragraph being read.
#[derive(Default)]
struct Current {
    text: String,
    style: Option<String>,
    num: Option<(String, usize)>,
    links: Vec<(String, String)>,
    /// The target and text of the hyperlink being read.
    link: Option<(String, String)>,
}

fn read_document(
    xml: &str,
    styles: &BTreeMap<String, Style>,
    numbering: &Numbering,
    rels: &BTreeMap<String, String>,
) -> Result<Vec<Para>, ImportError> {
    let mut reader = Reader::from_str(xml);
    let mut paras = Vec::new();
    let mut counters = Counters::default();
    let mut current: Option<Current> = None;
    let mut in_text = false;
    // Inside <w:del>, <w:instrText> or <w:delText>: nothing read.
    let mut skip_depth = 0usize;
    let mut num_id: Option<String> = None;
    let mut ilvl = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| xml_error("word/document.xml", e))?;
        match event {
            Event::Start(e) => {
                let name = local(&e);
                if skip_depth > 0 || matches!(name.as_str(), "del" | "instrText" | "delText" | "moveFrom") {
                    skip_depth += 1;
                    continue;
                }
                match name.as_str() {
                    "p" => {
                        if current.is_none() {
                            current = Some(Current::default());
                        }
                    }
                    "t" => in_text = true,
                    "hyperlink" => {
                        if let Some(c) = current.as_mut() {
                            let target = attr(&e, "id").and_then(|id| rels.get(&id).cloned());
                            c.link = target.map(|t| (t, String::new()));
                        }
                    }
                    _ => empty_element(&name, &e, current.as_mut(), &mut num_id, &mut ilvl),
                }
            }
            Event::Empty(e) if skip_depth == 0 => {
                empty_element(&local(&e), &e, current.as_mut(), &mut num_id, &mut ilvl);
            }
            Event::Text(t) if in_text && skip_depth == 0 => {
                if let Some(c) = current.as_mut() {
                    let text = t.xml10_content();
                    c.text.push_str(&text);
                    if let Some((_, link_text)) = c.link.as_mut() {
                        link_text.push_str(&text);
                    }
                }
            }
            Event::GeneralRef(r) if in_text && skip_depth == 0 => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(ch)) => Some(ch),
                    _ => match r.into_inner().as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let (Some(c), Some(ch)) = (current.as_mut(), ch) {
                    c.text.push(ch);
                }
            }
            Event::End(e) => {
                if skip_depth > 0 {
                    skip_depth -= 1;
                    continue;
                }
                match e.local_name().as_ref() {
                    "t" => in_text = false,
                    "hyperlink" => {
                        if let Some(c) = current.as_mut() {
                            if let Some((target, text)) = c.link.take() {
                                c.links.push((text, target));
                            }
                        }
                    }
                    "numPr" => {
                        if let (Some(c), Some(id)) = (current.as_mut(), num_id.take()) {
                            c.num = Some((id, ilvl.min(LIST_LEVELS - 1)));
                        }
                        ilvl = 0;
                    }
                    "p" => {
                        if let Some(c) = current.take() {
                            paras.push(finish(c, styles, numbering, &mut counters));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(paras.into_iter().flatten().collect())
}

/// Elements read by their attributes: style, numbering, tabs and breaks.
fn empty_element(
    name: &str,
    e: &BytesStart<'_>,
    current: Option<&mut Current>,
    num_id: &mut Option<String>,
    ilvl: &mut usize,
) {
    let Some(c) = current else { return };
    match name {
        "pStyle" => c.style = attr(e, "val"),
        "numId" => *num_id = attr(e, "val"),
        "ilvl" => *ilvl = attr(e, "val").and_then(|v| v.parse().ok()).unwrap_or(0),
        "tab" | "br" | "cr" => c.text.push(' '),
        "noBreakHyphen" => c.text.push('-'),
        _ => {}
    }
}

/// A paragraph with its numbering label and kind; `None` when it has no text.
fn finish(
    c: Current,
    styles: &BTreeMap<String, Style>,
    numbering: &Numbering,
    counters: &mut Counters,
) -> Option<Para> {
    let style = c.style.as_ref().and_then(|s| styles.get(s));
    // numId 0 switches numbering off for a paragraph whose style carries it.
    let num = c.num.clone().or_else(|| style.and_then(|s| s.num.clone())).filter(|(id, _)| id != "0");
    if c.text.trim().is_empty() {
        // An empty numbered paragraph still takes its number in Word.
        if let Some((id, lvl)) = &num {
            counters.next(numbering, id, *lvl);
        }
        return None;
    }
    let label = num.as_ref().map(|(id, lvl)| counters.next(numbering, id, *lvl));
    let heading = style.and_then(|s| s.heading);
    let (text, kind) = match (label, heading) {
        (Some(None), None) => (c.text, ParaKind::Bullet),
        (Some(Some(label)), h) if !label.is_empty() => (format!("{label} {}", c.text), kind_of(h)),
        (_, h) => (c.text, kind_of(h)),
    };
    Some(Para { text, kind, links: c.links })
}

fn kind_of(heading: Option<u8>) -> ParaKind {
    match heading {
        Some(level) => ParaKind::Heading { level, anchor: None },
        None => ParaKind::Plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_labels_render_like_word() {
        assert_eq!(render(4, "decimal"), "4");
        assert_eq!(render(2, "lowerLetter"), "b");
        assert_eq!(render(27, "upperLetter"), "AA");
        assert_eq!(render(14, "upperRoman"), "XIV");
        let mut n = Numbering::default();
        n.nums.insert("1".into(), "0".into());
        let level = |text: &str| Level { start: 1, format: "decimal".into(), text: text.into() };
        let mut levels = vec![level("%1."), level("%1.%2."), level("%1.%2.%3.")];
        levels.push(Level { start: 1, format: "bullet".into(), text: "·".into() });
        n.abstracts.insert("0".into(), levels);
        let mut c = Counters::default();
        let labels: Vec<Option<String>> = [0, 1, 1, 2, 2, 0, 1, 3].iter().map(|l| c.next(&n, "1", *l)).collect();
        assert_eq!(
            labels,
            [Some("1."), Some("1.1."), Some("1.2."), Some("1.2.1."), Some("1.2.2."), Some("2."), Some("2.1."), None]
                .map(|s| s.map(String::from))
        );
        assert_eq!(c.next(&n, "9", 0), None, "an unknown list reads as a bullet");
    }

    #[test]
    fn not_a_zip_is_refused() {
        assert!(matches!(read(b"PK\x03\x04 not really"), Err(ImportError::NotDocx(_))));
        assert!(matches!(read("Политика".as_bytes()), Err(ImportError::NotDocx(_))));
    }
}
