//! Tokens: creating, listing and revoking site tokens, and authorising a request (the admin
//! token, or a site token with the route's scope).

use kelisim_core::api::tokens::{CreateToken, TokenCreated, TokenListing, TokenRecord};
use kelisim_core::error::ValidationError;
use kelisim_core::sign::b64url_encode;
use kelisim_core::time::format_millis;
use kelisim_core::ErrorCode;

use super::{get_json, parse_json, to_json, Service, MAX_LISTING_PAGES};
use crate::auth::{
    bearer, check_token, is_admin, require_admin, token_digest, Access, Principal, MAX_TOKEN_LABEL_CHARS,
};
use crate::error::ApiError;
use crate::keys;
use crate::kv::Kv;

impl<K: Kv> Service<'_, K> {
    /// Creates a site token with `random` as its secret part. Returns the record and the token.
    ///
    /// # Errors
    /// 400 / 422 for a bad body, 404 for an unknown site, 503 when KV fails.
    pub async fn create_token(
        &self,
        site: &str,
        body: &[u8],
        random: [u8; 32],
    ) -> Result<(TokenRecord, String), ApiError> {
        let request: CreateToken = parse_json(body)?;
        if request.scopes.is_empty() {
            return Err(ValidationError::Empty { field: "scopes" }.into());
        }
        if request.label.chars().count() > MAX_TOKEN_LABEL_CHARS {
            return Err(ValidationError::TooLong { field: "label", max: MAX_TOKEN_LABEL_CHARS }.into());
        }
        self.site(site).await?;
        let token = format!("kls_{}", b64url_encode(&random));
        let (id, sha256) = token_digest(&token);
        let mut scopes = request.scopes;
        scopes.sort();
        scopes.dedup();
        let record = TokenRecord {
            id,
            site: site.to_owned(),
            scopes,
            label: request.label,
            created: format_millis(self.now_ms),
            sha256,
        };
        let listed = serde_json::to_value(TokenRecord { sha256: String::new(), ..record.clone() })
            .map_err(|_| ApiError::internal())?;
        self.kv.put(&keys::token(&record.id), &to_json(&record)?, Some(&listed)).await?;
        Ok((record, token))
    }

    /// The stored record of a presented token, if any.
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn token_record(&self, token: &str) -> Result<Option<TokenRecord>, ApiError> {
        get_json(self.kv, &keys::token(&token_digest(token).0)).await
    }

    /// Who the caller is, for a route with `access` on `site`: `None` on a public route, else the
    /// admin or the site token's record. The one decision every operator route goes through.
    ///
    /// # Errors
    /// 401 for no, a malformed or an unknown token (and for a site token on an admin route);
    /// 403 for a site token of another site or without the scope; 503 when KV fails.
    pub async fn authorize(
        &self,
        access: Access,
        site: Option<&str>,
        authorization: Option<&str>,
        admin_token: &str,
    ) -> Result<Option<Principal>, ApiError> {
        let scope = match access {
            Access::Public => return Ok(None),
            Access::Admin => return require_admin(authorization, admin_token).map(Some),
            Access::Scoped(_) if is_admin(authorization, admin_token) => return Ok(Some(Principal::Admin)),
            Access::Scoped(scope) => scope,
        };
        let token = bearer(authorization).ok_or_else(ApiError::unauthorized)?;
        let record = self.token_record(token).await?;
        check_token(record, token, site.unwrap_or_default(), scope).map(Some)
    }

    /// A site's tokens (without digests).
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn tokens(&self, site: &str) -> Result<Vec<TokenRecord>, ApiError> {
        // Tokens are keyed by id for the lookup on every request, so a site's are found by reading
        // them all: few, even across many sites.
        Ok(self
            .list_keys(keys::TOKEN_PREFIX, MAX_LISTING_PAGES)
            .await?
            .into_iter()
            .filter_map(|k| k.metadata.and_then(|m| serde_json::from_value::<TokenRecord>(m).ok()))
            .filter(|t| t.site == site)
            .collect())
    }

    /// Revokes a site token.
    ///
    /// # Errors
    /// 404 `token_not_found`, 503 when KV fails.
    pub async fn revoke_token(&self, site: &str, id: &str) -> Result<(), ApiError> {
        match get_json::<K, TokenRecord>(self.kv, &keys::token(id)).await? {
            Some(record) if record.site == site => Ok(self.kv.delete(&keys::token(id)).await?),
            _ => Err(ApiError::new(ErrorCode::TokenNotFound, "no such token for this site")),
        }
    }

    /// Creates a site token (as [`Service::create_token`]) and answers it: the only time the
    /// token itself is shown.
    ///
    /// # Errors
    /// As [`Service::create_token`].
    pub async fn issue_token(&self, site: &str, body: &[u8], random: [u8; 32]) -> Result<TokenCreated, ApiError> {
        let (record, token) = self.create_token(site, body, random).await?;
        Ok(TokenCreated {
            id: record.id,
            token,
            site: record.site,
            scopes: record.scopes,
            label: record.label,
            created: record.created,
        })
    }

    /// A site's tokens as listed (without digests).
    ///
    /// # Errors
    /// 503 when KV fails.
    pub async fn token_listing(&self, site: &str) -> Result<TokenListing, ApiError> {
        Ok(TokenListing { tokens: self.tokens(site).await? })
    }

    /// Who the caller is, for a route with `access` on `site` ([`Service::authorize`]); then, on
    /// an operator route, that the site exists. The site check comes after authorisation so that
    /// nobody learns which sites exist; configuring (`creates_site`) is how a site comes to exist.
    ///
    /// # Errors
    /// As [`Service::authorize`]; 404 `unknown_site` for an operator route on a site never
    /// configured.
    pub async fn admit(
        &self,
        access: Access,
        site: Option<&str>,
        creates_site: bool,
        authorization: Option<&str>,
        admin_token: &str,
    ) -> Result<Option<Principal>, ApiError> {
        let principal = self.authorize(access, site, authorization, admin_token).await?;
        if let (Access::Admin | Access::Scoped(_), Some(site)) = (access, site) {
            if !creates_site {
                self.site(site).await?;
            }
        }
        Ok(principal)
    }
}
