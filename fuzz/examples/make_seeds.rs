//! Writes the seed corpora (`corpus/<target>/seed-*`). Deterministic: fixed keys and times, so
//! running it again rewrites the same files. Run from `fuzz/`:
//! `cargo run --example make_seeds` (stable is fine).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use kelisim_core::canonical::{sha256_hex, to_canonical_string};
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::policy::Policy;
use kelisim_core::receipt::{Action, PolicyRef, ReceiptClaims, SubmitReceipt, RECEIPT_SCHEMA_VERSION};
use kelisim_core::sign::{EdgeSigningKey, JwsHeader, JWS_ALG, RECEIPT_JWS_TYP};

/// The policy `edge_submit` publishes for site `s` (also a `policy_parse` seed).
const MINIMAL_POLICY: &str = include_str!("../fixtures/minimal-policy.json");

/// 2026-11-23T00:00:00.000Z
const NOW_MS: u64 = 1_795_392_000_000;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("create corpus dir");
    fs::write(dir.join(format!("seed-{name}")), bytes).expect("write seed");
}

fn claims(key: Option<&EdgeSigningKey>, action: Action, prev: Option<String>, n: u8) -> ReceiptClaims {
    let (subject, subject_key) = match key {
        Some(k) => (k.public_jwk().thumbprint(), Some(k.public_jwk())),
        None => ("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde".to_owned(), None),
    };
    let granted = matches!(action, Action::AcceptAll);
    let mut decisions = BTreeMap::new();
    for id in ["necessary", "analytics", "marketing", "cross_border", "ai_processing"] {
        decisions
            .insert(id.to_owned(), if granted || id == "necessary" { Decision::Granted } else { Decision::Denied });
    }
    ReceiptClaims {
        schema: RECEIPT_SCHEMA_VERSION,
        id: ulid_from_parts(NOW_MS + u64::from(n), [n; 10]),
        site: "s".into(),
        subject,
        subject_key,
        policy: PolicyRef { version: 3, sha256: sha256_hex(b"policy"), language: "ru".into() },
        decisions,
        action,
        gpc: matches!(action, Action::GpcDefault),
        client_time: "2026-11-23T00:00:00.000Z".into(),
        prev,
        widget_version: "0.1.0".into(),
    }
}

fn submit(claims: ReceiptClaims, key: Option<&EdgeSigningKey>) -> Vec<u8> {
    let visitor_signature = key.map(|k| {
        let header = JwsHeader { alg: JWS_ALG.into(), kid: Some(claims.subject.clone()), typ: None };
        k.sign_detached(&header, claims.canonical().expect("canonical").as_bytes())
    });
    let s = SubmitReceipt { claims, visitor_signature };
    // Seeds must get past the checks the target runs, or mutations start from nothing.
    s.claims.validate_shape("s").expect("seed claims have a valid shape");
    s.claims.verify_visitor_signature(s.visitor_signature.as_deref()).expect("seed signature verifies");
    serde_json::to_vec_pretty(&s).expect("json")
}

/// Every `edge_submit` seed must be accepted by the edge, as the target sets it up.
fn check_edge_seeds(policy: &str) {
    use kelisim_edge::keyring::Keyring;
    use kelisim_edge::kv::MemoryKv;
    use kelisim_edge::service::Service;
    use std::task::{Context, Poll, Waker};
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }
    let keys = Keyring::parse("edge-b:ERERERERERERERERERERERERERERERERERERERERERE").expect("keyring");
    for entry in fs::read_dir("corpus/edge_submit").expect("seeds") {
        let path = entry.expect("entry").path();
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-")) {
            continue;
        }
        let kv = MemoryKv::default();
        let svc = Service { kv: &kv, keys: &keys, now_ms: 1_795_392_300_000 };
        block_on(svc.put_site("s", br#"{"origins":["https://s.example"]}"#)).expect("site");
        block_on(svc.publish_policy("s", policy.as_bytes())).expect("policy");
        let body = fs::read(&path).expect("seed");
        if let Err(e) = block_on(svc.submit_receipt("s", &body)) {
            panic!("{}: the edge refuses this seed: {} {}", path.display(), e.code, e.message);
        }
    }
}

fn main() {
    // receipt_parse: signed (the widget's normal case), unsigned, and a chained accept-all.
    let visitor = EdgeSigningKey::from_seed("unused", [0x55; 32]);
    let first = claims(Some(&visitor), Action::RejectAll, None, 1);
    let first_hash = first.hash().expect("hash");
    write("receipt_parse", "signed.json", &submit(first.clone(), Some(&visitor)));
    write("receipt_parse", "unsigned.json", &submit(claims(None, Action::Custom, None, 2), None));
    let chained = claims(Some(&visitor), Action::AcceptAll, Some(first_hash), 3);
    write("receipt_parse", "chained.json", &submit(chained, Some(&visitor)));
    let gpc = claims(None, Action::GpcDefault, Some("0".repeat(64)), 4);
    write(
        "receipt_parse",
        "gpc.json",
        &serde_json::to_vec(&SubmitReceipt { claims: gpc, visitor_signature: None }).expect("json"),
    );

    // policy_parse: the two demo policies and a minimal valid one.
    for name in ["crm-demo", "services-demo"] {
        let path = format!("../www/demo/policies/{name}.json");
        let text = fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let policy: Policy = serde_json::from_slice(&text).expect("demo policy parses");
        policy.validate().expect("demo policy is valid");
        write("policy_parse", &format!("{name}.json"), &text);
    }
    let minimal = MINIMAL_POLICY;
    let policy: Policy = serde_json::from_str(minimal).expect("minimal policy parses");
    policy.validate().expect("minimal policy is valid");
    write("policy_parse", "minimal.json", minimal.as_bytes());

    // canonicalize: RFC 8785 corner cases within Kelisim's subset (and floats it refuses).
    let values = [
        ("claims.json", to_canonical_string(&first).expect("canonical")),
        ("utf16-order.json", "{\"\u{e000}\":1,\"\u{1f600}\":2,\"a\":3,\"\u{80}\":4,\"A\":5,\"\":6}".to_owned()),
        ("escapes.json", r#"["\u0000\u001f\b\f\n\r\t\"\\/", "\u2028\u2029\u007f", "é"]"#.to_owned()),
        ("integers.json", "[0,-1,9007199254740991,-9007199254740991,9007199254740992,1e2,-0,1.5]".to_owned()),
        ("nested.json", r#"{"b":[{"d":null,"c":true}],"a":{"z":false,"y":[[],{}]}}"#.to_owned()),
        ("duplicate-keys.json", r#"{"a":1,"a":2}"#.to_owned()),
    ];
    for (name, text) in values {
        write("canonicalize", name, text.as_bytes());
    }

    // jws_verify: the fixed keys of fuzz_targets/jws_verify.rs.
    let current = EdgeSigningKey::from_seed("edge-2026-02", [0x11; 32]);
    let previous = EdgeSigningKey::from_seed("edge-2026-01", [0x22; 32]);
    let visitor = EdgeSigningKey::from_seed("visitor", [0x33; 32]);
    let header = |k: &EdgeSigningKey, typ: Option<&str>| JwsHeader {
        alg: JWS_ALG.into(),
        kid: Some(k.kid().into()),
        typ: typ.map(str::to_owned),
    };
    let payload = to_canonical_string(&first).expect("canonical");
    write(
        "jws_verify",
        "compact-current",
        current.sign_compact(&header(&current, Some(RECEIPT_JWS_TYP)), payload.as_bytes()).as_bytes(),
    );
    write(
        "jws_verify",
        "compact-previous",
        previous.sign_compact(&header(&previous, Some(RECEIPT_JWS_TYP)), b"{}").as_bytes(),
    );
    write("jws_verify", "compact-no-typ", current.sign_compact(&header(&current, None), b"p").as_bytes());
    let detached = visitor.sign_detached(&header(&visitor, None), payload.as_bytes());
    write("jws_verify", "detached", format!("{detached}\n{payload}").as_bytes());
    write("jws_verify", "alg-none", b"eyJhbGciOiJub25lIn0.cA.\n");

    // edge_router: method byte (index into GET, HEAD, POST, PUT, DELETE, OPTIONS, other),
    // then the path, an optional query, and an Authorization header after a newline.
    let routes: [(u8, &str); 12] = [
        (0, "/.well-known/jwks.json"),
        (0, "/v1/openapi.json"),
        (0, "/v1/sites/crm-demo/policy?lang=ru"),
        (0, "/v1/sites/crm-demo/policy/versions/3"),
        (2, "/v1/sites/crm-demo/receipts"),
        (5, "/v1/sites/crm-demo/receipts"),
        (0, "/v1/sites/crm-demo/receipts?from=2026-11-01T00:00:00.000Z&to=2026-11-23T00:00:00.000Z&category=analytics&decision=granted&limit=5\nBearer kls_token"),
        (0, "/v1/sites/crm-demo/receipts/01KAPZ8R6KTSV4RRFFQ69G5FAV\nBearer admin"),
        (4, "/v1/sites/crm-demo/subjects/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"),
        (4, "/v1/sites/crm-demo/tokens/0123456789abcdef01234567"),
        (3, "/v1/sites/crm-demo"),
        (0, "/v1/sites/crm-demo/export?format=csv&subject=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"),
    ];
    for (i, (method, path)) in routes.iter().enumerate() {
        let mut bytes = vec![*method];
        bytes.extend_from_slice(path.as_bytes());
        write("edge_router", &format!("{i:02}"), &bytes);
    }
    // edge_submit: submissions that the edge accepts for the minimal policy of site `s`
    // (published as version 1 by the target), signed and unsigned, and a chained one.
    let sha = policy.content_hash().expect("hash");
    let edge_claims = |key: Option<&EdgeSigningKey>, action: Action, prev: Option<String>, n: u8| {
        let mut c = claims(key, action, prev, n);
        c.policy = PolicyRef { version: 1, sha256: sha.clone(), language: "ru".into() };
        c.decisions.retain(|id, _| id == "necessary" || id == "marketing");
        c.gpc = matches!(action, Action::GpcDefault);
        c
    };
    let visitor = EdgeSigningKey::from_seed("unused", [0x66; 32]);
    let a = edge_claims(Some(&visitor), Action::RejectAll, None, 5);
    let a_hash = a.hash().expect("hash");
    write("edge_submit", "signed.json", &submit(a, Some(&visitor)));
    write(
        "edge_submit",
        "chained.json",
        &submit(edge_claims(Some(&visitor), Action::AcceptAll, Some(a_hash), 6), Some(&visitor)),
    );
    write("edge_submit", "unsigned-custom.json", &submit(edge_claims(None, Action::Custom, None, 7), None));
    write("edge_submit", "unsigned-gpc.json", &submit(edge_claims(None, Action::GpcDefault, None, 8), None));
    check_edge_seeds(MINIMAL_POLICY);

    println!("seeds written under corpus/");
}
