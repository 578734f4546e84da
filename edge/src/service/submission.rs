//! Submission's stateless checks, run by the worker (they parallelise): shape, the policy
//! version it names, the clock, the visitor's signature. What passes goes to the site's ledger
//! object, which does the ordered part — dedupe, the erased history, the log index, the
//! countersignature and the one KV write (`ledger/append.rs`, `docs/ledger.md` §4).

use kelisim_core::error::ValidationError;
use kelisim_core::receipt::SubmitReceipt;

use super::{parse_json, Service};
use crate::error::ApiError;
use crate::kv::Kv;

/// A submission that passed every stateless check of [`Service::check_receipt`]: what the worker
/// forwards to the site's ledger object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReceipt {
    submit: SubmitReceipt,
}

impl CheckedReceipt {
    /// The subject the receipt is for: proven by its signature when it has one.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.submit.claims.subject
    }

    /// The checked submission.
    #[must_use]
    pub fn submit(&self) -> &SubmitReceipt {
        &self.submit
    }

    /// The checked submission, to append.
    #[must_use]
    pub fn into_submit(self) -> SubmitReceipt {
        self.submit
    }
}

impl<K: Kv> Service<'_, K> {
    /// [`Service::check_receipt`] for a raw body.
    ///
    /// # Errors
    /// 400 malformed body, and as [`Service::check_receipt`].
    pub async fn check_receipt_body(&self, site: &str, body: &[u8]) -> Result<CheckedReceipt, ApiError> {
        self.check_receipt(site, parse_json(body)?).await
    }

    /// Every stateless check of a submission, writing nothing: shape, the policy version it
    /// names, the clock, the visitor's signature. Only a receipt that passes may spend a site's
    /// or a subject's budget (the routes charge rate limits next) and reach the ledger.
    ///
    /// # Errors
    /// 404 unknown site, 422 for every validation failure, 503 when KV fails.
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
        Ok(CheckedReceipt { submit })
    }
}
