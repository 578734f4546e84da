//! A policy document as an operator publishes it (`PUT /v1/sites/{site}/policy`): strict
//! parsing, validation, the content hash receipts bind to, and the per-language views a
//! widget downloads.
#![no_main]

use kelisim_core::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<Policy>(data) else { return };
    let valid = policy.validate().is_ok();

    // A policy holds only strings, small integers, booleans, arrays and maps: it always hashes.
    let hash = policy.content_hash().expect("a parsed policy must always have a content hash");
    assert!(kelisim_core::canonical::is_sha256_hex(&hash));

    // What the edge stores is what it parsed: serialising and parsing again changes nothing,
    // so the hash computed at publication is the hash of what is served later.
    let json = serde_json::to_string(&policy).expect("a parsed policy serialises");
    let back: Policy = serde_json::from_str(&json).unwrap_or_else(|e| panic!("policy does not parse back: {e}"));
    assert_eq!(back, policy);
    assert_eq!(back.content_hash().ok().as_deref(), Some(hash.as_str()));

    // The localized view keeps only that language's texts, and nothing else changes.
    let ru = policy.localized("ru");
    assert!(ru.text.keys().all(|k| k == "ru"));
    assert!(ru.summary.keys().all(|k| k == "ru"));
    assert_eq!(ru.categories.len(), policy.categories.len());
    for (view, full) in ru.categories.iter().zip(&policy.categories) {
        assert_eq!(view.id, full.id);
        assert!(view.title.keys().chain(view.description.keys()).all(|k| k == "ru"));
    }
    assert_eq!(
        (ru.site.as_str(), ru.version, &ru.languages),
        (policy.site.as_str(), policy.version, &policy.languages)
    );
    let _ = ru.content_hash();

    // The language served: the one asked for if offered, else the first, else "".
    let picked = policy.pick_language(Some("en"));
    if policy.languages.iter().any(|l| l == "en") {
        assert_eq!(picked, "en");
    } else {
        assert_eq!(picked, policy.languages.first().map_or("", String::as_str));
    }
    let _ = policy.pick_language(None);

    if valid {
        // A valid policy declares `necessary`, always on and not switchable.
        let necessary = policy.category("necessary").expect("a valid policy has `necessary`");
        assert!(necessary.default && !necessary.switchable);
        assert!(!picked.is_empty());
    }
});
