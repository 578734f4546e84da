//! Policies: publishing the next version (checked against the current one), reading the current
//! or a given version, and listing the versions.

use std::rc::Rc;

use serde_json::Value;

use kelisim_core::api::policies::{PolicyVersionInfo, PolicyVersions, Published, StoredPolicy};
use kelisim_core::error::ValidationError;
use kelisim_core::policy::Policy;
use kelisim_core::policy_change::check_successor;
use kelisim_core::ErrorCode;

use super::{get_json, parse_json, to_json, Service, MAX_LISTING_PAGES};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

impl<K: Kv> Service<'_, K> {
    /// A published policy version (write-once, so kept in the isolate's cache once read).
    pub(super) async fn policy_version(&self, site: &str, version: u32) -> Result<Option<Rc<StoredPolicy>>, ApiError> {
        if let Some(stored) = self.cache.policy_version(site, version) {
            return Ok(Some(stored));
        }
        let Some(stored) = get_json::<K, StoredPolicy>(self.kv, &keys::policy_version(site, version)).await? else {
            return Ok(None);
        };
        let stored = Rc::new(stored);
        self.cache.keep_policy_version(stored.clone());
        Ok(Some(stored))
    }

    /// The current policy, or a given version.
    ///
    /// # Errors
    /// 404 `unknown_site` / `policy_not_found`, 503 when KV fails.
    pub async fn policy(&self, site: &str, version: Option<u32>) -> Result<StoredPolicy, ApiError> {
        let key = version.map_or_else(|| keys::current_policy(site), |v| keys::policy_version(site, v));
        match get_json(self.kv, &key).await? {
            Some(stored) => Ok(stored),
            None => {
                self.site(site).await?;
                Err(ApiError::new(ErrorCode::PolicyNotFound, "no such policy version"))
            }
        }
    }

    /// Publishes the next policy version: the body's `site` must be this site and its `version`
    /// the current one plus one (1 for the first). Older versions stay readable.
    ///
    /// # Errors
    /// 400 / 422 for an invalid document, 404 for an unknown site, 409 `policy_version_conflict`,
    /// 422 `policy_change_not_material` for a non-material version that could turn a remembered
    /// denial into a grant, 503 when KV fails.
    pub async fn publish_policy(&self, site: &str, body: &[u8]) -> Result<StoredPolicy, ApiError> {
        let policy: Policy = parse_json(body)?;
        policy.validate()?;
        if policy.site != site {
            return Err(ValidationError::SiteMismatch { expected: site.into(), found: policy.site }.into());
        }
        self.site(site).await?;
        let current: Option<StoredPolicy> = get_json(self.kv, &keys::current_policy(site)).await?;
        let expected = current.as_ref().map_or(1, |c| c.policy.version.saturating_add(1));
        if policy.version != expected {
            let err = ValidationError::PolicyVersionConflict { expected, found: policy.version };
            return Err(ApiError::new(err.error_code(), err.to_string()));
        }
        if let Some(current) = &current {
            check_successor(&current.policy, &policy)?;
        }
        let last_material_version = if policy.material || current.is_none() {
            policy.version
        } else {
            current.as_ref().map_or(policy.version, |c| c.last_material_version)
        };
        let stored = StoredPolicy { sha256: policy.content_hash()?, last_material_version, policy };
        let json = to_json(&stored)?;
        let meta = serde_json::to_value(PolicyVersionInfo {
            version: stored.policy.version,
            sha256: stored.sha256.clone(),
            effective_date: stored.policy.effective_date.clone(),
            material: stored.policy.material,
        })
        .map_err(|_| ApiError::internal())?;
        // The version key first: `current` never points at a version that is not stored.
        self.kv.put(&keys::policy_version(site, stored.policy.version), &json, Some(&meta)).await?;
        self.kv.put(&keys::current_policy(site), &json, None).await?;
        Ok(stored)
    }

    /// The published policy versions, newest first, from one list call's metadata.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn policy_versions(&self, site: &str) -> Result<PolicyVersions, ApiError> {
        let keys = self.list_keys(&keys::policy_version_prefix(site), MAX_LISTING_PAGES).await?;
        let versions = keys
            .into_iter()
            .rev()
            .filter_map(|k| k.metadata.and_then(|m: Value| serde_json::from_value(m).ok()))
            .collect();
        Ok(PolicyVersions { versions })
    }

    /// Publishes the next policy version (as [`Service::publish_policy`]) and answers what was
    /// published.
    ///
    /// # Errors
    /// As [`Service::publish_policy`].
    pub async fn publish(&self, site: &str, body: &[u8]) -> Result<Published, ApiError> {
        let stored = self.publish_policy(site, body).await?;
        Ok(Published { site: site.to_owned(), version: stored.policy.version, sha256: stored.sha256 })
    }
}
