//! Base64url without padding (RFC 4648 §5), as JWS uses it (RFC 7515 §2). Decoding is strict:
//! only the 64 characters of the alphabet, no padding, no non-zero trailing bits, so every byte
//! string has exactly one text.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64url text of `bytes`, unpadded.
#[must_use]
#[inline]
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

#[inline]
fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|v| v as u32)
}

/// The bytes of a canonical unpadded base64url text; `None` for anything else.
#[must_use]
#[inline]
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
    use base64ct::{Base64UrlUnpadded, Encoding};
    use proptest::prelude::*;

    /// base64ct, strict: what it decodes and encodes back to the same text.
    fn reference_decode(s: &str) -> Option<Vec<u8>> {
        let bytes = Base64UrlUnpadded::decode_vec(s).ok()?;
        (Base64UrlUnpadded::encode_string(&bytes) == s).then_some(bytes)
    }

    #[test]
    fn every_length_matches_base64ct() {
        let data: Vec<u8> = (0..70u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
        for len in 0..data.len() {
            let text = encode(&data[..len]);
            assert_eq!(text, Base64UrlUnpadded::encode_string(&data[..len]));
            assert_eq!(decode(&text).as_deref(), Some(&data[..len]));
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
    }

    #[test]
    fn non_canonical_texts_are_refused() {
        for bad in ["A", "AB==", "AB=", "AR", "AAB", "A+B/", "AB C", "ab\n", "Zg=", "Zh", "Zm9"] {
            assert_eq!(decode(bad), None, "{bad}");
            assert_eq!(reference_decode(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_text_decodes_as_strict_base64ct_decodes_it(s in "[A-Za-z0-9_=+/ -]{0,12}") {
            prop_assert_eq!(decode(&s), reference_decode(&s));
        }

        #[test]
        fn any_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let text = encode(&bytes);
            prop_assert_eq!(&text, &Base64UrlUnpadded::encode_string(&bytes));
            prop_assert_eq!(decode(&text), Some(bytes));
        }
    }
}
