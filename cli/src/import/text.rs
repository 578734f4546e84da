//! Plain text as Word ("Plain Text") and Google Docs ("Plain text (.txt)") export it: one
//! paragraph per line, numbering and bullets written into the line. Also the decoding of every
//! text format: UTF-8 (with or without BOM) or UTF-16 with a BOM; binary content refused.

use super::{ImportError, Para};

/// Decodes a text file.
///
/// # Errors
/// [`ImportError::Binary`] for content with NUL or other control bytes that text never has;
/// [`ImportError::NotUtf8`] for another encoding; [`ImportError::Empty`].
pub fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, u16::from_le_bytes)?
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, u16::from_be_bytes)?
    } else {
        let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        if looks_binary(bytes) {
            return Err(ImportError::Binary);
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| ImportError::NotUtf8)?
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) {
        return Err(ImportError::Binary);
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(text)
}

fn utf16(bytes: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, ImportError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(ImportError::NotUtf8);
    }
    let units: Vec<u16> = bytes.chunks_exact(2).map(|c| word([c[0], c[1]])).collect();
    String::from_utf16(&units).map_err(|_| ImportError::NotUtf8)
}

/// NUL bytes, or many control bytes, in the first 8 KiB: an executable, an image, an archive.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8 * 1024)];
    head.contains(&0) || head.iter().filter(|b| b.is_ascii_control() && !b"\n\r\t\x0c".contains(b)).count() > 8
}

/// One paragraph per line; blank lines dropped.
#[must_use]
pub fn read(text: &str) -> Vec<Para> {
    text.lines().filter(|l| !l.trim().is_empty()).map(Para::plain).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(decode("\u{feff}Текст".as_bytes()).unwrap(), "Текст");
        let mut le = vec![0xFF, 0xFE];
        le.extend("Тест\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le).unwrap(), "Тест\r\n");
        let mut be = vec![0xFE, 0xFF];
        be.extend("Тест".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), "Тест");
        assert_eq!(decode(b"\x7fELF\x02\x01\x01\x00\x00"), Err(ImportError::Binary));
        assert_eq!(decode(&[0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]), Err(ImportError::NotUtf8), "windows-1251");
        assert_eq!(decode(b" \n\t"), Err(ImportError::Empty));
        assert_eq!(decode(b"ok\x1b[31m"), Err(ImportError::Binary));
    }

    #[test]
    fn lines_are_paragraphs() {
        assert_eq!(read("a\r\n\r\n b \n"), vec![Para::plain("a"), Para::plain(" b ")]);
    }
}
