//! The CLI's errors: each one prints as a single line and maps to an exit code.

use thiserror::Error;

/// Exit code of a command that did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code when a receipt (or erasure record) does not verify.
pub const EXIT_INVALID: u8 = 1;
/// Exit code for usage and input errors, an unreachable edge, and refusals by the edge.
pub const EXIT_ERROR: u8 = 2;
/// Exit code when a site's log is inconsistent with what the mirror or witness holds (it shrank,
/// forked, a proof or an entry does not match): alert a person, nothing was overwritten.
pub const EXIT_INCONSISTENT: u8 = 3;
/// Exit code when a signature in the log does not verify (a checkpoint or a receipt's JWS).
pub const EXIT_BAD_SIGNATURE: u8 = 4;

/// Why a command could not do its work.
#[derive(Debug, Error)]
pub enum Error {
    /// Arguments that cannot work (a malformed site id, a missing token, …).
    #[error("{0}")]
    Usage(String),
    /// A local input that is missing, unreadable or malformed.
    #[error("{0}")]
    Input(String),
    /// No HTTP answer at all: wrong URL, nothing listening, DNS, TLS.
    #[error("cannot reach the edge at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// 401: the edge does not know the token.
    #[error("401 unauthorized: {0}")]
    Unauthorized(String),
    /// 403: the token is known but may not do this.
    #[error("403 forbidden: {0}")]
    Forbidden(String),
    /// Any other refusal, with the edge's error code.
    #[error("{status} {code}: {message}")]
    Api { status: u16, code: String, message: String },
    /// An answer that is not what a Kelisim edge sends.
    #[error("{0}")]
    Protocol(String),
    /// Writing a local file failed.
    #[error("{0}")]
    Output(String),
    /// The site's log contradicts what was verified before, or itself.
    #[error("log inconsistent: {0}")]
    Inconsistent(String),
    /// A checkpoint or receipt signature in the log does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// Standard output was closed (e.g. piped into `head`): stop quietly.
    #[error("standard output closed")]
    BrokenPipe,
}

impl Error {
    /// The process exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::BrokenPipe => EXIT_OK,
            Self::Inconsistent(_) => EXIT_INCONSISTENT,
            Self::BadSignature(_) => EXIT_BAD_SIGNATURE,
            _ => EXIT_ERROR,
        }
    }

    /// The message on one line: control characters (including any the edge sent) become spaces.
    #[must_use]
    pub fn one_line(&self) -> String {
        one_line(&self.to_string())
    }
}

/// `text` with every control character replaced by a space and runs of spaces collapsed.
#[must_use]
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// Result of a command's work.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        let e = Error::Api { status: 409, code: "x".into(), message: "a\nb\r\n\tc\u{1b}[31m".into() };
        assert_eq!(e.one_line(), "409 x: a b c [31m");
        assert_eq!(e.exit_code(), EXIT_ERROR);
        assert_eq!(Error::BrokenPipe.exit_code(), EXIT_OK);
        assert_eq!(Error::Inconsistent("fork".into()).exit_code(), EXIT_INCONSISTENT);
        assert_eq!(Error::BadSignature("x".into()).exit_code(), EXIT_BAD_SIGNATURE);
        assert_eq!(Error::Inconsistent("a\nb".into()).one_line(), "log inconsistent: a b");
    }
}
