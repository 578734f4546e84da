//! Reading a document file whole, within [`MAX_IMPORT_BYTES`], and deciding its format from
//! its extension.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ImportError;

/// Largest document imported. A policy of 40 pages is well under 1 MiB even as `.docx` with a
/// logo; 20 MiB admits documents with images while refusing what cannot be a policy.
pub const MAX_IMPORT_BYTES: u64 = 20 * 1024 * 1024;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Docx,
    Html,
    Markdown,
    Text,
}

impl Format {
    /// The format a file name's extension says.
    ///
    /// # Errors
    /// [`ImportError::UnsupportedFormat`] for `.doc`, `.pdf`, `.rtf`, `.odt` and anything else.
    pub fn of(name: &str) -> Result<Self, ImportError> {
        let ext = Path::new(name).extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "docx" => Ok(Self::Docx),
            "html" | "htm" => Ok(Self::Html),
            "md" | "markdown" => Ok(Self::Markdown),
            "txt" | "text" | "" => Ok(Self::Text),
            other => Err(ImportError::UnsupportedFormat(format!(".{other}"))),
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Docx => "docx",
            Self::Html => "html",
            Self::Markdown => "markdown",
            Self::Text => "text",
        }
    }
}

/// Reads `path` whole, refusing files over [`MAX_IMPORT_BYTES`] before reading them.
///
/// # Errors
/// [`ImportError::TooLarge`], [`ImportError::Empty`], or [`ImportError::Malformed`] naming an
/// I/O failure.
pub fn read_source(path: &Path) -> Result<Vec<u8>, ImportError> {
    let io = |e: std::io::Error| ImportError::Malformed(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge { size, max: MAX_IMPORT_BYTES });
    }
    let mut bytes = Vec::new();
    // The file may grow while it is read: never read past the limit.
    file.take(MAX_IMPORT_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge { size: bytes.len() as u64, max: MAX_IMPORT_BYTES });
    }
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(bytes)
}
