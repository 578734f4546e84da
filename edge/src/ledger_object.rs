//! The `SiteLedger` Durable Object (wasm32 only): one per site, the single writer of its ledger.
//! A thin layer: it implements [`LedgerDb`] over the object's SQLite storage and hands each
//! internal request from the worker to the pure `ledger` module. Its requests never come from
//! the internet: only the worker holds the binding.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State};

use crate::error::StoreError;
use crate::ledger::schema;
use crate::ledger::sql::{LedgerDb, SqlRow, SqlValue, Write};

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
    #[allow(dead_code)]
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
