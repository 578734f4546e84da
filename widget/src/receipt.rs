//! Receipts as the widget makes and checks them, on top of `kelisim-core`'s model: the claims of
//! a choice, the bytes the visitor's key signs (WebCrypto does the signing), and every check of
//! the edge's countersignature except the Ed25519 verification itself (WebCrypto again).
//!
//! The checks work on the canonical text rather than on parsed structures: the edge signs
//! canonical JSON (RFC 8785), so there is exactly one correct text, and comparing it keeps JSON
//! parsing out of the wasm (the browser's `JSON.parse` reads everything else).

use std::collections::BTreeMap;

use kelisim_core::canonical::{sha256_hex, to_canonical_string};
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, ReceiptClaims, SubmitReceipt, RECEIPT_SCHEMA_VERSION};
use kelisim_core::sign::{b64url_decode, b64url_encode, JwsHeader, PublicJwk, JWS_ALG};
use kelisim_core::time::{format_millis, parse_millis};

/// The widget's version, as receipts record it.
pub const WIDGET_VERSION: &str = env!("CARGO_PKG_VERSION");
/// Length of an Ed25519 signature.
const SIGNATURE_LEN: usize = 64;

/// Who signs: the subject and, where the browser has Ed25519, its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub id: String,
    pub key: Option<PublicJwk>,
}

impl Subject {
    /// A subject with a key: its id is the key's RFC 7638 thumbprint.
    #[must_use]
    pub fn keyed(x: &str) -> Self {
        let key = PublicJwk { kty: "OKP".into(), crv: "Ed25519".into(), x: x.into() };
        Self { id: key.thumbprint(), key: Some(key) }
    }

    /// A subject without a key (no WebCrypto Ed25519, or nowhere to keep a key): 32 random bytes,
    /// the same 43-character shape as a thumbprint.
    #[must_use]
    pub fn unsigned(random: &[u8; 32]) -> Self {
        Self { id: b64url_encode(random), key: None }
    }
}

/// Everything a choice's receipt says besides the subject.
#[derive(Debug, Clone)]
pub struct Draft {
    pub site: String,
    pub policy: PolicyRef,
    pub decisions: BTreeMap<String, Decision>,
    pub action: Action,
    pub gpc: bool,
    /// The previous receipt's hash, when it was made by the same subject.
    pub prev: Option<String>,
}

/// The claims of a receipt made at `now_ms` with 80 random bits for the ULID.
#[must_use]
pub fn claims(draft: Draft, subject: &Subject, now_ms: u64, random: [u8; 10]) -> ReceiptClaims {
    ReceiptClaims {
        schema: RECEIPT_SCHEMA_VERSION,
        id: ulid_from_parts(now_ms, random),
        site: draft.site,
        subject: subject.id.clone(),
        subject_key: subject.key.clone(),
        policy: draft.policy,
        decisions: draft.decisions,
        action: draft.action,
        gpc: draft.gpc,
        client_time: format_millis(i64::try_from(now_ms).unwrap_or(i64::MAX)),
        prev: draft.prev,
        widget_version: WIDGET_VERSION.into(),
    }
}

/// The protected header of the visitor's detached JWS, base64url of its canonical JSON.
#[must_use]
pub fn visitor_header_b64(subject: &str) -> String {
    let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(subject.into()), typ: None };
    b64url_encode(to_canonical_string(&header).unwrap_or_default().as_bytes())
}

/// What the visitor's key signs: `header_b64 "." b64url(canonical claims)` (RFC 7515 §5.1).
#[must_use]
pub fn signing_input(header_b64: &str, canonical_claims: &str) -> String {
    format!("{header_b64}.{}", b64url_encode(canonical_claims.as_bytes()))
}

/// The detached compact JWS (`HEADER..SIGNATURE`, RFC 7515 Appendix F).
#[must_use]
pub fn detached_jws(header_b64: &str, signature: &[u8]) -> String {
    format!("{header_b64}..{}", b64url_encode(signature))
}

/// The request body: the `SubmitReceipt` as canonical JSON.
#[must_use]
pub fn body(submit: &SubmitReceipt) -> String {
    to_canonical_string(submit).unwrap_or_default()
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
        let (claims, signature) = rest.rsplit_once(",\"visitor_signature\":")?;
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
        Some(Self { hash: sha256_hex(claims.as_bytes()), claims: claims.to_owned(), visitor_signature })
    }
}

/// A countersignature whose header and payload passed [`check_countersigned`]; what remains is
/// the Ed25519 check of `signature` over `signing_input` with the JWKS key `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countersigned {
    pub kid: String,
    pub signing_input: String,
    pub signature: Vec<u8>,
    /// The signed receipt: canonical JSON of `{claims, hash, server_time, visitor_signature}`.
    pub payload: String,
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

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the edge's JWS is malformed",
            Self::Payload => "the edge's JWS does not cover the receipt sent",
            Self::Signature => "the edge's signature does not verify",
        })
    }
}

const HEADER_PREFIX: &str = "{\"alg\":\"EdDSA\",\"kid\":\"";
const HEADER_SUFFIX: &str = "\",\"typ\":\"kelisim-receipt+jws\"}";

/// The canonical JSON of the receipt the edge accepts for `sent` at `server_time`: the members
/// of [`kelisim_core::receipt::Receipt`] in canonical order. (A native test pins this to core's
/// serialisation, so a change to the receipt model cannot slip by.)
#[must_use]
pub fn receipt_payload(sent: &Sent, server_time: &str) -> String {
    let signature = sent.visitor_signature.as_ref().map_or_else(|| "null".to_owned(), |s| format!("\"{s}\""));
    format!(
        "{{\"claims\":{},\"hash\":\"{}\",\"server_time\":\"{server_time}\",\"visitor_signature\":{signature}}}",
        sent.claims, sent.hash
    )
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
    let header = b64url_decode(h).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(CheckError::Malformed)?;
    let kid = header
        .strip_prefix(HEADER_PREFIX)
        .and_then(|rest| rest.strip_suffix(HEADER_SUFFIX))
        .filter(|kid| !kid.is_empty() && !kid.contains(['"', '\\']))
        .ok_or(CheckError::Malformed)?
        .to_owned();
    let signature = b64url_decode(s).map_err(|_| CheckError::Malformed)?;
    if signature.len() != SIGNATURE_LEN {
        return Err(CheckError::Malformed);
    }
    let payload = b64url_decode(p).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(CheckError::Payload)?;
    // The server time is the one part the edge chooses; it must be a timestamp, and then the
    // whole payload must be exactly the receipt of what was sent.
    let server_time =
        payload.split("\"server_time\":\"").nth(1).and_then(|t| t.get(..24)).ok_or(CheckError::Payload)?;
    parse_millis("server_time", server_time).map_err(|_| CheckError::Payload)?;
    if payload != receipt_payload(sent, server_time) {
        return Err(CheckError::Payload);
    }
    Ok(Countersigned { kid, signing_input: format!("{h}.{p}"), signature, payload })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::receipt::{Receipt, SignedReceipt};
    use kelisim_core::sign::{EdgeSigningKey, Jwks};

    const NOW: u64 = 1_795_398_005_123;

    fn draft(prev: Option<String>) -> Draft {
        Draft {
            site: "crm-demo".into(),
            policy: PolicyRef { version: 1, sha256: "a".repeat(64), language: "ru".into() },
            decisions: BTreeMap::from([
                ("necessary".into(), Decision::Granted),
                ("analytics".into(), Decision::Denied),
            ]),
            action: Action::RejectAll,
            gpc: true,
            prev,
        }
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

    fn submit() -> SubmitReceipt {
        let (key, subject) = visitor();
        let claims = claims(draft(None), &subject, NOW, [7; 10]);
        let h = visitor_header_b64(&subject.id);
        let sig = sign(&key, &signing_input(&h, &claims.canonical().unwrap()));
        SubmitReceipt { claims, visitor_signature: Some(detached_jws(&h, &sig)) }
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
        let c = claims(draft(Some("b".repeat(64))), &subject, NOW, [0xAB; 10]);
        assert_eq!(c.schema, 1);
        assert_eq!(c.id.len(), 26);
        assert_eq!(kelisim_core::id::ulid_time_ms(&c.id), Some(NOW));
        assert_eq!(c.client_time, "2026-11-23T01:40:05.123Z");
        assert_eq!(c.subject.len(), 43);
        assert_eq!(c.widget_version, WIDGET_VERSION);
        assert!(c.validate_shape("crm-demo").is_ok());
    }

    #[test]
    fn visitor_signature_verifies_with_core() {
        let s = submit();
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
        let c = claims(draft(None), &s, NOW, [1; 10]);
        assert_eq!(c.verify_visitor_signature(None), Ok(()));
    }

    #[test]
    fn body_is_canonical_and_round_trips() {
        let s = submit();
        let text = body(&s);
        assert!(text.starts_with(r#"{"claims":{"action":"reject_all","#));
        assert_eq!(serde_json::from_str::<SubmitReceipt>(&text).unwrap(), s);
    }

    fn sent(s: &SubmitReceipt) -> Sent {
        Sent::from_body(&body(s)).expect("a body made by body() splits")
    }

    #[test]
    fn sent_is_recovered_from_the_body() {
        let s = submit();
        let got = sent(&s);
        assert_eq!(got.claims, s.claims.canonical().unwrap());
        assert_eq!(got.hash, s.claims.hash().unwrap());
        assert_eq!(got.visitor_signature, s.visitor_signature);
        let unsigned = SubmitReceipt { visitor_signature: None, ..s };
        assert_eq!(sent(&unsigned).visitor_signature, None);
        for bad in ["", "{}", "{\"claims\":{}}", "{\"claims\":{},\"visitor_signature\":\"a\\\"b\"}"] {
            assert_eq!(Sent::from_body(bad), None, "{bad}");
        }
    }

    #[test]
    fn receipt_payload_is_cores_canonical_receipt() {
        for s in [submit(), SubmitReceipt { visitor_signature: None, ..submit() }] {
            let receipt = Receipt::accept(s.clone(), 1_795_398_006_042).unwrap();
            let core = to_canonical_string(&receipt).unwrap();
            assert_eq!(receipt_payload(&sent(&s), &receipt.server_time), core);
        }
    }

    #[test]
    fn genuine_countersignature_passes_and_the_signature_is_the_edges() {
        let s = submit();
        let signed = countersigned(&s);
        let check = check_countersigned(&sent(&s), &signed.jws).unwrap();
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
        let s = submit();
        let mut other = s.clone();
        other.claims.decisions.insert("analytics".into(), Decision::Granted);
        assert_eq!(check_countersigned(&sent(&s), &countersigned(&other).jws), Err(CheckError::Payload));
        let unsigned = SubmitReceipt { visitor_signature: None, ..s.clone() };
        assert_eq!(check_countersigned(&sent(&s), &countersigned(&unsigned).jws), Err(CheckError::Payload));
    }

    #[test]
    fn a_payload_with_a_bad_server_time_or_extra_members_is_refused() {
        let s = submit();
        let good = countersigned(&s);
        let parts: Vec<&str> = good.jws.split('.').collect();
        let payload = String::from_utf8(b64url_decode(parts[1]).unwrap()).unwrap();
        for bad in [
            payload.replace("\"server_time\":\"2026", "\"server_time\":\"X026"),
            payload.replacen('{', "{\"extra\":1,", 1),
            format!("{},\"x\":1}}", &payload[..payload.len() - 1]),
        ] {
            let jws = format!("{}.{}.{}", parts[0], b64url_encode(bad.as_bytes()), parts[2]);
            assert_eq!(check_countersigned(&sent(&s), &jws), Err(CheckError::Payload), "{bad}");
        }
    }

    #[test]
    fn malformed_jws_is_refused() {
        let s = submit();
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
            assert_eq!(check_countersigned(&sent(&s), &jws), Err(CheckError::Malformed), "{jws}");
        }
    }
}
