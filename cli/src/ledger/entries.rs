//! Reading a log's entries: which entry bundles cover a range, fetching and parsing one
//! strictly, and checking a receipt entry's countersignature and the position it binds.

use kelisim_core::receipt::{LogPosition, Receipt, SignedReceipt};
use kelisim_core::sign::{b64url_decode, Jwks};
use kelisim_ledger::erasure::ServedEntry;
use kelisim_ledger::leaf::ReceiptEntry;
use kelisim_ledger::limits::TILE_WIDTH;
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tiles::{parse_entry_bundle, TilePath};

use crate::error::{Error, Result};
use crate::ledger::source::LogSource;
use crate::verify::reasons;

/// The entry bundle holding leaf `from` in a tree of `size` leaves (`from < size`): full, or
/// partial up to `size`.
///
/// # Errors
/// [`Error::Protocol`] for an impossible range.
pub fn bundle_at(from: u64, size: u64) -> Result<TilePath> {
    let width = u64::from(TILE_WIDTH);
    let index = from / width;
    let end = (index + 1).saturating_mul(width).min(size);
    let count = u32::try_from(end - index * width).map_err(|_| Error::Protocol("bundle width".into()))?;
    TilePath::entries(index, count).map_err(|e| Error::Protocol(format!("entry bundle {index}: {e}")))
}

/// Fetches entry bundle `tile` and parses each position strictly.
///
/// # Errors
/// Transport errors; [`Error::Inconsistent`] for a malformed bundle or entry.
pub fn fetch_bundle(source: &impl LogSource, tile: &TilePath) -> Result<Vec<(u64, ServedEntry)>> {
    let bytes = source.entry_bundle(tile)?;
    let raw = parse_entry_bundle(tile, &bytes)
        .map_err(|e| Error::Inconsistent(format!("entry bundle {}: {e}", tile.path())))?;
    tile.leaf_range()
        .zip(raw)
        .map(|(i, raw)| {
            ServedEntry::parse_at(i, raw)
                .map(|served| (i, served))
                .map_err(|e| Error::Inconsistent(format!("entry {i} in {}: {e}", tile.path())))
        })
        .collect()
}

/// Checks the receipt entry at log position `entry.index()` of the log `origin`: its JWS
/// verifies against `jwks` (edge signature, hash, visitor signature, key period), and the
/// signed receipt names this id, this index and this origin.
///
/// # Errors
/// [`Error::BadSignature`] when the countersignature does not verify; [`Error::Inconsistent`]
/// when a genuine receipt names another id or position.
pub fn check_receipt_entry(entry: &ReceiptEntry, origin: &LogOrigin, jwks: &Jwks) -> Result<SignedReceipt> {
    let index = entry.index();
    let bad = |why: String| Error::BadSignature(format!("receipt entry {index} ({}): {why}", entry.id()));
    let payload = entry.jws().split('.').nth(1).unwrap_or_default();
    let payload = b64url_decode(payload).map_err(|e| bad(format!("payload: {e}")))?;
    let receipt: Receipt =
        serde_json::from_slice(&payload).map_err(|e| bad(format!("payload is not a receipt: {e}")))?;
    let signed = SignedReceipt { receipt, jws: entry.jws().to_owned() };
    let verification = signed.verify(jwks);
    if !verification.is_valid() {
        return Err(bad(reasons(&verification).join("; ")));
    }
    let expected = LogPosition { index, origin: origin.as_str().to_owned() };
    if signed.receipt.claims.id != entry.id() || signed.receipt.log.as_ref() != Some(&expected) {
        return Err(Error::Inconsistent(format!(
            "receipt entry {index} ({}): the signed receipt is {} at {:?}, not this id at index {index} of {origin}",
            entry.id(),
            signed.receipt.claims.id,
            signed.receipt.log
        )));
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_cover_a_range() {
        assert_eq!(bundle_at(0, 5).unwrap().path(), "tile/entries/000.p/5");
        assert_eq!(bundle_at(0, 256).unwrap().path(), "tile/entries/000");
        assert_eq!(bundle_at(300, 600).unwrap().path(), "tile/entries/001");
        assert_eq!(bundle_at(300, 301).unwrap().path(), "tile/entries/001.p/45");
        assert_eq!(bundle_at(512, 600).unwrap().path(), "tile/entries/002.p/88");
    }
}
