//! The mirror's SQLite database: its schema (documented in docs/mirror.md so a Postgres copy can
//! follow), what it holds so far, and its stored hashes as the tree's [`HashStorage`].

use std::path::Path;

use kelisim_ledger::tree::{HashStorage, StorageError};
use kelisim_ledger::Hash;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Version of the schema below, kept in `meta`; a database of another version is refused.
pub const SCHEMA_VERSION: &str = "1";

/// The tables (docs/mirror.md explains each column).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (
  size INTEGER PRIMARY KEY,
  root BLOB NOT NULL,
  note BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS stored_hash (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entry (
  idx       INTEGER PRIMARY KEY,
  kind      TEXT NOT NULL CHECK (kind IN ('receipt', 'erasure')),
  leaf_hash BLOB NOT NULL,
  bytes     BLOB,
  erased_by INTEGER
);
CREATE INDEX IF NOT EXISTS entry_by_erasure ON entry(erased_by) WHERE erased_by IS NOT NULL;
CREATE TABLE IF NOT EXISTS receipt (
  idx         INTEGER PRIMARY KEY REFERENCES entry(idx),
  id          TEXT NOT NULL UNIQUE,
  subject     TEXT NOT NULL,
  server_time TEXT NOT NULL,
  jws         TEXT NOT NULL,
  signed      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS receipt_by_subject ON receipt(subject, idx);
CREATE TABLE IF NOT EXISTS erasure (
  idx    INTEGER PRIMARY KEY REFERENCES entry(idx),
  id     TEXT NOT NULL,
  time   TEXT NOT NULL,
  erased TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS progress (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL);
";

/// The database error as a CLI error (exit 2: a local problem, retried by the next run).
pub fn db_error(e: rusqlite::Error) -> Error {
    Error::Output(format!("mirror database: {e}"))
}

/// A tree size or index as an SQLite integer.
pub fn int(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Protocol(format!("{n} is beyond an SQLite integer")))
}

fn uint(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| Error::Output(format!("mirror database: negative size {n}")))
}

fn hash(bytes: &[u8]) -> Result<Hash> {
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| Error::Output("mirror database: a hash is not 32 bytes".into()))?;
    Ok(Hash(bytes))
}

/// Opens (creating if needed) the mirror database at `path`.
///
/// # Errors
/// [`Error::Output`] when it cannot be opened or is of another schema version.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| Error::Output(format!("cannot open {}: {e}", path.display())))?;
    init(&conn)?;
    Ok(conn)
}

/// Creates the tables if needed and checks the schema version.
///
/// # Errors
/// As [`open`].
pub fn init(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA foreign_keys = ON;").map_err(db_error)?;
    conn.execute_batch(SCHEMA).map_err(db_error)?;
    let version: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .optional()
        .map_err(db_error)?;
    match version.as_deref() {
        None => {
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)", [SCHEMA_VERSION])
                .map_err(db_error)?;
        }
        Some(SCHEMA_VERSION) => {}
        Some(other) => {
            return Err(Error::Output(format!(
                "the mirror database has schema version {other}, this CLI writes {SCHEMA_VERSION}"
            )))
        }
    }
    Ok(())
}

/// What the mirror holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// Leaves mirrored: entries `0..size` with their hashes.
    pub size: u64,
    /// The log's origin, once a run has committed anything.
    pub origin: Option<String>,
}

/// Reads what the mirror holds.
///
/// # Errors
/// [`Error::Output`].
pub fn held(conn: &Connection) -> Result<Held> {
    let size: Option<i64> =
        conn.query_row("SELECT size FROM progress WHERE id = 1", [], |r| r.get(0)).optional().map_err(db_error)?;
    let origin = meta(conn, "origin")?;
    Ok(Held { size: uint(size.unwrap_or(0))?, origin })
}

/// A `meta` value.
///
/// # Errors
/// [`Error::Output`].
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(db_error)
}

/// Sets a `meta` value.
///
/// # Errors
/// [`Error::Output`].
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )
    .map_err(db_error)?;
    Ok(())
}

/// Sets the number of leaves mirrored.
///
/// # Errors
/// [`Error::Output`].
pub fn set_progress(conn: &Connection, size: u64) -> Result<()> {
    conn.execute(
        "INSERT INTO progress (id, size) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET size = ?1",
        [int(size)?],
    )
    .map_err(db_error)?;
    Ok(())
}

/// The stored leaf hash of entry `index`, if mirrored.
///
/// # Errors
/// [`Error::Output`].
pub fn leaf_hash(conn: &Connection, index: u64) -> Result<Option<Hash>> {
    let bytes: Option<Vec<u8>> = conn
        .query_row("SELECT leaf_hash FROM entry WHERE idx = ?1", [int(index)?], |r| r.get(0))
        .optional()
        .map_err(db_error)?;
    bytes.as_deref().map(hash).transpose()
}

/// The stored hashes of the mirror's tree.
#[derive(Debug)]
pub struct SqlHashes<'a>(pub &'a Connection);

impl HashStorage for SqlHashes<'_> {
    fn read_stored_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, StorageError> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT hash FROM stored_hash WHERE idx = ?1")
            .map_err(|e| StorageError(e.to_string()))?;
        indexes
            .iter()
            .map(|&i| {
                let position = i64::try_from(i).map_err(|_| StorageError(format!("position {i}")))?;
                let bytes: Vec<u8> =
                    stmt.query_row([position], |r| r.get(0)).map_err(|e| StorageError(format!("position {i}: {e}")))?;
                hash(&bytes).map_err(|e| StorageError(e.to_string()))
            })
            .collect()
    }
}
