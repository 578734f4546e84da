//! The claims of a receipt as canonical JSON (RFC 8785): the bytes the visitor's key signs and
//! whose SHA-256 is the receipt's hash. Core's `ReceiptClaims`, serialised by serde and
//! canonicalised, gives exactly these bytes (a property test in core pins the two); the widget
//! writes them here, without serde.

use alloc::string::String;

use crate::canonical::{boolean, number, string, string_or_null};
use crate::decisions::Decisions;
use crate::names::{Action, RECEIPT_SCHEMA_VERSION};

/// The claims of a receipt of the current schema ([`RECEIPT_SCHEMA_VERSION`]), borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Claims<'a> {
    /// The ULID made with the receipt: time-sortable, and the idempotency key.
    pub id: &'a str,
    pub site: &'a str,
    /// The subject: the RFC 7638 thumbprint of its key, or a random id of the same shape.
    pub subject: &'a str,
    /// `x` of the subject's Ed25519 public key (base64url), when it has one.
    pub subject_key: Option<&'a str>,
    pub policy: PolicyRef<'a>,
    pub decisions: &'a Decisions,
    pub action: Action,
    /// Whether the browser sent Global Privacy Control.
    pub gpc: bool,
    pub client_time: &'a str,
    /// The previous receipt's hash, when the same subject made it.
    pub prev: Option<&'a str>,
    pub widget_version: &'a str,
}

/// The policy version a receipt binds to: its number, the SHA-256 of its document and the
/// language it was shown in.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRef<'a> {
    pub version: u32,
    pub sha256: &'a str,
    pub language: &'a str,
}

/// Appends the canonical JSON of the Ed25519 public JWK with `x` (`{"crv":"Ed25519","kty":"OKP",
/// "x":…}`): a claim's `subject_key`, and what its RFC 7638 thumbprint hashes.
#[inline]
pub fn ed25519_jwk(out: &mut String, x: &str) {
    out.push_str("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":");
    string(out, x);
    out.push('}');
}

impl Claims<'_> {
    /// The canonical JSON of the claims, members in canonical order.
    #[must_use]
    #[inline]
    pub fn canonical(&self) -> String {
        let mut out = String::with_capacity(512);
        out.push_str("{\"action\":");
        string(&mut out, self.action.as_str());
        out.push_str(",\"client_time\":");
        string(&mut out, self.client_time);
        out.push_str(",\"decisions\":");
        self.decisions.write_json(&mut out);
        out.push_str(",\"gpc\":");
        boolean(&mut out, self.gpc);
        out.push_str(",\"id\":");
        string(&mut out, self.id);
        out.push_str(",\"policy\":{\"language\":");
        string(&mut out, self.policy.language);
        out.push_str(",\"sha256\":");
        string(&mut out, self.policy.sha256);
        out.push_str(",\"version\":");
        number(&mut out, u64::from(self.policy.version));
        out.push_str("},\"prev\":");
        string_or_null(&mut out, self.prev);
        out.push_str(",\"schema\":");
        number(&mut out, u64::from(RECEIPT_SCHEMA_VERSION));
        out.push_str(",\"site\":");
        string(&mut out, self.site);
        out.push_str(",\"subject\":");
        string(&mut out, self.subject);
        out.push_str(",\"subject_key\":");
        match self.subject_key {
            Some(x) => ed25519_jwk(&mut out, x),
            None => out.push_str("null"),
        }
        out.push_str(",\"widget_version\":");
        string(&mut out, self.widget_version);
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_in_canonical_order() {
        let decisions: Decisions = [("necessary", true), ("analytics", false)].into_iter().collect();
        let claims = Claims {
            id: "01KAQ6V2K3ABCDEFGHJKMNPQRS",
            site: "crm-demo",
            subject: "s",
            subject_key: Some("x\""),
            policy: PolicyRef { version: 3, sha256: "h", language: "kk" },
            decisions: &decisions,
            action: Action::RejectAll,
            gpc: true,
            client_time: "2026-11-23T01:40:05.123Z",
            prev: None,
            widget_version: "0.1.0",
        };
        assert_eq!(
            claims.canonical(),
            concat!(
                r#"{"action":"reject_all","client_time":"2026-11-23T01:40:05.123Z","#,
                r#""decisions":{"analytics":"denied","necessary":"granted"},"gpc":true,"#,
                r#""id":"01KAQ6V2K3ABCDEFGHJKMNPQRS","policy":{"language":"kk","sha256":"h","version":3},"#,
                r#""prev":null,"schema":1,"site":"crm-demo","subject":"s","#,
                r#""subject_key":{"crv":"Ed25519","kty":"OKP","x":"x\""},"widget_version":"0.1.0"}"#
            )
        );
        let value: serde_json::Value = serde_json::from_str(&claims.canonical()).unwrap();
        assert_eq!(value.as_object().unwrap().len(), 12);
    }
}
