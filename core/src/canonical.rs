//! Canonical JSON (RFC 8785, JCS) for the subset Kelisim signs: objects, arrays, strings,
//! booleans, null and integers within ±(2^53 − 1). Floats are refused rather than approximated.
//! The text is written with kelisim-wire's primitives (string escaping, integers, member-name
//! order), the ones the widget writes its claims with.

use kelisim_wire::canonical::{boolean, hex_digit, name, name_order, null, number, string, MAX_SAFE_INTEGER};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ValidationError;

/// Serialises `value` to its canonical JSON text.
///
/// # Errors
/// [`ValidationError::NotCanonical`] for floats, out-of-range integers or unserialisable values.
pub fn to_canonical_string<T: Serialize + ?Sized>(value: &T) -> Result<String, ValidationError> {
    let value = serde_json::to_value(value).map_err(|e| ValidationError::NotCanonical(e.to_string()))?;
    canonicalize_value(&value)
}

/// Canonical JSON text of an already-parsed JSON value.
///
/// # Errors
/// [`ValidationError::NotCanonical`] for floats or integers beyond ±(2^53 − 1).
pub fn canonicalize_value(value: &Value) -> Result<String, ValidationError> {
    let mut out = String::new();
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), ValidationError> {
    match value {
        Value::Null => null(out),
        Value::Bool(b) => boolean(out, *b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                if u > MAX_SAFE_INTEGER {
                    return Err(ValidationError::NotCanonical(format!("integer {u} too large")));
                }
                number(out, u);
            } else if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > MAX_SAFE_INTEGER {
                    return Err(ValidationError::NotCanonical(format!("integer {i} too small")));
                }
                // Only negative integers get here (`as_u64` took the others).
                out.push('-');
                number(out, i.unsigned_abs());
            } else {
                return Err(ValidationError::NotCanonical(format!("non-integer number {n}")));
            }
        }
        Value::String(s) => string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            // RFC 8785 §3.2.3: members sorted by their names as UTF-16 code-unit arrays.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|(a, _), (b, _)| name_order(a, b));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                name(out, key);
                write_value(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Lowercase hex SHA-256 of `bytes`.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(hex_digit(u32::from(b >> 4)));
        out.push(hex_digit(u32::from(b)));
    }
    out
}

/// Lowercase hex SHA-256 of the canonical JSON of `value`.
///
/// # Errors
/// As [`to_canonical_string`].
pub fn canonical_sha256<T: Serialize + ?Sized>(value: &T) -> Result<String, ValidationError> {
    Ok(sha256_hex(to_canonical_string(value)?.as_bytes()))
}

/// Whether `s` is a lowercase 64-character hex SHA-256.
#[must_use]
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
