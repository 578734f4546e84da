//! A stored policy version, the answer of `GET …/policy`, publication, and the version listing.

use serde::{Deserialize, Serialize};

use crate::policy::Policy;

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
