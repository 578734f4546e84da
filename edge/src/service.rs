//! The edge's logic over a [`Kv`] store: site configuration, policy publication and lookup,
//! receipt verification, countersigning and storage. No runtime types here: the routes hand in
//! bytes, headers and the clock; tests run it natively over [`MemoryKv`](crate::kv::MemoryKv).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use futures_util::future::{join3, try_join};

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::error::ValidationError;
use kelisim_core::id::{check_slug, is_subject_id, ulid_time_ms};
use kelisim_core::limits::{DEFAULT_PAGE_LIMIT, MAX_ORIGINS, MAX_PAGE_LIMIT};
use kelisim_core::origin::normalize_origin;
use kelisim_core::policy::Policy;
use kelisim_core::policy_change::check_successor;
use kelisim_core::receipt::{Receipt, SignedReceipt, SubmitReceipt};
use kelisim_core::sign::{b64url_encode, JwsHeader};
use kelisim_core::time::{format_millis, parse_millis};

use crate::auth::{
    bearer, check_token, is_admin, require_admin, token_digest, CreateToken, Principal, TokenRecord,
    MAX_TOKEN_LABEL_CHARS,
};
use crate::cache::IsolateCache;
use crate::error::ApiError;
use crate::keyring::Keyring;
use crate::keys;
use crate::kv::{Kv, ListedKey};
use crate::router::Access;
use crate::tombstone::{self, SubjectTombstone};

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
    /// Checks the origins and puts each in the form a browser sends (lower-case host, no default
    /// port), dropping duplicates that normalising reveals.
    fn validate(&mut self) -> Result<(), ValidationError> {
        if self.origins.len() > MAX_ORIGINS {
            return Err(ValidationError::TooMany { field: "origins", max: MAX_ORIGINS });
        }
        let mut normal = Vec::with_capacity(self.origins.len());
        for origin in &self.origins {
            let origin = normalize_origin(origin)?;
            if !normal.contains(&origin) {
                normal.push(origin);
            }
        }
        self.origins = normal;
        Ok(())
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
    /// The receipt's hash (SHA-256 of its canonical claims): lets a chain be checked from a listing.
    #[serde(default)]
    pub hash: String,
    /// The `prev` the receipt names (the subject's previous receipt's hash), if any: the chain
    /// link that orders a subject's receipts whatever their arrival order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    pub subject: String,
    pub action: String,
    pub server_time: String,
    pub policy_version: u32,
    /// Whether the visitor's browser signed the receipt.
    #[serde(default)]
    pub visitor_signed: bool,
    /// Granted category ids; `None` when the list did not fit the metadata cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied: Option<Vec<String>>,
}

impl ReceiptSummary {
    fn of(signed: &SignedReceipt) -> Self {
        let claims = &signed.receipt.claims;
        let ids =
            |want: Decision| claims.decisions.iter().filter(|(_, d)| **d == want).map(|(k, _)| k.clone()).collect();
        let full = Self {
            id: claims.id.clone(),
            hash: signed.receipt.hash.clone(),
            prev: claims.prev.clone(),
            subject: claims.subject.clone(),
            action: claims.action.as_str().to_owned(),
            server_time: signed.receipt.server_time.clone(),
            policy_version: claims.policy.version,
            visitor_signed: signed.receipt.visitor_signature.is_some(),
            granted: Some(ids(Decision::Granted)),
            denied: Some(ids(Decision::Denied)),
        };
        let fits = serde_json::to_string(&full).is_ok_and(|s| s.len() <= MAX_SUMMARY_BYTES);
        if fits {
            full
        } else {
            Self { granted: None, denied: None, ..full }
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

/// A submission that passed every check of [`Service::check_receipt`]; storing it is what is left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReceipt {
    submit: SubmitReceipt,
    /// The same receipt, already stored (a replay).
    existing: Option<SignedReceipt>,
    record_key: String,
}

impl CheckedReceipt {
    /// The subject the receipt is for: proven by its signature when it has one.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.submit.claims.subject
    }
}

/// After an erasure, the subject's erased history cannot come back: a receipt minted (by its id's
/// time) at or before the erasure is refused, and an unsigned receipt cannot take over an id
/// whose erased receipts were signed.
fn refuse_erased(tomb: &SubjectTombstone, submit: &SubmitReceipt) -> Result<(), ApiError> {
    if tomb.subject_signed && submit.claims.subject_key.is_none() {
        return Err(ApiError::conflict("subject_requires_signature", "this subject's receipts are signed by its key"));
    }
    let minted = ulid_time_ms(&submit.claims.id).and_then(|t| i64::try_from(t).ok());
    if minted.is_none_or(|t| t <= tomb.erased_at_ms) {
        return Err(ApiError::receipt_erased());
    }
    Ok(())
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

/// The edge's operations, over a store, a keyring, the isolate's cache and the current time.
pub struct Service<'a, K: Kv> {
    pub kv: &'a K,
    pub keys: &'a Keyring,
    pub cache: &'a IsolateCache,
    pub now_ms: i64,
}

pub(crate) async fn get_json<K: Kv, T: DeserializeOwned>(kv: &K, key: &str) -> Result<Option<T>, ApiError> {
    match kv.get(key).await? {
        None => Ok(None),
        // A value we wrote that no longer parses is an internal fault, not the client's.
        Some(text) => serde_json::from_str(&text).map(Some).map_err(|_| ApiError::internal()),
    }
}

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|_| ApiError::internal())
}

impl<K: Kv> Service<'_, K> {
    /// Creates or replaces a site's configuration. Returns whether it was new.
    ///
    /// # Errors
    /// 400 for a malformed body, 422 for invalid origins, 503 when KV fails.
    pub async fn put_site(&self, site: &str, body: &[u8]) -> Result<bool, ApiError> {
        let mut config: SiteConfig = parse_json(body)?;
        config.validate()?;
        let existed = self.kv.get(&keys::site(site)).await?.is_some();
        self.kv.put(&keys::site(site), &to_json(&config)?, None).await?;
        self.cache.keep_site(site, Rc::new(config), self.now_ms);
        Ok(!existed)
    }

    /// A site's configuration (from the isolate's cache when read moments ago).
    ///
    /// # Errors
    /// 404 `unknown_site`, 503 when KV fails.
    pub async fn site(&self, site: &str) -> Result<Rc<SiteConfig>, ApiError> {
        if let Some(config) = self.cache.site(site, self.now_ms) {
            return Ok(config);
        }
        let config: Rc<SiteConfig> =
            Rc::new(get_json(self.kv, &keys::site(site)).await?.ok_or_else(ApiError::unknown_site)?);
        self.cache.keep_site(site, config.clone(), self.now_ms);
        Ok(config)
    }

    /// A published policy version (write-once, so kept in the isolate's cache once read).
    async fn policy_version(&self, site: &str, version: u32) -> Result<Option<Rc<StoredPolicy>>, ApiError> {
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
                Err(ApiError::not_found("policy_not_found", "no such policy version"))
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
            return Err(ApiError::conflict(err.code(), err.to_string()));
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
        let meta = serde_json::json!({
            "version": stored.policy.version,
            "sha256": stored.sha256,
            "effective_date": stored.policy.effective_date,
            "material": stored.policy.material,
        });
        // The version key first: `current` never points at a version that is not stored.
        self.kv.put(&keys::policy_version(site, stored.policy.version), &json, Some(&meta)).await?;
        self.kv.put(&keys::current_policy(site), &json, None).await?;
        Ok(stored)
    }

    /// Verifies, countersigns and stores a receipt; a replay of an accepted one returns it again.
    ///
    /// # Errors
    /// 400 malformed body, 404 unknown site, 409 `receipt_conflict` (another receipt under this
    /// id) or `subject_requires_signature`, 410 `receipt_erased`, 422 for every validation
    /// failure, 503 when KV fails. Nothing is stored on error.
    pub async fn submit_receipt(&self, site: &str, body: &[u8]) -> Result<Submitted, ApiError> {
        self.submit_parsed(site, parse_json(body)?).await
    }

    /// [`Service::submit_receipt`] for an already parsed body: [`Service::check_receipt`] then
    /// [`Service::store_receipt`] (the routes charge rate limits between the two).
    ///
    /// # Errors
    /// As [`Service::submit_receipt`].
    pub async fn submit_parsed(&self, site: &str, submit: SubmitReceipt) -> Result<Submitted, ApiError> {
        let checked = self.check_receipt(site, submit).await?;
        self.store_receipt(checked).await
    }

    /// Every check of a submission, writing nothing: shape, the policy version it names, the
    /// clock, the visitor's signature, then (one round of parallel reads) an unsigned takeover,
    /// the subject's erasure tombstone and an earlier receipt under the same id. What passes is
    /// a receipt the edge will store, so only it may spend a site's or a subject's budget.
    ///
    /// # Errors
    /// As [`Service::submit_receipt`].
    pub async fn check_receipt(&self, site: &str, submit: SubmitReceipt) -> Result<CheckedReceipt, ApiError> {
        let claims = &submit.claims;
        claims.validate_shape(site)?;
        // The policy version usually comes from the isolate's cache; a receipt that fails on it,
        // on the clock or on its signature costs no further read.
        let stored = self
            .policy_version(site, claims.policy.version)
            .await?
            .ok_or(ValidationError::PolicyVersionUnknown(claims.policy.version))?;
        if stored.sha256 != claims.policy.sha256 {
            return Err(ValidationError::PolicyHashMismatch(claims.policy.version).into());
        }
        claims.validate(site, &stored.policy, self.now_ms)?;
        claims.verify_visitor_signature(submit.visitor_signature.as_deref())?;

        let record_key = keys::receipt(site, &claims.id);
        let (takeover, tomb, existing) = join3(
            async {
                match claims.subject_key {
                    None => self.refuse_unsigned_takeover(site, &claims.subject).await,
                    Some(_) => Ok(()),
                }
            },
            get_json::<K, SubjectTombstone>(self.kv, &tombstone::key(site, &claims.subject)),
            get_json::<K, SignedReceipt>(self.kv, &record_key),
        )
        .await;
        takeover?;
        if let Some(tomb) = tomb? {
            refuse_erased(&tomb, &submit)?;
        }
        let existing = existing?;
        if let Some(existing) = &existing {
            if existing.receipt.claims != submit.claims
                || existing.receipt.visitor_signature != submit.visitor_signature
            {
                return Err(ApiError::conflict("receipt_conflict", "another receipt was stored under this id"));
            }
        }
        Ok(CheckedReceipt { submit, existing, record_key })
    }

    /// Stores a checked receipt: countersigns and writes it with its indexes, or for a replay
    /// returns the stored one (re-writing its indexes, which an earlier attempt may have missed).
    ///
    /// # Errors
    /// 503 when KV fails; nothing is left half-visible (a retry repairs the indexes).
    pub async fn store_receipt(&self, checked: CheckedReceipt) -> Result<Submitted, ApiError> {
        let CheckedReceipt { submit, existing, record_key } = checked;
        if let Some(existing) = existing {
            self.write_indexes(&existing).await?;
            return Ok(Submitted { signed: existing, replayed: true });
        }
        if !self.keys.can_sign_at(self.now_ms) {
            // A countersignature before the key's period would never verify: refuse to store it.
            return Err(ApiError::internal());
        }
        let signed = Receipt::accept(submit, self.now_ms)?.countersign(self.keys.current())?;
        // The record first, then the indexes: a failure in between leaves a record that a retry
        // (the widget's outbox resends until it gets a 201) re-indexes above.
        self.kv.put(&record_key, &to_json(&signed)?, None).await?;
        self.write_indexes(&signed).await?;
        Ok(Submitted { signed, replayed: false })
    }

    /// An unsigned receipt names its subject without proof. Once a subject has signed receipts
    /// (its id is a key's thumbprint), an unsigned one could overwrite that visitor's current
    /// state, so it is refused; the newest entry is enough, as no unsigned one can follow a signed.
    async fn refuse_unsigned_takeover(&self, site: &str, subject: &str) -> Result<(), ApiError> {
        let page = self.kv.list(&keys::subject_index_prefix(site, subject), 1, None).await?;
        let newest_signed = page
            .keys
            .first()
            .and_then(|k| k.metadata.clone())
            .and_then(|m| serde_json::from_value::<ReceiptSummary>(m).ok())
            .is_some_and(|s| s.visitor_signed);
        if newest_signed {
            Err(ApiError::conflict("subject_requires_signature", "this subject's receipts are signed by its key"))
        } else {
            Ok(())
        }
    }

    async fn write_indexes(&self, signed: &SignedReceipt) -> Result<(), ApiError> {
        let claims = &signed.receipt.claims;
        let server_ms = kelisim_core::time::parse_millis("server_time", &signed.receipt.server_time)
            .map_err(|_| ApiError::internal())?;
        let meta = serde_json::to_value(ReceiptSummary::of(signed)).map_err(|_| ApiError::internal())?;
        let site = &claims.site;
        // Both entries at once: the record is already stored, and each entry alone finds it.
        try_join(
            self.kv.put(&keys::time_index(site, server_ms, &claims.id), "", Some(&meta)),
            self.kv.put(&keys::subject_index(site, &claims.subject, server_ms, &claims.id), "", Some(&meta)),
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

    /// A page of a site's receipts, newest first, filtered by `query`: one KV list call.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn list_receipts(&self, site: &str, query: &ReceiptQuery) -> Result<ReceiptPage, ApiError> {
        let base = query
            .subject
            .as_deref()
            .map_or_else(|| keys::time_index_prefix(site), |s| keys::subject_index_prefix(site, s));
        let narrowed = match (query.from_ms, query.to_ms) {
            (Some(from), Some(to)) if to > from => keys::rev_range_prefix(from, to - 1),
            _ => String::new(),
        };
        let page = self.kv.list(&format!("{base}{narrowed}"), query.limit, query.cursor.as_deref()).await?;
        let mut receipts = Vec::new();
        let mut cursor = page.cursor;
        for key in page.keys {
            let time = key.name.rsplit('/').nth(1).and_then(keys::from_rev_ms);
            if let (Some(t), Some(from)) = (time, query.from_ms) {
                if t < from {
                    cursor = None; // newest first: everything after this is older still
                    break;
                }
            }
            if let (Some(t), Some(to)) = (time, query.to_ms) {
                if t >= to {
                    continue;
                }
            }
            let Some(summary) = key.metadata.and_then(|m: Value| serde_json::from_value::<ReceiptSummary>(m).ok())
            else {
                continue;
            };
            if query.matches(&summary) {
                receipts.push(summary);
            }
        }
        Ok(ReceiptPage { receipts, cursor })
    }

    /// Every key under `prefix`, in key order, reading at most `max_pages` pages.
    async fn list_keys(&self, prefix: &str, max_pages: usize) -> Result<Vec<ListedKey>, ApiError> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..max_pages {
            let page = self.kv.list(prefix, MAX_PAGE_LIMIT, cursor.as_deref()).await?;
            all.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        Ok(all)
    }

    /// Every index entry of a subject, newest first (bounded by [`MAX_SUBJECT_PAGES`] pages).
    async fn subject_summaries(&self, site: &str, subject: &str) -> Result<Vec<ReceiptSummary>, ApiError> {
        let mut query =
            ReceiptQuery { subject: Some(subject.to_owned()), limit: MAX_PAGE_LIMIT, ..ReceiptQuery::default() };
        let mut all = Vec::new();
        for _ in 0..MAX_SUBJECT_PAGES {
            let page = self.list_receipts(site, &query).await?;
            all.extend(page.receipts);
            match page.cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        Ok(all)
    }

    /// A subject's current consent state and full history. The current receipt is the newest of
    /// the subject's `prev` chain, not the last to arrive (see [`chain`](crate::chain)); forks
    /// are kept and listed.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn subject(&self, site: &str, subject: &str) -> Result<SubjectView, ApiError> {
        let receipts = self.subject_summaries(site, subject).await?;
        let chain = crate::chain::follow(&receipts);
        let state = match chain.current.and_then(|i| receipts.get(i)) {
            None => None,
            Some(current) => {
                let decisions = match (&current.granted, &current.denied) {
                    (Some(g), Some(d)) => g
                        .iter()
                        .map(|c| (c.clone(), Decision::Granted))
                        .chain(d.iter().map(|c| (c.clone(), Decision::Denied)))
                        .collect(),
                    _ => self.receipt(site, &current.id).await?.receipt.claims.decisions,
                };
                Some(SubjectState {
                    receipt_id: current.id.clone(),
                    server_time: current.server_time.clone(),
                    policy_version: current.policy_version,
                    action: current.action.clone(),
                    decisions,
                    decided_by: if chain.ambiguous { DecidedBy::Arrival } else { DecidedBy::Chain },
                })
            }
        };
        Ok(SubjectView {
            subject: subject.to_owned(),
            state,
            fork: !chain.forks.is_empty(),
            forks: chain.forks,
            receipts,
        })
    }

    /// Whether the receipt a chain link names is held for the same subject.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn chain_link(&self, signed: &SignedReceipt) -> Result<Option<bool>, ApiError> {
        let claims = &signed.receipt.claims;
        let Some(prev) = &claims.prev else { return Ok(None) };
        let history = self.subject_summaries(&claims.site, &claims.subject).await?;
        Ok(Some(history.iter().any(|s| &s.hash == prev)))
    }

    /// A page of a site's erasure records, newest first: one list of at most
    /// [`ERASURES_PER_PAGE`] keys and a get per record, then `cursor` for the next page.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn erasures(&self, site: &str, cursor: Option<&str>) -> Result<ErasurePage, ApiError> {
        let page = self.kv.list(&keys::erasure_prefix(site), ERASURES_PER_PAGE, cursor).await?;
        let mut erasures = Vec::new();
        for key in page.keys {
            if let Some(record) = get_json(self.kv, &key.name).await? {
                erasures.push(record);
            }
        }
        Ok(ErasurePage { erasures, cursor: page.cursor })
    }

    /// Opt-in counts per category and day over `[from_day, to_day]`, computed from the time
    /// index's list metadata (no counters, so no read-modify-write on hot keys).
    ///
    /// # Errors
    /// 400 for bad dates or a range over [`MAX_STATS_DAYS`], 503 when KV fails.
    pub async fn stats(&self, site: &str, from_day: &str, to_day: &str) -> Result<StatsView, ApiError> {
        let bad = |_| ApiError::bad_request("invalid_range", "from and to must be dates YYYY-MM-DD");
        let from_ms = parse_millis("from", &format!("{from_day}T00:00:00.000Z")).map_err(bad)?;
        let to_ms = parse_millis("to", &format!("{to_day}T00:00:00.000Z")).map_err(bad)? + DAY_MS;
        if to_ms <= from_ms || (to_ms - from_ms) / DAY_MS > MAX_STATS_DAYS {
            return Err(ApiError::bad_request(
                "invalid_range",
                format!("the range must be 1 to {MAX_STATS_DAYS} days"),
            ));
        }
        let mut days: BTreeMap<String, DayStats> = BTreeMap::new();
        let mut query = ReceiptQuery {
            from_ms: Some(from_ms),
            to_ms: Some(to_ms),
            limit: MAX_PAGE_LIMIT,
            ..ReceiptQuery::default()
        };
        let mut truncated = true;
        for _ in 0..MAX_STATS_PAGES {
            let page = self.list_receipts(site, &query).await?;
            for summary in &page.receipts {
                let day = days.entry(summary.server_time.chars().take(10).collect()).or_default();
                day.total += 1;
                for (ids, granted) in [(&summary.granted, true), (&summary.denied, false)] {
                    for id in ids.iter().flatten() {
                        let counts = day.categories.entry(id.clone()).or_default();
                        if granted {
                            counts.granted += 1
                        } else {
                            counts.denied += 1
                        }
                    }
                }
            }
            match page.cursor {
                Some(c) => query.cursor = Some(c),
                None => {
                    truncated = false;
                    break;
                }
            }
        }
        let categories: BTreeSet<String> = days.values().flat_map(|d| d.categories.keys().cloned()).collect();
        let days = days
            .into_iter()
            .map(|(day, mut stats)| {
                for id in &categories {
                    let total = stats.total;
                    let c = stats.categories.entry(id.clone()).or_default();
                    c.no_choice = total - c.granted - c.denied;
                }
                DayView { day, total: stats.total, categories: stats.categories }
            })
            .collect();
        Ok(StatsView { from: from_day.to_owned(), to: to_day.to_owned(), days, truncated })
    }

    /// The published policy versions, newest first, from one list call's metadata.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn policy_versions(&self, site: &str) -> Result<Vec<Value>, ApiError> {
        let keys = self.list_keys(&keys::policy_version_prefix(site), MAX_LISTING_PAGES).await?;
        Ok(keys.into_iter().rev().filter_map(|k| k.metadata).collect())
    }

    /// Creates a site token with `random` as its secret part. Returns the record and the token.
    ///
    /// # Errors
    /// 400 / 422 for a bad body, 404 for an unknown site, 503 when KV fails.
    pub async fn create_token(
        &self,
        site: &str,
        body: &[u8],
        random: [u8; 32],
    ) -> Result<(TokenRecord, String), ApiError> {
        let request: CreateToken = parse_json(body)?;
        if request.scopes.is_empty() {
            return Err(ValidationError::Empty { field: "scopes" }.into());
        }
        if request.label.chars().count() > MAX_TOKEN_LABEL_CHARS {
            return Err(ValidationError::TooLong { field: "label", max: MAX_TOKEN_LABEL_CHARS }.into());
        }
        self.site(site).await?;
        let token = format!("kls_{}", b64url_encode(&random));
        let (id, sha256) = token_digest(&token);
        let mut scopes = request.scopes;
        scopes.sort();
        scopes.dedup();
        let record = TokenRecord {
            id,
            site: site.to_owned(),
            scopes,
            label: request.label,
            created: format_millis(self.now_ms),
            sha256,
        };
        let listed = serde_json::to_value(TokenRecord { sha256: String::new(), ..record.clone() })
            .map_err(|_| ApiError::internal())?;
        self.kv.put(&keys::token(&record.id), &to_json(&record)?, Some(&listed)).await?;
        Ok((record, token))
    }

    /// The stored record of a presented token, if any.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn token_record(&self, token: &str) -> Result<Option<TokenRecord>, ApiError> {
        get_json(self.kv, &keys::token(&token_digest(token).0)).await
    }

    /// Who the caller is, for a route with `access` on `site`: `None` on a public route, else the
    /// admin or the site token's record. The one decision every operator route goes through.
    ///
    /// # Errors
    /// 401 for no, a malformed or an unknown token (and for a site token on an admin route);
    /// 403 for a site token of another site or without the scope; 503 when KV fails.
    pub async fn authorize(
        &self,
        access: Access,
        site: Option<&str>,
        authorization: Option<&str>,
        admin_token: &str,
    ) -> Result<Option<Principal>, ApiError> {
        let scope = match access {
            Access::Public => return Ok(None),
            Access::Admin => return require_admin(authorization, admin_token).map(Some),
            Access::Scoped(_) if is_admin(authorization, admin_token) => return Ok(Some(Principal::Admin)),
            Access::Scoped(scope) => scope,
        };
        let token = bearer(authorization).ok_or_else(ApiError::unauthorized)?;
        let record = self.token_record(token).await?;
        check_token(record, token, site.unwrap_or_default(), scope).map(Some)
    }

    /// A site's tokens (without digests).
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn tokens(&self, site: &str) -> Result<Vec<TokenRecord>, ApiError> {
        // Tokens are keyed by id for the lookup on every request, so a site's are found by reading
        // them all: few, even across many sites.
        Ok(self
            .list_keys(keys::TOKEN_PREFIX, MAX_LISTING_PAGES)
            .await?
            .into_iter()
            .filter_map(|k| k.metadata.and_then(|m| serde_json::from_value::<TokenRecord>(m).ok()))
            .filter(|t| t.site == site)
            .collect())
    }

    /// Revokes a site token.
    ///
    /// # Errors
    /// 404 `token_not_found`, 503 when KV fails.
    pub async fn revoke_token(&self, site: &str, id: &str) -> Result<(), ApiError> {
        match get_json::<K, TokenRecord>(self.kv, &keys::token(id)).await? {
            Some(record) if record.site == site => Ok(self.kv.delete(&keys::token(id)).await?),
            _ => Err(ApiError::not_found("token_not_found", "no such token for this site")),
        }
    }

    /// One export chunk: the full receipts of one index page of at most [`MAX_EXPORT_PAGE`]
    /// entries (one list, then a get per entry: within one request's KV operations), formatted,
    /// and the cursor where the next chunk starts (`None` after the last). The cursor is the one a
    /// listing with the same filters and `limit` answers.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn export_chunk(
        &self,
        site: &str,
        query: &ReceiptQuery,
        format: ExportFormat,
    ) -> Result<(String, Option<String>), ApiError> {
        let query = ReceiptQuery { limit: query.limit.min(MAX_EXPORT_PAGE), ..query.clone() };
        let page = self.list_receipts(site, &query).await?;
        let mut out = String::new();
        for summary in &page.receipts {
            // An entry whose record was erased between list and get is skipped.
            if let Some(signed) = get_json::<K, SignedReceipt>(self.kv, &keys::receipt(site, &summary.id)).await? {
                match format {
                    ExportFormat::Ndjson => {
                        out.push_str(&to_json(&signed)?);
                        out.push('\n');
                    }
                    ExportFormat::Csv => out.push_str(&csv_row(&signed)),
                }
            }
        }
        Ok((out, page.cursor))
    }

    /// The canonical JSON of the JWKS.
    ///
    /// # Errors
    /// 500 if it cannot be serialised.
    pub fn jwks_json(&self) -> Result<String, ApiError> {
        to_canonical_string(&self.keys.jwks()).map_err(|_| ApiError::internal())
    }
}

/// Index entries one export request reads at most: one list and a get per entry, plus the
/// route's own reads (token, site), stay under [`MAX_KV_OPS_PER_REQUEST`](crate::kv::MAX_KV_OPS_PER_REQUEST).
pub const MAX_EXPORT_PAGE: usize = 900;
/// The response header that carries the cursor of an export's next chunk (absent after the last).
pub const NEXT_CURSOR_HEADER: &str = "Kelisim-Next-Cursor";
/// The same cursor also ends the body, as one last line starting with this (for clients that
/// cannot read headers; it is neither JSON nor a CSV row, so it is never taken for a record).
pub const NEXT_CURSOR_LINE: &str = "kelisim-next-cursor: ";

/// The line that ends an export chunk after which more remains.
#[must_use]
pub fn next_cursor_line(cursor: &str) -> String {
    format!("{NEXT_CURSOR_LINE}{cursor}\n")
}

/// Parses an export's query: the listing filters, `format` (`ndjson` or `csv`), `cursor`, and
/// `limit` (index entries per chunk, 1 to [`MAX_EXPORT_PAGE`], which is also the default).
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_export_query<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(ReceiptQuery, ExportFormat), ApiError> {
    let mut format = ExportFormat::Ndjson;
    let mut limit = None;
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name {
            "format" => {
                format = match value {
                    "ndjson" => ExportFormat::Ndjson,
                    "csv" => ExportFormat::Csv,
                    _ => return Err(ApiError::bad_request("invalid_query", "format: ndjson or csv")),
                }
            }
            "limit" => {
                limit =
                    Some(value.parse::<usize>().ok().filter(|l| (1..=MAX_EXPORT_PAGE).contains(l)).ok_or_else(
                        || ApiError::bad_request("invalid_query", format!("limit: 1 to {MAX_EXPORT_PAGE}")),
                    )?);
            }
            _ => rest.push((name, value)),
        }
    }
    let mut query = ReceiptQuery::parse(rest)?;
    query.limit = limit.unwrap_or(MAX_EXPORT_PAGE);
    Ok((query, format))
}

/// Pages of a subject's index read at most (1000 receipts a page: far beyond one browser's).
pub const MAX_SUBJECT_PAGES: usize = 20;
/// Pages read at most for a listing of tokens or policy versions (20 000 entries: far beyond any
/// deployment's tokens, or a site's versions).
pub const MAX_LISTING_PAGES: usize = 20;
/// Pages read at most for one statistics answer (20 000 receipts); beyond, `truncated` is set.
pub const MAX_STATS_PAGES: usize = 20;
/// Longest statistics range in days.
pub const MAX_STATS_DAYS: i64 = 366;
/// Longest cursor accepted back from a client (KV cursors are a few hundred characters).
pub const MAX_CURSOR_CHARS: usize = 2_048;
const DAY_MS: i64 = 86_400_000;

/// `typ` of the edge's signature over an erasure record.
pub const ERASURE_JWS_TYP: &str = "kelisim-erasure+jws";

/// Filters of a receipt listing, parsed from the query string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptQuery {
    /// Inclusive lower bound on server time (ms).
    pub from_ms: Option<i64>,
    /// Exclusive upper bound on server time (ms).
    pub to_ms: Option<i64>,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub decision: Option<Decision>,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl Default for ReceiptQuery {
    fn default() -> Self {
        Self {
            from_ms: None,
            to_ms: None,
            subject: None,
            category: None,
            decision: None,
            limit: DEFAULT_PAGE_LIMIT,
            cursor: None,
        }
    }
}

impl ReceiptQuery {
    /// Parses `from`, `to`, `subject`, `category`, `decision`, `limit`, `cursor`; unknown
    /// parameters are refused so a typo never silently widens a query.
    ///
    /// # Errors
    /// 400 `invalid_query` naming the parameter.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, ApiError> {
        let bad = |name: &str, why: &str| ApiError::bad_request("invalid_query", format!("{name}: {why}"));
        let mut q = Self::default();
        for (name, value) in pairs {
            match name {
                "from" => {
                    q.from_ms =
                        Some(parse_millis("from", value).map_err(|_| bad(name, "expected YYYY-MM-DDTHH:MM:SS.sssZ"))?)
                }
                "to" => {
                    q.to_ms =
                        Some(parse_millis("to", value).map_err(|_| bad(name, "expected YYYY-MM-DDTHH:MM:SS.sssZ"))?)
                }
                "subject" if is_subject_id(value) => q.subject = Some(value.to_owned()),
                "category" if check_slug("category", value).is_ok() => q.category = Some(value.to_owned()),
                "decision" => {
                    q.decision = Some(match value {
                        "granted" => Decision::Granted,
                        "denied" => Decision::Denied,
                        _ => return Err(bad(name, "granted or denied")),
                    });
                }
                "limit" => {
                    q.limit = value
                        .parse()
                        .ok()
                        .filter(|l| (1..=MAX_PAGE_LIMIT).contains(l))
                        .ok_or_else(|| bad(name, "1 to 1000"))?;
                }
                "cursor" if !value.is_empty() && value.len() <= MAX_CURSOR_CHARS => q.cursor = Some(value.to_owned()),
                "subject" | "category" | "cursor" => return Err(bad(name, "malformed")),
                _ => return Err(bad(name, "unknown parameter")),
            }
        }
        if q.decision.is_some() && q.category.is_none() {
            return Err(bad("decision", "needs a category"));
        }
        Ok(q)
    }

    /// Whether a summary passes the category/decision filter. A summary whose lists did not
    /// fit the metadata cap is kept (the caller can open the receipt).
    #[must_use]
    pub fn matches(&self, summary: &ReceiptSummary) -> bool {
        let Some(category) = &self.category else { return true };
        let in_list = |list: &Option<Vec<String>>| list.as_ref().map(|l| l.contains(category));
        match self.decision {
            Some(Decision::Granted) => in_list(&summary.granted).unwrap_or(true),
            Some(Decision::Denied) => in_list(&summary.denied).unwrap_or(true),
            None => in_list(&summary.granted).unwrap_or(true) || in_list(&summary.denied).unwrap_or(true),
        }
    }
}

/// What chose a subject's current receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// Every other receipt of the subject is an ancestor of the current one.
    Chain,
    /// The chain forks (or there are separate chains): of its tips, the last to arrive is current.
    Arrival,
}

/// A subject's consent state: the decisions of the newest receipt of its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectState {
    pub receipt_id: String,
    pub server_time: String,
    pub policy_version: u32,
    pub action: String,
    pub decisions: BTreeMap<String, Decision>,
    pub decided_by: DecidedBy,
}

/// A subject's state and history (newest arrival first), with the forks of its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectView {
    pub subject: String,
    pub state: Option<SubjectState>,
    /// Whether two receipts of the subject name the same `prev`.
    pub fork: bool,
    pub forks: Vec<crate::chain::Fork>,
    pub receipts: Vec<ReceiptSummary>,
}

/// The auditable trace of an erasure: who asked, when, which receipts went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    pub id: String,
    pub site: String,
    pub subject_sha256: String,
    pub requested_by: String,
    pub time: String,
    pub receipt_ids: Vec<String>,
}

/// Erasure records per page of the listing: one list and a get each, far under a request's KV
/// operations, and a page of records with up to thousands of receipt ids each stays a few MB.
pub const ERASURES_PER_PAGE: usize = 100;

/// A page of erasure records, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErasurePage {
    pub erasures: Vec<SignedErasure>,
    /// Where the next page starts (pass as `cursor`); null on the last page.
    pub cursor: Option<String>,
}

/// An erasure record with the edge's JWS over its canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedErasure {
    pub erasure: Erasure,
    pub jws: String,
}

/// Counts for one category on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CategoryCounts {
    pub granted: u64,
    pub denied: u64,
    pub no_choice: u64,
}

#[derive(Debug, Default)]
struct DayStats {
    total: u64,
    categories: BTreeMap<String, CategoryCounts>,
}

/// One day of statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayView {
    pub day: String,
    pub total: u64,
    pub categories: BTreeMap<String, CategoryCounts>,
}

/// Opt-in statistics over a range of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatsView {
    pub from: String,
    pub to: String,
    pub days: Vec<DayView>,
    /// More receipts than [`MAX_STATS_PAGES`] pages fell in the range; counts are partial.
    pub truncated: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Ndjson,
    Csv,
}

/// The CSV header line of an export.
pub const CSV_HEADER: &str =
    "id,server_time,client_time,subject,action,policy_version,policy_sha256,language,gpc,granted,denied,visitor_signed,hash,prev,kid\n";

/// A CSV field as is, quoted when it holds a separator. For identifier, hash, time, number and
/// enum columns: their values are validated to safe alphabets, and are never altered (a subject id
/// is base64url and may start with `-`).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A free-text CSV field: a value a spreadsheet would read as a formula (starting with `=`, `+`,
/// `-`, `@`, tab or CR) is prefixed with `'` (CSV injection), then quoted as needed.
fn csv_text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{value}"))
    } else {
        csv_field(value)
    }
}

/// One receipt as a CSV line.
#[must_use]
pub fn csv_row(signed: &SignedReceipt) -> String {
    let r = &signed.receipt;
    let c = &r.claims;
    let ids = |want: Decision| {
        c.decisions.iter().filter(|(_, d)| **d == want).map(|(k, _)| k.as_str()).collect::<Vec<_>>().join("|")
    };
    let kid = signed
        .jws
        .split('.')
        .next()
        .and_then(|h| kelisim_core::sign::b64url_decode(h).ok())
        .and_then(|h| serde_json::from_slice::<JwsHeader>(&h).ok())
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let fields = [
        c.id.clone(),
        r.server_time.clone(),
        c.client_time.clone(),
        c.subject.clone(),
        c.action.as_str().to_owned(),
        c.policy.version.to_string(),
        c.policy.sha256.clone(),
        c.policy.language.clone(),
        c.gpc.to_string(),
        ids(Decision::Granted),
        ids(Decision::Denied),
        r.visitor_signature.is_some().to_string(),
        r.hash.clone(),
        c.prev.clone().unwrap_or_default(),
    ];
    // Every column but the edge's key id is an identifier, hash, time, number or enum; the key id
    // comes from the deployment's configuration, so it is treated as free text.
    let mut line = fields.iter().map(|f| csv_field(f)).chain([csv_text(&kid)]).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_strictly() {
        let q = ReceiptQuery::parse([
            ("from", "2026-11-01T00:00:00.000Z"),
            ("category", "analytics"),
            ("decision", "granted"),
            ("limit", "5"),
        ])
        .unwrap();
        assert_eq!((q.limit, q.decision, q.category.as_deref()), (5, Some(Decision::Granted), Some("analytics")));
        for bad in [
            vec![("limit", "0")],
            vec![("limit", "1001")],
            vec![("from", "yesterday")],
            vec![("decision", "granted")],
            vec![("category", "../x"), ("decision", "denied")],
            vec![("subject", "short")],
            vec![("colour", "red")],
        ] {
            assert_eq!(ReceiptQuery::parse(bad.clone()).unwrap_err().code, "invalid_query", "{bad:?}");
        }
    }

    #[test]
    fn csv_fields_are_quoted_and_free_text_formulas_neutralised() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_text("-1+2,3"), "\"'-1+2,3\"");
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_field("-abc_DEF"), "-abc_DEF", "identifiers are never altered");
    }
}
