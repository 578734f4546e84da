//! The edge's clock, as the widget learns it: the edge's clock is authoritative for receipts, so
//! the widget stamps `client_time` and the receipt id's time with the device's time plus the
//! offset read from the edge's `Date` header (every policy and receipt answer carries one). A
//! device clock set wrong by hand then costs no receipt. Pure: times come in as milliseconds.

use kelisim_wire::http_date;

/// An HTTP date has whole seconds: the edge's time is within the second it names, so its middle
/// is the best guess (the error stays under half a second, far inside the edge's window).
pub const HALF_SECOND_MS: u64 = 500;

/// The offset of the edge's clock from the device's (0 until an answer with a `Date` is seen).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    offset_ms: i64,
}

impl Clock {
    /// Learns the offset from an edge answer's `Date` header received at `device_ms`; a missing
    /// or unreadable header changes nothing. Returns whether it was read.
    pub fn learn(&mut self, date_header: &str, device_ms: u64) -> bool {
        let Some(edge_ms) = http_date::parse_http_date(date_header) else {
            return false;
        };
        let edge = i128::from(edge_ms.saturating_add(HALF_SECOND_MS));
        self.offset_ms = i64::try_from(edge - i128::from(device_ms)).unwrap_or(0);
        true
    }

    /// The edge's time now, given the device's time.
    #[must_use]
    pub fn edge_now(&self, device_ms: u64) -> u64 {
        device_ms.saturating_add_signed(self.offset_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EDGE_DATE: &str = "Mon, 23 Nov 2026 01:40:05 GMT";
    const EDGE_MS: u64 = 1_795_398_005_000;
    const MINUTE: u64 = 60_000;

    #[test]
    fn a_skewed_device_gets_the_edges_time() {
        for device_at_answer in
            [EDGE_MS + 15 * MINUTE, EDGE_MS - 15 * MINUTE, EDGE_MS + 400, EDGE_MS - 365 * 1440 * MINUTE]
        {
            let mut clock = Clock::default();
            assert!(clock.learn(EDGE_DATE, device_at_answer));
            // Ten seconds later on the device: ten seconds later at the edge, within the second.
            let stamped = clock.edge_now(device_at_answer + 10_000);
            assert!(stamped.abs_diff(EDGE_MS + 10_000) <= HALF_SECOND_MS, "{device_at_answer}: {stamped}");
        }
    }

    #[test]
    fn without_a_date_the_device_time_stands() {
        let mut clock = Clock::default();
        assert_eq!(clock.edge_now(EDGE_MS), EDGE_MS);
        assert!(!clock.learn("", EDGE_MS));
        assert!(!clock.learn("yesterday", EDGE_MS));
        assert_eq!(clock.edge_now(EDGE_MS), EDGE_MS);
        // A later answer corrects an earlier one.
        assert!(clock.learn(EDGE_DATE, EDGE_MS + 15 * MINUTE));
        assert!(clock.learn(EDGE_DATE, EDGE_MS));
        assert!(clock.edge_now(EDGE_MS).abs_diff(EDGE_MS) <= HALF_SECOND_MS);
    }

    #[test]
    fn extremes_saturate() {
        let mut clock = Clock::default();
        assert!(clock.learn(EDGE_DATE, u64::MAX));
        assert_eq!(clock.edge_now(0), 0);
        assert!(clock.learn(EDGE_DATE, 0));
        assert_eq!(clock.edge_now(u64::MAX), u64::MAX);
    }
}
