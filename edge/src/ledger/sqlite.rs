//! [`LedgerDb`] over rusqlite (SQLite bundled), for native tests of the ledger: the same SQL the
//! Durable Object runs on workerd, against the same engine.

use std::cell::Cell;

use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

use super::sql::{LedgerDb, SqlRow, SqlValue, Write};
use crate::error::StoreError;

/// An in-memory SQLite database standing in for a site's Durable Object storage.
#[derive(Debug)]
pub struct SqliteLedgerDb {
    conn: Connection,
    /// When set to `n`, the next `n` statements succeed and every later one fails: a storage
    /// fault in the middle of a block.
    pub statements_before_failure: Cell<Option<usize>>,
}

impl SqliteLedgerDb {
    /// A fresh, empty database.
    ///
    /// # Panics
    /// When SQLite cannot open an in-memory database (a test setup fault).
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        Self {
            conn: Connection::open_in_memory().expect("in-memory SQLite"),
            statements_before_failure: Cell::new(None),
        }
    }
}

impl Default for SqliteLedgerDb {
    fn default() -> Self {
        Self::new()
    }
}

fn to_sql(v: &SqlValue) -> Value {
    match v {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(f) => Value::Real(*f),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
    }
}

fn from_sql(v: ValueRef<'_>) -> SqlValue {
    match v {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(f) => SqlValue::Real(f),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    }
}

fn fault(e: &rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

impl LedgerDb for SqliteLedgerDb {
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<Vec<SqlRow>, StoreError> {
        if let Some(n) = self.statements_before_failure.get() {
            if n == 0 {
                return Err(StoreError("injected statement failure".into()));
            }
            self.statements_before_failure.set(Some(n - 1));
        }
        let mut stmt = self.conn.prepare_cached(query).map_err(|e| fault(&e))?;
        let columns = stmt.column_count();
        let values: Vec<Value> = params.iter().map(to_sql).collect();
        let mut rows = stmt.query(rusqlite::params_from_iter(values)).map_err(|e| fault(&e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| fault(&e))? {
            let mut cols = Vec::with_capacity(columns);
            for i in 0..columns {
                cols.push(from_sql(row.get_ref(i).map_err(|e| fault(&e))?));
            }
            out.push(cols);
        }
        Ok(out)
    }

    fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.conn.execute_batch("SAVEPOINT ledger_commit").map_err(|e| fault(&e))?;
        for write in &writes {
            if let Err(e) = self.exec(&write.sql, &write.params) {
                self.conn.execute_batch("ROLLBACK TO ledger_commit; RELEASE ledger_commit").map_err(|e| fault(&e))?;
                return Err(e);
            }
        }
        self.conn.execute_batch("RELEASE ledger_commit").map_err(|e| fault(&e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_commit_leaves_nothing() {
        let db = SqliteLedgerDb::new();
        db.exec("CREATE TABLE t (x INTEGER)", &[]).unwrap();
        let got = db.commit(vec![
            Write::new("INSERT INTO t VALUES (?)", vec![1.into()]),
            Write::new("INSERT INTO no_such_table VALUES (?)", vec![1.into()]),
        ]);
        assert!(got.is_err());
        assert!(db.exec("SELECT x FROM t", &[]).unwrap().is_empty());
        db.commit(vec![Write::new("INSERT INTO t VALUES (?)", vec![2.into()])]).unwrap();
        assert_eq!(db.exec("SELECT x FROM t", &[]).unwrap(), vec![vec![SqlValue::Integer(2)]]);
    }
}
