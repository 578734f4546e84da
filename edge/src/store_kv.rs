//! [`Kv`] over the Workers KV binding: one call each, errors turned into [`StoreError`].

use serde_json::Value;
use worker::kv::KvStore;

use crate::error::StoreError;
use crate::kv::{Kv, ListPage, ListedKey};

/// The KV namespace binding name in wrangler.toml.
pub const BINDING: &str = "KELISIM";

/// Workers KV behind the [`Kv`] seam.
pub struct WorkersKv(pub KvStore);

fn store_err(e: impl std::fmt::Debug) -> StoreError {
    StoreError(format!("{e:?}"))
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(store_err)
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&Value>) -> Result<(), StoreError> {
        let mut put = self.0.put(key, value).map_err(store_err)?;
        if let Some(meta) = metadata {
            put = put.metadata(meta).map_err(store_err)?;
        }
        put.execute().await.map_err(store_err)
    }

    async fn list(&self, prefix: &str, limit: usize, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        let mut list = self.0.list().prefix(prefix.to_owned()).limit(limit as u64);
        if let Some(c) = cursor {
            list = list.cursor(c.to_owned());
        }
        let page = list.execute().await.map_err(store_err)?;
        Ok(ListPage {
            keys: page.keys.into_iter().map(|k| ListedKey { name: k.name, metadata: k.metadata }).collect(),
            cursor: if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) },
        })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(store_err)
    }
}
