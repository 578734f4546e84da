//! The edge's signing keys, read from the `EDGE_SIGNING_KEYS` secret: `kid:seed[,kid:seed…]`,
//! seed = base64url of a 32-byte Ed25519 seed. The first key signs; all stay in the JWKS so
//! receipts signed before a rotation still verify.

use kelisim_core::id::check_slug;
use kelisim_core::sign::{EdgeSigningKey, Jwks};

/// Keys per keyring: the current one plus previous ones kept for verification.
pub const MAX_KEYS: usize = 8;

/// The loaded signing keys, current first.
#[derive(Debug)]
pub struct Keyring {
    keys: Vec<EdgeSigningKey>,
}

impl Keyring {
    /// Parses the secret's value.
    ///
    /// # Errors
    /// A message saying which entry is wrong (never the seed itself).
    pub fn parse(secret: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (i, entry) in secret.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let (kid, seed) = entry.split_once(':').ok_or(format!("key {i}: expected kid:seed"))?;
            check_slug("kid", kid).map_err(|e| format!("key {i}: {e}"))?;
            // Two keys under one kid make the JWKS ambiguous: verifiers refuse such a kid.
            if keys.iter().any(|k: &EdgeSigningKey| k.kid() == kid) {
                return Err(format!("key {i}: kid {kid} appears twice"));
            }
            keys.push(EdgeSigningKey::from_seed_b64url(kid, seed).map_err(|e| format!("key {i} ({kid}): {e}"))?);
        }
        if keys.is_empty() {
            return Err("no signing key configured".into());
        }
        if keys.len() > MAX_KEYS {
            return Err(format!("at most {MAX_KEYS} keys"));
        }
        Ok(Self { keys })
    }

    /// The key that signs new receipts.
    #[must_use]
    pub fn current(&self) -> &EdgeSigningKey {
        &self.keys[0]
    }

    /// The public keys of every key in the ring.
    #[must_use]
    pub fn jwks(&self) -> Jwks {
        Jwks { keys: self.keys.iter().map(EdgeSigningKey::jwks_entry).collect() }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SEED_A: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";

    #[test]
    fn first_key_signs_and_all_are_published() {
        let ring = Keyring::parse(&format!("new:{SEED_A}, old:{SEED_A}")).unwrap();
        assert_eq!(ring.current().kid(), "new");
        let kids: Vec<_> = ring.jwks().keys.into_iter().map(|k| k.kid).collect();
        assert_eq!(kids, ["new", "old"]);
    }

    #[test]
    fn bad_secrets_are_refused_without_echoing_seeds() {
        let twice = format!("same:{SEED_A},same:{SEED_A}");
        for bad in ["", "nokid", "BAD:abc", "k:tooshort", "k:", twice.as_str()] {
            let err = Keyring::parse(bad).unwrap_err();
            assert!(!err.contains(SEED_A), "{err}");
        }
    }
}
