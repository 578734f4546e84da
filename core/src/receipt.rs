//! The consent receipt: what the visitor's browser claims and signs ([`ReceiptClaims`]), what the
//! edge adds and countersigns ([`Receipt`], [`SignedReceipt`]), and how both are checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::canonical::{is_sha256_hex, sha256_hex, to_canonical_string};
use crate::category::{Decision, NECESSARY};
use crate::error::ValidationError;
use crate::id::{check_slug, is_subject_id, ulid_time_ms};
use crate::limits::{
    MAX_CATEGORIES, MAX_CLIENT_CLOCK_AHEAD_MS, MAX_JWS_CHARS, MAX_RECEIPT_AGE_MS, MAX_WIDGET_VERSION_CHARS,
};
use crate::policy::Policy;
use crate::sign::{
    verify_compact, verify_detached, EdgeSigningKey, Jwks, JwsError, JwsHeader, PublicJwk, JWS_ALG, RECEIPT_JWS_TYP,
};
use crate::time::{format_millis, parse_millis};

/// Version of the receipt format.
pub use kelisim_wire::names::RECEIPT_SCHEMA_VERSION;

/// How the visitor made the choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    AcceptAll,
    RejectAll,
    Custom,
    Withdraw,
    GpcDefault,
}

impl Action {
    /// The action's name, as serde writes it: kelisim-wire's.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.wire().as_str()
    }

    /// The same action in kelisim-wire, which writes the claims without serde.
    #[must_use]
    pub fn wire(self) -> kelisim_wire::names::Action {
        use kelisim_wire::names::Action as Wire;
        match self {
            Self::AcceptAll => Wire::AcceptAll,
            Self::RejectAll => Wire::RejectAll,
            Self::Custom => Wire::Custom,
            Self::Withdraw => Wire::Withdraw,
            Self::GpcDefault => Wire::GpcDefault,
        }
    }
}

/// The policy version a receipt binds to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    pub version: u32,
    pub sha256: String,
    /// The language the policy was shown in.
    pub language: String,
}

/// What the visitor's browser asserts, and signs with its own key where it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptClaims {
    pub schema: u32,
    /// ULID made by the browser: time-sortable, and the idempotency key.
    pub id: String,
    pub site: String,
    /// Pseudonymous subject: the RFC 7638 thumbprint of `subject_key`, or a random id of the
    /// same shape where the browser has no Ed25519.
    pub subject: String,
    pub subject_key: Option<PublicJwk>,
    pub policy: PolicyRef,
    #[serde(deserialize_with = "crate::unique::unique_map")]
    pub decisions: BTreeMap<String, Decision>,
    pub action: Action,
    /// Whether the browser sent Global Privacy Control.
    pub gpc: bool,
    pub client_time: String,
    /// SHA-256 (hex) of the canonical claims of this subject's previous receipt.
    pub prev: Option<String>,
    pub widget_version: String,
}

impl ReceiptClaims {
    /// Canonical JSON of the claims: the bytes the visitor signs.
    ///
    /// # Errors
    /// [`ValidationError::NotCanonical`].
    pub fn canonical(&self) -> Result<String, ValidationError> {
        to_canonical_string(self)
    }

    /// The receipt's hash: SHA-256 of its canonical claims; the next receipt's `prev`.
    ///
    /// # Errors
    /// [`ValidationError::NotCanonical`].
    pub fn hash(&self) -> Result<String, ValidationError> {
        Ok(sha256_hex(self.canonical()?.as_bytes()))
    }

    /// Whether `category` was granted.
    #[must_use]
    pub fn granted(&self, category: &str) -> bool {
        self.decisions.get(category).is_some_and(|d| d.is_granted())
    }

    /// Checks the claims against the policy version they name and the edge's clock.
    ///
    /// # Errors
    /// The first [`ValidationError`] found.
    pub fn validate(&self, site: &str, policy: &Policy, now_ms: i64) -> Result<(), ValidationError> {
        self.validate_shape(site)?;
        self.validate_time(now_ms)?;
        self.validate_against(policy)
    }

    /// The checks that need neither a policy nor a clock.
    ///
    /// # Errors
    /// The first [`ValidationError`] found.
    pub fn validate_shape(&self, site: &str) -> Result<(), ValidationError> {
        if self.schema != RECEIPT_SCHEMA_VERSION {
            return Err(ValidationError::SchemaUnsupported(self.schema));
        }
        if ulid_time_ms(&self.id).is_none() {
            return Err(ValidationError::InvalidId { field: "id", reason: "must be a ULID" });
        }
        check_slug("site", &self.site)?;
        if self.site != site {
            return Err(ValidationError::SiteMismatch { expected: site.into(), found: self.site.clone() });
        }
        if !is_subject_id(&self.subject) {
            return Err(ValidationError::InvalidSubject);
        }
        if let Some(key) = &self.subject_key {
            key.verifying_key().map_err(|e| ValidationError::SignatureInvalid(e.to_string()))?;
            if key.thumbprint() != self.subject {
                return Err(ValidationError::SubjectKeyMismatch);
            }
        }
        if let Some(prev) = &self.prev {
            if !is_sha256_hex(prev) {
                return Err(ValidationError::InvalidPrev);
            }
        }
        if !is_sha256_hex(&self.policy.sha256) {
            return Err(ValidationError::PolicyHashMismatch(self.policy.version));
        }
        let v = &self.widget_version;
        if v.is_empty()
            || v.len() > MAX_WIDGET_VERSION_CHARS
            || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'+')
        {
            return Err(ValidationError::InvalidId {
                field: "widget_version",
                reason: "expected a version like 0.1.0",
            });
        }
        if self.decisions.len() > MAX_CATEGORIES {
            return Err(ValidationError::TooMany { field: "decisions", max: MAX_CATEGORIES });
        }
        Ok(())
    }

    fn validate_time(&self, now_ms: i64) -> Result<(), ValidationError> {
        let client = parse_millis("client_time", &self.client_time)?;
        if client > now_ms + MAX_CLIENT_CLOCK_AHEAD_MS {
            return Err(ValidationError::ClientTimeInFuture);
        }
        if client < now_ms - MAX_RECEIPT_AGE_MS {
            return Err(ValidationError::ClientTimeTooOld);
        }
        // The id is minted by the same clock: its time obeys the same window, so an id cannot
        // claim a place in the subject's history (or erased past) that the receipt never had.
        let minted = ulid_time_ms(&self.id).and_then(|t| i64::try_from(t).ok());
        if !minted.is_some_and(|t| (now_ms - MAX_RECEIPT_AGE_MS..=now_ms + MAX_CLIENT_CLOCK_AHEAD_MS).contains(&t)) {
            return Err(ValidationError::InvalidId {
                field: "id",
                reason: "its ULID time is outside the window client_time must fall in",
            });
        }
        Ok(())
    }

    /// The checks against the policy version the claims name (its hash must already match).
    ///
    /// # Errors
    /// The first [`ValidationError`] found.
    pub fn validate_against(&self, policy: &Policy) -> Result<(), ValidationError> {
        if !policy.languages.contains(&self.policy.language) {
            return Err(ValidationError::LanguageUnsupported(self.policy.language.chars().take(16).collect()));
        }
        if let Some(unknown) = self.decisions.keys().find(|id| policy.category(id).is_none()) {
            return Err(ValidationError::CategoryUnknown(unknown.chars().take(64).collect()));
        }
        if let Some(missing) = policy.categories.iter().find(|c| !self.decisions.contains_key(&c.id)) {
            return Err(ValidationError::CategoryMissing(missing.id.clone()));
        }
        if !self.granted(NECESSARY) {
            return Err(ValidationError::NecessaryDenied);
        }
        // Whatever a policy says about switching, a refusal refuses everything but `necessary`
        // and GPC refuses every category that sells or shares data: a policy that locked such a
        // category on (stored before locking was refused) cannot turn these answers into grants.
        let optional = || policy.categories.iter().filter(|c| c.id != NECESSARY);
        let consistent = match self.action {
            Action::AcceptAll => policy.categories.iter().filter(|c| c.switchable).all(|c| self.granted(&c.id)),
            Action::RejectAll | Action::Withdraw => optional().all(|c| !self.granted(&c.id)),
            Action::GpcDefault => self.gpc && optional().filter(|c| c.gpc_sensitive).all(|c| !self.granted(&c.id)),
            Action::Custom => true,
        };
        if consistent {
            Ok(())
        } else {
            Err(ValidationError::ActionMismatch(self.action.as_str()))
        }
    }

    /// Verifies the visitor's detached JWS over these claims. Claims without a key must come
    /// without a signature, and claims with a key must come with one.
    ///
    /// # Errors
    /// [`ValidationError::SignatureMissing`], [`ValidationError::SubjectKeyMissing`] or
    /// [`ValidationError::SignatureInvalid`].
    pub fn verify_visitor_signature(&self, signature: Option<&str>) -> Result<(), ValidationError> {
        match (&self.subject_key, signature) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(ValidationError::SignatureMissing),
            (None, Some(_)) => Err(ValidationError::SubjectKeyMissing),
            (Some(key), Some(jws)) => {
                if jws.len() > MAX_JWS_CHARS {
                    return Err(ValidationError::TooLong { field: "visitor_signature", max: MAX_JWS_CHARS });
                }
                verify_detached(jws, self.canonical()?.as_bytes(), key, &self.subject)
                    .map_err(|e| ValidationError::SignatureInvalid(e.to_string()))
            }
        }
    }
}

/// The body a widget posts to `POST /v1/sites/{site}/receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitReceipt {
    pub claims: ReceiptClaims,
    /// Detached compact JWS (`HEADER..SIGNATURE`) over the canonical claims, `kid` = subject.
    pub visitor_signature: Option<String>,
}

/// The receipt as the edge accepted it: the claims, the visitor's signature and the edge's time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub claims: ReceiptClaims,
    pub visitor_signature: Option<String>,
    /// SHA-256 of the canonical claims (the chain link the next receipt's `prev` names).
    pub hash: String,
    pub server_time: String,
    /// Where the edge appended this receipt in the site's ledger: set before countersigning, so
    /// the countersignature binds the position. Absent on receipts signed before the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogPosition>,
}

/// A receipt's position in its site's log (`docs/ledger.md`): the leaf index and the log's
/// origin, `<edge-host>/kelisim/<site>`, the first line of every checkpoint of that log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPosition {
    pub index: u64,
    pub origin: String,
}

impl Receipt {
    /// Builds the accepted receipt at the edge's time `now_ms`.
    ///
    /// # Errors
    /// [`ValidationError::NotCanonical`].
    pub fn accept(submit: SubmitReceipt, now_ms: i64) -> Result<Self, ValidationError> {
        Ok(Self {
            hash: submit.claims.hash()?,
            claims: submit.claims,
            visitor_signature: submit.visitor_signature,
            server_time: format_millis(now_ms),
            log: None,
        })
    }

    /// Countersigns with the edge key: an attached compact JWS over the canonical receipt.
    ///
    /// # Errors
    /// [`ValidationError::NotCanonical`].
    pub fn countersign(self, key: &EdgeSigningKey) -> Result<SignedReceipt, ValidationError> {
        let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(key.kid().into()), typ: Some(RECEIPT_JWS_TYP.into()) };
        let jws = key.sign_compact(&header, to_canonical_string(&self)?.as_bytes());
        Ok(SignedReceipt { receipt: self, jws })
    }
}

/// A countersigned receipt as stored, returned and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedReceipt {
    pub receipt: Receipt,
    /// The edge's JWS (EdDSA, `typ: kelisim-receipt+jws`) whose payload is the canonical receipt.
    pub jws: String,
}

/// The outcome of checking a receipt offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The edge's countersignature verifies against the JWKS and covers exactly this receipt.
    pub edge_signature: CheckResult,
    /// The visitor's signature verifies, or the browser had no key (`absent`).
    pub visitor_signature: CheckResult,
    /// `hash` is the SHA-256 of the canonical claims.
    pub hash: CheckResult,
    /// The edge key id that signed.
    pub kid: Option<String>,
}

/// One check's result with the reason when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum CheckResult {
    Valid,
    Absent,
    Invalid(String),
}

impl Verification {
    /// Whether the receipt is genuine: the edge signature and hash are valid and the visitor
    /// signature is valid or absent.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.edge_signature == CheckResult::Valid
            && self.hash == CheckResult::Valid
            && !matches!(self.visitor_signature, CheckResult::Invalid(_))
    }
}

impl SignedReceipt {
    /// Checks the edge signature against `jwks`, that the signed payload is this receipt, the
    /// claims hash, and the visitor signature.
    #[must_use]
    pub fn verify(&self, jwks: &Jwks) -> Verification {
        let (edge_signature, kid) = match verify_compact(&self.jws, jwks, Some(RECEIPT_JWS_TYP)) {
            Ok((header, payload)) => {
                let matches = to_canonical_string(&self.receipt).is_ok_and(|c| c.as_bytes() == payload);
                let result = if !matches {
                    CheckResult::Invalid(JwsError::Payload.to_string())
                } else {
                    // The key must have been in service when the edge says it signed.
                    let entry = jwks.keys.iter().find(|k| Some(&k.kid) == header.kid.as_ref());
                    let in_period = parse_millis("server_time", &self.receipt.server_time)
                        .map_err(|e| e.to_string())
                        .and_then(|t| entry.map_or(Ok(()), |k| k.check_period(t)).map_err(|e| e.to_string()));
                    match in_period {
                        Ok(()) => CheckResult::Valid,
                        Err(reason) => CheckResult::Invalid(reason),
                    }
                };
                (result, header.kid)
            }
            Err(e) => (CheckResult::Invalid(e.to_string()), None),
        };
        let hash = match self.receipt.claims.hash() {
            Ok(h) if h == self.receipt.hash => CheckResult::Valid,
            Ok(_) => CheckResult::Invalid("hash is not the SHA-256 of the claims".into()),
            Err(e) => CheckResult::Invalid(e.to_string()),
        };
        let visitor_signature = match (&self.receipt.claims.subject_key, &self.receipt.visitor_signature) {
            (None, None) => CheckResult::Absent,
            _ => match self.receipt.claims.verify_visitor_signature(self.receipt.visitor_signature.as_deref()) {
                Ok(()) => CheckResult::Valid,
                Err(e) => CheckResult::Invalid(e.to_string()),
            },
        };
        Verification { edge_signature, visitor_signature, hash, kid }
    }
}
