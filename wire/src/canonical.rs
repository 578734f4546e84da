//! Canonical JSON (RFC 8785) writing, the primitives every signed text is made of: strings,
//! non-negative integers, booleans, null, and the canonical order of member names. Core writes
//! any serde value with them; the widget and [`crate::claims`] write their few shapes by hand,
//! members already in canonical order. No `core::fmt`: digits and escapes are pushed one by one.

use alloc::string::String;
use core::cmp::Ordering;

/// The largest integer a JSON number carries exactly (an IEEE-754 double, RFC 8785 §3.2.2.3).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Appends `s` as a JSON string, escaped as ECMAScript's `JSON.stringify` does (RFC 8785
/// §3.2.2.2): `"` and `\`, the short escapes, other control characters as `\u00xx`, everything
/// else as it is.
#[inline]
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        let short = match c {
            '"' => '"',
            '\\' => '\\',
            '\u{8}' => 'b',
            '\u{c}' => 'f',
            '\n' => 'n',
            '\r' => 'r',
            '\t' => 't',
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(hex_digit(c as u32 >> 4));
                out.push(hex_digit(c as u32 & 0xF));
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push('\\');
        out.push(short);
    }
    out.push('"');
}

/// Appends `"name":` (a member name, then the colon).
#[inline]
pub fn name(out: &mut String, name: &str) {
    string(out, name);
    out.push(':');
}

/// Appends `null`.
#[inline]
pub fn null(out: &mut String) {
    out.push_str("null");
}

/// Appends a string or `null`.
#[inline]
pub fn string_or_null(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => null(out),
    }
}

/// Appends a non-negative integer in decimal. Callers keep to [`MAX_SAFE_INTEGER`] (core refuses
/// larger ones before writing; the widget's numbers are versions, counts and times).
#[inline]
pub fn number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for d in &digits[i..] {
        out.push(char::from(*d));
    }
}

/// Appends `true` or `false`.
#[inline]
pub fn boolean(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// The canonical order of member names (RFC 8785 §3.2.3): by their UTF-16 code units.
#[must_use]
#[inline]
pub fn name_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A lowercase hex digit of the low four bits of `n`.
#[must_use]
#[inline]
pub fn hex_digit(n: u32) -> char {
    char::from(b"0123456789abcdef"[(n & 0xF) as usize])
}

/// `n` in decimal.
#[must_use]
#[inline]
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    number(&mut out, n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;
    use std::vec::Vec;

    fn ours(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    /// serde_json escapes strings exactly as RFC 8785 does (`"`, `\`, the five short escapes,
    /// other controls as lowercase `\u00xx`, nothing else): an independent reference.
    fn reference(s: &str) -> String {
        serde_json::to_string(s).unwrap()
    }

    #[test]
    fn tricky_strings_are_escaped_as_rfc_8785_says() {
        for s in [
            "",
            "plain",
            "\"quoted\" \\ back",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{e}\u{1f} \u{7f}",
            "\u{2028}\u{2029} separators stay as they are",
            "Согласие · Келісім · 😀 · \u{FFFF} \u{D7FF}\u{E000}\u{10FFFF}",
            "</script><img src=x onerror=alert(1)>",
        ] {
            assert_eq!(ours(s), reference(s), "{s:?}");
        }
        assert_eq!(ours("\u{1f}\u{7}"), "\"\\u001f\\u0007\"");
    }

    #[test]
    fn numbers_are_decimal() {
        for n in [0, 1, 9, 10, 99, 100, 1_795_398_005_123, MAX_SAFE_INTEGER, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn literals() {
        let mut out = String::new();
        boolean(&mut out, true);
        boolean(&mut out, false);
        null(&mut out);
        string_or_null(&mut out, None);
        string_or_null(&mut out, Some("x"));
        name(&mut out, "n");
        assert_eq!(out, "truefalsenullnull\"x\"\"n\":");
    }

    #[test]
    fn names_sort_by_utf_16_not_by_utf_8() {
        // U+FF61 is after U+1F600 in UTF-8 (one code point) but before it in UTF-16 (0xD83D…).
        assert_eq!(name_order("\u{FF61}", "😀"), Ordering::Greater);
        assert!("\u{FF61}" < "😀");
        assert_eq!(name_order("a", "ab"), Ordering::Less);
        assert_eq!(name_order("", ""), Ordering::Equal);
    }

    proptest! {
        #[test]
        fn any_string_is_escaped_as_rfc_8785_says(s in any::<String>()) {
            prop_assert_eq!(ours(&s), reference(&s));
        }

        #[test]
        fn any_number_is_decimal(n in any::<u64>()) {
            prop_assert_eq!(decimal(n), n.to_string());
        }

        #[test]
        fn names_sort_as_their_utf_16_code_units(a in any::<String>(), b in any::<String>()) {
            let units = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
            prop_assert_eq!(name_order(&a, &b), units(&a).cmp(&units(&b)));
        }
    }
}
