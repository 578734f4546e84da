//! E-mail addresses, phone numbers and URLs found in text, each with the link target it becomes
//! (`mailto:`, `tel:`, `https:`). Targets built here are always of a safe scheme.

use serde::{Deserialize, Serialize};

/// Fewest digits of a phone number (Kazakhstan: +7 and ten digits; short service numbers are
/// not contacts a policy gives).
const MIN_PHONE_DIGITS: usize = 10;
/// Most digits of a phone number (E.164 allows 15).
const MAX_PHONE_DIGITS: usize = 15;
/// Digits of a Kazakh number written without `+` (`8 701 000 12 34`); other runs of digits
/// without `+` (a BIN, an amount, a contract number) are not phones.
const NATIONAL_DIGITS: usize = 11;

/// What a contact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    Email,
    Phone,
    Url,
}

/// A contact found in text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub kind: ContactKind,
    /// As written.
    pub text: String,
    /// The link target.
    pub href: String,
}

/// Punctuation that ends a sentence or encloses a contact, not part of it.
const TRAILING: &[char] = &['.', ',', ';', ':', ')', '(', '»', '«', '"', '\'', '!', '?', ']', '[', '“', '”'];

/// Every contact in `text`, in order.
#[must_use]
pub fn find(text: &str) -> Vec<Contact> {
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let w = word.trim_matches(TRAILING);
        let lower = w.to_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            if w.len() > 10 && !w.contains(['<', '>', '"']) {
                out.push(Contact { kind: ContactKind::Url, text: w.to_owned(), href: w.to_owned() });
            }
        } else if lower.starts_with("www.") && w.len() > 6 && w[4..].contains('.') {
            out.push(Contact { kind: ContactKind::Url, text: w.to_owned(), href: format!("https://{w}") });
        } else if is_email(w) {
            out.push(Contact { kind: ContactKind::Email, text: w.to_owned(), href: format!("mailto:{w}") });
        }
    }
    out.extend(phones(text));
    out
}

/// `local@domain.tld` with ASCII letters, digits and `._%+-`.
fn is_email(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else { return false };
    let ok = |s: &str, extra: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    ok(local, "._%+-")
        && ok(domain, ".-")
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.rsplit('.').next().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// Phone numbers: a `+` or digit, then digits, spaces, `-`, `(`, `)`, with 10–15 digits.
fn phones(text: &str) -> Vec<Contact> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let boundary = i == 0 || !chars[i - 1].1.is_alphanumeric() && chars[i - 1].1 != '.';
        if boundary && (c == '+' || c.is_ascii_digit()) {
            let mut j = i;
            let mut digits = String::new();
            let mut last_digit = i;
            while j < chars.len() {
                let ch = chars[j].1;
                if ch.is_ascii_digit() {
                    digits.push(ch);
                    last_digit = j;
                } else if !(ch == ' ' || ch == '-' || ch == '(' || ch == ')' || (ch == '+' && j == i)) {
                    break;
                }
                j += 1;
            }
            let end = chars.get(last_digit + 1).map_or(text.len(), |(p, _)| *p);
            let ends_clean = chars.get(last_digit + 1).is_none_or(|(_, c)| !c.is_alphanumeric());
            let international = c == '+' && (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len());
            let national = digits.len() == NATIONAL_DIGITS && (digits.starts_with('8') || digits.starts_with('7'));
            if ends_clean && (international || national) {
                let written = text[start..end].to_owned();
                let href = if c == '+' {
                    format!("tel:+{digits}")
                } else if digits.len() == 11 && digits.starts_with('8') {
                    format!("tel:+7{}", &digits[1..])
                } else {
                    format!("tel:{digits}")
                };
                out.push(Contact { kind: ContactKind::Phone, text: written, href });
                i = last_digit + 1;
                continue;
            }
            // Not a phone: skip this run of digits.
            while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == '+') {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(text: &str) -> Vec<String> {
        find(text).into_iter().map(|c| c.href).collect()
    }

    #[test]
    fn contacts_in_text() {
        assert_eq!(
            hrefs("Пишите на privacy@crm.example.kz, звоните +7 (727) 300-12-34 или 8 701 000 12 34."),
            ["mailto:privacy@crm.example.kz", "tel:+77273001234", "tel:+77010001234"]
        );
        assert_eq!(hrefs("Сайт: https://crm.example.kz/privacy."), ["https://crm.example.kz/privacy"]);
        assert_eq!(hrefs("см. www.example.kz"), ["https://www.example.kz"]);
        assert!(find("БИН 180440012345, договор № 12 от 01.02.2024, 2.1.2. пункт, 100 000 тенге").is_empty());
        assert!(find("javascript:alert(1) a@b c@d.e1").is_empty());
        assert!(find("@ x@ @y.kz").is_empty());
    }
}
