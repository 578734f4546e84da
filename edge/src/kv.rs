//! The storage seam: a minimal key-value interface the service is written against. Workers KV
//! implements it in `store_kv.rs`; [`MemoryKv`] implements it for native unit tests.

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::StoreError;

/// One key of a list page, with its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedKey {
    pub name: String,
    pub metadata: Option<Value>,
}

/// A page of a prefix listing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListPage {
    pub keys: Vec<ListedKey>,
    /// Where the next page starts; `None` when the listing is complete.
    pub cursor: Option<String>,
}

/// The operations the edge needs from a key-value store (Workers KV semantics).
#[allow(async_fn_in_trait)]
pub trait Kv {
    /// # Errors
    /// [`StoreError`] when the store cannot be reached.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// # Errors
    /// [`StoreError`] when the write fails.
    async fn put(&self, key: &str, value: &str, metadata: Option<&Value>) -> Result<(), StoreError>;
    /// Keys under `prefix` in lexicographic order, at most `limit`, from `cursor`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be reached.
    async fn list(&self, prefix: &str, limit: usize, cursor: Option<&str>) -> Result<ListPage, StoreError>;
    /// Removes `key` (no error when it is absent).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be reached.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// An in-memory [`Kv`] for native tests of the service logic. Cursors are the last key returned.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, (String, Option<Value>)>>,
    /// When set, every call fails: simulates a KV outage.
    pub failing: std::cell::Cell<bool>,
    /// When set to `n`, the next `n` puts succeed and every later put fails: simulates an
    /// outage in the middle of a multi-key write.
    pub puts_before_failure: std::cell::Cell<Option<usize>>,
    /// Every key read with `get`, in order: lets a test see which reads a cache saved.
    pub reads: RefCell<Vec<String>>,
}

impl MemoryKv {
    /// Number of stored keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// Whether nothing is stored.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.borrow().is_empty()
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() {
            Err(StoreError("injected failure".into()))
        } else {
            Ok(())
        }
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.reads.borrow_mut().push(key.to_owned());
        self.check()?;
        Ok(self.entries.borrow().get(key).map(|(v, _)| v.clone()))
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&Value>) -> Result<(), StoreError> {
        self.check()?;
        if let Some(left) = self.puts_before_failure.get() {
            if left == 0 {
                return Err(StoreError("injected failure".into()));
            }
            self.puts_before_failure.set(Some(left - 1));
        }
        self.entries.borrow_mut().insert(key.to_owned(), (value.to_owned(), metadata.cloned()));
        Ok(())
    }

    async fn list(&self, prefix: &str, limit: usize, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        self.check()?;
        let entries = self.entries.borrow();
        let mut keys: Vec<ListedKey> = entries
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() > c))
            .take(limit + 1)
            .map(|(k, (_, m))| ListedKey { name: k.clone(), metadata: m.clone() })
            .collect();
        let cursor = if keys.len() > limit {
            keys.truncate(limit);
            keys.last().map(|k| k.name.clone())
        } else {
            None
        };
        Ok(ListPage { keys, cursor })
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
}

/// Workers KV operations one invocation may make in production (gets, puts, lists and deletes
/// together); the runtime fails the 1,001st.
pub const MAX_KV_OPS_PER_REQUEST: usize = 1_000;

/// A [`Kv`] that counts its operations and fails every one past `limit`, as the Workers runtime
/// does past [`MAX_KV_OPS_PER_REQUEST`]. The service uses it to bound a request's own work (and
/// to know how much is left); tests wrap a whole simulated request in one.
#[derive(Debug)]
pub struct OpBudget<'a, K: Kv> {
    inner: &'a K,
    used: std::cell::Cell<usize>,
    limit: usize,
}

impl<'a, K: Kv> OpBudget<'a, K> {
    #[must_use]
    pub fn new(inner: &'a K, limit: usize) -> Self {
        Self { inner, used: std::cell::Cell::new(0), limit }
    }

    /// Operations made so far (including refused ones).
    #[must_use]
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// Operations still allowed.
    #[must_use]
    pub fn left(&self) -> usize {
        self.limit.saturating_sub(self.used.get())
    }

    fn spend(&self) -> Result<(), StoreError> {
        let used = self.used.get() + 1;
        self.used.set(used);
        if used > self.limit {
            Err(StoreError(format!("more than {} KV operations in one request", self.limit)))
        } else {
            Ok(())
        }
    }
}

impl<K: Kv> Kv for OpBudget<'_, K> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.spend()?;
        self.inner.get(key).await
    }

    async fn put(&self, key: &str, value: &str, metadata: Option<&Value>) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.put(key, value, metadata).await
    }

    async fn list(&self, prefix: &str, limit: usize, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        self.spend()?;
        self.inner.list(prefix, limit, cursor).await
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.delete(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_the_operation_past_its_limit() {
        let kv = MemoryKv::default();
        let budget = OpBudget::new(&kv, 2);
        pollster::block_on(async {
            assert!(budget.put("a", "1", None).await.is_ok());
            assert_eq!(budget.get("a").await.unwrap().as_deref(), Some("1"));
            assert_eq!(budget.left(), 0);
            assert!(budget.get("a").await.is_err());
            assert!(budget.delete("a").await.is_err());
        });
        assert_eq!(kv.len(), 1, "the refused delete did nothing");
    }
}
