//! The `SiteLedger` Durable Object (wasm32 only): one per site, the single writer of its ledger.
//! A thin layer: it implements [`LedgerDb`] over the object's SQLite storage, builds the pure
//! [`SiteLog`] for each internal request from the worker and runs its alarm (checkpoints, the KV
//! sweep). Its requests never come from the internet: only the worker holds the binding, and it
//! forwards the public path after `/v1/sites/{site}` with the site in [`SITE_HEADER`].

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    durable_object, Date, DurableObject, Env, Headers, Method, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

use kelisim_core::api::export::NEXT_CURSOR_HEADER;
use kelisim_core::receipt::SubmitReceipt;
use kelisim_core::ErrorCode;
use kelisim_ledger::origin::LogOrigin;
use kelisim_ledger::tiles::TilePath;

use crate::error::{ApiError, StoreError};
use crate::keyring::Keyring;
use crate::ledger::erase::Erased;
use crate::ledger::log::CHECKPOINT_INTERVAL_MS;
use crate::ledger::reads::ReadAnswer;
use crate::ledger::sql::{text, LedgerDb, SqlRow, SqlValue, Write};
use crate::ledger::{log_query, schema, SiteLog};
use crate::store_kv::{WorkersKv, BINDING};

/// The binding name of the object's namespace (wrangler.toml).
pub const LEDGER_BINDING: &str = "LEDGER";
/// The header naming the site of an internal request.
pub const SITE_HEADER: &str = "Kelisim-Site";
/// The header naming who asked for an erasure (the operator's audit name).
pub const REQUESTED_BY_HEADER: &str = "Kelisim-Requested-By";
/// The `[vars]` entry naming the host in every log's origin (`<host>/kelisim/<site>`).
pub const LEDGER_HOST_VAR: &str = "LEDGER_HOST";
/// The origin host when [`LEDGER_HOST_VAR`] is unset: `./x dev`'s address. Production sets the
/// edge's public host; the origin is the log's name and must never change once used.
pub const DEFAULT_LEDGER_HOST: &str = "127.0.0.1:8787";
/// A `[vars]` entry that shortens [`CHECKPOINT_INTERVAL_MS`] (tests only; never set in
/// `edge/wrangler.toml`).
pub const CHECKPOINT_MS_VAR: &str = "LEDGER_CHECKPOINT_MS";

/// [`LedgerDb`] over the object's SQLite (`ctx.storage.sql`).
pub struct ObjectDb {
    sql: SqlStorage,
    storage: JsValue,
}

impl ObjectDb {
    #[must_use]
    pub fn new(state: &State) -> Self {
        let storage = state.storage();
        let raw: &JsValue = storage.as_raw().as_ref();
        Self { sql: storage.sql(), storage: raw.clone() }
    }
}

fn to_js(v: &SqlValue) -> SqlStorageValue {
    match v {
        SqlValue::Null => SqlStorageValue::Null,
        SqlValue::Integer(i) => SqlStorageValue::Integer(*i),
        SqlValue::Real(f) => SqlStorageValue::Float(*f),
        SqlValue::Text(s) => SqlStorageValue::String(s.clone()),
        SqlValue::Blob(b) => SqlStorageValue::Blob(b.clone()),
    }
}

fn from_js(v: SqlStorageValue) -> SqlValue {
    match v {
        SqlStorageValue::Null => SqlValue::Null,
        SqlStorageValue::Boolean(b) => SqlValue::Integer(i64::from(b)),
        SqlStorageValue::Integer(i) => SqlValue::Integer(i),
        SqlStorageValue::Float(f) => SqlValue::Real(f),
        SqlStorageValue::String(s) => SqlValue::Text(s),
        SqlStorageValue::Blob(b) => SqlValue::Blob(b),
    }
}

fn fault(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("sql: {e}"))
}

impl LedgerDb for ObjectDb {
    fn exec(&self, query: &str, params: &[SqlValue]) -> std::result::Result<Vec<SqlRow>, StoreError> {
        let bindings: Vec<SqlStorageValue> = params.iter().map(to_js).collect();
        let cursor = self.sql.exec(query, bindings).map_err(fault)?;
        let mut rows = Vec::new();
        for row in cursor.raw() {
            rows.push(row.map_err(fault)?.into_iter().map(from_js).collect());
        }
        Ok(rows)
    }

    /// `ctx.storage.transactionSync(fn)`: the writes commit together, or (one throws) none do.
    /// workers-rs 0.8.7 does not bind it, so it is called through `Reflect`.
    fn commit(&self, writes: Vec<Write>) -> std::result::Result<(), StoreError> {
        let sql = self.sql.clone();
        let run = Closure::once_into_js(move || -> std::result::Result<JsValue, JsValue> {
            for write in writes {
                let bindings: Vec<SqlStorageValue> = write.params.iter().map(to_js).collect();
                sql.exec(&write.sql, bindings).map_err(|e| JsValue::from_str(&e.to_string()))?;
            }
            Ok(JsValue::UNDEFINED)
        });
        let transaction_sync = js_sys::Reflect::get(&self.storage, &JsValue::from_str("transactionSync"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .ok_or_else(|| StoreError("storage.transactionSync is not available".into()))?;
        transaction_sync.call1(&self.storage, &run).map(drop).map_err(|e| fault(format!("{e:?}")))
    }
}

/// One site's ledger object.
#[durable_object]
pub struct SiteLedger {
    state: State,
    db: ObjectDb,
    env: Env,
    /// Whether this instance already migrated the schema.
    migrated: Cell<bool>,
}

/// An answer of the object: status, content type, body, extra headers.
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json<T: serde::Serialize>(status: u16, value: &T) -> std::result::Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|_| ApiError::internal())?;
        Ok(Self { status, content_type: "application/json; charset=utf-8", body, headers: Vec::new() })
    }

    fn bytes(content_type: &'static str, body: Vec<u8>, cache: &str) -> Self {
        Self { status: 200, content_type, body, headers: vec![("Cache-Control", cache.to_owned())] }
    }

    fn read(answer: ReadAnswer) -> Self {
        let mut headers = Vec::new();
        if let Some(filename) = answer.filename {
            headers.push(("Content-Disposition", format!("attachment; filename=\"{filename}\"")));
            headers.push(("Cache-Control", "no-store".to_owned()));
        }
        if let Some(cursor) = answer.next_cursor {
            headers.push((NEXT_CURSOR_HEADER, cursor));
        }
        Self { status: 200, content_type: answer.content_type, body: answer.body.into_bytes(), headers }
    }

    fn error(e: &ApiError) -> Self {
        let mut headers = Vec::new();
        if let Some(seconds) = e.retry_after {
            headers.push(("Retry-After", seconds.to_string()));
        }
        Self { status: e.status, content_type: "application/json; charset=utf-8", body: e.body().into_bytes(), headers }
    }

    fn into_response(self) -> Result<Response> {
        let headers = Headers::new();
        headers.set("Content-Type", self.content_type)?;
        for (name, value) in &self.headers {
            headers.set(name, value)?;
        }
        Ok(Response::from_bytes(self.body)?.with_status(self.status).with_headers(headers))
    }
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url().map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()).unwrap_or_default()
}

impl SiteLedger {
    fn keyring(&self) -> std::result::Result<Keyring, ApiError> {
        let signing = self.env.secret("EDGE_SIGNING_KEYS").map(|s| s.to_string()).unwrap_or_default();
        let retired = self
            .env
            .var("EDGE_RETIRED_KEYS")
            .map(|v| v.to_string())
            .or_else(|_| self.env.secret("EDGE_RETIRED_KEYS").map(|s| s.to_string()))
            .unwrap_or_default();
        Keyring::parse_with_retired(&signing, &retired).map_err(|e| {
            worker::console_error!("ledger keys: {e}");
            ApiError::internal()
        })
    }

    fn origin(&self, site: &str) -> std::result::Result<LogOrigin, ApiError> {
        let host = self.env.var(LEDGER_HOST_VAR).map_or_else(|_| DEFAULT_LEDGER_HOST.to_owned(), |v| v.to_string());
        LogOrigin::new(&host, site).map_err(|e| {
            worker::console_error!("{LEDGER_HOST_VAR}: {e}");
            ApiError::internal()
        })
    }

    fn checkpoint_interval_ms(&self) -> i64 {
        self.env
            .var(CHECKPOINT_MS_VAR)
            .ok()
            .and_then(|v| v.to_string().parse::<i64>().ok())
            .filter(|ms| *ms > 0)
            .unwrap_or(CHECKPOINT_INTERVAL_MS)
    }

    fn migrate(&self) -> std::result::Result<(), ApiError> {
        if !self.migrated.get() {
            schema::migrate(&self.db).map_err(|e| {
                worker::console_error!("ledger schema: {}", e.0);
                ApiError::ledger_unavailable()
            })?;
            self.migrated.set(true);
        }
        Ok(())
    }

    /// The site this object serves: named by the worker on every request, kept for the alarm.
    fn remember_site(&self, site: &str) -> std::result::Result<(), ApiError> {
        self.db.exec("INSERT OR IGNORE INTO log_site (site) VALUES (?)", &[site.into()])?;
        Ok(())
    }

    fn stored_site(&self) -> std::result::Result<Option<String>, ApiError> {
        let rows = self.db.exec("SELECT site FROM log_site LIMIT 1", &[])?;
        Ok(rows.first().map(|r| text(r, 0)).transpose()?)
    }

    /// Arms the alarm (the next checkpoint and sweep) unless one is set.
    async fn arm(&self) {
        let storage = self.state.storage();
        if matches!(storage.get_alarm().await, Ok(None)) {
            if let Err(e) = storage.set_alarm(self.checkpoint_interval_ms()).await {
                worker::console_error!("ledger alarm: {e}");
            }
        }
    }

    /// Test builds only (`KELISIM_DIAGNOSTICS`): a commit whose second statement fails must leave
    /// the first unwritten. Answers `{"rolled_back":bool}`.
    fn rollback_probe(&self) -> std::result::Result<Answer, ApiError> {
        let diagnostics = self.env.var("KELISIM_DIAGNOSTICS").is_ok_and(|v| v.to_string() == "1");
        if !diagnostics {
            return Err(ApiError::new(ErrorCode::NotFound, "no such ledger operation"));
        }
        self.db.exec("DELETE FROM meta WHERE key = 'rollback_probe'", &[])?;
        let failed = self
            .db
            .commit(vec![
                Write::new("INSERT INTO meta (key, value) VALUES ('rollback_probe', 1)", vec![]),
                Write::new("INSERT INTO no_such_table (x) VALUES (1)", vec![]),
            ])
            .is_err();
        let left = self.db.exec("SELECT value FROM meta WHERE key = 'rollback_probe'", &[])?;
        Answer::json(200, &serde_json::json!({ "commit_failed": failed, "rolled_back": left.is_empty() }))
    }

    async fn serve(&self, mut req: Request) -> std::result::Result<Answer, ApiError> {
        self.migrate()?;
        if req.path() == "/diagnostics/rollback" {
            return self.rollback_probe();
        }
        let site = req.headers().get(SITE_HEADER).ok().flatten().ok_or_else(ApiError::internal)?;
        self.remember_site(&site)?;
        let keys = self.keyring()?;
        let kv = WorkersKv(self.env.kv(BINDING).map_err(|_| ApiError::storage_unavailable())?);
        let log = SiteLog {
            site: &site,
            origin: self.origin(&site)?,
            db: &self.db,
            kv: &kv,
            keys: &keys,
            now_ms: Date::now().as_millis() as i64,
        };
        let path = req.path();
        let pairs = query_pairs(&req);
        // Operator reads (listings, subjects, statistics, export, chain links): `ledger::reads`.
        // The worker authorised the caller.
        if req.method() == Method::Get {
            if let Some(read) = log.read(&path, &pairs) {
                return read.map(Answer::read);
            }
        }
        let pairs = || pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        match (req.method(), path.as_str()) {
            (Method::Post, "/receipts") => {
                let body = req.bytes().await.map_err(|_| ApiError::malformed_body("body could not be read"))?;
                let submit: SubmitReceipt = serde_json::from_slice(&body).map_err(ApiError::malformed_body)?;
                let appended = log.append(submit).await;
                self.arm().await;
                let appended = appended?;
                let mut answer = Answer::json(201, &appended.signed)?;
                if appended.replayed {
                    answer.headers.push(("Kelisim-Replayed", "true".into()));
                }
                Ok(answer)
            }
            (Method::Post, "/receipts/check") => {
                let body = req.bytes().await.map_err(|_| ApiError::malformed_body("body could not be read"))?;
                let submit: SubmitReceipt = serde_json::from_slice(&body).map_err(ApiError::malformed_body)?;
                log.precheck(&submit)?;
                Ok(Answer { status: 204, content_type: "text/plain", body: Vec::new(), headers: Vec::new() })
            }
            (Method::Get, "/log/checkpoint") => {
                log_query::parse_none(pairs())?;
                let checkpoint = log.checkpoint()?;
                Ok(Answer::bytes("text/plain; charset=utf-8", checkpoint.note, "max-age=5"))
            }
            (Method::Get, "/log/key") => {
                log_query::parse_none(pairs())?;
                let key = format!("{}\n", log.verifier().verifier_key());
                Ok(Answer::bytes("text/plain; charset=utf-8", key.into_bytes(), "max-age=300"))
            }
            (Method::Get, "/log/proof/inclusion") => {
                let (leaf, size) = log_query::parse_inclusion(pairs())?;
                Answer::json(200, &log.inclusion(&leaf, size)?)
            }
            (Method::Get, "/log/proof/consistency") => {
                let (from, to) = log_query::parse_consistency(pairs())?;
                Answer::json(200, &log.consistency(from, to)?)
            }
            (Method::Get, tile) if tile.starts_with("/log/tile/") => {
                log_query::parse_none(pairs())?;
                let path = TilePath::parse(&tile["/log/".len()..])
                    .map_err(|_| ApiError::new(ErrorCode::InvalidId, "not a C2SP tile path"))?;
                let bytes = log.tile(&path)?;
                let cache = if path.is_entries() {
                    "max-age=60"
                } else if path.is_partial() {
                    "max-age=5"
                } else {
                    "public, max-age=31536000, immutable"
                };
                Ok(Answer::bytes("application/octet-stream", bytes, cache))
            }
            (Method::Delete, erase) if erase.starts_with("/subjects/") => {
                let subject = &erase["/subjects/".len()..];
                let by = req.headers().get(REQUESTED_BY_HEADER).ok().flatten().unwrap_or_default();
                let mut random = [0u8; 10];
                getrandom::getrandom(&mut random).map_err(|_| ApiError::internal())?;
                let erased = log.erase_subject(subject, &by, random).await;
                self.arm().await;
                match erased? {
                    Erased::Done(record) => Answer::json(200, &record),
                    Erased::Continuing(status) => Answer::json(202, &status),
                }
            }
            _ => Err(ApiError::new(ErrorCode::NotFound, "no such ledger operation")),
        }
    }

    async fn run_alarm(&self) -> std::result::Result<(), ApiError> {
        self.migrate()?;
        let Some(site) = self.stored_site()? else { return Ok(()) };
        let keys = self.keyring()?;
        let kv = WorkersKv(self.env.kv(BINDING).map_err(|_| ApiError::storage_unavailable())?);
        let log = SiteLog {
            site: &site,
            origin: self.origin(&site)?,
            db: &self.db,
            kv: &kv,
            keys: &keys,
            now_ms: Date::now().as_millis() as i64,
        };
        let outcome = log.on_alarm().await?;
        // Appends that came in while the sweep awaited KV, or work the sweep left: again later.
        let grew = log.latest_checkpoint()?.map_or(0, |c| c.size) < log.tree_size()?;
        if outcome.more || grew {
            self.state.storage().set_alarm(self.checkpoint_interval_ms()).await.map_err(|e| {
                worker::console_error!("ledger alarm: {e}");
                ApiError::internal()
            })?;
        }
        Ok(())
    }
}

impl DurableObject for SiteLedger {
    fn new(state: State, env: Env) -> Self {
        Self { db: ObjectDb::new(&state), state, env, migrated: Cell::new(false) }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let answer = self.serve(req).await.unwrap_or_else(|e| {
            if e.status >= 500 {
                worker::console_error!("ledger: {} {}", e.code, e.message);
            }
            Answer::error(&e)
        });
        answer.into_response()
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.run_alarm().await {
            worker::console_error!("ledger alarm: {} {}", e.code, e.message);
            // Retried: the runtime re-runs a failed alarm with backoff.
            return Err(worker::Error::RustError(e.message));
        }
        Response::ok("done")
    }
}
