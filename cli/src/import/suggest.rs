//! Category suggestions: the clauses that speak of cross-border transfer, AI processing,
//! marketing mailings or advertising, cookies and automatically collected data, found with
//! ru / kk / en term lists, each with the words that matched; and the Art. 8(4) consent content
//! the same clauses state (countries, third parties, the consent term, data collected).
//!
//! A term is a phrase whose words must start consecutive words of the text (`трансграничн`
//! matches `трансграничная`); a word written `=ии` must match whole.

use std::collections::{BTreeMap, BTreeSet};

use kelisim_core::consent_terms::{ConsentTerm, ConsentTerms, CrossBorder, ThirdParty};
use kelisim_core::policy::Block;
use serde::{Deserialize, Serialize};

use super::structure::Outline;

/// Longest text of a clause copied into the consent content.
const MAX_QUOTED_CHARS: usize = 1_000;
/// Most data items taken from a list for one category.
const MAX_DATA_ITEMS: usize = 50;

/// Terms per category (ru, kk, en together: a document may mix them).
pub const TERMS: [(&str, &[&str]); 4] = [
    (
        "cross_border",
        &[
            "трансграничн",
            "за пределами республики казахстан",
            "за пределы республики казахстан",
            "за пределами рк",
            "за пределы рк",
            "за рубеж",
            "иностранн государств",
            "трансшекаралық",
            "аумағынан тыс",
            "шекарадан тыс",
            "шетел",
            "cross-border",
            "outside kazakhstan",
            "outside the republic of kazakhstan",
            "abroad",
        ],
    ),
    (
        "ai_processing",
        &[
            "искусственн интеллект",
            "=ии",
            "нейросет",
            "машинн обучени",
            "генеративн",
            "языков модел",
            "жасанды интеллект",
            "=жи",
            "нейрондық желі",
            "artificial intelligence",
            "=ai",
            "machine learning",
            "neural network",
            "language model",
        ],
    ),
    (
        "marketing",
        &[
            "маркетинг",
            "реклам",
            "рассылк",
            "промо",
            "специальн предложени",
            "жарнам",
            "marketing",
            "advertis",
            "newsletter",
            "promotional",
        ],
    ),
    (
        "analytics",
        &[
            "cookie",
            "куки",
            "автоматически",
            "ip-адрес",
            "=ip",
            "аналитик",
            "метрик",
            "пиксел",
            "автоматты",
            "ip-мекенжай",
            "automatically",
            "analytics",
            "ip address",
            "tracking",
            "pixel",
        ],
    ),
];

/// Recipients policies name, with the country they process data in where it is known.
const THIRD_PARTIES: [(&str, &str, Option<&str>); 14] = [
    ("whatsapp", "WhatsApp (Meta Platforms, Inc.)", Some("US")),
    ("telegram", "Telegram", Some("AE")),
    ("instagram", "Instagram (Meta Platforms, Inc.)", Some("US")),
    ("facebook", "Facebook (Meta Platforms, Inc.)", Some("US")),
    ("openai", "OpenAI", Some("US")),
    ("google", "Google", Some("US")),
    ("яндекс", "Яндекс", Some("RU")),
    ("yandex", "Yandex", Some("RU")),
    ("amazon web services", "Amazon Web Services", Some("US")),
    ("microsoft", "Microsoft", Some("US")),
    ("cloudflare", "Cloudflare", Some("US")),
    ("hetzner", "Hetzner Online", Some("DE")),
    ("mailchimp", "Mailchimp", Some("US")),
    ("kaspi", "Kaspi.kz", Some("KZ")),
];

/// Country names (stems, lower case) and their ISO 3166-1 alpha-2 codes.
const COUNTRIES: [(&str, &str); 20] = [
    ("сша", "US"),
    ("соединенн штат", "US"),
    ("соединённ штат", "US"),
    ("united states", "US"),
    ("=usa", "US"),
    ("германи", "DE"),
    ("germany", "DE"),
    ("нидерланд", "NL"),
    ("netherlands", "NL"),
    ("ирланди", "IE"),
    ("ireland", "IE"),
    ("финлянди", "FI"),
    ("finland", "FI"),
    ("российск федераци", "RU"),
    ("росси", "RU"),
    ("russia", "RU"),
    ("сингапур", "SG"),
    ("singapore", "SG"),
    ("оаэ", "AE"),
    ("объединенн арабск эмират", "AE"),
];

/// Where one category's terms matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// The clause or heading (`s7-1`).
    pub anchor: String,
    /// The heading it sits under (`s7`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The words of the text that matched, as written.
    pub words: Vec<String>,
}

/// A category the document speaks of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub category: String,
    pub matches: Vec<Match>,
    /// The anchors the category should point at: the matching clauses (or headings) under the
    /// headings with the most matches.
    pub sections: Vec<String>,
}

/// Lower-case words of `text` with their written form (hyphens kept inside words).
fn words(text: &str) -> Vec<(String, String)> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
        .map(|w| (w.to_lowercase(), w.to_owned()))
        .collect()
}

/// The written words where `term` matches `text`, each match once.
fn matches(term: &str, text: &[(String, String)]) -> Vec<String> {
    let parts: Vec<&str> = term.split(' ').collect();
    let mut out = Vec::new();
    if parts.is_empty() || text.len() < parts.len() {
        return out;
    }
    for start in 0..=text.len() - parts.len() {
        let hit = parts.iter().enumerate().all(|(i, p)| {
            let word = &text[start + i].0;
            match p.strip_prefix('=') {
                Some(whole) => word == whole,
                None => word.starts_with(p),
            }
        });
        if hit {
            out.push(text[start..start + parts.len()].iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join(" "));
        }
    }
    out
}

fn matched_words(terms: &[&str], text: &str) -> Vec<String> {
    let w = words(text);
    let mut found: Vec<String> = Vec::new();
    for term in terms {
        for m in matches(term, &w) {
            if !found.iter().any(|f| f.to_lowercase() == m.to_lowercase()) {
                found.push(m);
            }
        }
    }
    found
}

/// Suggests categories from the document's headings and text.
#[must_use]
pub fn suggest(outline: &Outline) -> Vec<Suggestion> {
    let published: BTreeSet<&str> = outline.blocks.iter().filter_map(Block::anchor).collect();
    let mut out = Vec::new();
    for (category, terms) in TERMS {
        let mut by_anchor: BTreeMap<String, Match> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut add = |anchor: &str, heading: Option<&String>, found: Vec<String>| {
            if found.is_empty() {
                return;
            }
            let m = by_anchor.entry(anchor.to_owned()).or_insert_with(|| {
                order.push(anchor.to_owned());
                Match { anchor: anchor.to_owned(), heading: heading.cloned(), words: Vec::new() }
            });
            for w in found {
                if !m.words.iter().any(|x| x.to_lowercase() == w.to_lowercase()) {
                    m.words.push(w);
                }
            }
        };
        for section in &outline.sections {
            if section.kind == super::structure::SectionKind::Heading {
                add(&section.anchor, section.heading.as_ref(), matched_words(terms, &section.text));
            }
        }
        for unit in &outline.units {
            let Some(section) = unit.section.and_then(|i| outline.sections.get(i)) else { continue };
            add(&section.anchor, section.heading.as_ref(), matched_words(terms, &unit.text));
        }
        if by_anchor.is_empty() {
            continue;
        }
        // Headings ranked by how many words matched under them; those with at least half the
        // best count are suggested.
        let mut per_heading: BTreeMap<String, usize> = BTreeMap::new();
        for m in by_anchor.values() {
            if let Some(h) = &m.heading {
                *per_heading.entry(h.clone()).or_default() += m.words.len();
            }
        }
        // Each match under them is pointed at by its own anchor; a clause published without one
        // (a link block) by its heading's.
        let best = per_heading.values().copied().max().unwrap_or(0);
        let mut sections: Vec<String> = Vec::new();
        for m in order.iter().filter_map(|a| by_anchor.get(a)) {
            if let Some(h) = &m.heading {
                if per_heading.get(h).is_some_and(|n| n * 2 >= best) {
                    let target = if published.contains(m.anchor.as_str()) { &m.anchor } else { h };
                    if !sections.contains(target) {
                        sections.push(target.clone());
                    }
                }
            }
        }
        let matches = order.iter().filter_map(|a| by_anchor.remove(a)).collect();
        out.push(Suggestion { category: category.to_owned(), matches, sections });
    }
    out
}

/// The consent content (Art. 8(4)) the document states, in language `lang`.
#[must_use]
pub fn consent_terms(outline: &Outline, suggestions: &[Suggestion], lang: &str) -> ConsentTerms {
    let mut terms = ConsentTerms::default();
    let text_of = |anchor: &str| -> Vec<&str> {
        outline
            .units
            .iter()
            .filter(|u| u.section.and_then(|i| outline.sections.get(i)).is_some_and(|s| s.anchor == anchor))
            .map(|u| u.text.as_str())
            .collect()
    };
    let quote = |text: &str| text.chars().take(MAX_QUOTED_CHARS).collect::<String>();

    if let Some(cross) = suggestions.iter().find(|s| s.category == "cross_border") {
        let mut countries: Vec<String> = Vec::new();
        let mut wording: Option<String> = None;
        for m in &cross.matches {
            for text in text_of(&m.anchor) {
                if wording.is_none() && !matched_words(TERMS[0].1, text).is_empty() {
                    wording = Some(quote(text));
                }
                for (stem, code) in COUNTRIES {
                    if !matches(stem, &words(text)).is_empty() && !countries.iter().any(|c| c == code) {
                        countries.push(code.to_owned());
                    }
                }
            }
        }
        countries.sort();
        terms.cross_border = Some(CrossBorder {
            transfers: true,
            countries,
            text: wording.map(|w| BTreeMap::from([(lang.to_owned(), w)])).unwrap_or_default(),
        });
    }

    let mut seen = BTreeSet::new();
    for unit in &outline.units {
        let lower = unit.text.to_lowercase();
        for (needle, name, country) in THIRD_PARTIES {
            if lower.contains(needle) && seen.insert(name) {
                terms.third_parties.push(ThirdParty {
                    name: name.to_owned(),
                    purpose: BTreeMap::new(),
                    country: country.map(str::to_owned),
                });
            }
        }
    }

    terms.term = outline.units.iter().find_map(|u| {
        let w = words(&u.text);
        let has = |stem: &str| !matches(stem, &w).is_empty();
        let about_term = (has("согласи") && (has("срок") || has("действует")))
            || (has("келісім") && (has("мерзім") || has("әрекет")))
            || (has("consent") && (has("valid") || has("term")));
        about_term
            .then(|| ConsentTerm { months: months(&w), text: BTreeMap::from([(lang.to_owned(), quote(&u.text))]) })
    });

    for suggestion in suggestions {
        let anchors: BTreeSet<&str> = suggestion.matches.iter().map(|m| m.anchor.as_str()).collect();
        let mut items: Vec<String> = Vec::new();
        for (i, unit) in outline.units.iter().enumerate() {
            let Some(section) = unit.section.and_then(|s| outline.sections.get(s)) else { continue };
            if !anchors.contains(section.anchor.as_str())
                || matched_words(terms_of(&suggestion.category), &unit.text).is_empty()
            {
                continue;
            }
            // The list right after a matching paragraph is what it announces ("… собираются:").
            if let Some(next) = outline.units.get(i + 1).filter(|n| n.section == unit.section) {
                if let Some(Block::List { items: list }) = outline.blocks.get(next.block) {
                    for item in list {
                        if items.len() < MAX_DATA_ITEMS && !items.contains(item) {
                            items.push(item.trim_end_matches([';', '.', ',']).to_owned());
                        }
                    }
                }
            }
        }
        if !items.is_empty() {
            terms.data_collected.insert(suggestion.category.clone(), BTreeMap::from([(lang.to_owned(), items)]));
        }
    }
    terms
}

fn terms_of(category: &str) -> &'static [&'static str] {
    TERMS.iter().find(|(c, _)| *c == category).map_or(&[], |(_, t)| t)
}

/// `в течение 5 лет` → 60, `12 месяцев` → 12, `3 years` → 36.
fn months(words: &[(String, String)]) -> Option<u32> {
    words.windows(2).find_map(|pair| {
        let n: u32 = pair[0].0.parse().ok()?;
        let unit = pair[1].0.as_str();
        let months = if ["лет", "год", "года", "жыл", "year", "years"].contains(&unit) {
            n.checked_mul(12)?
        } else if unit.starts_with("месяц") || unit.starts_with("ай") || unit.starts_with("month") {
            n
        } else {
            return None;
        };
        (1..=kelisim_core::consent_terms::MAX_CONSENT_TERM_MONTHS).contains(&months).then_some(months)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_word_starts() {
        let w = words("Трансграничная передача; данные за пределами Республики Казахстан, ИИ-помощник и ИИ.");
        assert_eq!(matches("трансграничн", &w), ["Трансграничная"]);
        assert_eq!(matches("за пределами республики казахстан", &w), ["за пределами Республики Казахстан"]);
        assert_eq!(matches("=ии", &w), ["ИИ"], "ИИ-помощник is one word; ИИ alone matches");
        assert!(matches("граничн", &w).is_empty(), "only at word starts");
        assert_eq!(months(&words("Согласие действует в течение 5 лет")), Some(60));
        assert_eq!(months(&words("до отзыва")), None);
    }

    #[test]
    fn sections_name_the_matching_clauses_and_the_heading_of_an_anchorless_one() {
        let outline = super::super::structure::structure(
            [
                "ПОЛИТИКА",
                "1. Общие положения",
                "1.1. Оператор обрабатывает данные.",
                "2. Рассылки",
                "2.1. Оператор ведёт рекламные рассылки.",
                "2.2. Срок хранения данных — 5 лет.",
                "2.3. Реклама: ads@example.kz",
            ]
            .into_iter()
            .map(super::super::Para::plain)
            .collect(),
        )
        .unwrap();
        let marketing = suggest(&outline).into_iter().find(|s| s.category == "marketing").unwrap();
        // The heading (its own text matched), clause 2.1, not 2.2 (no term), and for 2.3, a link
        // block without an anchor, its heading (already named).
        assert_eq!(marketing.sections, ["s2", "s2-1"]);
        let anchors: Vec<&str> = marketing.matches.iter().map(|m| m.anchor.as_str()).collect();
        assert_eq!(anchors, ["s2", "s2-1", "s2-3"]);
        assert!(outline.blocks.iter().any(|b| matches!(b, Block::Link { text, .. } if text.starts_with("2.3."))));
    }
}
