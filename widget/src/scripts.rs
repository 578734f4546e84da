//! Which marked scripts (`<script type="text/plain" data-category="…">`) run, and in what order.
//! Pure: scripts are known by a handle `T` (the DOM element in the browser, a number in tests);
//! the DOM side re-creates each script the queue hands out and waits for an external one to load
//! before asking for the next.

use alloc::string::String;
use alloc::vec::Vec;

use crate::model::Decisions;

/// Attributes a marked script carries that its runnable copy must not: `type` keeps it inert and
/// `data-category` is the widget's, not the script's. (`nonce` is copied through the property,
/// since browsers hide the attribute's value.)
pub const NOT_COPIED: [&str; 3] = ["type", "data-category", "nonce"];

/// Whether the runnable copy of a marked script gets attribute `name`.
#[must_use]
pub fn copies_attribute(name: &str) -> bool {
    !NOT_COPIED.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The marked scripts of a page in document order, each waiting until its category is granted.
#[derive(Debug)]
pub struct Queue<T> {
    waiting: Vec<(String, T)>,
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self { waiting: Vec::new() }
    }
}

impl<T: PartialEq> Queue<T> {
    /// Adds a script found in the page (at start, or later by the mutation observer). Scripts are
    /// found in document order, so appending keeps that order.
    pub fn add(&mut self, category: String, script: T) {
        if !self.waiting.iter().any(|(_, s)| *s == script) {
            self.waiting.push((category, script));
        }
    }

    /// Takes the first waiting script whose category is granted, keeping the others waiting.
    /// Scripts of denied or unknown categories never leave the queue.
    pub fn next_runnable(&mut self, decisions: &Decisions) -> Option<T> {
        let pos = self.waiting.iter().position(|(c, _)| decisions.granted(c))?;
        Some(self.waiting.remove(pos).1)
    }

    /// How many scripts still wait.
    #[must_use]
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(ids: &[&str]) -> Decisions {
        ["necessary", "analytics", "marketing", "ai_processing"].iter().map(|c| (*c, ids.contains(c))).collect()
    }

    fn drain(q: &mut Queue<u32>, d: &Decisions) -> Vec<u32> {
        std::iter::from_fn(|| q.next_runnable(d)).collect()
    }

    fn page() -> Queue<u32> {
        let mut q = Queue::default();
        for (i, c) in ["analytics", "marketing", "analytics", "ai_processing", "necessary"].iter().enumerate() {
            q.add((*c).to_owned(), u32::try_from(i).unwrap());
        }
        q
    }

    #[test]
    fn granted_scripts_run_in_document_order() {
        let mut q = page();
        assert_eq!(drain(&mut q, &granted(&["necessary", "analytics"])), vec![0, 2, 4]);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn nothing_runs_for_rejected_categories() {
        let mut q = page();
        assert_eq!(drain(&mut q, &granted(&["necessary"])), vec![4]);
        assert_eq!(drain(&mut q, &granted(&["necessary"])), Vec::<u32>::new());
        assert_eq!(q.len(), 4);
    }

    #[test]
    fn a_later_grant_runs_the_rest_once() {
        let mut q = page();
        drain(&mut q, &granted(&["necessary", "analytics"]));
        assert_eq!(drain(&mut q, &granted(&["necessary", "analytics", "ai_processing"])), vec![3]);
        assert_eq!(drain(&mut q, &granted(&["necessary", "analytics", "ai_processing"])), Vec::<u32>::new());
    }

    #[test]
    fn scripts_added_later_join_in_order_and_once() {
        let mut q = page();
        q.add("analytics".into(), 9);
        q.add("analytics".into(), 9);
        assert_eq!(drain(&mut q, &granted(&["analytics"])), vec![0, 2, 9]);
    }

    #[test]
    fn unknown_categories_never_run() {
        let mut q = Queue::default();
        q.add("made_up".to_owned(), 1_u32);
        assert_eq!(
            drain(&mut q, &granted(&["necessary", "analytics", "marketing", "ai_processing"])),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn copied_attributes() {
        assert!(copies_attribute("src"));
        assert!(copies_attribute("data-x"));
        assert!(copies_attribute("crossorigin"));
        assert!(!copies_attribute("type"));
        assert!(!copies_attribute("TYPE"));
        assert!(!copies_attribute("data-category"));
        assert!(!copies_attribute("nonce"));
    }
}
