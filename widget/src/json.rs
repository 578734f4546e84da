//! JSON for the widget. Reading: [`parse`], a small strict parser for what the edge serves and
//! what the widget stored, tested against serde_json, without `core::fmt` or float parsing.
//! Writing is kelisim-wire's canonical JSON (RFC 8785), the same core writes, re-exported here
//! for the widget's few shapes (members written in canonical order by the caller).

use alloc::string::String;
use alloc::vec::Vec;

use kelisim_wire::canonical::MAX_SAFE_INTEGER;
pub use kelisim_wire::canonical::{boolean, decimal, hex_digit, name, number, string};

/// Nesting deeper than this is refused: the policy and the stored state nest five levels at most,
/// and a bound keeps hostile input from exhausting the wasm stack.
pub const MAX_DEPTH: usize = 32;

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

/// A parsed JSON value. Numbers keep their text (the widget reads only non-negative integers, see
/// [`Value::as_u64`]); objects keep their members in order, duplicates included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (the last, as `JSON.parse` keeps it).
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number written as a plain non-negative integer below 2^53 (what `JSON.stringify` writes
    /// for the integers the widget stores).
    #[must_use]
    pub fn as_u64(&self) -> Option<u64> {
        let Self::Number(text) = self else { return None };
        if text.len() > 16 || (text.len() > 1 && text.starts_with('0')) {
            return None;
        }
        let mut n: u64 = 0;
        for b in text.bytes() {
            n = n * 10 + u64::from(b.checked_sub(b'0').filter(|d| *d < 10)?);
        }
        (n <= MAX_SAFE_INTEGER).then_some(n)
    }

    #[must_use]
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Self::Object(members) => Some(members),
            _ => None,
        }
    }

    /// Appends the value as JSON text (members in their order).
    pub fn write(&self, out: &mut String) {
        match self {
            Self::Null => out.push_str("null"),
            Self::Bool(b) => boolean(out, *b),
            Self::Number(text) => out.push_str(text),
            Self::String(s) => string(out, s),
            Self::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Self::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    name(out, k);
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Parses JSON text (RFC 8259): exactly one value, surrounded by whitespace at most. `None` for
/// anything else, or nesting deeper than [`MAX_DEPTH`].
#[must_use]
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.space();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.space();
        let found = self.peek() == Some(c);
        self.i += usize::from(found);
        found
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Option<Value> {
        let end = self.i + word.len();
        (self.s.get(self.i..end)? == word).then(|| {
            self.i = end;
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.space();
        match self.peek()? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.space();
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        members.push((key, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Value::Object(members))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Value::Array(items))
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            _ => self.number(),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as text.
    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        self.i += usize::from(self.peek() == Some(b'-'));
        let int_start = self.i;
        let int = self.digits();
        if int == 0 || (int > 1 && self.s.get(int_start) == Some(&b'0')) {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            self.i += usize::from(matches!(self.peek(), Some(b'+' | b'-')));
            if self.digits() == 0 {
                return None;
            }
        }
        let text = core::str::from_utf8(self.s.get(start..self.i)?).ok()?;
        Some(Value::Number(text.into()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut n = 0;
        for _ in 0..4 {
            n = n * 16 + char::from(self.next()?).to_digit(16)?;
        }
        Some(n)
    }

    fn string(&mut self) -> Option<String> {
        if self.next()? != b'"' {
            return None;
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            match self.next()? {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut code = self.hex4()?;
                            // A surrogate pair is one character; a lone surrogate becomes U+FFFD,
                            // as it does when the browser hands such a string to the wasm.
                            if (0xD800..0xDC00).contains(&code) && self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                let save = self.i;
                                self.i += 2;
                                let low = self.hex4()?;
                                if (0xDC00..0xE000).contains(&low) {
                                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                } else {
                                    self.i = save;
                                }
                            }
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn find_is_strs() {
        for (h, n) in [("", "a"), ("abc", "c"), ("a,b,a,b", ",b"), ("ёжик", "жи"), ("x", "xy"), ("aaa", "aa")] {
            assert_eq!(find(h, n), h.find(n), "{h} {n}");
            assert_eq!(rfind(h, n), h.rfind(n), "{h} {n}");
        }
    }

    #[test]
    fn parses_what_json_is() {
        let text =
            r#" {"a": [1, -2.5e+3, 0, true, false, null, "x\u00e9\ud83d\ude00\n\"\/\\"], "b": {}, "c": [], "a": 7} "#;
        let v = parse(text).unwrap();
        assert_eq!(v.get("a").and_then(Value::as_u64), Some(7), "the last duplicate wins, as in JSON.parse");
        let mut out = String::new();
        v.write(&mut out);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        assert_eq!(parse(r#""\ud800x""#), Some(Value::String("\u{FFFD}x".into())), "a lone surrogate");
        assert_eq!(parse(r#""\udc00\ud800\ud800\udc00""#), Some(Value::String("\u{FFFD}\u{FFFD}\u{10000}".into())));
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"a",
            "\"\\x\"",
            "\"\u{1}\"",
            "tru",
            "nul",
            "[1 2]",
            "{\"a\" 1}",
            "{1:2}",
            "1 2",
            "\"\\u12g4\"",
            "NaN",
            "[-]",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert_eq!(parse(&deep), None);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_some());
    }

    #[test]
    fn integers_are_read_as_javascript_writes_them() {
        for (text, n) in [
            ("0", Some(0)),
            ("42", Some(42)),
            ("9007199254740991", Some((1 << 53) - 1)),
            ("9007199254740992", None),
            ("-1", None),
            ("1.5", None),
            ("1e3", None),
        ] {
            assert_eq!(parse(text).unwrap().as_u64(), n, "{text}");
        }
    }

    fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<u32>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e9f64..1e9).prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn reads_whatever_serde_json_writes(v in arbitrary_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { serde_json::to_string(&v).unwrap() };
            let ours = parse(&text).expect("valid JSON parses");
            let mut again = String::new();
            ours.write(&mut again);
            prop_assert_eq!(again, serde_json::to_string(&v).unwrap());
        }

        #[test]
        fn refuses_what_serde_json_refuses(text in r#"[\[\]{}",:0-9a-z\\. -]{0,16}"#) {
            prop_assert_eq!(parse(&text).is_some(), serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{:?}", text);
        }
    }
}
