//! `kelisim receipts list|get|verify|export`.

use kelisim_core::api::export::NEXT_CURSOR_LINE;
use kelisim_core::api::receipts::{ChainLink, ReceiptDetail, ReceiptPage, ReceiptSummary};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use kelisim_core::id::{check_slug, ulid_time_ms};
use kelisim_core::limits::MAX_PAGE_LIMIT;
use serde_json::{json, Value};

use super::{answer, check_site, check_subject, time_bound, Ctx, SUMMARY_HEADER};
use crate::atomic::AtomicFile;
use crate::client::{Access, Client, Req};
use crate::error::{Error, Result, EXIT_INVALID, EXIT_OK};
use crate::ledger::inclusion::{check_inclusion, Inclusion};
use crate::ledger::source::{HttpLogSource, LogSource};
use crate::ledger::trust::checkpoint_verifier;
use crate::ledger::witness::latest_checkpoint;
use crate::output::{note, out, out_json, stdout_error, table};
use crate::verify::{read_records, reasons, verdict, verdict_of, Record};

/// Pages `--all` follows at most (1000 pages of up to 1000 receipts); beyond, use `export`.
const MAX_PAGES: usize = 1000;
/// How often progress is redrawn on a terminal.
const PROGRESS_EVERY_TTY: Duration = Duration::from_millis(200);
/// How often a progress line is written when standard error is not a terminal.
const PROGRESS_EVERY_LOG: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decision {
    Granted,
    Denied,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Ndjson,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCmd {
    /// Lists receipts, newest first (one page unless --all)
    List {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// Inclusive lower bound on server time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z
        #[arg(long)]
        from: Option<String>,
        /// Exclusive upper bound on server time
        #[arg(long)]
        to: Option<String>,
        /// Only this subject's receipts (a subject id may start with `-`)
        #[arg(long, allow_hyphen_values = true)]
        subject: Option<String>,
        /// Only receipts with a decision on this category
        #[arg(long)]
        category: Option<String>,
        /// With --category: only this decision
        #[arg(long, requires = "category")]
        decision: Option<Decision>,
        /// Receipts per page (1–1000; the edge's default is 100)
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=MAX_PAGE_LIMIT as i64))]
        limit: Option<u16>,
        /// Continues a previous listing
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Follows the cursor to the end
        #[arg(long)]
        all: bool,
        /// Prints {"receipts":[…],"cursor":…} instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Shows one receipt as JSON and checks it against the edge's JWKS (or --jwks)
    Get {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// The receipt id (a ULID)
        id: String,
        /// Verifies against this JWKS (file or URL) instead of the edge's
        #[arg(long)]
        jwks: Option<String>,
    },
    /// Verifies signed receipts against the JWKS and proves each one in the site's log
    #[command(after_help = "Exit codes: 0 every receipt is genuine and in the log (or signed before the ledger); \
                            1 a receipt does not verify, is not proven in the log, or was erased from it; 2 usage, \
                            input, network or API error; 4 the log's checkpoint does not verify.")]
    Verify {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        /// A signed receipt, a `receipts get` answer, or an NDJSON export; `-` or nothing for stdin
        input: Option<PathBuf>,
        /// Verifies against this JWKS (file or URL) instead of the edge's
        #[arg(long)]
        jwks: Option<String>,
        /// The log's verifier key to trust (<origin>+<id>+<key>); default: the key the edge
        /// publishes, accepted only if it is one of the edge's JWKS keys
        #[arg(long)]
        key: Option<String>,
    },
    /// Exports receipts: NDJSON (one signed receipt per line, verifiable) or CSV
    Export {
        /// The site id, e.g. crm-demo
        #[arg(long)]
        site: String,
        #[arg(long, value_enum, default_value = "ndjson")]
        format: Format,
        /// Inclusive lower bound on server time: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.sss]Z
        #[arg(long)]
        from: Option<String>,
        /// Exclusive upper bound on server time
        #[arg(long)]
        to: Option<String>,
        /// Writes here (whole or not at all) instead of standard output
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Shows progress on standard error even when it is not a terminal
        #[arg(long)]
        progress: bool,
    },
}

/// Runs a `receipts` command.
///
/// # Errors
/// Any [`Error`].
pub fn run(ctx: &Ctx, cmd: &ReceiptsCmd) -> Result<u8> {
    match cmd {
        ReceiptsCmd::List { site, from, to, subject, category, decision, limit, cursor, all, json } => {
            check_site(site)?;
            let from = from.as_deref().map(|v| time_bound("--from", v)).transpose()?;
            let to = to.as_deref().map(|v| time_bound("--to", v)).transpose()?;
            if let Some(s) = subject {
                check_subject(s)?;
            }
            if let Some(c) = category {
                check_slug("category", c).map_err(|e| Error::Usage(format!("--category: {e}")))?;
            }
            let decision = decision.map(|d| match d {
                Decision::Granted => "granted",
                Decision::Denied => "denied",
            });
            let client = ctx.client()?;
            let base = Req::get(
                format!("/v1/sites/{site}/receipts"),
                Access::Scope("read"),
                format!("list receipts of site {site}"),
            )
            .query_opt("from", from.as_deref())
            .query_opt("to", to.as_deref())
            .query_opt("subject", subject.as_deref())
            .query_opt("category", category.as_deref())
            .query_opt("decision", decision)
            .query_opt("limit", limit.map(|l| l.to_string()).as_deref());
            list(&client, &base, cursor.clone(), *all, *json)
        }
        ReceiptsCmd::Get { site, id, jwks } => get(ctx, site, id, jwks.as_deref()),
        ReceiptsCmd::Verify { site, input, jwks, key } => {
            verify_in_log(ctx, site, input.as_ref(), jwks.as_deref(), key.as_deref())
        }
        ReceiptsCmd::Export { site, format, from, to, output, progress } => {
            check_site(site)?;
            let from = from.as_deref().map(|v| time_bound("--from", v)).transpose()?;
            let to = to.as_deref().map(|v| time_bound("--to", v)).transpose()?;
            let format_name = match format {
                Format::Ndjson => "ndjson",
                Format::Csv => "csv",
            };
            let req = Req::get(
                format!("/v1/sites/{site}/export"),
                Access::Scope("export"),
                format!("export receipts of site {site}"),
            )
            .query("format", format_name)
            .query_opt("from", from.as_deref())
            .query_opt("to", to.as_deref());
            let show = *progress || std::io::stderr().is_terminal();
            export(&ctx.client()?, &req, *format, output.as_ref(), show)
        }
    }
}

fn list(client: &Client, base: &Req, mut cursor: Option<String>, all: bool, json: bool) -> Result<u8> {
    let mut raw: Vec<Value> = Vec::new();
    let mut summaries: Vec<ReceiptSummary> = Vec::new();
    let mut seen_cursors = std::collections::BTreeSet::new();
    for _ in 0..MAX_PAGES {
        let req = base.clone().query_opt("cursor", cursor.as_deref());
        let value = client.json(&req)?;
        raw.extend(value.get("receipts").and_then(Value::as_array).cloned().unwrap_or_default());
        let page: ReceiptPage = answer(value, "receipts list")?;
        summaries.extend(page.receipts);
        cursor = page.cursor;
        match &cursor {
            Some(c) if all => {
                if !seen_cursors.insert(c.clone()) {
                    return Err(Error::Protocol("the edge returned the same cursor twice".into()));
                }
            }
            _ => break,
        }
    }
    if json {
        out_json(&json!({ "receipts": raw, "cursor": cursor }))?;
        return Ok(EXIT_OK);
    }
    if summaries.is_empty() {
        note("no receipts match");
    } else {
        out(&table(&SUMMARY_HEADER, &super::summary_rows(&summaries)))?;
    }
    if let Some(c) = cursor {
        let hint = if all {
            format!("stopped after {MAX_PAGES} pages; use `receipts export` for more")
        } else {
            format!("more receipts: add --cursor {c} (or --all)")
        };
        note(&hint);
    }
    Ok(EXIT_OK)
}

fn get(ctx: &Ctx, site: &str, id: &str, jwks_source: Option<&str>) -> Result<u8> {
    check_site(site)?;
    if ulid_time_ms(id).is_none() {
        return Err(Error::Usage(format!(
            "receipt id {:?}: expected a ULID (26 characters)",
            crate::error::one_line(id)
        )));
    }
    let client = ctx.client()?;
    let jwks = match jwks_source {
        Some(source) => super::verify::load_jwks(source)?,
        None => {
            let value = client.json(&Req::get("/.well-known/jwks.json", Access::Public, "read the edge's JWKS"))?;
            crate::verify::parse_jwks(value, &format!("{}/.well-known/jwks.json", client.base()))?
        }
    };
    let value = client.json(&Req::get(
        format!("/v1/sites/{site}/receipts/{id}"),
        Access::Scope("read"),
        format!("read receipts of site {site}"),
    ))?;
    out_json(&value)?;
    let got: ReceiptDetail = answer(value, "receipts get")?;
    let mine = verdict(&got.signed, &jwks);
    note(&mine.line());
    match got.chain {
        ChainLink { prev: None, .. } => note("chain: first receipt of this subject"),
        ChainLink { prev: Some(p), prev_found: Some(true) } => note(&format!("chain: previous receipt {p} is held")),
        ChainLink { prev: Some(p), .. } => {
            note(&format!("chain: previous receipt {p} is not held (erased, or never received)"))
        }
    }
    if got.valid != mine.is_valid() {
        let edge_reasons = reasons(&got.signed.verify(&jwks)).join("; ");
        note(&format!("warning: the edge says valid={}, the local check disagrees ({edge_reasons})", got.valid));
    }
    Ok(if mine.is_valid() { EXIT_OK } else { EXIT_INVALID })
}

/// `receipts verify`: each receipt's signatures, then its inclusion in the log at the latest
/// verified checkpoint.
fn verify_in_log(ctx: &Ctx, site: &str, input: Option<&PathBuf>, jwks: Option<&str>, key: Option<&str>) -> Result<u8> {
    check_site(site)?;
    let client = ctx.client()?;
    let source = HttpLogSource { client: &client, site: site.to_owned() };
    let jwks = match jwks {
        Some(j) => super::verify::load_jwks(j)?,
        None => source.jwks()?,
    };
    let verifier = checkpoint_verifier(&source, site, key, &jwks)?;
    let checkpoint = latest_checkpoint(&source, &verifier, None)?;
    let (reader, name) = super::verify::open_input(input)?;
    let (mut valid, mut invalid) = (0usize, 0usize);
    read_records(reader, &name, |_, record| {
        let verdict = verdict_of(&record, &jwks);
        let line = match (&record, verdict.is_valid()) {
            (Record::Receipt(signed), true) => {
                let inclusion = check_inclusion(&source, &checkpoint, signed)?;
                if matches!(inclusion, Inclusion::Included { .. } | Inclusion::NoPosition) {
                    valid += 1;
                    format!("{}; {}", verdict.line(), inclusion.describe())
                } else {
                    invalid += 1;
                    format!("INVALID {}: {}", verdict.label, inclusion.describe())
                }
            }
            _ => {
                invalid += 1;
                verdict.line()
            }
        };
        out(&crate::error::one_line(&line))
    })?;
    note(&format!("{valid} valid and in the log, {invalid} not (checkpoint size {})", checkpoint.size()));
    Ok(if invalid == 0 { EXIT_OK } else { EXIT_INVALID })
}

/// Counts bytes and records while an export streams, and reports them.
struct Progress {
    show: bool,
    tty: bool,
    bytes: u64,
    lines: u64,
    last_byte: Option<u8>,
    last_report: Instant,
}

impl Progress {
    fn records(&self, format: Format) -> u64 {
        let complete_lines = self.lines + u64::from(self.last_byte.is_some_and(|b| b != b'\n'));
        match format {
            Format::Ndjson => complete_lines,
            Format::Csv => complete_lines.saturating_sub(1),
        }
    }

    fn update(&mut self, chunk: &[u8], format: Format) {
        self.bytes += chunk.len() as u64;
        self.lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(&b) = chunk.last() {
            self.last_byte = Some(b);
        }
        let every = if self.tty { PROGRESS_EVERY_TTY } else { PROGRESS_EVERY_LOG };
        if self.show && self.last_report.elapsed() >= every {
            self.report(format, false);
            self.last_report = Instant::now();
        }
    }

    fn report(&self, format: Format, done: bool) {
        let text =
            format!("{} records, {} bytes{}", self.records(format), self.bytes, if done { " — done" } else { "" });
        if self.tty {
            let end = if done { "\n" } else { "" };
            let _ = write!(std::io::stderr(), "\r{text}{end}");
        } else {
            note(&text);
        }
    }
}

/// Export requests followed at most (each up to 900 receipts: 90 million in all).
const MAX_EXPORT_REQUESTS: usize = 100_000;

/// Splits an export chunk into its records and the cursor of the next chunk, if its last line
/// names one.
fn split_chunk(chunk: &[u8]) -> (&[u8], Option<String>) {
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    match body.get(start..).and_then(|last| last.strip_prefix(NEXT_CURSOR_LINE.as_bytes())) {
        Some(cursor) if !cursor.is_empty() => {
            (chunk.get(..start).unwrap_or_default(), Some(String::from_utf8_lossy(cursor).into_owned()))
        }
        _ => (chunk, None),
    }
}

/// Reads one export chunk whole (each is bounded by the edge: one index page of receipts).
fn read_chunk(client: &Client, req: &Req, bytes_so_far: u64, kept: &str) -> Result<Vec<u8>> {
    let mut body = client.send(req)?;
    let mut chunk = Vec::new();
    body.read_to_end(&mut chunk).map_err(|e| Error::Unreachable {
        url: client.base().to_owned(),
        reason: format!("export cut short after {} bytes: {e}{kept}", bytes_so_far + chunk.len() as u64),
    })?;
    Ok(chunk)
}

/// Follows an export's chunks (each one request, under the edge's per-request limits) to the
/// end, writing their records as one file.
fn export(client: &Client, req: &Req, format: Format, output: Option<&PathBuf>, show: bool) -> Result<u8> {
    // Create the temporary file first, so an unwritable directory fails before any download.
    let mut file = output.map(|path| AtomicFile::create(path, None)).transpose()?;
    let kept = if file.is_some() { "; nothing was written" } else { "" };
    let tty = std::io::stderr().is_terminal();
    let mut progress = Progress { show, tty, bytes: 0, lines: 0, last_byte: None, last_report: Instant::now() };
    let mut stdout = std::io::stdout().lock();
    let mut cursor: Option<String> = None;
    let mut requests = 0;
    loop {
        requests += 1;
        if requests > MAX_EXPORT_REQUESTS {
            return Err(Error::Protocol(format!("the export did not end after {MAX_EXPORT_REQUESTS} requests{kept}")));
        }
        let this = req.clone().query_opt("cursor", cursor.as_deref());
        let chunk = read_chunk(client, &this, progress.bytes, kept).inspect_err(|_| {
            if show && tty {
                note("");
            }
        })?;
        let (records, next) = split_chunk(&chunk);
        if records.last().is_some_and(|&b| b != b'\n') {
            return Err(Error::Protocol(format!("the export ended in the middle of a record{kept}")));
        }
        match file.as_mut() {
            Some(f) => {
                f.write_all(records).map_err(|e| Error::Output(format!("cannot write {}: {e}", f.path().display())))?
            }
            None => stdout.write_all(records).map_err(stdout_error)?,
        }
        progress.update(records, format);
        match next {
            Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
            Some(_) => return Err(Error::Protocol(format!("the edge named the same export cursor twice{kept}"))),
            None => break,
        }
    }
    match file {
        Some(f) => {
            let path = f.path().display().to_string();
            f.commit()?;
            if show {
                progress.report(format, true);
            }
            note(&format!("wrote {} records to {path}", progress.records(format)));
        }
        None => {
            stdout.flush().map_err(stdout_error)?;
            if show {
                progress.report(format, true);
            }
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_ends_with_the_next_cursor_or_not() {
        assert_eq!(split_chunk(b"{\"a\":1}\nkelisim-next-cursor: abc=\n"), (&b"{\"a\":1}\n"[..], Some("abc=".into())));
        assert_eq!(split_chunk(b"kelisim-next-cursor: x\n"), (&b""[..], Some("x".into())));
        assert_eq!(split_chunk(b"{\"a\":1}\n"), (&b"{\"a\":1}\n"[..], None));
        assert_eq!(split_chunk(b""), (&b""[..], None));
        assert_eq!(split_chunk(b"id,x\n1,2\n"), (&b"id,x\n1,2\n"[..], None));
    }

    #[test]
    fn records_are_counted_per_format() {
        let mut p =
            Progress { show: false, tty: false, bytes: 0, lines: 0, last_byte: None, last_report: Instant::now() };
        p.update(b"{\"a\":1}\n{\"b\"", Format::Ndjson);
        p.update(b":2}\n", Format::Ndjson);
        assert_eq!((p.records(Format::Ndjson), p.bytes), (2, 16));
        let mut c =
            Progress { show: false, tty: false, bytes: 0, lines: 0, last_byte: None, last_report: Instant::now() };
        c.update(b"id,x\n1,2\n3,4\n", Format::Csv);
        assert_eq!(c.records(Format::Csv), 2);
        let empty =
            Progress { show: false, tty: false, bytes: 0, lines: 0, last_byte: None, last_report: Instant::now() };
        assert_eq!(empty.records(Format::Csv), 0);
    }
}
