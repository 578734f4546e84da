//! `kelisim log verify`: a witness of a site's log (docs/ledger.md §7, docs/mirror.md).

use std::path::PathBuf;

use clap::Subcommand;

use super::{check_site, Ctx};
use crate::error::{Result, EXIT_INVALID, EXIT_OK};
use crate::ledger::source::{HttpLogSource, LogSource};
use crate::ledger::trust::checkpoint_verifier;
use crate::ledger::witness::{advance, check_records};
use crate::output::{note, out};

#[derive(Debug, Subcommand)]
pub enum LogCmd {
    /// Verifies the site's latest checkpoint and that it extends the last one accepted
    #[command(after_help = "Exit codes: 0 verified; 1 with --records, a receipt's KV record is missing or \
                            different; 2 usage, network or API error; 3 the log is inconsistent with the state \
                            file (shrank, forked, bad proof) or its entries; 4 a checkpoint or receipt signature \
                            does not verify.")]
    Verify {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// Keeps the last accepted checkpoint here (JSON), replaced only after a run passes
        #[arg(long)]
        state: Option<PathBuf>,
        /// The log's verifier key to trust (<origin>+<id>+<key>); default: the key the edge
        /// publishes, accepted only if it is one of the edge's JWKS keys
        #[arg(long)]
        key: Option<String>,
        /// Also walks every entry and checks each present receipt's KV record (token with the
        /// export and read scopes)
        #[arg(long)]
        records: bool,
        /// Verifies receipts against this JWKS (file or URL) instead of the edge's
        #[arg(long)]
        jwks: Option<String>,
    },
}

/// Runs a `log` command.
///
/// # Errors
/// Any [`crate::error::Error`]; exit codes as documented on the command.
pub fn run(ctx: &Ctx, cmd: &LogCmd) -> Result<u8> {
    let LogCmd::Verify { site, state, key, records, jwks } = cmd;
    check_site(site)?;
    let client = ctx.client()?;
    let source = HttpLogSource { client: &client, site: site.clone() };
    // A witness with a pinned key and no --records needs nothing else from the edge.
    let jwks = match jwks {
        Some(j) => super::verify::load_jwks(j)?,
        None if key.is_some() && !records => kelisim_core::sign::Jwks::default(),
        None => source.jwks()?,
    };
    let verifier = checkpoint_verifier(&source, site, key.as_deref(), &jwks)?;
    let seen = advance(&source, &verifier, site, state.as_deref())?;
    let latest = &seen.latest;
    out(&format!("checkpoint {} size {} root {}", latest.origin(), latest.size(), latest.root()))?;
    match seen.previous {
        Some(previous) => note(&format!("consistent with the previous checkpoint of size {previous}")),
        None if state.is_some() => note("first checkpoint seen: state file written"),
        None => note("checkpoint verified (give --state FILE to check it extends the last one seen)"),
    }
    if !records {
        return Ok(EXIT_OK);
    }
    let problems = check_records(&source, latest, &jwks)?;
    for p in &problems {
        out(&format!("RECORD {} {}: {}", p.index, p.id, p.problem))?;
    }
    note(&format!(
        "entries 0..{} walked, present receipts compared with KV: {} problems",
        latest.size(),
        problems.len()
    ));
    Ok(if problems.is_empty() { EXIT_OK } else { EXIT_INVALID })
}
