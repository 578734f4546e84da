//! The texts around a receipt's canonical claims: the body a widget posts (core's
//! `SubmitReceipt`) and the payload the edge countersigns (core's `Receipt`), both canonical
//! JSON (RFC 8785). The claims go in as the exact text that was signed.

use alloc::string::String;

use crate::canonical::{number, string, string_or_null};

/// Where the edge appended a receipt in its site's log: the leaf index and the log's origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPosition {
    pub index: u64,
    pub origin: String,
}

/// The body of `POST /v1/sites/{site}/receipts`: `{"claims":…,"visitor_signature":…}`.
#[must_use]
#[inline]
pub fn submission(canonical_claims: &str, visitor_signature: Option<&str>) -> String {
    let mut out = String::from("{\"claims\":");
    out.push_str(canonical_claims);
    out.push_str(",\"visitor_signature\":");
    string_or_null(&mut out, visitor_signature);
    out.push('}');
    out
}

/// The receipt the edge accepted, as it countersigns it: `claims`, `hash` (SHA-256 of the
/// claims, hex), `log` when the edge keeps a ledger, `server_time`, `visitor_signature`.
#[must_use]
#[inline]
pub fn payload(
    canonical_claims: &str,
    hash: &str,
    log: Option<&LogPosition>,
    server_time: &str,
    visitor_signature: Option<&str>,
) -> String {
    let mut out = String::from("{\"claims\":");
    out.push_str(canonical_claims);
    out.push_str(",\"hash\":");
    string(&mut out, hash);
    if let Some(log) = log {
        out.push_str(",\"log\":{\"index\":");
        number(&mut out, log.index);
        out.push_str(",\"origin\":");
        string(&mut out, &log.origin);
        out.push('}');
    }
    out.push_str(",\"server_time\":");
    string(&mut out, server_time);
    out.push_str(",\"visitor_signature\":");
    string_or_null(&mut out, visitor_signature);
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_canonical_order() {
        assert_eq!(submission("{}", None), r#"{"claims":{},"visitor_signature":null}"#);
        assert_eq!(submission("{}", Some("h..s")), r#"{"claims":{},"visitor_signature":"h..s"}"#);
        let log = LogPosition { index: 9_007_199_254_740_991, origin: "e/kelisim/s".into() };
        assert_eq!(
            payload("{}", "ab", Some(&log), "t", None),
            r#"{"claims":{},"hash":"ab","log":{"index":9007199254740991,"origin":"e/kelisim/s"},"server_time":"t","visitor_signature":null}"#
        );
        assert_eq!(
            payload("{}", "ab", None, "t", Some("v")),
            r#"{"claims":{},"hash":"ab","server_time":"t","visitor_signature":"v"}"#
        );
    }
}
