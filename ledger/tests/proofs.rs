//! Inclusion and consistency proofs for every tree size up to 300 (every leaf and older size up
//! to 128, a sample above), against the independent RFC 6962 reference in `reference/mod.rs`;
//! tampered proofs, wrong sizes and failing storage are refused without panicking.

#![allow(clippy::unwrap_used, clippy::panic)]

mod reference;

use kelisim_ledger::leaf::leaf_hash;
use kelisim_ledger::limits::MAX_PROOF_HASHES;
use kelisim_ledger::tree::{
    append, prove_consistency, prove_inclusion, tree_hash, Batch, ConsistencyProof, HashStorage, InclusionProof,
    MemoryHashes, ProofError, StorageError, TreeError,
};
use kelisim_ledger::{Hash, EMPTY_HASH};
use reference::Reference;

const MAX_SIZE: usize = 300;

/// Sizes up to this are checked for every leaf and every older size; above it a sample keeps
/// the test fast in debug builds.
const EXHAUSTIVE_UP_TO: usize = 128;

/// The positions checked in a tree of `n` leaves: all of them up to [`EXHAUSTIVE_UP_TO`], else
/// both ends, both sides of every power of two (where the tree's shape changes) and a stride
/// that moves with `n`, so that across sizes every position is visited.
fn positions(n: usize, include_n: bool) -> Vec<usize> {
    let end = if include_n { n + 1 } else { n };
    if n <= EXHAUSTIVE_UP_TO {
        return (0..end).collect();
    }
    let mut picked: Vec<usize> = (0..end).filter(|&m| m < 4 || m + 4 >= end || m % 17 == n % 17).collect();
    let mut k = 1;
    while k <= n {
        picked.extend([k - 1, k, k + 1].into_iter().filter(|&m| m < end));
        k *= 2;
    }
    picked.sort_unstable();
    picked.dedup();
    picked
}

fn data(i: usize) -> Vec<u8> {
    format!("leaf {i}").into_bytes()
}

fn to_hashes(hashes: Vec<[u8; 32]>) -> Vec<Hash> {
    hashes.into_iter().map(Hash).collect()
}

/// Flips one bit of hash `k`.
fn tampered(hashes: &[Hash], k: usize) -> Vec<Hash> {
    let mut out = hashes.to_vec();
    out[k].0[0] ^= 1;
    out
}

#[test]
fn every_size_up_to_300_agrees_with_the_reference() {
    let mut log = MemoryHashes::new();
    let mut reference = Reference::new(vec![]);
    let mut roots = vec![EMPTY_HASH];
    for i in 0..MAX_SIZE {
        assert_eq!(log.push(leaf_hash(&data(i))).unwrap(), i as u64);
        reference.push(reference::leaf(&data(i)));
        let n = i + 1;
        let root = tree_hash(n as u64, &log).unwrap();
        assert_eq!(root, Hash(reference.mth(0, n)), "root of size {n}");
        roots.push(root);

        // Every leaf (sampled above EXHAUSTIVE_UP_TO) of every size.
        for m in positions(n, false) {
            let proof = prove_inclusion(m as u64, n as u64, &log).unwrap();
            assert_eq!(proof.hashes, to_hashes(reference.path(m, 0, n)), "path of {m} in {n}");
            let leaf = leaf_hash(&data(m));
            proof.verify(leaf, root).unwrap();
            // One tampered hash per proof (rotating), and the wrong leaf, are refused.
            if !proof.hashes.is_empty() {
                let bad = InclusionProof { hashes: tampered(&proof.hashes, m % proof.hashes.len()), ..proof.clone() };
                assert_eq!(bad.verify(leaf, root), Err(ProofError::Mismatch), "tampered path of {m} in {n}");
            }
            assert!(proof.verify(leaf_hash(b"other"), root).is_err(), "wrong leaf {m} in {n}");
        }

        // Every older size (sampled above EXHAUSTIVE_UP_TO), the empty tree included.
        for m in positions(n, true) {
            let proof = prove_consistency(m as u64, n as u64, &log).unwrap();
            let expected = if m == 0 { vec![] } else { to_hashes(reference.proof(m, n)) };
            assert_eq!(proof.hashes, expected, "proof {m}→{n}");
            proof.verify(roots[m], root).unwrap();
            if !proof.hashes.is_empty() {
                let bad = ConsistencyProof { hashes: tampered(&proof.hashes, m % proof.hashes.len()), ..proof.clone() };
                assert_eq!(bad.verify(roots[m], root), Err(ProofError::Mismatch), "tampered proof {m}→{n}");
            }
            if m > 0 && m < n {
                // A fork: an old root that is not the prefix of this tree.
                assert_eq!(proof.verify(roots[m - 1], root), Err(ProofError::Mismatch), "forked {m}→{n}");
            }
        }
    }
}

#[test]
fn a_batch_writes_the_same_hashes_as_appending_one_by_one() {
    let mut one_by_one = MemoryHashes::new();
    for i in 0..100 {
        one_by_one.push(leaf_hash(&data(i))).unwrap();
    }
    let mut base = MemoryHashes::new();
    for i in 0..37 {
        base.push(leaf_hash(&data(i))).unwrap();
    }
    let mut batch = Batch::new(&base, 37);
    for i in 37..100 {
        assert_eq!(batch.push(leaf_hash(&data(i))).unwrap(), i as u64);
    }
    assert_eq!(batch.root().unwrap(), tree_hash(100, &one_by_one).unwrap());
    let writes = batch.into_writes();
    let positions: Vec<u64> = writes.iter().map(|(p, _)| *p).collect();
    let expected = one_by_one.read_stored_hashes(&positions).unwrap();
    assert_eq!(writes.into_iter().map(|(_, h)| h).collect::<Vec<_>>(), expected);
}

#[test]
fn append_reports_the_positions_it_writes() {
    let mut log = MemoryHashes::new();
    for i in 0..7 {
        log.push(leaf_hash(&data(i))).unwrap();
    }
    // Leaf 7 completes subtrees of 2, 4 and 8 leaves: four hashes from position 11.
    let appended = append(7, leaf_hash(&data(7)), &log).unwrap();
    assert_eq!(appended.index, 7);
    assert_eq!(appended.first_position, 11);
    assert_eq!(appended.writes().map(|(p, _)| p).collect::<Vec<_>>(), vec![11, 12, 13, 14]);
}

/// A store that fails, or answers fewer hashes than asked (which `tlog_tiles` would assert on).
struct Broken {
    short: bool,
}

impl HashStorage for Broken {
    fn read_stored_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StorageError> {
        if self.short {
            Ok(vec![Hash::default(); indexes.len().saturating_sub(1)])
        } else {
            Err(StorageError("disk on fire".into()))
        }
    }
}

#[test]
fn failing_or_short_storage_is_an_error_not_a_panic() {
    let failing = Broken { short: false };
    assert_eq!(tree_hash(5, &failing), Err(TreeError::Storage(StorageError("disk on fire".into()))));
    assert!(matches!(prove_inclusion(1, 5, &failing), Err(TreeError::Storage(_))));
    assert!(matches!(prove_consistency(2, 5, &failing), Err(TreeError::Storage(_))));
    assert!(matches!(append(5, EMPTY_HASH, &failing), Err(TreeError::Storage(_))));

    let short = Broken { short: true };
    assert!(matches!(tree_hash(5, &short), Err(TreeError::MissingHashes { .. })));
    assert!(matches!(prove_inclusion(1, 5, &short), Err(TreeError::MissingHashes { .. })));
    assert!(matches!(prove_consistency(2, 5, &short), Err(TreeError::MissingHashes { .. })));
    assert!(matches!(append(3, EMPTY_HASH, &short), Err(TreeError::MissingHashes { .. })));

    // A tree asked beyond what it holds.
    let mut log = MemoryHashes::new();
    log.push(EMPTY_HASH).unwrap();
    assert!(matches!(tree_hash(9, &log), Err(TreeError::Storage(_))));
}

#[test]
fn out_of_range_requests_and_proofs_are_refused() {
    let mut log = MemoryHashes::new();
    for i in 0..10 {
        log.push(leaf_hash(&data(i))).unwrap();
    }
    let root = tree_hash(10, &log).unwrap();
    assert_eq!(prove_inclusion(10, 10, &log), Err(TreeError::IndexNotInTree { index: 10, size: 10 }));
    assert_eq!(prove_consistency(6, 5, &log), Err(TreeError::SizesReversed { old: 6, new: 5 }));
    assert_eq!(tree_hash(1 << 60, &log), Err(TreeError::SizeTooLarge(1 << 60)));

    let leaf = leaf_hash(&data(3));
    let proof = prove_inclusion(3, 10, &log).unwrap();
    let beyond = InclusionProof { index: 10, ..proof.clone() };
    assert_eq!(beyond.verify(leaf, root), Err(ProofError::BadSizes));
    let huge = InclusionProof { tree_size: u64::MAX, ..proof.clone() };
    assert_eq!(huge.verify(leaf, root), Err(ProofError::BadSizes));
    let long = InclusionProof { hashes: vec![EMPTY_HASH; MAX_PROOF_HASHES + 1], ..proof.clone() };
    assert_eq!(long.verify(leaf, root), Err(ProofError::TooLong));
    let moved = InclusionProof { index: 4, ..proof };
    assert_eq!(moved.verify(leaf, root), Err(ProofError::Mismatch));

    let old_root = tree_hash(4, &log).unwrap();
    let consistency = prove_consistency(4, 10, &log).unwrap();
    let reversed = ConsistencyProof { old_size: 11, ..consistency.clone() };
    assert_eq!(reversed.verify(old_root, root), Err(ProofError::BadSizes));
    let shorter = ConsistencyProof { hashes: consistency.hashes[1..].to_vec(), ..consistency.clone() };
    assert_eq!(shorter.verify(old_root, root), Err(ProofError::Mismatch));
    let longer =
        ConsistencyProof { hashes: [consistency.hashes.clone(), vec![EMPTY_HASH]].concat(), ..consistency.clone() };
    assert_eq!(longer.verify(old_root, root), Err(ProofError::Mismatch));
    // From the empty tree: only the empty root and no hashes.
    let from_empty = prove_consistency(0, 10, &log).unwrap();
    from_empty.verify(EMPTY_HASH, root).unwrap();
    assert_eq!(from_empty.verify(old_root, root), Err(ProofError::Mismatch));
    // Equal sizes: equal roots only.
    let same = prove_consistency(10, 10, &log).unwrap();
    same.verify(root, root).unwrap();
    assert_eq!(same.verify(old_root, root), Err(ProofError::Mismatch));
}
