//! The edge's keys: the one private key that signs, from the `EDGE_SIGNING_KEYS` secret
//! (`kid:seed:not_before`, seed = base64url of a 32-byte Ed25519 seed, `not_before` RFC 3339),
//! and the retired keys, public only, from `EDGE_RETIRED_KEYS`
//! (`kid:x:not_before/not_after[,…]`, x = the base64url public key, the period in ISO 8601
//! interval form). Every key is published in the JWKS with its period (`kelisim_nbf`,
//! `kelisim_exp`), and a countersignature verifies only inside its key's period, so an old
//! private key, leaked, signs nothing that verifies, and the edge never needs it again.
//!
//! A secret in the older `kid:seed` form (no period) still loads: that key is valid from the
//! start. Several private keys in the secret are refused: retired keys are public-only.

use kelisim_core::id::check_slug;
use kelisim_core::sign::{EdgeSigningKey, Jwks, JwksKey, PublicJwk, CRV_ED25519, JWS_ALG, KTY_OKP, USE_SIG};
use kelisim_core::time::{format_millis, parse_millis};

/// Retired keys kept for verification: each rotation adds one; older receipts keep verifying as
/// long as their key is listed.
pub const MAX_RETIRED_KEYS: usize = 64;

/// The signing key and the retired public keys.
#[derive(Debug)]
pub struct Keyring {
    current: EdgeSigningKey,
    /// When the current key started signing (ms); `None` for a secret without a period.
    not_before_ms: Option<i64>,
    retired: Vec<JwksKey>,
}

impl Keyring {
    /// Parses a signing-key secret with no retired keys.
    ///
    /// # Errors
    /// As [`Keyring::parse_with_retired`].
    pub fn parse(secret: &str) -> Result<Self, String> {
        Self::parse_with_retired(secret, "")
    }

    /// Parses `EDGE_SIGNING_KEYS` and `EDGE_RETIRED_KEYS` (empty when there are none).
    ///
    /// # Errors
    /// A message saying which entry is wrong (never the seed itself).
    pub fn parse_with_retired(secret: &str, retired: &str) -> Result<Self, String> {
        let entries: Vec<&str> = secret.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        let entry = match entries.as_slice() {
            [] => return Err("no signing key configured".into()),
            [one] => *one,
            _ => {
                return Err("EDGE_SIGNING_KEYS holds one private key; retired keys go, public only, to \
                            EDGE_RETIRED_KEYS (kelisim key rotate writes both)"
                    .into())
            }
        };
        let mut parts = entry.splitn(3, ':');
        let (Some(kid), Some(seed)) = (parts.next(), parts.next()) else {
            return Err("signing key: expected kid:seed:not_before".into());
        };
        check_slug("kid", kid).map_err(|e| format!("signing key: {e}"))?;
        let not_before_ms = parts
            .next()
            .map(|t| parse_millis("not_before", t).map_err(|e| format!("signing key ({kid}): {e}")))
            .transpose()?;
        let current = EdgeSigningKey::from_seed_b64url(kid, seed).map_err(|e| format!("signing key ({kid}): {e}"))?;
        let retired = parse_retired(retired)?;
        // Two keys under one kid make the JWKS ambiguous: verifiers refuse such a kid.
        let mut kids: Vec<&str> = retired.iter().map(|k| k.kid.as_str()).collect();
        kids.push(kid);
        kids.sort_unstable();
        if let Some(w) = kids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("kid {} appears twice", w[0]));
        }
        Ok(Self { current, not_before_ms, retired })
    }

    /// The key that signs new receipts.
    #[must_use]
    pub fn current(&self) -> &EdgeSigningKey {
        &self.current
    }

    /// Whether the current key may sign at `now_ms` (not before its period starts).
    #[must_use]
    pub fn can_sign_at(&self, now_ms: i64) -> bool {
        self.not_before_ms.is_none_or(|n| now_ms >= n)
    }

    /// The public keys: the current one (open-ended), then the retired ones, each with its period.
    #[must_use]
    pub fn jwks(&self) -> Jwks {
        let current = JwksKey { kelisim_nbf: self.not_before_ms.map(format_millis), ..self.current.jwks_entry() };
        Jwks { keys: std::iter::once(current).chain(self.retired.iter().cloned()).collect() }
    }

    /// The `EDGE_RETIRED_KEYS` entry for the current key, retired at `not_after_ms`.
    #[must_use]
    pub fn retire_current(&self, not_after_ms: i64) -> String {
        retired_entry(&self.current.public_jwk().x, self.current.kid(), self.not_before_ms.unwrap_or(0), not_after_ms)
    }
}

/// One `EDGE_RETIRED_KEYS` entry: `kid:x:not_before/not_after`.
#[must_use]
pub fn retired_entry(x: &str, kid: &str, not_before_ms: i64, not_after_ms: i64) -> String {
    format!("{kid}:{x}:{}/{}", format_millis(not_before_ms), format_millis(not_after_ms))
}

/// Parses `EDGE_RETIRED_KEYS` into JWKS entries.
///
/// # Errors
/// A message naming the entry.
pub fn parse_retired(value: &str) -> Result<Vec<JwksKey>, String> {
    let mut keys = Vec::new();
    for (i, entry) in value.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
        let n = i + 1;
        let mut parts = entry.splitn(3, ':');
        let (Some(kid), Some(x), Some(period)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("retired key {n}: expected kid:x:not_before/not_after"));
        };
        check_slug("kid", kid).map_err(|e| format!("retired key {n}: {e}"))?;
        let jwk = PublicJwk { kty: KTY_OKP.into(), crv: CRV_ED25519.into(), x: x.to_owned() };
        jwk.verifying_key().map_err(|e| format!("retired key {n} ({kid}): {e}"))?;
        let (nbf, exp) =
            period.split_once('/').ok_or(format!("retired key {n} ({kid}): period is not_before/not_after"))?;
        let nbf_ms = parse_millis("not_before", nbf).map_err(|e| format!("retired key {n} ({kid}): {e}"))?;
        let exp_ms = parse_millis("not_after", exp).map_err(|e| format!("retired key {n} ({kid}): {e}"))?;
        if exp_ms < nbf_ms {
            return Err(format!("retired key {n} ({kid}): not_after is before not_before"));
        }
        keys.push(JwksKey {
            kty: jwk.kty,
            crv: jwk.crv,
            x: jwk.x,
            kid: kid.to_owned(),
            alg: JWS_ALG.into(),
            use_: USE_SIG.into(),
            kelisim_nbf: Some(format_millis(nbf_ms)),
            kelisim_exp: Some(format_millis(exp_ms)),
        });
    }
    if keys.len() > MAX_RETIRED_KEYS {
        return Err(format!("at most {MAX_RETIRED_KEYS} retired keys"));
    }
    Ok(keys)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use kelisim_core::receipt::{Action, PolicyRef, Receipt, ReceiptClaims, SubmitReceipt};

    use super::*;

    const SEED_A: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const SEED_B: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const T0: &str = "2026-01-01T00:00:00.000Z";
    const T1: &str = "2026-06-01T00:00:00.000Z";

    fn ms(t: &str) -> i64 {
        parse_millis("t", t).unwrap()
    }

    fn signed_at(ring: &Keyring, now_ms: i64) -> kelisim_core::receipt::SignedReceipt {
        let claims = ReceiptClaims {
            schema: 1,
            id: kelisim_core::id::ulid_from_parts(now_ms as u64, [1; 10]),
            site: "s".into(),
            subject: "A".repeat(43),
            subject_key: None,
            policy: PolicyRef { version: 1, sha256: "0".repeat(64), language: "en".into() },
            decisions: [("necessary".to_owned(), kelisim_core::category::Decision::Granted)].into(),
            action: Action::Custom,
            gpc: false,
            client_time: format_millis(now_ms),
            prev: None,
            widget_version: "0.1.0".into(),
        };
        let submit = SubmitReceipt { claims, visitor_signature: None };
        Receipt::accept(submit, now_ms).unwrap().countersign(ring.current()).unwrap()
    }

    #[test]
    fn the_current_key_signs_and_is_published_with_its_period() {
        let ring = Keyring::parse(&format!("new:{SEED_A}:{T1}")).unwrap();
        assert_eq!(ring.current().kid(), "new");
        let jwks = ring.jwks();
        assert_eq!(jwks.keys.len(), 1);
        assert_eq!((jwks.keys[0].kelisim_nbf.as_deref(), jwks.keys[0].kelisim_exp.as_deref()), (Some(T1), None));
        assert!(ring.can_sign_at(ms(T1)) && !ring.can_sign_at(ms(T1) - 1));
    }

    #[test]
    fn an_old_single_key_secret_still_loads_open_ended() {
        let ring = Keyring::parse(&format!("old:{SEED_A}")).unwrap();
        assert_eq!(ring.jwks().keys[0].kelisim_nbf, None);
        assert!(ring.can_sign_at(0));
    }

    #[test]
    fn a_receipt_verifies_after_rotation_with_the_old_key_public_only() {
        let old = Keyring::parse(&format!("old:{SEED_A}:{T0}")).unwrap();
        let receipt = signed_at(&old, ms(T0) + 1000);
        // Rotation: the new private key signs from T1; the old one is published, public only,
        // with its period [T0, T1].
        let retired = old.retire_current(ms(T1));
        let ring = Keyring::parse_with_retired(&format!("new:{SEED_B}:{T1}"), &retired).unwrap();
        assert!(!retired.contains(SEED_A));
        assert!(receipt.verify(&ring.jwks()).is_valid(), "{:?}", receipt.verify(&ring.jwks()));
        let kids: Vec<_> = ring.jwks().keys.into_iter().map(|k| (k.kid, k.kelisim_exp)).collect();
        assert_eq!(kids, [("new".to_owned(), None), ("old".to_owned(), Some(T1.to_owned()))]);
        // The new key's receipts verify too.
        assert!(signed_at(&ring, ms(T1) + 5).verify(&ring.jwks()).is_valid());
    }

    #[test]
    fn a_leaked_retired_key_signs_nothing_that_verifies_outside_its_period() {
        let old = Keyring::parse(&format!("old:{SEED_A}:{T0}")).unwrap();
        let ring = Keyring::parse_with_retired(&format!("new:{SEED_B}:{T1}"), &old.retire_current(ms(T1))).unwrap();
        // Someone holding the old seed signs now, and backdates to before the key existed.
        for when in [ms(T1) + 1, ms(T0) - 1] {
            let forged = signed_at(&old, when);
            let v = forged.verify(&ring.jwks());
            assert!(!v.is_valid(), "{when}");
            assert!(format!("{:?}", v.edge_signature).contains("validity period"), "{v:?}");
        }
        // The new key cannot sign before its own period either.
        assert!(!signed_at(&ring, ms(T1) - 1).verify(&ring.jwks()).is_valid());
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_seeds() {
        let twice = format!("same:{SEED_A},same:{SEED_A}");
        let two_private = format!("a:{SEED_A},b:{SEED_B}");
        let bad_time = format!("k:{SEED_A}:yesterday");
        for bad in ["", "nokid", "BAD:abc", "k:tooshort", "k:", twice.as_str(), two_private.as_str(), bad_time.as_str()]
        {
            let err = Keyring::parse(bad).unwrap_err();
            assert!(!err.contains(SEED_A), "{err}");
        }
    }

    #[test]
    fn bad_retired_keys_are_refused() {
        let x = Keyring::parse(&format!("a:{SEED_A}")).unwrap().current().public_jwk().x;
        let secret = format!("new:{SEED_B}:{T1}");
        for bad in [
            format!("old:{x}"),
            format!("old:{x}:{T0}"),
            format!("old:{x}:{T1}/{T0}"),
            format!("old:AAAA:{T0}/{T1}"),
            format!("Old:{x}:{T0}/{T1}"),
            format!("new:{x}:{T0}/{T1}"),
            format!("old:{x}:{T0}/{T1},old:{x}:{T0}/{T1}"),
        ] {
            assert!(Keyring::parse_with_retired(&secret, &bad).is_err(), "{bad}");
        }
    }
}
