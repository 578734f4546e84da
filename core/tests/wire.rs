//! Core's serde model, canonicalised, against kelisim-wire's hand-written texts (what the widget
//! signs and checks): one property test over arbitrary claims and receipts, and the names.

use std::collections::BTreeMap;

use kelisim_core::canonical::to_canonical_string;
use kelisim_core::category::Decision;
use kelisim_core::receipt::{
    Action, LogPosition, PolicyRef, Receipt, ReceiptClaims, SubmitReceipt, RECEIPT_SCHEMA_VERSION,
};
use kelisim_core::sign::PublicJwk;
use kelisim_wire::canonical::MAX_SAFE_INTEGER;
use kelisim_wire::claims::{self, Claims};
use kelisim_wire::decisions::Decisions;
use kelisim_wire::receipt::{payload, submission};
use proptest::prelude::*;

const ACTIONS: [Action; 5] =
    [Action::AcceptAll, Action::RejectAll, Action::Custom, Action::Withdraw, Action::GpcDefault];

/// Any text, with the characters canonical JSON treats specially over-represented: controls,
/// quotes and backslashes, DEL, line separators, the edges of the surrogate range and astral
/// characters (two UTF-16 code units, which order member names differently from UTF-8).
fn text() -> impl Strategy<Value = String> {
    let special = proptest::sample::select(vec![
        '\u{0}',
        '\u{8}',
        '\t',
        '\n',
        '\u{b}',
        '\u{c}',
        '\r',
        '\u{1f}',
        '"',
        '\\',
        '/',
        '\u{7f}',
        '\u{2028}',
        '\u{2029}',
        '\u{D7FF}',
        '\u{E000}',
        '\u{FF61}',
        '\u{FFFF}',
        '\u{10000}',
        '😀',
        '\u{10FFFF}',
        'a',
        'Z',
    ]);
    proptest::collection::vec(prop_oneof![any::<char>(), special], 0..12).prop_map(|c| c.into_iter().collect())
}

fn claims() -> impl Strategy<Value = ReceiptClaims> {
    let ids = (text(), text(), text(), proptest::option::of(text()));
    let policy =
        (any::<u32>(), text(), text()).prop_map(|(version, sha256, language)| PolicyRef { version, sha256, language });
    let decisions = proptest::collection::btree_map(
        text(),
        any::<bool>().prop_map(|g| if g { Decision::Granted } else { Decision::Denied }),
        0..8,
    );
    let rest =
        (proptest::sample::select(ACTIONS.to_vec()), any::<bool>(), text(), proptest::option::of(text()), text());
    (ids, policy, decisions, rest).prop_map(
        |((id, site, subject, x), policy, decisions, (action, gpc, client_time, prev, widget_version))| ReceiptClaims {
            schema: RECEIPT_SCHEMA_VERSION,
            id,
            site,
            subject,
            subject_key: x.map(|x| PublicJwk { kty: "OKP".into(), crv: "Ed25519".into(), x }),
            policy,
            decisions,
            action,
            gpc,
            client_time,
            prev,
            widget_version,
        },
    )
}

/// The claims as the widget writes them, through kelisim-wire.
fn wire_claims(c: &ReceiptClaims) -> String {
    let decisions: Decisions = c.decisions.iter().map(|(k, d)| (k.as_str(), d.is_granted())).collect();
    Claims {
        id: &c.id,
        site: &c.site,
        subject: &c.subject,
        subject_key: c.subject_key.as_ref().map(|k| k.x.as_str()),
        policy: claims::PolicyRef { version: c.policy.version, sha256: &c.policy.sha256, language: &c.policy.language },
        decisions: &decisions,
        action: c.action.wire(),
        gpc: c.gpc,
        client_time: &c.client_time,
        prev: c.prev.as_deref(),
        widget_version: &c.widget_version,
    }
    .canonical()
}

proptest! {
    /// Whatever the texts and numbers, serde's canonical claims, submission and countersigned
    /// receipt are byte for byte what kelisim-wire writes by hand.
    #[test]
    fn wire_writes_what_serde_canonicalises(
        claims in claims(),
        visitor_signature in proptest::option::of(text()),
        hash in text(),
        server_time in text(),
        log in proptest::option::of((0..=MAX_SAFE_INTEGER, text())),
    ) {
        let canonical = claims.canonical().unwrap();
        prop_assert_eq!(&wire_claims(&claims), &canonical);

        let submit = SubmitReceipt { claims: claims.clone(), visitor_signature: visitor_signature.clone() };
        prop_assert_eq!(submission(&canonical, visitor_signature.as_deref()), to_canonical_string(&submit).unwrap());

        let log = log.map(|(index, origin)| LogPosition { index, origin });
        let receipt = Receipt { claims, visitor_signature, hash, server_time, log };
        let wire_log = receipt.log.as_ref().map(|l| kelisim_wire::receipt::LogPosition { index: l.index, origin: l.origin.clone() });
        prop_assert_eq!(
            payload(&canonical, &receipt.hash, wire_log.as_ref(), &receipt.server_time, receipt.visitor_signature.as_deref()),
            to_canonical_string(&receipt).unwrap()
        );
    }
}

#[test]
fn names_are_what_serde_writes() {
    for action in ACTIONS {
        let serde_name = serde_json::to_value(action).unwrap();
        assert_eq!(serde_name.as_str(), Some(action.as_str()));
        assert_eq!(kelisim_wire::names::Action::parse(action.as_str()), Some(action.wire()));
    }
    assert_eq!(kelisim_wire::names::Action::ALL.len(), ACTIONS.len());
    for d in [Decision::Granted, Decision::Denied] {
        assert_eq!(serde_json::to_value(d).unwrap().as_str(), Some(d.as_str()));
    }
    let mut jwk = String::new();
    claims::ed25519_jwk(&mut jwk, "x");
    let core = PublicJwk { kty: "OKP".into(), crv: "Ed25519".into(), x: "x".into() };
    assert_eq!(jwk, to_canonical_string(&core).unwrap());
    let decisions: BTreeMap<&str, Decision> = [("b", Decision::Granted), ("a", Decision::Denied)].into();
    let wire: Decisions = decisions.iter().map(|(k, d)| (*k, d.is_granted())).collect();
    let mut text = String::new();
    wire.write_json(&mut text);
    assert_eq!(text, to_canonical_string(&decisions).unwrap());
}
