//! The receipt write path inside the site's object (`docs/ledger.md` §4): dedupe by receipt id,
//! the erased history's rules, the log index, the countersignature that binds it, one commit of
//! the leaf with its stored hashes and query rows, then the receipt's one KV write.
//!
//! Everything up to the commit is synchronous (no `await`), so in the object no other request
//! interleaves between reading the tree size and committing the next leaf: indexes are dense and
//! unique. The KV put comes after the commit; a request is answered only once both happened. A
//! leaf whose KV put failed (or whose object died before it) keeps `kv_done = 0`: a retry of the
//! same receipt finds it and puts the identical record again, and the alarm's sweep does the same
//! for receipts nobody retries (`log.rs`).

use serde_json::json;
use sha2::{Digest, Sha256};

use kelisim_core::id::ulid_time_ms;
use kelisim_core::receipt::{LogPosition, Receipt, SignedReceipt, SubmitReceipt};
use kelisim_core::sign::b64url_decode;
use kelisim_core::ErrorCode;
use kelisim_ledger::leaf::{leaf_hash, Entry, ReceiptEntry};
use kelisim_ledger::tree;

use super::hashes::SqlHashes;
use super::rows;
use super::sql::{blob, int, LedgerDb, SqlValue, Write};
use super::SiteLog;
use crate::error::{ApiError, StoreError};
use crate::keys;
use crate::kv::Kv;

/// The answer to a receipt append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub signed: SignedReceipt,
    /// The receipt's leaf index (also in `signed.receipt.log`).
    pub index: u64,
    /// The same receipt had been appended before: the stored countersignature, unchanged.
    pub replayed: bool,
}

/// A receipt already in the log.
struct StoredReceipt {
    index: u64,
    signed: SignedReceipt,
    kv_done: bool,
}

/// What an erasure left of a subject (`erased_subject`), read by the receipt path.
struct ErasedSubject {
    erased_at_ms: i64,
    subject_signed: bool,
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("ledger: {e}");
    #[cfg(not(target_arch = "wasm32"))]
    let _ = e.to_string();
    ApiError::internal()
}

/// SHA-256 of a receipt id, as `erased_id` keeps it.
pub(crate) fn id_sha256(id: &str) -> Vec<u8> {
    Sha256::digest(id.as_bytes()).to_vec()
}

/// SHA-256 of a subject id, as `erased_subject` keeps it (never the id itself).
pub(crate) fn subject_sha256(subject: &str) -> Vec<u8> {
    Sha256::digest(subject.as_bytes()).to_vec()
}

/// The countersigned receipt a JWS carries: its payload is the canonical receipt.
pub(crate) fn signed_from_jws(jws: &str) -> Result<SignedReceipt, ApiError> {
    let payload = jws.split('.').nth(1).ok_or_else(|| internal("stored JWS has no payload"))?;
    let bytes = b64url_decode(payload).map_err(internal)?;
    let receipt: Receipt = serde_json::from_slice(&bytes).map_err(internal)?;
    Ok(SignedReceipt { receipt, jws: jws.to_owned() })
}

/// The KV record of a receipt (its value and metadata): the same bytes on every attempt.
pub(crate) fn record(signed: &SignedReceipt, index: u64) -> Result<(String, serde_json::Value), ApiError> {
    let value = serde_json::to_string(signed).map_err(internal)?;
    Ok((value, json!({ "index": index })))
}

/// After an erasure, the subject's erased history cannot come back: a receipt minted (by its id's
/// time) at or before the erasure is refused, and an unsigned receipt cannot take over an id
/// whose erased receipts were signed.
fn refuse_erased(erased: &ErasedSubject, submit: &SubmitReceipt) -> Result<(), ApiError> {
    if erased.subject_signed && submit.claims.subject_key.is_none() {
        return Err(ApiError::new(
            ErrorCode::SubjectRequiresSignature,
            "this subject's receipts are signed by its key",
        ));
    }
    let minted = ulid_time_ms(&submit.claims.id).and_then(|t| i64::try_from(t).ok());
    if minted.is_none_or(|t| t <= erased.erased_at_ms) {
        return Err(ApiError::receipt_erased());
    }
    Ok(())
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// Appends a checked receipt to the log and writes its KV record, or answers the stored one
    /// for a replay (completing its KV record first if an earlier attempt did not).
    ///
    /// # Errors
    /// 409 `receipt_conflict` (another receipt under this id), 409 `subject_requires_signature`,
    /// 410 `receipt_erased`, 503 `storage_unavailable` when SQL or KV fails (a retry completes
    /// it), 500 when the key may not sign yet.
    pub async fn append(&self, submit: SubmitReceipt) -> Result<Appended, ApiError> {
        if let Some(stored) = self.stored_receipt(&submit.claims.id)? {
            if stored.signed.receipt.claims != submit.claims
                || stored.signed.receipt.visitor_signature != submit.visitor_signature
            {
                // An unsigned takeover is named as such, whatever id it reuses.
                self.refuse_unsigned_takeover(&submit)?;
                return Err(ApiError::new(ErrorCode::ReceiptConflict, "another receipt was stored under this id"));
            }
            if !stored.kv_done {
                self.put_record(&stored.signed, stored.index).await?;
            }
            return Ok(Appended { signed: stored.signed, index: stored.index, replayed: true });
        }
        let (signed, index) = self.commit_new(submit)?;
        self.put_record(&signed, index).await?;
        Ok(Appended { signed, index, replayed: false })
    }

    /// The refusals an unsigned receipt can meet in the log, checked without writing: the worker
    /// asks before it charges the rate limits, so a stranger naming a signed visitor's subject
    /// in unsigned posts spends neither that visitor's budget nor the site's. (A signed receipt
    /// proves its subject; its refusals are the visitor's own, so it is not asked twice.)
    ///
    /// # Errors
    /// As [`SiteLog::append`], except storage faults of the write.
    pub fn precheck(&self, submit: &SubmitReceipt) -> Result<(), ApiError> {
        match self.stored_receipt(&submit.claims.id)? {
            Some(stored)
                if stored.signed.receipt.claims == submit.claims
                    && stored.signed.receipt.visitor_signature == submit.visitor_signature =>
            {
                Ok(())
            }
            Some(_) => {
                self.refuse_unsigned_takeover(submit)?;
                Err(ApiError::new(ErrorCode::ReceiptConflict, "another receipt was stored under this id"))
            }
            None => self.refuse_new(submit),
        }
    }

    /// The one KV write of a receipt, then its leaf's `kv_done` flag.
    ///
    /// # Errors
    /// 503 `storage_unavailable` when the put fails (the leaf keeps `kv_done = 0`).
    pub(crate) async fn put_record(&self, signed: &SignedReceipt, index: u64) -> Result<(), ApiError> {
        let (value, metadata) = record(signed, index)?;
        let key = keys::receipt(self.site, &signed.receipt.claims.id);
        self.kv.put(&key, &value, Some(&metadata)).await?;
        let idx = i64::try_from(index).map_err(internal)?;
        // The record is written: the answer may go. A flag that fails to stick only makes the
        // sweep put the identical record once more.
        if let Err(e) = self.db.exec("UPDATE leaf SET kv_done = 1 WHERE idx = ?", &[idx.into()]) {
            let _ = internal(e.0);
        }
        Ok(())
    }

    /// The receipt already in the log under `id`, if any.
    fn stored_receipt(&self, id: &str) -> Result<Option<StoredReceipt>, ApiError> {
        let rows = self.db.exec("SELECT idx, entry, kv_done FROM leaf WHERE receipt_id = ?", &[id.into()])?;
        let Some(row) = rows.first() else { return Ok(None) };
        let idx = int(row, 0)?;
        let index = u64::try_from(idx).map_err(internal)?;
        let bytes = blob(row, 1)?;
        let Entry::Receipt(entry) = Entry::parse_at(index, &bytes).map_err(internal)? else {
            return Err(internal("a receipt id names a leaf that is not a receipt"));
        };
        let signed = signed_from_jws(entry.jws())?;
        Ok(Some(StoredReceipt { index, signed, kv_done: int(row, 2)? != 0 }))
    }

    /// A meta value (`tree_size`, `last_server_ms`); absent reads as 0.
    pub(crate) fn meta(&self, key: &str) -> Result<i64, StoreError> {
        let rows = self.db.exec("SELECT value FROM meta WHERE key = ?", &[key.into()])?;
        rows.first().map_or(Ok(0), |r| int(r, 0))
    }

    /// The log's size: the index the next leaf gets.
    ///
    /// # Errors
    /// 503 when SQL fails.
    pub fn tree_size(&self) -> Result<u64, ApiError> {
        u64::try_from(self.meta("tree_size")?).map_err(internal)
    }

    /// The state checks of a new receipt: its id erased, the subject's erased history, an
    /// unsigned takeover of a signed subject.
    fn refuse_new(&self, submit: &SubmitReceipt) -> Result<(), ApiError> {
        let claims = &submit.claims;
        if !self
            .db
            .exec("SELECT erased_by FROM erased_id WHERE id_sha256 = ?", &[id_sha256(&claims.id).into()])?
            .is_empty()
        {
            return Err(ApiError::receipt_erased());
        }
        let erased = self.db.exec(
            "SELECT erased_at_ms, subject_signed FROM erased_subject WHERE subject_sha256 = ?",
            &[subject_sha256(&claims.subject).into()],
        )?;
        if let Some(row) = erased.first() {
            refuse_erased(&ErasedSubject { erased_at_ms: int(row, 0)?, subject_signed: int(row, 1)? != 0 }, submit)?;
        }
        self.refuse_unsigned_takeover(submit)
    }

    fn refuse_unsigned_takeover(&self, submit: &SubmitReceipt) -> Result<(), ApiError> {
        let claims = &submit.claims;
        if claims.subject_key.is_none() {
            // An unsigned receipt names its subject without proof: once the subject's newest
            // receipt is signed (its id is a key's thumbprint), an unsigned one could overwrite
            // that visitor's state. The newest is enough: no unsigned one can follow a signed.
            let newest = self.db.exec(
                "SELECT visitor_signed FROM receipt_row WHERE subject = ? ORDER BY server_ms DESC, idx DESC LIMIT 1",
                &[claims.subject.as_str().into()],
            )?;
            if newest.first().map(|r| int(r, 0)).transpose()?.is_some_and(|v| v != 0) {
                return Err(ApiError::new(
                    ErrorCode::SubjectRequiresSignature,
                    "this subject's receipts are signed by its key",
                ));
            }
        }
        Ok(())
    }

    /// Assigns the next index, countersigns with it and commits the leaf, its stored hashes, its
    /// query rows and the new size in one block. Synchronous: nothing interleaves.
    fn commit_new(&self, submit: SubmitReceipt) -> Result<(SignedReceipt, u64), ApiError> {
        self.refuse_new(&submit)?;
        if !self.keys.can_sign_at(self.now_ms) {
            // A countersignature before the key's period would never verify: refuse to store it.
            return Err(internal("the signing key's period has not started"));
        }
        let index = self.tree_size()?;
        let idx = i64::try_from(index).map_err(internal)?;
        // Log order and server time agree: never earlier than the last leaf's.
        let server_ms = self.now_ms.max(self.meta("last_server_ms")?);
        let id = submit.claims.id.clone();
        let mut receipt = Receipt::accept(submit, server_ms)?;
        receipt.log = Some(LogPosition { index, origin: self.origin.as_str().to_owned() });
        let signed = receipt.countersign(self.keys.current())?;
        let entry = ReceiptEntry::new(index, &id, &signed.jws).map_err(internal)?.to_bytes();
        let hash = leaf_hash(&entry);
        let appended = tree::append(index, hash, &SqlHashes(self.db)).map_err(internal)?;

        let mut writes = vec![Write::new(
            "INSERT INTO leaf (idx, kind, receipt_id, entry, leaf_hash, server_ms, kv_done) VALUES (?, 'receipt', ?, ?, ?, ?, 0)",
            vec![idx.into(), id.as_str().into(), entry.into(), hash.0.to_vec().into(), server_ms.into()],
        )];
        writes.extend(stored_hash_writes(&appended)?);
        writes.extend(rows::insert(&signed, idx, server_ms)?);
        writes.push(Write::new("UPDATE meta SET value = ? WHERE key = 'tree_size'", vec![(idx + 1).into()]));
        writes.push(Write::new("UPDATE meta SET value = ? WHERE key = 'last_server_ms'", vec![server_ms.into()]));
        self.db.commit(writes)?;
        Ok((signed, index))
    }
}

/// The `stored_hash` rows of one append.
pub(crate) fn stored_hash_writes(appended: &tree::Append) -> Result<Vec<Write>, ApiError> {
    appended
        .writes()
        .map(|(position, hash)| {
            let position = i64::try_from(position).map_err(internal)?;
            Ok(Write::new(
                "INSERT INTO stored_hash (idx, hash) VALUES (?, ?)",
                vec![position.into(), SqlValue::Blob(hash.0.to_vec())],
            ))
        })
        .collect()
}
