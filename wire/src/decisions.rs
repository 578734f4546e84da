//! A decision per category, kept in canonical JSON order: the `decisions` member of a receipt's
//! claims, and what the widget remembers and acts on.

use alloc::string::String;
use alloc::vec::Vec;

use crate::canonical;
use crate::names::decision_str;

/// A decision per category, in canonical order (see [`canonical::name_order`]): `true` granted,
/// `false` denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decisions(Vec<(String, bool)>);

impl Decisions {
    /// Sets the decision on `id`.
    #[inline]
    pub fn insert(&mut self, id: String, granted: bool) {
        match self.0.binary_search_by(|(k, _)| canonical::name_order(k, &id)) {
            Ok(i) => {
                if let Some(entry) = self.0.get_mut(i) {
                    entry.1 = granted;
                }
            }
            Err(i) => self.0.insert(i, (id, granted)),
        }
    }

    /// The decision on `id`: `Some(true)` granted, `Some(false)` denied, `None` not decided.
    #[must_use]
    #[inline]
    pub fn get(&self, id: &str) -> Option<bool> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, g)| *g)
    }

    /// Whether `id` is granted.
    #[must_use]
    #[inline]
    pub fn granted(&self, id: &str) -> bool {
        self.get(id) == Some(true)
    }

    /// `(category, granted)` in canonical order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = (&str, bool)> {
        self.0.iter().map(|(k, g)| (k.as_str(), *g))
    }

    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends the canonical JSON object `{"id":"granted"|"denied",…}`.
    #[inline]
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        for (i, (id, granted)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            canonical::name(out, id);
            canonical::string(out, decision_str(granted));
        }
        out.push('}');
    }
}

impl<S: Into<String>> FromIterator<(S, bool)> for Decisions {
    #[inline]
    fn from_iter<I: IntoIterator<Item = (S, bool)>>(iter: I) -> Self {
        let mut d = Self::default();
        for (k, g) in iter {
            d.insert(k.into(), g);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn insert_replaces_and_get_reads() {
        let mut d = Decisions::default();
        d.insert("b".into(), true);
        d.insert("a".into(), false);
        d.insert("b".into(), false);
        assert_eq!(d.iter().collect::<Vec<_>>(), [("a", false), ("b", false)]);
        assert_eq!(d.get("c"), None);
        assert!(!d.granted("a"));
        assert_eq!((d.len(), d.is_empty()), (2, false));
    }

    #[test]
    fn kept_and_written_in_utf_16_order() {
        let d: Decisions = [("😀", true), ("\u{FF61}", false), ("a\"b", true), ("Z", false)].into_iter().collect();
        let mut text = String::new();
        d.write_json(&mut text);
        assert_eq!(text, "{\"Z\":\"denied\",\"a\\\"b\":\"granted\",\"😀\":\"granted\",\"\u{FF61}\":\"denied\"}");
        assert_eq!(d.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec!["Z", "a\"b", "😀", "\u{FF61}"]);
    }
}
