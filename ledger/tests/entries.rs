//! Entry bytes (receipt and erasure), strict parsing, and erasure keeping the log verifiable:
//! tombstones, proofs that name the erasure, and a log that still checks after an erasure.

#![allow(clippy::unwrap_used, clippy::panic)]

use kelisim_ledger::erasure::{
    tombstones, ErasedLeafProof, ErasureError, LeafProof, LeafStatus, ServedEntry, Tombstone,
};
use kelisim_ledger::leaf::{leaf_hash, Entry, EntryError, ErasureEntry, ReceiptEntry};
use kelisim_ledger::limits::{MAX_ERASED_PER_ENTRY, MAX_JWS_BYTES};
use kelisim_ledger::tiles::{encode_entry_bundle, hash_tile_data, parse_entry_bundle, parse_hash_tile, TilePath};
use kelisim_ledger::tree::{prove_consistency, prove_inclusion, tree_hash, MemoryHashes};

const ID: &str = "01JD0000000000000000000000";
const ERASURE_ID: &str = "01JD00000000000000000000ZZ";
const JWS: &str = "eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln";
const TIME: &str = "2026-12-02T10:00:00.000Z";

fn receipt(index: u64) -> ReceiptEntry {
    ReceiptEntry::new(index, ID, &format!("{JWS}{index}")).unwrap()
}

#[test]
fn entry_bytes_are_pinned() {
    let entry = ReceiptEntry::new(42, ID, JWS).unwrap();
    assert_eq!(
        String::from_utf8(entry.to_bytes()).unwrap(),
        r#"{"id":"01JD0000000000000000000000","index":42,"jws":"eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln","kind":"receipt"}"#
    );
    let erasure = ErasureEntry::new(50, ERASURE_ID, vec![3, 42], TIME).unwrap();
    assert_eq!(
        String::from_utf8(erasure.to_bytes()).unwrap(),
        r#"{"erased":[3,42],"id":"01JD00000000000000000000ZZ","index":50,"kind":"erasure","time":"2026-12-02T10:00:00.000Z"}"#
    );
    // RFC 6962 leaf hash of those bytes.
    let mut prefixed = vec![0_u8];
    prefixed.extend(entry.to_bytes());
    assert_eq!(
        Entry::Receipt(entry.clone()).leaf_hash().0,
        <sha2::Sha256 as sha2::Digest>::digest(&prefixed).as_slice()
    );
    assert_eq!(Entry::parse(&entry.to_bytes()).unwrap(), Entry::Receipt(entry));
    assert_eq!(Entry::parse_at(50, &erasure.to_bytes()).unwrap(), Entry::Erasure(erasure));
    let tombstone = Tombstone::new(3, leaf_hash(b"x"), 50).unwrap();
    assert_eq!(
        String::from_utf8(tombstone.to_bytes()).unwrap(),
        format!(r#"{{"erased_by":50,"index":3,"kind":"erased","leaf_hash":"{}"}}"#, leaf_hash(b"x"))
    );
}

#[test]
fn only_the_canonical_bytes_of_a_valid_entry_parse() {
    let good = r#"{"id":"01JD0000000000000000000000","index":42,"jws":"eyJhbGciOiJFZERTQSJ9.eyJ4IjoxfQ.c2ln","kind":"receipt"}"#;
    assert!(Entry::parse(good.as_bytes()).is_ok());
    let refused = [
        good.replace(r#""index":42"#, r#""index": 42"#),
        good.to_owned() + "\n",
        good.replace(
            r#"{"id":"01JD0000000000000000000000","index":42,"#,
            r#"{"index":42,"id":"01JD0000000000000000000000","#,
        ),
        good.replace(r#""kind":"receipt""#, r#""kind":"receipt","extra":1"#),
        good.replace(r#""kind":"receipt""#, r#""kind":"other""#),
        good.replace(r#","kind":"receipt""#, ""),
        good.replace("01JD", "\\u0030\\u0031JD"),
        good.replace(r#""index":42"#, r#""index":42.0"#),
        good.replace(r#""index":42"#, r#""index":-1"#),
        good.replace(r#""index":42"#, r#""index":"42""#),
        good.replace(r#""index":42"#, r#""index":9007199254740991"#),
        good.replace("01JD0000000000000000000000", "01jd0000000000000000000000"),
        good.replace("01JD0000000000000000000000", "81JD0000000000000000000000"),
        good.replace("01JD0000000000000000000000", "01JD000000000000000000000"),
        good.replace(".c2ln", ""),
        good.replace(".c2ln", ".c2ln.x"),
        good.replace(".c2ln", ".c2+n"),
        good.replace("eyJ4IjoxfQ", ""),
        good.replace(
            r#""id":"01JD0000000000000000000000","#,
            r#""id":"01JD0000000000000000000000","id":"01JD0000000000000000000000","#,
        ),
        String::new(),
        "null".into(),
        "[]".into(),
    ];
    for bytes in &refused {
        assert!(Entry::parse(bytes.as_bytes()).is_err(), "{bytes}");
    }
    assert_eq!(Entry::parse(&vec![b' '; 70_000]), Err(EntryError::TooLarge));
    assert_eq!(Entry::parse_at(41, good.as_bytes()), Err(EntryError::WrongIndex { expected: 41, found: 42 }));
    assert_eq!(ReceiptEntry::new(0, ID, &format!("a.{}.c", "b".repeat(MAX_JWS_BYTES))), Err(EntryError::InvalidJws));
}

#[test]
fn an_erasure_names_earlier_leaves_in_ascending_order() {
    let valid = |erased: Vec<u64>| ErasureEntry::new(10, ERASURE_ID, erased, TIME);
    assert!(valid(vec![0, 9]).is_ok());
    assert_eq!(valid(vec![]), Err(EntryError::InvalidErased));
    assert_eq!(valid(vec![10]), Err(EntryError::InvalidErased));
    assert_eq!(valid(vec![5, 3]), Err(EntryError::InvalidErased));
    assert_eq!(valid(vec![3, 3]), Err(EntryError::InvalidErased));
    let many = ErasureEntry::new(5_000, ERASURE_ID, (0..=MAX_ERASED_PER_ENTRY as u64).collect(), TIME);
    assert_eq!(many, Err(EntryError::InvalidErased));
    assert_eq!(ErasureEntry::new(10, ERASURE_ID, vec![1], "2026-12-02"), Err(EntryError::InvalidTime));
    assert_eq!(ErasureEntry::new(10, "x", vec![1], TIME), Err(EntryError::InvalidId));
    let erasure = valid(vec![2, 7]).unwrap();
    assert!(erasure.removes(7) && !erasure.removes(3));
}

/// A log of 10 receipts in which the erasure at index 10 removed leaves 3 and 7; what the edge
/// keeps (hashes) and serves (entries with tombstones).
struct ErasedLog {
    hashes: MemoryHashes,
    served: Vec<Vec<u8>>,
    erasure: ErasureEntry,
    old_root: kelisim_ledger::Hash,
}

fn erased_log() -> ErasedLog {
    let mut hashes = MemoryHashes::new();
    let mut served = Vec::new();
    for i in 0..10 {
        let entry = receipt(i);
        hashes.push(leaf_hash(&entry.to_bytes())).unwrap();
        served.push(entry.to_bytes());
    }
    let old_root = tree_hash(10, &hashes).unwrap();
    let erasure = ErasureEntry::new(10, ERASURE_ID, vec![3, 7], TIME).unwrap();
    hashes.push(leaf_hash(&erasure.to_bytes())).unwrap();
    served.push(erasure.to_bytes());
    let kept: Vec<_> = erasure.erased().iter().map(|&i| leaf_hash(&served[i as usize])).collect();
    for tombstone in tombstones(&erasure, &kept).unwrap() {
        served[tombstone.index() as usize] = tombstone.to_bytes();
    }
    ErasedLog { hashes, served, erasure, old_root }
}

#[test]
fn after_an_erasure_the_log_still_verifies() {
    let log = erased_log();
    let size = 11;
    // As a mirror checks it: every served entry's leaf hash is the tree's level-0 hash, and each
    // tombstone is named by the erasure it points to.
    let bundle_tile = TilePath::entries(0, size as u32).unwrap();
    let bundle = encode_entry_bundle(&log.served).unwrap();
    let hash_tile = TilePath::hashes(0, 0, size as u32).unwrap();
    let level0 = parse_hash_tile(&hash_tile, &hash_tile_data(&hash_tile, size, &log.hashes).unwrap()).unwrap();
    let mut erased = Vec::new();
    for (i, bytes) in parse_entry_bundle(&bundle_tile, &bundle).unwrap().into_iter().enumerate() {
        let served = ServedEntry::parse_at(i as u64, bytes).unwrap();
        assert_eq!(served.leaf_hash(), level0[i], "leaf {i}");
        if let ServedEntry::Erased(tombstone) = served {
            tombstone.check_named_by(&log.erasure).unwrap();
            erased.push(tombstone.index());
        }
    }
    assert_eq!(erased, [3, 7]);
    // The erased data is nowhere in what is served.
    assert!(!bundle.windows(4).any(|w| w == b"c2ln3"));
    // The log before the erasure is a prefix of the log after it.
    prove_consistency(10, size, &log.hashes)
        .unwrap()
        .verify(log.old_root, tree_hash(size, &log.hashes).unwrap())
        .unwrap();
}

#[test]
fn a_proof_for_an_erased_leaf_says_which_erasure_removed_it() {
    let log = erased_log();
    let (size, root) = (11, tree_hash(11, &log.hashes).unwrap());
    let ServedEntry::Erased(tombstone) = ServedEntry::parse_at(3, &log.served[3]).unwrap() else { panic!("tombstone") };
    let proof = LeafProof::Erased(ErasedLeafProof {
        tombstone: tombstone.clone(),
        leaf_proof: prove_inclusion(3, size, &log.hashes).unwrap(),
        erasure: log.erasure.clone(),
        erasure_proof: prove_inclusion(10, size, &log.hashes).unwrap(),
    });
    assert_eq!(
        proof.verify(3, size, root).unwrap(),
        LeafStatus::Erased { erasure_index: 10, erasure_id: ERASURE_ID.into(), time: TIME.into() }
    );

    // A present leaf.
    let present =
        LeafProof::Present { entry: Entry::Receipt(receipt(4)), proof: prove_inclusion(4, size, &log.hashes).unwrap() };
    assert_eq!(present.verify(4, size, root).unwrap(), LeafStatus::Present);
    assert_eq!(present.verify(5, size, root), Err(ErasureError::ProofFor));

    // An erasure that does not list the leaf, or is not in the tree, or proofs for other leaves.
    let LeafProof::Erased(erased) = proof else { unreachable!() };
    let other = ErasureEntry::new(10, ERASURE_ID, vec![7], TIME).unwrap();
    let not_listed = LeafProof::Erased(ErasedLeafProof { erasure: other, ..erased.clone() });
    assert!(matches!(not_listed.verify(3, size, root), Err(ErasureError::NotRemovedBy { .. })));
    let forged = ErasureEntry::new(10, ERASURE_ID, vec![3, 7], "2026-12-03T10:00:00.000Z").unwrap();
    let not_in_tree = LeafProof::Erased(ErasedLeafProof { erasure: forged, ..erased.clone() });
    assert!(matches!(not_in_tree.verify(3, size, root), Err(ErasureError::Proof(_))));
    let wrong_hash = Tombstone::new(3, leaf_hash(b"guess"), 10).unwrap();
    let guessed = LeafProof::Erased(ErasedLeafProof { tombstone: wrong_hash, ..erased.clone() });
    assert!(matches!(guessed.verify(3, size, root), Err(ErasureError::Proof(_))));
    let swapped = LeafProof::Erased(ErasedLeafProof {
        leaf_proof: prove_inclusion(7, size, &log.hashes).unwrap(),
        ..erased.clone()
    });
    assert_eq!(swapped.verify(3, size, root), Err(ErasureError::ProofFor));
    assert_eq!(LeafProof::Erased(erased).verify(3, 12, root), Err(ErasureError::ProofFor));
}

#[test]
fn tombstones_parse_strictly() {
    let hash = leaf_hash(b"x");
    let good = Tombstone::new(3, hash, 10).unwrap().to_bytes();
    assert!(matches!(ServedEntry::parse_at(3, &good), Ok(ServedEntry::Erased(_))));
    assert!(matches!(ServedEntry::parse_at(4, &good), Err(ErasureError::WrongIndex { .. })));
    let text = String::from_utf8(good).unwrap();
    for bad in [
        text.replace(r#""kind":"erased""#, r#""kind":"erasure""#),
        text.replace(r#""erased_by":10"#, r#""erased_by":3"#),
        text.replace(r#""erased_by":10"#, r#""erased_by":2"#),
        text.replace(r#""index":3"#, r#""index": 3"#),
        text.replace('=', ""),
        text.replace(r#""kind":"erased""#, r#""kind":"erased","x":1"#),
    ] {
        assert!(ServedEntry::parse_at(3, bad.as_bytes()).is_err(), "{bad}");
    }
    assert!(Tombstone::new(10, hash, 10).is_err());
    let erasure = ErasureEntry::new(10, ERASURE_ID, vec![3], TIME).unwrap();
    assert_eq!(tombstones(&erasure, &[]), Err(ErasureError::HashCount { given: 0, erased: 1 }));
}
