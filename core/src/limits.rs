//! Every size and count limit Kelisim enforces, each with the reason it has that value.

/// Largest receipt submission body. A receipt with 32 categories, a JWK and a detached JWS is
/// about 3 KiB; 16 KiB leaves room for long custom category ids without admitting abuse.
pub const MAX_RECEIPT_BODY_BYTES: usize = 16 * 1024;

/// Largest policy document an operator may publish. Real policies (two studied) are 20–40 KiB of
/// text per language; three languages plus category texts fit in 256 KiB.
pub const MAX_POLICY_BODY_BYTES: usize = 256 * 1024;

/// Largest site-configuration body (origins, display options).
pub const MAX_SITE_BODY_BYTES: usize = 8 * 1024;

/// Categories per policy: the five standard ones plus room for a site's own.
pub const MAX_CATEGORIES: usize = 32;

/// Languages per policy: ru, kk, en today, with room to grow.
pub const MAX_LANGUAGES: usize = 8;

/// Text blocks per language in a policy.
pub const MAX_BLOCKS_PER_LANGUAGE: usize = 2_000;

/// Items in one list block.
pub const MAX_LIST_ITEMS: usize = 200;

/// One text field of a policy (a paragraph, a title, a description).
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Short identifiers: site ids, category ids, section anchors (kelisim-wire's slug rule).
pub const MAX_ID_CHARS: usize = kelisim_wire::id::MAX_ID_CHARS;

/// Allowed origins per site.
pub const MAX_ORIGINS: usize = 16;

/// One origin, e.g. `https://shop.example.kz`.
pub const MAX_ORIGIN_CHARS: usize = 256;

/// A widget version string such as `0.1.0`.
pub const MAX_WIDGET_VERSION_CHARS: usize = 32;

/// A contact field of the operator identity (name, city, e-mail, phone).
pub const MAX_CONTACT_CHARS: usize = 300;

/// A URL in a policy link block.
pub const MAX_URL_CHARS: usize = 2_048;

/// A visitor's detached JWS: header (~120 chars) + `..` + 86-char signature.
pub const MAX_JWS_CHARS: usize = 1_024;

/// How far ahead of the edge's clock a client timestamp may be (clock skew on phones).
pub const MAX_CLIENT_CLOCK_AHEAD_MS: i64 = 10 * 60 * 1000;

/// How old a receipt may be when it reaches the edge: the widget's outbox retries for up to this
/// long (a visitor who comes back within a month still delivers a decision made offline).
pub const MAX_RECEIPT_AGE_MS: i64 = 31 * 24 * 60 * 60 * 1000;

/// Operator list pages: the most receipts one page may return (one KV list call returns ≤ 1000
/// keys; we keep pages small enough to render).
pub const MAX_PAGE_LIMIT: usize = 1_000;

/// Default page size for operator listings.
pub const DEFAULT_PAGE_LIMIT: usize = 100;
