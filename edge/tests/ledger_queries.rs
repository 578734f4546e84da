//! Operator reads from a site's ledger tables (the Durable Object's SQLite, here rusqlite):
//! every filter combination pages exactly like a brute-force filter of what was appended,
//! keyset cursors never skip or repeat a row (equal server times included), statistics are
//! exact at 100k receipts, exports walk the log by index with no KV read, and an erasure's row
//! deletes and counter decrements show in every read at once.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::ledger::{append, append_writes, erase, ledger_db, site_log};
use common::{claims, ring, NOW, SITE};
use kelisim_core::api::receipts::ReceiptSummary;
use kelisim_core::api::stats::{CategoryCounts, DayView};
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, Receipt, SignedReceipt, SubmitReceipt};
use kelisim_core::time::format_millis;
use kelisim_edge::kv::{MemoryKv, OpBudget, MAX_KV_OPS_PER_REQUEST};
use kelisim_edge::ledger::rows;
use kelisim_edge::ledger::sql::LedgerDb;
use kelisim_edge::service::{csv_row, ReceiptQuery, CSV_HEADER};

const DAY_MS: i64 = 86_400_000;
const CATEGORIES: [&str; 4] = ["necessary", "analytics", "marketing", "cross_border"];
const SUBJECTS: [&str; 4] = [
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "-cccccccccccccccccccccccccccccccccccccccccc",
    "ddddddddddddddddddddddddddddddddddddddddddd",
];

/// A small deterministic generator (xorshift64*): the same receipts on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One random receipt's claims: a subject of [`SUBJECTS`], a random subset of the categories
/// (`necessary` always) with random decisions.
fn random_submit(rng: &mut Rng, n: u64, minted_ms: i64) -> SubmitReceipt {
    let mut submit = claims(&"a".repeat(64), None, 1, minted_ms, Action::Custom, None);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&n.to_be_bytes());
    submit.claims.id = ulid_from_parts(minted_ms as u64, random);
    submit.claims.subject = SUBJECTS[rng.below(SUBJECTS.len() as u64) as usize].to_owned();
    let mut decisions = std::collections::BTreeMap::new();
    for c in CATEGORIES {
        if c == "necessary" || rng.below(3) > 0 {
            let d = if c == "necessary" || rng.below(2) == 0 { Decision::Granted } else { Decision::Denied };
            decisions.insert(c.to_owned(), d);
        }
    }
    submit.claims.decisions = decisions;
    submit
}

/// What was appended, as a brute-force filter sees it.
#[derive(Clone)]
struct Appended {
    idx: i64,
    server_ms: i64,
    signed: SignedReceipt,
}

/// `count` random receipts over three days, appended in an order unrelated to their server
/// times (so index order and time order disagree) and with many equal server times.
fn random_site(count: u64) -> (MemoryKv, common::ledger::SqliteDb, kelisim_edge::keyring::Keyring, Vec<Appended>) {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut appended = Vec::new();
    for n in 0..count {
        let server_ms = NOW + rng.below(3) as i64 * DAY_MS + rng.below(25) as i64 * 1_000;
        let submit = random_submit(&mut rng, n, server_ms - 500);
        let signed = append(&kv, &db, &keys, submit, server_ms);
        appended.push(Appended { idx: n as i64, server_ms, signed });
    }
    (kv, db, keys, appended)
}

fn decision_of(a: &Appended, category: &str) -> Option<Decision> {
    a.signed.receipt.claims.decisions.get(category).copied()
}

fn brute_force(all: &[Appended], q: &ReceiptQuery) -> Vec<ReceiptSummary> {
    let mut hits: Vec<&Appended> = all
        .iter()
        .filter(|a| q.from_ms.is_none_or(|f| a.server_ms >= f))
        .filter(|a| q.to_ms.is_none_or(|t| a.server_ms < t))
        .filter(|a| q.subject.as_ref().is_none_or(|s| &a.signed.receipt.claims.subject == s))
        .filter(|a| match (&q.category, q.decision) {
            (None, _) => true,
            (Some(c), None) => decision_of(a, c).is_some(),
            (Some(c), Some(d)) => decision_of(a, c) == Some(d),
        })
        .collect();
    hits.sort_by_key(|a| std::cmp::Reverse((a.server_ms, a.idx)));
    hits.into_iter().map(|a| ReceiptSummary::of(&a.signed)).collect()
}

/// Every page of a listing, followed through its cursors.
fn all_pages<K: kelisim_edge::kv::Kv>(
    log: &kelisim_edge::ledger::SiteLog<'_, K, common::ledger::SqliteDb>,
    q: &ReceiptQuery,
) -> Vec<ReceiptSummary> {
    let mut q = q.clone();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let page = log.list_receipts(&q).unwrap();
        assert!(page.receipts.len() <= q.limit, "a page holds at most `limit` rows");
        out.extend(page.receipts);
        match page.cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
    panic!("the listing did not end");
}

#[test]
fn every_filter_combination_pages_exactly_like_a_brute_force_filter() {
    let (kv, db, keys, all) = random_site(300);
    let log = site_log(SITE, &db, &kv, &keys, NOW + 4 * DAY_MS);
    let froms = [None, Some(NOW + 12_000), Some(NOW + DAY_MS)];
    let tos = [None, Some(NOW + DAY_MS + 7_000), Some(NOW + 2 * DAY_MS)];
    let subjects = [None, Some(SUBJECTS[2].to_owned())];
    let filters = [
        (None, None),
        (Some("analytics"), None),
        (Some("marketing"), Some(Decision::Granted)),
        (Some("cross_border"), Some(Decision::Denied)),
        (Some("necessary"), Some(Decision::Denied)),
        (Some("no_such_category"), None),
    ];
    let mut combinations = 0;
    for from_ms in froms {
        for to_ms in tos {
            for subject in &subjects {
                for (category, decision) in filters {
                    for limit in [7, 1_000] {
                        let q = ReceiptQuery {
                            from_ms,
                            to_ms,
                            subject: subject.clone(),
                            category: category.map(str::to_owned),
                            decision,
                            limit,
                            cursor: None,
                        };
                        assert_eq!(all_pages(&log, &q), brute_force(&all, &q), "{q:?}");
                        combinations += 1;
                    }
                }
            }
        }
    }
    assert_eq!(combinations, 3 * 3 * 2 * 6 * 2);
    assert!(kv.reads.borrow().is_empty(), "listings read no KV: {:?}", kv.reads.borrow());
}

#[test]
fn keyset_cursors_never_skip_or_repeat_a_row_under_equal_server_times() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let mut rng = Rng(7);
    // 40 receipts in one millisecond, then 20 in an earlier one appended after them.
    let mut expected = Vec::new();
    for n in 0..60u64 {
        let server_ms = if n < 40 { NOW } else { NOW - 1 };
        let signed = append(&kv, &db, &keys, random_submit(&mut rng, n, NOW - 10), server_ms);
        expected.push((server_ms, n, signed.receipt.claims.id.clone()));
    }
    expected.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let log = site_log(SITE, &db, &kv, &keys, NOW + 1_000);
    for limit in [1, 3, 40, 59, 60, 61] {
        let q = ReceiptQuery { limit, ..ReceiptQuery::default() };
        let ids: Vec<String> = all_pages(&log, &q).into_iter().map(|s| s.id).collect();
        assert_eq!(ids, expected.iter().map(|e| e.2.clone()).collect::<Vec<_>>(), "limit {limit}");
    }
    // A page that ends exactly at the last row names no cursor (no empty page after it).
    let page = log.list_receipts(&ReceiptQuery { limit: 60, ..ReceiptQuery::default() }).unwrap();
    assert_eq!((page.receipts.len(), page.cursor), (60, None));
    // A cursor taken before more receipts arrive still resumes after its row: newer ones are not
    // in the rest of this walk, older ones are.
    let first = log.list_receipts(&ReceiptQuery { limit: 10, ..ReceiptQuery::default() }).unwrap();
    append(&kv, &db, &keys, random_submit(&mut rng, 100, NOW), NOW + 5);
    let late_old = append(&kv, &db, &keys, random_submit(&mut rng, 101, NOW - 20), NOW - 2);
    let rest = all_pages(&log, &ReceiptQuery { limit: 10, cursor: first.cursor, ..ReceiptQuery::default() });
    assert_eq!(rest.len(), 50 + 1);
    assert_eq!(rest.last().unwrap().id, late_old.receipt.claims.id);
}

#[test]
fn junk_cursors_are_refused_with_invalid_query() {
    let (kv, db, keys, _) = random_site(5);
    let log = site_log(SITE, &db, &kv, &keys, NOW);
    let page = log.list_receipts(&ReceiptQuery { limit: 2, ..ReceiptQuery::default() }).unwrap();
    let good = page.cursor.unwrap();
    for junk in [
        "abc",
        "1",
        "1_",
        "_1",
        "01_2",
        "1_02",
        "-1_2",
        "1_-2",
        "1_2_3",
        "+1_2",
        " 1_2",
        "1_2 ",
        "99999999999999999999_1",
        "9007199254740992_1",
        "1_9007199254740992",
        "１_2",
    ] {
        let q = ReceiptQuery { limit: 2, cursor: Some(junk.to_owned()), ..ReceiptQuery::default() };
        let err = log.list_receipts(&q).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (400, "invalid_query"), "{junk:?}");
        let err = log.export_chunk(&q, kelisim_edge::service::ExportFormat::Ndjson).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (400, "invalid_query"), "export {junk:?}");
    }
    // A listing's cursor is not an export's (they walk different orders).
    let q = ReceiptQuery { limit: 2, cursor: Some(good.clone()), ..ReceiptQuery::default() };
    assert!(log.list_receipts(&q).is_ok());
    assert_eq!(log.export_chunk(&q, kelisim_edge::service::ExportFormat::Ndjson).unwrap_err().status, 400);
}

/// The statistics of `rows` (day, decisions) over `[from, to]`, as the old scan computed them.
fn brute_stats(rows: &[(String, BTreeMap<String, Decision>)], from: &str, to: &str) -> Vec<DayView> {
    let mut days: BTreeMap<String, (u64, BTreeMap<String, CategoryCounts>)> = BTreeMap::new();
    for (day, decisions) in rows.iter().filter(|(d, _)| d.as_str() >= from && d.as_str() <= to) {
        let entry = days.entry(day.clone()).or_default();
        entry.0 += 1;
        for (c, d) in decisions {
            let counts = entry.1.entry(c.clone()).or_default();
            match d {
                Decision::Granted => counts.granted += 1,
                Decision::Denied => counts.denied += 1,
            }
        }
    }
    let categories: BTreeSet<String> = days.values().flat_map(|d| d.1.keys().cloned()).collect();
    days.into_iter()
        .map(|(day, (total, mut cats))| {
            for c in &categories {
                let counts = cats.entry(c.clone()).or_default();
                counts.no_choice = total - counts.granted - counts.denied;
            }
            DayView { day, total, categories: cats }
        })
        .collect()
}

#[test]
fn statistics_are_exact_at_100k_receipts() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let mut rng = Rng(42);
    let template = Receipt::accept(random_submit(&mut rng, 0, NOW), NOW).unwrap().countersign(keys.current()).unwrap();
    let mut rows_seen = Vec::new();
    let mut writes = Vec::new();
    for n in 0..100_000u64 {
        let server_ms = NOW + rng.below(10) as i64 * DAY_MS + rng.below(DAY_MS as u64) as i64;
        let mut signed = template.clone();
        signed.receipt.claims = random_submit(&mut rng, n, server_ms).claims;
        signed.receipt.server_time = format_millis(server_ms);
        rows_seen.push((format_millis(server_ms)[..10].to_owned(), signed.receipt.claims.decisions.clone()));
        writes.extend(rows::insert(&signed, n as i64, server_ms).unwrap());
        if writes.len() > 20_000 {
            db.commit(std::mem::take(&mut writes)).unwrap();
        }
    }
    db.commit(writes).unwrap();
    let log = site_log(SITE, &db, &kv, &keys, NOW + 20 * DAY_MS);
    let day = |k: i64| format_millis(NOW + k * DAY_MS)[..10].to_owned();
    for (from, to) in [(day(-1), day(12)), (day(3), day(6)), (day(9), day(9)), (day(11), day(15))] {
        let view = log.stats(&from, &to).unwrap();
        assert_eq!(view.days, brute_stats(&rows_seen, &from, &to), "{from}..{to}");
        assert!(!view.truncated, "never truncated");
        assert_eq!((view.from.as_str(), view.to.as_str()), (from.as_str(), to.as_str()));
    }
    let all = log.stats(&day(0), &day(10)).unwrap();
    assert_eq!(all.days.iter().map(|d| d.total).sum::<u64>(), 100_000);
    assert!(kv.reads.borrow().is_empty());
}

#[test]
fn statistics_ranges_are_checked_and_default_to_the_last_days_by_the_edge_clock() {
    let (kv, db, keys, _) = random_site(3);
    let log = site_log(SITE, &db, &kv, &keys, NOW);
    let view = log.stats_range(None, None).unwrap();
    assert_eq!(view.to, format_millis(NOW)[..10]);
    assert_eq!(view.from, format_millis(NOW - kelisim_edge::service::DEFAULT_STATS_DAYS * DAY_MS)[..10]);
    for (from, to) in [("2026-11-30", "2026-11-01"), ("2025-01-01", "2026-11-01"), ("yesterday", "2026-11-01")] {
        let err = log.stats(from, to).unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (400, "invalid_range"), "{from}..{to}");
    }
}

/// Follows an export through its cursors; returns the chunks' bodies and the request count.
fn export_all(log_pairs: impl Fn(Option<&str>) -> kelisim_edge::service::ExportChunk) -> Vec<String> {
    let mut cursor: Option<String> = None;
    let mut bodies = Vec::new();
    for _ in 0..1_000 {
        let chunk = log_pairs(cursor.as_deref());
        bodies.push(chunk.body.clone());
        match chunk.next_cursor {
            Some(c) => {
                assert!(chunk.body.ends_with(&kelisim_edge::service::next_cursor_line(&c)));
                cursor = Some(c);
            }
            None => return bodies,
        }
    }
    panic!("the export did not end");
}

#[test]
fn export_pages_concatenate_to_every_present_receipt_in_index_order_with_no_kv_operation() {
    let (kv, db, keys, all) = random_site(60);
    for idx in [0, 13, 14, 59] {
        erase(&db, idx, 60);
    }
    let present: Vec<&Appended> = all.iter().filter(|a| ![0, 13, 14, 59].contains(&a.idx)).collect();
    let budget = OpBudget::new(&kv, MAX_KV_OPS_PER_REQUEST);
    let log = site_log(SITE, &db, &budget, &keys, NOW + 4 * DAY_MS);
    let bodies = export_all(|cursor| {
        let mut pairs = vec![("format", "ndjson"), ("limit", "7")];
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        log.export(pairs).unwrap()
    });
    assert_eq!(bodies.len(), 56usize.div_ceil(7));
    let records: Vec<SignedReceipt> = bodies
        .iter()
        .flat_map(|b| b.lines().filter(|l| !l.starts_with("kelisim-next-cursor: ")))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), present.len());
    for (record, appended) in records.iter().zip(&present) {
        assert_eq!(record, &appended.signed, "the receipt at index {}", appended.idx);
        assert!(record.verify(&keys.jwks()).is_valid());
    }
    // CSV: the header once, then one row per receipt, the same order.
    let csv = export_all(|cursor| {
        let mut pairs = vec![("format", "csv"), ("limit", "9")];
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        log.export(pairs).unwrap()
    })
    .concat();
    let expected: String = present.iter().map(|a| csv_row(&a.signed)).collect();
    let without_cursors: String =
        csv.lines().filter(|l| !l.starts_with("kelisim-next-cursor: ")).map(|l| format!("{l}\n")).collect();
    assert_eq!(without_cursors, format!("{CSV_HEADER}{expected}"));
    // Filters apply to an export as to a listing (here: one subject, one day).
    let q = ReceiptQuery {
        subject: Some(SUBJECTS[1].to_owned()),
        from_ms: Some(NOW + DAY_MS),
        to_ms: Some(NOW + 2 * DAY_MS),
        limit: 900,
        ..ReceiptQuery::default()
    };
    let (body, next) = log.export_chunk(&q, kelisim_edge::service::ExportFormat::Ndjson).unwrap();
    let mut want: Vec<&&Appended> = present
        .iter()
        .filter(|a| a.signed.receipt.claims.subject == SUBJECTS[1] && a.server_ms >= NOW + DAY_MS)
        .filter(|a| a.server_ms < NOW + 2 * DAY_MS)
        .collect();
    want.sort_by_key(|a| a.idx);
    let got: Vec<String> =
        body.lines().map(|l| serde_json::from_str::<SignedReceipt>(l).unwrap().receipt.claims.id).collect();
    assert_eq!(got, want.iter().map(|a| a.signed.receipt.claims.id.clone()).collect::<Vec<_>>());
    assert_eq!(next, None);
    assert_eq!(budget.used(), 0, "an export makes no KV operation");
    assert!(kv.reads.borrow().is_empty());
}

#[test]
fn an_export_chunk_is_at_most_900_receipts() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let mut rng = Rng(3);
    let template = Receipt::accept(random_submit(&mut rng, 0, NOW), NOW).unwrap();
    let mut writes = Vec::new();
    for n in 0..901u64 {
        let mut receipt = template.clone();
        receipt.claims.id = ulid_from_parts(NOW as u64, [n as u8, (n >> 8) as u8, 0, 0, 0, 0, 0, 0, 0, 0]);
        receipt.server_time = format_millis(NOW + n as i64);
        let signed = receipt.countersign(keys.current()).unwrap();
        writes.extend(append_writes(&signed, n as i64));
    }
    db.commit(writes).unwrap();
    let log = site_log(SITE, &db, &kv, &keys, NOW + DAY_MS);
    let first = log.export([]).unwrap();
    assert_eq!(first.body.lines().count(), 900 + 1, "900 records and the cursor line");
    let last = log.export([("cursor", first.next_cursor.unwrap().as_str())]).unwrap();
    assert_eq!((last.body.lines().count(), last.next_cursor), (1, None));
}

#[test]
fn an_erasure_takes_its_rows_out_of_every_read_and_its_counts_out_of_the_statistics() {
    let (kv, db, keys, all) = random_site(80);
    let gone = SUBJECTS[1];
    let erased: Vec<&Appended> = all.iter().filter(|a| a.signed.receipt.claims.subject == gone).collect();
    let kept: Vec<Appended> = all.iter().filter(|a| a.signed.receipt.claims.subject != gone).cloned().collect();
    assert!(!erased.is_empty() && !kept.is_empty());
    for (n, a) in erased.iter().enumerate() {
        erase(&db, a.idx, 80 + n as i64);
    }
    let log = site_log(SITE, &db, &kv, &keys, NOW + 4 * DAY_MS);
    let q = ReceiptQuery { limit: 11, ..ReceiptQuery::default() };
    assert_eq!(all_pages(&log, &q), brute_force(&kept, &q));
    let view = log.subject_view(gone).unwrap();
    assert!(view.receipts.is_empty() && view.state.is_none() && !view.fork);
    let rows: Vec<_> = kept
        .iter()
        .map(|a| (a.signed.receipt.server_time[..10].to_owned(), a.signed.receipt.claims.decisions.clone()))
        .collect();
    let (from, to) = (format_millis(NOW)[..10].to_owned(), format_millis(NOW + 3 * DAY_MS)[..10].to_owned());
    assert_eq!(log.stats(&from, &to).unwrap().days, brute_stats(&rows, &from, &to));
    let (body, _) = log
        .export_chunk(&ReceiptQuery { limit: 900, ..ReceiptQuery::default() }, kelisim_edge::service::ExportFormat::Csv)
        .unwrap();
    assert_eq!(body.lines().count(), kept.len());
    assert!(!body.contains(gone));
    // Erasing every receipt of a day drops the day (no row of zeros).
    for a in &kept {
        erase(&db, a.idx, 200 + a.idx);
    }
    assert_eq!(log.stats(&from, &to).unwrap().days, Vec::new());
}

#[test]
fn a_subject_view_lists_its_history_newest_first_with_the_decisions_of_its_current_receipt() {
    let (kv, db, keys, all) = random_site(120);
    let log = site_log(SITE, &db, &kv, &keys, NOW + 4 * DAY_MS);
    let subject = SUBJECTS[3];
    let view = log.subject_view(subject).unwrap();
    let q = ReceiptQuery { subject: Some(subject.to_owned()), limit: 1_000, ..ReceiptQuery::default() };
    assert_eq!(view.receipts, brute_force(&all, &q));
    // No receipt names another (prev is null): every one is a tip, the newest arrival is current.
    let state = view.state.unwrap();
    assert_eq!(state.receipt_id, view.receipts[0].id);
    assert_eq!(state.decided_by, kelisim_edge::service::DecidedBy::Arrival);
    let current = all.iter().find(|a| a.signed.receipt.claims.id == state.receipt_id).unwrap();
    assert_eq!(state.decisions, current.signed.receipt.claims.decisions);
    assert!(kv.reads.borrow().is_empty());
}

#[test]
fn a_chain_link_is_found_only_for_the_same_subject() {
    let (kv, db, keys) = (MemoryKv::default(), ledger_db(), ring());
    let mut rng = Rng(5);
    let mut first = random_submit(&mut rng, 1, NOW);
    first.claims.subject = SUBJECTS[0].into();
    let first = append(&kv, &db, &keys, first, NOW);
    let log = site_log(SITE, &db, &kv, &keys, NOW + 1);
    assert!(log.prev_found(SUBJECTS[0], &first.receipt.hash).unwrap());
    assert!(!log.prev_found(SUBJECTS[1], &first.receipt.hash).unwrap(), "another subject's receipt");
    assert!(!log.prev_found(SUBJECTS[0], &"0".repeat(64)).unwrap());
    erase(&db, 0, 1);
    assert!(!log.prev_found(SUBJECTS[0], &first.receipt.hash).unwrap(), "an erased receipt is not held");
}

#[test]
fn the_objects_read_routes_answer_each_path_and_refuse_bad_queries() {
    let (kv, db, keys, _) = random_site(20);
    let log = site_log(SITE, &db, &kv, &keys, NOW + 4 * DAY_MS);
    let pairs = |q: &[(&str, &str)]| q.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
    let ok = log.read("/receipts", &pairs(&[("limit", "5")])).unwrap().unwrap();
    assert_eq!(ok.content_type, "application/json; charset=utf-8");
    let page: kelisim_core::api::receipts::ReceiptPage = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(page.receipts.len(), 5);
    let subject = format!("/subjects/{}", SUBJECTS[2]);
    let view: kelisim_core::api::subjects::SubjectView =
        serde_json::from_str(&log.read(&subject, &[]).unwrap().unwrap().body).unwrap();
    assert_eq!(view.subject, SUBJECTS[2]);
    let stats = log.read("/stats", &pairs(&[("from", "2026-11-01")])).unwrap().unwrap();
    assert!(stats.body.contains("\"truncated\":false"));
    let export = log.read("/export", &pairs(&[("format", "csv"), ("limit", "3")])).unwrap().unwrap();
    assert_eq!(export.content_type, "text/csv; charset=utf-8");
    assert!(export.next_cursor.is_some() && export.filename == Some("receipts.csv"));
    let link =
        log.read("/chain-link", &pairs(&[("subject", SUBJECTS[0]), ("prev", &"0".repeat(64))])).unwrap().unwrap();
    assert_eq!(link.body, r#"{"prev_found":false}"#);
    for (path, q) in [
        ("/receipts", pairs(&[("cursor", "junk")])),
        ("/receipts", pairs(&[("colour", "red")])),
        ("/export", pairs(&[("cursor", "1_2")])),
        ("/export", pairs(&[("limit", "901")])),
        ("/chain-link", pairs(&[("subject", "short"), ("prev", "x")])),
        ("/chain-link", pairs(&[("subject", SUBJECTS[0])])),
    ] {
        let err = log.read(path, &q).unwrap().unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (400, "invalid_query"), "{path} {q:?}");
    }
    assert_eq!(log.read("/stats", &pairs(&[("from", "x")])).unwrap().unwrap_err().code.as_str(), "invalid_range");
    assert_eq!(log.read("/subjects/short", &[]).unwrap().unwrap_err().code.as_str(), "invalid_id");
    assert!(log.read("/log/checkpoint", &[]).is_none(), "not an operator read: another arm's");
}
