//! Anchors of headings and clauses: from the number where there is one (`2.1.2` → `s2-1-2`,
//! shown as `§2.1.2`), so they stay the same across versions and languages; else from the
//! heading's text, transliterated (`Контакты` → `kontakty`).

use std::collections::BTreeSet;

use kelisim_core::limits::MAX_ID_CHARS;

/// Longest anchor made from heading text (room for a `-N` suffix within [`MAX_ID_CHARS`]).
const MAX_TEXT_ANCHOR_CHARS: usize = 48;

/// The anchor of a clause or heading number: `2.1.2` → `s2-1-2`.
#[must_use]
pub fn from_number(number: &str) -> String {
    format!("s{}", number.trim_end_matches('.').replace('.', "-"))
}

/// How an anchor is shown: `s2-1-2` → `§2.1.2`; a text anchor as it is.
#[must_use]
pub fn label(anchor: &str) -> String {
    match anchor.strip_prefix('s') {
        Some(rest) if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
            format!("§{}", rest.replace('-', "."))
        }
        _ => anchor.to_owned(),
    }
}

/// The anchor `§9`, `9` or `s9` names.
#[must_use]
pub fn parse_label(text: &str) -> String {
    let t = text.trim().trim_start_matches('§').trim_end_matches('.');
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        from_number(t)
    } else {
        t.to_owned()
    }
}

/// An anchor from heading text: Cyrillic and Kazakh letters transliterated, other characters
/// joined by `-`; `None` when nothing usable remains.
#[must_use]
pub fn from_text(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c == 'ь' || c == 'ъ' {
            continue; // signs without a sound of their own
        }
        let piece = translit(c);
        if piece.is_empty() {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(piece);
        }
        if out.len() >= MAX_TEXT_ANCHOR_CHARS {
            break;
        }
    }
    let out = out.trim_matches('-').to_owned();
    let out: String = out.chars().take(MAX_TEXT_ANCHOR_CHARS).collect();
    let out = out.trim_end_matches('-').to_owned();
    (!out.is_empty()).then_some(out)
}

/// `anchor`, or `anchor-2`, `anchor-3`… when taken; the result is recorded in `taken`.
#[must_use]
pub fn unique(anchor: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = anchor.clone();
    let mut n = 2;
    while taken.contains(&candidate) || candidate.len() > MAX_ID_CHARS {
        let base: String = anchor.chars().take(MAX_ID_CHARS - 4).collect();
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

fn translit(c: char) -> &'static str {
    const ASCII: [&str; 36] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
        "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    match c {
        '0'..='9' => ASCII[c as usize - '0' as usize],
        'a'..='z' => ASCII[10 + c as usize - 'a' as usize],
        'а' | 'ә' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ғ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'і' | 'й' => "i",
        'к' | 'қ' => "k",
        'л' => "l",
        'м' => "m",
        'н' | 'ң' => "n",
        'о' | 'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ұ' | 'ү' => "u",
        'ф' => "f",
        'х' | 'һ' => "h",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "sch",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::id::check_slug;

    #[test]
    fn anchors_from_numbers_and_text() {
        assert_eq!(from_number("2.1.2"), "s2-1-2");
        assert_eq!(from_number("9."), "s9");
        assert_eq!(label("s2-1-2"), "§2.1.2");
        assert_eq!(label("kontakty"), "kontakty");
        assert_eq!(parse_label("§9"), "s9");
        assert_eq!(parse_label("2.1."), "s2-1");
        assert_eq!(parse_label("kontakty"), "kontakty");
        assert_eq!(from_text("Контакты").as_deref(), Some("kontakty"));
        assert_eq!(from_text("Құпиялылық саясаты").as_deref(), Some("kupiyalylyk-sayasaty"));
        assert_eq!(from_text("Privacy Policy!").as_deref(), Some("privacy-policy"));
        assert_eq!(from_text("—"), None);
        let long = from_text(&"очень длинный заголовок ".repeat(10)).unwrap();
        check_slug("anchor", &long).unwrap();
        let mut taken = BTreeSet::new();
        assert_eq!(unique("a".into(), &mut taken), "a");
        assert_eq!(unique("a".into(), &mut taken), "a-2");
        assert_eq!(unique("a".into(), &mut taken), "a-3");
    }
}
