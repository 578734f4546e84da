//! CSV rows of receipts for export, with CSV-injection-safe free text.

use kelisim_core::category::Decision;
use kelisim_core::receipt::SignedReceipt;
use kelisim_core::sign::JwsHeader;

/// A CSV field as is, quoted when it holds a separator. For identifier, hash, time, number and
/// enum columns: their values are validated to safe alphabets, and are never altered (a subject id
/// is base64url and may start with `-`).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A free-text CSV field: a value a spreadsheet would read as a formula (starting with `=`, `+`,
/// `-`, `@`, tab or CR) is prefixed with `'` (CSV injection), then quoted as needed.
fn csv_text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{value}"))
    } else {
        csv_field(value)
    }
}

/// One receipt as a CSV line.
#[must_use]
pub fn csv_row(signed: &SignedReceipt) -> String {
    let r = &signed.receipt;
    let c = &r.claims;
    let ids = |want: Decision| {
        c.decisions.iter().filter(|(_, d)| **d == want).map(|(k, _)| k.as_str()).collect::<Vec<_>>().join("|")
    };
    let kid = signed
        .jws
        .split('.')
        .next()
        .and_then(|h| kelisim_core::sign::b64url_decode(h).ok())
        .and_then(|h| serde_json::from_slice::<JwsHeader>(&h).ok())
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let fields = [
        c.id.clone(),
        r.server_time.clone(),
        c.client_time.clone(),
        c.subject.clone(),
        c.action.as_str().to_owned(),
        c.policy.version.to_string(),
        c.policy.sha256.clone(),
        c.policy.language.clone(),
        c.gpc.to_string(),
        ids(Decision::Granted),
        ids(Decision::Denied),
        r.visitor_signature.is_some().to_string(),
        r.hash.clone(),
        c.prev.clone().unwrap_or_default(),
    ];
    // Every column but the edge's key id is an identifier, hash, time, number or enum; the key id
    // comes from the deployment's configuration, so it is treated as free text.
    let mut line = fields.iter().map(|f| csv_field(f)).chain([csv_text(&kid)]).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_free_text_formulas_neutralised() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_text("-1+2,3"), "\"'-1+2,3\"");
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_field("-abc_DEF"), "-abc_DEF", "identifiers are never altered");
    }
}
