//! `kelisim mirror`: a verifying, incremental copy of a site's log and receipts into SQLite
//! (docs/mirror.md).

use std::path::PathBuf;

use clap::Args;

use super::{check_site, Ctx};
use crate::error::{Result, EXIT_OK};
use crate::ledger::mirror::{db, mirror};
use crate::ledger::source::{HttpLogSource, LogSource};
use crate::ledger::trust::checkpoint_verifier;
use crate::output::out;

#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 the database holds the latest checkpoint; 2 usage, network, API or \
                        database error (the next run resumes); 3 the log is inconsistent with what the database \
                        holds (shrank, forked, a proof or entry does not match): nothing was overwritten, alert; \
                        4 a checkpoint or receipt signature does not verify: alert.")]
pub struct MirrorArgs {
    /// The site id, e.g. crm-demo
    #[arg(long)]
    pub site: String,
    /// The SQLite database (created on the first run)
    #[arg(long)]
    pub db: PathBuf,
    /// The log's verifier key to trust (<origin>+<id>+<key>); default: the key the edge
    /// publishes, accepted only if it is one of the edge's JWKS keys
    #[arg(long)]
    pub key: Option<String>,
    /// Verifies receipts against this JWKS (file or URL) instead of the edge's
    #[arg(long)]
    pub jwks: Option<String>,
}

/// Runs `mirror`.
///
/// # Errors
/// Any [`crate::error::Error`]; exit codes as documented on the command.
pub fn run(ctx: &Ctx, args: &MirrorArgs) -> Result<u8> {
    check_site(&args.site)?;
    let client = ctx.client()?;
    let source = HttpLogSource { client: &client, site: args.site.clone() };
    let mut conn = db::open(&args.db)?;
    let jwks = match &args.jwks {
        Some(j) => super::verify::load_jwks(j)?,
        None => source.jwks()?,
    };
    let verifier = checkpoint_verifier(&source, &args.site, args.key.as_deref(), &jwks)?;
    let report = mirror(&source, &mut conn, &verifier, &jwks)?;
    out(&format!(
        "mirrored {} leaves {}..{}: {} receipts, {} erasures ({} receipts erased), {} already erased; holds {}",
        verifier.origin(),
        report.from,
        report.to,
        report.receipts,
        report.erasures,
        report.erased,
        report.tombstones,
        report.to
    ))?;
    Ok(EXIT_OK)
}
