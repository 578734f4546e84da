//! HTTP to the edge, and the single place where transport failures and refusals become
//! [`Error`]s with a one-line explanation.

use std::io::Read;
use std::time::Duration;

use serde_json::Value;

use crate::error::{one_line, Error, Result};

/// Longest JSON answer read into memory (a subject view or a page of 1000 summaries is far
/// smaller); exports are streamed and not bound by this.
pub const MAX_JSON_ANSWER_BYTES: u64 = 16 * 1024 * 1024;
/// Longest token accepted, as the edge reads at most 512 characters of `Authorization`.
pub const MAX_TOKEN_CHARS: usize = 500;
/// Time to open a connection before the edge counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest pause between two reads of an answer (an export streams page by page).
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// How much of a non-JSON error body is quoted in a message.
const QUOTED_BODY_CHARS: usize = 120;

/// Who may call an endpoint: decides whether the token is sent and how a 403 is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token; never sent (public routes, or a JWKS URL that may be another host).
    Public,
    /// Only the admin token.
    Admin,
    /// A site token with this scope, or the admin token.
    Scope(&'static str),
}

/// One request to the edge.
#[derive(Debug, Clone)]
pub struct Req {
    method: &'static str,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
    access: Access,
    /// What the request does, for messages: "list receipts of site crm-demo".
    what: String,
}

impl Req {
    #[must_use]
    pub fn new(method: &'static str, path: impl Into<String>, access: Access, what: impl Into<String>) -> Self {
        Self { method, path: path.into(), query: Vec::new(), body: None, access, what: what.into() }
    }

    #[must_use]
    pub fn get(path: impl Into<String>, access: Access, what: impl Into<String>) -> Self {
        Self::new("GET", path, access, what)
    }

    /// Adds `name=value` to the query string (percent-encoded by the HTTP client).
    #[must_use]
    pub fn query(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds `name=value` when `value` is given.
    #[must_use]
    pub fn query_opt(self, name: &'static str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.query(name, v),
            None => self,
        }
    }

    /// The path this request asks for, without the query.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Sends `body` as JSON.
    #[must_use]
    pub fn json_body(mut self, body: &Value) -> Self {
        self.body = Some(body.to_string());
        self
    }
}

/// A connection to one edge with an optional operator token.
pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).finish_non_exhaustive()
    }
}

/// Checks and normalises an edge URL: `http(s)://host[:port][/prefix]`, no trailing slash.
///
/// # Errors
/// [`Error::Usage`] naming the URL.
pub fn normalise_base(edge: &str) -> Result<String> {
    let bad = || Error::Usage(format!("--edge: expected http://host[:port] or https://host, got {:?}", one_line(edge)));
    let rest = edge.strip_prefix("http://").or_else(|| edge.strip_prefix("https://")).ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || edge.chars().any(|c| c.is_whitespace() || c.is_control()) || edge.contains(['?', '#']) {
        return Err(bad());
    }
    Ok(edge.trim_end_matches('/').to_owned())
}

/// Whether `base` (as [`normalise_base`] returns it) may carry secrets or trusted keys: any
/// `https://` URL, and `http://` only to this machine (127.0.0.0/8, `::1`, `localhost`), where
/// nothing on the network can read or change the traffic.
#[must_use]
pub fn is_private_channel(base: &str) -> bool {
    if base.starts_with("https://") {
        return true;
    }
    let Some(rest) = base.strip_prefix("http://") else { return false };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses plain `http://` to another machine for `what` (a token, a JWKS).
///
/// # Errors
/// [`Error::Usage`].
pub fn require_private_channel(base: &str, what: &str) -> Result<()> {
    if is_private_channel(base) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "refusing {what} over plain http to {}: anyone on the path could read or change it; use https:// \
             (plain http is allowed only to this machine: 127.0.0.0/8, ::1, localhost)",
            one_line(base)
        )))
    }
}

/// Checks a token's shape before it goes into a header.
///
/// # Errors
/// [`Error::Usage`].
pub fn check_token(token: &str) -> Result<()> {
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Usage(format!(
            "--token / KELISIM_TOKEN: expected up to {MAX_TOKEN_CHARS} printable ASCII characters without spaces"
        )));
    }
    Ok(())
}

impl Client {
    /// A client for the edge at `edge`.
    ///
    /// # Errors
    /// [`Error::Usage`] for a malformed URL or token.
    pub fn new(edge: &str, token: Option<String>) -> Result<Self> {
        let base = normalise_base(edge)?;
        let token = token.filter(|t| !t.is_empty());
        if let Some(t) = &token {
            check_token(t)?;
        }
        Ok(Self { base, token, agent: agent() })
    }

    /// The edge's base URL.
    #[must_use]
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `req` and reads a JSON answer (`Value::Null` for an empty body, e.g. 204).
    ///
    /// # Errors
    /// Any [`Error`] of [`Client::send`], or [`Error::Protocol`] for an answer that is not JSON.
    pub fn json(&self, req: &Req) -> Result<Value> {
        let reader = self.send(req)?;
        read_json(reader, &format!("{}{}", self.base, req.path))
    }

    /// Sends `req` and returns the answer's body to stream.
    ///
    /// # Errors
    /// [`Error::Usage`] when a token is needed and none was given; [`Error::Unreachable`];
    /// [`Error::Unauthorized`], [`Error::Forbidden`], [`Error::Api`] or [`Error::Protocol`] for
    /// anything but a 2xx answer.
    pub fn send(&self, req: &Req) -> Result<Box<dyn Read + Send + Sync>> {
        let url = format!("{}{}", self.base, req.path);
        let mut request = self.agent.request(req.method, &url);
        for (name, value) in &req.query {
            request = request.query(name, value);
        }
        if req.access != Access::Public {
            let token = self.token.as_deref().ok_or_else(|| {
                Error::Usage(format!("{} needs an operator token: pass --token or set KELISIM_TOKEN", req.what))
            })?;
            require_private_channel(&self.base, "to send the operator token")?;
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match &req.body {
            Some(body) => request.set("Content-Type", "application/json").send_string(body),
            None => request.call(),
        };
        match result {
            // 204 has no body by definition (the edge sends no length for it either).
            Ok(response) if response.status() == 204 => Ok(Box::new(std::io::empty())),
            Ok(response) if (200..300).contains(&response.status()) => Ok(Box::new(response.into_reader())),
            Ok(response) => {
                let location = response.header("Location").map(one_line).unwrap_or_default();
                Err(Error::Protocol(format!(
                    "the server at {} answered {} for {} (a redirect to {location:?}); pass the final URL as --edge",
                    self.base,
                    response.status(),
                    req.path
                )))
            }
            Err(ureq::Error::Status(status, response)) => {
                let mut body = Vec::new();
                // The error body is only quoted; a failure to read it leaves it empty.
                let _ = response.into_reader().take(64 * 1024).read_to_end(&mut body);
                Err(refusal(status, &body, req, &self.base))
            }
            Err(ureq::Error::Transport(t)) => {
                Err(Error::Unreachable { url: self.base.clone(), reason: transport_reason(&t) })
            }
        }
    }
}

/// Fetches a JSON document from any URL without credentials (a JWKS given as `--jwks URL`).
///
/// # Errors
/// As [`Client::json`].
pub fn fetch_public_json(url: &str) -> Result<Value> {
    let base = normalise_base(url)?;
    // The keys it returns decide which receipts are genuine: they must come over TLS.
    require_private_channel(&base, "to fetch the keys that verify receipts")?;
    let client = Client { base: base.clone(), token: None, agent: agent() };
    client.json(&Req::get("", Access::Public, format!("fetch {base}")))
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(READ_TIMEOUT)
        // A redirect would carry the token elsewhere; operators pass the final URL instead.
        .redirects(0)
        .user_agent(concat!("kelisim-cli/", env!("CARGO_PKG_VERSION")))
        .build()
}

fn transport_reason(t: &ureq::Transport) -> String {
    let mut reason = t.kind().to_string();
    if let Some(message) = t.message() {
        reason.push_str(": ");
        reason.push_str(message);
    }
    if let Some(source) = std::error::Error::source(t) {
        reason.push_str(": ");
        reason.push_str(&source.to_string());
    }
    one_line(&reason)
}

/// Reads a JSON answer of at most [`MAX_JSON_ANSWER_BYTES`].
fn read_json(reader: impl Read, url: &str) -> Result<Value> {
    let mut body = Vec::new();
    reader
        .take(MAX_JSON_ANSWER_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| Error::Unreachable { url: url.to_owned(), reason: format!("reading the answer: {e}") })?;
    if body.len() as u64 > MAX_JSON_ANSWER_BYTES {
        return Err(Error::Protocol(format!("the answer from {url} is larger than {MAX_JSON_ANSWER_BYTES} bytes")));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&body).map_err(|_| {
        Error::Protocol(format!("{url} answered with something that is not JSON: is --edge the Kelisim edge?"))
    })
}

/// The edge's `{"error":{"code","message"}}`, if the body is one.
fn api_error(body: &[u8]) -> Option<(String, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?;
    let code = error.get("code")?.as_str()?.to_owned();
    let message = error.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
    Some((code, message))
}

/// Turns a non-2xx answer into an [`Error`] that says what to do.
fn refusal(status: u16, body: &[u8], req: &Req, base: &str) -> Error {
    let what = &req.what;
    match (status, api_error(body)) {
        (401, _) => Error::Unauthorized(format!(
            "the edge did not accept the token to {what} (unknown or revoked); check --token or KELISIM_TOKEN"
        )),
        (403, _) => Error::Forbidden(match req.access {
            Access::Admin => format!("only the admin token may {what}"),
            Access::Scope(scope) => {
                format!("this token may not {what}: it needs the {scope} scope for that site, or use the admin token")
            }
            Access::Public => format!("the edge refused to {what}"),
        }),
        (_, Some((code, message))) => {
            let message = if code == "not_found" {
                format!("{message} ({} {}: is --edge right, and the edge as new as this CLI?)", req.method, req.path)
            } else {
                message
            };
            Error::Api { status, code: one_line(&code), message: one_line(&message) }
        }
        (_, None) => {
            let quoted: String = String::from_utf8_lossy(body).chars().take(QUOTED_BODY_CHARS).collect();
            let quoted = one_line(&quoted);
            let hint = if status == 404 { ": is --edge the Kelisim edge?" } else { "" };
            let quoted = if quoted.is_empty() { String::new() } else { format!(" ({quoted})") };
            Error::Protocol(format!(
                "the server at {base} answered {status} to {} {}{quoted}{hint}",
                req.method, req.path
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(access: Access) -> Req {
        Req::get("/v1/sites/s/receipts", access, "list receipts of site s")
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(normalise_base("http://127.0.0.1:8787/").unwrap(), "http://127.0.0.1:8787");
        assert_eq!(normalise_base("https://edge.example/prefix").unwrap(), "https://edge.example/prefix");
        for bad in ["127.0.0.1:8787", "ftp://x", "http://", "http:///x", "http://a b", "http://x?y", "", "http://x\n"] {
            assert!(matches!(normalise_base(bad), Err(Error::Usage(_))), "{bad}");
        }
    }

    #[test]
    fn tokens_must_be_header_safe() {
        assert!(check_token("abc-DEF_123").is_ok());
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(MAX_TOKEN_CHARS + 1)] {
            assert!(check_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refusals_say_what_went_wrong() {
        let body = br#"{"error":{"code":"unauthorized","message":"missing or unknown token"}}"#;
        let e = refusal(401, body, &req(Access::Scope("read")), "http://e");
        assert!(matches!(e, Error::Unauthorized(_)));
        assert!(e.to_string().starts_with("401 unauthorized: "), "{e}");

        let e = refusal(403, b"{}", &req(Access::Scope("read")), "http://e");
        assert!(e.to_string().contains("needs the read scope"), "{e}");
        let e = refusal(403, b"", &req(Access::Admin), "http://e");
        assert_eq!(e.to_string(), "403 forbidden: only the admin token may list receipts of site s");

        let body = br#"{"error":{"code":"policy_version_conflict","message":"expected version 3"}}"#;
        let e = refusal(409, body, &req(Access::Scope("publish")), "http://e");
        assert_eq!(e.to_string(), "409 policy_version_conflict: expected version 3");

        let e = refusal(404, b"<html>\n<h1>Not Found</h1>", &req(Access::Public), "http://e");
        assert!(matches!(e, Error::Protocol(_)));
        let text = e.one_line();
        assert!(text.contains("404") && text.contains("is --edge the Kelisim edge?"), "{text}");
        assert!(!text.contains('\n'));
    }

    #[test]
    fn json_answers_are_bounded_and_checked() {
        assert_eq!(read_json(&b"  "[..], "u").unwrap(), Value::Null);
        assert_eq!(read_json(&br#"{"a":1}"#[..], "u").unwrap()["a"], 1);
        assert!(matches!(read_json(&b"<html>"[..], "u"), Err(Error::Protocol(_))));
    }

    #[test]
    fn plain_http_carries_secrets_and_keys_only_to_this_machine() {
        for ok in [
            "https://edge.example",
            "http://127.0.0.1:8787",
            "http://127.8.9.10",
            "http://localhost:8787/prefix",
            "http://LOCALHOST",
            "http://[::1]:8787",
        ] {
            assert!(is_private_channel(ok), "{ok}");
        }
        for bad in [
            "http://edge.example",
            "http://10.0.0.1:8787",
            "http://128.0.0.1",
            "http://localhost.evil.example",
            "http://[::2]:8787",
            "http://[::ffff:127.0.0.1]",
            "http://127.0.0.1.nip.io",
        ] {
            assert!(!is_private_channel(bad), "{bad}");
        }
    }

    #[test]
    fn a_token_is_never_sent_over_plain_http_to_another_machine() {
        // 192.0.2.0/24 is TEST-NET-1: were the request made, it would hang or fail as unreachable.
        let client = Client::new("http://192.0.2.1:9", Some("kls_secret".into())).unwrap();
        let e = client.send(&req(Access::Scope("read"))).err().unwrap();
        assert!(matches!(e, Error::Usage(_)), "{e:?}");
        assert!(e.to_string().contains("plain http") && !e.to_string().contains("kls_secret"), "{e}");
        // A public request carries no token: allowed (it fails here only as unreachable).
        let e = Client::new("http://127.0.0.1:9", Some("kls_secret".into())).unwrap().send(&req(Access::Public));
        assert!(matches!(e.err().unwrap(), Error::Unreachable { .. }));
    }

    #[test]
    fn a_jwks_is_never_fetched_over_plain_http_from_another_machine() {
        let e = fetch_public_json("http://192.0.2.1:9/.well-known/jwks.json").unwrap_err();
        assert!(matches!(e, Error::Usage(_)) && e.to_string().contains("plain http"), "{e}");
    }

    #[test]
    fn a_token_is_required_before_anything_is_sent() {
        let client = Client::new("http://127.0.0.1:9", None).unwrap();
        let e = client.send(&req(Access::Scope("read"))).err().unwrap();
        assert!(matches!(e, Error::Usage(_)));
        assert!(e.to_string().contains("KELISIM_TOKEN"));
    }
}
