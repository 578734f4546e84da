//! Signed checkpoints: a C2SP tlog-checkpoint body signed as a C2SP signed note with the edge's
//! Ed25519 key; parse, verify, and check that a newer checkpoint extends an older one.
//!
//! ```text
//! consent.example.kz/kelisim/acme        origin (see crate::origin)
//! 42                                     tree size, decimal
//! 3xS1b0…=                               root hash, standard base64
//!                                        blank line
//! — consent.example.kz/kelisim/acme <base64(key id ‖ Ed25519 signature)>
//! ```
//!
//! The body is `tlog_tiles::Checkpoint`, the note `signed_note::Note`. The key name is the
//! origin; the key id is the signed-note recommendation `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public
//! key)[:4]`, and the verifier key anyone pins is `<origin>+<id hex>+<base64(0x01 ‖ public key)>`
//! ([`CheckpointVerifier::verifier_key`]). Kelisim writes no extension lines and refuses
//! checkpoints that carry any. Other signatures (witness cosignatures) may follow the edge's; they
//! are kept in the bytes and ignored by verification.
//!
//! The edge signs receipts (JWS) and checkpoints with the same Ed25519 key. The two signed
//! messages cannot be confused: a JWS signing input is base64url and dots, a note text always
//! contains newlines.

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use signed_note::{Note, NoteError, Signer, StandardVerifier, VerifierList};
use thiserror::Error;
use tlog_tiles::Hash;

use crate::limits::MAX_TREE_SIZE;
use crate::origin::LogOrigin;
use crate::tree::{ConsistencyProof, ProofError};

/// Signed-note signature type of Ed25519 keys (the byte before the public key).
const ALG_ED25519: u8 = 1;

/// A checkpoint whose signature has been verified (or that this edge just signed).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    origin: LogOrigin,
    size: u64,
    root: Hash,
    note: Vec<u8>,
}

/// Why a checkpoint was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckpointError {
    #[error("checkpoint is not a well-formed signed note")]
    MalformedNote,
    #[error("checkpoint body is not origin, size and root hash")]
    MalformedBody,
    #[error("checkpoint has extension lines")]
    Extensions,
    #[error("checkpoint is for another log: {0}")]
    WrongOrigin(String),
    #[error("checkpoint size is beyond the largest tree size")]
    SizeTooLarge,
    #[error("checkpoint is not signed by the log's key")]
    NotSignedByLog,
    #[error("checkpoint signature is invalid")]
    BadSignature,
    #[error("could not sign the checkpoint")]
    Signing,
    #[error("newer checkpoint is smaller than the older one")]
    Shrank,
    #[error("checkpoints of the same size have different roots")]
    Forked,
    #[error("consistency proof is for sizes {proof_old}→{proof_new}, checkpoints are {old}→{new}")]
    ProofSizes { proof_old: u64, proof_new: u64, old: u64, new: u64 },
    #[error("newer checkpoint does not extend the older one: {0}")]
    Inconsistent(ProofError),
}

impl CheckpointError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedNote => "checkpoint_malformed_note",
            Self::MalformedBody => "checkpoint_malformed_body",
            Self::Extensions => "checkpoint_extensions",
            Self::WrongOrigin(_) => "checkpoint_wrong_origin",
            Self::SizeTooLarge => "checkpoint_size_too_large",
            Self::NotSignedByLog => "checkpoint_not_signed_by_log",
            Self::BadSignature => "checkpoint_bad_signature",
            Self::Signing => "checkpoint_signing",
            Self::Shrank => "checkpoint_shrank",
            Self::Forked => "checkpoint_forked",
            Self::ProofSizes { .. } => "checkpoint_proof_sizes",
            Self::Inconsistent(_) => "checkpoint_inconsistent",
        }
    }
}

/// Signs a log's checkpoints: the edge key under the log's origin as key name.
pub struct CheckpointSigner {
    origin: LogOrigin,
    key_id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner").field("origin", &self.origin).field("key_id", &self.key_id).finish()
    }
}

impl CheckpointSigner {
    /// The signer of `origin`'s checkpoints with the Ed25519 key of `seed` (the edge key).
    #[must_use]
    pub fn from_seed(origin: LogOrigin, seed: &[u8; 32]) -> Self {
        let key = SigningKey::from_bytes(seed);
        let key_id = key_id(&origin, &key.verifying_key());
        Self { origin, key_id, key }
    }

    #[must_use]
    pub fn origin(&self) -> &LogOrigin {
        &self.origin
    }

    /// The verifier of this signer's checkpoints.
    #[must_use]
    pub fn verifier(&self) -> CheckpointVerifier {
        CheckpointVerifier { origin: self.origin.clone(), key: self.key.verifying_key() }
    }

    /// Signs the checkpoint of the tree of `size` leaves with root `root`.
    ///
    /// # Errors
    /// [`CheckpointError::SizeTooLarge`], [`CheckpointError::Signing`].
    pub fn sign(&self, size: u64, root: Hash) -> Result<Checkpoint, CheckpointError> {
        if size > MAX_TREE_SIZE {
            return Err(CheckpointError::SizeTooLarge);
        }
        let body = tlog_tiles::Checkpoint::new(self.origin.as_str(), size, root, "")
            .map_err(|_| CheckpointError::MalformedBody)?;
        let mut note = Note::new(&body.to_bytes(), &[]).map_err(|_| CheckpointError::MalformedBody)?;
        note.add_sigs(&[self]).map_err(|_| CheckpointError::Signing)?;
        Ok(Checkpoint { origin: self.origin.clone(), size, root, note: note.to_bytes() })
    }
}

impl Signer for CheckpointSigner {
    fn name(&self) -> &str {
        self.origin.as_str()
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok(self.key.sign(msg).to_bytes().to_vec())
    }
}

/// Verifies a log's checkpoints: its origin and the edge's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerifier {
    origin: LogOrigin,
    key: VerifyingKey,
}

impl CheckpointVerifier {
    /// The verifier of `origin`'s checkpoints signed by the edge key `public_key`.
    ///
    /// # Errors
    /// [`CheckpointError::BadSignature`] when the bytes are not an Ed25519 public key.
    pub fn new(origin: LogOrigin, public_key: &[u8; 32]) -> Result<Self, CheckpointError> {
        let key = VerifyingKey::from_bytes(public_key).map_err(|_| CheckpointError::BadSignature)?;
        Ok(Self { origin, key })
    }

    #[must_use]
    pub fn origin(&self) -> &LogOrigin {
        &self.origin
    }

    /// The signed-note verifier key: `<origin>+<key id, 8 hex>+<base64(0x01 ‖ public key)>`.
    #[must_use]
    pub fn verifier_key(&self) -> String {
        signed_note::new_ed25519_verifier_key(self.origin.as_str(), &self.key)
    }

    /// The signed-note key id.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        key_id(&self.origin, &self.key)
    }

    /// Parses and verifies a signed checkpoint: a well-formed note with a valid signature by this
    /// log's key, and a strict body for this origin without extensions.
    ///
    /// # Errors
    /// Every [`CheckpointError`] of parsing and verification.
    pub fn verify(&self, bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
        let note = Note::from_bytes(bytes).map_err(|_| CheckpointError::MalformedNote)?;
        let verifier = StandardVerifier::new(&self.verifier_key()).map_err(|_| CheckpointError::NotSignedByLog)?;
        note.verify(&VerifierList::new(vec![Box::new(verifier)])).map_err(|e| match e {
            NoteError::InvalidSignature { .. } => CheckpointError::BadSignature,
            NoteError::UnverifiedNote => CheckpointError::NotSignedByLog,
            _ => CheckpointError::MalformedNote,
        })?;
        let body = tlog_tiles::Checkpoint::from_bytes(note.text()).map_err(|_| CheckpointError::MalformedBody)?;
        if !body.extension().is_empty() {
            return Err(CheckpointError::Extensions);
        }
        if body.origin() != self.origin.as_str() {
            return Err(CheckpointError::WrongOrigin(body.origin().to_owned()));
        }
        if body.size() > MAX_TREE_SIZE {
            return Err(CheckpointError::SizeTooLarge);
        }
        Ok(Checkpoint { origin: self.origin.clone(), size: body.size(), root: *body.hash(), note: bytes.to_vec() })
    }
}

impl Checkpoint {
    #[must_use]
    pub fn origin(&self) -> &LogOrigin {
        &self.origin
    }

    /// Tree size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Root hash of the tree of [`Checkpoint::size`] leaves.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The signed note's exact bytes, as served and stored.
    #[must_use]
    pub fn to_bytes(&self) -> &[u8] {
        &self.note
    }

    /// Checks that `newer` extends this checkpoint: not smaller, the same root at the same size,
    /// and otherwise `proof` proves this tree a prefix of the newer one. What a witness or the
    /// mirror does with every checkpoint it sees.
    ///
    /// # Errors
    /// [`CheckpointError::Shrank`], [`CheckpointError::Forked`], [`CheckpointError::ProofSizes`],
    /// [`CheckpointError::Inconsistent`].
    pub fn check_extended_by(&self, newer: &Checkpoint, proof: &ConsistencyProof) -> Result<(), CheckpointError> {
        if newer.size < self.size {
            return Err(CheckpointError::Shrank);
        }
        if newer.size == self.size && newer.root != self.root {
            return Err(CheckpointError::Forked);
        }
        if proof.old_size != self.size || proof.new_size != newer.size {
            return Err(CheckpointError::ProofSizes {
                proof_old: proof.old_size,
                proof_new: proof.new_size,
                old: self.size,
                new: newer.size,
            });
        }
        proof.verify(self.root, newer.root).map_err(CheckpointError::Inconsistent)
    }
}

/// The signed-note key id of `key` under `origin`.
fn key_id(origin: &LogOrigin, key: &VerifyingKey) -> u32 {
    let mut encoded = vec![ALG_ED25519];
    encoded.extend_from_slice(key.as_bytes());
    signed_note::key_id(origin.as_str(), &encoded)
}
