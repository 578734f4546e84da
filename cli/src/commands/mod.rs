//! One module per command group; each command checks its arguments, calls the edge through
//! [`Client`], and prints. Helpers shared by several commands live here.

pub mod key;
pub mod log;
pub mod mirror;
pub mod policy;
pub mod receipts;
pub mod site;
pub mod subject;
pub mod token;
pub mod verify;

use kelisim_core::api::receipts::ReceiptSummary;
use std::path::Path;

use kelisim_core::id::{check_slug, is_subject_id};
use kelisim_core::time::{format_millis, parse_millis};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::error::{Error, Result};

/// What every command may need: where the edge is and the operator token.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub edge: String,
    pub token: Option<String>,
}

impl Ctx {
    /// A client for the edge.
    ///
    /// # Errors
    /// [`Error::Usage`] for a malformed `--edge` or `--token`.
    pub fn client(&self) -> Result<Client> {
        Client::new(&self.edge, self.token.clone())
    }
}

/// Checks `--site`.
///
/// # Errors
/// [`Error::Usage`].
pub fn check_site(site: &str) -> Result<()> {
    check_slug("site", site).map_err(|e| Error::Usage(format!("--site {site:?}: {e}")))
}

/// Checks a subject id (43 base64url characters).
///
/// # Errors
/// [`Error::Usage`].
pub fn check_subject(subject: &str) -> Result<()> {
    if is_subject_id(subject) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "subject {:?}: expected the 43-character base64url id receipts carry",
            crate::error::one_line(subject)
        )))
    }
}

/// A time bound for `from`/`to`: `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM:SSZ` or the
/// edge's `YYYY-MM-DDTHH:MM:SS.sssZ`, normalised to the last.
///
/// # Errors
/// [`Error::Usage`] naming `flag`.
pub fn time_bound(flag: &str, value: &str) -> Result<String> {
    let full = match value.len() {
        10 => format!("{value}T00:00:00.000Z"),
        20 if value.ends_with('Z') => format!("{}.000Z", value.get(..19).unwrap_or_default()),
        _ => value.to_owned(),
    };
    parse_millis("time", &full).map(|_| full).map_err(|_| {
        Error::Usage(format!(
            "{flag} {:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z (UTC)",
            crate::error::one_line(value)
        ))
    })
}

/// Milliseconds since the Unix epoch now.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Today's date in UTC, `YYYY-MM-DD`.
#[must_use]
pub fn today() -> String {
    format_millis(now_ms()).get(..10).unwrap_or_default().to_owned()
}

/// Reads a local text file.
///
/// # Errors
/// [`Error::Input`] naming the file.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))
}

/// Reads a local JSON file into `T`.
///
/// # Errors
/// [`Error::Input`] naming the file.
pub fn read_json_file<T: DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| Error::Input(format!("{}: not {what}: {e}", path.display())))
}

/// Reads an edge answer into `T`.
///
/// # Errors
/// [`Error::Protocol`] when the answer does not have the documented shape.
pub fn answer<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::Protocol(format!("unexpected answer to {what}: {e}")))
}

/// Table rows for summaries.
#[must_use]
pub fn summary_rows(receipts: &[ReceiptSummary]) -> Vec<Vec<String>> {
    receipts
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.server_time.clone(),
                r.subject.clone(),
                r.action.clone(),
                r.policy_version.to_string(),
                crate::output::ids(r.granted.as_deref()),
                crate::output::ids(r.denied.as_deref()),
            ]
        })
        .collect()
}

/// Header of [`summary_rows`].
pub const SUMMARY_HEADER: [&str; 7] = ["ID", "SERVER TIME", "SUBJECT", "ACTION", "POLICY", "GRANTED", "DENIED"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_are_normalised() {
        assert_eq!(time_bound("--from", "2026-11-23").unwrap(), "2026-11-23T00:00:00.000Z");
        assert_eq!(time_bound("--from", "2026-11-23T10:11:12Z").unwrap(), "2026-11-23T10:11:12.000Z");
        assert_eq!(time_bound("--to", "2026-11-23T10:11:12.345Z").unwrap(), "2026-11-23T10:11:12.345Z");
        for bad in ["2026-13-01", "yesterday", "2026-11-23T10:11:12+05:00", "", "２０２６-11-23"] {
            let e = time_bound("--to", bad).unwrap_err();
            assert!(e.to_string().starts_with("--to "), "{e}");
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(check_site("crm-demo").is_ok());
        assert!(check_site("../x").is_err());
        assert!(check_subject(&"A".repeat(43)).is_ok());
        assert!(check_subject("x/../y").is_err());
        assert_eq!(today().len(), 10);
    }
}
