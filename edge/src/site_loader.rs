//! The site's own loader, `GET /v1/sites/{site}/kelisim.js`: the widget's loader
//! (`/v1/kelisim.js`, a static asset) with the site's current first layer written into it, in
//! every language the policy has. A first visit's banner then waits for one request after the
//! page, not two (the loader, then the first layer): on a phone that is a round trip less before
//! the banner. Pure: the route fetches the loader and the layers and calls [`embed`].

use std::collections::BTreeMap;

use kelisim_core::canonical::sha256_hex;

/// The string literal in the built loader that this module replaces (scripts/build-widget.sh
/// keeps it; `widget/js/loader.js` reads anything but a JSON object there as "none").
pub const LAYERS_MARKER: &str = "KELISIM_FIRST_LAYERS";

/// The most first-layer bytes written into a loader, all languages together. A first layer is
/// about 1–3 KB (title, operator, summary, category titles and descriptions); a policy whose
/// layers pass this is served the plain loader, which fetches its one language instead, so the
/// banner's critical path never carries every language of an outsized document.
pub const MAX_EMBEDDED_LAYERS_BYTES: usize = 24 * 1024;

/// Hex digits of the body's SHA-256 its `ETag` carries.
const ETAG_HASH_CHARS: usize = 16;

/// `loader` with the marker literal (in either quote style) replaced by a JavaScript string
/// holding `layers` (language → that language's first layer, as `GET …/policy?lang=…&layer=banner`
/// answers it) as a JSON object. `None` when the marker is not there exactly once, when there are
/// no layers, or when they pass [`MAX_EMBEDDED_LAYERS_BYTES`]: the plain loader is served then.
#[must_use]
pub fn embed(loader: &str, layers: &BTreeMap<String, String>) -> Option<String> {
    let object = serde_json::to_string(layers).ok()?;
    if layers.is_empty() || object.len() > MAX_EMBEDDED_LAYERS_BYTES {
        return None;
    }
    // A JSON string is a JavaScript string literal (U+2028/2029 are allowed in both since ES2019).
    let literal = serde_json::to_string(&object).ok()?;
    let [single, double] = [format!("'{LAYERS_MARKER}'"), format!("\"{LAYERS_MARKER}\"")];
    let found: Vec<(usize, usize)> =
        [&single, &double].iter().flat_map(|m| loader.match_indices(m.as_str()).map(|(at, m)| (at, m.len()))).collect();
    let [(at, len)] = found.as_slice() else { return None };
    Some([&loader[..*at], &literal, &loader[at + len..]].concat())
}

/// The strong `ETag` of a loader body: its content, so a policy edit or a new widget build
/// changes it and a browser's revalidation answers 304 otherwise.
#[must_use]
pub fn etag(body: &str) -> String {
    let hex = sha256_hex(body.as_bytes());
    format!("\"{}\"", &hex[..ETAG_HASH_CHARS])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn layers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_marker_becomes_a_string_of_the_layers_object_in_either_quote_style() {
        let ru = r#"{"language":"ru","policy":{"summary":{"ru":"Мы \"используем\" cookie\n</script>"}}}"#;
        for quote in ['\'', '"'] {
            let loader = format!("var a=1;var L={quote}{LAYERS_MARKER}{quote};var b=2;");
            let out = embed(&loader, &layers(&[("ru", ru), ("en", "{}")])).unwrap();
            let literal = out.strip_prefix("var a=1;var L=").unwrap().strip_suffix(";var b=2;").unwrap();
            // What the loader sees: the string, then JSON.parse of it.
            let text: String = serde_json::from_str(literal).unwrap();
            let object: BTreeMap<String, String> = serde_json::from_str(&text).unwrap();
            assert_eq!(object["ru"], ru, "the layer's text is kept byte for byte");
            assert_eq!(object["en"], "{}");
            assert!(!out.contains(LAYERS_MARKER));
        }
    }

    #[test]
    fn the_plain_loader_is_served_without_exactly_one_marker_or_layers() {
        let one = layers(&[("ru", "{}")]);
        assert_eq!(embed("var L=1;", &one), None, "no marker");
        let twice = format!("'{LAYERS_MARKER}';\"{LAYERS_MARKER}\"");
        assert_eq!(embed(&twice, &one), None, "two markers");
        assert_eq!(embed(&format!("'{LAYERS_MARKER}'"), &BTreeMap::new()), None, "no layers");
        let bare = format!("var L={LAYERS_MARKER};");
        assert_eq!(embed(&bare, &one), None, "an identifier is not the literal");
    }

    #[test]
    fn outsized_layers_are_not_embedded() {
        let big = "x".repeat(MAX_EMBEDDED_LAYERS_BYTES);
        assert_eq!(embed(&format!("'{LAYERS_MARKER}'"), &layers(&[("ru", &big)])), None);
        let fits = "x".repeat(MAX_EMBEDDED_LAYERS_BYTES - 100);
        assert!(embed(&format!("'{LAYERS_MARKER}'"), &layers(&[("ru", &fits)])).is_some());
    }

    #[test]
    fn the_etag_follows_the_content() {
        assert_eq!(etag("a"), etag("a"));
        assert_ne!(etag("a"), etag("b"));
        assert_eq!(etag("a").len(), ETAG_HASH_CHARS + 2);
    }
}
