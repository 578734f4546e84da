//! Where a site's log is read from: the [`LogSource`] seam (what the witness, the inclusion check
//! and the mirror need of the edge) and its HTTP implementation over the edge's public read API
//! (docs/ledger.md §6). Tests feed the same logic a fake log built with `kelisim-ledger`.

use std::io::Read;

use kelisim_core::api::receipts::ReceiptDetail;
use kelisim_core::sign::Jwks;
use kelisim_ledger::api::{ConsistencyAnswer, InclusionAnswer};
use kelisim_ledger::tiles::TilePath;
use kelisim_ledger::tree::ConsistencyProof;

use crate::client::{require_private_channel, Access, Client, Req};
use crate::commands::answer;
use crate::error::{Error, Result};

/// Longest checkpoint or verifier key read: a note with a few cosignatures is < 1 KiB.
const MAX_TEXT_ANSWER_BYTES: u64 = 64 * 1024;
/// Longest entry bundle read: 256 entries of at most 65,535 bytes, each behind a 2-byte length.
const MAX_BUNDLE_BYTES: u64 = 256 * (2 + 65_535);

/// What the KV store holds for a receipt the log names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// The stored record's edge JWS.
    Held(String),
    /// No record (404).
    Missing,
    /// The edge says the receipt was erased (410).
    Erased,
}

/// A site's log, read.
pub trait LogSource {
    /// The latest signed checkpoint's exact bytes.
    ///
    /// # Errors
    /// Any [`Error`] of the transport.
    fn checkpoint(&self) -> Result<Vec<u8>>;
    /// The signed-note verifier key the edge publishes for the log.
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`].
    fn verifier_key(&self) -> Result<String>;
    /// The edge's JWKS (the keys of receipt countersignatures, and of checkpoints).
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`].
    fn jwks(&self) -> Result<Jwks>;
    /// The bytes of entry bundle `tile`.
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`].
    fn entry_bundle(&self, tile: &TilePath) -> Result<Vec<u8>>;
    /// The consistency proof from size `old` to size `new`.
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`].
    fn consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof>;
    /// The inclusion proof of receipt `id` in the tree of `size` leaves.
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`].
    fn inclusion(&self, id: &str, size: u64) -> Result<InclusionAnswer>;
    /// The KV record of receipt `id`.
    ///
    /// # Errors
    /// As [`LogSource::checkpoint`], except for 404 and 410.
    fn record(&self, id: &str) -> Result<Record>;
}

/// A site's log on the edge, over HTTP.
#[derive(Debug)]
pub struct HttpLogSource<'a> {
    pub client: &'a Client,
    pub site: String,
}

impl HttpLogSource<'_> {
    fn log_path(&self, rest: &str) -> String {
        format!("/v1/sites/{}/log/{rest}", self.site)
    }

    fn bytes(&self, req: &Req, limit: u64) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        self.client.send(req)?.take(limit + 1).read_to_end(&mut body).map_err(|e| Error::Unreachable {
            url: self.client.base().to_owned(),
            reason: format!("reading the answer: {e}"),
        })?;
        if body.len() as u64 > limit {
            return Err(Error::Protocol(format!("the answer to {} is larger than {limit} bytes", req.path())));
        }
        Ok(body)
    }
}

impl LogSource for HttpLogSource<'_> {
    fn checkpoint(&self) -> Result<Vec<u8>> {
        let what = format!("read the log checkpoint of site {}", self.site);
        self.bytes(&Req::get(self.log_path("checkpoint"), Access::Public, what), MAX_TEXT_ANSWER_BYTES)
    }

    fn verifier_key(&self) -> Result<String> {
        // The key decides which checkpoints are genuine: it must come over TLS.
        require_private_channel(self.client.base(), "to fetch the key that verifies the log")?;
        let what = format!("read the log key of site {}", self.site);
        let bytes = self.bytes(&Req::get(self.log_path("key"), Access::Public, what), MAX_TEXT_ANSWER_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|_| Error::Protocol("the log key is not UTF-8".into()))?;
        Ok(text.trim_end_matches('\n').to_owned())
    }

    fn jwks(&self) -> Result<Jwks> {
        require_private_channel(self.client.base(), "to fetch the keys that verify receipts")?;
        let value = self.client.json(&Req::get("/.well-known/jwks.json", Access::Public, "read the edge's JWKS"))?;
        crate::verify::parse_jwks(value, &format!("{}/.well-known/jwks.json", self.client.base()))
    }

    fn entry_bundle(&self, tile: &TilePath) -> Result<Vec<u8>> {
        let what = format!("read the log entries of site {}", self.site);
        self.bytes(&Req::get(self.log_path(&tile.path()), Access::Scope("export"), what), MAX_BUNDLE_BYTES)
    }

    fn consistency(&self, old: u64, new: u64) -> Result<ConsistencyProof> {
        let what = format!("read a consistency proof of site {}", self.site);
        let req = Req::get(self.log_path("proof/consistency"), Access::Public, what)
            .query("from", old.to_string())
            .query("to", new.to_string());
        let answer: ConsistencyAnswer = answer(self.client.json(&req)?, "log/proof/consistency")?;
        Ok(answer.into())
    }

    fn inclusion(&self, id: &str, size: u64) -> Result<InclusionAnswer> {
        let what = format!("read an inclusion proof of site {}", self.site);
        let req = Req::get(self.log_path("proof/inclusion"), Access::Public, what)
            .query("id", id)
            .query("size", size.to_string());
        answer(self.client.json(&req)?, "log/proof/inclusion")
    }

    fn record(&self, id: &str) -> Result<Record> {
        let req = Req::get(
            format!("/v1/sites/{}/receipts/{id}", self.site),
            Access::Scope("read"),
            format!("read receipts of site {}", self.site),
        );
        match self.client.json(&req) {
            Ok(value) => {
                let detail: ReceiptDetail = answer(value, "receipts get")?;
                Ok(Record::Held(detail.signed.jws))
            }
            Err(Error::Api { status: 404, .. }) => Ok(Record::Missing),
            Err(Error::Api { status: 410, .. }) => Ok(Record::Erased),
            Err(e) => Err(e),
        }
    }
}
