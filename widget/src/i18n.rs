//! The widget's own words in Russian, Kazakh and English, and which language a visitor sees.
//!
//! The policy brings its own texts (summary, category titles, the full policy); these are the
//! words around them: buttons, headings, labels.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// Languages the widget's interface speaks, Russian first (the default).
pub const UI_LANGUAGES: [&str; 3] = ["ru", "kk", "en"];
/// The language shown when nothing else fits.
pub const DEFAULT_LANGUAGE: &str = "ru";

/// Every interface string.
#[derive(Debug)]
pub struct Strings {
    pub accept_all: &'static str,
    pub reject_all: &'static str,
    pub read_policy: &'static str,
    pub settings_title: &'static str,
    pub settings_intro: &'static str,
    pub always_on: &'static str,
    pub gpc_note: &'static str,
    pub save: &'static str,
    pub withdraw: &'static str,
    pub close: &'static str,
    pub policy_title: &'static str,
    pub version: &'static str,
    pub effective: &'static str,
    pub operator: &'static str,
    pub saved: &'static str,
    pub loading_failed: &'static str,
    /// Art. 8(4) labels: the operator's registration number, the consent term, recipients,
    /// cross-border transfer (and its yes / no), the data collected.
    pub bin_iin: &'static str,
    pub term: &'static str,
    pub third_parties: &'static str,
    pub cross_border: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub data_collected: &'static str,
}

const RU: Strings = Strings {
    accept_all: "Принять все",
    reject_all: "Отклонить все",
    read_policy: "Читать политику конфиденциальности",
    settings_title: "Настройки конфиденциальности",
    settings_intro: "Выберите, на что вы даёте согласие. Решение можно изменить или отозвать в любой момент.",
    always_on: "Всегда включено",
    gpc_note: "Ваш браузер передал сигнал Global Privacy Control, поэтому эта категория выключена.",
    save: "Сохранить выбор",
    withdraw: "Отозвать согласие",
    close: "Закрыть",
    policy_title: "Политика конфиденциальности",
    version: "Редакция",
    effective: "Действует с",
    operator: "Оператор",
    saved: "Ваш выбор сохранён.",
    loading_failed: "Не удалось загрузить политику. Попробуйте позже.",
    bin_iin: "БИН/ИИН",
    term: "Срок согласия",
    third_parties: "Третьи лица",
    cross_border: "Трансграничная передача",
    yes: "Да",
    no: "Нет",
    data_collected: "Собираемые данные",
};

const KK: Strings = Strings {
    accept_all: "Барлығын қабылдау",
    reject_all: "Барлығынан бас тарту",
    read_policy: "Құпиялылық саясатын оқу",
    settings_title: "Құпиялылық баптаулары",
    settings_intro:
        "Неге келісім беретініңізді таңдаңыз. Шешімді кез келген уақытта өзгертуге немесе кері қайтаруға болады.",
    always_on: "Әрқашан қосулы",
    gpc_note: "Браузеріңіз Global Privacy Control сигналын жіберді, сондықтан бұл санат өшірулі.",
    save: "Таңдауды сақтау",
    withdraw: "Келісімді кері қайтару",
    close: "Жабу",
    policy_title: "Құпиялылық саясаты",
    version: "Редакция",
    effective: "Күшіне енген күні",
    operator: "Оператор",
    saved: "Таңдауыңыз сақталды.",
    loading_failed: "Саясатты жүктеу мүмкін болмады. Кейінірек қайталаңыз.",
    bin_iin: "БСН/ЖСН",
    term: "Келісім мерзімі",
    third_parties: "Үшінші тұлғалар",
    cross_border: "Трансшекаралық беру",
    yes: "Иә",
    no: "Жоқ",
    data_collected: "Жиналатын деректер",
};

const EN: Strings = Strings {
    accept_all: "Accept all",
    reject_all: "Reject all",
    read_policy: "Read the privacy policy",
    settings_title: "Privacy settings",
    settings_intro: "Choose what you consent to. You can change or withdraw your decision at any time.",
    always_on: "Always on",
    gpc_note: "Your browser sent Global Privacy Control, so this category is off.",
    save: "Save choices",
    withdraw: "Withdraw consent",
    close: "Close",
    policy_title: "Privacy policy",
    version: "Version",
    effective: "Effective from",
    operator: "Operator",
    saved: "Your choice has been saved.",
    loading_failed: "The policy could not be loaded. Please try again later.",
    bin_iin: "BIN/IIN",
    term: "Consent term",
    third_parties: "Third parties",
    cross_border: "Cross-border transfer",
    yes: "Yes",
    no: "No",
    data_collected: "Data collected",
};

/// The interface strings for `lang`; English for a language the policy offers but the widget
/// does not speak (its policy text is still shown in that language).
#[must_use]
pub fn strings(lang: &str) -> &'static Strings {
    match lang {
        "ru" => &RU,
        "kk" => &KK,
        _ => &EN,
    }
}

/// The visitor's language preferences, most wanted first: the tag's `data-lang`, then the page's
/// `<html lang>`, then the browser's `navigator.languages`. Primary subtags, without repeats.
#[must_use]
pub fn preferences(data_lang: Option<&str>, html_lang: Option<&str>, navigator: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let all = data_lang.into_iter().chain(html_lang).chain(navigator.iter().map(String::as_str));
    for tag in all {
        if let Some(p) = crate::config::primary_subtag(tag) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The language to show: the first preference the policy offers, else Russian if offered, else
/// the policy's own default (its first language).
#[must_use]
pub fn pick_language(preferences: &[String], offered: &[String]) -> String {
    preferences
        .iter()
        .find(|p| offered.contains(p))
        .or_else(|| offered.iter().find(|o| *o == DEFAULT_LANGUAGE))
        .or_else(|| offered.first())
        .cloned()
        .unwrap_or_else(|| DEFAULT_LANGUAGE.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn preference_order_is_tag_then_page_then_browser() {
        assert_eq!(preferences(Some("en"), Some("kk"), &v(&["ru-RU", "en-US"])), v(&["en", "kk", "ru"]));
        assert_eq!(preferences(None, Some("kk-KZ"), &v(&["en"])), v(&["kk", "en"]));
        assert_eq!(preferences(None, Some(""), &v(&["de-DE", "x", "en"])), v(&["de", "en"]));
        assert!(preferences(None, None, &[]).is_empty());
    }

    #[test]
    fn picks_first_offered_preference() {
        let offered = v(&["ru", "kk", "en"]);
        assert_eq!(pick_language(&v(&["kk"]), &offered), "kk");
        assert_eq!(pick_language(&v(&["de", "en"]), &offered), "en");
        assert_eq!(pick_language(&v(&["de"]), &offered), "ru");
        assert_eq!(pick_language(&[], &offered), "ru");
    }

    #[test]
    fn only_offered_languages_are_picked() {
        assert_eq!(pick_language(&v(&["kk"]), &v(&["ru", "en"])), "ru");
        assert_eq!(pick_language(&v(&["kk"]), &v(&["en", "de"])), "en");
        assert_eq!(pick_language(&v(&["de"]), &v(&["en", "de"])), "de");
        assert_eq!(pick_language(&v(&["kk"]), &[]), "ru");
    }

    #[test]
    fn every_language_has_every_string_and_buttons_differ() {
        for lang in UI_LANGUAGES {
            let s = strings(lang);
            let all = [
                s.accept_all,
                s.reject_all,
                s.read_policy,
                s.settings_title,
                s.settings_intro,
                s.always_on,
                s.gpc_note,
                s.save,
                s.withdraw,
                s.close,
                s.policy_title,
                s.version,
                s.effective,
                s.operator,
                s.saved,
                s.loading_failed,
            ];
            assert!(all.iter().all(|t| !t.trim().is_empty()), "{lang}");
            assert_ne!(s.accept_all, s.reject_all);
        }
        assert_eq!(strings("ru").accept_all, "Принять все");
        assert_eq!(strings("kk").reject_all, "Барлығынан бас тарту");
        assert_eq!(strings("de").accept_all, "Accept all");
    }

    /// The banner is the loader's (painted before the wasm is ready): its words are
    /// `BANNER_WORDS` in `js/loader.js`, `[title, operator label, policy link, accept all, reject
    /// all, settings]` per language. The words the settings dialog shares with it are these.
    #[test]
    fn the_loaders_banner_words_are_these_in_every_language() {
        let loader = include_str!("../js/loader.js");
        let start = loader.find("var BANNER_WORDS = ").expect("loader.js has BANNER_WORDS") + 19;
        let end = start + loader[start..].find(";\n").unwrap();
        let words: std::collections::BTreeMap<String, Vec<String>> = serde_json::from_str(&loader[start..end]).unwrap();
        assert_eq!(words.keys().map(String::as_str).collect::<Vec<_>>(), ["en", "kk", "ru"]);
        for lang in UI_LANGUAGES {
            let (w, s) = (&words[lang], strings(lang));
            assert_eq!(w.len(), 6, "{lang}");
            assert!(w.iter().all(|t| !t.trim().is_empty()), "{lang}");
            assert_eq!([&w[2], &w[3], &w[4]], [s.read_policy, s.accept_all, s.reject_all], "{lang}");
            assert!(w[3] != w[4] && w[4] != w[5] && w[3] != w[5], "{lang}: the three buttons differ");
        }
        assert_eq!(words["ru"][0], "Согласие на обработку данных");
        assert_eq!(words["en"][5], "Settings");
    }
}
