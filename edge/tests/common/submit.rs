//! The receipt path as the edge runs it, for native tests: the worker's stateless checks
//! (`Service::check_receipt`), then the site's ledger object (`SiteLog::append`) over an
//! in-memory SQLite standing in for the object's storage (one per test thread, so one per test).
#![allow(dead_code, clippy::unwrap_used)]

use std::rc::Rc;

use kelisim_core::receipt::{SignedReceipt, SubmitReceipt};
use kelisim_edge::error::ApiError;
use kelisim_edge::kv::Kv;
use kelisim_edge::ledger::schema::migrate;
use kelisim_edge::ledger::sqlite::SqliteLedgerDb;
use kelisim_edge::ledger::SiteLog;
use kelisim_edge::service::Service;
use kelisim_ledger::origin::LogOrigin;

thread_local! {
    static LEDGER: Rc<SqliteLedgerDb> = {
        let db = SqliteLedgerDb::new();
        migrate(&db).unwrap();
        Rc::new(db)
    };
}

/// This test's ledger database (the site object's SQLite).
pub fn ledger_db() -> Rc<SqliteLedgerDb> {
    LEDGER.with(Rc::clone)
}

/// What a receipt POST answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub signed: SignedReceipt,
    pub replayed: bool,
}

/// A receipt POST, end to end (less transport and rate limits).
#[allow(async_fn_in_trait)]
pub trait SubmitExt {
    async fn submit_receipt(&self, site: &str, body: &[u8]) -> Result<Submitted, ApiError>;
    async fn submit_parsed(&self, site: &str, submit: SubmitReceipt) -> Result<Submitted, ApiError>;
}

impl<K: Kv> SubmitExt for Service<'_, K> {
    async fn submit_receipt(&self, site: &str, body: &[u8]) -> Result<Submitted, ApiError> {
        let checked = self.check_receipt_body(site, body).await?;
        self.submit_parsed(site, checked.into_submit()).await
    }

    async fn submit_parsed(&self, site: &str, submit: SubmitReceipt) -> Result<Submitted, ApiError> {
        let checked = self.check_receipt(site, submit).await?;
        let db = ledger_db();
        let log = SiteLog {
            site,
            origin: LogOrigin::new("127.0.0.1:8787", site).unwrap(),
            db: db.as_ref(),
            kv: self.kv,
            keys: self.keys,
            now_ms: self.now_ms,
        };
        let appended = log.append(checked.into_submit()).await?;
        Ok(Submitted { signed: appended.signed, replayed: appended.replayed })
    }
}
