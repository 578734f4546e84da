//! A stored policy version, the answers of `GET …/policy` (the whole document in one language,
//! or its first layer), publication, and the version listing.

use serde::{Deserialize, Serialize};

use crate::policy::{Localized, Operator, Policy};

/// A published policy version with its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredPolicy {
    pub sha256: String,
    /// The newest version marked material up to this one: a widget whose stored choice is
    /// older asks again.
    pub last_material_version: u32,
    pub policy: Policy,
}

/// The answer of `GET /v1/sites/{site}/policy` (and of a given version): the document in the
/// language served, with the hash of the full document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAnswer {
    pub sha256: String,
    pub last_material_version: u32,
    pub language: String,
    pub policy: Policy,
}

/// The `layer` query parameter's one value, and the `layer` member of a first-layer answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// What a consent banner shows.
    Banner,
}

impl Layer {
    /// The name of the layer in the query and the answer.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
        }
    }
}

/// The answer of `GET …/policy?layer=banner`: the first layer in one language, with the hash
/// and version of the full document, so a receipt made from it binds the whole policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstLayer {
    pub sha256: String,
    pub last_material_version: u32,
    pub language: String,
    pub layer: Layer,
    pub policy: BannerPolicy,
}

/// A policy narrowed to its first layer: without the full text (`text`) or the Art. 8(4)
/// details (`consent`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerPolicy {
    pub schema: u32,
    pub site: String,
    pub version: u32,
    pub effective_date: String,
    pub material: bool,
    pub operator: Operator,
    pub languages: Vec<String>,
    pub categories: Vec<BannerCategory>,
    pub summary: Localized,
}

/// A category as the first layer shows it: without the anchors into the text (`sections`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannerCategory {
    pub id: String,
    pub switchable: bool,
    pub default: bool,
    pub gpc_sensitive: bool,
    pub title: Localized,
    pub description: Localized,
}

/// The body of a fresh answer to `GET …/policy`: the whole document or its first layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PolicyBody {
    Full(PolicyAnswer),
    Banner(FirstLayer),
}

impl PolicyBody {
    /// The body as served: JSON with the members of every object in sorted order, the bytes
    /// the edge has always sent (it used to build this answer as a `serde_json::Value`, whose
    /// objects keep their keys sorted).
    ///
    /// # Errors
    /// When the body cannot be written as JSON (it always can).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(&serde_json::to_value(self)?)
    }
}

/// The answer of publishing a policy version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub site: String,
    pub version: u32,
    pub sha256: String,
}

/// One published version as listed (the list metadata of its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersionInfo {
    pub version: u32,
    pub sha256: String,
    pub effective_date: String,
    pub material: bool,
}

/// The answer of `GET /v1/sites/{site}/policy/versions`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersions {
    pub versions: Vec<PolicyVersionInfo>,
}
