//! Ed25519 signatures as compact JWS (RFC 7515, `alg: EdDSA` per RFC 8037), JWK / JWKS and
//! RFC 7638 thumbprints. Verification pins the algorithm and the key id and uses `verify_strict`.
//!
//! Base64url is decoded strictly (no padding, no whitespace, canonical trailing bits), so every
//! JWS has exactly one textual form and any change to its characters changes what is verified.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::canonical::to_canonical_string;
use crate::limits::MAX_JWS_CHARS;
use crate::time::parse_millis;

/// JWK key type of Ed25519 keys (RFC 8037 §2).
pub const KTY_OKP: &str = "OKP";
/// JWK curve name of Ed25519 keys (RFC 8037 §2).
pub const CRV_ED25519: &str = "Ed25519";
/// JWK `use` of signing keys (RFC 7517 §4.2).
pub const USE_SIG: &str = "sig";

/// Largest payload an attached compact JWS may carry. The edge's countersignature covers one
/// canonical receipt (about 3 KiB, capped by `MAX_RECEIPT_BODY_BYTES` at 16 KiB); 64 KiB leaves
/// generous room for future payloads while bounding the work an untrusted JWS can cause.
const MAX_COMPACT_PAYLOAD_BYTES: usize = 64 * 1024;

/// Largest attached compact JWS in characters: a header and signature as bounded for detached
/// JWS ([`MAX_JWS_CHARS`]) plus the base64url text of the largest payload.
const MAX_COMPACT_JWS_CHARS: usize = MAX_JWS_CHARS + (MAX_COMPACT_PAYLOAD_BYTES * 4).div_ceil(3);

/// Length of an Ed25519 public key and of its seed.
const KEY_LEN: usize = 32;

/// The only JWS algorithm Kelisim accepts.
pub const JWS_ALG: &str = "EdDSA";
/// `typ` of the edge's countersignature over a receipt.
pub const RECEIPT_JWS_TYP: &str = "kelisim-receipt+jws";

/// Why a JWS or JWK was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwsError {
    #[error("malformed JWS: {0}")]
    Malformed(&'static str),
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("unknown or unexpected key id")]
    KeyId,
    #[error("invalid key: {0}")]
    Key(&'static str),
    #[error("signature does not verify")]
    Signature,
    #[error("payload does not match")]
    Payload,
    #[error("signed outside the key's validity period (kelisim_nbf..kelisim_exp in the JWKS)")]
    KeyPeriod,
}

/// A public Ed25519 key as a JWK (`{"crv":"Ed25519","kty":"OKP","x":…}`), exactly those members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
}

/// One entry of the edge's JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksKey {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    /// Start of the period this key signs in (RFC 3339, as receipts' `server_time`): a receipt
    /// it countersigned earlier is not genuine. Absent only for keys configured before periods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kelisim_nbf: Option<String>,
    /// End of that period, set when the key is retired: a leaked retired key cannot sign
    /// receipts that verify, backdated or not, past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kelisim_exp: Option<String>,
}

impl JwksKey {
    /// Whether a countersignature made at `server_ms` falls in this key's period (both ends
    /// included; an absent end is open).
    ///
    /// # Errors
    /// [`JwsError::KeyPeriod`] outside the period, [`JwsError::Key`] for a malformed bound.
    pub fn check_period(&self, server_ms: i64) -> Result<(), JwsError> {
        let bound = |v: &Option<String>| {
            v.as_deref()
                .map(|t| {
                    parse_millis("kelisim_nbf/kelisim_exp", t).map_err(|_| JwsError::Key("malformed validity period"))
                })
                .transpose()
        };
        let (nbf, exp) = (bound(&self.kelisim_nbf)?, bound(&self.kelisim_exp)?);
        if nbf.is_some_and(|n| server_ms < n) || exp.is_some_and(|e| server_ms > e) {
            return Err(JwsError::KeyPeriod);
        }
        Ok(())
    }
}

/// A JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Jwks {
    pub keys: Vec<JwksKey>,
}

/// A JWS protected header as Kelisim writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// An Ed25519 signing key with its key id.
pub struct EdgeSigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for EdgeSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeSigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Base64url without padding (RFC 7515 §2), kelisim-wire's (the widget's too).
#[must_use]
pub fn b64url_encode(bytes: &[u8]) -> String {
    kelisim_wire::base64url::encode(bytes)
}

/// Decodes base64url strictly: no padding, no whitespace or other characters outside the
/// base64url alphabet, and no non-zero trailing bits (each byte string has one encoding).
///
/// # Errors
/// [`JwsError::Malformed`] for any input that is not the canonical unpadded encoding.
pub fn b64url_decode(s: &str) -> Result<Vec<u8>, JwsError> {
    kelisim_wire::base64url::decode(s).ok_or(JwsError::Malformed("invalid or non-canonical base64url"))
}

impl PublicJwk {
    /// The JWK of a raw 32-byte Ed25519 public key.
    #[must_use]
    pub fn from_bytes(public: &[u8; 32]) -> Self {
        Self { kty: KTY_OKP.into(), crv: CRV_ED25519.into(), x: b64url_encode(public) }
    }

    /// The Ed25519 verifying key this JWK describes.
    ///
    /// # Errors
    /// [`JwsError::Key`] when `kty` is not `OKP`, `crv` is not `Ed25519`, `x` is not the
    /// base64url of 32 bytes, or those bytes are not a valid curve point.
    pub fn verifying_key(&self) -> Result<VerifyingKey, JwsError> {
        if self.kty != KTY_OKP {
            return Err(JwsError::Key("kty must be OKP"));
        }
        if self.crv != CRV_ED25519 {
            return Err(JwsError::Key("crv must be Ed25519"));
        }
        let x = b64url_decode(&self.x).map_err(|_| JwsError::Key("x is not base64url"))?;
        let x: [u8; KEY_LEN] = x.try_into().map_err(|_| JwsError::Key("x must be 32 bytes"))?;
        VerifyingKey::from_bytes(&x).map_err(|_| JwsError::Key("x is not an Ed25519 point"))
    }

    /// The RFC 7638 thumbprint: base64url of the SHA-256 of the JWK's required members in
    /// lexicographic order (`{"crv":…,"kty":…,"x":…}`); 43 characters.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        #[derive(Serialize)]
        struct Members<'a> {
            crv: &'a str,
            kty: &'a str,
            x: &'a str,
        }
        // An object of three strings always has canonical JSON; the fallback is unreachable.
        let json = to_canonical_string(&Members { crv: &self.crv, kty: &self.kty, x: &self.x }).unwrap_or_default();
        b64url_encode(&Sha256::digest(json.as_bytes()))
    }
}

impl EdgeSigningKey {
    /// A signing key from its 32-byte seed (the JWK `d`, RFC 8037 §2).
    #[must_use]
    pub fn from_seed(kid: impl Into<String>, seed: [u8; 32]) -> Self {
        Self { kid: kid.into(), key: SigningKey::from_bytes(&seed) }
    }

    /// A signing key from the base64url of its 32-byte seed (the JWK `d`).
    ///
    /// # Errors
    /// [`JwsError::Key`] when the seed is not the strict base64url of exactly 32 bytes.
    pub fn from_seed_b64url(kid: impl Into<String>, seed_b64url: &str) -> Result<Self, JwsError> {
        let mut bytes = b64url_decode(seed_b64url).map_err(|_| JwsError::Key("seed is not base64url"))?;
        let seed: Result<[u8; KEY_LEN], _> = bytes.as_slice().try_into();
        // Best effort: do not leave the decoded seed lying around in the heap.
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
        let seed = seed.map_err(|_| JwsError::Key("seed must be 32 bytes"))?;
        Ok(Self::from_seed(kid, seed))
    }

    /// The 32-byte seed, for the one other signer of the same key: the ledger's checkpoints
    /// (`kelisim_ledger::checkpoint::CheckpointSigner`, a signed note, never a JWS signing input).
    #[must_use]
    pub fn seed(&self) -> [u8; KEY_LEN] {
        self.key.to_bytes()
    }

    /// The key id (`kid`) this key signs under.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public half as a JWK.
    #[must_use]
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk::from_bytes(&self.key.verifying_key().to_bytes())
    }

    /// The public half as a JWKS entry (`alg: EdDSA`, `use: sig`, this key's `kid`).
    #[must_use]
    pub fn jwks_entry(&self) -> JwksKey {
        let PublicJwk { kty, crv, x } = self.public_jwk();
        JwksKey {
            kty,
            crv,
            x,
            kid: self.kid.clone(),
            alg: JWS_ALG.into(),
            use_: USE_SIG.into(),
            kelisim_nbf: None,
            kelisim_exp: None,
        }
    }

    /// An attached compact JWS (`HEADER.PAYLOAD.SIGNATURE`) over `payload`. The header segment is
    /// the base64url of the header's canonical JSON; the header is serialised as given, so
    /// callers set `alg` to [`JWS_ALG`].
    #[must_use]
    pub fn sign_compact(&self, header: &JwsHeader, payload: &[u8]) -> String {
        let mut input = encode_header(header);
        input.push('.');
        input.push_str(&b64url_encode(payload));
        let signature = self.key.sign(input.as_bytes());
        input.push('.');
        input.push_str(&b64url_encode(&signature.to_bytes()));
        input
    }

    /// A detached compact JWS (`HEADER..SIGNATURE`, RFC 7515 Appendix F) over `payload`.
    #[must_use]
    pub fn sign_detached(&self, header: &JwsHeader, payload: &[u8]) -> String {
        let header_b64 = encode_header(header);
        let input = format!("{header_b64}.{}", b64url_encode(payload));
        let signature = self.key.sign(input.as_bytes());
        format!("{header_b64}..{}", b64url_encode(&signature.to_bytes()))
    }
}

/// Base64url of the header's canonical JSON.
fn encode_header(header: &JwsHeader) -> String {
    // A header of strings always has canonical JSON. Were it ever to fail, the empty header
    // segment makes every verifier refuse the JWS rather than accept something unintended.
    b64url_encode(to_canonical_string(header).unwrap_or_default().as_bytes())
}

/// The three segments of a compact JWS, with the header already decoded and checked.
struct Parts<'a> {
    header_b64: &'a str,
    payload_b64: &'a str,
    header: JwsHeader,
    signature: Signature,
}

/// Splits a compact JWS into exactly three segments, parses the header strictly (only `alg`,
/// `kid`, `typ`), pins `alg` to EdDSA and decodes the 64-byte signature.
fn parse(jws: &str, max_chars: usize) -> Result<Parts<'_>, JwsError> {
    if jws.len() > max_chars {
        return Err(JwsError::Malformed("too long"));
    }
    let mut segments = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(JwsError::Malformed("expected three segments"));
    };
    if header_b64.is_empty() || header_b64.len() > MAX_JWS_CHARS {
        return Err(JwsError::Malformed("header segment empty or too long"));
    }
    let header_json = b64url_decode(header_b64)?;
    let header: JwsHeader =
        serde_json::from_slice(&header_json).map_err(|_| JwsError::Malformed("header is not a valid JWS header"))?;
    if header.alg != JWS_ALG {
        return Err(JwsError::Algorithm);
    }
    let signature = b64url_decode(signature_b64)?;
    let signature: [u8; Signature::BYTE_SIZE] =
        signature.try_into().map_err(|_| JwsError::Malformed("signature must be 64 bytes"))?;
    Ok(Parts { header_b64, payload_b64, header, signature: Signature::from_bytes(&signature) })
}

/// Strict Ed25519 verification of `header_b64 . payload_b64`.
fn verify_input(
    key: &VerifyingKey,
    header_b64: &str,
    payload_b64: &str,
    signature: &Signature,
) -> Result<(), JwsError> {
    let input = format!("{header_b64}.{payload_b64}");
    key.verify_strict(input.as_bytes(), signature).map_err(|_| JwsError::Signature)
}

/// Decodes an attached payload after the signature has been checked.
fn decode_payload(payload_b64: &str) -> Result<Vec<u8>, JwsError> {
    let payload = b64url_decode(payload_b64)?;
    if payload.len() > MAX_COMPACT_PAYLOAD_BYTES {
        return Err(JwsError::Malformed("payload too large"));
    }
    Ok(payload)
}

/// Verifies an attached compact JWS against a JWKS and returns its header and payload.
///
/// The header is parsed strictly (only `alg`, `kid`, `typ`), `alg` must be `EdDSA`, `kid` must be
/// present and name exactly one JWKS entry whose `kty`/`crv`/`alg`/`use` are
/// `OKP`/`Ed25519`/`EdDSA`/`sig`, and `typ` must equal `expected_typ` when that is given. The
/// signature is checked with `verify_strict`.
///
/// # Errors
/// [`JwsError::Malformed`] for a JWS that is too long, not three segments, not strict base64url,
/// has a header that is not JSON or has unknown members, a signature that is not 64 bytes, or an
/// unexpected `typ`; [`JwsError::Algorithm`] for any `alg` but `EdDSA`; [`JwsError::KeyId`] for a
/// missing, unknown or ambiguous `kid`; [`JwsError::Key`] for an unusable JWKS entry;
/// [`JwsError::Signature`] when the signature does not verify.
pub fn verify_compact(jws: &str, jwks: &Jwks, expected_typ: Option<&str>) -> Result<(JwsHeader, Vec<u8>), JwsError> {
    let parts = parse(jws, MAX_COMPACT_JWS_CHARS)?;
    if let Some(typ) = expected_typ {
        if parts.header.typ.as_deref() != Some(typ) {
            return Err(JwsError::Malformed("unexpected typ"));
        }
    }
    let kid = parts.header.kid.as_deref().ok_or(JwsError::KeyId)?;
    let mut matching = jwks.keys.iter().filter(|k| k.kid == kid);
    let (Some(entry), None) = (matching.next(), matching.next()) else {
        return Err(JwsError::KeyId);
    };
    if entry.alg != JWS_ALG {
        return Err(JwsError::Key("JWKS entry alg must be EdDSA"));
    }
    if entry.use_ != USE_SIG {
        return Err(JwsError::Key("JWKS entry use must be sig"));
    }
    let key = PublicJwk { kty: entry.kty.clone(), crv: entry.crv.clone(), x: entry.x.clone() }.verifying_key()?;
    verify_input(&key, parts.header_b64, parts.payload_b64, &parts.signature)?;
    let payload = decode_payload(parts.payload_b64)?;
    Ok((parts.header, payload))
}

/// Verifies an attached compact JWS with one known key and returns its payload. When
/// `expected_kid` is given the header's `kid` must equal it; otherwise any or no `kid` is
/// accepted.
///
/// # Errors
/// As [`verify_compact`] (except `typ`, which is not checked), with [`JwsError::KeyId`] when the
/// header's `kid` is not `expected_kid`.
pub fn verify_compact_with_key(jws: &str, key: &PublicJwk, expected_kid: Option<&str>) -> Result<Vec<u8>, JwsError> {
    let parts = parse(jws, MAX_COMPACT_JWS_CHARS)?;
    if let Some(kid) = expected_kid {
        if parts.header.kid.as_deref() != Some(kid) {
            return Err(JwsError::KeyId);
        }
    }
    let key = key.verifying_key()?;
    verify_input(&key, parts.header_b64, parts.payload_b64, &parts.signature)?;
    decode_payload(parts.payload_b64)
}

/// The one protected header a detached JWS may carry: base64url of the canonical JSON
/// `{"alg":"EdDSA","kid":KID}` (what the widget writes, byte for byte).
#[must_use]
pub fn detached_header_b64(kid: &str) -> String {
    encode_header(&JwsHeader { alg: JWS_ALG.into(), kid: Some(kid.into()), typ: None })
}

/// Verifies a detached compact JWS (`HEADER..SIGNATURE`, RFC 7515 Appendix F) over `payload`
/// with `key`. The header must be exactly [`detached_header_b64`] of `expected_kid`: `alg`
/// `EdDSA`, that `kid`, no other member, canonical member order.
///
/// # Errors
/// [`JwsError::Malformed`] for a JWS longer than [`MAX_JWS_CHARS`], not of the detached form, not
/// strict base64url, with a header that is not JSON, has unknown members or is not the canonical
/// header, or a signature that is not 64 bytes; [`JwsError::Algorithm`] for any `alg` but `EdDSA`; [`JwsError::KeyId`] for a
/// missing or different `kid`; [`JwsError::Key`] for an unusable key; [`JwsError::Signature`] when
/// the signature does not verify over `payload`.
pub fn verify_detached(jws: &str, payload: &[u8], key: &PublicJwk, expected_kid: &str) -> Result<(), JwsError> {
    let parts = parse(jws, MAX_JWS_CHARS)?;
    if !parts.payload_b64.is_empty() {
        return Err(JwsError::Malformed("payload segment of a detached JWS must be empty"));
    }
    if parts.header.kid.as_deref() != Some(expected_kid) {
        return Err(JwsError::KeyId);
    }
    // One header, one spelling: the same claims signed under a reordered or extended header would
    // be a second, different receipt text for the same choice.
    if parts.header_b64 != detached_header_b64(expected_kid) {
        return Err(JwsError::Malformed("protected header is not the canonical {\"alg\":\"EdDSA\",\"kid\":…}"));
    }
    let key = key.verifying_key()?;
    verify_input(&key, parts.header_b64, &b64url_encode(payload), &parts.signature)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const KID: &str = "edge-2025-01";

    fn key() -> EdgeSigningKey {
        EdgeSigningKey::from_seed(KID, [7; 32])
    }

    fn other_key() -> EdgeSigningKey {
        EdgeSigningKey::from_seed(KID, [8; 32])
    }

    fn header() -> JwsHeader {
        JwsHeader { alg: JWS_ALG.into(), kid: Some(KID.into()), typ: Some(RECEIPT_JWS_TYP.into()) }
    }

    fn jwks() -> Jwks {
        Jwks { keys: vec![key().jwks_entry()] }
    }

    /// A JWS with a hand-made header segment, signed properly by `key()`.
    fn with_raw_header(header_json: &str, payload: &[u8]) -> String {
        let input = format!("{}.{}", b64url_encode(header_json.as_bytes()), b64url_encode(payload));
        let sig = key().key.sign(input.as_bytes());
        format!("{input}.{}", b64url_encode(&sig.to_bytes()))
    }

    fn replace_segment(jws: &str, index: usize, value: &str) -> String {
        let mut parts: Vec<&str> = jws.split('.').collect();
        parts[index] = value;
        parts.join(".")
    }

    #[test]
    fn b64url_round_trip_and_strictness() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = b64url_encode(&bytes);
            assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
            assert_eq!(b64url_decode(&text).unwrap(), bytes);
        }
        assert_eq!(b64url_encode(b"\xfb\xff"), "-_8");
        // Padding, whitespace, standard alphabet, impossible length, non-canonical trailing bits.
        for bad in ["AA==", "AAA=", "AA A", " AAA", "AAA\n", "+/8", "A", "AAAAA", "AB", "AAB", "A.A"] {
            assert!(matches!(b64url_decode(bad), Err(JwsError::Malformed(_))), "{bad:?} accepted");
        }
        assert_eq!(b64url_decode("AA").unwrap(), vec![0]);
        assert_eq!(b64url_decode("AAA").unwrap(), vec![0, 0]);
        assert_eq!(b64url_decode("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn public_jwk_and_thumbprint() {
        let jwk = key().public_jwk();
        assert_eq!((jwk.kty.as_str(), jwk.crv.as_str(), jwk.x.len()), ("OKP", "Ed25519", 43));
        assert_eq!(jwk.verifying_key().unwrap(), key().key.verifying_key());
        assert_eq!(PublicJwk::from_bytes(&key().key.verifying_key().to_bytes()), jwk);
        let thumbprint = jwk.thumbprint();
        assert_eq!(thumbprint.len(), 43);
        assert_ne!(thumbprint, other_key().public_jwk().thumbprint());

        let entry = key().jwks_entry();
        assert_eq!((entry.alg.as_str(), entry.use_.as_str(), entry.kid.as_str()), ("EdDSA", "sig", KID));
        let json = serde_json::to_string(&entry).unwrap();
        assert!(json.contains("\"use\":\"sig\""));
        assert_eq!(serde_json::from_str::<JwksKey>(&json).unwrap(), entry);
    }

    #[test]
    fn verifying_key_rejects_bad_jwks() {
        let good = key().public_jwk();
        let bad = [
            PublicJwk { kty: "EC".into(), ..good.clone() },
            PublicJwk { crv: "X25519".into(), ..good.clone() },
            PublicJwk { x: "AAAA".into(), ..good.clone() },
            PublicJwk { x: format!("{}=", good.x), ..good.clone() },
            PublicJwk { x: b64url_encode(&[0; 33]), ..good.clone() },
            PublicJwk { x: String::new(), ..good.clone() },
        ];
        for jwk in bad {
            assert!(matches!(jwk.verifying_key(), Err(JwsError::Key(_))), "{jwk:?} accepted");
        }
        let extra = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"x"}"#;
        assert!(serde_json::from_str::<PublicJwk>(extra).is_err());
    }

    #[test]
    fn seed_from_b64url() {
        let seed = b64url_encode(&[7; 32]);
        let k = EdgeSigningKey::from_seed_b64url("k", &seed).unwrap();
        assert_eq!(k.kid(), "k");
        assert_eq!(k.public_jwk(), key().public_jwk());
        for bad in [b64url_encode(&[7; 31]), b64url_encode(&[7; 33]), format!("{seed}="), "!!".into()] {
            assert!(matches!(EdgeSigningKey::from_seed_b64url("k", &bad), Err(JwsError::Key(_))));
        }
        assert!(!format!("{k:?}").contains(&seed));
    }

    #[test]
    fn compact_round_trip() {
        for payload in [&b""[..], b"x", b"{\"a\":1}", &[0xff; 1000]] {
            let jws = key().sign_compact(&header(), payload);
            assert_eq!(jws.split('.').count(), 3);
            let (h, p) = verify_compact(&jws, &jwks(), Some(RECEIPT_JWS_TYP)).unwrap();
            assert_eq!((h, p.as_slice()), (header(), payload));
            assert_eq!(verify_compact(&jws, &jwks(), None).unwrap().1, payload);
            assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), Some(KID)).unwrap(), payload);
            assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), None).unwrap(), payload);
        }
    }

    #[test]
    fn header_segment_is_canonical_json() {
        let jws = key().sign_compact(&header(), b"p");
        let header_json = b64url_decode(jws.split('.').next().unwrap()).unwrap();
        assert_eq!(
            String::from_utf8(header_json).unwrap(),
            r#"{"alg":"EdDSA","kid":"edge-2025-01","typ":"kelisim-receipt+jws"}"#
        );
        let bare = JwsHeader { alg: JWS_ALG.into(), kid: None, typ: None };
        assert!(key().sign_compact(&bare, b"").starts_with("eyJhbGciOiJFZERTQSJ9."));
    }

    #[test]
    fn compact_with_several_keys_picks_by_kid() {
        let a = EdgeSigningKey::from_seed("a", [1; 32]);
        let b = EdgeSigningKey::from_seed("b", [2; 32]);
        let set = Jwks { keys: vec![a.jwks_entry(), b.jwks_entry()] };
        for k in [&a, &b] {
            let h = JwsHeader { alg: JWS_ALG.into(), kid: Some(k.kid().into()), typ: None };
            assert_eq!(verify_compact(&k.sign_compact(&h, b"hi"), &set, None).unwrap().1, b"hi");
        }
        // The kid names a key, but a different key signed.
        let forged = b.sign_compact(&JwsHeader { alg: JWS_ALG.into(), kid: Some("a".into()), typ: None }, b"hi");
        assert_eq!(verify_compact(&forged, &set, None), Err(JwsError::Signature));
        // Ambiguous kid.
        let dup = Jwks { keys: vec![a.jwks_entry(), a.jwks_entry()] };
        let jws = a.sign_compact(&JwsHeader { alg: JWS_ALG.into(), kid: Some("a".into()), typ: None }, b"hi");
        assert_eq!(verify_compact(&jws, &dup, None), Err(JwsError::KeyId));
    }

    #[test]
    fn rejects_bad_jwks_entry() {
        let jws = key().sign_compact(&header(), b"p");
        let entry = key().jwks_entry();
        for bad in [
            JwksKey { kty: "RSA".into(), ..entry.clone() },
            JwksKey { crv: "P-256".into(), ..entry.clone() },
            JwksKey { alg: "ES256".into(), ..entry.clone() },
            JwksKey { use_: "enc".into(), ..entry.clone() },
            JwksKey { x: "AAAA".into(), ..entry.clone() },
        ] {
            let set = Jwks { keys: vec![bad] };
            assert!(matches!(verify_compact(&jws, &set, None), Err(JwsError::Key(_))));
        }
        assert_eq!(verify_compact(&jws, &Jwks::default(), None), Err(JwsError::KeyId));
    }

    #[test]
    fn rejects_tampered_payload() {
        let jws = key().sign_compact(&header(), b"{\"a\":1}");
        let tampered = replace_segment(&jws, 1, &b64url_encode(b"{\"a\":2}"));
        assert_eq!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Signature));
        assert_eq!(verify_compact_with_key(&tampered, &key().public_jwk(), Some(KID)), Err(JwsError::Signature));
    }

    #[test]
    fn rejects_tampered_signature() {
        let jws = key().sign_compact(&header(), b"p");
        let sig = b64url_decode(jws.split('.').nth(2).unwrap()).unwrap();
        for i in [0, 31, 32, 63] {
            let mut s = sig.clone();
            s[i] ^= 1;
            let tampered = replace_segment(&jws, 2, &b64url_encode(&s));
            assert_eq!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Signature));
        }
        // Same bytes, non-canonical last character (the 4 trailing bits of 64 bytes).
        let sig_b64 = jws.split('.').nth(2).unwrap();
        let last = sig_b64.chars().last().unwrap();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let pos = alphabet.find(last).unwrap();
        let sibling = alphabet.chars().nth(pos ^ 1).unwrap();
        let tampered = replace_segment(&jws, 2, &format!("{}{sibling}", &sig_b64[..sig_b64.len() - 1]));
        assert!(matches!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Malformed(_))));
    }

    #[test]
    fn rejects_wrong_signature_length() {
        let jws = key().sign_compact(&header(), b"p");
        let sig = b64url_decode(jws.split('.').nth(2).unwrap()).unwrap();
        for s in [&sig[..63], &[sig.as_slice(), &[0]].concat(), &[]] {
            let tampered = replace_segment(&jws, 2, &b64url_encode(s));
            assert!(matches!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Malformed(_))));
        }
    }

    #[test]
    fn rejects_tampered_header() {
        let jws = key().sign_compact(&header(), b"p");
        // Same meaning, different bytes (non-canonical order): the signature covers the text.
        let reordered = r#"{"kid":"edge-2025-01","alg":"EdDSA","typ":"kelisim-receipt+jws"}"#;
        let tampered = replace_segment(&jws, 0, &b64url_encode(reordered.as_bytes()));
        assert_eq!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Signature));
        let retyped = r#"{"alg":"EdDSA","kid":"edge-2025-01","typ":"other"}"#;
        let tampered = replace_segment(&jws, 0, &b64url_encode(retyped.as_bytes()));
        assert_eq!(verify_compact(&tampered, &jwks(), None), Err(JwsError::Signature));
    }

    #[test]
    fn rejects_alg_none_and_others() {
        for alg in ["none", "HS256", "ES256", "RS256", "eddsa", "Ed25519", ""] {
            let h = format!(r#"{{"alg":"{alg}","kid":"{KID}"}}"#);
            let jws = with_raw_header(&h, b"p");
            assert_eq!(verify_compact(&jws, &jwks(), None), Err(JwsError::Algorithm), "{alg}");
            assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), None), Err(JwsError::Algorithm));
            // Unsigned form of alg none.
            let unsigned = format!("{}.{}.", b64url_encode(h.as_bytes()), b64url_encode(b"p"));
            assert!(verify_compact(&unsigned, &jwks(), None).is_err());
        }
        let forged = key().sign_compact(&JwsHeader { alg: "HS256".into(), kid: Some(KID.into()), typ: None }, b"p");
        assert_eq!(verify_compact(&forged, &jwks(), None), Err(JwsError::Algorithm));
    }

    #[test]
    fn rejects_unknown_and_missing_kid() {
        let unknown = JwsHeader { kid: Some("someone-else".into()), ..header() };
        let jws = key().sign_compact(&unknown, b"p");
        assert_eq!(verify_compact(&jws, &jwks(), None), Err(JwsError::KeyId));
        assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), Some(KID)), Err(JwsError::KeyId));
        assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), None).unwrap(), b"p");

        let missing = JwsHeader { kid: None, ..header() };
        let jws = key().sign_compact(&missing, b"p");
        assert_eq!(verify_compact(&jws, &jwks(), None), Err(JwsError::KeyId));
        assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), Some(KID)), Err(JwsError::KeyId));
        assert_eq!(verify_compact_with_key(&jws, &key().public_jwk(), None).unwrap(), b"p");
    }

    #[test]
    fn typ_is_pinned_when_expected() {
        let jws = key().sign_compact(&JwsHeader { typ: Some("JWT".into()), ..header() }, b"p");
        assert!(matches!(verify_compact(&jws, &jwks(), Some(RECEIPT_JWS_TYP)), Err(JwsError::Malformed(_))));
        assert!(verify_compact(&jws, &jwks(), None).is_ok());
        let jws = key().sign_compact(&JwsHeader { typ: None, ..header() }, b"p");
        assert!(matches!(verify_compact(&jws, &jwks(), Some(RECEIPT_JWS_TYP)), Err(JwsError::Malformed(_))));
    }

    #[test]
    fn rejects_wrong_segment_counts() {
        let jws = key().sign_compact(&header(), b"p");
        let parts: Vec<&str> = jws.split('.').collect();
        let candidates = [
            String::new(),
            parts[0].to_string(),
            format!("{}.{}", parts[0], parts[1]),
            format!("{}.{}", parts[0], parts[2]),
            format!("{jws}."),
            format!("{jws}.{}", parts[2]),
            format!(".{jws}"),
            format!("{}.{}.{}..{}", parts[0], parts[1], parts[2], parts[2]),
        ];
        for c in candidates {
            assert!(matches!(verify_compact(&c, &jwks(), None), Err(JwsError::Malformed(_))), "{c}");
            let r = verify_compact_with_key(&c, &key().public_jwk(), None);
            assert!(matches!(r, Err(JwsError::Malformed(_))), "{c}");
        }
    }

    #[test]
    fn rejects_padding_and_bad_base64() {
        let jws = key().sign_compact(&header(), b"pq");
        let parts: Vec<&str> = jws.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            for bad in
                [format!("{part}="), format!("{part}=="), format!(" {part}"), format!("{part}\n"), format!("{part}*")]
            {
                let tampered = replace_segment(&jws, i, &bad);
                assert!(verify_compact(&tampered, &jwks(), None).is_err(), "segment {i}: {bad}");
            }
            let standard = part.replace('-', "+").replace('_', "/");
            if standard != *part {
                let tampered = replace_segment(&jws, i, &standard);
                assert!(verify_compact(&tampered, &jwks(), None).is_err());
            }
        }
        // Payload "pq" encodes to "cHE"; "cHE=" must be refused even though it means the same.
        assert_eq!(parts[1], "cHE");
    }

    #[test]
    fn rejects_non_json_and_unknown_header_members() {
        for h in [
            "not json",
            "",
            "[]",
            "null",
            r#"{"alg":"EdDSA","kid":"edge-2025-01""#,
            r#"{"alg":"EdDSA","kid":"edge-2025-01","crit":["b64"],"b64":false}"#,
            r#"{"alg":"EdDSA","kid":"edge-2025-01","jwk":{}}"#,
            r#"{"alg":"EdDSA","kid":"edge-2025-01","x5u":"https://evil"}"#,
            r#"{"alg":"EdDSA","alg":"EdDSA","kid":"edge-2025-01"}"#,
            r#"{"kid":"edge-2025-01"}"#,
            r#"{"alg":1,"kid":"edge-2025-01"}"#,
            r#"{"alg":"EdDSA","kid":7}"#,
        ] {
            let jws = with_raw_header(h, b"p");
            assert!(matches!(verify_compact(&jws, &jwks(), None), Err(JwsError::Malformed(_))), "{h}");
        }
        let h = format!("{}\u{fffd}", r#"{"alg":"EdDSA"}"#);
        assert!(verify_compact(&with_raw_header(&h, b"p"), &jwks(), None).is_err());
        let invalid_utf8 =
            format!("{}.{}.{}", b64url_encode(&[0xff, 0xfe]), b64url_encode(b"p"), b64url_encode(&[0; 64]));
        assert!(matches!(verify_compact(&invalid_utf8, &jwks(), None), Err(JwsError::Malformed(_))));
    }

    #[test]
    fn rejects_wrong_key() {
        let jws = key().sign_compact(&header(), b"p");
        assert_eq!(verify_compact_with_key(&jws, &other_key().public_jwk(), Some(KID)), Err(JwsError::Signature));
        let other_set = Jwks { keys: vec![other_key().jwks_entry()] };
        assert_eq!(verify_compact(&jws, &other_set, None), Err(JwsError::Signature));
        let detached = key().sign_detached(&JwsHeader { typ: None, ..header() }, b"p");
        assert_eq!(verify_detached(&detached, b"p", &other_key().public_jwk(), KID), Err(JwsError::Signature));
    }

    #[test]
    fn rejects_oversized_input() {
        let big = vec![b'a'; MAX_COMPACT_PAYLOAD_BYTES];
        let jws = key().sign_compact(&header(), &big);
        assert_eq!(verify_compact(&jws, &jwks(), None).unwrap().1.len(), MAX_COMPACT_PAYLOAD_BYTES);
        let too_big = vec![b'a'; MAX_COMPACT_PAYLOAD_BYTES + 3];
        let jws = key().sign_compact(&header(), &too_big);
        assert!(matches!(verify_compact(&jws, &jwks(), None), Err(JwsError::Malformed(_))));
        assert!(matches!(verify_compact_with_key(&jws, &key().public_jwk(), None), Err(JwsError::Malformed(_))));
        let one_over = vec![b'a'; MAX_COMPACT_PAYLOAD_BYTES + 1];
        let jws = key().sign_compact(&header(), &one_over);
        assert!(matches!(verify_compact(&jws, &jwks(), None), Err(JwsError::Malformed(_))));

        let long_kid = JwsHeader { kid: Some("k".repeat(MAX_JWS_CHARS)), ..header() };
        let jws = key().sign_detached(&long_kid, b"p");
        let r = verify_detached(&jws, b"p", &key().public_jwk(), long_kid.kid.as_deref().unwrap());
        assert!(matches!(r, Err(JwsError::Malformed(_))));
        let jws = key().sign_compact(&long_kid, b"p");
        assert!(matches!(verify_compact_with_key(&jws, &key().public_jwk(), None), Err(JwsError::Malformed(_))));
    }

    #[test]
    fn detached_round_trip_and_rejections() {
        let payload = br#"{"claims":1}"#;
        let detached_header = JwsHeader { typ: None, ..header() };
        let jws = key().sign_detached(&detached_header, payload);
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(parts[1].is_empty());
        assert_eq!(parts[0], detached_header_b64(KID));
        let jwk = key().public_jwk();
        assert_eq!(verify_detached(&jws, payload, &jwk, KID), Ok(()));
        // The same signature as the attached form.
        let attached = key().sign_compact(&detached_header, payload);
        assert_eq!(attached.split('.').nth(2), Some(parts[2]));
        assert_eq!(verify_detached(&jws, br#"{"claims":2}"#, &jwk, KID), Err(JwsError::Signature));
        assert_eq!(verify_detached(&jws, payload, &jwk, "other"), Err(JwsError::KeyId));
        let missing = key().sign_detached(&JwsHeader { kid: None, ..header() }, payload);
        assert_eq!(verify_detached(&missing, payload, &jwk, KID), Err(JwsError::KeyId));
        // Attached form where detached is expected.
        assert!(matches!(verify_detached(&attached, payload, &jwk, KID), Err(JwsError::Malformed(_))));
        let none = key().sign_detached(&JwsHeader { alg: "none".into(), ..header() }, payload);
        assert_eq!(verify_detached(&none, payload, &jwk, KID), Err(JwsError::Algorithm));
        for bad in [format!("{}.{}", parts[0], parts[2]), format!("{jws}."), format!("{}..{}=", parts[0], parts[2])] {
            assert!(matches!(verify_detached(&bad, payload, &jwk, KID), Err(JwsError::Malformed(_))));
        }
        let mut sig = b64url_decode(parts[2]).unwrap();
        sig[10] ^= 0x80;
        let tampered = format!("{}..{}", parts[0], b64url_encode(&sig));
        assert_eq!(verify_detached(&tampered, payload, &jwk, KID), Err(JwsError::Signature));
    }

    /// A detached JWS signed properly by `key()` under a hand-made header text.
    fn detached_with_raw_header(header_json: &str, payload: &[u8]) -> String {
        let h = b64url_encode(header_json.as_bytes());
        let sig = key().key.sign(format!("{h}.{}", b64url_encode(payload)).as_bytes());
        format!("{h}..{}", b64url_encode(&sig.to_bytes()))
    }

    #[test]
    fn detached_header_has_one_spelling() {
        let payload = br#"{"claims":1}"#;
        let jwk = key().public_jwk();
        let canonical = format!(r#"{{"alg":"EdDSA","kid":"{KID}"}}"#);
        assert_eq!(verify_detached(&detached_with_raw_header(&canonical, payload), payload, &jwk, KID), Ok(()));
        // Validly signed, same alg and kid, but another text: reordered, an extra typ, spacing,
        // an escaped character.
        for header in [
            format!(r#"{{"kid":"{KID}","alg":"EdDSA"}}"#),
            format!(r#"{{"alg":"EdDSA","kid":"{KID}","typ":"JWT"}}"#),
            format!(r#"{{"alg":"EdDSA","kid":"{KID}","typ":"{RECEIPT_JWS_TYP}"}}"#),
            format!(r#"{{ "alg":"EdDSA","kid":"{KID}"}}"#),
            format!(r#"{{"alg":"EdDS\u0041","kid":"{KID}"}}"#),
        ] {
            let jws = detached_with_raw_header(&header, payload);
            assert!(matches!(verify_detached(&jws, payload, &jwk, KID), Err(JwsError::Malformed(_))), "{header}");
        }
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let jws = key().sign_compact(&header(), b"{\"v\":1}");
        let jwk = key().public_jwk();
        let set = jwks();
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
        for (i, original) in jws.char_indices() {
            // Two replacement characters per position keep this fast in debug builds.
            for replacement in alphabet.chars().filter(|&c| c != original).skip(i % 60).take(2) {
                let mut tampered = jws.clone();
                tampered.replace_range(i..=i, &replacement.to_string());
                assert!(verify_compact(&tampered, &set, None).is_err(), "{tampered}");
                assert!(verify_compact_with_key(&tampered, &jwk, None).is_err(), "{tampered}");
            }
        }
    }
}
