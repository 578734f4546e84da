//! How an export's chunks are framed: the CSV header line, and the cursor of the next chunk (a
//! response header, and a last line of the body for clients that cannot read headers).

/// The CSV header line of an export.
pub const CSV_HEADER: &str =
    "id,server_time,client_time,subject,action,policy_version,policy_sha256,language,gpc,granted,denied,visitor_signed,hash,prev,kid\n";

/// The response header that carries the cursor of an export's next chunk (absent after the last).
pub const NEXT_CURSOR_HEADER: &str = "Kelisim-Next-Cursor";

/// The same cursor also ends the body, as one last line starting with this (for clients that
/// cannot read headers; it is neither JSON nor a CSV row, so it is never taken for a record).
pub const NEXT_CURSOR_LINE: &str = "kelisim-next-cursor: ";

/// The line that ends an export chunk after which more remains.
#[must_use]
pub fn next_cursor_line(cursor: &str) -> String {
    format!("{NEXT_CURSOR_LINE}{cursor}\n")
}
