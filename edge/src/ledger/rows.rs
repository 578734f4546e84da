//! The query tables' rows of one receipt: what the append writes beside its leaf, and what an
//! erasure takes away (counters decremented in the same commit). The one place that knows how a
//! `SignedReceipt` becomes `receipt_row`, `decision_row`, `day_count` and `day_total` rows.

use kelisim_core::api::receipts::ReceiptSummary;
use kelisim_core::category::Decision;
use kelisim_core::receipt::SignedReceipt;

use super::sql::{SqlValue, Write};
use crate::error::StoreError;

/// The stored name of a decision (`decision_row.decision`, `day_count.decision`).
#[must_use]
pub fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Granted => "granted",
        Decision::Denied => "denied",
    }
}

/// The UTC day (`YYYY-MM-DD`) of a receipt's server time: the counters' key.
#[must_use]
pub fn day_of(server_time: &str) -> String {
    server_time.chars().take(10).collect()
}

/// The writes that add `signed` (appended at `idx`, server time `server_ms`) to the query tables
/// and the day counters.
///
/// # Errors
/// [`StoreError`] when the summary cannot be serialised (it always can).
pub fn insert(signed: &SignedReceipt, idx: i64, server_ms: i64) -> Result<Vec<Write>, StoreError> {
    let claims = &signed.receipt.claims;
    let summary = serde_json::to_string(&ReceiptSummary::of(signed)).map_err(|e| StoreError(e.to_string()))?;
    let day = day_of(&signed.receipt.server_time);
    let mut writes = vec![Write::new(
        "INSERT INTO receipt_row (idx, receipt_id, server_ms, subject, action, policy_version, visitor_signed, hash, prev, summary) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            idx.into(),
            claims.id.as_str().into(),
            server_ms.into(),
            claims.subject.as_str().into(),
            claims.action.as_str().into(),
            i64::from(claims.policy.version).into(),
            i64::from(signed.receipt.visitor_signature.is_some()).into(),
            signed.receipt.hash.as_str().into(),
            SqlValue::from(claims.prev.clone()),
            summary.into(),
        ],
    )];
    writes.push(Write::new(
        "INSERT INTO day_total (day, n) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET n = n + 1",
        vec![day.as_str().into()],
    ));
    for (category, decision) in &claims.decisions {
        let decision = decision_name(*decision);
        writes.push(Write::new(
            "INSERT INTO decision_row (idx, category, decision, server_ms) VALUES (?, ?, ?, ?)",
            vec![idx.into(), category.as_str().into(), decision.into(), server_ms.into()],
        ));
        writes.push(Write::new(
            "INSERT INTO day_count (day, category, decision, n) VALUES (?, ?, ?, 1) \
             ON CONFLICT(day, category, decision) DO UPDATE SET n = n + 1",
            vec![day.as_str().into(), category.as_str().into(), decision.into()],
        ));
    }
    Ok(writes)
}

/// The writes that take the receipt at `idx` out of the query tables and the counters (an
/// erasure). They read the rows they delete inside SQL, so they are correct whatever the receipt.
#[must_use]
pub fn delete(idx: i64) -> Vec<Write> {
    let at = || vec![SqlValue::Integer(idx)];
    vec![
        Write::new(
            "UPDATE day_count SET n = n - 1 WHERE (day, category, decision) IN ( \
               SELECT strftime('%Y-%m-%d', d.server_ms / 1000, 'unixepoch'), d.category, d.decision \
               FROM decision_row d WHERE d.idx = ?)",
            at(),
        ),
        Write::new(
            "UPDATE day_total SET n = n - 1 WHERE day IN ( \
               SELECT strftime('%Y-%m-%d', r.server_ms / 1000, 'unixepoch') FROM receipt_row r WHERE r.idx = ?)",
            at(),
        ),
        Write::new("DELETE FROM decision_row WHERE idx = ?", at()),
        Write::new("DELETE FROM receipt_row WHERE idx = ?", at()),
    ]
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::ledger::schema::migrate;
    use crate::ledger::sql::{int, LedgerDb};
    use crate::ledger::sqlite::SqliteLedgerDb;
    use kelisim_core::receipt::{Receipt, SubmitReceipt};
    use kelisim_core::sign::EdgeSigningKey;

    fn signed(id_seed: u8, granted_analytics: bool, now_ms: i64) -> SignedReceipt {
        let text = format!(
            r#"{{"claims":{{"action":"custom","client_time":"2026-12-02T10:00:00.000Z","decisions":{{"analytics":"{}","necessary":"granted"}},"gpc":false,"id":"01KBF{:0>21}","policy":{{"language":"ru","sha256":"{}","version":1}},"prev":null,"schema":1,"site":"acme","subject":"{}","subject_key":null,"widget_version":"0.1.0"}},"visitor_signature":null}}"#,
            if granted_analytics { "granted" } else { "denied" },
            id_seed,
            "a".repeat(64),
            "s".repeat(43),
        );
        let submit: SubmitReceipt = serde_json::from_str(&text).expect("a submission");
        Receipt::accept(submit, now_ms).unwrap().countersign(&EdgeSigningKey::from_seed("k1", [1; 32])).unwrap()
    }

    fn count(db: &SqliteLedgerDb, q: &str) -> i64 {
        int(&db.exec(q, &[]).unwrap()[0], 0).unwrap()
    }

    #[test]
    fn insert_then_delete_leaves_the_counters_as_they_were() {
        let db = SqliteLedgerDb::new();
        migrate(&db).unwrap();
        let now = 1_796_205_600_000; // 2026-12-02T10:00:00Z
        let a = signed(1, true, now);
        let b = signed(2, false, now + 1);
        db.commit(insert(&a, 0, now).unwrap()).unwrap();
        db.commit(insert(&b, 1, now + 1).unwrap()).unwrap();
        assert_eq!(count(&db, "SELECT n FROM day_total WHERE day = '2026-12-02'"), 2);
        assert_eq!(
            count(
                &db,
                "SELECT n FROM day_count WHERE day = '2026-12-02' AND category = 'analytics' AND decision = 'granted'"
            ),
            1
        );
        db.commit(delete(0)).unwrap();
        assert_eq!(count(&db, "SELECT n FROM day_total WHERE day = '2026-12-02'"), 1);
        assert_eq!(
            count(
                &db,
                "SELECT n FROM day_count WHERE day = '2026-12-02' AND category = 'analytics' AND decision = 'granted'"
            ),
            0
        );
        assert_eq!(
            count(
                &db,
                "SELECT n FROM day_count WHERE day = '2026-12-02' AND category = 'analytics' AND decision = 'denied'"
            ),
            1
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM receipt_row"), 1);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM decision_row"), 2);
    }
}
