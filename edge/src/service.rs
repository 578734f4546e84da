//! The edge's logic over a [`Kv`] store: site configuration, policy publication and lookup,
//! receipt verification, countersigning and storage. No runtime types here: the routes hand in
//! bytes, headers and the clock; tests run it natively over [`MemoryKv`](crate::kv::MemoryKv).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::error::ValidationError;
use kelisim_core::limits::{MAX_ORIGINS, MAX_ORIGIN_CHARS, MAX_PAGE_LIMIT};
use kelisim_core::policy::Policy;
use kelisim_core::receipt::{Receipt, SignedReceipt, SubmitReceipt};

use crate::cors::is_valid_origin;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::keys;
use crate::kv::Kv;

/// KV list metadata is capped at 1024 bytes; summaries stay below with room to spare.
pub const MAX_SUMMARY_BYTES: usize = 1000;

/// A site's configuration, set by the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Origins whose pages may load the widget and post receipts.
    pub origins: Vec<String>,
}

impl SiteConfig {
    fn validate(&self) -> Result<(), ValidationError> {
        if self.origins.len() > MAX_ORIGINS {
            return Err(ValidationError::TooMany {
                field: "origins",
                max: MAX_ORIGINS,
            });
        }
        match self
            .origins
            .iter()
            .find(|o| o.len() > MAX_ORIGIN_CHARS || !is_valid_origin(o))
        {
            Some(bad) => Err(ValidationError::InvalidOrigin(
                bad.chars().take(80).collect(),
            )),
            None => Ok(()),
        }
    }
}

/// A published policy version with its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredPolicy {
    pub sha256: String,
    /// The newest version marked material up to this one: a widget whose stored choice is
    /// older asks again.
    pub last_material_version: u32,
    pub policy: Policy,
}

/// What an index entry carries as list metadata: enough to render a row and filter a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptSummary {
    pub id: String,
    pub subject: String,
    pub action: String,
    pub server_time: String,
    pub policy_version: u32,
    /// Granted category ids; `None` when the list did not fit the metadata cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied: Option<Vec<String>>,
}

impl ReceiptSummary {
    fn of(signed: &SignedReceipt) -> Self {
        let claims = &signed.receipt.claims;
        let ids = |want: Decision| {
            claims
                .decisions
                .iter()
                .filter(|(_, d)| **d == want)
                .map(|(k, _)| k.clone())
                .collect()
        };
        let full = Self {
            id: claims.id.clone(),
            subject: claims.subject.clone(),
            action: claims.action.as_str().to_owned(),
            server_time: signed.receipt.server_time.clone(),
            policy_version: claims.policy.version,
            granted: Some(ids(Decision::Granted)),
            denied: Some(ids(Decision::Denied)),
        };
        let fits = serde_json::to_string(&full).is_ok_and(|s| s.len() <= MAX_SUMMARY_BYTES);
        if fits {
            full
        } else {
            Self {
                granted: None,
                denied: None,
                ..full
            }
        }
    }
}

/// The outcome of a receipt submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub signed: SignedReceipt,
    /// The same receipt had been accepted before; nothing new was stored.
    pub replayed: bool,
}

/// A page of receipt summaries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceiptPage {
    pub receipts: Vec<ReceiptSummary>,
    pub cursor: Option<String>,
}

/// Parses a JSON body strictly into `T` (unknown fields, duplicate keys, wrong types, trailing
/// data and invalid UTF-8 are all refused).
///
/// # Errors
/// 400 `malformed_body`.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::malformed_body)
}

/// The edge's operations, over a store, a keyring and the current time.
pub struct Service<'a, K: Kv> {
    pub kv: &'a K,
    pub keys: &'a Keyring,
    pub now_ms: i64,
}

async fn get_json<K: Kv, T: DeserializeOwned>(kv: &K, key: &str) -> Result<Option<T>, ApiError> {
    match kv.get(key).await? {
        None => Ok(None),
        // A value we wrote that no longer parses is an internal fault, not the client's.
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| ApiError::internal()),
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|_| ApiError::internal())
}

impl<K: Kv> Service<'_, K> {
    /// Creates or replaces a site's configuration. Returns whether it was new.
    ///
    /// # Errors
    /// 400 for a malformed body, 422 for invalid origins, 503 when KV fails.
    pub async fn put_site(&self, site: &str, body: &[u8]) -> Result<bool, ApiError> {
        let config: SiteConfig = parse_json(body)?;
        config.validate()?;
        let existed = self.kv.get(&keys::site(site)).await?.is_some();
        self.kv
            .put(&keys::site(site), &to_json(&config)?, None)
            .await?;
        Ok(!existed)
    }

    /// A site's configuration.
    ///
    /// # Errors
    /// 404 `unknown_site`, 503 when KV fails.
    pub async fn site(&self, site: &str) -> Result<SiteConfig, ApiError> {
        get_json(self.kv, &keys::site(site))
            .await?
            .ok_or_else(ApiError::unknown_site)
    }

    /// The current policy, or a given version.
    ///
    /// # Errors
    /// 404 `unknown_site` / `policy_not_found`, 503 when KV fails.
    pub async fn policy(&self, site: &str, version: Option<u32>) -> Result<StoredPolicy, ApiError> {
        let key = version.map_or_else(
            || keys::current_policy(site),
            |v| keys::policy_version(site, v),
        );
        match get_json(self.kv, &key).await? {
            Some(stored) => Ok(stored),
            None => {
                self.site(site).await?;
                Err(ApiError::not_found(
                    "policy_not_found",
                    "no such policy version",
                ))
            }
        }
    }

    /// Publishes the next policy version: the body's `site` must be this site and its `version`
    /// the current one plus one (1 for the first). Older versions stay readable.
    ///
    /// # Errors
    /// 400 / 422 for an invalid document, 404 for an unknown site, 409 `policy_version_conflict`,
    /// 503 when KV fails.
    pub async fn publish_policy(&self, site: &str, body: &[u8]) -> Result<StoredPolicy, ApiError> {
        let policy: Policy = parse_json(body)?;
        policy.validate()?;
        if policy.site != site {
            return Err(ValidationError::SiteMismatch {
                expected: site.into(),
                found: policy.site,
            }
            .into());
        }
        self.site(site).await?;
        let current: Option<StoredPolicy> = get_json(self.kv, &keys::current_policy(site)).await?;
        let expected = current
            .as_ref()
            .map_or(1, |c| c.policy.version.saturating_add(1));
        if policy.version != expected {
            let err = ValidationError::PolicyVersionConflict {
                expected,
                found: policy.version,
            };
            return Err(ApiError::conflict(err.code(), err.to_string()));
        }
        let last_material_version = if policy.material || current.is_none() {
            policy.version
        } else {
            current
                .as_ref()
                .map_or(policy.version, |c| c.last_material_version)
        };
        let stored = StoredPolicy {
            sha256: policy.content_hash()?,
            last_material_version,
            policy,
        };
        let json = to_json(&stored)?;
        let meta = serde_json::json!({ "sha256": stored.sha256 });
        // The version key first: `current` never points at a version that is not stored.
        self.kv
            .put(
                &keys::policy_version(site, stored.policy.version),
                &json,
                Some(&meta),
            )
            .await?;
        self.kv
            .put(&keys::current_policy(site), &json, None)
            .await?;
        Ok(stored)
    }

    /// Verifies, countersigns and stores a receipt; a replay of an accepted one returns it again.
    ///
    /// # Errors
    /// 400 malformed body, 404 unknown site, 409 `receipt_conflict` (another receipt under this
    /// id), 422 for every validation failure, 503 when KV fails. Nothing is stored on error.
    pub async fn submit_receipt(&self, site: &str, body: &[u8]) -> Result<Submitted, ApiError> {
        let submit: SubmitReceipt = parse_json(body)?;
        let claims = &submit.claims;
        claims.validate_shape(site)?;
        let stored = match get_json::<K, StoredPolicy>(
            self.kv,
            &keys::policy_version(site, claims.policy.version),
        )
        .await?
        {
            Some(p) => p,
            None => return Err(ValidationError::PolicyVersionUnknown(claims.policy.version).into()),
        };
        if stored.sha256 != claims.policy.sha256 {
            return Err(ValidationError::PolicyHashMismatch(claims.policy.version).into());
        }
        claims.validate(site, &stored.policy, self.now_ms)?;
        claims.verify_visitor_signature(submit.visitor_signature.as_deref())?;

        let record_key = keys::receipt(site, &claims.id);
        if let Some(existing) = get_json::<K, SignedReceipt>(self.kv, &record_key).await? {
            if existing.receipt.claims != submit.claims
                || existing.receipt.visitor_signature != submit.visitor_signature
            {
                return Err(ApiError::conflict(
                    "receipt_conflict",
                    "another receipt was stored under this id",
                ));
            }
            // The record may have been written by an attempt whose index writes failed.
            self.write_indexes(&existing).await?;
            return Ok(Submitted {
                signed: existing,
                replayed: true,
            });
        }
        let signed = Receipt::accept(submit, self.now_ms)?.countersign(self.keys.current())?;
        // The record first, then the indexes: a failure in between leaves a record that a retry
        // (the widget's outbox resends until it gets a 201) re-indexes above.
        self.kv.put(&record_key, &to_json(&signed)?, None).await?;
        self.write_indexes(&signed).await?;
        Ok(Submitted {
            signed,
            replayed: false,
        })
    }

    async fn write_indexes(&self, signed: &SignedReceipt) -> Result<(), ApiError> {
        let claims = &signed.receipt.claims;
        let server_ms =
            kelisim_core::time::parse_millis("server_time", &signed.receipt.server_time)
                .map_err(|_| ApiError::internal())?;
        let meta =
            serde_json::to_value(ReceiptSummary::of(signed)).map_err(|_| ApiError::internal())?;
        let site = &claims.site;
        self.kv
            .put(
                &keys::time_index(site, server_ms, &claims.id),
                "",
                Some(&meta),
            )
            .await?;
        self.kv
            .put(
                &keys::subject_index(site, &claims.subject, server_ms, &claims.id),
                "",
                Some(&meta),
            )
            .await?;
        Ok(())
    }

    /// One stored receipt.
    ///
    /// # Errors
    /// 404 `receipt_not_found`, 503 when KV fails.
    pub async fn receipt(&self, site: &str, id: &str) -> Result<SignedReceipt, ApiError> {
        get_json(self.kv, &keys::receipt(site, id))
            .await?
            .ok_or_else(|| ApiError::not_found("receipt_not_found", "no such receipt"))
    }

    /// A page of a site's receipts (or one subject's), newest first: one KV list call.
    ///
    /// # Errors
    /// 400 for a bad limit, 503 when KV fails.
    pub async fn list_receipts(
        &self,
        site: &str,
        subject: Option<&str>,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<ReceiptPage, ApiError> {
        if limit == 0 || limit > MAX_PAGE_LIMIT {
            return Err(ApiError::bad_request(
                "invalid_limit",
                format!("limit must be 1 to {MAX_PAGE_LIMIT}"),
            ));
        }
        let prefix = subject.map_or_else(
            || keys::time_index_prefix(site),
            |s| keys::subject_index_prefix(site, s),
        );
        let page = self.kv.list(&prefix, limit, cursor).await?;
        let receipts = page
            .keys
            .into_iter()
            .filter_map(|k| {
                k.metadata
                    .and_then(|m: Value| serde_json::from_value(m).ok())
            })
            .collect();
        Ok(ReceiptPage {
            receipts,
            cursor: page.cursor,
        })
    }

    /// The canonical JSON of the JWKS.
    ///
    /// # Errors
    /// 500 if it cannot be serialised.
    pub fn jwks_json(&self) -> Result<String, ApiError> {
        to_canonical_string(&self.keys.jwks()).map_err(|_| ApiError::internal())
    }
}
