//! Every limit of the ledger as a named constant, with the reason beside it.

/// Largest tree size (and so largest leaf index + 1) the ledger accepts. The Durable Object keeps
/// indexes in SQLite integers that cross into JavaScript as `f64`, exact only up to 2^53 - 1
/// (`SqlStorageValue::try_from_i64` in workers-rs refuses more); it also keeps the tree math in
/// `tlog_tiles` far from `u64` overflow.
pub const MAX_TREE_SIZE: u64 = (1 << 53) - 1;

/// Most hashes a proof may carry. An inclusion proof in a tree of at most 2^53 leaves has at most
/// 53 hashes and a consistency proof at most 2 × 53; anything longer is refused before the
/// verifier walks it (the walk copies the proof at each level, quadratic in its length).
pub const MAX_PROOF_HASHES: usize = 2 * 53;

/// Largest entry in bytes: C2SP tlog-tiles entry bundles prefix each entry with a big-endian
/// `uint16` length.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// Largest edge JWS a receipt entry carries. A receipt body is at most 16 KiB
/// (`kelisim_core::limits::MAX_RECEIPT_BODY_BYTES`); base64url grows it by 4/3 and the header
/// and signature add < 1 KiB, so 60,000 bytes leaves room while the whole entry stays under
/// [`MAX_ENTRY_BYTES`].
pub const MAX_JWS_BYTES: usize = 60_000;

/// Most leaf indexes one erasure entry names. An erasure request is served within one request's
/// budget of 1,000 KV operations (one delete per receipt record); a subject with more receipts
/// is erased in several entries.
pub const MAX_ERASED_PER_ENTRY: usize = 1_000;

/// Tile height fixed by C2SP tlog-tiles: each full tile holds 2^8 = 256 hashes or entries.
pub const TILE_HEIGHT: u8 = 8;

/// Hashes (or entries) in a full tile.
pub const TILE_WIDTH: u32 = 1 << TILE_HEIGHT;

/// Highest tile level: C2SP tlog-tiles levels are 0..=63 (and `tlog_tiles::Tile::new` asserts it).
pub const MAX_TILE_LEVEL: u8 = 63;
