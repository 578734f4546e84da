//! RFC 8785 canonical JSON over arbitrary JSON: never panics, refuses what it cannot represent
//! exactly, and is idempotent (canonicalising canonical text gives the same text) and
//! meaning-preserving (the canonical text parses to the same value).
#![no_main]

use kelisim_core::canonical::canonicalize_value;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(first) = canonicalize_value(&value) else { return };
    let parsed: Value =
        serde_json::from_str(&first).unwrap_or_else(|e| panic!("canonical output is not JSON: {e}\n{first:?}"));
    assert_eq!(parsed, value, "canonical output means something else\n{first:?}");
    let second = canonicalize_value(&parsed)
        .unwrap_or_else(|e| panic!("canonical output does not canonicalise again: {e}\n{first:?}"));
    assert_eq!(first, second, "canonicalisation is not idempotent");
    // RFC 8785 output has no insignificant whitespace outside strings.
    if !matches!(value, Value::String(_)) {
        let mut in_string = false;
        let mut escaped = false;
        for c in first.chars() {
            match (in_string, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_string = !in_string,
                (false, _, ' ' | '\n' | '\r' | '\t') => panic!("whitespace outside strings: {first:?}"),
                _ => {}
            }
        }
    }
});
