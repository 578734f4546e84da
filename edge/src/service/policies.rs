//! Policies: publishing the next version (checked against the current one), reading the current
//! or a given version, answering `GET …/policy` (language, layer, ETag, caching), and listing
//! the versions.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value;

use kelisim_core::api::policies::{
    PolicyAnswer, PolicyBody, PolicyVersionInfo, PolicyVersions, Published, StoredPolicy,
};
use kelisim_core::error::ValidationError;
use kelisim_core::policy::{check_language, Policy};
use kelisim_core::policy_change::check_successor;
use kelisim_core::ErrorCode;

use super::{get_json, parse_json, to_json, Service, MAX_LISTING_PAGES};
use crate::error::ApiError;
use crate::first_layer::{first_layer, parse_layer};
use crate::keys;
use crate::kv::Kv;

/// How long browsers and caches may keep the current policy before revalidating (ETag).
pub const POLICY_MAX_AGE_SECONDS: u32 = 60;
/// A published version never changes.
pub const POLICY_VERSION_MAX_AGE_SECONDS: u32 = 86_400;
/// Hex digits of the content hash an ETag carries: enough to tell versions apart.
const ETAG_HASH_CHARS: usize = 16;

/// The answer of `GET …/policy` and `GET …/policy/versions/{version}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyReply {
    /// 304: the client's copy (`If-None-Match`) is the one it would be sent.
    NotModified { etag: String, cache_control: String },
    /// 200 with `ETag`, `Cache-Control` and `Content-Language: language` (the body boxed: a
    /// whole policy is far larger than a 304).
    Fresh { etag: String, cache_control: String, language: String, body: Box<PolicyBody> },
}

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

    /// The answer of `GET …/policy` (`version` `None`) or of a given version: the document in
    /// the language asked for (`lang`; one not offered, or not a language code, gets the
    /// default), whole or its first layer (`layer=banner`). The ETag names the content hash,
    /// the language and the layer; a matching `If-None-Match` is answered 304. A given version
    /// never changes, so it may be kept longer.
    ///
    /// # Errors
    /// 404 `unknown_site` / `policy_not_found`, then 400 `invalid_query` for an unknown `layer`;
    /// 503 when KV fails.
    pub async fn policy_answer(
        &self,
        site: &str,
        version: Option<u32>,
        lang: Option<&str>,
        layer: Option<&str>,
        if_none_match: Option<&str>,
    ) -> Result<PolicyReply, ApiError> {
        let stored = self.policy(site, version).await?;
        let requested = lang.filter(|l| check_language(l).is_ok());
        let layer = parse_layer(layer)?;
        let language = stored.policy.pick_language(requested).to_owned();
        let layer_tag = layer.map_or(String::new(), |l| format!("-{}", l.as_str()));
        let hash = stored.sha256.get(..ETAG_HASH_CHARS).unwrap_or_default();
        let etag = format!("\"{hash}-{language}{layer_tag}\"");
        let max_age = if version.is_some() { POLICY_VERSION_MAX_AGE_SECONDS } else { POLICY_MAX_AGE_SECONDS };
        let cache_control = format!("public, max-age={max_age}");
        if if_none_match == Some(etag.as_str()) {
            return Ok(PolicyReply::NotModified { etag, cache_control });
        }
        let body = Box::new(match layer {
            Some(_) => {
                PolicyBody::Banner(first_layer(&stored.policy, &stored.sha256, stored.last_material_version, &language))
            }
            None => PolicyBody::Full(PolicyAnswer {
                policy: stored.policy.localized(&language),
                sha256: stored.sha256,
                last_material_version: stored.last_material_version,
                language: language.clone(),
            }),
        });
        Ok(PolicyReply::Fresh { etag, cache_control, language, body })
    }

    /// The current policy's first layer in each of its languages (language → the body `GET
    /// …/policy?lang=…&layer=banner` answers), for the site's own loader (`site_loader`). Empty
    /// when the site has no policy yet.
    ///
    /// # Errors
    /// 404 `unknown_site`, 503 when KV fails.
    pub async fn first_layers(&self, site: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let stored = match self.policy(site, None).await {
            Ok(stored) => stored,
            Err(e) if e.code == ErrorCode::PolicyNotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e),
        };
        stored
            .policy
            .languages
            .iter()
            .map(|language| {
                let layer = PolicyBody::Banner(first_layer(
                    &stored.policy,
                    &stored.sha256,
                    stored.last_material_version,
                    language,
                ));
                Ok((language.clone(), layer.to_json().map_err(|_| ApiError::internal())?))
            })
            .collect()
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
