//! The first layer of a policy: what a consent banner shows, in one language — the operator,
//! the summary, the categories with their titles and descriptions — without the full policy
//! text or the Art. 8(4) details, which a widget loads when the visitor opens them. The answer
//! carries the full document's content hash and version, so a receipt made from the banner still
//! binds the whole policy. Pure: `Service::policy_answer` serves it for `GET …/policy?layer=banner`.

use kelisim_core::api::policies::{BannerCategory, BannerPolicy, FirstLayer, Layer};
use kelisim_core::error_code::ErrorCode;
use kelisim_core::policy::Policy;

use crate::error::ApiError;

/// The `layer` query parameter's one value: the banner's document.
pub const BANNER_LAYER: &str = Layer::Banner.as_str();

/// Reads the `layer` query parameter: absent for the full policy, `banner` for the first layer.
///
/// # Errors
/// `400 invalid_query` for any other value.
pub fn parse_layer(raw: Option<&str>) -> Result<Option<Layer>, ApiError> {
    match raw {
        None => Ok(None),
        Some(BANNER_LAYER) => Ok(Some(Layer::Banner)),
        Some(_) => Err(ApiError::new(ErrorCode::InvalidQuery, "layer: must be banner")),
    }
}

/// The first layer of `policy` in `language` (one of its languages), as the edge answers it:
/// the localized policy without its full text (`text`), its Art. 8(4) details (`consent`) and
/// its categories' anchors into the text (`sections`); `sha256` is the content hash of the full
/// document.
#[must_use]
pub fn first_layer(policy: &Policy, sha256: &str, last_material_version: u32, language: &str) -> FirstLayer {
    let shown = policy.localized(language);
    FirstLayer {
        sha256: sha256.to_owned(),
        last_material_version,
        language: language.to_owned(),
        layer: Layer::Banner,
        policy: BannerPolicy {
            schema: shown.schema,
            site: shown.site,
            version: shown.version,
            effective_date: shown.effective_date,
            material: shown.material,
            operator: shown.operator,
            languages: shown.languages,
            categories: shown
                .categories
                .into_iter()
                .map(|c| BannerCategory {
                    id: c.id,
                    switchable: c.switchable,
                    default: c.default,
                    gpc_sensitive: c.gpc_sensitive,
                    title: c.title,
                    description: c.description,
                })
                .collect(),
            summary: shown.summary,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

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
            let layer = serde_json::to_value(first_layer(&policy, &sha, 3, lang)).unwrap();
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
        assert_eq!(parse_layer(None).unwrap(), None);
        assert_eq!(parse_layer(Some("banner")).unwrap(), Some(Layer::Banner));
        for bad in ["", "Banner", "full", "banner,full"] {
            let e = parse_layer(Some(bad)).unwrap_err();
            assert!(e.body().contains("invalid_query"), "{bad}");
        }
    }
}
