//! CPU per receipt, natively: the core pieces (canonical JSON, the visitor's signature, the edge's
//! countersignature) and the whole receipt path — the worker's `Service::check_receipt`, then the
//! site ledger object's `SiteLog::append` (dedupe, index, countersignature, one SQL commit, one KV
//! put) over the in-memory KV and an in-memory SQLite (edge/tests/common/submit.rs), plus the
//! operator reads of the site's ledger (page, filtered page, subject, statistics, export chunk)
//! at 1k / 10k / 100k receipts over rusqlite. The Service and ledger code is the code the worker
//! and its Durable Object run; only the stores behind the seams differ.
//!
//! Before the timings, the KV operations each path makes are counted through a counting `Kv`
//! and written as JSON to `$KELISIM_BENCH_KVOPS` (when set).
#![allow(clippy::unwrap_used, clippy::panic)]

/// The receipt path as the edge runs it (check in the worker, append in the object), shared with
/// the edge's native tests.
#[path = "../../../edge/tests/common/submit.rs"]
mod submit;

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion};
use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, Receipt, ReceiptClaims, SubmitReceipt};
use kelisim_core::sign::{EdgeSigningKey, JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::error::StoreError;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::{Kv, ListPage, MemoryKv};
use kelisim_edge::ledger::rows;
use kelisim_edge::ledger::schema::migrate;
use kelisim_edge::ledger::sql::{LedgerDb, SqlValue, Write};
use kelisim_edge::ledger::sqlite::SqliteLedgerDb;
use kelisim_edge::ledger::SiteLog;
use kelisim_edge::service::{ExportFormat, ReceiptQuery, Service};
use kelisim_ledger::leaf::{leaf_hash, ReceiptEntry};
use kelisim_ledger::origin::LogOrigin;
use pollster::block_on;
use serde_json::Value;
use submit::SubmitExt;

const NOW: i64 = 1_795_398_005_123;
const SITE: &str = "crm-demo";
const EDGE_SEED: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const POLICY: &str = include_str!("../../../www/demo/policies/crm-demo.json");
const CATEGORIES: [&str; 5] = ["necessary", "analytics", "marketing", "cross_border", "ai_processing"];

/// A [`Kv`] that counts the calls it forwards.
#[derive(Default)]
struct CountingKv {
    inner: MemoryKv,
    gets: Cell<u32>,
    puts: Cell<u32>,
    lists: Cell<u32>,
    deletes: Cell<u32>,
}

impl CountingKv {
    fn reset(&self) {
        for c in [&self.gets, &self.puts, &self.lists, &self.deletes] {
            c.set(0);
        }
    }
    fn counts(&self) -> Value {
        serde_json::json!({
            "get": self.gets.get(), "put": self.puts.get(), "list": self.lists.get(), "delete": self.deletes.get(),
        })
    }
}

fn bump(c: &Cell<u32>) {
    c.set(c.get() + 1);
}

impl Kv for CountingKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        bump(&self.gets);
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: &str, metadata: Option<&Value>) -> Result<(), StoreError> {
        bump(&self.puts);
        self.inner.put(key, value, metadata).await
    }
    async fn list(&self, prefix: &str, limit: usize, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        bump(&self.lists);
        self.inner.list(prefix, limit, cursor).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        bump(&self.deletes);
        self.inner.delete(key).await
    }
}

fn ring() -> Keyring {
    Keyring::parse(&format!("bench:{EDGE_SEED}")).unwrap()
}

/// Configures the site and publishes the crm-demo policy; returns its hash.
fn setup<K: Kv>(kv: &K, keys: &Keyring) -> String {
    let svc = Service { kv, keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.put_site(SITE, br#"{"origins":["http://127.0.0.1:8801"]}"#)).unwrap();
    block_on(svc.publish_policy(SITE, POLICY.as_bytes())).unwrap().sha256
}

/// A valid signed submission with a unique id and visitor key (`n` seeds both).
fn submission(sha256: &str, n: u64) -> SubmitReceipt {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    seed[31] = 0x5a;
    let visitor = EdgeSigningKey::from_seed("v", seed);
    let jwk = visitor.public_jwk();
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&n.to_le_bytes());
    let claims = ReceiptClaims {
        schema: 1,
        id: ulid_from_parts(NOW as u64, random),
        site: SITE.into(),
        subject: jwk.thumbprint(),
        subject_key: Some(jwk.clone()),
        policy: PolicyRef { version: 1, sha256: sha256.into(), language: "ru".into() },
        decisions: CATEGORIES
            .iter()
            .map(|c| (c.to_string(), if *c == "necessary" { Decision::Granted } else { Decision::Denied }))
            .collect(),
        action: Action::RejectAll,
        gpc: false,
        client_time: format_millis(NOW - 1000),
        prev: None,
        widget_version: "0.1.0".into(),
    };
    let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(jwk.thumbprint()), typ: None };
    let sig = visitor.sign_detached(&header, to_canonical_string(&claims).unwrap().as_bytes());
    SubmitReceipt { claims, visitor_signature: Some(sig) }
}

fn body(s: &SubmitReceipt) -> Vec<u8> {
    serde_json::to_vec(s).unwrap()
}

/// A site's ledger holding `n` receipts, as the object's append leaves it (leaf with the entry
/// bytes, query rows, day counters), without signing each one (that would dominate the setup): one
/// real countersigned receipt is copied under new ids, subjects and times, one a second back in
/// time, its decisions varied so the category filters and counters have work to do.
fn fill(keys: &Keyring, sha: &str, n: usize) -> SqliteLedgerDb {
    let db = SqliteLedgerDb::new();
    migrate(&db).unwrap();
    let template = Receipt::accept(submission(sha, 0), NOW).unwrap().countersign(keys.current()).unwrap();
    let mut writes = Vec::new();
    for i in 0..n {
        let ms = NOW - i as i64 * 1000;
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let mut signed = template.clone();
        let claims = &mut signed.receipt.claims;
        claims.id = ulid_from_parts(ms as u64, random);
        claims.subject = format!("s{:042}", i % 5_000);
        for (k, c) in CATEGORIES.iter().enumerate().skip(1) {
            let d = if (i >> k) & 1 == 1 { Decision::Granted } else { Decision::Denied };
            claims.decisions.insert((*c).to_owned(), d);
        }
        signed.receipt.server_time = format_millis(ms);
        let idx = i as i64;
        let entry = ReceiptEntry::new(idx as u64, &signed.receipt.claims.id, &signed.jws).unwrap().to_bytes();
        writes.push(Write::new(
            "INSERT INTO leaf (idx, kind, receipt_id, entry, leaf_hash, server_ms, kv_done) VALUES (?, 'receipt', ?, ?, ?, ?, 1)",
            vec![
                idx.into(),
                signed.receipt.claims.id.as_str().into(),
                SqlValue::Blob(entry.clone()),
                SqlValue::Blob(leaf_hash(&entry).0.to_vec()),
                ms.into(),
            ],
        ));
        writes.extend(rows::insert(&signed, idx, ms).unwrap());
        if writes.len() > 20_000 {
            db.commit(std::mem::take(&mut writes)).unwrap();
        }
    }
    db.commit(writes).unwrap();
    db
}

/// Counts the KV operations of each path once and writes them as JSON. A receipt POST is what
/// the route does: the site config (origin check), the worker's `check_receipt`, then the
/// object's `SiteLog::append`, all over the one counting KV.
fn count_kv_ops() {
    let Ok(path) = std::env::var("KELISIM_BENCH_KVOPS") else { return };
    let keys = ring();
    let kv = CountingKv::default();
    let sha = setup(&kv, &keys);
    // Steady state: the isolate has read the site config and the policy version once before.
    let cache = IsolateCache::default();
    let svc = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let post = |body: &[u8]| {
        block_on(async {
            svc.site(SITE).await?;
            svc.submit_receipt(SITE, body).await
        })
    };
    post(&body(&submission(&sha, 99))).unwrap();
    let sub = body(&submission(&sha, 1));
    let mut out = serde_json::Map::new();
    kv.reset();
    assert!(!post(&sub).unwrap().replayed);
    out.insert("submit_new".into(), kv.counts());
    kv.reset();
    assert!(post(&sub).unwrap().replayed);
    out.insert("submit_replay".into(), kv.counts());
    kv.reset();
    let mut wrong = submission(&sha, 2);
    wrong.claims.policy.sha256 = "0".repeat(64);
    assert!(post(&body(&wrong)).is_err());
    out.insert("submit_wrong_hash".into(), kv.counts());
    kv.reset();
    block_on(svc.policy(SITE, None)).unwrap();
    out.insert("policy_current".into(), kv.counts());
    kv.reset();
    block_on(svc.site(SITE)).unwrap();
    out.insert("site_config".into(), kv.counts());
    kv.reset();
    // An operator page is the site's ledger object's SQL (no KV call); counted over the same KV.
    let db = fill(&keys, &sha, 200);
    let log = site_log(&db, &kv, &keys);
    let page = log.list_receipts(&ReceiptQuery { limit: 100, ..ReceiptQuery::default() }).unwrap();
    out.insert("list_page_100".into(), kv.counts());
    out.insert("list_page_100_returned".into(), Value::from(page.receipts.len()));
    kv.reset();
    block_on(svc.token_record("kls_not-a-real-token")).unwrap();
    out.insert("token_lookup".into(), kv.counts());
    std::fs::write(path, serde_json::to_string_pretty(&Value::Object(out)).unwrap()).unwrap();
}

fn core_pieces(c: &mut Criterion) {
    let keys = ring();
    let sha = setup(&MemoryKv::default(), &keys);
    let sub = submission(&sha, 7);
    let mut g = c.benchmark_group("core");
    g.bench_function("ReceiptClaims::canonical", |b| b.iter(|| black_box(&sub.claims).canonical().unwrap()));
    g.bench_function("verify_visitor_signature", |b| {
        b.iter(|| black_box(&sub.claims).verify_visitor_signature(sub.visitor_signature.as_deref()).unwrap());
    });
    g.bench_function("Receipt::accept (hash)", |b| {
        b.iter_batched(|| sub.clone(), |s| Receipt::accept(s, NOW).unwrap(), BatchSize::SmallInput);
    });
    let accepted = Receipt::accept(sub.clone(), NOW).unwrap();
    g.bench_function("Receipt::countersign", |b| {
        b.iter_batched(|| accepted.clone(), |r| r.countersign(keys.current()).unwrap(), BatchSize::SmallInput);
    });
    let json = body(&sub);
    g.bench_function("parse SubmitReceipt JSON", |b| {
        b.iter(|| serde_json::from_slice::<SubmitReceipt>(black_box(&json)).unwrap());
    });
    g.finish();
}

fn service(c: &mut Criterion) {
    let keys = ring();
    let kv = MemoryKv::default();
    let sha = setup(&kv, &keys);
    let cache = IsolateCache::default();
    let svc = Service { kv: &kv, keys: &keys, cache: &cache, now_ms: NOW };
    let mut g = c.benchmark_group("service");
    let mut n = 1_000_000u64;
    g.bench_function("check_receipt + SiteLog::append (new, MemoryKv + SQLite)", |b| {
        b.iter_batched(
            || {
                n += 1;
                body(&submission(&sha, n))
            },
            |body| block_on(svc.submit_receipt(SITE, &body)).unwrap(),
            BatchSize::SmallInput,
        );
    });
    let replay = body(&submission(&sha, 3));
    block_on(svc.submit_receipt(SITE, &replay)).unwrap();
    g.bench_function("check_receipt + SiteLog::append (replay)", |b| {
        b.iter(|| block_on(svc.submit_receipt(SITE, black_box(&replay))).unwrap());
    });
    let mut wrong = submission(&sha, 4);
    wrong.claims.policy.sha256 = "0".repeat(64);
    let wrong = body(&wrong);
    g.bench_function("check_receipt (wrong policy hash, 422)", |b| {
        b.iter(|| block_on(svc.submit_receipt(SITE, black_box(&wrong))).unwrap_err());
    });
    g.bench_function("policy (read + parse the stored policy)", |b| {
        b.iter(|| block_on(svc.policy(SITE, None)).unwrap());
    });
    g.finish();
}

fn site_log<'a, K: Kv>(db: &'a SqliteLedgerDb, kv: &'a K, keys: &'a Keyring) -> SiteLog<'a, K, SqliteLedgerDb> {
    SiteLog { site: SITE, origin: LogOrigin::new("127.0.0.1", SITE).unwrap(), db, kv, keys, now_ms: NOW }
}

/// Operator reads of the site's ledger (rusqlite: the engine the object runs) at 1k / 10k / 100k
/// receipts: a page of 100, a filtered page, a subject's view, 30 days of statistics, one export
/// chunk of 900.
fn list_page(c: &mut Criterion) {
    let mut g = c.benchmark_group("list_receipts");
    let keys = ring();
    let sha = setup(&MemoryKv::default(), &keys);
    let kv = MemoryKv::default();
    for n in [1_000usize, 10_000, 100_000] {
        let db = fill(&keys, &sha, n);
        let log = site_log(&db, &kv, &keys);
        let q = ReceiptQuery { limit: 100, ..ReceiptQuery::default() };
        g.bench_with_input(BenchmarkId::new("page of 100", n), &n, |b, _| {
            b.iter(|| log.list_receipts(black_box(&q)).unwrap());
        });
        let filtered = ReceiptQuery {
            limit: 100,
            category: Some("marketing".into()),
            decision: Some(Decision::Granted),
            ..ReceiptQuery::default()
        };
        g.bench_with_input(BenchmarkId::new("page of 100, category and decision", n), &n, |b, _| {
            b.iter(|| log.list_receipts(black_box(&filtered)).unwrap());
        });
        let subject = format!("s{:042}", 7);
        g.bench_with_input(BenchmarkId::new("subject view", n), &n, |b, _| {
            b.iter(|| log.subject_view(black_box(&subject)).unwrap());
        });
        let (from, to) = (format_millis(NOW - 29 * 86_400_000), format_millis(NOW));
        g.bench_with_input(BenchmarkId::new("stats of 30 days", n), &n, |b, _| {
            b.iter(|| log.stats(black_box(&from[..10]), &to[..10]).unwrap());
        });
        let export = ReceiptQuery { limit: 900, ..ReceiptQuery::default() };
        g.bench_with_input(BenchmarkId::new("export chunk of 900 (NDJSON)", n), &n, |b, _| {
            b.iter(|| log.export_chunk(black_box(&export), ExportFormat::Ndjson).unwrap());
        });
    }
    g.finish();
}

fn main() {
    count_kv_ops();
    let quick = std::env::var("KELISIM_BENCH_QUICK").is_ok_and(|v| v == "1");
    let (warm, measure, samples) = if quick { (300, 1000, 20) } else { (1000, 3000, 50) };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(warm))
        .measurement_time(Duration::from_millis(measure))
        .sample_size(samples)
        .configure_from_args();
    core_pieces(&mut c);
    service(&mut c);
    list_page(&mut c);
    c.final_summary();
}
