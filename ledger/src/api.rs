//! The JSON answers of the log's public proof routes (docs/ledger.md §6), one type per answer,
//! shared by the edge that serves them and the CLI, mirror and widget that check them.
//!
//! ```text
//! GET …/log/proof/consistency?from=m&to=n   {"old_size":m,"new_size":n,"hashes":[b64…]}
//! GET …/log/proof/inclusion?id=…&size=n     {"index":i,"tree_size":n,"leaf_hash":b64,"hashes":[b64…]}
//!                                  erased:  {…the same…,"erased":{"tombstone":"…","erasure_entry":"…",
//!                                                                 "erasure_proof":{index,tree_size,leaf_hash,hashes}}}
//! ```
//!
//! Hashes are standard base64 of 32 bytes (as in checkpoints). In the erased answer the
//! tombstone and the erasure entry are JSON strings holding the log's exact bytes
//! ([`crate::erasure::Tombstone::to_bytes`], [`crate::leaf::ErasureEntry::to_bytes`]);
//! [`InclusionAnswer::erased_proof`] parses them strictly and ties them to the answer's hashes,
//! so an answer that is not exactly the log's entries is refused.

use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;
use tlog_tiles::Hash;

use crate::erasure::{ErasedLeafProof, ErasureError, LeafProof, LeafStatus, ServedEntry};
use crate::leaf::{leaf_hash, Entry};
use crate::tree::{ConsistencyProof, InclusionProof};

/// Why a proof answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnswerError {
    #[error("the erased answer's tombstone is not a tombstone")]
    NotATombstone,
    #[error("the erased answer's erasure entry is not an erasure entry")]
    NotAnErasure,
    #[error("the tombstone keeps another leaf hash than the answer's")]
    TombstoneHash,
    #[error("the erasure proof is for another entry than the erasure entry")]
    ErasureProofHash,
    #[error("the erasure proof is itself marked erased")]
    NestedErasure,
    #[error("the proof is for index {index} of size {tree_size}")]
    ProofFor { index: u64, tree_size: u64 },
    #[error("the log's leaf at this index is another entry")]
    OtherLeaf,
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
            Self::TombstoneHash => "answer_tombstone_hash",
            Self::ErasureProofHash => "answer_erasure_proof_hash",
            Self::NestedErasure => "answer_nested_erasure",
            Self::ProofFor { .. } => "answer_proof_for",
            Self::OtherLeaf => "answer_other_leaf",
            Self::Erasure(e) => e.code(),
        }
    }
}

/// `GET …/log/proof/consistency`.
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

/// `GET …/log/proof/inclusion`: leaf `index` (whose hash is `leaf_hash`) is in the tree of
/// `tree_size` leaves; `erased` when an erasure inside that tree removed the leaf's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionAnswer {
    pub index: u64,
    pub tree_size: u64,
    #[serde(serialize_with = "hash_b64")]
    pub leaf_hash: Hash,
    #[serde(serialize_with = "hashes_b64")]
    pub hashes: Vec<Hash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased: Option<ErasedAnswer>,
}

/// Which erasure removed a leaf's data, with the erasure entry's own inclusion proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasedAnswer {
    /// The tombstone served in place of the entry: its exact bytes.
    pub tombstone: String,
    /// The erasure entry's exact bytes (it names this leaf's index).
    pub erasure_entry: String,
    /// The erasure entry's inclusion in the same tree (never itself `erased`).
    pub erasure_proof: Box<InclusionAnswer>,
}

impl InclusionAnswer {
    /// The answer for a present leaf.
    #[must_use]
    pub fn present(proof: InclusionProof, leaf_hash: Hash) -> Self {
        Self { index: proof.index, tree_size: proof.tree_size, leaf_hash, hashes: proof.hashes, erased: None }
    }

    /// The answer for an erased leaf: the tombstone's leaf hash, with the erasure and its proof.
    #[must_use]
    pub fn erased(proof: &ErasedLeafProof) -> Self {
        let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
        let entry = proof.erasure.to_bytes();
        let erasure_proof = Self::present(proof.erasure_proof.clone(), leaf_hash(&entry));
        Self {
            erased: Some(ErasedAnswer {
                tombstone: text(proof.tombstone.to_bytes()),
                erasure_entry: text(entry),
                erasure_proof: Box::new(erasure_proof),
            }),
            ..Self::present(proof.leaf_proof.clone(), proof.tombstone.leaf_hash())
        }
    }

    /// The proof, without the leaf hash (a verifier hashes the entry it holds instead).
    #[must_use]
    pub fn to_proof(&self) -> InclusionProof {
        InclusionProof { index: self.index, tree_size: self.tree_size, hashes: self.hashes.clone() }
    }

    /// For an erased leaf, its proof with the tombstone and erasure entry parsed strictly and
    /// tied to the answer: the tombstone keeps `leaf_hash` at `index`, the erasure proof's leaf
    /// hash is the erasure entry's. `None` for a present leaf. The caller still verifies it
    /// ([`crate::erasure::LeafProof::verify`]: the entry names the index, both proofs hold).
    ///
    /// # Errors
    /// [`AnswerError`].
    pub fn erased_proof(&self) -> Result<Option<ErasedLeafProof>, AnswerError> {
        let Some(erased) = &self.erased else { return Ok(None) };
        let ServedEntry::Erased(tombstone) = ServedEntry::parse_at(self.index, erased.tombstone.as_bytes())? else {
            return Err(AnswerError::NotATombstone);
        };
        if tombstone.leaf_hash() != self.leaf_hash {
            return Err(AnswerError::TombstoneHash);
        }
        let proof = &erased.erasure_proof;
        if proof.erased.is_some() {
            return Err(AnswerError::NestedErasure);
        }
        let entry = ServedEntry::parse_at(proof.index, erased.erasure_entry.as_bytes())?;
        let ServedEntry::Present(Entry::Erasure(erasure)) = entry else {
            return Err(AnswerError::NotAnErasure);
        };
        if leaf_hash(erased.erasure_entry.as_bytes()) != proof.leaf_hash {
            return Err(AnswerError::ErasureProofHash);
        }
        Ok(Some(ErasedLeafProof { tombstone, leaf_proof: self.to_proof(), erasure, erasure_proof: proof.to_proof() }))
    }

    /// Verifies that this answer proves the leaf of hash `leaf` at `index` in the tree of
    /// `tree_size` leaves with root `root`: present, or erased by an erasure entry that names
    /// `index` and is itself in that tree.
    ///
    /// # Errors
    /// [`AnswerError`]: another index, size or leaf; a malformed or mismatched tombstone or
    /// erasure entry; an erasure that does not name the leaf; a failed inclusion proof.
    pub fn verify(&self, index: u64, tree_size: u64, leaf: Hash, root: Hash) -> Result<LeafStatus, AnswerError> {
        if self.index != index || self.tree_size != tree_size {
            return Err(AnswerError::ProofFor { index: self.index, tree_size: self.tree_size });
        }
        if self.leaf_hash != leaf {
            return Err(AnswerError::OtherLeaf);
        }
        match self.erased_proof()? {
            None => {
                self.to_proof().verify(leaf, root).map_err(ErasureError::from)?;
                Ok(LeafStatus::Present)
            }
            Some(erased) => Ok(LeafProof::Erased(erased).verify(index, tree_size, root)?),
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
    use crate::erasure::{tombstones, Tombstone};
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
        let present = InclusionAnswer::present(prove_inclusion(2, 6, &hashes).unwrap(), leaf_hash(&entries[2]));
        let text = serde_json::to_string(&present).unwrap();
        assert!(!text.contains("erased"), "{text}");
        let back: InclusionAnswer = serde_json::from_str(&text).unwrap();
        assert_eq!(back, present);
        assert_eq!(back.verify(2, 6, leaf_hash(&entries[2]), root).unwrap(), LeafStatus::Present);
        assert_eq!(back.verify(2, 6, leaf_hash(&entries[1]), root).unwrap_err(), AnswerError::OtherLeaf);
        assert!(matches!(back.verify(1, 6, leaf_hash(&entries[2]), root), Err(AnswerError::ProofFor { .. })));

        let Entry::Erasure(erasure) = Entry::parse(&entries[5]).unwrap() else { panic!() };
        let tombstone = tombstones(&erasure, &[leaf_hash(&entries[3])]).unwrap_err();
        assert!(matches!(tombstone, ErasureError::HashCount { .. }));
        let answer = erased_answer(&hashes, &entries, 3);
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(text, edge_erased_json(&hashes, &entries), "the edge's shape, byte for byte");
        let back: InclusionAnswer = serde_json::from_str(&text).unwrap();
        assert_eq!(back, answer);
        assert_eq!(
            back.verify(3, 6, leaf_hash(&entries[3]), root).unwrap(),
            LeafStatus::Erased {
                erasure_index: 5,
                erasure_id: ERASURE_ID.into(),
                time: "2026-12-02T10:00:00.000Z".into()
            }
        );
    }

    fn erased_answer(hashes: &MemoryHashes, entries: &[Vec<u8>], index: u64) -> InclusionAnswer {
        let Entry::Erasure(erasure) = Entry::parse(&entries[5]).unwrap() else { panic!() };
        let stones = tombstones(&erasure, &[leaf_hash(&entries[1]), leaf_hash(&entries[3])]).unwrap();
        let tombstone = stones.into_iter().find(|t| t.index() == index).unwrap();
        InclusionAnswer::erased(&ErasedLeafProof {
            tombstone,
            leaf_proof: prove_inclusion(index, 6, hashes).unwrap(),
            erasure,
            erasure_proof: prove_inclusion(5, 6, hashes).unwrap(),
        })
    }

    #[test]
    fn a_tampered_erased_answer_is_refused() {
        let (hashes, entries) = tree();
        let root = tree_hash(6, &hashes).unwrap();
        let good = erased_answer(&hashes, &entries, 3);
        let leaf = leaf_hash(&entries[3]);
        let check = |a: &InclusionAnswer| a.verify(3, 6, leaf, root);
        assert!(check(&good).is_ok());
        let erased = |f: &dyn Fn(&mut ErasedAnswer)| {
            let mut a = good.clone();
            f(a.erased.as_mut().unwrap());
            a
        };

        // The tombstone: not the canonical bytes; another leaf hash; another index; not a tombstone.
        let spaced = erased(&|e| e.tombstone = e.tombstone.replace(':', ": "));
        assert!(matches!(check(&spaced), Err(AnswerError::Erasure(ErasureError::MalformedTombstone(_)))));
        let other = Tombstone::new(3, leaf_hash(&entries[2]), 5).unwrap().to_bytes();
        let other_hash = erased(&|e| e.tombstone = String::from_utf8(other.clone()).unwrap());
        assert_eq!(check(&other_hash).unwrap_err(), AnswerError::TombstoneHash);
        let moved = Tombstone::new(4, leaf, 5).unwrap().to_bytes();
        let moved = erased(&|e| e.tombstone = String::from_utf8(moved.clone()).unwrap());
        assert!(matches!(check(&moved), Err(AnswerError::Erasure(ErasureError::WrongIndex { .. }))));
        let present = erased(&|e| e.tombstone = String::from_utf8(entries[3].clone()).unwrap());
        assert_eq!(check(&present).unwrap_err(), AnswerError::NotATombstone);
        // A tombstone and a leaf hash that agree, but are not the tree's leaf: the proof fails.
        let mut swapped = erased(&|e| e.tombstone = String::from_utf8(other.clone()).unwrap());
        swapped.leaf_hash = leaf_hash(&entries[2]);
        assert!(matches!(
            swapped.verify(3, 6, leaf_hash(&entries[2]), root),
            Err(AnswerError::Erasure(ErasureError::Proof(_)))
        ));

        // The erasure entry must name this index: leaf 2 was not erased by the entry at 5.
        let mut unnamed = erased(&|e| {
            e.tombstone = String::from_utf8(Tombstone::new(2, leaf_hash(&entries[2]), 5).unwrap().to_bytes()).unwrap();
        });
        unnamed.index = 2;
        unnamed.leaf_hash = leaf_hash(&entries[2]);
        unnamed.hashes = prove_inclusion(2, 6, &hashes).unwrap().hashes;
        assert!(matches!(
            unnamed.verify(2, 6, leaf_hash(&entries[2]), root),
            Err(AnswerError::Erasure(ErasureError::NotRemovedBy { index: 2, erasure: 5 }))
        ));
        // Another erasure entry, which does not name 3 (and is not the tree's).
        let only_one = ErasureEntry::new(5, ERASURE_ID, vec![1], "2026-12-02T10:00:00.000Z").unwrap().to_bytes();
        let only_one = String::from_utf8(only_one).unwrap();
        let swapped_entry = erased(&|e| {
            e.erasure_proof.leaf_hash = leaf_hash(only_one.as_bytes());
            e.erasure_entry.clone_from(&only_one);
        });
        assert!(matches!(check(&swapped_entry), Err(AnswerError::Erasure(ErasureError::NotRemovedBy { .. }))));
        let not_erasure = erased(&|e| e.erasure_entry = String::from_utf8(entries[4].clone()).unwrap());
        assert!(check(&not_erasure).is_err());
        let entry_hash = erased(&|e| e.erasure_proof.leaf_hash = leaf);
        assert_eq!(check(&entry_hash).unwrap_err(), AnswerError::ErasureProofHash);

        // Wrong proofs: either inclusion proof altered, or the erasure proof for another index.
        let mut bad_leaf_proof = good.clone();
        bad_leaf_proof.hashes[0].0[0] ^= 1;
        assert!(matches!(check(&bad_leaf_proof), Err(AnswerError::Erasure(ErasureError::Proof(_)))));
        let bad_erasure_proof = erased(&|e| e.erasure_proof.hashes[0].0[0] ^= 1);
        assert!(matches!(check(&bad_erasure_proof), Err(AnswerError::Erasure(ErasureError::Proof(_)))));
        let elsewhere = erased(&|e| e.erasure_proof.index = 4);
        assert!(check(&elsewhere).is_err());
        let nested = erased(&|e| e.erasure_proof.erased = Some(good.erased.clone().unwrap()));
        assert_eq!(check(&nested).unwrap_err(), AnswerError::NestedErasure);

        // Strict JSON: unknown members are refused at every level.
        let text = serde_json::to_string(&good).unwrap();
        let extras = [
            text.replacen('{', r#"{"x":1,"#, 1),
            text.replace(r#""erased":{"#, r#""erased":{"x":1,"#),
            text.replace(r#""erasure_proof":{"#, r#""erasure_proof":{"x":1,"#),
        ];
        for tampered in extras {
            assert_ne!(tampered, text);
            assert!(serde_json::from_str::<InclusionAnswer>(&tampered).is_err(), "{tampered}");
        }
    }

    /// The JSON the edge serves for an erased leaf (edge/src/ledger/proofs.rs, docs/ledger.md).
    fn edge_erased_json(hashes: &MemoryHashes, entries: &[Vec<u8>]) -> String {
        let b64 = |hs: Vec<Hash>| hs.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(",");
        let leaf = leaf_hash(&entries[3]);
        let tombstone = String::from_utf8(Tombstone::new(3, leaf, 5).unwrap().to_bytes()).unwrap();
        let entry = String::from_utf8(entries[5].clone()).unwrap();
        format!(
            r#"{{"index":3,"tree_size":6,"leaf_hash":"{leaf}","hashes":[{}],"erased":{{"tombstone":{},"erasure_entry":{},"erasure_proof":{{"index":5,"tree_size":6,"leaf_hash":"{}","hashes":[{}]}}}}}}"#,
            b64(prove_inclusion(3, 6, hashes).unwrap().hashes),
            serde_json::to_string(&tombstone).unwrap(),
            serde_json::to_string(&entry).unwrap(),
            leaf_hash(&entries[5]),
            b64(prove_inclusion(5, 6, hashes).unwrap().hashes),
        )
    }

    #[test]
    fn the_edges_erased_answer_parses_and_serialises_to_the_same_bytes() {
        let (hashes, entries) = tree();
        let text = edge_erased_json(&hashes, &entries);
        let answer: InclusionAnswer = serde_json::from_str(&text).unwrap();
        assert_eq!(serde_json::to_string(&answer).unwrap(), text);
    }
}
