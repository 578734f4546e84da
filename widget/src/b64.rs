//! Base64url without padding (RFC 4648 §5), as JWS uses it. Decoding is strict, as core's is:
//! only the 64 characters of the alphabet, no padding, no non-zero trailing bits, so every byte
//! string has exactly one text.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url text of `bytes`, unpadded.
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|v| v as u32)
}

/// The bytes of a canonical unpadded base64url text; `None` for anything else.
#[must_use]
pub fn decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3 + 2);
    for chunk in s.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        let keep = chunk.len() - 1;
        // Bits past the last whole byte must be zero, or two texts would decode alike.
        if bytes[1 + keep..].iter().any(|b| *b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[1..=keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelisim_core::sign::{b64url_decode, b64url_encode};
    use proptest::prelude::*;

    #[test]
    fn every_length_matches_core() {
        let data: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
        for len in 0..data.len() {
            let text = encode(&data[..len]);
            assert_eq!(text, b64url_encode(&data[..len]));
            assert_eq!(decode(&text).as_deref(), Some(&data[..len]));
        }
    }

    #[test]
    fn non_canonical_texts_are_refused_as_core_refuses_them() {
        for bad in ["A", "AB==", "AB=", "AR", "AAB", "A+B/", "AB C", "ab\n", "Zg=", "Zh", "Zm9"] {
            assert_eq!(decode(bad), None, "{bad}");
            assert!(b64url_decode(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_text_decodes_as_core_decodes_it(s in "[A-Za-z0-9_=+/ -]{0,12}") {
            prop_assert_eq!(decode(&s), b64url_decode(&s).ok());
        }
    }
}
