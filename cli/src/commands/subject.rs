//! `kelisim subject show|erase`: one data subject's consent state, history and erasure.

use clap::Subcommand;
use kelisim_core::api::erasure::{SignedErasure, ERASURE_JWS_TYP};
use kelisim_core::api::subjects::SubjectView;
use kelisim_core::canonical::canonicalize_value;
use kelisim_core::sign::verify_compact;
use serde_json::Value;

use super::{answer, check_site, check_subject, Ctx, SUMMARY_HEADER};
use crate::client::{Access, Req};
use crate::error::{Result, EXIT_INVALID, EXIT_OK};
use crate::output::{note, out, out_json, table};

/// Erasure requests made at most before giving up (each erases a few hundred receipts).
const MAX_ERASE_REQUESTS: usize = 10_000;
/// Pause between two steps of an erasure: Workers KV accepts one write per second to a key, and
/// each step writes the erasure's progress record.
const ERASE_STEP_PAUSE: std::time::Duration = std::time::Duration::from_millis(1_000);

#[derive(Debug, Subcommand)]
pub enum SubjectCmd {
    /// Shows a subject's current consent and every receipt held for it
    Show {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// The subject id (43 base64url characters; may start with `-`)
        #[arg(allow_hyphen_values = true)]
        subject: String,
        /// Prints the edge's answer as JSON
        #[arg(long)]
        json: bool,
    },
    /// Erases every receipt of a subject (over as many requests as it takes); prints the
    /// edge-signed erasure record
    Erase {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// The subject id (43 base64url characters; may start with `-`)
        #[arg(allow_hyphen_values = true)]
        subject: String,
        /// Prints the edge's answer as JSON
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `subject` command.
///
/// # Errors
/// Any [`crate::error::Error`].
pub fn run(ctx: &Ctx, cmd: &SubjectCmd) -> Result<u8> {
    let client = ctx.client()?;
    match cmd {
        SubjectCmd::Show { site, subject, json } => {
            check_site(site)?;
            check_subject(subject)?;
            let req = Req::get(
                format!("/v1/sites/{site}/subjects/{subject}"),
                Access::Scope("read"),
                format!("read subjects of site {site}"),
            );
            let value = client.json(&req)?;
            if *json {
                out_json(&value)?;
                return Ok(EXIT_OK);
            }
            let view: SubjectView = answer(value, "subject show")?;
            match &view.state {
                None => out(&format!("no receipts held for subject {subject} on site {site}"))?,
                Some(s) => {
                    let decisions: Vec<String> = s
                        .decisions
                        .iter()
                        .map(|(k, v)| format!("{k}={}", if v.is_granted() { "granted" } else { "denied" }))
                        .collect();
                    out(&format!(
                        "current: {} under policy v{} at {} (receipt {})\n{}",
                        s.action,
                        s.policy_version,
                        s.server_time,
                        s.receipt_id,
                        decisions.join(" ")
                    ))?;
                }
            }
            if !view.receipts.is_empty() {
                out(&format!("\n{}", table(&SUMMARY_HEADER, &super::summary_rows(&view.receipts))))?;
            }
            Ok(EXIT_OK)
        }
        SubjectCmd::Erase { site, subject, json } => {
            check_site(site)?;
            check_subject(subject)?;
            let req = Req::new(
                "DELETE",
                format!("/v1/sites/{site}/subjects/{subject}"),
                Access::Scope("erase"),
                format!("erase subjects of site {site}"),
            );
            // Each request erases a bounded batch and answers 202 `{"done":false,…}` until nothing
            // is left; then 200 with the signed record. Retrying is safe: the edge resumes.
            let mut value = client.json(&req)?;
            let mut requests = 1;
            while value.get("done") == Some(&Value::Bool(false)) {
                if requests >= MAX_ERASE_REQUESTS {
                    return Err(crate::error::Error::Protocol(format!(
                        "the erasure did not finish after {MAX_ERASE_REQUESTS} requests; run the command again to resume"
                    )));
                }
                let erased = value.get("erased").and_then(Value::as_u64).unwrap_or_default();
                note(&format!("erasing: {erased} receipts so far"));
                // Workers KV takes one write per second per key: the progress key is written each step.
                std::thread::sleep(ERASE_STEP_PAUSE);
                value = client.json(&req)?;
                requests += 1;
            }
            let erasure_value = value.get("erasure").cloned().unwrap_or(Value::Null);
            let erased: SignedErasure = answer(value.clone(), "subject erase")?;
            if *json {
                out_json(&value)?;
            } else {
                out(&format!(
                    "erased {} receipts of subject {subject} on site {site}: erasure {} at {}\n{}",
                    erased.erasure.receipt_ids.len(),
                    erased.erasure.id,
                    erased.erasure.time,
                    erased.jws
                ))?;
            }
            // The record is the proof the erasure happened: check it is the edge's, over this record.
            let jwks_value =
                client.json(&Req::get("/.well-known/jwks.json", Access::Public, "read the edge's JWKS"))?;
            let jwks = crate::verify::parse_jwks(jwks_value, "the edge's JWKS")?;
            let canonical = canonicalize_value(&erasure_value).unwrap_or_default();
            match verify_compact(&erased.jws, &jwks, Some(ERASURE_JWS_TYP)) {
                Ok((header, payload)) if payload == canonical.as_bytes() => {
                    note(&format!("erasure record signed by edge key {}", header.kid.unwrap_or_default()));
                    Ok(EXIT_OK)
                }
                Ok(_) => {
                    note("warning: the erasure JWS does not cover the record returned");
                    Ok(EXIT_INVALID)
                }
                Err(e) => {
                    note(&format!("warning: the erasure JWS does not verify: {e}"));
                    Ok(EXIT_INVALID)
                }
            }
        }
    }
}
