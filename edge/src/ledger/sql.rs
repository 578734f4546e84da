//! The SQL seam of a site's ledger: a synchronous `exec` with positional `?` bindings and an
//! all-or-nothing block. The Durable Object implements it over its SQLite storage
//! (`ledger_object.rs`, wasm32); [`SqliteLedgerDb`](super::sqlite::SqliteLedgerDb) over rusqlite
//! for native tests. Every statement the ledger runs is written against this trait only.

use crate::error::StoreError;

/// A value bound to or read from a statement (SQLite's storage classes).
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        Self::Integer(v)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(v: Vec<u8>) -> Self {
        Self::Blob(v)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// One result row, its columns in `SELECT` order.
pub type SqlRow = Vec<SqlValue>;

/// A column read as a type, or a [`StoreError`] naming what was wrong (a row the ledger wrote
/// that no longer has its shape is a storage fault, never a panic).
pub fn int(row: &[SqlValue], at: usize) -> Result<i64, StoreError> {
    match row.get(at) {
        Some(SqlValue::Integer(v)) => Ok(*v),
        other => Err(StoreError(format!("column {at}: expected an integer, got {other:?}"))),
    }
}

/// See [`int`]; `NULL` reads as `None`.
pub fn opt_int(row: &[SqlValue], at: usize) -> Result<Option<i64>, StoreError> {
    match row.get(at) {
        Some(SqlValue::Null) => Ok(None),
        _ => int(row, at).map(Some),
    }
}

/// See [`int`].
pub fn text(row: &[SqlValue], at: usize) -> Result<String, StoreError> {
    match row.get(at) {
        Some(SqlValue::Text(v)) => Ok(v.clone()),
        other => Err(StoreError(format!("column {at}: expected text, got {other:?}"))),
    }
}

/// See [`int`]; `NULL` reads as `None`.
pub fn opt_text(row: &[SqlValue], at: usize) -> Result<Option<String>, StoreError> {
    match row.get(at) {
        Some(SqlValue::Null) => Ok(None),
        _ => text(row, at).map(Some),
    }
}

/// See [`int`].
pub fn blob(row: &[SqlValue], at: usize) -> Result<Vec<u8>, StoreError> {
    match row.get(at) {
        Some(SqlValue::Blob(v)) => Ok(v.clone()),
        other => Err(StoreError(format!("column {at}: expected a blob, got {other:?}"))),
    }
}

/// See [`int`]; `NULL` reads as `None`.
pub fn opt_blob(row: &[SqlValue], at: usize) -> Result<Option<Vec<u8>>, StoreError> {
    match row.get(at) {
        Some(SqlValue::Null) => Ok(None),
        _ => blob(row, at).map(Some),
    }
}

/// One write statement of a [`LedgerDb::commit`], owned so the object can hand it to
/// `transactionSync`.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl Write {
    #[must_use]
    pub fn new(sql: impl Into<String>, params: Vec<SqlValue>) -> Self {
        Self { sql: sql.into(), params }
    }
}

/// The ledger's database: one site's SQLite.
///
/// The ledger reads with [`LedgerDb::exec`], plans every write of an operation, then hands them
/// to [`LedgerDb::commit`]: nothing awaits in between (both are synchronous), so in the object
/// no other request interleaves, and the writes commit together or not at all.
pub trait LedgerDb {
    /// Runs one statement with positional `?` bindings and returns every row.
    ///
    /// # Errors
    /// [`StoreError`] when the statement fails.
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError>;

    /// Runs `writes` in order, all or nothing: a failing statement leaves the database as it
    /// was. The object runs them inside `transactionSync`, native tests inside a savepoint.
    ///
    /// # Errors
    /// [`StoreError`] when a statement or the commit fails; nothing was written.
    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}
