//! The event log: idempotent appends, lookups by id, filtered listing with cursor paging.

use crate::{Backend, Store, StoreError};
use arbiter_model::{Event, Micros};
use sqlx::AnyPool;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use std::fmt::Write as _;
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// Columns written per event.
const INSERT_COLUMNS: &str = "id, type, occurred_at, day, market, actor_id, actor_role, \
     subject_id, subject_role, task_id, amount_minor, currency, received_at, body";
const COLUMNS_PER_ROW: usize = 14;
/// Microseconds in a day: `day` is `occurred_at` divided by this, rounded down.
const DAY_MICROS: i64 = 86_400_000_000;
/// Rows per INSERT statement: large enough to amortise the round trip, small enough to stay far
/// below both databases' limits on bound parameters.
const ROWS_PER_STATEMENT: usize = 64;

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

/// A multi-row upsert; `returning` makes it answer with the seq and id of each new row. SQLite
/// gets anonymous `?` placeholders: it looks named ones (`$1`) up by a linear scan, which makes
/// binding a large statement quadratic.
fn insert_statement(backend: Backend, rows: usize, returning: bool) -> String {
    let mut sql = format!("INSERT INTO events ({INSERT_COLUMNS}) VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS_PER_ROW {
            if column > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${}", row * COLUMNS_PER_ROW + column + 1);
                }
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (id) DO NOTHING");
    if returning {
        sql.push_str(" RETURNING seq, id");
    }
    sql
}

/// The full-size statement for a backend, built once.
fn full_insert_statement(backend: Backend, returning: bool) -> &'static str {
    static STATEMENTS: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let index = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 2,
    } + usize::from(returning);
    STATEMENTS[index].get_or_init(|| insert_statement(backend, ROWS_PER_STATEMENT, returning))
}

/// Groups of up to this many events are handed to a follower of the log in memory; larger
/// ones (bulk loads) are not, so that they pay neither for returning every row nor for holding
/// copies: the follower reads them from the log.
const HAND_ON_EVENTS: usize = 512;

/// A write waiting for the group commit, and where to send its outcome.
pub(crate) enum Write {
    /// Events to append; the reply counts the new ones.
    Events {
        events: Vec<Event>,
        received_at: Micros,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    /// A batch of decisions, with the decider's progress.
    Decisions {
        batch: crate::DecisionBatch,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

impl Write {
    fn event_count(&self) -> usize {
        match self {
            Write::Events { events, .. } => events.len(),
            Write::Decisions { batch, .. } => batch.decisions.len(),
        }
    }
}

/// Most events (or decisions) committed in one transaction by the group commit.
const MAX_GROUP_EVENTS: usize = 50_000;

/// The group committer: writes that arrive while a commit is under way wait, then share the
/// next transaction. Every commit rewrites the index pages it touched and waits for the disk,
/// and event ids and parties are spread across their indexes, so fewer, larger commits write
/// far less; the decider's writes share the commits of the events too, so that a synchronous
/// decision waits for one commit, not two. Each caller learns its outcome only after the commit.
pub(crate) async fn run_appender(
    writer: AnyPool,
    backend: Backend,
    mut requests: mpsc::Receiver<Write>,
    committed: tokio::sync::watch::Sender<u64>,
    appended: tokio::sync::broadcast::Sender<Appended>,
) {
    while let Some(first) = requests.recv().await {
        let mut size = first.event_count();
        let mut group = vec![first];
        while size < MAX_GROUP_EVENTS {
            match requests.try_recv() {
                Ok(next) => {
                    size += next.event_count();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        let hand_on = appended.receiver_count() > 0 && size <= HAND_ON_EVENTS;
        match commit_group(&writer, backend, &group, hand_on).await {
            Ok((counts, new_rows)) => {
                if counts.iter().any(|c| *c > 0) {
                    if appended.receiver_count() > 0 {
                        // An empty hand-off tells the follower to read the log.
                        let events = new_rows
                            .map(|rows| appended_events(&group, rows))
                            .unwrap_or_else(|| Vec::new().into());
                        let _ = appended.send(events);
                    }
                    committed.send_modify(|n| *n += 1);
                }
                for (write, count) in group.into_iter().zip(counts) {
                    match write {
                        Write::Events { reply, .. } => {
                            let _ = reply.send(Ok(count));
                        }
                        Write::Decisions { reply, .. } => {
                            let _ = reply.send(Ok(()));
                        }
                    }
                }
            }
            Err(error) => {
                // Every caller of the group learns of the failure; none was acknowledged.
                let message = error.to_string();
                for write in group {
                    let failed = StoreError::Failed(message.clone());
                    match write {
                        Write::Events { reply, .. } => {
                            let _ = reply.send(Err(failed));
                        }
                        Write::Decisions { reply, .. } => {
                            let _ = reply.send(Err(failed));
                        }
                    }
                }
            }
        }
    }
}

/// Events just committed, in log order, as the decider reads them.
pub type Appended = std::sync::Arc<[crate::LoggedEvent]>;

/// The new events of a committed group, in seq order.
fn appended_events(group: &[Write], new_rows: Vec<Vec<(i64, usize)>>) -> Appended {
    let mut logged = Vec::new();
    for (write, rows) in group.iter().zip(new_rows) {
        let Write::Events { events, .. } = write else {
            continue;
        };
        logged.extend(rows.into_iter().map(|(seq, index)| crate::LoggedEvent {
            seq,
            occurred_at: arbiter_model::to_micros(events[index].occurred_at),
            body: events[index].raw.clone(),
        }));
    }
    logged.sort_unstable_by_key(|e| e.seq);
    logged.into()
}

/// The count of new events of each write of a group (0 for decisions) and, when asked for,
/// the seq and index in its request of each new event.
type GroupOutcome = (Vec<u64>, Option<Vec<Vec<(i64, usize)>>>);

/// Applies every write of the group in one transaction.
async fn commit_group(
    writer: &AnyPool,
    backend: Backend,
    group: &[Write],
    hand_on: bool,
) -> Result<GroupOutcome, StoreError> {
    let mut tx = writer.begin().await?;
    if hand_on {
        let outcome = commit_small_group(&mut tx, backend, group).await?;
        tx.commit().await?;
        return Ok(outcome);
    }
    let mut counts = Vec::with_capacity(group.len());
    let mut new_rows = Vec::with_capacity(group.len());
    for write in group {
        let (events, received_at) = match write {
            Write::Events {
                events,
                received_at,
                ..
            } => (events, *received_at),
            Write::Decisions { batch, .. } => {
                crate::protect::write_decisions(&mut tx, backend, batch).await?;
                counts.push(0);
                new_rows.push(Vec::new());
                continue;
            }
        };
        let mut count = 0;
        let mut inserted = Vec::new();
        for (chunk_number, chunk) in events.chunks(ROWS_PER_STATEMENT).enumerate() {
            let sql = if chunk.len() == ROWS_PER_STATEMENT {
                full_insert_statement(backend, hand_on).to_owned()
            } else {
                insert_statement(backend, chunk.len(), hand_on)
            };
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for event in chunk {
                query = query
                    .bind(event.id.as_str())
                    .bind(event.event_type.as_str())
                    .bind(arbiter_model::to_micros(event.occurred_at))
                    .bind(arbiter_model::to_micros(event.occurred_at).div_euclid(DAY_MICROS))
                    .bind(event.market.as_str())
                    .bind(event.actor.id.as_str())
                    .bind(event.actor.role.as_str())
                    .bind(event.subject.as_ref().map(|s| s.id.as_str()))
                    .bind(event.subject.as_ref().map(|s| s.role.as_str()))
                    .bind(event.task_id.as_deref())
                    .bind(event.amount.map(|a| a.minor))
                    .bind(event.amount.as_ref().map(|a| a.currency.as_str()))
                    .bind(received_at)
                    .bind(event.raw.as_str());
            }
            if !hand_on {
                count += query.execute(&mut *tx).await?.rows_affected();
                continue;
            }
            let offset = chunk_number * ROWS_PER_STATEMENT;
            for row in query.fetch_all(&mut *tx).await? {
                let seq: i64 = row.try_get(0)?;
                let id: &str = row.try_get(1)?;
                count += 1;
                // An id repeated within one request is stored once, from its first occurrence.
                if let Some(index) = chunk.iter().position(|e| e.id.as_str() == id) {
                    inserted.push((seq, offset + index));
                }
            }
        }
        counts.push(count);
        new_rows.push(inserted);
    }
    tx.commit().await?;
    Ok((counts, hand_on.then_some(new_rows)))
}

/// A small group's writes: the events of all its requests in shared statements of up to
/// [`ROWS_PER_STATEMENT`] rows, each returning the seq and id of what it inserted, so that a
/// group of single-event requests costs one round trip to SQLite's thread, not one per request.
/// Each new event is credited to the first request that sent its id.
async fn commit_small_group(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    group: &[Write],
) -> Result<GroupOutcome, StoreError> {
    let mut counts = vec![0u64; group.len()];
    let mut new_rows: Vec<Vec<(i64, usize)>> = vec![Vec::new(); group.len()];
    // (write, index in its request, event, received at)
    let mut rows: Vec<(usize, usize, &Event, Micros)> = Vec::new();
    for (w, write) in group.iter().enumerate() {
        match write {
            Write::Events {
                events,
                received_at,
                ..
            } => rows.extend(
                events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (w, i, e, *received_at)),
            ),
            Write::Decisions { batch, .. } => {
                crate::protect::write_decisions(tx, backend, batch).await?;
            }
        }
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = if chunk.len() == ROWS_PER_STATEMENT {
            full_insert_statement(backend, true).to_owned()
        } else {
            insert_statement(backend, chunk.len(), true)
        };
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (_, _, event, received_at) in chunk {
            query = query
                .bind(event.id.as_str())
                .bind(event.event_type.as_str())
                .bind(arbiter_model::to_micros(event.occurred_at))
                .bind(arbiter_model::to_micros(event.occurred_at).div_euclid(DAY_MICROS))
                .bind(event.market.as_str())
                .bind(event.actor.id.as_str())
                .bind(event.actor.role.as_str())
                .bind(event.subject.as_ref().map(|s| s.id.as_str()))
                .bind(event.subject.as_ref().map(|s| s.role.as_str()))
                .bind(event.task_id.as_deref())
                .bind(event.amount.map(|a| a.minor))
                .bind(event.amount.as_ref().map(|a| a.currency.as_str()))
                .bind(*received_at)
                .bind(event.raw.as_str());
        }
        for row in query.fetch_all(&mut **tx).await? {
            let seq: i64 = row.try_get(0)?;
            let id: &str = row.try_get(1)?;
            // A repeated id is stored once, from its first occurrence in the statement.
            if let Some((w, i, _, _)) = chunk.iter().find(|(_, _, e, _)| e.id.as_str() == id) {
                counts[*w] += 1;
                new_rows[*w].push((seq, *i));
            }
        }
    }
    Ok((counts, Some(new_rows)))
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
            .send(Write::Events {
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
                    day = day.min((to - 1).div_euclid(DAY_MICROS));
                }
                if let Some(cursor) = after {
                    day = day.min(cursor.occurred_at.div_euclid(DAY_MICROS));
                }
                let first = filter
                    .from
                    .map_or(first, |from| first.max(from.div_euclid(DAY_MICROS)));
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
        Ok(first
            .zip(last)
            .map(|(f, l)| (f.div_euclid(DAY_MICROS), l.div_euclid(DAY_MICROS))))
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

    #[test]
    fn insert_statements_have_a_placeholder_per_value() {
        let sql = insert_statement(Backend::Postgres, 2, false);
        assert!(sql.contains("($1, $2,"));
        assert!(sql.contains("$28)"));
        assert!(!sql.contains("$29"));
        assert!(!sql.contains("RETURNING"));
        let sql = insert_statement(Backend::Sqlite, 2, true);
        assert_eq!(sql.matches('?').count(), 28);
        assert!(sql.ends_with("RETURNING seq, id"));
    }
}
