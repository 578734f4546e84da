//! The edge's answers and stored records, as serde types shared by the edge (which writes them)
//! and the CLI (which reads them): one file per family. No runtime dependencies.
//!
//! - [`sites`]: a site's configuration and the answer to configuring it.
//! - [`policies`]: a stored policy version, the policy answer, publication, the version listing.
//! - [`receipts`]: index summaries, listing pages, one receipt's detail.
//! - [`subjects`]: a subject's state, history and forks.
//! - [`erasure`]: erasure records, their signature's `typ`, progress and listing.
//! - [`stats`]: opt-in counts per day and category.
//! - [`tokens`]: site tokens, their scopes, creation and listing.
//! - [`export`]: the framing of export chunks (CSV header, next-cursor header and line).

pub mod erasure;
pub mod export;
pub mod policies;
pub mod receipts;
pub mod sites;
pub mod stats;
pub mod subjects;
pub mod tokens;
