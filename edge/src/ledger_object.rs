//! The `SiteLedger` Durable Object (wasm32 only): one per site, the single writer of its ledger.
//! A thin layer: it implements [`LedgerDb`] over the object's SQLite storage and hands each
//! internal request from the worker to the pure `ledger` module. Its requests never come from
//! the internet: only the worker holds the binding.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

use kelisim_core::api::export::NEXT_CURSOR_HEADER;
use kelisim_core::id::check_slug;
use kelisim_ledger::origin::LogOrigin;

use crate::error::{ApiError, StoreError};
use crate::ledger::reads::ReadAnswer;
use crate::ledger::sql::{LedgerDb, SqlRow, SqlValue, Write};
use crate::ledger::{schema, SiteLog};
use crate::ledger_client::SITE_HEADER;
use crate::store_kv::{WorkersKv, BINDING};

/// The binding name of the object's namespace (wrangler.toml).
pub const LEDGER_BINDING: &str = "LEDGER";

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
    db: ObjectDb,
    env: Env,
}

impl DurableObject for SiteLedger {
    fn new(state: State, env: Env) -> Self {
        Self { db: ObjectDb::new(&state), env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        if let Err(e) = schema::migrate(&self.db) {
            worker::console_error!("ledger schema: {}", e.0);
            return Response::error("ledger unavailable", 503);
        }
        // ---- operator reads (issue 11, ledger-queries): listings, subjects, stats, export, chain links
        if req.method() == worker::Method::Get {
            if let Some(answer) = self.operator_read(&req) {
                return answer;
            }
        }
        // ---- end of operator reads
        match req.path().as_str() {
            "/ping" => {
                let rows = self
                    .db
                    .exec("SELECT value FROM meta WHERE key = 'tree_size'", &[])
                    .map_err(|e| worker::Error::RustError(e.0))?;
                Response::ok(format!("{rows:?}"))
            }
            _ => Response::error("no such ledger operation", 404),
        }
    }
}

/// The host part of the log's origin (`<LEDGER_HOST>/kelisim/<site>`): a `[vars]` entry.
const LEDGER_HOST_VAR: &str = "LEDGER_HOST";
/// The origin host when the variable is not set (local stacks).
const DEFAULT_LEDGER_HOST: &str = "127.0.0.1";

/// An answer of the object, errors as the edge's usual `{"error":{code,message}}`.
fn respond(status: u16, content_type: &str, body: String, extra: &[(&str, String)]) -> Result<Response> {
    let headers = worker::Headers::new();
    headers.set("Content-Type", content_type)?;
    for (name, value) in extra {
        headers.set(name, value)?;
    }
    Ok(Response::builder().with_status(status).with_headers(headers).fixed(body.into_bytes()))
}

fn error_response(e: &ApiError) -> Result<Response> {
    let retry: Vec<(&str, String)> = e.retry_after.map(|s| ("Retry-After", s.to_string())).into_iter().collect();
    respond(e.status, "application/json; charset=utf-8", e.body(), &retry)
}

fn read_response(answer: ReadAnswer) -> Result<Response> {
    let mut extra: Vec<(&str, String)> = Vec::new();
    if let Some(filename) = answer.filename {
        extra.push(("Content-Disposition", format!("attachment; filename=\"{filename}\"")));
        extra.push(("Cache-Control", "no-store".into()));
    }
    if let Some(cursor) = answer.next_cursor {
        extra.push((NEXT_CURSOR_HEADER, cursor));
    }
    respond(200, answer.content_type, answer.body, &extra)
}

impl SiteLedger {
    /// Answers an operator read (`ledger::reads`), or `None` when the path is not one. The
    /// worker authorised the caller; the site comes from [`SITE_HEADER`].
    fn operator_read(&self, req: &Request) -> Option<Result<Response>> {
        let site = req.headers().get(SITE_HEADER).ok().flatten().filter(|s| check_slug("site", s).is_ok());
        let Some(site) = site else {
            return Some(error_response(&ApiError::new(kelisim_core::ErrorCode::InvalidId, "no site named")));
        };
        let pairs: Vec<(String, String)> = req
            .url()
            .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default();
        let setup = || -> std::result::Result<_, ApiError> {
            let host = self.env.var(LEDGER_HOST_VAR).map_or_else(|_| DEFAULT_LEDGER_HOST.to_owned(), |v| v.to_string());
            let origin = LogOrigin::new(&host, &site).map_err(|_| ApiError::internal())?;
            let kv = WorkersKv(self.env.kv(BINDING).map_err(|_| ApiError::storage_unavailable())?);
            let keys = crate::routes::keyring(&self.env)?;
            Ok((origin, kv, keys))
        };
        let (origin, kv, keys) = match setup() {
            Ok(parts) => parts,
            Err(e) => return Some(error_response(&e)),
        };
        let now_ms = worker::Date::now().as_millis() as i64;
        let log = SiteLog { site: &site, origin, db: &self.db, kv: &kv, keys: &keys, now_ms };
        let answer = log.read(&req.path(), &pairs)?;
        Some(match answer {
            Ok(answer) => read_response(answer),
            Err(e) => {
                if e.status >= 500 {
                    worker::console_error!("ledger read {}: {} {}", req.path(), e.code, e.message);
                }
                error_response(&e)
            }
        })
    }
}
