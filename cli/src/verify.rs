//! Offline verification: reading signed receipts from any of the shapes the edge hands out and
//! checking each against a JWKS with [`SignedReceipt::verify`]. Pure apart from the reader.

use std::io::{BufReader, Read};

use kelisim_core::receipt::{CheckResult, SignedReceipt, Verification};
use kelisim_core::sign::Jwks;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{one_line, Error, Result};

/// Longest id shown for a receipt (ULIDs have 26 characters; anything longer was tampered with).
const MAX_SHOWN_ID_CHARS: usize = 64;

/// One record found in the input.
#[derive(Debug)]
pub enum Record {
    Receipt(Box<SignedReceipt>),
    /// Looks like a signed receipt but does not parse as one (an added field, a wrong type, …).
    Malformed {
        label: String,
        reason: String,
    },
}

/// The outcome for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub label: String,
    pub kid: Option<String>,
    /// Empty when the receipt is valid.
    pub reasons: Vec<String>,
}

impl Verdict {
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.reasons.is_empty()
    }

    /// `VALID <id> <kid>` or `INVALID <id>: <reasons>`.
    #[must_use]
    pub fn line(&self) -> String {
        if self.is_valid() {
            format!("VALID {} {}", self.label, self.kid.as_deref().map_or_else(|| "-".to_owned(), one_line))
        } else {
            format!("INVALID {}: {}", self.label, one_line(&self.reasons.join("; ")))
        }
    }
}

fn shown_id(id: &str) -> String {
    let id: String = one_line(id).chars().filter(|c| !c.is_whitespace()).take(MAX_SHOWN_ID_CHARS).collect();
    if id.is_empty() {
        "-".to_owned()
    } else {
        id
    }
}

/// The verdict for a parsed receipt.
#[must_use]
pub fn verdict(signed: &SignedReceipt, jwks: &Jwks) -> Verdict {
    let v = signed.verify(jwks);
    Verdict { label: shown_id(&signed.receipt.claims.id), kid: v.kid.clone(), reasons: reasons(&v) }
}

/// The failed checks of a verification, as `check: reason`.
#[must_use]
pub fn reasons(v: &Verification) -> Vec<String> {
    let mut out = Vec::new();
    for (name, check) in
        [("edge signature", &v.edge_signature), ("hash", &v.hash), ("visitor signature", &v.visitor_signature)]
    {
        match check {
            CheckResult::Invalid(reason) => out.push(format!("{name}: {reason}")),
            CheckResult::Absent if name != "visitor signature" => out.push(format!("{name}: absent")),
            _ => {}
        }
    }
    out
}

/// The verdict for any record.
#[must_use]
pub fn verdict_of(record: &Record, jwks: &Jwks) -> Verdict {
    match record {
        Record::Receipt(signed) => verdict(signed, jwks),
        Record::Malformed { label, reason } => Verdict {
            label: label.clone(),
            kid: None,
            reasons: vec![format!("not a well-formed signed receipt: {reason}")],
        },
    }
}

/// A `receipts get` answer: only `signed` matters here.
#[derive(Deserialize)]
struct Answer {
    signed: Box<RawValue>,
}

/// Reads every record in `input`: one signed receipt, a `receipts get` answer (`{"signed",…}`),
/// a JSON array of either, or many of them one per line (an NDJSON export). Calls `each` with
/// the record's 1-based position as soon as it is read, so a large export is never held whole.
///
/// # Errors
/// [`Error::Input`] for invalid JSON, a value that is none of these shapes, or no record at
/// all; any error `each` returns.
pub fn read_records(input: impl Read, name: &str, mut each: impl FnMut(usize, Record) -> Result<()>) -> Result<usize> {
    let mut count = 0;
    let stream = serde_json::Deserializer::from_reader(BufReader::new(input)).into_iter::<Box<RawValue>>();
    for item in stream {
        let raw = item.map_err(|e| {
            let hint = if e.line() == 1 && e.column() <= 1 {
                " (CSV exports cannot be verified: export as ndjson)"
            } else {
                ""
            };
            Error::Input(format!("{name}: invalid JSON: {e}{hint}"))
        })?;
        let value: Value =
            serde_json::from_str(raw.get()).map_err(|e| Error::Input(format!("{name}: invalid JSON: {e}")))?;
        match value {
            Value::Array(items) => {
                let raws: Vec<Box<RawValue>> =
                    serde_json::from_str(raw.get()).map_err(|e| Error::Input(format!("{name}: invalid JSON: {e}")))?;
                for (item, value) in raws.iter().zip(items) {
                    count += 1;
                    each(count, classify(item.get(), &value, count, name)?)?;
                }
            }
            value => {
                count += 1;
                each(count, classify(raw.get(), &value, count, name)?)?;
            }
        }
    }
    if count == 0 {
        return Err(Error::Input(format!("{name}: no receipt found (empty input)")));
    }
    Ok(count)
}

fn classify(raw: &str, value: &Value, n: usize, name: &str) -> Result<Record> {
    let Some(object) = value.as_object() else {
        return Err(Error::Input(format!("{name}: record {n} is not a JSON object")));
    };
    if let Some(inner_value) = object.get("signed") {
        let answer: Answer = serde_json::from_str(raw).map_err(|e| Error::Input(format!("{name}: record {n}: {e}")))?;
        return Ok(parse_signed(answer.signed.get(), inner_value, n));
    }
    if !(object.contains_key("receipt") || object.contains_key("jws")) {
        return Err(Error::Input(format!(
            "{name}: record {n} is not a signed receipt (expected {{\"receipt\",\"jws\"}}, a `receipts get` answer, or NDJSON of them)"
        )));
    }
    Ok(parse_signed(raw, value, n))
}

fn parse_signed(raw: &str, value: &Value, n: usize) -> Record {
    match serde_json::from_str::<SignedReceipt>(raw) {
        Ok(signed) => Record::Receipt(Box::new(signed)),
        Err(e) => {
            let label =
                value.pointer("/receipt/claims/id").and_then(Value::as_str).map_or_else(|| format!("#{n}"), shown_id);
            Record::Malformed { label, reason: e.to_string() }
        }
    }
}

/// Parses a JWKS document.
///
/// # Errors
/// [`Error::Input`] naming `source`.
pub fn parse_jwks(value: Value, source: &str) -> Result<Jwks> {
    let jwks: Jwks = serde_json::from_value(value).map_err(|e| Error::Input(format!("{source} is not a JWKS: {e}")))?;
    if jwks.keys.is_empty() {
        return Err(Error::Input(format!("{source}: the JWKS has no key")));
    }
    Ok(jwks)
}

#[cfg(test)]
mod tests {
    use kelisim_core::receipt::{Action, PolicyRef, Receipt, ReceiptClaims, SubmitReceipt};
    use kelisim_core::sign::EdgeSigningKey;

    use super::*;

    fn key() -> EdgeSigningKey {
        EdgeSigningKey::from_seed("k1", [7; 32])
    }

    fn jwks() -> Jwks {
        Jwks { keys: vec![key().jwks_entry()] }
    }

    fn signed(id: &str) -> SignedReceipt {
        let claims = ReceiptClaims {
            schema: 1,
            id: id.into(),
            site: "crm-demo".into(),
            subject: "A".repeat(43),
            subject_key: None,
            policy: PolicyRef { version: 1, sha256: "0".repeat(64), language: "ru".into() },
            decisions: [("necessary".to_owned(), kelisim_core::category::Decision::Granted)].into(),
            action: Action::RejectAll,
            gpc: false,
            client_time: "2026-11-23T10:00:00.000Z".into(),
            prev: None,
            widget_version: "0.1.0".into(),
        };
        let receipt = Receipt::accept(SubmitReceipt { claims, visitor_signature: None }, 1_795_000_000_000).unwrap();
        receipt.countersign(&key()).unwrap()
    }

    fn read(text: &str) -> Result<Vec<Verdict>> {
        let mut out = Vec::new();
        read_records(text.as_bytes(), "in", |_, r| {
            out.push(verdict_of(&r, &jwks()));
            Ok(())
        })?;
        Ok(out)
    }

    const ID1: &str = "01KAQ0000000000000000000A1";
    const ID2: &str = "01KAQ0000000000000000000B2";

    #[test]
    fn every_shape_the_edge_hands_out_is_read() {
        let one = serde_json::to_string_pretty(&signed(ID1)).unwrap();
        assert_eq!(read(&one).unwrap()[0].line(), format!("VALID {ID1} k1"));

        let answer =
            serde_json::json!({"valid": true, "chain": {"prev": null}, "verification": {}, "signed": signed(ID1)});
        assert!(read(&answer.to_string()).unwrap()[0].is_valid());

        let ndjson = format!(
            "{}\n{}\n",
            serde_json::to_string(&signed(ID1)).unwrap(),
            serde_json::to_string(&signed(ID2)).unwrap()
        );
        let verdicts = read(&ndjson).unwrap();
        assert_eq!(verdicts.len(), 2);
        assert!(verdicts.iter().all(Verdict::is_valid));

        let array = serde_json::to_string(&vec![signed(ID1), signed(ID2)]).unwrap();
        assert_eq!(read(&array).unwrap().len(), 2);
    }

    #[test]
    fn tampering_is_invalid_with_a_reason() {
        let mut tampered = serde_json::to_value(signed(ID1)).unwrap();
        tampered["receipt"]["claims"]["decisions"]["analytics"] = "granted".into();
        let v = &read(&tampered.to_string()).unwrap()[0];
        assert!(!v.is_valid());
        assert!(
            v.line().starts_with(&format!("INVALID {ID1}: edge signature: payload does not match; hash:")),
            "{}",
            v.line()
        );

        let mut extra = serde_json::to_value(signed(ID2)).unwrap();
        extra["receipt"]["extra"] = 1.into();
        let v = &read(&extra.to_string()).unwrap()[0];
        assert!(
            v.line().starts_with(&format!("INVALID {ID2}: not a well-formed signed receipt: unknown field")),
            "{}",
            v.line()
        );

        let other_key = Jwks { keys: vec![EdgeSigningKey::from_seed("k1", [8; 32]).jwks_entry()] };
        let v = verdict(&signed(ID1), &other_key);
        assert_eq!(v.line(), format!("INVALID {ID1}: edge signature: signature does not verify"));
    }

    #[test]
    fn duplicate_keys_are_not_resolved_silently() {
        let text = serde_json::to_string(&signed(ID1)).unwrap().replacen(
            "\"necessary\":\"granted\"",
            "\"necessary\":\"denied\",\"necessary\":\"granted\"",
            1,
        );
        let v = &read(&text).unwrap()[0];
        assert!(v.line().contains("duplicate key"), "{}", v.line());
    }

    #[test]
    fn input_errors() {
        for (text, needle) in [
            ("", "no receipt"),
            ("  \n", "no receipt"),
            ("{\"a\":", "invalid JSON"),
            ("id,server_time\n", "CSV"),
            ("{\"hello\":1}", "not a signed receipt"),
            ("[1]", "not a JSON object"),
            ("\"x\"", "not a JSON object"),
            ("{\"signed\":1}", "record 1"),
        ] {
            match read(text) {
                Err(Error::Input(message)) => assert!(message.contains(needle), "{text:?}: {message}"),
                other => {
                    // `{"signed":1}` reads as a receipt that does not parse.
                    let v = other.unwrap();
                    assert!(!v[0].is_valid(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn jwks_documents_are_checked() {
        assert!(parse_jwks(serde_json::to_value(jwks()).unwrap(), "f").is_ok());
        assert!(parse_jwks(serde_json::json!({"keys": []}), "f").is_err());
        assert!(parse_jwks(serde_json::json!({"nope": 1}), "f").is_err());
    }
}
