//! The outbox: receipts waiting for the edge. A receipt is written here before it is sent and
//! leaves only when the edge countersigned it (201, and the countersignature checked) or refused
//! it for good (4xx); on a network error, a 5xx or a countersignature that does not check it
//! stays and is retried with backoff, on this page and on the next page view. A retry sends the
//! same body (same `claims.id`), and the edge is idempotent by that id, so nothing is lost and
//! nothing is recorded twice.
//!
//! The edge's clock is authoritative: a receipt refused for its time (a clock code, see
//! [`is_clock_code`]) is made again once, same decisions, new id and time on the edge's clock
//! (see [`crate::clock`]); from it on, every entry behind it is made again too (their `prev`
//! names it). A re-made receipt refused for its time again is refused for good.
//!
//! Pure: the caller persists [`Outbox`] (as JSON in `localStorage["kelisim:{site}:outbox"]`) and
//! passes the time in.

use alloc::string::String;
use alloc::vec::Vec;

/// The first retry waits this long; each next one twice as long as the one before.
pub const FIRST_RETRY_MS: u64 = 2_000;
/// Retries never wait longer than this while the page is open.
pub const MAX_RETRY_MS: u64 = 5 * 60_000;
/// Receipts kept waiting at most. A visitor makes a handful of choices; this bound only stops a
/// broken edge from filling the site's storage. When full, the oldest is dropped, never the new.
pub const MAX_ENTRIES: usize = 50;

/// One receipt waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `claims.id`: the idempotency key.
    pub id: String,
    /// The exact JSON body to POST (a `SubmitReceipt`); retries resend these bytes.
    pub body: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time (ms since the epoch).
    pub next_at: u64,
    /// Made again after a refusal for its time: another such refusal is final.
    pub restamped: bool,
    /// Waiting to be made again on the edge's clock; not sent until then (nor anything behind it).
    pub remake: bool,
}

/// The receipts waiting, oldest first (they are delivered in the order they were made, so a
/// chain's `prev` always reaches the edge before the receipt naming it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outbox {
    pub entries: Vec<Entry>,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 201: stored (or already stored) and countersigned.
    Delivered,
    /// Another 4xx: the edge will never take this receipt; drop it and warn.
    Rejected,
    /// 422 with a clock code: the receipt's time is outside the edge's window; make it again.
    Clock,
    /// Network error, 5xx, 408 or 429: try again later.
    Retry,
}

/// The edge's error codes that refuse a receipt for its time rather than its content:
/// `client_time_in_future`, `client_time_too_old`, and any code about the time inside the receipt
/// id (`receipt_id_time…`, `id_time…`, `ulid_time…`), whatever the edge names it.
#[must_use]
pub fn is_clock_code(code: &str) -> bool {
    // json::find, not str::contains: core's two-way searcher would weigh kilobytes in the wasm.
    code.starts_with("client_time_") || ["id_time", "ulid_time"].iter().any(|c| crate::json::find(code, c).is_some())
}

/// Classifies an HTTP status (`None` for a network error) and the edge's error `code`.
#[must_use]
pub fn classify(status: Option<u16>, code: &str) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        // Timeouts and rate limits are the edge saying "later", not "never".
        Some(408 | 429) => Outcome::Retry,
        Some(422) if is_clock_code(code) => Outcome::Clock,
        Some(400..=499) => Outcome::Rejected,
        _ => Outcome::Retry,
    }
}

/// How long to wait after the `attempts`-th failure.
#[must_use]
pub fn backoff_ms(attempts: u32) -> u64 {
    let exp = attempts.saturating_sub(1).min(20);
    FIRST_RETRY_MS.saturating_mul(1 << exp).min(MAX_RETRY_MS)
}

impl Outbox {
    /// Adds a receipt to send now. The same id twice is one entry.
    pub fn push(&mut self, id: String, body: String) {
        if self.entries.iter().any(|e| e.id == id) {
            return;
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(Entry { id, body, attempts: 0, next_at: 0, restamped: false, remake: false });
    }

    /// The first entry due at `now_ms`. Entries go one at a time and in order: a later one is not
    /// due while an earlier one waits (or waits to be made again).
    #[must_use]
    pub fn next_due(&self, now_ms: u64) -> Option<&Entry> {
        self.entries.first().filter(|e| !e.remake && e.next_at <= now_ms)
    }

    /// When the first entry becomes due, if any is waiting to be sent.
    #[must_use]
    pub fn wake_at(&self) -> Option<u64> {
        self.entries.first().filter(|e| !e.remake).map(|e| e.next_at)
    }

    /// The first entry waiting to be made again, if any.
    #[must_use]
    pub fn next_remake(&self) -> Option<&Entry> {
        self.entries.iter().find(|e| e.remake)
    }

    /// Puts the entry made again from entry `old` in its place (due now; a second refusal for
    /// its time is final). Returns whether `old` was there.
    pub fn replace(&mut self, old: &str, id: String, body: String) -> bool {
        let Some(e) = self.entries.iter_mut().find(|e| e.id == old) else {
            return false;
        };
        *e = Entry { id, body, attempts: 0, next_at: 0, restamped: true, remake: false };
        true
    }

    /// Records the outcome of sending entry `id`; returns whether it left the outbox. A
    /// [`Outcome::Clock`] on an entry not yet re-made marks it and every entry behind it to be
    /// made again; on a re-made one it is final, as [`Outcome::Rejected`].
    pub fn settle(&mut self, id: &str, outcome: Outcome, now_ms: u64) -> bool {
        let Some(pos) = self.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        let restamped = self.entries.get(pos).is_some_and(|e| e.restamped);
        match outcome {
            Outcome::Clock if !restamped => {
                self.entries.iter_mut().skip(pos).for_each(|e| e.remake = true);
                false
            }
            Outcome::Delivered | Outcome::Rejected | Outcome::Clock => {
                self.entries.remove(pos);
                true
            }
            Outcome::Retry => {
                if let Some(e) = self.entries.get_mut(pos) {
                    e.attempts = e.attempts.saturating_add(1);
                    e.next_at = now_ms.saturating_add(backoff_ms(e.attempts));
                }
                false
            }
        }
    }

    /// A new page view: whatever waited is due now.
    pub fn wake_all(&mut self) {
        self.entries.iter_mut().for_each(|e| e.next_at = 0);
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(ids: &[&str]) -> Outbox {
        let mut o = Outbox::default();
        for id in ids {
            o.push((*id).into(), format!("{{\"id\":\"{id}\"}}"));
        }
        o
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(Some(201), ""), Outcome::Delivered);
        assert_eq!(classify(None, ""), Outcome::Retry);
        assert_eq!(classify(Some(500), ""), Outcome::Retry);
        assert_eq!(classify(Some(503), ""), Outcome::Retry);
        assert_eq!(classify(Some(429), ""), Outcome::Retry);
        assert_eq!(classify(Some(408), ""), Outcome::Retry);
        assert_eq!(classify(Some(400), ""), Outcome::Rejected);
        assert_eq!(classify(Some(409), ""), Outcome::Rejected);
        assert_eq!(classify(Some(422), "invalid_claims"), Outcome::Rejected);
        assert_eq!(classify(Some(422), "client_time_in_future"), Outcome::Clock);
        assert_eq!(classify(Some(422), "client_time_too_old"), Outcome::Clock);
        assert_eq!(classify(Some(422), "receipt_id_time_mismatch"), Outcome::Clock);
        assert_eq!(classify(Some(400), "client_time_in_future"), Outcome::Rejected, "only a 422 is about time");
    }

    #[test]
    fn the_clock_codes_are_cores() {
        use kelisim_core::error::ValidationError;
        assert!(is_clock_code(ValidationError::ClientTimeInFuture.code()));
        assert!(is_clock_code(ValidationError::ClientTimeTooOld.code()));
        assert!(!is_clock_code(ValidationError::NecessaryDenied.code()));
    }

    #[test]
    fn a_clock_refusal_remakes_the_entry_and_those_behind_it_once() {
        let mut o = outbox(&["Z", "A", "B"]);
        assert!(o.settle("Z", Outcome::Delivered, 0));
        assert!(!o.settle("A", Outcome::Clock, 0), "kept, to be made again");
        assert!(o.entries.iter().all(|e| e.remake), "B names A: it is made again too");
        assert_eq!(o.next_due(u64::MAX), None, "nothing is sent while an entry waits to be made again");
        assert_eq!(o.wake_at(), None);
        assert_eq!(o.next_remake().map(|e| e.id.as_str()), Some("A"));
        assert!(o.replace("A", "A2".into(), "a2".into()));
        assert_eq!(o.next_remake().map(|e| e.id.as_str()), Some("B"));
        assert_eq!(o.next_due(0).map(|e| e.id.as_str()), Some("A2"), "the re-made entry goes first");
        assert!(o.replace("B", "B2".into(), "b2".into()));
        assert_eq!(o.next_due(0).map(|e| e.body.as_str()), Some("a2"));
        assert!(!o.replace("gone", "X".into(), String::new()));
        // Refused for its time again: final.
        assert!(o.settle("A2", Outcome::Clock, 0));
        assert_eq!(o.next_due(0).map(|e| e.id.as_str()), Some("B2"));
        assert_eq!(outbox_roundtrip(&o), o);
    }

    fn outbox_roundtrip(o: &Outbox) -> Outbox {
        crate::codec::outbox(&crate::codec::outbox_json(o))
    }

    #[test]
    fn delivered_leaves_the_outbox() {
        let mut o = outbox(&["A"]);
        assert_eq!(o.next_due(0).map(|e| e.id.as_str()), Some("A"));
        assert!(o.settle("A", Outcome::Delivered, 0));
        assert!(o.is_empty());
        assert_eq!(o.next_due(0), None);
    }

    #[test]
    fn rejected_leaves_the_outbox() {
        let mut o = outbox(&["A", "B"]);
        assert!(o.settle("A", Outcome::Rejected, 0));
        assert_eq!(o.next_due(0).map(|e| e.id.as_str()), Some("B"));
    }

    #[test]
    fn retry_keeps_the_same_body_and_backs_off() {
        let mut o = outbox(&["A", "B"]);
        let body = o.entries[0].body.clone();
        assert!(!o.settle("A", Outcome::Retry, 1_000));
        assert_eq!(o.entries[0].attempts, 1);
        assert_eq!(o.entries[0].body, body, "a retry resends the same bytes");
        assert_eq!(o.next_due(1_000), None, "not due during backoff, and B waits behind A");
        assert_eq!(o.wake_at(), Some(1_000 + FIRST_RETRY_MS));
        assert_eq!(o.next_due(1_000 + FIRST_RETRY_MS).map(|e| e.id.as_str()), Some("A"));
        o.settle("A", Outcome::Retry, 5_000);
        assert_eq!(o.wake_at(), Some(5_000 + 2 * FIRST_RETRY_MS));
    }

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(3), 8_000);
        assert_eq!(backoff_ms(30), MAX_RETRY_MS);
        assert_eq!(backoff_ms(u32::MAX), MAX_RETRY_MS);
    }

    #[test]
    fn next_page_view_retries_at_once() {
        let mut o = outbox(&["A"]);
        o.settle("A", Outcome::Retry, 1_000);
        let mut again = o.clone();
        again.wake_all();
        assert_eq!(again.next_due(0).map(|e| e.id.as_str()), Some("A"));
    }

    #[test]
    fn same_receipt_is_queued_once() {
        let mut o = outbox(&["A"]);
        o.push("A".into(), "other".into());
        assert_eq!(o.entries.len(), 1);
    }

    #[test]
    fn full_outbox_drops_the_oldest() {
        let ids: Vec<String> = (0..MAX_ENTRIES + 1).map(|i| format!("{i:02}")).collect();
        let mut o = Outbox::default();
        for id in &ids {
            o.push(id.clone(), String::new());
        }
        assert_eq!(o.entries.len(), MAX_ENTRIES);
        assert_eq!(o.entries[0].id, "01");
    }

    #[test]
    fn settling_an_unknown_id_changes_nothing() {
        let mut o = outbox(&["A"]);
        assert!(!o.settle("Z", Outcome::Delivered, 0));
        assert_eq!(o.entries.len(), 1);
    }
}
