//! What the console's home reads: recent decisions by day and verdict, rule hits by day, and
//! the response and resolution times of recent cases. Each reads only the recent end of a
//! table that holds decisions or cases, never the event log.

use crate::{Store, StoreError};
use arbiter_model::Micros;
use sqlx::Row;

const DAY: Micros = 86_400_000_000;

/// When a case was opened, first answered and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseTimes {
    pub opened_at: Micros,
    pub first_response_at: Option<Micros>,
    pub resolved_at: Option<Micros>,
}

impl Store {
    /// Decisions on events that occurred since `since`, by day (since the epoch) and verdict.
    pub async fn verdicts_per_day(
        &self,
        since: Micros,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let sql = format!(
            "SELECT occurred_at / {DAY}, verdict, COUNT(*) FROM decisions WHERE occurred_at >= {} \
             GROUP BY occurred_at / {DAY}, verdict",
            crate::placeholder(self.backend, 1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    /// Rule hits on events that occurred since `since`, by day and rule.
    pub async fn rule_hits_per_day(
        &self,
        since: Micros,
    ) -> Result<Vec<(i64, String, i64)>, StoreError> {
        let sql = format!(
            "SELECT occurred_at / {DAY}, fired, COUNT(*) FROM decisions WHERE occurred_at >= {} \
             GROUP BY occurred_at / {DAY}, fired",
            crate::placeholder(self.backend, 1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.reader)
            .await?;
        let mut hits = std::collections::BTreeMap::<(i64, String), i64>::new();
        for r in &rows {
            let day: i64 = r.try_get(0)?;
            let fired: String = r.try_get(1)?;
            let count: i64 = r.try_get(2)?;
            for rule in crate::unframed(&fired) {
                *hits.entry((day, rule)).or_default() += count;
            }
        }
        Ok(hits
            .into_iter()
            .map(|((day, rule), n)| (day, rule, n))
            .collect())
    }

    /// The times of the cases opened since `since`, at most `limit`, newest first.
    pub async fn case_times(
        &self,
        since: Micros,
        limit: i64,
    ) -> Result<Vec<CaseTimes>, StoreError> {
        let sql = format!(
            "SELECT opened_at, first_response_at, resolved_at FROM cases WHERE opened_at >= {} \
             ORDER BY opened_at DESC LIMIT {}",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseTimes {
                    opened_at: r.try_get(0)?,
                    first_response_at: r.try_get(1)?,
                    resolved_at: r.try_get(2)?,
                })
            })
            .collect()
    }
}
