//! The edge's route table over hostile paths: never panics, and every matched route carries
//! identifiers that are safe to put into KV keys. The query-string parser of operator
//! listings and the bearer-token reader get the same input.
//!
//! Input: first byte picks the method, the rest is `PATH[?QUERY]` (UTF-8), `\n` then an
//! `Authorization` header value.
#![no_main]

use kelisim_core::id::{check_slug, is_subject_id, ulid_time_ms};
use kelisim_edge::auth::bearer;
use kelisim_edge::router::{route, Access, Method, Route, MAX_PATH_CHARS};
use kelisim_edge::service::ReceiptQuery;
use libfuzzer_sys::fuzz_target;

const METHODS: [Method; 7] =
    [Method::Get, Method::Head, Method::Post, Method::Put, Method::Delete, Method::Options, Method::Other];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (target, authorization) = text.split_once('\n').unwrap_or((text, ""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));

    let chosen = METHODS[usize::from(first) % METHODS.len()];
    for method in std::iter::once(chosen).chain(METHODS) {
        match route(method, path) {
            Ok(r) => {
                assert!(path.len() <= MAX_PATH_CHARS);
                let _ = r.access();
                if let Some(site) = r.site() {
                    assert!(check_slug("site", site).is_ok(), "unsafe site {site:?} from {path:?}");
                }
                match &r {
                    Route::GetReceipt { id, .. } => assert!(ulid_time_ms(id).is_some()),
                    Route::GetSubject { subject, .. } | Route::EraseSubject { subject, .. } => {
                        assert!(is_subject_id(subject))
                    }
                    Route::RevokeToken { id, .. } => {
                        assert!(id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
                    }
                    Route::GetPolicyVersion { version, .. } => assert!(*version > 0),
                    _ => {}
                }
                // Nothing a path can reach is public except the documented public routes.
                if r.access() == Access::Public {
                    assert!(matches!(
                        r,
                        Route::Jwks
                            | Route::OpenApi
                            | Route::Preflight { .. }
                            | Route::GetPolicy { .. }
                            | Route::GetPolicyVersion { .. }
                            | Route::SubmitReceipt { .. }
                    ));
                }
            }
            Err(e) => assert!(matches!(e.status, 400 | 404 | 405), "unexpected status {} for {path:?}", e.status),
        }
    }

    let pairs = query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, "")));
    if let Ok(q) = ReceiptQuery::parse(pairs) {
        assert!((1..=kelisim_core::limits::MAX_PAGE_LIMIT).contains(&q.limit));
        if let Some(s) = &q.subject {
            assert!(is_subject_id(s));
        }
        if let Some(c) = &q.category {
            assert!(check_slug("category", c).is_ok());
        }
    }

    if let Some(token) = bearer(Some(authorization)) {
        assert!(!token.is_empty() && authorization.len() <= kelisim_edge::auth::MAX_AUTH_HEADER_CHARS);
    }
});
