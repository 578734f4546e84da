//! `kelisim key rotate`: a new edge signing key in `EDGE_SIGNING_KEYS` of a `.dev.vars` file;
//! the previous key moves, public only and with its validity period, to `EDGE_RETIRED_KEYS`, so
//! receipts it signed still verify and its private half is needed nowhere again.

use std::path::PathBuf;

use clap::Subcommand;
use kelisim_core::sign::{b64url_encode, EdgeSigningKey};

use crate::devvars::{rotate, RETIRED_VAR, VAR};
use crate::error::{Error, Result, EXIT_OK};
use crate::output::out;

/// Bytes of an Ed25519 seed.
const SEED_BYTES: usize = 32;

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Generates a key for EDGE_SIGNING_KEYS; the old one goes, public only, to EDGE_RETIRED_KEYS
    Rotate {
        /// The file holding EDGE_SIGNING_KEYS
        #[arg(long, default_value = "edge/.dev.vars")]
        dev_vars: PathBuf,
        /// The new key's id (default k<YYYYMMDD>)
        #[arg(long)]
        kid: Option<String>,
        /// Also prints the new EDGE_SIGNING_KEYS value (a secret)
        #[arg(long)]
        print_secret: bool,
    },
}

/// Runs a `key` command.
///
/// # Errors
/// [`Error::Input`] for a missing or malformed file, [`Error::Usage`] for a bad `--kid`,
/// [`Error::Output`] when the file cannot be written.
pub fn run(cmd: &KeyCmd) -> Result<u8> {
    let KeyCmd::Rotate { dev_vars, kid, print_secret } = cmd;
    let text = std::fs::read_to_string(dev_vars).map_err(|e| {
        Error::Input(format!(
            "cannot read {}: {e} (copy edge/.dev.vars.example, or run ./x dev once)",
            dev_vars.display()
        ))
    })?;
    let mut seed = [0u8; SEED_BYTES];
    getrandom::getrandom(&mut seed).map_err(|e| Error::Output(format!("no randomness from the OS: {e}")))?;
    let seed_b64 = b64url_encode(&seed);
    let today = super::today().replace('-', "");
    let rotated = rotate(&text, kid.as_deref(), &seed_b64, &today, super::now_ms()).map_err(|e| {
        if e.starts_with("--kid") {
            Error::Usage(e)
        } else {
            Error::Input(format!("{}: {e}", dev_vars.display()))
        }
    })?;
    seed.iter_mut().for_each(|b| *b = 0);
    let public = EdgeSigningKey::from_seed_b64url(&rotated.kid, &seed_b64)
        .map(|k| k.public_jwk().x)
        .map_err(|e| Error::Output(e.to_string()))?;
    crate::atomic::write(dev_vars, rotated.text.as_bytes(), None)?;
    let path = dev_vars.display();
    out(&format!("new signing key {} (public x {public}) in {path}; {} keys in the JWKS", rotated.kid, rotated.keys))?;
    out(&format!(
        "it signs from the next start of the edge; the previous key is now public only in {RETIRED_VAR} \
         with its validity period, so its receipts still verify (destroy its private copies)"
    ))?;
    out(&format!(
        "production: the {VAR} line is a secret, the {RETIRED_VAR} line is public:\n  \
         grep '^{VAR}=' {path} | cut -d= -f2- | tr -d '\"' | npx wrangler secret put {VAR}\n  \
         grep '^{RETIRED_VAR}=' {path} | cut -d= -f2- | tr -d '\"' | npx wrangler secret put {RETIRED_VAR}"
    ))?;
    if *print_secret {
        out(&format!("{VAR}={}", rotated.value))?;
    }
    Ok(EXIT_OK)
}
