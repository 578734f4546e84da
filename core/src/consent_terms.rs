//! What a consent states under the Law of the Republic of Kazakhstan No. 94-V, Art. 8(4), beyond
//! the operator's name: the operator's BIN / IIN, the consent term, the third parties the data
//! goes to, whether and where data crosses borders, and the data collected per category. All
//! optional; when present they are validated and, being part of the policy document, bound by its
//! content hash (absent fields are not serialised, so policies without them keep their hash).
//!
//! Localized texts here need the policy's default language (the first of `languages`); other
//! offered languages are optional, and a widget shows the default language where one is missing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::limits::{MAX_CONTACT_CHARS, MAX_LIST_ITEMS, MAX_TEXT_CHARS};
use crate::policy::{Localized, Policy};

/// Third parties one policy may name: processors, messengers, hosting, payment, analytics —
/// real policies name a handful; 64 leaves room without admitting abuse.
pub const MAX_THIRD_PARTIES: usize = 64;

/// Countries a cross-border transfer may name: every ISO 3166-1 country is 249 entries.
pub const MAX_COUNTRIES: usize = 250;

/// Longest consent term in months (100 years): anything longer is "until withdrawn", which is
/// said by leaving `months` out.
pub const MAX_CONSENT_TERM_MONTHS: u32 = 1_200;

/// Digits of a BIN (legal entities) or IIN (individuals, including individual entrepreneurs).
pub const BIN_IIN_DIGITS: usize = 12;

/// Data items listed per category and language (the same bound as a list block).
pub const MAX_DATA_ITEMS: usize = MAX_LIST_ITEMS;

/// Data items per language (`{"ru": ["имя", "телефон"]}`).
pub type LocalizedList = BTreeMap<String, Vec<String>>;

/// The content of a consent that Art. 8(4) names, as far as the policy states it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentTerms {
    /// How long the consent lasts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<ConsentTerm>,
    /// Who else receives the data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub third_parties: Vec<ThirdParty>,
    /// Whether data leaves Kazakhstan, and where to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_border: Option<CrossBorder>,
    /// The data collected, per category id of the policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "crate::unique::unique_map")]
    pub data_collected: BTreeMap<String, LocalizedList>,
}

/// The consent term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentTerm {
    /// Months from the consent; left out for "until withdrawn or the purposes are reached".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// The term as the policy words it.
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub text: Localized,
}

/// A recipient of the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThirdParty {
    /// Its name as the policy gives it (`Meta Platforms (WhatsApp Business API)`).
    pub name: String,
    /// What it receives the data for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "crate::unique::unique_map")]
    pub purpose: Localized,
    /// Where it processes the data: ISO 3166-1 alpha-2, upper case (`US`, `DE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Cross-border transfer (Art. 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossBorder {
    /// Whether data is transferred or stored outside Kazakhstan.
    pub transfers: bool,
    /// Where to: ISO 3166-1 alpha-2, upper case; empty when the policy does not name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// The transfer as the policy words it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "crate::unique::unique_map")]
    pub text: Localized,
}

/// Checks the Art. 8(4) fields of `policy`: the operator's BIN / IIN and the consent terms.
/// Call after the languages and categories are known to be valid.
///
/// # Errors
/// The first [`ValidationError`] found.
pub fn validate(policy: &Policy) -> Result<(), ValidationError> {
    if let Some(bin) = &policy.operator.bin_iin {
        check_bin_iin(bin)?;
    }
    let Some(terms) = &policy.consent else { return Ok(()) };
    let languages = &policy.languages;
    if let Some(term) = &terms.term {
        if term.months.is_some_and(|m| m == 0 || m > MAX_CONSENT_TERM_MONTHS) {
            return Err(ValidationError::InvalidId {
                field: "consent.term.months",
                reason: "must be 1 to 1200 (leave it out for until withdrawn)",
            });
        }
        check_texts("consent.term.text", &term.text, languages)?;
    }
    if terms.third_parties.len() > MAX_THIRD_PARTIES {
        return Err(ValidationError::TooMany { field: "consent.third_parties", max: MAX_THIRD_PARTIES });
    }
    let mut names = BTreeSet::new();
    for party in &terms.third_parties {
        check_text("consent.third_parties.name", &party.name, MAX_CONTACT_CHARS)?;
        if !names.insert(party.name.trim().to_lowercase()) {
            return Err(ValidationError::Duplicate { field: "consent.third_parties.name", value: party.name.clone() });
        }
        if !party.purpose.is_empty() {
            check_texts("consent.third_parties.purpose", &party.purpose, languages)?;
        }
        if let Some(country) = &party.country {
            check_country("consent.third_parties.country", country)?;
        }
    }
    if let Some(cross) = &terms.cross_border {
        if !cross.transfers && !cross.countries.is_empty() {
            return Err(ValidationError::InvalidId {
                field: "consent.cross_border.countries",
                reason: "must be empty when transfers is false",
            });
        }
        if cross.countries.len() > MAX_COUNTRIES {
            return Err(ValidationError::TooMany { field: "consent.cross_border.countries", max: MAX_COUNTRIES });
        }
        let mut seen = BTreeSet::new();
        for country in &cross.countries {
            check_country("consent.cross_border.countries", country)?;
            if !seen.insert(country) {
                return Err(ValidationError::Duplicate {
                    field: "consent.cross_border.countries",
                    value: country.clone(),
                });
            }
        }
        if !cross.text.is_empty() {
            check_texts("consent.cross_border.text", &cross.text, languages)?;
        }
    }
    for (category, lists) in &terms.data_collected {
        if policy.category(category).is_none() {
            return Err(ValidationError::CategoryUnknown(category.chars().take(64).collect()));
        }
        check_languages("consent.data_collected", lists.keys(), languages)?;
        for items in lists.values() {
            if items.is_empty() {
                return Err(ValidationError::Empty { field: "consent.data_collected" });
            }
            if items.len() > MAX_DATA_ITEMS {
                return Err(ValidationError::TooMany { field: "consent.data_collected", max: MAX_DATA_ITEMS });
            }
            for item in items {
                check_text("consent.data_collected", item, MAX_TEXT_CHARS)?;
            }
        }
    }
    Ok(())
}

/// Checks a BIN or IIN: 12 digits whose last is the check digit of the first eleven, as the
/// Government of Kazakhstan defines it (weights 1–11, mod 11; on 10, weights 3–11,1,2; a second
/// 10 means no number is issued with these digits).
///
/// # Errors
/// [`ValidationError::InvalidId`] for `operator.bin_iin`.
pub fn check_bin_iin(value: &str) -> Result<(), ValidationError> {
    let invalid = |reason| ValidationError::InvalidId { field: "operator.bin_iin", reason };
    if value.len() != BIN_IIN_DIGITS || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("must be 12 digits"));
    }
    let digits: Vec<u32> = value.bytes().map(|b| u32::from(b - b'0')).collect();
    match bin_iin_check_digit(&digits[..BIN_IIN_DIGITS - 1]) {
        Some(check) if Some(&check) == digits.last() => Ok(()),
        Some(_) => Err(invalid("the check digit (the 12th) does not match")),
        None => Err(invalid("no BIN or IIN is issued with these digits (the check sum is 10)")),
    }
}

/// The check digit of the first eleven digits of a BIN / IIN, or `None` when none exists.
#[must_use]
pub fn bin_iin_check_digit(first_eleven: &[u32]) -> Option<u32> {
    const FIRST: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    const SECOND: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
    let sum = |weights: &[u32; 11]| first_eleven.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11;
    if first_eleven.len() != BIN_IIN_DIGITS - 1 || first_eleven.iter().any(|d| *d > 9) {
        return None;
    }
    match sum(&FIRST) {
        10 => Some(sum(&SECOND)).filter(|c| *c != 10),
        check => Some(check),
    }
}

/// An ISO 3166-1 alpha-2 code's shape: two upper-case ASCII letters.
fn check_country(field: &'static str, code: &str) -> Result<(), ValidationError> {
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(ValidationError::InvalidId { field, reason: "must be an ISO 3166-1 alpha-2 code such as US or DE" })
    }
}

/// A localized text: the default language present, no language the policy does not offer.
fn check_texts(field: &'static str, value: &Localized, languages: &[String]) -> Result<(), ValidationError> {
    check_languages(field, value.keys(), languages)?;
    value.values().try_for_each(|text| check_text(field, text, MAX_TEXT_CHARS))
}

fn check_languages<'a>(
    field: &'static str,
    keys: impl Iterator<Item = &'a String> + Clone,
    languages: &[String],
) -> Result<(), ValidationError> {
    if let Some(extra) = keys.clone().find(|k| !languages.contains(k)) {
        return Err(ValidationError::LanguageUnsupported(extra.chars().take(16).collect()));
    }
    match languages.first() {
        Some(default) if !keys.clone().any(|k| k == default) => {
            Err(ValidationError::TranslationMissing { field: field.into(), language: default.clone() })
        }
        _ => Ok(()),
    }
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if value.chars().count() > max {
        return Err(ValidationError::TooLong { field, max });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BIN with a valid check digit, built from eleven digits.
    fn with_check(first: &str) -> String {
        let digits: Vec<u32> = first.bytes().map(|b| u32::from(b - b'0')).collect();
        format!("{first}{}", bin_iin_check_digit(&digits).unwrap())
    }

    #[test]
    fn bin_iin_check_digits() {
        // The example IIN of the kz-iin-validator README; its first sum is 10, so the second
        // weights give its check digit 2.
        assert!(check_bin_iin("061211600012").is_ok());
        assert!(check_bin_iin("061211600013").is_err());
        let bin = with_check("18044001234");
        assert!(check_bin_iin(&bin).is_ok(), "{bin}");
        let last = bin.as_bytes()[11] - b'0';
        let wrong = format!("{}{}", &bin[..11], (last + 1) % 10);
        assert_eq!(check_bin_iin(&wrong).unwrap_err().code(), "invalid_id");
        for bad in ["", "12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１２"] {
            assert!(check_bin_iin(bad).is_err(), "{bad}");
        }
        // Digits whose both sums are 10 have no check digit at all.
        let none: Vec<u32> = (0..=99_999u32)
            .map(|n| format!("{n:011}").bytes().map(|b| u32::from(b - b'0')).collect::<Vec<_>>())
            .find(|d| bin_iin_check_digit(d).is_none())
            .unwrap();
        let number: String = none.iter().map(|d| char::from_digit(*d, 10).unwrap()).collect();
        for last in 0..10 {
            assert!(check_bin_iin(&format!("{number}{last}")).is_err());
        }
    }

    #[test]
    fn second_weights_apply_when_the_first_sum_is_ten() {
        let first: Vec<u32> = (0..=999_999u32)
            .map(|n| format!("{n:011}").bytes().map(|b| u32::from(b - b'0')).collect::<Vec<_>>())
            .find(|d| {
                let s: u32 = d.iter().zip(1..=11).map(|(d, w)| d * w).sum();
                s % 11 == 10
            })
            .unwrap();
        let second: u32 = first.iter().zip([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]).map(|(d, w)| d * w).sum::<u32>() % 11;
        assert_eq!(bin_iin_check_digit(&first), Some(second).filter(|c| *c != 10));
    }
}
