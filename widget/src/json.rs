//! Canonical JSON (RFC 8785) for the few shapes the widget writes: the receipt claims, the body
//! it posts, the headers of its JWS and the key thumbprint. Strings, non-negative integers,
//! booleans and null; member names are written in canonical order by the caller, or sorted here
//! for maps. It only writes; the browser's `JSON.parse` reads. A native test pins every byte to
//! `kelisim_core::canonical`, which the edge verifies signatures against.

use alloc::string::String;
use core::cmp::Ordering;

/// Appends `s` as a JSON string, escaped as ECMAScript's `JSON.stringify` does (RFC 8785
/// §3.2.2.2): `"` and `\`, the short escapes, other control characters as `\u00xx`, everything
/// else as it is.
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
pub fn name(out: &mut String, name: &str) {
    string(out, name);
    out.push(':');
}

/// Appends a string or `null`.
pub fn string_or_null(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.push_str("null"),
    }
}

/// Appends a non-negative integer in decimal.
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
pub fn boolean(out: &mut String, b: bool) {
    out.push_str(if b { "true" } else { "false" });
}

/// The canonical order of member names (RFC 8785 §3.2.3): by their UTF-16 code units.
#[must_use]
pub fn name_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// A lowercase hex digit (`n` < 16).
#[must_use]
pub fn hex_digit(n: u32) -> char {
    char::from(b"0123456789abcdef"[(n & 0xF) as usize])
}

/// Where `needle` (not empty) first occurs in `haystack`. A plain byte search: `str::find` with a
/// `&str` pattern brings core's two-way searcher and its formatted panics into the wasm.
#[must_use]
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len().max(1)).position(|w| w == needle.as_bytes())
}

/// Where `needle` (not empty) last occurs in `haystack`.
#[must_use]
pub fn rfind(haystack: &str, needle: &str) -> Option<usize> {
    haystack.as_bytes().windows(needle.len().max(1)).rposition(|w| w == needle.as_bytes())
}

/// `n` in decimal.
#[must_use]
pub fn decimal(n: u64) -> String {
    let mut out = String::new();
    number(&mut out, n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::canonical::canonicalize_value;
    use proptest::prelude::*;
    use serde_json::Value;

    fn ours(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    fn cores(s: &str) -> String {
        canonicalize_value(&Value::String(s.into())).unwrap()
    }

    #[test]
    fn tricky_strings_match_core() {
        for s in [
            "",
            "plain",
            "\"quoted\" \\ back",
            "\u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{e}\u{1f} \u{7f}",
            "\u{2028}\u{2029} separators stay as they are",
            "Согласие · Келісім · 😀 · \u{FFFF}",
            "</script><img src=x onerror=alert(1)>",
        ] {
            assert_eq!(ours(s), cores(s), "{s:?}");
        }
    }

    #[test]
    fn find_is_strs() {
        for (h, n) in [("", "a"), ("abc", "c"), ("a,b,a,b", ",b"), ("ёжик", "жи"), ("x", "xy"), ("aaa", "aa")] {
            assert_eq!(find(h, n), h.find(n), "{h} {n}");
            assert_eq!(rfind(h, n), h.rfind(n), "{h} {n}");
        }
    }

    #[test]
    fn numbers_match_core() {
        for n in [0, 1, 9, 10, 99, 100, 1_795_398_005_123, (1 << 53) - 1, u64::from(u32::MAX)] {
            assert_eq!(decimal(n), canonicalize_value(&Value::from(n)).unwrap());
        }
    }

    proptest! {
        #[test]
        fn any_string_matches_core(s in any::<String>()) {
            prop_assert_eq!(ours(&s), cores(&s));
        }

        #[test]
        fn names_sort_as_core_sorts_them(a in any::<String>(), b in any::<String>()) {
            prop_assume!(a != b);
            let core = canonicalize_value(&serde_json::json!({ a.clone(): 1, b.clone(): 2 })).unwrap();
            let mut members = [(&a, 1), (&b, 2)];
            members.sort_by(|x, y| name_order(x.0, y.0));
            let mut expected = String::from("{");
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    expected.push(',');
                }
                name(&mut expected, k);
                number(&mut expected, *v);
            }
            expected.push('}');
            prop_assert_eq!(expected, core);
        }
    }
}
