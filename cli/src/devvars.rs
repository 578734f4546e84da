//! Editing the key lines of a `.dev.vars` file: a rotation puts a new `kid:seed:not_before` in
//! `EDGE_SIGNING_KEYS` (the one private key) and moves the previous key, public only and with
//! its period, into `EDGE_RETIRED_KEYS`; every other line stays as it was. Pure.

use kelisim_core::id::check_slug;
use kelisim_core::sign::EdgeSigningKey;
use kelisim_core::time::{format_millis, parse_millis};

/// The variable holding the edge's one private key.
pub const VAR: &str = "EDGE_SIGNING_KEYS";
/// The variable holding the retired public keys (`kid:x:not_before/not_after,…`).
pub const RETIRED_VAR: &str = "EDGE_RETIRED_KEYS";
/// Retired keys the edge accepts (`MAX_RETIRED_KEYS` in the edge's keyring): a rotation that
/// would exceed it is refused, since the edge would not start.
pub const MAX_RETIRED_KEYS: usize = 64;

/// The file after a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The whole new file.
    pub text: String,
    /// The new key's id.
    pub kid: String,
    /// The new value of `EDGE_SIGNING_KEYS` (secret).
    pub value: String,
    /// The new value of `EDGE_RETIRED_KEYS` (public).
    pub retired: String,
    /// Keys in the JWKS now, the new one included.
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

fn parse_assignment<'a>(line: &'a str, name: &str) -> Option<Assignment<'a>> {
    let body = line.trim_start();
    let body = body.strip_prefix("export ").map_or(body, str::trim_start);
    let after_name = body.strip_prefix(name)?;
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

/// The index of the one line assigning `name`, if any.
fn find_line(lines: &[&str], name: &str) -> Result<Option<usize>, String> {
    let found: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| parse_assignment(l, name).is_some()).map(|(i, _)| i).collect();
    if found.len() > 1 {
        return Err(format!("{name} is set {} times; keep one line", found.len()));
    }
    Ok(found.first().copied())
}

fn entries(value: Option<&str>) -> Vec<&str> {
    value.map(|v| v.split(',').map(str::trim).filter(|e| !e.is_empty()).collect()).unwrap_or_default()
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
    (1..=existing.len() + 1)
        .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
        .find(|k| !existing.contains(&k.as_str()))
        .ok_or_else(|| "no free key id".to_owned())
}

/// The retired form of a private entry `kid:seed[:not_before]`, retired at `now_ms`. A key of
/// the older form (no period, or several private keys in the secret) counts from the epoch.
fn retire(entry: &str, n: usize, now_ms: i64) -> Result<(String, String), String> {
    let mut parts = entry.splitn(3, ':');
    let (Some(kid), Some(seed)) = (parts.next(), parts.next()) else {
        return Err(format!("{VAR} entry {n} is not kid:seed:not_before; fix it first"));
    };
    check_slug("kid", kid).map_err(|e| format!("{VAR} entry {n}: {e}; fix it first"))?;
    let key = EdgeSigningKey::from_seed_b64url(kid, seed)
        .map_err(|_| format!("{VAR} entry {n} ({kid}): the seed is not the base64url of 32 bytes; fix it first"))?;
    let not_before = match parts.next() {
        Some(t) => parse_millis("not_before", t).map_err(|e| format!("{VAR} entry {n} ({kid}): {e}; fix it first"))?,
        None => 0,
    };
    let x = key.public_jwk().x;
    Ok((kid.to_owned(), format!("{kid}:{x}:{}/{}", format_millis(not_before), format_millis(now_ms))))
}

/// Rotates the keys in the file `text` at `now_ms`: `kid:seed_b64url:now` becomes the one
/// private key, and the previous private key(s), public only with their period ending now, go
/// first in `EDGE_RETIRED_KEYS`. `today` is `YYYYMMDD` for the default kid. Missing lines are
/// added.
///
/// # Errors
/// A message (never containing a seed) when a variable appears twice, an existing entry is
/// malformed, the kid is taken or malformed, or the retired list is full.
pub fn rotate(text: &str, kid: Option<&str>, seed_b64url: &str, today: &str, now_ms: i64) -> Result<Rotated, String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.lines().collect();
    let signing_line = find_line(&lines, VAR)?;
    let retired_line = find_line(&lines, RETIRED_VAR)?;
    let signing = signing_line.and_then(|i| parse_assignment(lines[i], VAR));
    let retired = retired_line.and_then(|i| parse_assignment(lines[i], RETIRED_VAR));

    let mut kids = Vec::new();
    let mut newly_retired = Vec::new();
    for (i, entry) in entries(signing.as_ref().map(|a| a.value)).iter().enumerate() {
        let (k, public) = retire(entry, i + 1, now_ms)?;
        kids.push(k);
        newly_retired.push(public);
    }
    let kept = entries(retired.as_ref().map(|a| a.value));
    for (i, entry) in kept.iter().enumerate() {
        let k = entry.split(':').next().unwrap_or_default();
        check_slug("kid", k).map_err(|e| format!("{RETIRED_VAR} entry {}: {e}; fix it first", i + 1))?;
        kids.push(k.to_owned());
    }
    let retired_count = newly_retired.len() + kept.len();
    if retired_count > MAX_RETIRED_KEYS {
        return Err(format!(
            "{RETIRED_VAR} would hold {retired_count} keys, more than the edge accepts ({MAX_RETIRED_KEYS}); \
             remove the oldest first (receipts it signed then no longer verify against the JWKS)"
        ));
    }
    let kid_refs: Vec<&str> = kids.iter().map(String::as_str).collect();
    let kid = pick_kid(kid, today, &kid_refs)?;
    EdgeSigningKey::from_seed_b64url(&kid, seed_b64url).map_err(|e| format!("new key: {e}"))?;
    let value = format!("{kid}:{seed_b64url}:{}", format_millis(now_ms));
    let retired_value =
        newly_retired.iter().map(String::as_str).chain(kept.iter().copied()).collect::<Vec<_>>().join(",");

    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let replace =
        |out: &mut Vec<String>, at: Option<usize>, a: Option<Assignment<'_>>, name: &str, v: &str| match (at, a) {
            (Some(i), Some(a)) => {
                let q = a.quote.map(String::from).unwrap_or_default();
                if let Some(line) = out.get_mut(i) {
                    *line = format!("{}{q}{v}{q}{}", a.prefix, a.suffix);
                }
            }
            _ => out.push(format!("{name}=\"{v}\"")),
        };
    replace(&mut out, signing_line, signing, VAR, &value);
    if !retired_value.is_empty() {
        replace(&mut out, retired_line, retired, RETIRED_VAR, &retired_value);
    }
    let mut text_out = out.join(newline);
    text_out.push_str(newline);
    Ok(Rotated { text: text_out, kid, value, retired: retired_value, keys: retired_count + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
    const B: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const NEW: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE";
    const T0: &str = "2026-01-01T00:00:00.000Z";
    /// When the rotations below happen.
    const NOW: i64 = 1_795_398_005_123;

    fn x(seed: &str) -> String {
        EdgeSigningKey::from_seed_b64url("k", seed).unwrap().public_jwk().x
    }

    #[test]
    fn the_new_key_signs_and_the_old_one_is_retired_public_only() {
        let file = format!("# local secrets\nEDGE_SIGNING_KEYS=\"old:{A}:{T0}\"\nADMIN_TOKEN=\"t\"\n");
        let r = rotate(&file, None, NEW, "20261123", NOW).unwrap();
        let now = format_millis(NOW);
        assert_eq!((r.kid.as_str(), r.keys), ("k20261123", 2));
        assert_eq!(r.value, format!("k20261123:{NEW}:{now}"));
        assert_eq!(r.retired, format!("old:{}:{T0}/{now}", x(A)));
        assert!(!r.retired.contains(A), "no private key is retired");
        assert_eq!(
            r.text,
            format!(
                "# local secrets\nEDGE_SIGNING_KEYS=\"{}\"\nADMIN_TOKEN=\"t\"\nEDGE_RETIRED_KEYS=\"{}\"\n",
                r.value, r.retired
            )
        );
        // Rotating again keeps the earlier retired key after the newly retired one.
        let again = rotate(&r.text, Some("third"), A, "20261124", NOW + 1).unwrap();
        let (first, rest) = again.retired.split_once(',').unwrap();
        assert!(first.starts_with(&format!("k20261123:{}:{now}/", x(NEW))), "{first}");
        assert_eq!(rest, r.retired);
        assert_eq!(again.keys, 3);
    }

    #[test]
    fn an_old_ring_of_private_keys_is_retired_whole() {
        let file = format!("EDGE_SIGNING_KEYS=\"old:{A},older:{B}\"\n");
        let r = rotate(&file, Some("new"), NEW, "d", NOW).unwrap();
        let epoch = format_millis(0);
        let now = format_millis(NOW);
        assert_eq!(r.retired, format!("old:{}:{epoch}/{now},older:{}:{epoch}/{now}", x(A), x(B)));
        assert!(!r.text.contains(A) && !r.text.contains(B));
    }

    #[test]
    fn quoting_export_comments_and_crlf_are_kept() {
        let file =
            format!("export EDGE_SIGNING_KEYS = 'a:{A}' # dev\r\nEDGE_RETIRED_KEYS='z:{}:{T0}/{T0}'\r\nX=1\r\n", x(B));
        let r = rotate(&file, Some("b"), NEW, "d", NOW).unwrap();
        assert_eq!(
            r.text,
            format!("export EDGE_SIGNING_KEYS = '{}' # dev\r\nEDGE_RETIRED_KEYS='{}'\r\nX=1\r\n", r.value, r.retired)
        );
        assert!(r.retired.ends_with(&format!(",z:{}:{T0}/{T0}", x(B))));
    }

    #[test]
    fn a_file_without_the_variable_gets_it() {
        let r = rotate("ADMIN_TOKEN=\"t\"", None, NEW, "20260101", NOW).unwrap();
        assert_eq!(r.text, format!("ADMIN_TOKEN=\"t\"\nEDGE_SIGNING_KEYS=\"{}\"\n", r.value));
        assert_eq!(r.keys, 1);
        // A similarly named variable is not ours.
        let r = rotate(&format!("EDGE_SIGNING_KEYS_OLD=\"x:{A}\"\n"), None, NEW, "20260101", NOW).unwrap();
        assert!(r.text.starts_with("EDGE_SIGNING_KEYS_OLD="));
        assert_eq!(r.keys, 1);
    }

    #[test]
    fn default_kids_are_unique() {
        let file =
            format!("EDGE_SIGNING_KEYS=\"k20261123:{A}\"\nEDGE_RETIRED_KEYS=\"k20261123-2:{}:{T0}/{T0}\"\n", x(B));
        assert_eq!(rotate(&file, None, NEW, "20261123", NOW).unwrap().kid, "k20261123-3");
    }

    #[test]
    fn refusals_never_echo_a_seed() {
        let full = (0..MAX_RETIRED_KEYS).map(|i| format!("k{i}:{}:{T0}/{T0}", x(B))).collect::<Vec<_>>().join(",");
        let cases = [
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\"\nEDGE_SIGNING_KEYS=\"b:{B}\"\n"), None, "twice"),
            ("EDGE_SIGNING_KEYS=\"k2026-example:REPLACE_WITH_43_CHAR_BASE64URL_SEED\"".to_owned(), None, "entry 1"),
            (format!("EDGE_SIGNING_KEYS=\"{A}\""), None, "kid:seed"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}:yesterday\""), None, "entry 1"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\""), Some("a"), "already has"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\""), Some("Bad Kid"), "--kid"),
            (format!("EDGE_SIGNING_KEYS=\"a:{A}\"\nEDGE_RETIRED_KEYS=\"{full}\""), None, "more than the edge accepts"),
        ];
        for (file, kid, needle) in cases {
            let e = rotate(&file, kid, NEW, "20261123", NOW).unwrap_err();
            assert!(e.contains(needle) || (needle == "twice" && e.contains("2 times")), "{e}");
            for seed in [A, B, NEW, "REPLACE_WITH"] {
                assert!(!e.contains(seed), "{e}");
            }
        }
    }
}
