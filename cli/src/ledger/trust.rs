//! Which key the CLI trusts for a site's checkpoints, and how it decides.
//!
//! - `--key <verifier key>` (the signed-note verifier key `<origin>+<id>+<base64(0x01 ‖ key)>`,
//!   published beside the site's docs): only that key. What a witness should do: the edge cannot
//!   swap it.
//! - Otherwise the key the edge publishes at `GET /v1/sites/{site}/log/key`, accepted only when
//!   its public key is one of the edge's JWKS keys (the receipt keys, fetched over TLS) and its
//!   origin names this site. This trusts the edge's TLS certificate exactly as verifying a
//!   receipt against the JWKS does; it does not protect against the edge itself.
//!
//! The mirror and the witness state file also remember the log's origin: a later run that is
//! shown another origin refuses.

use base64ct::{Base64, Encoding};
use kelisim_core::sign::{Jwks, PublicJwk};
use kelisim_ledger::checkpoint::CheckpointVerifier;
use kelisim_ledger::origin::LogOrigin;

use crate::error::{one_line, Error, Result};
use crate::ledger::source::LogSource;

/// Signed-note signature type of Ed25519 keys.
const ALG_ED25519: u8 = 1;

/// Parses a signed-note verifier key strictly: it must be exactly what
/// [`CheckpointVerifier::verifier_key`] writes for its origin and public key (so the key id is
/// checked too).
///
/// # Errors
/// [`Error::Input`] naming `source`.
pub fn parse_verifier_key(text: &str, source: &str) -> Result<CheckpointVerifier> {
    let bad =
        |why: &str| Error::Input(format!("{source}: not a Kelisim log verifier key ({why}): {:?}", one_line(text)));
    // The origin and the hex key id hold no '+'; the base64 key may.
    let parts: Vec<&str> = text.splitn(3, '+').collect();
    let [name, _id, key] = parts.as_slice() else { return Err(bad("expected <origin>+<key id>+<key>")) };
    let origin = LogOrigin::parse(name).map_err(|e| bad(&e.to_string()))?;
    let bytes = Base64::decode_vec(key).map_err(|_| bad("the key is not base64"))?;
    let [alg, public @ ..] = bytes.as_slice() else { return Err(bad("empty key")) };
    let public: &[u8; 32] = public.try_into().map_err(|_| bad("not an Ed25519 key"))?;
    if *alg != ALG_ED25519 {
        return Err(bad("not an Ed25519 key"));
    }
    let verifier = CheckpointVerifier::new(origin, public).map_err(|e| bad(&e.to_string()))?;
    if verifier.verifier_key() != text {
        return Err(bad("the key id does not match the key"));
    }
    Ok(verifier)
}

/// The public key of a verifier key, as a JWK, to compare with the JWKS.
fn public_jwk(verifier: &CheckpointVerifier) -> Result<PublicJwk> {
    let key = verifier.verifier_key();
    let encoded = key.splitn(3, '+').nth(2).unwrap_or_default();
    let bytes = Base64::decode_vec(encoded).map_err(|_| Error::Protocol("verifier key".into()))?;
    let public: &[u8; 32] =
        bytes.get(1..).and_then(|b| b.try_into().ok()).ok_or_else(|| Error::Protocol("verifier key".into()))?;
    Ok(PublicJwk::from_bytes(public))
}

/// The verifier of `site`'s checkpoints: `pinned` (from `--key`) or the edge's published key
/// checked against `jwks`.
///
/// # Errors
/// [`Error::Usage`] when `--key` is for another site; [`Error::BadSignature`] when the published
/// key is not a JWKS key or names another site; transport errors.
pub fn checkpoint_verifier(
    source: &impl LogSource,
    site: &str,
    pinned: Option<&str>,
    jwks: &Jwks,
) -> Result<CheckpointVerifier> {
    if let Some(text) = pinned {
        let verifier = parse_verifier_key(text, "--key")?;
        if verifier.origin().site() != site {
            return Err(Error::Usage(format!("--key is the key of log {}, not of site {site}", verifier.origin())));
        }
        return Ok(verifier);
    }
    let text = source.verifier_key()?;
    let verifier = parse_verifier_key(&text, "the edge's log key").map_err(|e| Error::BadSignature(e.to_string()))?;
    if verifier.origin().site() != site {
        return Err(Error::BadSignature(format!(
            "the edge's log key is for log {}, not site {site}",
            verifier.origin()
        )));
    }
    let jwk = public_jwk(&verifier)?;
    if !jwks.keys.iter().any(|k| k.kty == jwk.kty && k.crv == jwk.crv && k.x == jwk.x) {
        return Err(Error::BadSignature(format!(
            "the edge's log key {} is none of the JWKS keys; pin the key with --key",
            one_line(&text)
        )));
    }
    Ok(verifier)
}

#[cfg(test)]
mod tests {
    use kelisim_core::sign::EdgeSigningKey;
    use kelisim_ledger::checkpoint::CheckpointSigner;

    use super::*;

    #[test]
    fn verifier_keys_parse_strictly() {
        let origin = LogOrigin::new("127.0.0.1:8787", "crm-demo").unwrap();
        let verifier = CheckpointSigner::from_seed(origin, &[7; 32]).verifier();
        let text = verifier.verifier_key();
        assert_eq!(parse_verifier_key(&text, "k").unwrap(), verifier);
        let jwk = public_jwk(&verifier).unwrap();
        assert_eq!(jwk, EdgeSigningKey::from_seed("k1", [7; 32]).public_jwk());
        let (head, key) = text.rsplit_once('+').unwrap();
        let (name, id) = head.split_once('+').unwrap();
        for bad in [
            format!("{name}+00000000+{key}"),
            format!("{name}+{id}+{key}x"),
            format!("{name}+{id}"),
            format!("Other/kelisim/x+{id}+{key}"),
            format!("{text}+extra"),
            String::new(),
        ] {
            assert!(matches!(parse_verifier_key(&bad, "k"), Err(Error::Input(_))), "{bad}");
        }
    }

    #[test]
    fn a_key_whose_base64_holds_a_plus_parses() {
        let origin = LogOrigin::new("127.0.0.1:8787", "crm-demo").unwrap();
        let (seed, verifier) = (0..=u8::MAX)
            .map(|b| (b, CheckpointSigner::from_seed(origin.clone(), &[b; 32]).verifier()))
            .find(|(_, v)| v.verifier_key().splitn(3, '+').nth(2).is_some_and(|key| key.contains('+')))
            .unwrap();
        assert_eq!(parse_verifier_key(&verifier.verifier_key(), "k").unwrap(), verifier);
        assert_eq!(public_jwk(&verifier).unwrap(), EdgeSigningKey::from_seed("k1", [seed; 32]).public_jwk());
    }
}
