//! The KV key schema. Every key is built here, from validated slugs and ULIDs only.
//!
//! | key | value | metadata | written |
//! |---|---|---|---|
//! | `site/{site}` | [`SiteConfig`](kelisim_core::api::sites::SiteConfig) JSON | — | by the admin |
//! | `policy/{site}/current` | current [`StoredPolicy`](kelisim_core::api::policies::StoredPolicy) | — | on publish |
//! | `policy/{site}/v/{version:010}` | that version, write-once | `{sha256}` | on publish |
//! | `receipt/{site}/{id}` | [`SignedReceipt`](kelisim_core::receipt::SignedReceipt) (its `log` names the index), write-once | `{"index":n}` | by the site's ledger object on submit: the one KV write of a receipt |
//! | `token/{token_id}` | [`TokenRecord`](crate::auth::TokenRecord) (SHA-256 only) | the record without the hash | by the admin |
//! | `erasure/{site}/{rev_ms}/{erasure_id}` | signed erasure record | — | when an erasure ends (a retry rewrites the same) |
//!
//! `rev_ms` is `9999999999999 − server time in ms`, zero-padded to 13 digits, so a prefix list
//! returns newest first. Listings, subject histories, statistics, erasure progress and erased
//! subjects are tables of the site's ledger object (`ledger/schema.rs`), not KV keys. Nothing is
//! read-modified-written except the rare `policy/{site}/current` on publish: receipts only ever
//! create new keys, so concurrent visitors never contend for one key (KV allows 1 write/s/key).

/// Largest timestamp the reversed-time encoding represents (year 2286).
const REV_BASE_MS: i64 = 9_999_999_999_999;

/// Newest-first sortable encoding of a server timestamp.
#[must_use]
pub fn rev_ms(server_ms: i64) -> String {
    format!("{:013}", REV_BASE_MS - server_ms.clamp(0, REV_BASE_MS))
}

/// Inverse of [`rev_ms`].
#[must_use]
pub fn from_rev_ms(rev: &str) -> Option<i64> {
    if rev.len() != 13 {
        return None;
    }
    rev.parse::<i64>().ok().map(|r| REV_BASE_MS - r)
}

#[must_use]
pub fn site(site: &str) -> String {
    format!("site/{site}")
}

#[must_use]
pub fn current_policy(site: &str) -> String {
    format!("policy/{site}/current")
}

#[must_use]
pub fn policy_version(site: &str, version: u32) -> String {
    format!("policy/{site}/v/{version:010}")
}

#[must_use]
pub fn receipt(site: &str, id: &str) -> String {
    format!("receipt/{site}/{id}")
}

/// Tokens are keyed by id alone so a token presented on another site is recognised (403, not 401).
pub const TOKEN_PREFIX: &str = "token/";

#[must_use]
pub fn token(token_id: &str) -> String {
    format!("{TOKEN_PREFIX}{token_id}")
}

#[must_use]
pub fn erasure_prefix(site: &str) -> String {
    format!("erasure/{site}/")
}

#[must_use]
pub fn erasure(site: &str, server_ms: i64, id: &str) -> String {
    format!("{}{}/{id}", erasure_prefix(site), rev_ms(server_ms))
}

#[must_use]
pub fn policy_version_prefix(site: &str) -> String {
    format!("policy/{site}/v/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_sorts_first_and_round_trips() {
        let older = erasure("s", 1_795_398_005_123, "A");
        let newer = erasure("s", 1_795_398_005_124, "A");
        assert!(newer < older);
        assert_eq!(from_rev_ms(&rev_ms(1_795_398_005_123)), Some(1_795_398_005_123));
        assert_eq!(from_rev_ms("12"), None);
    }
}
