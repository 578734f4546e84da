//! Submission: every check of a posted receipt (writing nothing), then countersigning and storing
//! it with its index entries; a replay answers the stored receipt.

use futures_util::future::{join3, try_join};

use kelisim_core::api::receipts::ReceiptSummary;
use kelisim_core::error::ValidationError;
use kelisim_core::id::ulid_time_ms;
use kelisim_core::receipt::{Receipt, SignedReceipt, SubmitReceipt};
use kelisim_core::ErrorCode;

use super::{get_json, parse_json, to_json, Service};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;
use crate::tombstone::{self, SubjectTombstone};

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
        return Err(ApiError::new(
            ErrorCode::SubjectRequiresSignature,
            "this subject's receipts are signed by its key",
        ));
    }
    let minted = ulid_time_ms(&submit.claims.id).and_then(|t| i64::try_from(t).ok());
    if minted.is_none_or(|t| t <= tomb.erased_at_ms) {
        return Err(ApiError::receipt_erased());
    }
    Ok(())
}

impl<K: Kv> Service<'_, K> {
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
                return Err(ApiError::new(ErrorCode::ReceiptConflict, "another receipt was stored under this id"));
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
            Err(ApiError::new(ErrorCode::SubjectRequiresSignature, "this subject's receipts are signed by its key"))
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
}
