//! The first layer of a policy: what a consent banner shows, in one language — the operator,
//! the summary, the categories with their titles and descriptions — without the full policy
//! text or the Art. 8(4) details, which a widget loads when the visitor opens them. The answer
//! carries the full document's content hash and version, so a receipt made from the banner still
//! binds the whole policy. Pure: `routes` serves it for `GET …/policy?layer=banner`.

use serde_json::{json, Value};

use kelisim_core::policy::Policy;

use crate::error::ApiError;
use kelisim_core::error_code::ErrorCode;

/// The `layer` query parameter's one value: the banner's document.
pub const BANNER_LAYER: &str = "banner";

/// Members of the localized policy the first layer leaves out: the full text, the Art. 8(4)
/// details; and of each category, the anchors into the text.
const LEFT_OUT: [&str; 2] = ["text", "consent"];
const CATEGORY_LEFT_OUT: [&str; 1] = ["sections"];

/// Reads the `layer` query parameter: absent for the full policy, `banner` for the first layer.
///
/// # Errors
/// `400 invalid_query` for any other value.
pub fn parse_layer(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None => Ok(false),
        Some(BANNER_LAYER) => Ok(true),
        Some(_) => Err(ApiError::new(ErrorCode::InvalidQuery, "layer: must be banner")),
    }
}

/// The first layer of `policy` in `language` (one of its languages), as the edge answers it:
/// `{sha256, last_material_version, language, layer: "banner", policy}`, where `sha256` is the
/// content hash of the full document.
///
/// # Errors
/// Internal when the policy cannot be written as JSON (it always can).
pub fn first_layer(
    policy: &Policy,
    sha256: &str,
    last_material_version: u32,
    language: &str,
) -> Result<Value, ApiError> {
    let mut shown = serde_json::to_value(policy.localized(language)).map_err(|_| ApiError::internal())?;
    if let Some(members) = shown.as_object_mut() {
        for name in LEFT_OUT {
            members.remove(name);
        }
        if let Some(categories) = members.get_mut("categories").and_then(Value::as_array_mut) {
            for category in categories.iter_mut().filter_map(Value::as_object_mut) {
                for name in CATEGORY_LEFT_OUT {
                    category.remove(name);
                }
            }
        }
    }
    Ok(json!({
        "sha256": sha256,
        "last_material_version": last_material_version,
        "language": language,
        "layer": BANNER_LAYER,
        "policy": shown,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Policy {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/demo/policies/crm-demo.json");
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["consent"] = json!({"term": {"text": {"ru": "До отзыва"}}});
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_first_layer_is_the_banner_in_one_language_bound_to_the_full_hash() {
        let policy = demo();
        let sha = policy.content_hash().unwrap();
        for lang in ["ru", "kk", "en"] {
            let layer = first_layer(&policy, &sha, 3, lang).unwrap();
            assert_eq!(layer["sha256"], sha.as_str());
            assert_eq!(layer["last_material_version"], 3);
            assert_eq!(layer["language"], lang);
            assert_eq!(layer["layer"], "banner");
            let p = &layer["policy"];
            assert_eq!(p["version"], policy.version);
            assert_eq!(p["operator"]["legal_name"], policy.operator.legal_name.as_str());
            assert_eq!(p["languages"], json!(policy.languages));
            assert_eq!(p["summary"], json!({ lang: policy.summary[lang] }));
            assert!(p.get("text").is_none() && p.get("consent").is_none());
            for (shown, full) in p["categories"].as_array().unwrap().iter().zip(&policy.categories) {
                assert_eq!(shown["id"], full.id.as_str());
                assert_eq!(shown["title"], json!({ lang: full.title[lang] }));
                assert_eq!(shown["description"], json!({ lang: full.description[lang] }));
                assert!(shown.get("sections").is_none());
            }
            let full = serde_json::to_string(&policy.localized(lang)).unwrap();
            assert!(layer.to_string().len() * 3 < full.len(), "{lang}: a fraction of the full text");
        }
    }

    #[test]
    fn only_the_banner_layer_is_known() {
        assert!(!parse_layer(None).unwrap());
        assert!(parse_layer(Some("banner")).unwrap());
        for bad in ["", "Banner", "full", "banner,full"] {
            let e = parse_layer(Some(bad)).unwrap_err();
            assert!(e.body().contains("invalid_query"), "{bad}");
        }
    }
}
