//! `kelisim token create|list|revoke`: site tokens (admin only).

use clap::{Subcommand, ValueEnum};
use kelisim_core::api::tokens::{TokenCreated, TokenListing, TOKEN_ID_CHARS};
use serde_json::json;

use super::{answer, check_site, Ctx};
use crate::client::{Access, Req};
use crate::error::{Error, Result, EXIT_OK};
use crate::output::{note, out, out_json, table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    Read,
    Export,
    Erase,
    Publish,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Export => "export",
            Self::Erase => "erase",
            Self::Publish => "publish",
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Creates a site token (admin); prints the token once, on standard output
    Create {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// Comma-separated: read, export, erase, publish
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<Scope>,
        /// A note to recognise the token by (who holds it, what for)
        #[arg(long, default_value = "")]
        label: String,
        /// Prints the edge's whole answer as JSON
        #[arg(long)]
        json: bool,
    },
    /// Lists a site's tokens (never the tokens themselves)
    List {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// Prints the edge's answer as JSON
        #[arg(long)]
        json: bool,
    },
    /// Revokes a token by id
    Revoke {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// The token id (24 hex characters, from `token list`)
        id: String,
    },
}

/// Runs a `token` command.
///
/// # Errors
/// Any [`Error`].
pub fn run(ctx: &Ctx, cmd: &TokenCmd) -> Result<u8> {
    let client = ctx.client()?;
    match cmd {
        TokenCmd::Create { site, scopes, label, json } => {
            check_site(site)?;
            let mut names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            let req = Req::new(
                "POST",
                format!("/v1/sites/{site}/tokens"),
                Access::Admin,
                format!("create tokens for site {site}"),
            )
            .json_body(&json!({ "scopes": names, "label": label }));
            let value = client.json(&req)?;
            if *json {
                out_json(&value)?;
                return Ok(EXIT_OK);
            }
            let created: TokenCreated = answer(value, "token create")?;
            note(&format!(
                "created token {} for site {site} with scopes {}; it is shown only now: store it",
                created.id,
                created.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
            ));
            out(&created.token)?;
        }
        TokenCmd::List { site, json } => {
            check_site(site)?;
            let value = client.json(&Req::get(
                format!("/v1/sites/{site}/tokens"),
                Access::Admin,
                format!("list the tokens of site {site}"),
            ))?;
            if *json {
                out_json(&value)?;
                return Ok(EXIT_OK);
            }
            let listing: TokenListing = answer(value, "token list")?;
            let rows: Vec<Vec<String>> = listing
                .tokens
                .iter()
                .map(|t| {
                    vec![
                        t.id.clone(),
                        t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","),
                        t.created.clone(),
                        t.label.clone(),
                    ]
                })
                .collect();
            out(&table(&["ID", "SCOPES", "CREATED", "LABEL"], &rows))?;
        }
        TokenCmd::Revoke { site, id } => {
            check_site(site)?;
            if id.len() != TOKEN_ID_CHARS || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(Error::Usage(format!(
                    "token id {:?}: expected {TOKEN_ID_CHARS} lowercase hex characters",
                    crate::error::one_line(id)
                )));
            }
            let req = Req::new(
                "DELETE",
                format!("/v1/sites/{site}/tokens/{id}"),
                Access::Admin,
                format!("revoke tokens of site {site}"),
            );
            client.json(&req)?;
            out(&format!("revoked token {id} of site {site}"))?;
        }
    }
    Ok(EXIT_OK)
}
