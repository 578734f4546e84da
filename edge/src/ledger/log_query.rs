//! Strict parsing of the log routes' queries (`…/log/proof/inclusion`, `…/log/proof/consistency`):
//! known names only, each once, sizes as canonical decimals within the largest tree size.

use kelisim_core::id::ulid_time_ms;
use kelisim_core::ErrorCode;
use kelisim_ledger::limits::MAX_TREE_SIZE;

use super::proofs::LeafRef;
use crate::error::ApiError;

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidQuery, message)
}

/// A size or index: ASCII digits, no sign, no leading zero, at most [`MAX_TREE_SIZE`].
fn number(name: &str, value: &str) -> Result<u64, ApiError> {
    let canonical = !value.is_empty()
        && value.len() <= 16
        && value.bytes().all(|b| b.is_ascii_digit())
        && (value == "0" || !value.starts_with('0'));
    value
        .parse::<u64>()
        .ok()
        .filter(|n| canonical && *n <= MAX_TREE_SIZE)
        .ok_or_else(|| invalid(format!("{name}: expected a non-negative integer")))
}

fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), ApiError> {
    if slot.replace(value).is_some() {
        return Err(invalid(format!("{name}: given twice")));
    }
    Ok(())
}

/// `id={ULID}` or `index={n}` (exactly one), optional `size={n}`.
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_inclusion<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(LeafRef, Option<u64>), ApiError> {
    let (mut leaf, mut size) = (None, None);
    for (name, value) in pairs {
        match name {
            "id" if ulid_time_ms(value).is_some() => set(&mut leaf, "id/index", LeafRef::Id(value.to_owned()))?,
            "id" => return Err(invalid("id: expected a receipt id (ULID)")),
            "index" => set(&mut leaf, "id/index", LeafRef::Index(number(name, value)?))?,
            "size" => set(&mut size, name, number(name, value)?)?,
            _ => return Err(invalid(format!("{name}: unknown parameter"))),
        }
    }
    Ok((leaf.ok_or_else(|| invalid("id or index is required"))?, size))
}

/// `from={m}&to={n}`, both required.
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_consistency<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(u64, u64), ApiError> {
    let (mut from, mut to) = (None, None);
    for (name, value) in pairs {
        match name {
            "from" => set(&mut from, name, number(name, value)?)?,
            "to" => set(&mut to, name, number(name, value)?)?,
            _ => return Err(invalid(format!("{name}: unknown parameter"))),
        }
    }
    Ok((from.ok_or_else(|| invalid("from is required"))?, to.ok_or_else(|| invalid("to is required"))?))
}

/// No query at all (the checkpoint, key and tile routes).
///
/// # Errors
/// 400 `invalid_query`.
pub fn parse_none<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), ApiError> {
    match pairs.into_iter().next() {
        Some((name, _)) => Err(invalid(format!("{name}: unknown parameter"))),
        None => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_queries_are_strict() {
        let id = "01KBF000000000000000000000";
        assert_eq!(parse_inclusion([("id", id)]).unwrap(), (LeafRef::Id(id.into()), None));
        assert_eq!(parse_inclusion([("index", "7"), ("size", "9")]).unwrap(), (LeafRef::Index(7), Some(9)));
        for bad in [
            vec![],
            vec![("size", "3")],
            vec![("index", "1"), ("id", id)],
            vec![("index", "01")],
            vec![("index", "-1")],
            vec![("index", "+1")],
            vec![("index", "")],
            vec![("index", "9007199254740992")],
            vec![("index", "1"), ("size", "2"), ("size", "2")],
            vec![("id", "nope")],
            vec![("index", "1"), ("limit", "2")],
        ] {
            assert_eq!(parse_inclusion(bad.clone()).unwrap_err().code.as_str(), "invalid_query", "{bad:?}");
        }
    }

    #[test]
    fn consistency_queries_are_strict() {
        assert_eq!(parse_consistency([("from", "0"), ("to", "5")]).unwrap(), (0, 5));
        for bad in [vec![("from", "1")], vec![("to", "1")], vec![("from", "1"), ("to", "2"), ("x", "")]] {
            assert!(parse_consistency(bad).is_err());
        }
        assert!(parse_none([("a", "b")]).is_err());
        assert!(parse_none([]).is_ok());
    }
}
