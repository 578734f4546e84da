//! Shared by the operator-data tests: a configured site, receipts built and signed as the widget
//! does, receipts seeded straight into KV (for sites of thousands), and one simulated request
//! under the production limit of KV operations.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

pub mod ledger;

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::id::ulid_from_parts;
use kelisim_core::receipt::{Action, PolicyRef, ReceiptClaims, SubmitReceipt};
use kelisim_core::sign::{EdgeSigningKey, JwsHeader, JWS_ALG};
use kelisim_core::time::format_millis;
use kelisim_edge::auth::Scope;
use kelisim_edge::cache::IsolateCache;
use kelisim_edge::keyring::Keyring;
use kelisim_edge::kv::{Kv, MemoryKv, OpBudget, MAX_KV_OPS_PER_REQUEST};
use kelisim_edge::router::Access;
use kelisim_edge::service::Service;
use pollster::block_on;

pub mod submit;
#[allow(unused_imports)]
pub use submit::{ledger_db, SubmitExt, Submitted};

pub const NOW: i64 = 1_795_398_005_123;
pub const SITE: &str = "services-demo";
/// An unsigned subject id (43 base64url characters) that starts with `-`, as about one in 64 do.
pub const DASH_SUBJECT: &str = "-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP";
const EDGE_SEED: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const POLICY: &str = include_str!("../../../www/demo/policies/services-demo.json");

pub fn ring() -> Keyring {
    Keyring::parse(&format!("test:{EDGE_SEED}")).unwrap()
}

/// A site with its policy published; returns the policy's hash and a token with every scope.
pub fn setup(kv: &MemoryKv, keys: &Keyring) -> (String, String) {
    let svc = Service { kv, keys, cache: &IsolateCache::default(), now_ms: NOW };
    block_on(svc.put_site(SITE, br#"{"origins":["http://127.0.0.1:8802"]}"#)).unwrap();
    let sha = block_on(svc.publish_policy(SITE, POLICY.as_bytes())).unwrap().sha256;
    let body = br#"{"scopes":["read","export","erase"],"label":"t"}"#;
    let token = block_on(svc.create_token(SITE, body, [7; 32])).unwrap().1;
    (sha, format!("Bearer {token}"))
}

/// A visitor's receipt, signed with the key of `visitor` (or unsigned when `None`).
pub fn claims(
    sha: &str,
    visitor: Option<u8>,
    id_seed: u8,
    minted_ms: i64,
    action: Action,
    prev: Option<String>,
) -> SubmitReceipt {
    let key = visitor.map(|seed| EdgeSigningKey::from_seed("v", [seed; 32]));
    let jwk = key.as_ref().map(EdgeSigningKey::public_jwk);
    let granted = action == Action::AcceptAll;
    let decisions = ["necessary", "analytics", "marketing", "cross_border"]
        .iter()
        .map(|c| (c.to_string(), if granted || *c == "necessary" { Decision::Granted } else { Decision::Denied }))
        .collect();
    let claims = ReceiptClaims {
        schema: 1,
        id: ulid_from_parts(minted_ms as u64, [id_seed; 10]),
        site: SITE.into(),
        subject: jwk.as_ref().map_or_else(|| DASH_SUBJECT.into(), |j| j.thumbprint()),
        subject_key: jwk.clone(),
        policy: PolicyRef { version: 1, sha256: sha.into(), language: "ru".into() },
        decisions,
        action,
        gpc: false,
        client_time: format_millis(minted_ms),
        prev,
        widget_version: "0.1.0".into(),
    };
    let visitor_signature = key.map(|k| {
        let header = JwsHeader { alg: JWS_ALG.into(), kid: jwk.as_ref().map(|j| j.thumbprint()), typ: None };
        k.sign_detached(&header, to_canonical_string(&claims).unwrap().as_bytes())
    });
    SubmitReceipt { claims, visitor_signature }
}

pub fn body(submit: &SubmitReceipt) -> Vec<u8> {
    serde_json::to_vec(submit).unwrap()
}

/// Every stored key (with its value) whose name or value mentions `needle`.
pub fn traces(kv: &MemoryKv, needle: &str) -> Vec<String> {
    let all = block_on(kv.list("", usize::MAX - 1, None)).unwrap();
    all.keys
        .into_iter()
        .filter(|k| {
            let value = block_on(kv.get(&k.name)).unwrap().unwrap_or_default();
            k.name.contains(needle)
                || value.contains(needle)
                || k.metadata.as_ref().is_some_and(|m| m.to_string().contains(needle))
        })
        .map(|k| k.name)
        .collect()
}

/// One operator request as the runtime makes it: every KV operation (the authorisation's token
/// read and the site check included) counts against [`MAX_KV_OPS_PER_REQUEST`], and the
/// 1,001st fails. A fresh isolate cache, so nothing is saved by an earlier request.
pub struct Request<'a> {
    pub budget: OpBudget<'a, MemoryKv>,
    pub keys: &'a Keyring,
    pub cache: IsolateCache,
    pub now_ms: i64,
}

impl<'a> Request<'a> {
    pub fn new(kv: &'a MemoryKv, keys: &'a Keyring, now_ms: i64) -> Self {
        Self { budget: OpBudget::new(kv, MAX_KV_OPS_PER_REQUEST), keys, cache: IsolateCache::default(), now_ms }
    }

    /// The service after the route's own checks (authorisation with `token`, the site exists).
    pub fn service(&self, scope: Scope, token: &str) -> Service<'_, OpBudget<'a, MemoryKv>> {
        let svc = Service { kv: &self.budget, keys: self.keys, cache: &self.cache, now_ms: self.now_ms };
        block_on(svc.authorize(Access::Scoped(scope), Some(SITE), Some(token), "admin-secret")).unwrap();
        block_on(svc.site(SITE)).unwrap();
        svc
    }
}
