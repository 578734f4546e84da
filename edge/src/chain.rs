//! A subject's hash chain: which of its receipts is current, and where the chain forks. Pure:
//! works on index summaries (each carries its `hash` and `prev`), whatever order they arrived in.
//!
//! The rule: a receipt another receipt of the subject names as `prev` is superseded, whenever it
//! arrived. The current receipt is one that nobody names (a *tip*). When the chain alone cannot
//! decide — a fork (two receipts naming the same `prev`, e.g. two tabs choosing at once) or
//! separate chains — the tip the edge received last is current, and the answer says so.

use std::collections::{BTreeMap, BTreeSet};

use kelisim_core::api::receipts::ReceiptSummary;
pub use kelisim_core::api::subjects::Fork;

/// What the chain says about a subject's receipts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainView {
    /// Index (into the summaries given) of the current receipt; `None` when there are none.
    pub current: Option<usize>,
    /// Whether more than one receipt is a tip, so arrival order chose between them.
    pub ambiguous: bool,
    pub forks: Vec<Fork>,
}

/// Reads the chain of one subject's `receipts` (newest arrival first, as the index lists them).
#[must_use]
pub fn follow(receipts: &[ReceiptSummary]) -> ChainView {
    if receipts.is_empty() {
        return ChainView::default();
    }
    // Only hashes of receipts held here supersede: a `prev` naming an erased or unknown receipt
    // does not hide anything.
    let held: BTreeSet<&str> = receipts.iter().map(|r| r.hash.as_str()).filter(|h| !h.is_empty()).collect();
    let mut followers: BTreeMap<&str, Vec<&ReceiptSummary>> = BTreeMap::new();
    for r in receipts {
        if let Some(prev) = r.prev.as_deref().filter(|p| held.contains(p) && *p != r.hash) {
            followers.entry(prev).or_default().push(r);
        }
    }
    // Tips, newest arrival first (the listing order); a cycle is impossible with SHA-256 links,
    // but if every receipt were named the newest arrival would still be chosen.
    let tips: Vec<usize> = (0..receipts.len())
        .filter(|&i| receipts[i].hash.is_empty() || !followers.contains_key(receipts[i].hash.as_str()))
        .collect();
    let forks = followers
        .into_iter()
        .filter(|(_, next)| next.len() > 1)
        .map(|(prev, next)| Fork { prev: prev.to_owned(), receipt_ids: next.iter().map(|r| r.id.clone()).collect() })
        .collect();
    ChainView { current: Some(tips.first().copied().unwrap_or(0)), ambiguous: tips.len() > 1, forks }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, hash: &str, prev: Option<&str>) -> ReceiptSummary {
        ReceiptSummary {
            id: id.into(),
            hash: hash.into(),
            prev: prev.map(str::to_owned),
            subject: "s".into(),
            action: "custom".into(),
            server_time: String::new(),
            policy_version: 1,
            visitor_signed: true,
            granted: None,
            denied: None,
        }
    }

    #[test]
    fn the_chain_beats_arrival_order() {
        // Newest arrival first: the older acceptance arrived after the withdrawal that follows it.
        let listed = [summary("accept", "a", None), summary("withdraw", "w", Some("a"))];
        let view = follow(&listed);
        assert_eq!(view.current, Some(1));
        assert!(!view.ambiguous && view.forks.is_empty());
    }

    #[test]
    fn a_fork_is_flagged_and_the_newest_arrival_among_tips_is_current() {
        let listed = [summary("c2", "c2", Some("b")), summary("c1", "c1", Some("b")), summary("b", "b", None)];
        let view = follow(&listed);
        assert_eq!(view.current, Some(0));
        assert!(view.ambiguous);
        assert_eq!(view.forks, vec![Fork { prev: "b".into(), receipt_ids: vec!["c2".into(), "c1".into()] }]);
    }

    #[test]
    fn a_prev_naming_a_receipt_not_held_hides_nothing() {
        let listed = [summary("old", "o", None), summary("new", "n", Some("erased"))];
        let view = follow(&listed);
        assert_eq!(view.current, Some(0), "both are tips; the newest arrival is current");
        assert!(view.ambiguous);
        assert!(follow(&[]).current.is_none());
    }
}
