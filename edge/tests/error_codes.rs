//! The one list of stable error codes (`kelisim_core::ErrorCode`) against what documents and
//! maps them: the OpenAPI document's `ErrorCode` enum lists exactly these codes, and each has
//! the status edge/src/error.rs gives it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use kelisim_core::ErrorCode;
use kelisim_edge::error::{status_of, ApiError};
use serde_json::Value;

#[test]
fn the_openapi_document_lists_exactly_the_error_codes() {
    let doc: Value = serde_json::from_str(include_str!("../openapi.json")).unwrap();
    let documented: BTreeSet<&str> = doc
        .pointer("/components/schemas/ErrorCode/enum")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let listed: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, listed);
}

#[test]
fn every_code_maps_to_an_error_status_and_the_error_body_names_it() {
    for code in ErrorCode::ALL {
        let status = status_of(*code);
        assert!((400..600).contains(&status), "{code}: {status}");
        let err = ApiError::new(*code, "x");
        assert_eq!(err.status, status);
        let body: Value = serde_json::from_str(&err.body()).unwrap();
        assert_eq!(body["error"]["code"], code.as_str());
    }
    // A rule broken inside a body is 422 whatever its code; the same code in a path is 400.
    let in_body: ApiError = kelisim_core::ValidationError::InvalidId { field: "site", reason: "x" }.into();
    assert_eq!((in_body.status, in_body.code), (422, ErrorCode::InvalidId));
    assert_eq!(status_of(ErrorCode::InvalidId), 400);
}
