//! `policy review`: what the imports of a draft found (structure, operator, category
//! suggestions with the words that matched, consent content) and what is missing before
//! publishing, each with the command that fills it. Pure: draft in, text out.

use std::fmt::Write as _;

use kelisim_core::consent_terms::check_bin_iin;

use super::anchors::label;
use super::draft::Draft;

/// Language names for messages.
fn language_name(lang: &str) -> &str {
    match lang {
        "ru" => "Russian",
        "kk" => "Kazakh",
        "en" => "English",
        other => other,
    }
}

/// The review of `draft`.
#[must_use]
pub fn render(draft: &Draft) -> String {
    let p = &draft.policy;
    let site = &draft.site;
    let mut s = String::new();
    let mut missing: Vec<String> = Vec::new();
    let _ = writeln!(s, "Draft policy of site {site}: languages {}", p.languages.join(", "));

    for (lang, r) in &draft.reports {
        let c = &r.counts;
        let _ = writeln!(s, "\n[{lang}] {} ({})", r.source, r.format.as_str());
        let _ = writeln!(
            s,
            "  found: {} headings, {} clauses, {} paragraphs, {} lists ({} items), {} links",
            c.headings, c.clauses, c.paragraphs, c.lists, c.list_items, c.links
        );
        let id = &r.identity;
        let at = |f: &Option<super::identity::Found>| {
            f.as_ref().map_or("not found".to_owned(), |f| match &f.at {
                Some(a) => format!("{} ({})", f.value, label(a)),
                None => f.value.clone(),
            })
        };
        let _ = writeln!(s, "  operator in the text: {}", at(&id.legal_name));
        let _ = writeln!(s, "    city {}; e-mail {}; phone {}", at(&id.city), at(&id.email), at(&id.phone));
        let _ = writeln!(s, "    BIN/IIN {}", at(&id.bin_iin));
        for bad in &id.invalid_bin_iin {
            let _ = writeln!(s, "    BIN/IIN {} has a wrong check digit: not used", bad.value);
        }
        if r.suggestions.is_empty() {
            let _ = writeln!(s, "  categories suggested: none (only necessary)");
        } else {
            let _ = writeln!(s, "  categories suggested:");
        }
        for sug in &r.suggestions {
            let sections: Vec<String> = sug.sections.iter().map(|a| label(a)).collect();
            let _ = writeln!(
                s,
                "    {} → {}",
                sug.category,
                if sections.is_empty() { "-".into() } else { sections.join(", ") }
            );
            for m in &sug.matches {
                let _ = writeln!(
                    s,
                    "      {}: {}",
                    label(&m.anchor),
                    m.words.iter().map(|w| format!("«{w}»")).collect::<Vec<_>>().join(", ")
                );
            }
        }
    }

    for lang in super::defaults::LANGUAGES {
        if !p.languages.iter().any(|l| l == lang) {
            let default = p.languages.first().map_or("", |l| language_name(l));
            missing.push(format!(
                "no {} text: the widget shows {default} to visitors who ask for {} (kelisim policy import FILE --site {site} --lang {lang})",
                language_name(lang),
                language_name(lang)
            ));
        }
    }

    let o = &p.operator;
    let _ = writeln!(s, "\nOperator (shown with the policy):");
    for (name, value, flag) in [
        ("legal name", &o.legal_name, "legal-name"),
        ("city", &o.city, "city"),
        ("e-mail", &o.email, "email"),
        ("phone", &o.phone, "phone"),
    ] {
        if value.trim().is_empty() {
            let _ = writeln!(s, "  {name:<10} MISSING");
            missing.push(format!("operator {name}: not found in the document (kelisim policy edit {site} --{flag} …)"));
        } else {
            let _ = writeln!(s, "  {name:<10} {value}");
        }
    }
    match &o.bin_iin {
        Some(bin) if check_bin_iin(bin).is_ok() => {
            let _ = writeln!(s, "  {:<10} {bin} (check digit valid)", "BIN/IIN");
        }
        Some(bin) => {
            let _ = writeln!(s, "  {:<10} {bin} INVALID", "BIN/IIN");
            missing.push(format!("BIN/IIN {bin} is not valid (kelisim policy edit {site} --bin-iin …)"));
        }
        None => {
            let _ = writeln!(s, "  {:<10} MISSING", "BIN/IIN");
            missing.push(format!(
                "BIN/IIN: Art. 8(4) asks a consent to name it (kelisim policy edit {site} --bin-iin 123456789012)"
            ));
        }
    }

    let _ = writeln!(s, "\nCategories:");
    for c in &p.categories {
        let state = if !c.switchable {
            "always on"
        } else if c.default {
            "on by default"
        } else {
            "off until consent"
        };
        let sections: Vec<String> = c.sections.iter().map(|a| label(a)).collect();
        let title = p.languages.first().and_then(|l| c.title.get(l)).cloned().unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<14} {:<18} «{title}» sections: {}",
            c.id,
            state,
            if sections.is_empty() { "-".into() } else { sections.join(", ") }
        );
        if c.switchable && c.sections.is_empty() {
            missing.push(format!(
                "category {} points at no section of the text (kelisim policy edit {site} --sections {}=§N)",
                c.id, c.id
            ));
        }
    }

    let _ = writeln!(s, "\nConsent content (Law No. 94-V Art. 8(4)):");
    let consent = p.consent.clone().unwrap_or_default();
    match &consent.term {
        Some(t) => {
            let months = t.months.map_or("until withdrawn".to_owned(), |m| format!("{m} months"));
            let _ = writeln!(s, "  term: {months}");
        }
        None => {
            let _ = writeln!(s, "  term: MISSING");
            missing.push(format!(
                "consent term: not found (kelisim policy edit {site} --term-months N, 0 = until withdrawn)"
            ));
        }
    }
    if consent.third_parties.is_empty() {
        let _ = writeln!(s, "  third parties: none found");
    } else {
        let parties: Vec<String> = consent
            .third_parties
            .iter()
            .map(|t| t.country.as_ref().map_or(t.name.clone(), |c| format!("{} [{c}]", t.name)))
            .collect();
        let _ = writeln!(s, "  third parties: {}", parties.join(", "));
    }
    match &consent.cross_border {
        Some(c) if c.transfers => {
            let to = if c.countries.is_empty() { "countries not named".to_owned() } else { c.countries.join(", ") };
            let _ = writeln!(s, "  cross-border transfer: yes ({to})");
        }
        _ => {
            let _ = writeln!(s, "  cross-border transfer: not stated");
        }
    }
    for (category, lists) in &consent.data_collected {
        for (lang, items) in lists {
            let _ = writeln!(s, "  data collected for {category} [{lang}]: {}", items.join("; "));
        }
    }

    let mut check = p.clone();
    check.version = 1;
    let _ = writeln!(s);
    if !missing.is_empty() {
        let _ = writeln!(s, "Missing or to check:");
        for m in &missing {
            let _ = writeln!(s, "  - {m}");
        }
    }
    match check.validate() {
        Ok(()) => {
            let _ = write!(s, "Ready to publish: kelisim policy publish {site}");
        }
        Err(e) => {
            let _ = write!(s, "Not ready to publish: {e}");
        }
    }
    s
}
