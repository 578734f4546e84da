//! Built-in texts in ru / kk / en that an import starts from and the owner edits with
//! `kelisim policy edit`: each standard category's title and description, and the banner's
//! short text.

use kelisim_core::category::{GPC_SENSITIVE, NECESSARY};
use kelisim_core::policy::{Localized, PolicyCategory};

/// (id, switchable, [(lang, title, description)]).
type CategoryTexts = (&'static str, bool, [(&'static str, &'static str, &'static str); 3]);

const CATEGORIES: [CategoryTexts; 5] = [
    (
        NECESSARY,
        false,
        [
            ("ru", "Необходимые", "Работа сайта, вход, безопасность и запоминание вашего выбора. Основаны на договоре и законе, поэтому всегда включены."),
            ("kk", "Қажетті", "Сайттың жұмысы, жүйеге кіру, қауіпсіздік және таңдауыңызды есте сақтау. Шарт пен заңға негізделген, сондықтан әрқашан қосулы."),
            ("en", "Necessary", "Running the site, sign-in, security and remembering your choice. They rest on the contract and the law, so they are always on."),
        ],
    ),
    (
        "analytics",
        true,
        [
            ("ru", "Аналитика", "Cookie и автоматически собираемые данные (IP-адрес, устройство, браузер, активность) для статистики посещений."),
            ("kk", "Аналитика", "Кірулер статистикасына арналған cookie файлдары және автоматты түрде жиналатын деректер (IP-мекенжай, құрылғы, браузер, белсенділік)."),
            ("en", "Analytics", "Cookies and automatically collected data (IP address, device, browser, activity) for visit statistics."),
        ],
    ),
    (
        "marketing",
        true,
        [
            ("ru", "Маркетинг", "Рекламные материалы и маркетинговые рассылки, рекламные cookie. Отписаться можно в любой момент."),
            ("kk", "Маркетинг", "Жарнамалық материалдар мен маркетингтік таратылымдар, жарнамалық cookie файлдары. Кез келген уақытта бас тартуға болады."),
            ("en", "Marketing", "Advertising materials and marketing mailings, advertising cookies. You can unsubscribe at any time."),
        ],
    ),
    (
        "cross_border",
        true,
        [
            ("ru", "Трансграничная передача", "Передача и хранение данных на серверах за пределами Республики Казахстан."),
            ("kk", "Трансшекаралық беру", "Деректерді Қазақстан Республикасынан тыс серверлерге беру және сонда сақтау."),
            ("en", "Cross-border transfer", "Transfer and storage of data on servers outside the Republic of Kazakhstan."),
        ],
    ),
    (
        "ai_processing",
        true,
        [
            ("ru", "Обработка ИИ", "Искусственный интеллект анализирует данные, предлагает ответы и автоматизирует процессы. Результаты вероятностны и могут содержать ошибки."),
            ("kk", "ЖИ арқылы өңдеу", "Жасанды интеллект деректерді талдайды, жауап нұсқаларын ұсынады және процестерді автоматтандырады. Нәтижелер ықтималдық сипатта және қателер болуы мүмкін."),
            ("en", "AI processing", "Artificial intelligence analyses data, suggests replies and automates processes. Its results are probabilistic and may contain errors."),
        ],
    ),
];

const SUMMARY: [(&str, &str); 3] = [
    ("ru", "Мы используем необходимые cookie для работы сайта, а остальное — только с вашего согласия. Вы можете принять всё, отказаться или выбрать категории и изменить решение в любой момент."),
    ("kk", "Сайттың жұмысы үшін қажетті cookie файлдарын пайдаланамыз, ал қалғанын тек сіздің келісіміңізбен. Барлығын қабылдауға, бас тартуға немесе санаттарды таңдауға және шешіміңізді кез келген уақытта өзгертуге болады."),
    ("en", "We use necessary cookies to run the site, and everything else only with your consent. You can accept all, reject all or choose categories, and change your decision at any time."),
];

/// The languages that have built-in texts.
pub const LANGUAGES: [&str; 3] = ["ru", "kk", "en"];

/// A standard category with its built-in texts in `languages` (the languages without a
/// built-in text get none: the owner writes it), or `None` for an unknown id.
#[must_use]
pub fn category(id: &str, languages: &[String]) -> Option<PolicyCategory> {
    let (id, switchable, texts) = CATEGORIES.iter().find(|(c, _, _)| *c == id)?;
    let mut title = Localized::new();
    let mut description = Localized::new();
    for (lang, t, d) in texts {
        if languages.iter().any(|l| l == lang) {
            title.insert((*lang).to_owned(), (*t).to_owned());
            description.insert((*lang).to_owned(), (*d).to_owned());
        }
    }
    Some(PolicyCategory {
        id: (*id).to_owned(),
        switchable: *switchable,
        default: !*switchable,
        gpc_sensitive: GPC_SENSITIVE.contains(id),
        title,
        description,
        sections: Vec::new(),
    })
}

/// The built-in text of category `id` in `lang`: (title, description).
#[must_use]
pub fn category_text(id: &str, lang: &str) -> Option<(&'static str, &'static str)> {
    let (_, _, texts) = CATEGORIES.iter().find(|(c, _, _)| *c == id)?;
    texts.iter().find(|(l, _, _)| *l == lang).map(|(_, t, d)| (*t, *d))
}

/// The built-in banner text in `lang`.
#[must_use]
pub fn summary(lang: &str) -> Option<&'static str> {
    SUMMARY.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s)
}

/// The wording of a consent term of `months` (0: until withdrawn) in `lang`.
#[must_use]
pub fn term_text(lang: &str, months: u32) -> String {
    match (lang, months) {
        ("kk", 0) => {
            "Келісім кері қайтарылғанға немесе өңдеу мақсаттарына қол жеткізілгенге дейін әрекет етеді.".into()
        }
        ("kk", m) => format!("Келісім {m} ай бойы немесе кері қайтарылғанға дейін әрекет етеді."),
        ("en", 0) => "The consent is valid until it is withdrawn or the purposes of processing are achieved.".into(),
        ("en", m) => format!("The consent is valid for {m} months or until it is withdrawn."),
        (_, 0) => "Согласие действует до его отзыва или достижения целей обработки.".into(),
        (_, m) => format!("Согласие действует {m} мес. или до его отзыва."),
    }
}

/// Orders languages as a Kazakh site shows them: ru, kk, en, then others alphabetically.
#[must_use]
pub fn ordered(languages: impl IntoIterator<Item = String>) -> Vec<String> {
    let rank = |l: &str| LANGUAGES.iter().position(|x| *x == l).unwrap_or(LANGUAGES.len());
    let mut v: Vec<String> = languages.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    v.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    v
}

/// The built-in texts of every language, for tests that every standard category has all three.
#[cfg(test)]
#[must_use]
pub fn all_texts() -> std::collections::BTreeMap<&'static str, Vec<&'static str>> {
    CATEGORIES.iter().map(|(id, _, texts)| (*id, texts.iter().map(|(l, _, _)| *l).collect())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_category_speaks_three_languages() {
        for id in kelisim_core::category::STANDARD {
            assert_eq!(all_texts().get(id), Some(&vec!["ru", "kk", "en"]), "{id}");
        }
        let c = category("marketing", &["ru".into(), "en".into()]).unwrap();
        assert!(c.gpc_sensitive && c.switchable && !c.default);
        assert_eq!(c.title.keys().collect::<Vec<_>>(), ["en", "ru"]);
        assert!(category(NECESSARY, &["kk".into()]).is_some_and(|n| !n.switchable && n.default));
        assert_eq!(ordered(["en".into(), "fr".into(), "ru".into(), "kk".into()]), ["ru", "kk", "en", "fr"]);
    }
}
