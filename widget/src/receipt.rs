//! Receipts as the widget makes and checks them: the claims of a choice and their canonical JSON
//! (the bytes the visitor's key signs; WebCrypto does the signing), the body posted, and every
//! check of the edge's countersignature except the Ed25519 verification itself (WebCrypto again).
//!
//! The checks work on the canonical text rather than on parsed structures: the edge signs
//! canonical JSON (RFC 8785), so there is exactly one correct text, and comparing it keeps JSON
//! parsing out of the wasm. The texts themselves (claims, body, receipt payload) are written by
//! kelisim-wire, whose writer core's serde model is pinned to; native tests here pin the checks
//! and the texts as the widget fills them to kelisim-core.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use kelisim_wire::base64url as b64;
use kelisim_wire::claims::{ed25519_jwk, PolicyRef};
pub use kelisim_wire::receipt::{submission as body, LogPosition};
use kelisim_wire::{id, time};

use crate::model::{Action, Decisions};
use crate::{json, sha256};

/// The widget's version, as receipts record it.
pub const WIDGET_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Length of an Ed25519 signature.
const SIGNATURE_LEN: usize = 64;

/// Who signs: the subject and, where the browser has Ed25519, its public key (`x`, base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: String,
    pub key: Option<String>,
}

impl Subject {
    /// A subject with a key: its id is the key's RFC 7638 thumbprint.
    #[must_use]
    pub fn keyed(x: &str) -> Self {
        let mut jwk = String::new();
        ed25519_jwk(&mut jwk, x);
        Self { id: b64::encode(&sha256::digest(jwk.as_bytes())), key: Some(x.to_owned()) }
    }

    /// A subject without a key (no WebCrypto Ed25519, or nowhere to keep a key): 32 random bytes,
    /// the same 43-character shape as a thumbprint.
    #[must_use]
    pub fn unsigned(random: &[u8; 32]) -> Self {
        Self { id: b64::encode(random), key: None }
    }
}

/// Everything a choice's receipt says besides the subject.
#[derive(Debug, Clone)]
pub struct Draft {
    pub site: String,
    /// The policy version shown, the SHA-256 of its full document and the language shown.
    pub version: u32,
    pub sha256: String,
    pub language: String,
    pub decisions: Decisions,
    pub action: Action,
    pub gpc: bool,
    /// The previous receipt's hash, when it was made by the same subject.
    pub prev: Option<String>,
}

/// The claims of a receipt (core's `ReceiptClaims`).
#[derive(Debug, Clone)]
pub struct Claims {
    pub draft: Draft,
    /// The ULID: time-sortable, and the idempotency key.
    pub id: String,
    pub subject: Subject,
    pub client_time: String,
}

/// The claims of a receipt made at `now_ms` with 80 random bits for the ULID.
#[must_use]
pub fn claims(draft: Draft, subject: &Subject, now_ms: u64, random: [u8; 10]) -> Claims {
    Claims {
        draft,
        id: id::ulid_from_parts(now_ms, random),
        subject: subject.clone(),
        client_time: time::format_millis(i64::try_from(now_ms).unwrap_or(i64::MAX)),
    }
}

impl Claims {
    /// The canonical JSON of the claims: the bytes the visitor signs, and whose SHA-256 is the
    /// receipt's hash.
    #[must_use]
    pub fn canonical(&self) -> String {
        let d = &self.draft;
        kelisim_wire::claims::Claims {
            id: &self.id,
            site: &d.site,
            subject: &self.subject.id,
            subject_key: self.subject.key.as_deref(),
            policy: PolicyRef { version: d.version, sha256: &d.sha256, language: &d.language },
            decisions: &d.decisions,
            action: d.action,
            gpc: d.gpc,
            client_time: &self.client_time,
            prev: d.prev.as_deref(),
            widget_version: WIDGET_VERSION,
        }
        .canonical()
    }
}

/// The protected header of the visitor's detached JWS, base64url of its canonical JSON.
#[must_use]
pub fn visitor_header_b64(subject: &str) -> String {
    let mut header = String::from("{\"alg\":\"EdDSA\",\"kid\":");
    json::string(&mut header, subject);
    header.push('}');
    b64::encode(header.as_bytes())
}

/// What the visitor's key signs: `header_b64 "." b64url(canonical claims)` (RFC 7515 §5.1).
#[must_use]
pub fn signing_input(header_b64: &str, canonical_claims: &str) -> String {
    let mut out = String::from(header_b64);
    out.push('.');
    out.push_str(&b64::encode(canonical_claims.as_bytes()));
    out
}

/// The detached compact JWS (`HEADER..SIGNATURE`, RFC 7515 Appendix F).
#[must_use]
pub fn detached_jws(header_b64: &str, signature: &[u8]) -> String {
    let mut out = String::from(header_b64);
    out.push_str("..");
    out.push_str(&b64::encode(signature));
    out
}

/// A receipt as sent, recovered from the outbox body: what the edge's countersignature must cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The canonical claims, exactly as signed and sent.
    pub claims: String,
    /// The visitor's detached JWS, if any.
    pub visitor_signature: Option<String>,
    /// SHA-256 of `claims`.
    pub hash: String,
}

impl Sent {
    /// Splits a body made by [`body`] (`{"claims":…,"visitor_signature":…}`, canonical JSON).
    #[must_use]
    pub fn from_body(body: &str) -> Option<Self> {
        let rest = body.strip_prefix("{\"claims\":")?.strip_suffix('}')?;
        const SIGNATURE: &str = ",\"visitor_signature\":";
        let at = json::rfind(rest, SIGNATURE)?;
        let (claims, signature) = (rest.get(..at)?, rest.get(at + SIGNATURE.len()..)?);
        let visitor_signature = match signature {
            "null" => None,
            quoted => Some(quoted.strip_prefix('"')?.strip_suffix('"')?.to_owned()),
        };
        if visitor_signature
            .as_deref()
            .is_some_and(|s| !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        {
            return None;
        }
        Some(Self { hash: sha256::hex(claims.as_bytes()), claims: claims.to_owned(), visitor_signature })
    }
}

/// A countersignature whose header and payload passed [`check_countersigned`]; what remains is
/// the Ed25519 check of `signature` over `signing_input` with the JWKS key `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countersigned {
    pub kid: String,
    pub signing_input: String,
    pub signature: Vec<u8>,
    /// The signed receipt: canonical JSON of `{claims, hash, log?, server_time, visitor_signature}`.
    pub payload: String,
    /// The receipt's position in the site's log, when the edge keeps one.
    pub log: Option<LogPosition>,
}

/// Why a countersigned receipt was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckError {
    /// The JWS is not compact, its header is not `{"alg":"EdDSA","kid":…,"typ":"kelisim-receipt+jws"}`
    /// (canonical, as the edge writes it), or the signature is not 64 bytes.
    Malformed,
    /// The payload is not the canonical receipt of the claims sent.
    Payload,
    /// No usable key for the kid in the edge's JWKS, or the signature does not verify.
    Signature,
}

impl CheckError {
    /// What the console says.
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "the edge's JWS is malformed",
            Self::Payload => "the edge's JWS does not cover the receipt sent",
            Self::Signature => "the edge's signature does not verify",
        }
    }
}

const HEADER_PREFIX: &str = "{\"alg\":\"EdDSA\",\"kid\":\"";
const HEADER_SUFFIX: &str = "\",\"typ\":\"kelisim-receipt+jws\"}";

/// The canonical JSON of the receipt the edge accepts for `sent` at `server_time` (core's
/// `Receipt`: `claims`, `hash`, `log` when the edge keeps a ledger, `server_time`,
/// `visitor_signature`, in canonical order).
#[must_use]
pub fn receipt_payload(sent: &Sent, server_time: &str, log: Option<&LogPosition>) -> String {
    kelisim_wire::receipt::payload(&sent.claims, &sent.hash, log, server_time, sent.visitor_signature.as_deref())
}

/// Checks the edge's attached JWS for `sent`: a canonical `EdDSA` header of type
/// `kelisim-receipt+jws` naming a kid, a payload that is exactly the canonical receipt of the
/// claims sent (with any valid server time), a 64-byte signature.
///
/// # Errors
/// The first [`CheckError`] found.
pub fn check_countersigned(sent: &Sent, jws: &str) -> Result<Countersigned, CheckError> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(CheckError::Malformed);
    };
    let header = b64::decode(h).and_then(|b| String::from_utf8(b).ok()).ok_or(CheckError::Malformed)?;
    let kid = header
        .strip_prefix(HEADER_PREFIX)
        .and_then(|rest| rest.strip_suffix(HEADER_SUFFIX))
        .filter(|kid| !kid.is_empty() && !kid.contains(['"', '\\']))
        .ok_or(CheckError::Malformed)?
        .to_owned();
    let signature = b64::decode(s).ok_or(CheckError::Malformed)?;
    if signature.len() != SIGNATURE_LEN {
        return Err(CheckError::Malformed);
    }
    let payload = b64::decode(p).and_then(|b| String::from_utf8(b).ok()).ok_or(CheckError::Payload)?;
    // The server time is the one part the edge chooses; it must be a timestamp, and then the
    // whole payload must be exactly the receipt of what was sent.
    const SERVER_TIME: &str = "\"server_time\":\"";
    let server_time = json::find(&payload, SERVER_TIME)
        .and_then(|at| payload.get(at + SERVER_TIME.len()..)?.get(..24))
        .ok_or(CheckError::Payload)?;
    // The log position is the other: an index and an origin, rebuilt canonically below.
    let log = match json::parse(&payload).as_ref().and_then(|v| v.get("log")) {
        None => None,
        Some(log) => Some(LogPosition {
            index: log.get("index").and_then(json::Value::as_u64).ok_or(CheckError::Payload)?,
            origin: log.get("origin").and_then(json::Value::as_str).ok_or(CheckError::Payload)?.to_owned(),
        }),
    };
    if !time::is_timestamp(server_time) || payload != receipt_payload(sent, server_time, log.as_ref()) {
        return Err(CheckError::Payload);
    }
    let mut signing_input = String::from(h);
    signing_input.push('.');
    signing_input.push_str(p);
    Ok(Countersigned { kid, signing_input, signature, payload, log })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::Served;
    use kelisim_core::canonical::to_canonical_string;
    use kelisim_core::receipt::{Receipt, ReceiptClaims, SignedReceipt, SubmitReceipt};
    use kelisim_core::sign::{b64url_decode, b64url_encode, EdgeSigningKey, Jwks, JwsHeader, PublicJwk};

    const NOW: u64 = 1_795_398_005_123;

    fn draft(prev: Option<String>) -> Draft {
        Draft {
            site: "crm-demo".into(),
            version: 1,
            sha256: "a".repeat(64),
            language: "ru".into(),
            decisions: [("necessary", true), ("analytics", false)].into_iter().collect(),
            action: Action::RejectAll,
            gpc: true,
            prev,
        }
    }

    /// Core's claims for the widget's: parsed from the widget's canonical text (core refuses
    /// unknown or missing members), so equal canonical texts mean the widget writes core's model.
    fn to_core(c: &Claims) -> ReceiptClaims {
        let core: ReceiptClaims = serde_json::from_str(&c.canonical()).unwrap();
        assert_eq!(core.canonical().unwrap(), c.canonical(), "the widget writes core's canonical text");
        core
    }

    /// Claims for `served` as the browser side makes them, in core's model.
    pub(crate) fn core_claims(served: &Served, decisions: &Decisions, action: Action) -> ReceiptClaims {
        let d = Draft {
            site: "crm-demo".into(),
            version: served.policy.version,
            sha256: served.sha256.clone(),
            language: served.language.clone(),
            decisions: decisions.clone(),
            action,
            gpc: false,
            prev: None,
        };
        to_core(&claims(d, &Subject::unsigned(&[5; 32]), NOW, [1; 10]))
    }

    /// A visitor key, signing the way WebCrypto does in the browser (plain Ed25519 over bytes).
    fn visitor() -> (EdgeSigningKey, Subject) {
        let key = EdgeSigningKey::from_seed("visitor", [9; 32]);
        let subject = Subject::keyed(&key.public_jwk().x);
        (key, subject)
    }

    fn sign(key: &EdgeSigningKey, input: &str) -> Vec<u8> {
        // `sign_compact` signs `header.payload`; reuse it to get a raw signature over `input`.
        let (h, p) = input.split_once('.').unwrap();
        let header: JwsHeader = serde_json::from_slice(&b64url_decode(h).unwrap()).unwrap();
        let jws = key.sign_compact(&header, &b64url_decode(p).unwrap());
        assert!(jws.starts_with(input), "core encodes header and payload as we do");
        b64url_decode(jws.rsplit('.').next().unwrap()).unwrap()
    }

    fn submit_with(subject: Option<(EdgeSigningKey, Subject)>) -> (String, SubmitReceipt) {
        let signed = subject.is_some();
        let (key, subject) =
            subject.unwrap_or_else(|| (EdgeSigningKey::from_seed("x", [1; 32]), Subject::unsigned(&[4; 32])));
        let c = claims(draft(None), &subject, NOW, [7; 10]);
        let canonical = c.canonical();
        let h = visitor_header_b64(&subject.id);
        let signature = signed.then(|| detached_jws(&h, &sign(&key, &signing_input(&h, &canonical))));
        let text = body(&canonical, signature.as_deref());
        (text, SubmitReceipt { claims: to_core(&c), visitor_signature: signature })
    }

    fn submit() -> (String, SubmitReceipt) {
        submit_with(Some(visitor()))
    }

    fn edge() -> EdgeSigningKey {
        EdgeSigningKey::from_seed("k20261123", [3; 32])
    }

    fn countersigned(s: &SubmitReceipt) -> SignedReceipt {
        Receipt::accept(s.clone(), 1_795_398_006_000).unwrap().countersign(&edge()).unwrap()
    }

    #[test]
    fn claims_are_valid_for_the_edge() {
        let (_, subject) = visitor();
        let c = to_core(&claims(draft(Some("b".repeat(64))), &subject, NOW, [0xAB; 10]));
        assert_eq!(c.schema, 1);
        assert_eq!(c.id.len(), 26);
        assert_eq!(kelisim_core::id::ulid_time_ms(&c.id), Some(NOW));
        assert_eq!(c.client_time, "2026-11-23T01:40:05.123Z");
        assert_eq!(c.subject.len(), 43);
        assert_eq!(c.widget_version, WIDGET_VERSION);
        assert!(c.validate_shape("crm-demo").is_ok());
    }

    #[test]
    fn the_subject_is_cores_thumbprint() {
        let (key, subject) = visitor();
        let jwk: PublicJwk = key.public_jwk();
        assert_eq!(subject.id, jwk.thumbprint());
        assert_eq!(subject.key.as_deref(), Some(jwk.x.as_str()));
    }

    #[test]
    fn visitor_signature_verifies_with_core() {
        let (_, s) = submit();
        assert_eq!(s.claims.verify_visitor_signature(s.visitor_signature.as_deref()), Ok(()));
        let header = s.visitor_signature.as_deref().unwrap().split('.').next().unwrap();
        let decoded = String::from_utf8(b64url_decode(header).unwrap()).unwrap();
        assert_eq!(decoded, format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, s.claims.subject));
    }

    #[test]
    fn unsigned_subject_has_the_thumbprint_shape() {
        let s = Subject::unsigned(&[0xFF; 32]);
        assert!(kelisim_core::id::is_subject_id(&s.id));
        assert_eq!(s.key, None);
        let c = to_core(&claims(draft(None), &s, NOW, [1; 10]));
        assert_eq!(c.verify_visitor_signature(None), Ok(()));
    }

    #[test]
    fn body_is_cores_canonical_submission() {
        for (text, s) in [submit(), submit_with(None)] {
            assert!(text.starts_with(r#"{"claims":{"action":"reject_all","#));
            assert_eq!(text, to_canonical_string(&s).unwrap());
            assert_eq!(serde_json::from_str::<SubmitReceipt>(&text).unwrap(), s);
        }
    }

    fn sent(text: &str) -> Sent {
        Sent::from_body(text).expect("a body made by body() splits")
    }

    #[test]
    fn sent_is_recovered_from_the_body() {
        let (text, s) = submit();
        let got = sent(&text);
        assert_eq!(got.claims, s.claims.canonical().unwrap());
        assert_eq!(got.hash, s.claims.hash().unwrap());
        assert_eq!(got.visitor_signature, s.visitor_signature);
        let (text, _) = submit_with(None);
        assert_eq!(sent(&text).visitor_signature, None);
        for bad in ["", "{}", "{\"claims\":{}}", "{\"claims\":{},\"visitor_signature\":\"a\\\"b\"}"] {
            assert_eq!(Sent::from_body(bad), None, "{bad}");
        }
    }

    #[test]
    fn receipt_payload_is_cores_canonical_receipt() {
        for (text, s) in [submit(), submit_with(None)] {
            let receipt = Receipt::accept(s.clone(), 1_795_398_006_042).unwrap();
            let core = to_canonical_string(&receipt).unwrap();
            assert_eq!(receipt_payload(&sent(&text), &receipt.server_time, None), core);
        }
    }

    fn logged(s: &SubmitReceipt, index: u64) -> SignedReceipt {
        let mut receipt = Receipt::accept(s.clone(), 1_795_398_006_000).unwrap();
        receipt.log =
            Some(kelisim_core::receipt::LogPosition { index, origin: "127.0.0.1:8787/kelisim/crm-demo".into() });
        receipt.countersign(&edge()).unwrap()
    }

    #[test]
    fn a_receipt_with_its_log_position_passes_and_names_it() {
        let (text, s) = submit();
        for index in [0, 41, 9_007_199_254_740_991] {
            let signed = logged(&s, index);
            let check = check_countersigned(&sent(&text), &signed.jws).unwrap();
            assert_eq!(check.payload, to_canonical_string(&signed.receipt).unwrap());
            assert_eq!(check.log, Some(LogPosition { index, origin: "127.0.0.1:8787/kelisim/crm-demo".into() }));
        }
    }

    #[test]
    fn a_log_position_that_is_not_canonical_is_refused() {
        let (text, s) = submit();
        let good = logged(&s, 7);
        let parts: Vec<&str> = good.jws.split('.').collect();
        let payload = String::from_utf8(b64url_decode(parts[1]).unwrap()).unwrap();
        for bad in [
            payload.replace("\"index\":7", "\"index\":\"7\""),
            payload.replace("\"index\":7", "\"index\":7.0"),
            payload.replace("\"index\":7", "\"index\":-7"),
            payload.replace("\"index\":7,", ""),
            payload.replace("{\"index\":7,", "{\"extra\":1,\"index\":7,"),
            payload.replace(",\"origin\":\"127.0.0.1:8787/kelisim/crm-demo\"", ""),
            payload.replace("\"log\":{", "\"log\":[").replace("crm-demo\"}", "crm-demo\"]"),
        ] {
            assert_ne!(bad, payload);
            let jws = format!("{}.{}.{}", parts[0], b64url_encode(bad.as_bytes()), parts[2]);
            assert_eq!(check_countersigned(&sent(&text), &jws), Err(CheckError::Payload), "{bad}");
        }
    }

    #[test]
    fn genuine_countersignature_passes_and_the_signature_is_the_edges() {
        let (text, s) = submit();
        let signed = countersigned(&s);
        let check = check_countersigned(&sent(&text), &signed.jws).unwrap();
        assert_eq!(check.kid, "k20261123");
        assert_eq!(check.signature.len(), 64);
        assert_eq!(check.payload, to_canonical_string(&signed.receipt).unwrap());
        // The same input and signature verify with core against the JWKS.
        let jwks = Jwks { keys: vec![edge().jwks_entry()] };
        assert!(signed.verify(&jwks).is_valid());
        assert!(signed.jws.starts_with(&check.signing_input));
        let parsed: SignedReceipt =
            serde_json::from_str(&format!("{{\"receipt\":{},\"jws\":\"{}\"}}", check.payload, signed.jws)).unwrap();
        assert_eq!(parsed, signed, "payload and JWS are the whole signed receipt");
    }

    #[test]
    fn a_different_receipt_is_refused() {
        let (text, s) = submit();
        let mut other = s.clone();
        other.claims.decisions.insert("analytics".into(), kelisim_core::category::Decision::Granted);
        assert_eq!(check_countersigned(&sent(&text), &countersigned(&other).jws), Err(CheckError::Payload));
        let unsigned = SubmitReceipt { visitor_signature: None, ..s.clone() };
        assert_eq!(check_countersigned(&sent(&text), &countersigned(&unsigned).jws), Err(CheckError::Payload));
    }

    #[test]
    fn a_payload_with_a_bad_server_time_or_extra_members_is_refused() {
        let (text, s) = submit();
        let good = countersigned(&s);
        let parts: Vec<&str> = good.jws.split('.').collect();
        let payload = String::from_utf8(b64url_decode(parts[1]).unwrap()).unwrap();
        for bad in [
            payload.replace("\"server_time\":\"2026", "\"server_time\":\"X026"),
            payload.replace("\"server_time\":\"2026-11", "\"server_time\":\"2026-13"),
            payload.replacen('{', "{\"extra\":1,", 1),
            format!("{},\"x\":1}}", &payload[..payload.len() - 1]),
        ] {
            let jws = format!("{}.{}.{}", parts[0], b64url_encode(bad.as_bytes()), parts[2]);
            assert_eq!(check_countersigned(&sent(&text), &jws), Err(CheckError::Payload), "{bad}");
        }
    }

    #[test]
    fn malformed_jws_is_refused() {
        let (text, s) = submit();
        let good = countersigned(&s);
        let parts: Vec<&str> = good.jws.split('.').collect();
        let header = |json: &str| b64url_encode(json.as_bytes());
        for jws in [
            String::new(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{}.{}.{}.x", parts[0], parts[1], parts[2]),
            format!("{}.{}.{}", header(r#"{"alg":"none","kid":"k","typ":"kelisim-receipt+jws"}"#), parts[1], parts[2]),
            format!("{}.{}.{}", header(r#"{"alg":"EdDSA","kid":"k"}"#), parts[1], parts[2]),
            format!("{}.{}.{}", header(r#"{"alg":"EdDSA","typ":"kelisim-receipt+jws"}"#), parts[1], parts[2]),
            format!("{}.{}.{}", header(r#"{"kid":"k","alg":"EdDSA","typ":"kelisim-receipt+jws"}"#), parts[1], parts[2]),
            format!("{}.{}.{}", header(r#"{"alg":"EdDSA","kid":"","typ":"kelisim-receipt+jws"}"#), parts[1], parts[2]),
            format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40]),
            format!("{}.{}.{}=", parts[0], parts[1], parts[2]),
        ] {
            assert_eq!(check_countersigned(&sent(&text), &jws), Err(CheckError::Malformed), "{jws}");
        }
    }
}
