//! Log hashing against published RFC 6962 test vectors.
//!
//! Source of the leaves, roots and proofs: the RFC 6962 reference test data used by
//! google/certificate-transparency (C++ `merkletree/merkle_tree_test.cc`) and
//! google/certificate-transparency-go (`merkle/logverifier/log_verifier_test.go`, the same
//! eight leaves and expected values). The empty-tree hash is RFC 6962 §2.1 (SHA-256 of nothing).
//! Each vector is also checked against the independent reference in `reference/mod.rs`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod reference;

use kelisim_ledger::leaf::leaf_hash;
use kelisim_ledger::tree::{prove_consistency, prove_inclusion, tree_hash, ConsistencyProof, MemoryHashes};
use kelisim_ledger::{Hash, EMPTY_HASH};
use reference::{hex, hex32, Reference};

const EMPTY_TREE: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The eight leaves of the CT test data, hex.
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

/// MTH of the first n leaves, n = 1..=8.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (leaf index, tree size, audit path).
const INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, consistency proof).
const CONSISTENCY: [(u64, u64, &[&str]); 4] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

fn h(s: &str) -> Hash {
    Hash(hex32(s))
}

fn log() -> MemoryHashes {
    let mut log = MemoryHashes::new();
    for data in LEAVES {
        log.push(leaf_hash(&hex(data))).unwrap();
    }
    log
}

#[test]
fn empty_tree_hash_is_sha256_of_nothing() {
    assert_eq!(EMPTY_HASH, h(EMPTY_TREE));
    assert_eq!(tree_hash(0, &MemoryHashes::new()).unwrap(), h(EMPTY_TREE));
    assert_eq!(Reference::new(vec![]).mth(0, 0), hex32(EMPTY_TREE));
}

#[test]
fn leaf_and_node_hashes_use_the_rfc_6962_prefixes() {
    // The empty leaf: SHA-256(0x00), the first root of the vectors.
    assert_eq!(leaf_hash(b""), h(ROOTS[0]));
    // Two leaves: SHA-256(0x01 || leaf0 || leaf1).
    let node = reference::node(&reference::leaf(b""), &reference::leaf(&[0x00]));
    assert_eq!(node, hex32(ROOTS[1]));
}

#[test]
fn roots_of_every_prefix_match_the_vectors_and_the_reference() {
    let log = log();
    let reference = Reference::new(LEAVES.iter().map(|d| reference::leaf(&hex(d))).collect());
    for (n, root) in ROOTS.iter().enumerate() {
        let size = n as u64 + 1;
        assert_eq!(tree_hash(size, &log).unwrap(), h(root), "root of size {size}");
        assert_eq!(reference.mth(0, n + 1), hex32(root), "reference root of size {size}");
    }
}

#[test]
fn inclusion_proofs_match_the_vectors_and_verify() {
    let log = log();
    for (index, size, path) in INCLUSION {
        let proof = prove_inclusion(index, size, &log).unwrap();
        let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        assert_eq!(proof.hashes, expected, "path of leaf {index} in {size}");
        let leaf = leaf_hash(&hex(LEAVES[index as usize]));
        proof.verify(leaf, h(ROOTS[size as usize - 1])).unwrap();
    }
}

#[test]
fn consistency_proofs_match_the_vectors_and_verify() {
    let log = log();
    for (old, new, path) in CONSISTENCY {
        let proof = prove_consistency(old, new, &log).unwrap();
        let expected: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        assert_eq!(proof.hashes, expected, "proof {old}→{new}");
        proof.verify(h(ROOTS[old as usize - 1]), h(ROOTS[new as usize - 1])).unwrap();
        let given = ConsistencyProof { old_size: old, new_size: new, hashes: expected };
        given.verify(h(ROOTS[old as usize - 1]), h(ROOTS[new as usize - 1])).unwrap();
    }
}
