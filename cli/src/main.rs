//! `kelisim`: the operator command line for Kelisim. It talks to the edge's operator API
//! (`docs/operator-api.md`) and verifies receipts offline.
//!
//! # Layout
//! - `main.rs`: the command line (clap) and exit codes.
//! - [`client`]: HTTP to the edge; every transport failure and refusal becomes one [`error::Error`].
//! - [`commands`]: one module per command group (`site`, `token`, `receipts`, `subject`, `policy`, `key`, `verify`).
//! - [`import`]: a site owner's document (.docx, .html, .md, .txt) to policy blocks, findings
//!   and a local draft (pure but for the draft file).
//! - [`ledger`]: the site's log: the witness (`log verify`), receipt inclusion (`receipts
//!   verify`) and the verifying SQLite mirror (`mirror`), pure over a log-source seam.
//! - [`verify`]: reading signed receipts in every shape the edge hands out, and verdicts (pure).
//! - [`devvars`]: rotating `EDGE_SIGNING_KEYS` in a `.dev.vars` file (pure).
//! - [`atomic`]: files written whole or not at all.
//! - [`output`]: standard output, notes on standard error, tables.
//!
//! # Exit codes
//! 0 done; 1 a receipt or erasure record does not verify (or, for `log verify --records`, a
//! receipt's KV record is missing or different); 2 usage or input error, edge unreachable, or a
//! refusal by the edge (the message says which); 3 a site's log is inconsistent with what the
//! witness or mirror holds; 4 a checkpoint or receipt signature in the log does not verify.

mod atomic;
mod client;
mod commands;
mod devvars;
mod error;
mod import;
mod ledger;
mod output;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::key::KeyCmd;
use commands::log::LogCmd;
use commands::mirror::MirrorArgs;
use commands::policy::PolicyCmd;
use commands::receipts::ReceiptsCmd;
use commands::site::SiteCmd;
use commands::subject::SubjectCmd;
use commands::token::TokenCmd;
use commands::verify::VerifyArgs;
use commands::Ctx;

/// The operator command line for Kelisim: sites, policies, tokens, receipts, subjects, keys.
#[derive(Debug, Parser)]
#[command(name = "kelisim", version, propagate_version = true)]
#[command(after_help = "Exit codes: 0 done; 1 a receipt does not verify; 2 usage, input, network or API error; \
                        3 a log is inconsistent (log verify, mirror); 4 a signature in a log does not verify.")]
struct Cli {
    /// The edge's URL
    #[arg(long, global = true, env = "KELISIM_EDGE", default_value = "http://127.0.0.1:8787")]
    edge: String,
    /// Operator token (admin or site token)
    #[arg(long, global = true, env = "KELISIM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sites: configure origins (admin), print the tag to paste
    #[command(subcommand)]
    Site(SiteCmd),
    /// Site tokens (admin token only)
    #[command(subcommand)]
    Token(TokenCmd),
    /// Query, show and export receipts
    #[command(subcommand)]
    Receipts(ReceiptsCmd),
    /// A data subject's consent, and erasure
    #[command(subcommand)]
    Subject(SubjectCmd),
    /// Import a policy document, review, edit and publish it; list versions
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Edge signing keys
    #[command(subcommand)]
    Key(KeyCmd),
    /// Verify signed receipts offline against a JWKS
    Verify(VerifyArgs),
    /// The site's tamper-evident log: verify checkpoints (a witness) and KV records
    #[command(subcommand)]
    Log(LogCmd),
    /// Copy the site's log and receipts into a local SQLite database, verifying as it pulls
    Mirror(MirrorArgs),
}

fn run(cli: &Cli) -> error::Result<u8> {
    let ctx = Ctx { edge: cli.edge.clone(), token: cli.token.clone() };
    match &cli.command {
        Command::Site(cmd) => commands::site::run(&ctx, cmd),
        Command::Token(cmd) => commands::token::run(&ctx, cmd),
        Command::Receipts(cmd) => commands::receipts::run(&ctx, cmd),
        Command::Subject(cmd) => commands::subject::run(&ctx, cmd),
        Command::Policy(cmd) => commands::policy::run(&ctx, cmd),
        Command::Key(cmd) => commands::key::run(cmd),
        Command::Verify(args) => commands::verify::run(args),
        Command::Log(cmd) => commands::log::run(&ctx, cmd),
        Command::Mirror(args) => commands::mirror::run(&ctx, args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !matches!(e, error::Error::BrokenPipe) {
                output::note(&format!("kelisim: {}", e.one_line()));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_subject_id_may_start_with_a_hyphen() {
        // Subject ids are base64url: one in 64 starts with `-`, which must not read as a flag.
        let subject = "-WzY8bO3Tq1lq4rN0Gm2pV7kXy5cH9dJeUfA6sR_iKo";
        for args in [
            vec!["kelisim", "subject", "show", "--site", "s", subject],
            vec!["kelisim", "subject", "erase", "--site", "s", subject, "--json"],
            vec!["kelisim", "receipts", "list", "--site", "s", "--subject", subject],
        ] {
            assert!(Cli::try_parse_from(&args).is_ok(), "{args:?}");
        }
    }

    #[test]
    fn arguments_parse() {
        let cli = Cli::try_parse_from([
            "kelisim",
            "receipts",
            "list",
            "--site",
            "s",
            "--category",
            "analytics",
            "--decision",
            "granted",
            "--edge",
            "http://e",
        ])
        .unwrap();
        assert_eq!(cli.edge, "http://e");
        assert!(Cli::try_parse_from(["kelisim", "receipts", "list", "--site", "s", "--decision", "granted"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "receipts", "list", "--site", "s", "--limit", "0"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "token", "create", "--site", "s", "--scopes", "read,bogus"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "token", "create", "--site", "s", "--scopes", "read,export"]).is_ok());
        assert!(Cli::try_parse_from(["kelisim", "policy", "publish", "--site", "s"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "policy", "publish", "--site", "s", "p.json", "--text", "ru=a.md"])
            .is_err());
        assert!(Cli::try_parse_from([
            "kelisim",
            "policy",
            "publish",
            "--site",
            "s",
            "--text",
            "ru=a.md",
            "--text",
            "kk=b.md",
            "--material"
        ])
        .is_ok());
        assert!(Cli::try_parse_from(["kelisim", "verify", "-", "--jwks", "j.json"]).is_ok());
        assert!(Cli::try_parse_from(["kelisim", "verify", "x.json"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "log", "verify", "--site", "s", "--state", "f", "--records"]).is_ok());
        assert!(Cli::try_parse_from(["kelisim", "mirror", "--site", "s", "--db", "m.sqlite"]).is_ok());
        assert!(Cli::try_parse_from(["kelisim", "mirror", "--site", "s"]).is_err());
        assert!(Cli::try_parse_from(["kelisim", "receipts", "verify", "--site", "s", "-"]).is_ok());
    }
}
