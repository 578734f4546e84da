//! Erasure of a subject, resumable across requests so that one of any size completes under the
//! production limit of KV operations per request.
//!
//! A request does a bounded batch and answers `202` with its progress, or `200` with the signed
//! erasure record once a pass over both indexes reached their end (a small subject: at once).
//! Between requests the state lives in one progress key (`keys::erasure_progress`); a retry after
//! any failure repeats at most the unfinished batch, and a retry after the end answers the same
//! record.
//!
//! Order of writes (each step is safe to repeat):
//! 1. the **tombstone** (`tombstone::key`), before anything is deleted: from then on the receipt
//!    path refuses re-posting an erased receipt and an unsigned takeover of the id;
//! 2. ahead of each batch's deletes, what names the batch's receipts: the **progress** record when
//!    more remains, or, for the last batch, the signed **erasure record** itself, under a key fixed
//!    by the tombstone (so retries rewrite the same one record);
//! 3. the receipt **records**, then their **index entries** (an entry is what finds a record, so
//!    it goes last);
//! 4. the progress record is deleted once the erasure record is written and the last deletes
//!    succeeded. No key is written twice in one request (KV takes one write per second per key).
//!
//! Receipts are found through both indexes: the subject index, and the site's time index whose
//! entries carry the subject in their metadata (a receipt whose subject-index write failed is
//! still found). Receipts that reached the edge after the erasure began are not part of it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{try_join, try_join_all};
use serde::{Deserialize, Serialize};

use kelisim_core::canonical::{sha256_hex, to_canonical_string};
use kelisim_core::id::ulid_from_parts;
use kelisim_core::limits::MAX_PAGE_LIMIT;
use kelisim_core::sign::{JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;

use crate::error::ApiError;
use crate::keys;
use crate::kv::{Kv, ListedKey, OpBudget};
use kelisim_core::api::erasure::{Erasure, ErasurePage, ErasureStatus, SignedErasure, ERASURE_JWS_TYP};
use kelisim_core::api::receipts::ReceiptSummary;
use kelisim_core::ErrorCode;

use super::{get_json, to_json, Service, MAX_CURSOR_CHARS};
use crate::tombstone::{self, SubjectTombstone};

/// KV operations one erasure request may make itself: the production limit (1,000) less room
/// for the route's own reads (the token, the site's configuration).
pub const ERASURE_KV_OPS: usize = 950;
/// Operations kept back from a batch for the request's fixed reads and writes (tombstone,
/// progress, record, newest entry) so the batch never eats into them.
const FIXED_OPS: usize = 16;
/// Deletes per erased receipt: the record and its two index entries.
const OPS_PER_RECEIPT: usize = 3;
/// Deletes sent at once: keeps a request's concurrent KV calls modest.
const DELETE_CONCURRENCY: usize = 50;

/// Erasure records per page of the listing: one list and a get each, far under a request's KV
/// operations, and a page of records with up to thousands of receipt ids each stays a few MB.
pub const ERASURES_PER_PAGE: usize = 100;

/// Where an erasure stands between its requests (stored as JSON under `keys::erasure_progress`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Progress {
    erasure_id: String,
    started_ms: i64,
    requested_by: String,
    subject_signed: bool,
    /// Where the sweep of the site's time index resumes (`None`: at its start).
    time_cursor: Option<String>,
    /// Every receipt of this erasure found so far (written before it is deleted).
    receipt_ids: Vec<String>,
}

/// The answer to an erasure request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErasureOutcome {
    /// Nothing is left: the signed erasure record (the same one on every retry).
    Done(SignedErasure),
    /// More remains: call again (each call does a bounded batch).
    Continuing(ErasureStatus),
}

/// What one pass over the indexes found.
struct Sweep {
    /// Receipts to erase now, by id.
    batch: BTreeMap<String, Target>,
    /// Where the next request resumes the time-index sweep.
    resume: Option<String>,
    /// Whether the pass reached the end of both indexes (so `batch` is all that is left).
    complete: bool,
}

/// A receipt to erase: its server time and whether the visitor signed it.
struct Target {
    server_ms: i64,
    signed: bool,
}

fn summary_of(key: &ListedKey) -> Option<ReceiptSummary> {
    key.metadata.clone().and_then(|m| serde_json::from_value(m).ok())
}

/// The server time and id an index key ends with (`…/{rev_ms}/{id}`).
fn time_and_id(name: &str) -> Option<(i64, &str)> {
    let mut parts = name.rsplit('/');
    let id = parts.next()?;
    let ms = keys::from_rev_ms(parts.next()?)?;
    Some((ms, id))
}

/// How many more receipts a batch can take with `left` operations, `planned` receipts already in
/// it, and one more list to make.
fn room(left: usize, planned: usize) -> usize {
    left.saturating_sub(FIXED_OPS + 1 + planned * OPS_PER_RECEIPT) / OPS_PER_RECEIPT
}

impl<K: Kv> Service<'_, K> {
    /// Erases a subject, or continues erasing it: see the module documentation.
    ///
    /// # Errors
    /// 404 `subject_not_found` when nothing is held and no erasure of the subject is under way;
    /// 503 when KV fails (a retry resumes).
    pub async fn erase_subject(
        &self,
        site: &str,
        subject: &str,
        requested_by: &str,
        random: [u8; 10],
    ) -> Result<ErasureOutcome, ApiError> {
        let kv = &OpBudget::new(self.kv, ERASURE_KV_OPS);
        let subject_sha256 = sha256_hex(subject.as_bytes());
        let progress_key = keys::erasure_progress(site, &subject_sha256);
        let tomb_key = tombstone::key(site, subject);
        let (tomb, stored_progress) =
            try_join(get_json::<_, SubjectTombstone>(kv, &tomb_key), get_json::<_, Progress>(kv, &progress_key))
                .await?;
        let had_progress = stored_progress.is_some();
        let mut progress = match stored_progress {
            Some(progress) => progress,
            None => {
                let newest = kv.list(&keys::subject_index_prefix(site, subject), 1, None).await?.keys;
                let newest = newest.first().and_then(|k| Some((time_and_id(&k.name)?.0, summary_of(k)?)));
                let record = match &tomb {
                    Some(t) => {
                        get_json::<_, SignedErasure>(kv, &keys::erasure(site, t.erased_at_ms, &t.erasure_id)).await?
                    }
                    None => None,
                };
                match (tomb, newest) {
                    (None, None) => {
                        return Err(ApiError::new(ErrorCode::SubjectNotFound, "no receipts are held for this subject"))
                    }
                    // The erasure the tombstone names, again: it stopped part-way, or this is a
                    // retry after it finished (a clean pass then answers the same record).
                    (Some(t), newest)
                        if record.is_none() || newest.as_ref().is_none_or(|(ms, _)| *ms <= t.erased_at_ms) =>
                    {
                        Progress {
                            erasure_id: t.erasure_id.clone(),
                            started_ms: t.erased_at_ms,
                            requested_by: record
                                .as_ref()
                                .map_or_else(|| requested_by.to_owned(), |r| r.erasure.requested_by.clone()),
                            subject_signed: t.subject_signed || newest.is_some_and(|(_, s)| s.visitor_signed),
                            time_cursor: None,
                            receipt_ids: record.map(|r| r.erasure.receipt_ids).unwrap_or_default(),
                        }
                    }
                    // A new erasure: of a subject never erased, or of receipts posted since.
                    (earlier, newest) => {
                        let newest_signed = newest.is_some_and(|(_, s)| s.visitor_signed);
                        let progress = Progress {
                            erasure_id: ulid_from_parts(u64::try_from(self.now_ms).unwrap_or_default(), random),
                            started_ms: self.now_ms,
                            requested_by: requested_by.to_owned(),
                            // The newest is signed if any is: no unsigned receipt may follow a signed one.
                            subject_signed: newest_signed || earlier.is_some_and(|t| t.subject_signed),
                            time_cursor: None,
                            receipt_ids: Vec::new(),
                        };
                        let stone = SubjectTombstone {
                            erasure_id: progress.erasure_id.clone(),
                            erased_at_ms: progress.started_ms,
                            subject_signed: progress.subject_signed,
                        };
                        // First, before anything is deleted.
                        kv.put(&tomb_key, &to_json(&stone)?, None).await?;
                        progress
                    }
                }
            }
        };

        let sweep = self.collect(kv, site, subject, &progress).await?;
        for (id, target) in &sweep.batch {
            if !progress.receipt_ids.contains(id) {
                progress.receipt_ids.push(id.clone());
            }
            progress.subject_signed |= target.signed;
        }
        progress.time_cursor = sweep.resume;
        // Written ahead of the deletes, so it names every receipt that goes: the record when this
        // pass reached the end of both indexes, else the progress for the next request. (Each key
        // is written at most once per request: KV takes one write per second per key.)
        let record = if sweep.complete {
            Some(self.write_record(kv, site, subject, &progress).await?)
        } else {
            kv.put(&progress_key, &to_json(&progress)?, None).await?;
            None
        };
        let records: Vec<String> = sweep.batch.keys().map(|id| keys::receipt(site, id)).collect();
        let entries: Vec<String> = sweep
            .batch
            .iter()
            .flat_map(|(id, t)| {
                [keys::time_index(site, t.server_ms, id), keys::subject_index(site, subject, t.server_ms, id)]
            })
            .collect();
        // Records first: an index entry is what finds a record, so it goes only after its record.
        for group in [records, entries] {
            for chunk in group.chunks(DELETE_CONCURRENCY) {
                try_join_all(chunk.iter().map(|key| kv.delete(key))).await?;
            }
        }
        match record {
            Some(record) => {
                if had_progress {
                    kv.delete(&progress_key).await?;
                }
                Ok(ErasureOutcome::Done(record))
            }
            None => Ok(ErasureOutcome::Continuing(ErasureStatus {
                done: false,
                erasure_id: progress.erasure_id,
                erased: progress.receipt_ids.len(),
            })),
        }
    }

    /// Finds the next batch of the subject's receipts (up to what the budget can delete), with
    /// the time-index cursor the next request resumes from.
    async fn collect(
        &self,
        kv: &OpBudget<'_, K>,
        site: &str,
        subject: &str,
        progress: &Progress,
    ) -> Result<Sweep, ApiError> {
        let mut batch: BTreeMap<String, Target> = BTreeMap::new();
        let started = progress.started_ms;
        // The subject index, always from its start: what was erased is gone from it, so what is
        // left (a batch whose deletes failed included) comes first.
        let prefix = keys::subject_index_prefix(site, subject);
        let mut cursor: Option<String> = None;
        let mut subject_swept = false;
        while room(kv.left(), batch.len()) > 0 {
            let limit = room(kv.left(), batch.len()).min(MAX_PAGE_LIMIT);
            let page = kv.list(&prefix, limit, cursor.as_deref()).await?;
            for key in &page.keys {
                if let Some((ms, id)) = time_and_id(&key.name).filter(|(ms, _)| *ms <= started) {
                    let signed = summary_of(key).is_some_and(|s| s.visitor_signed);
                    batch.insert(id.to_owned(), Target { server_ms: ms, signed });
                }
            }
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => {
                    subject_swept = true;
                    break;
                }
            }
        }
        // Then the site's time index, for receipts whose subject-index entry was never written.
        // It resumes from the start of the first page that gave this batch anything, so a batch
        // whose deletes fail is found again.
        let mut resume = progress.time_cursor.clone();
        let mut time_swept = false;
        if subject_swept {
            let prefix = keys::time_index_prefix(site);
            let mut cursor = progress.time_cursor.clone();
            let mut found_any = false;
            while room(kv.left(), batch.len()) > 0 {
                let limit = room(kv.left(), batch.len()).min(MAX_PAGE_LIMIT);
                let page = kv.list(&prefix, limit, cursor.as_deref()).await?;
                let before = batch.len();
                for key in &page.keys {
                    let Some(summary) = summary_of(key).filter(|s| s.subject == subject) else { continue };
                    if let Some((ms, id)) = time_and_id(&key.name).filter(|(ms, _)| *ms <= started) {
                        batch.insert(id.to_owned(), Target { server_ms: ms, signed: summary.visitor_signed });
                    }
                }
                if batch.len() > before && !found_any {
                    found_any = true;
                    resume.clone_from(&cursor);
                }
                match page.cursor {
                    Some(c) => {
                        if !found_any {
                            resume = Some(c.clone());
                        }
                        cursor = Some(c);
                    }
                    None => {
                        time_swept = true;
                        break;
                    }
                }
            }
        }
        Ok(Sweep { batch, resume, complete: subject_swept && time_swept })
    }

    /// Writes the one signed erasure record under a key fixed by the tombstone (a retry rewrites
    /// the same record), and raises the tombstone's `subject_signed` if a signed receipt was
    /// found late. A record already stored as it would be written is left alone.
    async fn write_record(
        &self,
        kv: &OpBudget<'_, K>,
        site: &str,
        subject: &str,
        progress: &Progress,
    ) -> Result<SignedErasure, ApiError> {
        let record_key = keys::erasure(site, progress.started_ms, &progress.erasure_id);
        let stored: Option<SignedErasure> = get_json(kv, &record_key).await?;
        // A record written by an earlier attempt whose last deletes failed already names receipts
        // that are gone now: they stay named.
        let mut receipt_ids: BTreeSet<String> = progress.receipt_ids.iter().cloned().collect();
        receipt_ids.extend(stored.iter().flat_map(|s| s.erasure.receipt_ids.iter().cloned()));
        let erasure = Erasure {
            id: progress.erasure_id.clone(),
            site: site.to_owned(),
            subject_sha256: sha256_hex(subject.as_bytes()),
            requested_by: progress.requested_by.clone(),
            time: format_millis(progress.started_ms),
            receipt_ids: receipt_ids.into_iter().collect(),
        };
        if let Some(stored) = stored.filter(|s| s.erasure == erasure) {
            return Ok(stored);
        }
        let header = JwsHeader {
            alg: JWS_ALG.into(),
            kid: Some(self.keys.current().kid().into()),
            typ: Some(ERASURE_JWS_TYP.into()),
        };
        let jws = self.keys.current().sign_compact(&header, to_canonical_string(&erasure)?.as_bytes());
        let signed = SignedErasure { erasure, jws };
        kv.put(&record_key, &to_json(&signed)?, None).await?;
        if progress.subject_signed {
            let stone = SubjectTombstone {
                erasure_id: progress.erasure_id.clone(),
                erased_at_ms: progress.started_ms,
                subject_signed: true,
            };
            let current: Option<SubjectTombstone> = get_json(kv, &tombstone::key(site, subject)).await?;
            if current.as_ref() != Some(&stone) {
                kv.put(&tombstone::key(site, subject), &to_json(&stone)?, None).await?;
            }
        }
        Ok(signed)
    }
}

impl<K: Kv> Service<'_, K> {
    /// A page of a site's erasure records, newest first: one list of at most
    /// [`ERASURES_PER_PAGE`] keys and a get per record, then `cursor` for the next page.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn erasures(&self, site: &str, cursor: Option<&str>) -> Result<ErasurePage, ApiError> {
        let page = self.kv.list(&keys::erasure_prefix(site), ERASURES_PER_PAGE, cursor).await?;
        let mut erasures = Vec::new();
        for key in page.keys {
            if let Some(record) = get_json(self.kv, &key.name).await? {
                erasures.push(record);
            }
        }
        Ok(ErasurePage { erasures, cursor: page.cursor })
    }
}

/// Parses the query of an erasure listing: `cursor`, the only parameter it takes.
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_erasures_query<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Option<String>, ApiError> {
    let mut cursor = None;
    for (name, value) in pairs {
        match name {
            "cursor" if !value.is_empty() && value.len() <= MAX_CURSOR_CHARS => cursor = Some(value.to_owned()),
            "cursor" => return Err(ApiError::new(ErrorCode::InvalidQuery, "cursor: malformed")),
            _ => return Err(ApiError::new(ErrorCode::InvalidQuery, format!("{name}: unknown parameter"))),
        }
    }
    Ok(cursor)
}
