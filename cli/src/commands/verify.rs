//! `kelisim verify`: checks signed receipts offline against a JWKS.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;
use kelisim_core::sign::Jwks;

use super::read_json_file;
use crate::error::{Error, Result, EXIT_INVALID, EXIT_OK};
use crate::output::{note, out};
use crate::verify::{parse_jwks, read_records, verdict_of};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A signed receipt, a `receipts get` answer, or an NDJSON export; `-` or nothing for stdin
    pub input: Option<PathBuf>,
    /// The edge's JWKS: a file, or an http(s) URL such as https://edge/.well-known/jwks.json
    #[arg(long)]
    pub jwks: String,
}

/// Loads a JWKS from a file or an http(s) URL.
///
/// # Errors
/// [`Error::Input`], or an HTTP [`Error`] for a URL.
pub fn load_jwks(source: &str) -> Result<Jwks> {
    if source.starts_with("http://") || source.starts_with("https://") {
        parse_jwks(crate::client::fetch_public_json(source)?, source)
    } else {
        parse_jwks(read_json_file(std::path::Path::new(source), "a JWKS")?, source)
    }
}

/// Opens the receipts to verify: a file, or standard input for `-` or nothing.
///
/// # Errors
/// [`Error::Input`] for an unreadable file or a directory; [`Error::Usage`] when standard input
/// is a terminal.
pub fn open_input(input: Option<&PathBuf>) -> Result<(Box<dyn Read>, String)> {
    Ok(match input {
        Some(path) if path.as_os_str() != "-" => {
            let file =
                std::fs::File::open(path).map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(Error::Input(format!("cannot read {}: it is a directory", path.display())));
            }
            (Box::new(file), path.display().to_string())
        }
        _ => {
            if std::io::stdin().is_terminal() {
                return Err(Error::Usage("give a FILE, or pipe receipts into standard input".into()));
            }
            (Box::new(std::io::stdin().lock()), "standard input".to_owned())
        }
    })
}

/// Runs `verify`: 0 when every receipt is valid, 1 when any is not.
///
/// # Errors
/// [`Error::Input`] for a missing or malformed input or JWKS.
pub fn run(args: &VerifyArgs) -> Result<u8> {
    let jwks = load_jwks(&args.jwks)?;
    let (reader, name) = open_input(args.input.as_ref())?;
    let (mut valid, mut invalid) = (0usize, 0usize);
    read_records(reader, &name, |_, record| {
        let v = verdict_of(&record, &jwks);
        if v.is_valid() {
            valid += 1;
        } else {
            invalid += 1;
        }
        out(&v.line())
    })?;
    note(&format!("{valid} valid, {invalid} invalid"));
    Ok(if invalid == 0 { EXIT_OK } else { EXIT_INVALID })
}
