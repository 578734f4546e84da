//! What an isolate keeps in memory between requests: parsed policy versions (write-once, so a
//! copy never goes stale) and site configurations (briefly). Saves a KV read and a parse per
//! receipt; the service works the same without it (each test builds its own).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use kelisim_core::api::policies::StoredPolicy;
use kelisim_core::api::sites::SiteConfig;

/// At most this many parsed policy versions per isolate. A stored policy is capped at
/// `MAX_POLICY_BODY_BYTES` (256 KiB), so the cache stays well inside a worker's 128 MB even when
/// full; when it is, it starts over (receipts name recent versions, which come back at once).
pub const MAX_CACHED_POLICIES: usize = 64;

/// At most this many site configurations per isolate (each is a few origins).
pub const MAX_CACHED_SITES: usize = 1024;

/// How long a site configuration read from KV is reused. Workers KV itself takes up to 60 s to
/// show a change in every location, so an origin change already needs that long to reach all
/// isolates; 30 s in memory keeps that bound. A change made through this isolate is seen at once.
pub const SITE_CONFIG_TTL_MS: i64 = 30_000;

/// The isolate's cache. Single-threaded (a Worker isolate runs one event loop), hence `RefCell`.
#[derive(Debug, Default)]
pub struct IsolateCache {
    policies: RefCell<BTreeMap<(String, u32), Rc<StoredPolicy>>>,
    sites: RefCell<BTreeMap<String, (i64, Rc<SiteConfig>)>>,
}

impl IsolateCache {
    /// A policy version seen before; versions never change once published.
    #[must_use]
    pub fn policy_version(&self, site: &str, version: u32) -> Option<Rc<StoredPolicy>> {
        self.policies.borrow().get(&(site.to_owned(), version)).cloned()
    }

    /// Remembers a published policy version.
    pub fn keep_policy_version(&self, stored: Rc<StoredPolicy>) {
        let mut policies = self.policies.borrow_mut();
        if policies.len() >= MAX_CACHED_POLICIES {
            policies.clear();
        }
        policies.insert((stored.policy.site.clone(), stored.policy.version), stored);
    }

    /// A site's configuration read at most [`SITE_CONFIG_TTL_MS`] before `now_ms`.
    #[must_use]
    pub fn site(&self, site: &str, now_ms: i64) -> Option<Rc<SiteConfig>> {
        self.sites
            .borrow()
            .get(site)
            .filter(|(read_ms, _)| (0..SITE_CONFIG_TTL_MS).contains(&(now_ms - read_ms)))
            .map(|(_, config)| config.clone())
    }

    /// Remembers a site's configuration as read (or written) at `now_ms`.
    pub fn keep_site(&self, site: &str, config: Rc<SiteConfig>, now_ms: i64) {
        let mut sites = self.sites.borrow_mut();
        if sites.len() >= MAX_CACHED_SITES && !sites.contains_key(site) {
            sites.clear();
        }
        sites.insert(site.to_owned(), (now_ms, config));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origin: &str) -> Rc<SiteConfig> {
        Rc::new(SiteConfig { origins: vec![origin.to_owned()] })
    }

    #[test]
    fn a_site_config_expires_after_its_ttl_and_never_comes_from_the_future() {
        let cache = IsolateCache::default();
        cache.keep_site("a", config("https://a.example"), 1_000);
        assert!(cache.site("a", 1_000).is_some());
        assert!(cache.site("a", 1_000 + SITE_CONFIG_TTL_MS - 1).is_some());
        assert!(cache.site("a", 1_000 + SITE_CONFIG_TTL_MS).is_none());
        assert!(cache.site("a", 999).is_none(), "a clock that went back does not extend the copy");
        assert!(cache.site("b", 1_000).is_none());
    }

    #[test]
    fn the_site_cache_is_bounded() {
        let cache = IsolateCache::default();
        for i in 0..=MAX_CACHED_SITES {
            cache.keep_site(&format!("s{i}"), config("https://a.example"), 0);
        }
        assert!(cache.sites.borrow().len() <= MAX_CACHED_SITES);
        assert!(cache.site(&format!("s{MAX_CACHED_SITES}"), 0).is_some(), "the newest is kept");
    }
}
