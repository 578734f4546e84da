//! The JSON answers of the log's public proof routes (docs/ledger.md §6), one type per answer,
//! shared by the edge that serves them and the CLI, mirror and widget that check them.
//!
//! ```text
//! GET …/log/proof/consistency?from=m&to=n   {"hashes":[b64…],"new_size":n,"old_size":m}
//! GET …/log/proof/inclusion?id=…&size=n     {"hashes":[b64…],"index":i,"leaf_hash":b64,"tree_size":n}
//!                                  erased:  {"erased":{"erasure_entry":{…},"erasure_proof":{…},
//!                                                      "leaf_proof":{…},"tombstone":{…}}}
//! ```
//!
//! Hashes are standard base64 of 32 bytes (as in checkpoints). In the erased answer the
//! tombstone and the erasure entry are the JSON objects whose canonical bytes
//! ([`crate::erasure::Tombstone::to_bytes`], [`crate::leaf::ErasureEntry::to_bytes`]) are what
//! the log holds; [`ErasedAnswer::to_proof`] re-encodes them and parses the bytes strictly, so an
//! answer that is not exactly the log's entry is refused.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use thiserror::Error;
use tlog_tiles::Hash;

use crate::erasure::{ErasedLeafProof, ErasureError, LeafProof, ServedEntry};
use crate::leaf::Entry;
use crate::tree::{ConsistencyProof, InclusionProof};

/// Why a proof answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    #[error("the erased answer's tombstone is not a tombstone")]
    NotATombstone,
    #[error("the erased answer's erasure entry is not an erasure entry")]
    NotAnErasure,
    #[error(transparent)]
    Erasure(#[from] ErasureError),
}

impl AnswerError {
    /// Stable machine code for the API and CLI.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotATombstone => "answer_not_a_tombstone",
            Self::NotAnErasure => "answer_not_an_erasure",
            Self::Erasure(e) => e.code(),
        }
    }
}

/// `GET …/log/proof/consistency?from=m&to=n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyAnswer {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(serialize_with = "hashes_b64")]
    pub hashes: Vec<Hash>,
}

impl From<ConsistencyProof> for ConsistencyAnswer {
    fn from(p: ConsistencyProof) -> Self {
        Self { old_size: p.old_size, new_size: p.new_size, hashes: p.hashes }
    }
}

impl From<ConsistencyAnswer> for ConsistencyProof {
    fn from(a: ConsistencyAnswer) -> Self {
        Self { old_size: a.old_size, new_size: a.new_size, hashes: a.hashes }
    }
}

/// An inclusion proof as the erased answer nests it (no leaf hash: the tombstone or the entry
/// gives it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofAnswer {
    pub index: u64,
    pub tree_size: u64,
    #[serde(serialize_with = "hashes_b64")]
    pub hashes: Vec<Hash>,
}

impl From<InclusionProof> for ProofAnswer {
    fn from(p: InclusionProof) -> Self {
        Self { index: p.index, tree_size: p.tree_size, hashes: p.hashes }
    }
}

impl From<ProofAnswer> for InclusionProof {
    fn from(a: ProofAnswer) -> Self {
        Self { index: a.index, tree_size: a.tree_size, hashes: a.hashes }
    }
}

/// `GET …/log/proof/inclusion` for a present leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionAnswer {
    pub index: u64,
    pub tree_size: u64,
    #[serde(serialize_with = "hash_b64")]
    pub leaf_hash: Hash,
    #[serde(serialize_with = "hashes_b64")]
    pub hashes: Vec<Hash>,
}

impl InclusionAnswer {
    /// The proof, without the leaf hash (a verifier hashes the entry it holds instead).
    #[must_use]
    pub fn to_proof(&self) -> InclusionProof {
        InclusionProof { index: self.index, tree_size: self.tree_size, hashes: self.hashes.clone() }
    }
}

/// The body of `{"erased":…}`: which erasure removed the leaf, and both inclusion proofs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasedAnswer {
    pub tombstone: Value,
    pub leaf_proof: ProofAnswer,
    pub erasure_entry: Value,
    pub erasure_proof: ProofAnswer,
}

impl ErasedAnswer {
    /// The answer for `proof`.
    ///
    /// # Errors
    /// Never in practice: the tombstone and entry bytes are canonical JSON by construction.
    pub fn new(proof: &ErasedLeafProof) -> Result<Self, serde_json::Error> {
        Ok(Self {
            tombstone: serde_json::from_slice(&proof.tombstone.to_bytes())?,
            leaf_proof: proof.leaf_proof.clone().into(),
            erasure_entry: serde_json::from_slice(&proof.erasure.to_bytes())?,
            erasure_proof: proof.erasure_proof.clone().into(),
        })
    }

    /// The proof this answer carries, its tombstone and entry parsed strictly.
    ///
    /// # Errors
    /// [`AnswerError`].
    pub fn to_proof(&self) -> Result<ErasedLeafProof, AnswerError> {
        let bytes = |v: &Value| serde_json::to_vec(v).unwrap_or_default();
        let ServedEntry::Erased(tombstone) = ServedEntry::parse_at(self.leaf_proof.index, &bytes(&self.tombstone))?
        else {
            return Err(AnswerError::NotATombstone);
        };
        let entry = ServedEntry::parse_at(self.erasure_proof.index, &bytes(&self.erasure_entry))?;
        let ServedEntry::Present(Entry::Erasure(erasure)) = entry else {
            return Err(AnswerError::NotAnErasure);
        };
        Ok(ErasedLeafProof {
            tombstone,
            leaf_proof: self.leaf_proof.clone().into(),
            erasure,
            erasure_proof: self.erasure_proof.clone().into(),
        })
    }
}

/// `{"erased":…}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasedWrapper {
    pub erased: ErasedAnswer,
}

/// `GET …/log/proof/inclusion`: a present leaf's proof, or an erased leaf's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LeafProofAnswer {
    Present(InclusionAnswer),
    Erased(ErasedWrapper),
}

impl LeafProofAnswer {
    /// The erased leaf's proof, or `None` for a present leaf (whose entry the caller holds).
    ///
    /// # Errors
    /// As [`ErasedAnswer::to_proof`].
    pub fn erased_proof(&self) -> Result<Option<LeafProof>, AnswerError> {
        match self {
            Self::Present(_) => Ok(None),
            Self::Erased(wrapper) => Ok(Some(LeafProof::Erased(wrapper.erased.to_proof()?))),
        }
    }
}

fn hash_b64<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hash.to_string())
}

fn hashes_b64<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(hashes.iter().map(ToString::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erasure::{tombstones, LeafStatus};
    use crate::leaf::{leaf_hash, ErasureEntry, ReceiptEntry};
    use crate::tree::{prove_consistency, prove_inclusion, tree_hash, MemoryHashes};

    const ID: &str = "01KAQ0000000000000000000A1";
    const ERASURE_ID: &str = "01KAQ0000000000000000000E1";

    fn tree() -> (MemoryHashes, Vec<Vec<u8>>) {
        let mut hashes = MemoryHashes::new();
        let mut entries = Vec::new();
        for i in 0..5 {
            let entry = ReceiptEntry::new(i, ID, "a.b.c").unwrap().to_bytes();
            hashes.push(leaf_hash(&entry)).unwrap();
            entries.push(entry);
        }
        let erasure = ErasureEntry::new(5, ERASURE_ID, vec![1, 3], "2026-12-02T10:00:00.000Z").unwrap().to_bytes();
        hashes.push(leaf_hash(&erasure)).unwrap();
        entries.push(erasure);
        (hashes, entries)
    }

    #[test]
    fn consistency_answers_round_trip() {
        let (hashes, _) = tree();
        let proof = prove_consistency(3, 6, &hashes).unwrap();
        let text = serde_json::to_string(&ConsistencyAnswer::from(proof.clone())).unwrap();
        assert!(text.starts_with(r#"{"old_size":3,"new_size":6,"hashes":[""#), "{text}");
        let back: ConsistencyAnswer = serde_json::from_str(&text).unwrap();
        let back = ConsistencyProof::from(back);
        assert_eq!(back, proof);
        back.verify(tree_hash(3, &hashes).unwrap(), tree_hash(6, &hashes).unwrap()).unwrap();
        assert!(serde_json::from_str::<ConsistencyAnswer>(r#"{"old_size":1,"new_size":2,"hashes":["AA=="]}"#).is_err());
        assert!(serde_json::from_str::<ConsistencyAnswer>(r#"{"old_size":1,"new_size":2,"hashes":[],"x":1}"#).is_err());
    }

    #[test]
    fn inclusion_answers_present_and_erased() {
        let (hashes, entries) = tree();
        let root = tree_hash(6, &hashes).unwrap();
        let present = InclusionAnswer {
            index: 2,
            tree_size: 6,
            leaf_hash: leaf_hash(&entries[2]),
            hashes: prove_inclusion(2, 6, &hashes).unwrap().hashes,
        };
        let text = serde_json::to_string(&LeafProofAnswer::Present(present)).unwrap();
        let back: LeafProofAnswer = serde_json::from_str(&text).unwrap();
        let LeafProofAnswer::Present(back) = back else { panic!("{text}") };
        back.to_proof().verify(leaf_hash(&entries[2]), root).unwrap();

        let Entry::Erasure(erasure) = Entry::parse(&entries[5]).unwrap() else { panic!() };
        let tombstone = tombstones(&erasure, &[leaf_hash(&entries[3])]).unwrap_err();
        assert!(matches!(tombstone, ErasureError::HashCount { .. }));
        let stones = tombstones(&erasure, &[leaf_hash(&entries[1]), leaf_hash(&entries[3])]).unwrap();
        let proof = ErasedLeafProof {
            tombstone: stones[1].clone(),
            leaf_proof: prove_inclusion(3, 6, &hashes).unwrap(),
            erasure,
            erasure_proof: prove_inclusion(5, 6, &hashes).unwrap(),
        };
        let text = serde_json::to_string(&LeafProofAnswer::Erased(ErasedWrapper {
            erased: ErasedAnswer::new(&proof).unwrap(),
        }))
        .unwrap();
        let back: LeafProofAnswer = serde_json::from_str(&text).unwrap();
        let status = back.erased_proof().unwrap().unwrap().verify(3, 6, root).unwrap();
        assert_eq!(
            status,
            LeafStatus::Erased {
                erasure_index: 5,
                erasure_id: ERASURE_ID.into(),
                time: "2026-12-02T10:00:00.000Z".into()
            }
        );

        // The tombstone must be exactly the log's: an extra member is refused.
        let mut tampered: Value = serde_json::from_str(&text).unwrap();
        tampered["erased"]["tombstone"]["extra"] = 1.into();
        let tampered: LeafProofAnswer = serde_json::from_value(tampered).unwrap();
        assert!(tampered.erased_proof().is_err());
    }
}
