//! The event log: idempotent appends, lookups by id, filtered listing with cursor paging.

use crate::{Store, StoreError};
use arbiter_model::{Event, Micros};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::fmt::Write as _;
use tokio::sync::oneshot;

/// A stored event: the event as received and where it sits in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub seq: i64,
    pub id: String,
    pub event_type: String,
    pub occurred_at: Micros,
    pub market: String,
    pub actor_id: String,
    pub subject_id: Option<String>,
    pub task_id: Option<String>,
    pub received_at: Micros,
    /// The event's JSON exactly as received.
    pub body: String,
}

/// Which events to list. Every field narrows the result; `from` is inclusive, `to` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub event_type: Option<String>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub task: Option<String>,
    pub market: Option<String>,
    pub from: Option<Micros>,
    pub to: Option<Micros>,
}

/// A position in the newest-first listing: the last event of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: Micros,
    pub seq: i64,
}

impl Cursor {
    /// The opaque text handed to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.occurred_at, self.seq)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let (at, seq) = text.split_once('.')?;
        Some(Cursor {
            occurred_at: at.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}

impl Store {
    /// Appends events and returns how many were new. An event whose id is already stored (or
    /// repeated in `events`) is skipped: the log is idempotent by id. When this returns `Ok`,
    /// the events are durably committed.
    pub async fn append_events(
        &self,
        events: Vec<Event>,
        received_at: Micros,
    ) -> Result<u64, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let (reply, outcome) = oneshot::channel();
        self.appender
            .send(crate::commit::Write::Events {
                events,
                received_at,
                reply,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }

    /// The stored event with this id.
    pub async fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, id, type, occurred_at, market, actor_id, subject_id, task_id, received_at, body
             FROM events WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| stored_event(&r)).transpose()
    }

    /// Events matching `filter`, newest first, `limit` at a time, starting after `after`.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        after: Option<Cursor>,
        limit: u32,
    ) -> Result<EventPage, StoreError> {
        // One more than asked tells whether another page follows.
        let wanted = limit as usize + 1;
        let mut events = Vec::with_capacity(wanted);
        if filter.actor.is_some() || filter.subject.is_some() || filter.task.is_some() {
            // The actor, subject and task indexes lead with the day, so that appends touch only
            // the recent end of each index: look them up one day at a time, newest first.
            if let Some((first, last)) = self.day_span().await? {
                let mut day = last;
                if let Some(to) = filter.to {
                    day = day.min((to - 1).div_euclid(crate::rows::DAY_MICROS));
                }
                if let Some(cursor) = after {
                    day = day.min(cursor.occurred_at.div_euclid(crate::rows::DAY_MICROS));
                }
                let first = filter.from.map_or(first, |from| {
                    first.max(from.div_euclid(crate::rows::DAY_MICROS))
                });
                while day >= first && events.len() < wanted {
                    let found = self
                        .query_events(filter, after, Some(day), wanted - events.len())
                        .await?;
                    events.extend(found);
                    day -= 1;
                }
            }
        } else {
            events = self.query_events(filter, after, None, wanted).await?;
        }
        let next = if events.len() > limit as usize {
            events.truncate(limit as usize);
            events.last().map(|e| Cursor {
                occurred_at: e.occurred_at,
                seq: e.seq,
            })
        } else {
            None
        };
        Ok(EventPage { events, next })
    }

    /// The first and last day (since the epoch) that hold events.
    async fn day_span(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT MIN(occurred_at) AS first, MAX(occurred_at) AS last FROM events")
                .fetch_one(&self.reader)
                .await?;
        let first: Option<i64> = row.try_get("first")?;
        let last: Option<i64> = row.try_get("last")?;
        Ok(first.zip(last).map(|(f, l)| {
            (
                f.div_euclid(crate::rows::DAY_MICROS),
                l.div_euclid(crate::rows::DAY_MICROS),
            )
        }))
    }

    /// One query of a listing, optionally within one day.
    async fn query_events(
        &self,
        filter: &EventFilter,
        after: Option<Cursor>,
        day: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut sql = String::from(
            "SELECT seq, id, type, occurred_at, market, actor_id, subject_id, task_id, received_at, body
             FROM events WHERE 1 = 1",
        );
        let mut texts: Vec<(&str, &str)> = Vec::new();
        for (column, value) in [
            ("type", &filter.event_type),
            ("actor_id", &filter.actor),
            ("subject_id", &filter.subject),
            ("task_id", &filter.task),
            ("market", &filter.market),
        ] {
            if let Some(value) = value {
                texts.push((column, value));
            }
        }
        let mut next_param = 1;
        for (column, _) in &texts {
            let _ = write!(sql, " AND {column} = ${next_param}");
            next_param += 1;
        }
        let mut numbers: Vec<i64> = Vec::new();
        let mut bound = |sql: &mut String, condition: &str, value: i64| {
            let _ = write!(sql, " AND {condition} ${next_param}");
            next_param += 1;
            numbers.push(value);
        };
        if let Some(day) = day {
            bound(&mut sql, "day =", day);
        }
        if let Some(from) = filter.from {
            bound(&mut sql, "occurred_at >=", from);
        }
        if let Some(to) = filter.to {
            bound(&mut sql, "occurred_at <", to);
        }
        if let Some(cursor) = after {
            bound(&mut sql, "occurred_at <=", cursor.occurred_at);
            let _ = write!(
                sql,
                " AND (occurred_at < ${} OR seq < ${})",
                next_param,
                next_param + 1
            );
            next_param += 2;
            numbers.extend([cursor.occurred_at, cursor.seq]);
        }
        let _ = write!(
            sql,
            " ORDER BY occurred_at DESC, seq DESC LIMIT ${next_param}"
        );
        numbers.push(limit as i64);

        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (_, value) in &texts {
            query = query.bind(*value);
        }
        for number in numbers {
            query = query.bind(number);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(stored_event).collect()
    }

    /// How many events the log holds.
    pub async fn count_events(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Events per UTC day over the last `days` days that have any, oldest first: `(day, count)`
    /// with `day` as days since the Unix epoch.
    pub async fn events_per_day(&self, days: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        const DAY: i64 = 86_400_000_000;
        let latest: Option<i64> = sqlx::query("SELECT MAX(occurred_at) AS latest FROM events")
            .fetch_one(&self.reader)
            .await?
            .try_get("latest")?;
        let Some(latest) = latest else {
            return Ok(Vec::new());
        };
        let from = (latest.div_euclid(DAY) - days + 1) * DAY;
        let rows = sqlx::query(
            "SELECT day, COUNT(*) AS n FROM events WHERE day >= $1 GROUP BY day ORDER BY day",
        )
        .bind(from / DAY)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("n")?)))
            .collect()
    }

    /// How many events of each type are stored, most frequent first.
    pub async fn event_type_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT type, COUNT(*) AS n FROM events GROUP BY type ORDER BY n DESC, type",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("type")?, r.try_get("n")?)))
            .collect()
    }
}

fn stored_event(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        event_type: row.try_get("type")?,
        occurred_at: row.try_get("occurred_at")?,
        market: row.try_get("market")?,
        actor_id: row.try_get("actor_id")?,
        subject_id: row.try_get("subject_id")?,
        task_id: row.try_get("task_id")?,
        received_at: row.try_get("received_at")?,
        body: row.try_get("body")?,
    })
}

impl Store {
    /// Stores the valid events of a parsed batch and reports on every item: the one way events
    /// enter the log, whether they came over HTTP or from a file.
    pub async fn ingest_batch(
        &self,
        items: Vec<Result<Event, arbiter_model::Rejection>>,
        received_at: Micros,
    ) -> Result<arbiter_model::IngestReport, StoreError> {
        let mut valid = Vec::with_capacity(items.len());
        let mut rejected = Vec::new();
        for item in items {
            match item {
                Ok(event) => valid.push(event),
                Err(rejection) => rejected.push(rejection),
            }
        }
        let valid_count = valid.len() as u64;
        let accepted = self.append_events(valid, received_at).await?;
        Ok(arbiter_model::IngestReport {
            accepted,
            duplicates: valid_count - accepted,
            rejected,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            occurred_at: 1_780_000_000_000_000,
            seq: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("nope"), None);
        assert_eq!(Cursor::decode("1.x"), None);
    }
}
