//! The operator's identity as the policy states it, found for review (never published
//! unchecked): legal form and name (`ТОО «…»`, `ИП …`, `АО`, `LLP`, `JSC`, Kazakh `ЖШС`,
//! `АҚ`), city, e-mail, phone and BIN / IIN. Where a document has a contacts block, usually at
//! its end, what it says wins over mentions earlier in the text.

use kelisim_core::consent_terms::check_bin_iin;
use serde::{Deserialize, Serialize};

use super::links::{self, ContactKind};
use super::structure::Outline;

/// Legal forms, as words (matched whole, case-sensitive: `ИП` but not `ип`).
const LEGAL_FORMS: [&str; 10] = ["ТОО", "ИП", "АО", "ЖШС", "АҚ", "LLP", "JSC", "LLC", "ТОВАРИЩЕСТВО", "Товарищество"];
/// Longest legal name kept.
const MAX_NAME_CHARS: usize = 120;
/// Words before a BIN / IIN.
const BIN_WORDS: [&str; 6] = ["БИН", "ИИН", "BIN", "IIN", "БСН", "ЖСН"];

/// Cities of Kazakhstan as policies write them (ru, kk, en), with the name shown.
const CITIES: [(&str, &str); 24] = [
    ("Алматы", "Алматы"),
    ("Алма-Ата", "Алматы"),
    ("Almaty", "Almaty"),
    ("Астана", "Астана"),
    ("Нур-Султан", "Астана"),
    ("Astana", "Astana"),
    ("Шымкент", "Шымкент"),
    ("Shymkent", "Shymkent"),
    ("Караганд", "Караганда"),
    ("Қарағанды", "Қарағанды"),
    ("Актобе", "Актобе"),
    ("Ақтөбе", "Ақтөбе"),
    ("Атырау", "Атырау"),
    ("Павлодар", "Павлодар"),
    ("Усть-Каменогорск", "Усть-Каменогорск"),
    ("Өскемен", "Өскемен"),
    ("Семей", "Семей"),
    ("Тараз", "Тараз"),
    ("Костанай", "Костанай"),
    ("Қостанай", "Қостанай"),
    ("Кызылорд", "Кызылорда"),
    ("Уральск", "Уральск"),
    ("Актау", "Актау"),
    ("Петропавловск", "Петропавловск"),
];

/// A value found, with the anchor of the section it was found in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What the document says about its operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<Found>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<Found>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Found>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Found>,
    /// A BIN / IIN whose check digit is right.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin_iin: Option<Found>,
    /// Twelve digits after `БИН`/`ИИН` whose check digit is wrong: shown in review, never used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_bin_iin: Vec<Found>,
}

/// Finds the operator identity in a document. Later mentions win (the contacts block).
#[must_use]
pub fn find(outline: &Outline) -> Identity {
    let mut id = Identity::default();
    // "Later wins" follows the document: units in block order.
    let mut ordered: Vec<(usize, String, Option<String>)> = outline
        .units
        .iter()
        .map(|u| (u.block, u.text.clone(), u.section.and_then(|i| outline.sections.get(i)).map(|s| s.anchor.clone())))
        .collect();
    ordered.sort_by_key(|(b, _, _)| *b);
    for (_, text, at) in &ordered {
        let found = |value: String| Found { value, at: at.clone() };
        if let Some(name) = legal_name(text) {
            // The first full name stays unless a later one is in a contacts-like line.
            if id.legal_name.is_none() || is_contacts_line(text) {
                id.legal_name = Some(found(name));
            }
        }
        if let Some(city) = city(text) {
            if id.city.is_none() || is_contacts_line(text) {
                id.city = Some(found(city));
            }
        }
        for contact in links::find(text) {
            let slot = match contact.kind {
                ContactKind::Email => &mut id.email,
                ContactKind::Phone => &mut id.phone,
                ContactKind::Url => continue,
            };
            if slot.is_none() || is_contacts_line(text) {
                *slot = Some(found(contact.text));
            }
        }
        for number in bin_numbers(text) {
            if check_bin_iin(&number).is_ok() {
                id.bin_iin = Some(found(number));
            } else {
                id.invalid_bin_iin.push(found(number));
            }
        }
    }
    id
}

/// A short line that states a contact (`E-mail: …`, `Телефон: …`, `ТОО «…», БИН …`).
fn is_contacts_line(text: &str) -> bool {
    text.chars().count() <= 200
}

/// `ТОО «Келісім CRM»` — a legal form followed by a quoted name, or `ИП Фамилия И.О.`.
fn legal_name(text: &str) -> Option<String> {
    for form in LEGAL_FORMS {
        let mut from = 0;
        while let Some(pos) = text[from..].find(form).map(|p| p + from) {
            from = pos + form.len();
            let before_ok = text[..pos].chars().last().is_none_or(|c| !c.is_alphanumeric());
            let after = &text[pos + form.len()..];
            let after_ok = after.chars().next().is_none_or(|c| !c.is_alphanumeric());
            if !before_ok || !after_ok {
                continue;
            }
            let rest = after.trim_start();
            // Forms spelled out: "Товарищество с ограниченной ответственностью «…»".
            let rest = match rest.find(['«', '"', '“']) {
                Some(q) if form.chars().count() > 3 && rest[..q].chars().count() < 60 => &rest[q..],
                _ => rest,
            };
            let name = if let Some(inner) = rest.strip_prefix('«') {
                inner.split_once('»').map(|(n, _)| format!("«{n}»"))
            } else if let Some(inner) = rest.strip_prefix('"') {
                inner.split_once('"').map(|(n, _)| format!("«{n}»"))
            } else if let Some(inner) = rest.strip_prefix('“') {
                inner.split_once('”').map(|(n, _)| format!("«{n}»"))
            } else if form == "ИП" {
                // ИП Фамилия Имя (Отчество) or ИП Фамилия И.О.
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .take(3)
                    .take_while(|w| w.chars().next().is_some_and(char::is_uppercase))
                    .collect();
                (!words.is_empty()).then(|| words.join(" ").trim_end_matches([',', ';']).to_owned())
            } else {
                None
            };
            if let Some(name) = name.filter(|n| n.chars().count() > 2 && n.chars().count() <= MAX_NAME_CHARS) {
                let form = if form.chars().count() > 3 { "ТОО" } else { form };
                return Some(format!("{form} {name}"));
            }
        }
    }
    None
}

fn city(text: &str) -> Option<String> {
    CITIES
        .iter()
        .filter_map(|(needle, shown)| text.find(needle).map(|p| (p, *shown)))
        .min_by_key(|(p, _)| *p)
        .map(|(_, shown)| shown.to_owned())
}

/// Twelve digits (spaces allowed between groups) after `БИН` / `ИИН` / `BIN` / `IIN`.
fn bin_numbers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in BIN_WORDS {
        let mut from = 0;
        while let Some(pos) = text[from..].find(word).map(|p| p + from) {
            from = pos + word.len();
            let after: String = text[from..]
                .chars()
                .skip_while(|c| {
                    !c.is_ascii_digit() && (c.is_whitespace() || matches!(c, ':' | '/' | '№' | '-' | '(' | ')'))
                })
                .take_while(|c| c.is_ascii_digit() || *c == ' ')
                .collect();
            let digits: String = after.chars().filter(char::is_ascii_digit).collect();
            if digits.len() == 12 {
                out.push(digits);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names() {
        assert_eq!(legal_name("Оператор — ТОО «Келісім CRM» (далее — Компания)").as_deref(), Some("ТОО «Келісім CRM»"));
        assert_eq!(
            legal_name("Товарищество с ограниченной ответственностью «Альфа Сервис», БИН").as_deref(),
            Some("ТОО «Альфа Сервис»")
        );
        assert_eq!(legal_name("ИП Ахметов Серик Болатович, ИИН").as_deref(), Some("ИП Ахметов Серик Болатович"));
        assert_eq!(legal_name("Kelisim Demo LLP \"x\"").as_deref(), Some("LLP «x»"));
        assert_eq!(legal_name("ТИПОВОЙ договор; АОрта"), None);
    }

    #[test]
    fn bins_and_cities() {
        assert_eq!(bin_numbers("БИН: 180 440 012 342, тел."), vec!["180440012342"]);
        assert_eq!(bin_numbers("ИИН 12345"), Vec::<String>::new());
        assert_eq!(city("г. Алматы, пр. Абая 1").as_deref(), Some("Алматы"));
        assert_eq!(city("Нур-Султан").as_deref(), Some("Астана"));
        assert_eq!(city("Москва"), None);
    }
}
