//! Editing the `EDGE_SIGNING_KEYS` line of a `.dev.vars` file: a rotation puts a new
//! `kid:seed` first and keeps every other key and every other line as it was. Pure.

use kelisim_core::id::check_slug;
use kelisim_core::sign::EdgeSigningKey;

/// The variable holding the edge's key ring.
pub const VAR: &str = "EDGE_SIGNING_KEYS";
/// Keys the edge accepts in its ring (`MAX_KEYS` in the edge's keyring): a rotation that would
/// exceed it is refused, since the edge would not start.
pub const MAX_KEYS: usize = 8;

/// The file after a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The whole new file.
    pub text: String,
    /// The new key's id.
    pub kid: String,
    /// The new value of `EDGE_SIGNING_KEYS` (secret).
    pub value: String,
    /// Keys in the ring now, the new one included.
    pub keys: usize,
}

/// One `NAME=value` line split into its parts, so the value can be replaced in place.
struct Assignment<'a> {
    /// Everything before the value (`export EDGE_SIGNING_KEYS = `).
    prefix: &'a str,
    quote: Option<char>,
    value: &'a str,
    /// Everything after the value (closing quote, comment).
    suffix: &'a str,
}

fn parse_assignment(line: &str) -> Option<Assignment<'_>> {
    let body = line.trim_start();
    let body = body.strip_prefix("export ").map_or(body, str::trim_start);
    let after_name = body.strip_prefix(VAR)?;
    let after_eq = after_name.trim_start().strip_prefix('=')?;
    let value_start = line.len() - after_eq.trim_start().len();
    let rest = &line[value_start..];
    let (prefix, tail) = line.split_at(value_start);
    match rest.chars().next() {
        Some(q @ ('"' | '\'')) => {
            let inner = &tail[1..];
            let end = inner.find(q)?;
            Some(Assignment { prefix, quote: Some(q), value: &inner[..end], suffix: &inner[end + 1..] })
        }
        _ => {
            let end = rest.find(" #").unwrap_or(rest.len());
            let value = rest[..end].trim_end();
            Some(Assignment { prefix, quote: None, value, suffix: &rest[value.len()..] })
        }
    }
}

/// The kid to use: `wanted`, or `k<YYYYMMDD>` made unique with `-2`, `-3`, … .
fn pick_kid(wanted: Option<&str>, today: &str, existing: &[&str]) -> Result<String, String> {
    if let Some(kid) = wanted {
        check_slug("kid", kid).map_err(|e| format!("--kid: {e}"))?;
        if existing.contains(&kid) {
            return Err(format!("--kid: the ring already has a key {kid}"));
        }
        return Ok(kid.to_owned());
    }
    let base = format!("k{today}");
    (1..=MAX_KEYS + 1)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|k| !existing.contains(&k.as_str()))
        .ok_or_else(|| "no free key id".to_owned())
}

/// Puts `kid:seed_b64url` first in `EDGE_SIGNING_KEYS` in the file `text`; `today` is
/// `YYYYMMDD` for the default kid. A file without the variable gets a line for it.
///
/// # Errors
/// A message (never containing a seed) when the variable appears twice, an existing entry is
/// not `kid:seed`, the kid is taken or malformed, or the ring is full.
pub fn rotate(text: &str, kid: Option<&str>, seed_b64url: &str, today: &str) -> Result<Rotated, String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let found: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| parse_assignment(l).is_some()).map(|(i, _)| i).collect();
    if found.len() > 1 {
        return Err(format!("{VAR} is set {} times; keep one line", found.len()));
    }
    let current = found.first().and_then(|&i| lines.get(i)).and_then(|l| parse_assignment(l));
    let entries: Vec<&str> = current
        .as_ref()
        .map(|a| a.value.split(',').map(str::trim).filter(|e| !e.is_empty()).collect())
        .unwrap_or_default();
    let mut kids = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let n = i + 1;
        let (k, seed) = entry.split_once(':').ok_or(format!("{VAR} entry {n} is not kid:seed; fix it first"))?;
        check_slug("kid", k).map_err(|e| format!("{VAR} entry {n}: {e}; fix it first"))?;
        EdgeSigningKey::from_seed_b64url(k, seed)
            .map_err(|_| format!("{VAR} entry {n} ({k}): the seed is not the base64url of 32 bytes; fix it first"))?;
        kids.push(k);
    }
    if entries.len() >= MAX_KEYS {
        return Err(format!(
            "{VAR} already holds {} keys, the most the edge accepts; remove the oldest first \
             (receipts it signed then no longer verify against the JWKS)",
            entries.len()
        ));
    }
    let kid = pick_kid(kid, today, &kids)?;
    EdgeSigningKey::from_seed_b64url(&kid, seed_b64url).map_err(|e| format!("new key: {e}"))?;
    let value = std::iter::once(format!("{kid}:{seed_b64url}"))
        .chain(entries.iter().map(|e| (*e).to_owned()))
        .collect::<Vec<_>>()
        .join(",");

    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    match (found.first(), current) {
        (Some(&i), Some(a)) => {
            let q = a.quote.map(String::from).unwrap_or_default();
            if let Some(line) = out.get_mut(i) {
                *line = format!("{}{q}{value}{q}{}", a.prefix, a.suffix);
            }
        }
        _ => out.push(format!("{VAR}=\"{value}\"")),
    }
    let mut text_out = out.join(newline);
    text_out.push_str(newline);
    Ok(Rotated { text: text_out, kid, value, keys: entries.len() + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const B: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const NEW: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";

    #[test]
    fn the_new_key_goes_first_and_everything_else_stays() {
        let file = format!("# local secrets\nEDGE_SIGNING_KEYS=\"old:{A},older:{B}\"\nADMIN_TOKEN=\"t\"\n");
        let r = rotate(&file, None, NEW, "20261123").unwrap();
        assert_eq!(r.kid, "k20261123");
        assert_eq!(r.keys, 3);
        assert_eq!(r.value, format!("k20261123:{NEW},old:{A},older:{B}"));
        assert_eq!(r.text, format!("# local secrets\nEDGE_SIGNING_KEYS=\"{}\"\nADMIN_TOKEN=\"t\"\n", r.value));
    }

    #[test]
    fn quoting_export_comments_and_crlf_are_kept() {
        let r = rotate(&format!("export EDGE_SIGNING_KEYS = 'a:{A}' # dev\r\nX=1\r\n"), Some("b"), NEW, "d").unwrap();
        assert_eq!(r.text, format!("export EDGE_SIGNING_KEYS = 'b:{NEW},a:{A}' # dev\r\nX=1\r\n"));
        let r = rotate(&format!("EDGE_SIGNING_KEYS=a:{A} # dev\n"), Some("b"), NEW, "d").unwrap();
        assert_eq!(r.text, format!("EDGE_SIGNING_KEYS=b:{NEW},a:{A} # dev\n"));
    }

    #[test]
    fn a_file_without_the_variable_gets_it() {
        let r = rotate("ADMIN_TOKEN=\"t\"", None, NEW, "20260101").unwrap();
        assert_eq!(r.text, format!("ADMIN_TOKEN=\"t\"\nEDGE_SIGNING_KEYS=\"k20260101:{NEW}\"\n"));
        assert_eq!(r.keys, 1);
        // A similarly named variable is not ours.
        let r = rotate(&format!("EDGE_SIGNING_KEYS_OLD=\"x:{A}\"\n"), None, NEW, "20260101").unwrap();
        assert!(r.text.starts_with("EDGE_SIGNING_KEYS_OLD="));
        assert_eq!(r.keys, 1);
    }

    #[test]
    fn default_kids_are_unique() {
        let file = format!("EDGE_SIGNING_KEYS=\"k20261123:{A},k20261123-2:{B}\"\n");
        assert_eq!(rotate(&file, None, NEW, "20261123").unwrap().kid, "k20261123-3");
    }

    #[test]
    fn refusals_never_echo_a_seed() {
        let full = (0..MAX_KEYS).map(|i| format!("k{i}:{A}")).collect::<Vec<_>>().join(",");
        let cases = [
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\"\nEDGE_SIGNING_KEYS=\"b:{B}\"\n"), None, "twice"),
            ("EDGE_SIGNING_KEYS=\"k2026-example:REPLACE_WITH_43_CHAR_BASE64URL_SEED\"".to_owned(), None, "entry 1"),
            (format!("EDGE_SIGNING_KEYS=\"{A}\""), None, "kid:seed"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\""), Some("a"), "already has"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\""), Some("Bad Kid"), "--kid"),
            (format!("EDGE_SIGNING_KEYS=\"{full}\""), None, "already holds"),
        ];
        for (file, kid, needle) in cases {
            let e = rotate(&file, kid, NEW, "20261123").unwrap_err();
            assert!(e.contains(needle) || (needle == "twice" && e.contains("2 times")), "{e}");
            for seed in [A, B, NEW, "REPLACE_WITH"] {
                assert!(!e.contains(seed), "{e}");
            }
        }
    }
}
