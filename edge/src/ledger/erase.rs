//! Erasure of a subject inside the site's object (`docs/ledger.md` §4, "Erasure"), resumable so
//! that one of any size completes under the 1,000 KV operations of a request.
//!
//! Each request, in one synchronous block: take up to [`ERASED_PER_REQUEST`] of the subject's
//! present receipts (those that reached the log before the erasure began), append an erasure
//! entry naming their indexes, and in the same commit remove their entries (`entry`,
//! `receipt_id` → NULL, `erased_by` set; the leaf hash stays, so every proof still verifies),
//! keep the hash of each id (`erased_id`: a replay is 410), delete their query rows and counters,
//! raise the subject's `erased_subject` row and queue their KV records (`kv_delete`). Then it
//! deletes queued KV records. It answers 202 `{done:false}` while receipts or deletes remain, and
//! 200 with the one signed erasure record (written to KV under `erasure/{site}/…`, as before the
//! ledger) once none do; a retry after that answers the same record.

use futures_util::future::join_all;

use kelisim_core::api::erasure::{Erasure, ErasureStatus, SignedErasure, ERASURE_JWS_TYP};
use kelisim_core::canonical::to_canonical_string;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::sign::{JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;
use kelisim_core::ErrorCode;
use kelisim_ledger::leaf::{leaf_hash, ErasureEntry};
use kelisim_ledger::tree;

use super::append::{id_sha256, internal, stored_hash_writes, subject_sha256};
use super::hashes::SqlHashes;
use super::rows;
use super::sql::{int, text, LedgerDb, SqlValue, Write};
use super::SiteLog;
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

/// Receipts one request erases: one KV delete each, under the 1,000 KV operations of a request
/// with room for the record's get and put; also at most `MAX_ERASED_PER_ENTRY` per entry.
pub const ERASED_PER_REQUEST: usize = 900;
/// KV deletes sent at once.
const DELETE_CONCURRENCY: usize = 50;

/// The answer to an erasure request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erased {
    /// Nothing is left: the signed erasure record (the same one on every retry).
    Done(SignedErasure),
    /// More remains: call again.
    Continuing(ErasureStatus),
}

/// An erasure under way.
struct Run {
    erasure_id: String,
    started_ms: i64,
    requested_by: String,
}

impl<K: Kv, D: LedgerDb> SiteLog<'_, K, D> {
    /// Erases `subject`, or continues erasing it (see the module documentation).
    ///
    /// # Errors
    /// 404 `subject_not_found` when nothing is held and no erasure of it was made; 503 when SQL
    /// or KV fails (a retry resumes).
    pub async fn erase_subject(&self, subject: &str, requested_by: &str, random: [u8; 10]) -> Result<Erased, ApiError> {
        let sha = subject_sha256(subject);
        let run = match self.run(&sha)? {
            Some(run) => run,
            None => {
                if self.present(subject, self.now_ms, 1)?.is_empty() {
                    return self.finished(&sha).await;
                }
                let run = Run {
                    erasure_id: ulid_from_parts(u64::try_from(self.now_ms).unwrap_or_default(), random),
                    started_ms: self.now_ms,
                    requested_by: requested_by.to_owned(),
                };
                self.db.commit(vec![Write::new(
                    "INSERT INTO erasure_run (subject_sha256, erasure_id, started_ms, requested_by) VALUES (?, ?, ?, ?)",
                    vec![sha.clone().into(), run.erasure_id.as_str().into(), run.started_ms.into(), run.requested_by.as_str().into()],
                )])?;
                run
            }
        };
        let batch = self.present(subject, run.started_ms, ERASED_PER_REQUEST)?;
        if !batch.is_empty() {
            self.append_erasure(&sha, &run, &batch)?;
        }
        let deletes_left = self.delete_records(&run.erasure_id).await?;
        let receipts_left = !self.present(subject, run.started_ms, 1)?.is_empty();
        if deletes_left || receipts_left {
            let erased = self.erased_ids(&run.erasure_id)?.len();
            return Ok(Erased::Continuing(ErasureStatus { done: false, erasure_id: run.erasure_id, erased }));
        }
        let record = self.write_record(&sha, &run).await?;
        self.db.commit(vec![Write::new("DELETE FROM erasure_run WHERE subject_sha256 = ?", vec![sha.into()])])?;
        Ok(Erased::Done(record))
    }

    fn run(&self, sha: &[u8]) -> Result<Option<Run>, ApiError> {
        let rows = self.db.exec(
            "SELECT erasure_id, started_ms, requested_by FROM erasure_run WHERE subject_sha256 = ?",
            &[sha.to_vec().into()],
        )?;
        let Some(row) = rows.first() else { return Ok(None) };
        Ok(Some(Run { erasure_id: text(row, 0)?, started_ms: int(row, 1)?, requested_by: text(row, 2)? }))
    }

    /// Up to `limit` of the subject's present receipts appended at or before `until_ms`:
    /// `(idx, receipt_id, visitor_signed)`.
    fn present(&self, subject: &str, until_ms: i64, limit: usize) -> Result<Vec<(i64, String, bool)>, ApiError> {
        let limit = i64::try_from(limit).map_err(internal)?;
        let rows = self.db.exec(
            "SELECT idx, receipt_id, visitor_signed FROM receipt_row WHERE subject = ? AND server_ms <= ? ORDER BY idx LIMIT ?",
            &[subject.into(), until_ms.into(), limit.into()],
        )?;
        rows.iter().map(|r| Ok((int(r, 0)?, text(r, 1)?, int(r, 2)? != 0))).collect()
    }

    fn erased_ids(&self, erasure_id: &str) -> Result<Vec<String>, ApiError> {
        let rows = self.db.exec(
            "SELECT receipt_id FROM erasure_receipt WHERE erasure_id = ? ORDER BY receipt_id",
            &[erasure_id.into()],
        )?;
        rows.iter().map(|r| Ok(text(r, 0)?)).collect()
    }

    /// Appends one erasure entry naming `batch` and removes their data, in one commit.
    fn append_erasure(&self, sha: &[u8], run: &Run, batch: &[(i64, String, bool)]) -> Result<(), ApiError> {
        let index = self.tree_size()?;
        let at = i64::try_from(index).map_err(internal)?;
        let server_ms = self.now_ms.max(self.meta("last_server_ms")?);
        let erased: Vec<u64> =
            batch.iter().map(|(idx, _, _)| u64::try_from(*idx).map_err(internal)).collect::<Result<_, _>>()?;
        let entry = ErasureEntry::new(index, &run.erasure_id, erased, &format_millis(server_ms)).map_err(internal)?;
        let bytes = entry.to_bytes();
        let hash = leaf_hash(&bytes);
        let appended = tree::append(index, hash, &SqlHashes(self.db)).map_err(internal)?;
        let signed_any = batch.iter().any(|(_, _, signed)| *signed);

        let mut writes = vec![Write::new(
            "INSERT INTO leaf (idx, kind, receipt_id, entry, leaf_hash, server_ms, kv_done) VALUES (?, 'erasure', NULL, ?, ?, ?, 1)",
            vec![at.into(), bytes.into(), hash.0.to_vec().into(), server_ms.into()],
        )];
        writes.extend(stored_hash_writes(&appended)?);
        for (at_idx, id, _) in batch {
            writes.extend(rows::delete(*at_idx));
            let idx = SqlValue::Integer(*at_idx);
            writes.push(Write::new(
                "UPDATE leaf SET entry = NULL, receipt_id = NULL, erased_by = ? WHERE idx = ?",
                vec![at.into(), idx.clone()],
            ));
            writes.push(Write::new(
                "INSERT OR IGNORE INTO erased_id (id_sha256, idx, erased_by) VALUES (?, ?, ?)",
                vec![id_sha256(id).into(), idx.clone(), at.into()],
            ));
            writes.push(Write::new(
                "INSERT OR IGNORE INTO kv_delete (idx, receipt_id, erasure_id) VALUES (?, ?, ?)",
                vec![idx, id.as_str().into(), run.erasure_id.as_str().into()],
            ));
            writes.push(Write::new(
                "INSERT OR IGNORE INTO erasure_receipt (erasure_id, receipt_id) VALUES (?, ?)",
                vec![run.erasure_id.as_str().into(), id.as_str().into()],
            ));
        }
        // The subject's erased history: replays minted before the erasure are refused, and once
        // any erased receipt was signed, unsigned ones cannot take the id over.
        writes.push(Write::new(
            "INSERT INTO erased_subject (subject_sha256, erasure_id, erased_at_ms, subject_signed) VALUES (?, ?, ?, ?) \
             ON CONFLICT(subject_sha256) DO UPDATE SET erasure_id = excluded.erasure_id, \
             erased_at_ms = MAX(erased_at_ms, excluded.erased_at_ms), \
             subject_signed = MAX(subject_signed, excluded.subject_signed)",
            vec![sha.to_vec().into(), run.erasure_id.as_str().into(), run.started_ms.into(), i64::from(signed_any).into()],
        ));
        writes.push(Write::new("UPDATE meta SET value = ? WHERE key = 'tree_size'", vec![(at + 1).into()]));
        writes.push(Write::new("UPDATE meta SET value = ? WHERE key = 'last_server_ms'", vec![server_ms.into()]));
        self.db.commit(writes)?;
        Ok(())
    }

    /// Deletes queued KV records (this erasure's first); returns whether this erasure's remain.
    async fn delete_records(&self, erasure_id: &str) -> Result<bool, ApiError> {
        let limit = i64::try_from(ERASED_PER_REQUEST).map_err(internal)?;
        let rows = self.db.exec(
            "SELECT idx, receipt_id FROM kv_delete ORDER BY erasure_id = ? DESC, idx LIMIT ?",
            &[erasure_id.into(), limit.into()],
        )?;
        let queued: Vec<(i64, String)> =
            rows.iter().map(|r| Ok((int(r, 0)?, text(r, 1)?))).collect::<Result<_, ApiError>>()?;
        for chunk in queued.chunks(DELETE_CONCURRENCY) {
            let names: Vec<String> = chunk.iter().map(|(_, id)| keys::receipt(self.site, id)).collect();
            let results = join_all(names.iter().map(|key| self.kv.delete(key))).await;
            let mut done = Vec::new();
            for ((idx, _), result) in chunk.iter().zip(results) {
                if result.is_ok() {
                    done.push(Write::new("DELETE FROM kv_delete WHERE idx = ?", vec![(*idx).into()]));
                    done.push(Write::new("UPDATE leaf SET kv_deleted = 1 WHERE idx = ?", vec![(*idx).into()]));
                }
            }
            self.db.commit(done)?;
        }
        let left = self.db.exec("SELECT COUNT(*) FROM kv_delete WHERE erasure_id = ?", &[erasure_id.into()])?;
        Ok(left.first().map(|r| int(r, 0)).transpose()?.unwrap_or(0) > 0)
    }

    /// The signed erasure record under its fixed key (a retry writes the same record).
    async fn write_record(&self, sha: &[u8], run: &Run) -> Result<SignedErasure, ApiError> {
        let key = keys::erasure(self.site, run.started_ms, &run.erasure_id);
        let erasure = Erasure {
            id: run.erasure_id.clone(),
            site: self.site.to_owned(),
            subject_sha256: hex(sha),
            requested_by: run.requested_by.clone(),
            time: format_millis(run.started_ms),
            receipt_ids: self.erased_ids(&run.erasure_id)?,
        };
        if let Some(stored) = self.kv.get(&key).await?.and_then(|t| serde_json::from_str::<SignedErasure>(&t).ok()) {
            if stored.erasure == erasure {
                return Ok(stored);
            }
        }
        let header = JwsHeader {
            alg: JWS_ALG.into(),
            kid: Some(self.keys.current().kid().into()),
            typ: Some(ERASURE_JWS_TYP.into()),
        };
        let jws = self.keys.current().sign_compact(&header, to_canonical_string(&erasure)?.as_bytes());
        let signed = SignedErasure { erasure, jws };
        self.kv.put(&key, &serde_json::to_string(&signed).map_err(internal)?, None).await?;
        Ok(signed)
    }

    /// No erasure under way and nothing held: the last erasure's record, or 404.
    async fn finished(&self, sha: &[u8]) -> Result<Erased, ApiError> {
        let rows = self.db.exec(
            "SELECT erasure_id, erased_at_ms FROM erased_subject WHERE subject_sha256 = ?",
            &[sha.to_vec().into()],
        )?;
        let not_found = || ApiError::new(ErrorCode::SubjectNotFound, "no receipts are held for this subject");
        let Some(row) = rows.first() else { return Err(not_found()) };
        let key = keys::erasure(self.site, int(row, 1)?, &text(row, 0)?);
        let record = self.kv.get(&key).await?.ok_or_else(not_found)?;
        Ok(Erased::Done(serde_json::from_str(&record).map_err(internal)?))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
