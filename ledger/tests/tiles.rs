//! C2SP tile paths (formatting and strict parsing), which tiles a tree has, hash tile contents
//! against the independent reference, and entry bundles.

#![allow(clippy::unwrap_used, clippy::panic)]

mod reference;

use kelisim_ledger::leaf::leaf_hash;
use kelisim_ledger::tiles::{
    changed_tiles, encode_entry_bundle, hash_tile_data, parse_entry_bundle, parse_hash_tile, TileError, TilePath,
};
use kelisim_ledger::tree::MemoryHashes;
use kelisim_ledger::Hash;
use reference::Reference;

#[test]
fn paths_are_the_c2sp_spelling() {
    let cases = [
        (TilePath::hashes(0, 0, 256).unwrap(), "tile/0/000"),
        (TilePath::hashes(0, 1, 5).unwrap(), "tile/0/001.p/5"),
        (TilePath::hashes(2, 1_234_067, 256).unwrap(), "tile/2/x001/x234/067"),
        (TilePath::hashes(3, 1_234_067, 1).unwrap(), "tile/3/x001/x234/067.p/1"),
        (TilePath::hashes(63, 1000, 255).unwrap(), "tile/63/x001/000.p/255"),
        (TilePath::entries(0, 256).unwrap(), "tile/entries/000"),
        (TilePath::entries(7, 3).unwrap(), "tile/entries/007.p/3"),
        (TilePath::entries(u64::MAX, 256).unwrap(), "tile/entries/x018/x446/x744/x073/x709/x551/615"),
    ];
    for (tile, path) in cases {
        assert_eq!(tile.path(), path);
        assert_eq!(TilePath::parse(path).unwrap(), tile, "{path}");
    }
    let tile = TilePath::parse("tile/entries/007.p/3").unwrap();
    assert!(tile.is_entries() && tile.is_partial());
    assert_eq!((tile.level(), tile.index(), tile.width()), (0, 7, 3));
    assert_eq!(tile.leaf_range(), 1792..1795);
}

#[test]
fn only_the_canonical_path_of_a_valid_tile_parses() {
    let refused = [
        "",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "tile/8/0/000",  // the Go layout with a height
        "tile/data/000", // the Go name for entries
        "tile/64/000",   // level above 63 (tlog_tiles would assert)
        "tile/255/000",
        "tile/0/000.p/0",   // empty partial tile (tlog_tiles would assert)
        "tile/0/000.p/256", // a full tile spelled as partial
        "tile/0/000.p/",
        "tile/0/000.p/05",
        "tile/0/000.p/+5",
        "tile/00/000",
        "tile/01/000",
        "tile/+1/000",
        "tile/-1/000",
        "tile/0/0",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/x000/001", // leading zero group
        "tile/0/001/x002",
        "tile/0/x1/001",
        "tile/0/+01",
        "tile/0/ 01",
        "tile/0/001/",
        "/tile/0/001",
        "tile/0/001?x=1",
        "tile/0/001.p/5/",
        "tile/Entries/000",
        "tile/entries/000.p/0",
        "tile/entries/x018/x446/x744/x073/x709/x551/616", // u64 overflow
        "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
    ];
    for path in refused {
        assert_eq!(TilePath::parse(path), Err(TileError::BadPath), "{path:?}");
    }
    let long = format!("tile/0/{}", "x001/".repeat(20) + "001");
    assert_eq!(TilePath::parse(&long), Err(TileError::BadPath));
    assert_eq!(TilePath::hashes(64, 0, 1), Err(TileError::BadPath));
    assert_eq!(TilePath::hashes(0, 0, 0), Err(TileError::BadPath));
    assert_eq!(TilePath::entries(0, 257), Err(TileError::BadPath));
}

#[test]
fn a_tile_exists_once_the_tree_fixes_all_it_holds() {
    let full = TilePath::hashes(0, 0, 256).unwrap();
    assert!(full.check_within(255).is_err());
    assert!(full.check_within(256).is_ok());
    let partial = TilePath::hashes(0, 1, 5).unwrap();
    assert!(partial.check_within(260).is_err());
    assert!(partial.check_within(261).is_ok());
    assert!(partial.check_within(10_000).is_ok(), "older partial tiles stay available");
    let level1 = TilePath::hashes(1, 0, 2).unwrap();
    assert!(level1.check_within(511).is_err());
    assert!(level1.check_within(512).is_ok());
    assert!(TilePath::hashes(63, 0, 1).unwrap().check_within(u64::MAX).is_err());
    assert!(TilePath::entries(u64::MAX, 256).unwrap().check_within(u64::MAX).is_err());
}

#[test]
fn changed_tiles_name_the_hash_tiles_and_bundles_a_new_checkpoint_adds() {
    let paths = |old, new| changed_tiles(old, new).iter().map(TilePath::path).collect::<Vec<_>>();
    assert_eq!(paths(0, 1), ["tile/0/000.p/1", "tile/entries/000.p/1"]);
    assert_eq!(paths(255, 256), ["tile/0/000", "tile/1/000.p/1", "tile/entries/000"]);
    assert_eq!(paths(256, 256), Vec::<String>::new());
    assert_eq!(
        paths(250, 600),
        [
            "tile/0/000",
            "tile/0/001",
            "tile/0/002.p/88",
            "tile/1/000.p/2",
            "tile/entries/000",
            "tile/entries/001",
            "tile/entries/002.p/88"
        ]
    );
}

#[test]
fn hash_tiles_hold_the_reference_hashes() {
    const SIZE: usize = 600;
    let mut log = MemoryHashes::new();
    let mut leaves = Vec::new();
    for i in 0..SIZE {
        let data = format!("leaf {i}");
        log.push(leaf_hash(data.as_bytes())).unwrap();
        leaves.push(reference::leaf(data.as_bytes()));
    }
    let reference = Reference::new(leaves.clone());

    // Level 0: leaf hashes.
    for (index, width) in [(0, 256), (1, 256), (2, 88), (2, 1), (1, 17)] {
        let tile = TilePath::hashes(0, index, width).unwrap();
        let data = hash_tile_data(&tile, SIZE as u64, &log).unwrap();
        let start = index as usize * 256;
        let expected: Vec<Hash> = leaves[start..start + width as usize].iter().copied().map(Hash).collect();
        assert_eq!(parse_hash_tile(&tile, &data).unwrap(), expected, "{}", tile.path());
    }
    // Level 1: roots of complete 256-leaf subtrees.
    let tile = TilePath::hashes(1, 0, 2).unwrap();
    let data = hash_tile_data(&tile, SIZE as u64, &log).unwrap();
    let expected = vec![Hash(reference.mth(0, 256)), Hash(reference.mth(256, 512))];
    assert_eq!(parse_hash_tile(&tile, &data).unwrap(), expected);

    // Beyond the tree, or an entry bundle asked as hashes.
    let beyond = TilePath::hashes(0, 2, 89).unwrap();
    assert_eq!(hash_tile_data(&beyond, SIZE as u64, &log), Err(TileError::NotInTree(SIZE as u64)));
    let bundle = TilePath::entries(0, 256).unwrap();
    assert_eq!(hash_tile_data(&bundle, SIZE as u64, &log), Err(TileError::BadPath));
    // A wrong length is refused.
    assert_eq!(parse_hash_tile(&tile, &data[1..]), Err(TileError::BadBundle));
}

#[test]
fn entry_bundles_round_trip_and_parse_strictly() {
    let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![b'x'; 300], b"{}".to_vec()];
    let tile = TilePath::entries(0, 3).unwrap();
    let bytes = encode_entry_bundle(&entries).unwrap();
    assert_eq!(&bytes[..3], &[0, 1, b'a']);
    assert_eq!(&bytes[3..5], &[1, 44]);
    assert_eq!(parse_entry_bundle(&tile, &bytes).unwrap(), entries.iter().map(Vec::as_slice).collect::<Vec<_>>());

    // Width mismatch, trailing or missing bytes, empty entries, wrong tile kind.
    assert_eq!(parse_entry_bundle(&TilePath::entries(0, 2).unwrap(), &bytes), Err(TileError::BadBundle));
    assert_eq!(parse_entry_bundle(&TilePath::entries(0, 4).unwrap(), &bytes), Err(TileError::BadBundle));
    assert_eq!(parse_entry_bundle(&tile, &[bytes.clone(), vec![0]].concat()), Err(TileError::BadBundle));
    assert_eq!(parse_entry_bundle(&tile, &bytes[..bytes.len() - 1]), Err(TileError::BadBundle));
    assert_eq!(parse_entry_bundle(&TilePath::entries(0, 1).unwrap(), &[0, 0]), Err(TileError::BadBundle));
    assert_eq!(parse_entry_bundle(&TilePath::hashes(0, 0, 3).unwrap(), &bytes), Err(TileError::BadPath));

    assert_eq!(encode_entry_bundle(&[vec![0_u8; 65_536]]), Err(TileError::EntryTooLarge));
    assert_eq!(encode_entry_bundle(&[Vec::<u8>::new()]), Err(TileError::BadBundle));
    assert_eq!(encode_entry_bundle(&vec![b"a".to_vec(); 257]), Err(TileError::BadBundle));
    assert!(encode_entry_bundle(&[vec![0_u8; 65_535]]).is_ok());
}
