//! Sites: configuring one (the admin), and reading its configuration (through the isolate's cache).

use std::rc::Rc;

use kelisim_core::api::sites::{SiteAnswer, SiteConfig};

use super::{get_json, parse_json, to_json, Service};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

impl<K: Kv> Service<'_, K> {
    /// Creates or replaces a site's configuration. Returns whether it was new.
    ///
    /// # Errors
    /// 400 for a malformed body, 422 for invalid origins, 503 when KV fails.
    pub async fn put_site(&self, site: &str, body: &[u8]) -> Result<bool, ApiError> {
        let mut config: SiteConfig = parse_json(body)?;
        config.validate()?;
        let existed = self.kv.get(&keys::site(site)).await?.is_some();
        self.kv.put(&keys::site(site), &to_json(&config)?, None).await?;
        self.cache.keep_site(site, Rc::new(config), self.now_ms);
        Ok(!existed)
    }

    /// A site's configuration (from the isolate's cache when read moments ago).
    ///
    /// # Errors
    /// 404 `unknown_site`, 503 when KV fails.
    pub async fn site(&self, site: &str) -> Result<Rc<SiteConfig>, ApiError> {
        if let Some(config) = self.cache.site(site, self.now_ms) {
            return Ok(config);
        }
        let config: Rc<SiteConfig> =
            Rc::new(get_json(self.kv, &keys::site(site)).await?.ok_or_else(ApiError::unknown_site)?);
        self.cache.keep_site(site, config.clone(), self.now_ms);
        Ok(config)
    }

    /// Configures a site (as [`Service::put_site`]): the answer, and whether it was new.
    ///
    /// # Errors
    /// As [`Service::put_site`].
    pub async fn configure_site(&self, site: &str, body: &[u8]) -> Result<(SiteAnswer, bool), ApiError> {
        let created = self.put_site(site, body).await?;
        Ok((SiteAnswer { site: site.to_owned() }, created))
    }
}
