//! The onboarding fixtures (tests/fixtures/onboarding: a long CRM policy and a short services
//! policy, each as .docx, Word's plain text and HTML) imported: counts, anchors, identity,
//! suggestions and consent content as `expected.json` says, every word of the text kept, and
//! bad inputs refused with their codes.

use std::io::Write as _;
use std::path::PathBuf;

use kelisim_core::policy::Block;
use serde_json::Value;

use super::words;
use super::{draft, import, read_source, ImportError};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onboarding")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir().join("expected.json")).unwrap()).unwrap()
}

fn load(name: &str) -> super::Imported {
    let path = dir().join(name);
    import(name, &read_source(&path).unwrap(), "ru").unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The words of the plain-text export, Word's bullet glyphs (`o`, `§` before a tab) left out:
/// they are list markup, not text.
fn source_words(policy: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir().join(format!("{policy}.txt"))).unwrap();
    text.lines()
        .map(|l| l.strip_prefix("o\t").or_else(|| l.strip_prefix("§\t")).unwrap_or(l))
        .flat_map(words::of)
        .collect()
}

const FORMATS: [&str; 3] = ["docx", "txt", "html"];

#[test]
fn every_fixture_keeps_every_word() {
    for policy in ["crm", "services"] {
        let source = source_words(policy);
        assert!(source.len() > 100, "{policy}: {} words", source.len());
        for format in FORMATS {
            let imported = load(&format!("{policy}.{format}"));
            let got = words::of_blocks(&imported.outline.blocks);
            if got != source {
                let at = got.iter().zip(&source).position(|(a, b)| a != b).unwrap_or(got.len().min(source.len()));
                panic!(
                    "{policy}.{format}: words differ at {at}: got {:?}, source {:?}",
                    &got[at..(at + 8).min(got.len())],
                    &source[at..(at + 8).min(source.len())]
                );
            }
        }
    }
}

#[test]
fn every_fixture_has_the_expected_structure_identity_and_suggestions() {
    let expected = expected();
    for policy in ["crm", "services"] {
        let want = &expected[policy];
        for format in FORMATS {
            let name = format!("{policy}.{format}");
            let imported = load(&name);
            let r = &imported.report;
            assert_eq!(serde_json::to_value(&r.counts).unwrap(), want["counts"], "{name} counts");
            let id = serde_json::to_value(&r.identity).unwrap();
            for field in ["legal_name", "city", "email", "phone", "bin_iin"] {
                assert_eq!(id[field]["value"], want["identity"][field], "{name} {field}");
            }
            let suggested: serde_json::Map<String, Value> =
                r.suggestions.iter().map(|s| (s.category.clone(), serde_json::json!(s.sections))).collect();
            assert_eq!(Value::Object(suggested), want["suggestions"], "{name} suggestions");
            for s in &r.suggestions {
                assert!(s.matches.iter().all(|m| !m.words.is_empty()), "{name}: matched words shown");
            }
            let consent = &imported.consent;
            let countries = consent.cross_border.as_ref().map(|c| c.countries.clone()).unwrap_or_default();
            assert_eq!(serde_json::json!(countries), want["consent"]["countries"], "{name} countries");
            assert_eq!(
                serde_json::json!(consent.term.as_ref().and_then(|t| t.months)),
                want["consent"]["term_months"],
                "{name} term"
            );
            let parties: Vec<&str> = consent.third_parties.iter().map(|t| t.name.as_str()).collect();
            assert_eq!(serde_json::json!(parties), want["consent"]["third_parties"], "{name} third parties");

            // Headings are anchored by number; clauses keep their numbers and get anchors too.
            let headings: Vec<(&str, &str)> = imported
                .outline
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Heading { text, anchor: Some(a), .. } => Some((text.as_str(), a.as_str())),
                    _ => None,
                })
                .collect();
            assert_eq!(headings[1].1, "s1", "{name}");
            assert!(headings[1].0.starts_with("1. "), "{name}: {headings:?}");
            assert!(imported.outline.sections.iter().any(|s| s.anchor == "s2-1"), "{name}");
            assert!(imported
                .outline
                .blocks
                .iter()
                .any(|b| matches!(b, Block::Paragraph { text, .. } if text.starts_with("2.1. "))));
        }
    }
    let crm = load("crm.docx");
    assert!(crm.outline.sections.iter().any(|s| s.anchor == "s2-1-3" && s.heading.as_deref() == Some("s2")));
    assert!(crm
        .outline
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Link { href, .. } if href == "mailto:privacy@kelisim-crm.kz")));
    assert!(crm.outline.blocks.iter().any(|b| matches!(b, Block::Link { href, .. } if href == "tel:+77273001234")));
    let data = &crm.consent.data_collected["analytics"]["ru"];
    assert!(data.iter().any(|i| i.starts_with("IP-адрес")), "{data:?}");
}

#[test]
fn a_draft_from_an_import_is_a_valid_policy_and_languages_merge() {
    let mut d = draft::new("crm-onboarding", "2026-12-01");
    draft::merge(&mut d, "ru", load("crm.docx"));
    let mut p = d.policy.clone();
    p.version = 1;
    p.validate().unwrap();
    assert_eq!(p.operator.bin_iin.as_deref(), Some("180440012349"));
    // The category points at its heading and at the matching clauses, published with anchors.
    assert_eq!(p.category("cross_border").unwrap().sections, ["s8", "s8-1", "s8-2"]);
    assert!(p.text["ru"].iter().any(|b| matches!(
        b,
        Block::Paragraph { text, anchor: Some(a) } if a == "s8-1" && text.starts_with("8.1. ")
    )));
    assert!(p.consent.is_some());
    let hash = p.content_hash().unwrap();

    // The same document imported as English (a stand-in for a translation) merges in.
    let path = dir().join("crm.txt");
    let en = import("crm.txt", &read_source(&path).unwrap(), "en").unwrap();
    draft::merge(&mut d, "en", en);
    let mut p = d.policy.clone();
    p.version = 1;
    assert_eq!(p.languages, ["ru", "en"]);
    assert_eq!(p.category("analytics").unwrap().title["en"], "Analytics");
    p.validate().unwrap();
    assert_ne!(p.content_hash().unwrap(), hash);
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kelisim-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn refused(name: &str, bytes: &[u8]) -> ImportError {
    let path = write(name, bytes);
    match read_source(&path) {
        Err(e) => e,
        Ok(b) => import(name, &b, "ru").err().unwrap_or_else(|| panic!("{name} was imported")),
    }
}

#[test]
fn bad_inputs_are_refused_with_stable_codes() {
    assert_eq!(refused("empty.txt", b"").code(), "empty");
    assert_eq!(refused("blank.docx", b"").code(), "empty");
    assert_eq!(refused("program.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00").code(), "binary");
    assert_eq!(
        refused("image.html", &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]).code(),
        "binary"
    );
    assert_eq!(refused("policy.docx", "ПОЛИТИКА\n1. Общие положения".as_bytes()).code(), "not_docx");
    assert_eq!(refused("policy.doc", b"\xd0\xcf\x11\xe0").code(), "unsupported_format");
    assert_eq!(refused("note.txt", "Просто текст без пунктов.\nЕщё одна строка.".as_bytes()).code(), "no_clauses");
    let unsafe_html =
        "<h1>Политика</h1><p>1. Общие положения</p><p>1.1. Текст <a href=\"javascript:alert(1)\">здесь</a>.</p>";
    assert_eq!(refused("unsafe.html", unsafe_html.as_bytes()).code(), "unsafe_link");
    assert_eq!(
        refused("unsafe.md", "# Политика\n\n1. Раздел\n\n[x](vbscript:msgbox)".as_bytes()).code(),
        "unsafe_link"
    );

    // A .docx whose hyperlink targets javascript:.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(br#"<w:document xmlns:w="w" xmlns:r="r"><w:body><w:p><w:r><w:t>1. Heading</w:t></w:r></w:p><w:p><w:hyperlink r:id="rId9"><w:r><w:t>click</w:t></w:r></w:hyperlink></w:p></w:body></w:document>"#).unwrap();
    zip.start_file("word/_rels/document.xml.rels", options).unwrap();
    zip.write_all(br#"<Relationships><Relationship Id="rId9" Target="javascript:alert(1)" TargetMode="External"/></Relationships>"#).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert_eq!(refused("unsafe.docx", &bytes).code(), "unsafe_link");

    // A zip that is not a Word document.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("readme.txt", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"hello").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert_eq!(refused("other.docx", &bytes).code(), "not_docx");

    // 50 MB: refused by its size before it is read (a sparse file: nothing is written).
    let path = write("huge.txt", b"");
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(50 * 1024 * 1024).unwrap();
    assert!(matches!(read_source(&path), Err(ImportError::TooLarge { size, .. }) if size == 50 * 1024 * 1024));
}
