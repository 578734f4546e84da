//! A site's configuration (stored under its key, set by the admin) and the answer to setting it.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::limits::MAX_ORIGINS;
use crate::origin::normalize_origin;

/// A site's configuration, set by the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Origins whose pages may load the widget and post receipts.
    pub origins: Vec<String>,
}

impl SiteConfig {
    /// Checks the origins and puts each in the form a browser sends (lower-case host, no default
    /// port), dropping duplicates that normalising reveals.
    ///
    /// # Errors
    /// [`ValidationError`] for too many or invalid origins.
    pub fn validate(&mut self) -> Result<(), ValidationError> {
        if self.origins.len() > MAX_ORIGINS {
            return Err(ValidationError::TooMany { field: "origins", max: MAX_ORIGINS });
        }
        let mut normal = Vec::with_capacity(self.origins.len());
        for origin in &self.origins {
            let origin = normalize_origin(origin)?;
            if !normal.contains(&origin) {
                normal.push(origin);
            }
        }
        self.origins = normal;
        Ok(())
    }
}

/// The answer to `PUT /v1/sites/{site}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteAnswer {
    pub site: String,
}
