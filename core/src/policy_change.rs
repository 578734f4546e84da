//! Which policy changes must be published as material: any change that could turn a visitor's
//! remembered denial into a grant without asking them again.
//!
//! A widget keeps a visitor's answer across non-material versions and applies it to the new one
//! (a category it never answered counts as denied, a locked one takes the policy's default). So a
//! non-material successor may not lock a category, turn a default on, add a category that starts
//! on, or drop a category id (a rename is a removal plus an addition: the answer given under the
//! old id would silently stop applying). A material version asks everyone again, so it may.

use crate::error::ValidationError;
use crate::policy::Policy;

/// Checks that `next` may follow `previous` as published: when `next` is not material, none of
/// its categories may change in a way that could grant what a visitor denied.
///
/// # Errors
/// [`ValidationError::PolicyChangeNotMaterial`] naming the first such category and the change.
pub fn check_successor(previous: &Policy, next: &Policy) -> Result<(), ValidationError> {
    if next.material {
        return Ok(());
    }
    let refuse = |category: &str, change| {
        Err(ValidationError::PolicyChangeNotMaterial { category: category.chars().take(64).collect(), change })
    };
    for old in &previous.categories {
        let Some(new) = next.category(&old.id) else {
            return refuse(&old.id, "the category is removed or renamed");
        };
        if old.switchable && !new.switchable {
            return refuse(&new.id, "the category becomes non-switchable");
        }
        if !old.default && new.default {
            return refuse(&new.id, "the category's default turns on");
        }
    }
    for new in next.categories.iter().filter(|c| previous.category(&c.id).is_none()) {
        if new.default || !new.switchable {
            return refuse(&new.id, "a new category is on by default");
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::policy::{Block, Operator, PolicyCategory};

    fn category(id: &str, switchable: bool, default: bool) -> PolicyCategory {
        let text = BTreeMap::from([("en".to_owned(), id.to_owned())]);
        PolicyCategory {
            id: id.into(),
            switchable,
            default,
            gpc_sensitive: false,
            title: text.clone(),
            description: text,
            sections: Vec::new(),
        }
    }

    fn policy(version: u32, material: bool, categories: Vec<PolicyCategory>) -> Policy {
        Policy {
            schema: 1,
            site: "s".into(),
            version,
            effective_date: "2026-11-01".into(),
            material,
            operator: Operator {
                legal_name: "L".into(),
                city: "C".into(),
                email: "e".into(),
                phone: "p".into(),
                bin_iin: None,
            },
            languages: vec!["en".into()],
            categories,
            summary: BTreeMap::from([("en".to_owned(), "s".to_owned())]),
            text: BTreeMap::from([("en".to_owned(), vec![Block::Paragraph { text: "t".into(), anchor: None }])]),
            consent: None,
        }
    }

    fn base() -> Vec<PolicyCategory> {
        vec![category("necessary", false, true), category("analytics", true, false), category("marketing", true, false)]
    }

    fn change_of(next: Vec<PolicyCategory>) -> Result<(), ValidationError> {
        check_successor(&policy(1, true, base()), &policy(2, false, next))
    }

    fn refused(next: Vec<PolicyCategory>, category: &str, change: &str) {
        match change_of(next.clone()) {
            Err(ValidationError::PolicyChangeNotMaterial { category: c, change: why }) => {
                assert_eq!((c.as_str(), why), (category, change));
            }
            other => panic!("expected a refusal for {category}, got {other:?}"),
        }
        // The same change, published as material, asks everyone again: allowed.
        assert_eq!(check_successor(&policy(1, true, base()), &policy(2, true, next)), Ok(()));
    }

    #[test]
    fn unchanged_categories_need_no_material_flag() {
        assert_eq!(change_of(base()), Ok(()));
    }

    #[test]
    fn harmless_changes_need_no_material_flag() {
        // A default turning off, a category becoming switchable, a new category off by default.
        let mut next = base();
        next.push(category("ai_processing", true, false));
        assert_eq!(change_of(next), Ok(()));
        let old = vec![category("necessary", false, true), category("legacy", false, true)];
        let new = vec![category("necessary", false, true), category("legacy", true, false)];
        assert_eq!(check_successor(&policy(1, true, old), &policy(2, false, new)), Ok(()));
    }

    #[test]
    fn a_category_becoming_non_switchable_is_material() {
        let mut next = base();
        next[2] = category("marketing", false, false);
        refused(next, "marketing", "the category becomes non-switchable");
    }

    #[test]
    fn the_forced_marketing_policy_of_issue_10_is_material() {
        let mut next = base();
        next[2] = category("marketing", false, true);
        refused(next, "marketing", "the category becomes non-switchable");
    }

    #[test]
    fn a_default_turning_on_is_material() {
        let mut next = base();
        next[1] = category("analytics", true, true);
        refused(next, "analytics", "the category's default turns on");
    }

    #[test]
    fn a_new_category_on_by_default_is_material() {
        let mut next = base();
        next.push(category("ai_processing", true, true));
        refused(next.clone(), "ai_processing", "a new category is on by default");
        next.pop();
        next.push(category("ai_processing", false, false));
        refused(next, "ai_processing", "a new category is on by default");
    }

    #[test]
    fn a_removed_category_is_material() {
        let mut next = base();
        next.remove(1);
        refused(next, "analytics", "the category is removed or renamed");
    }

    #[test]
    fn a_renamed_category_is_material() {
        let mut next = base();
        next[2] = category("advertising", true, false);
        refused(next, "marketing", "the category is removed or renamed");
    }
}
