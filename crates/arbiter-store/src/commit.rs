//! The group committer: every event append and every decided batch goes through it.
//!
//! Writes that arrive while a commit is under way wait, then share the next transaction. Every
//! commit rewrites the index pages it touched and waits for the disk, and event ids and parties
//! are spread across their indexes, so fewer, larger commits write far less; the decider's
//! writes share the commits of the events too, so that a synchronous decision waits for one
//! commit, not two. Each caller learns its outcome only after the commit.
//!
//! A SQLite file is written by a thread of its own with a connection of its own: a commit is
//! then one hand-off to that thread and one back, where going through sqlx's connection worker
//! costs a round trip between threads per statement, and two more for `BEGIN` and `COMMIT`.
//! On a virtual machine those wake-ups, not SQLite's work, were most of a small commit's time
//! (0.6 ms against 0.25 ms done in place). Other writers (cases, policies, tokens) keep using
//! the sqlx writer connection, taking turns with this thread through [`WriteTurn`], so that
//! neither meets the other's lock and SQLite's busy sleeps. PostgreSQL, and a SQLite database
//! in memory (which lives in a single connection), commit through sqlx on the async runtime.

use crate::rows::{DAY_MICROS, ROWS_PER_STATEMENT, full_insert_statement, insert_statement};
use crate::script::{Done, Script};
use crate::{Backend, StoreError};
use arbiter_model::{Event, Micros};
use sqlx::AnyPool;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Groups of up to this many events are handed to a follower of the log in memory; larger
/// ones (bulk loads) are not, so that they pay neither for returning every row nor for holding
/// copies: the follower reads them from the log.
const HAND_ON_EVENTS: usize = 512;

/// Most events (or decisions) committed in one transaction.
const MAX_GROUP_EVENTS: usize = 50_000;

/// Events just committed, in log order, as the decider reads them.
pub type Appended = Arc<[crate::LoggedEvent]>;

/// Turns at writing a SQLite file: the committer's thread and the sqlx writer connection
/// each hold it for the length of a transaction. It keeps the committer's connection, so that
/// closing the store can take it out (and close it) between two commits.
pub(crate) type WriteTurn = Arc<tokio::sync::Mutex<Option<rusqlite::Connection>>>;

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

/// Where commits are announced.
pub(crate) struct Announce {
    /// Counts the commits that stored new events.
    pub committed: watch::Sender<u64>,
    /// The new events of each commit, for a follower of the log.
    pub appended: broadcast::Sender<Appended>,
    /// Set while commits fail because the disk is full; read by health checks.
    pub disk_full: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

/// The writes waiting behind `first`, up to [`MAX_GROUP_EVENTS`], and whether the group is
/// small enough to hand on in memory.
fn gather(
    first: Write,
    requests: &mut mpsc::Receiver<Write>,
    announce: &Announce,
) -> (Vec<Write>, bool) {
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
    let hand_on = announce.appended.receiver_count() > 0 && size <= HAND_ON_EVENTS;
    (group, hand_on)
}

/// The group's transaction: the decided batches, then the events. A small group's events
/// share statements of up to [`ROWS_PER_STATEMENT`] rows across its requests, each returning
/// the seq and id of what it inserted; a large group's are counted per request instead.
fn script(backend: Backend, group: &[Write], hand_on: bool) -> Script<'_> {
    let mut script = Script::default();
    for write in group {
        if let Write::Decisions { batch, .. } = write {
            crate::rows::write_decisions(backend, &mut script, batch);
        }
    }
    // (write, event, received at)
    let rows: Vec<(usize, &Event, Micros)> = group
        .iter()
        .enumerate()
        .flat_map(|(w, write)| match write {
            Write::Events {
                events,
                received_at,
                ..
            } => events.iter().map(|e| (w, e, *received_at)).collect(),
            Write::Decisions { .. } => Vec::new(),
        })
        .collect();
    if hand_on {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            push_events(&mut script, backend, hand_on, chunk, 0);
        }
    } else {
        for (w, _) in group.iter().enumerate() {
            let start = rows.partition_point(|(x, _, _)| *x < w);
            let end = rows.partition_point(|(x, _, _)| *x <= w);
            for chunk in rows[start..end].chunks(ROWS_PER_STATEMENT) {
                push_events(&mut script, backend, hand_on, chunk, w);
            }
        }
    }
    script
}

/// One INSERT of up to [`ROWS_PER_STATEMENT`] events, counted for the write `credit`.
fn push_events<'a>(
    script: &mut Script<'a>,
    backend: Backend,
    hand_on: bool,
    chunk: &[(usize, &'a Event, Micros)],
    credit: usize,
) {
    {
        let sql: Cow<'static, str> = if chunk.len() == ROWS_PER_STATEMENT {
            Cow::Borrowed(full_insert_statement(backend, hand_on))
        } else {
            Cow::Owned(insert_statement(backend, chunk.len(), hand_on))
        };
        let mut binds = Vec::with_capacity(chunk.len() * crate::rows::COLUMNS_PER_ROW);
        for (_, event, received_at) in chunk {
            let occurred_at = arbiter_model::to_micros(event.occurred_at);
            binds.extend([
                event.id.as_str().into(),
                event.event_type.as_str().into(),
                occurred_at.into(),
                occurred_at.div_euclid(DAY_MICROS).into(),
                event.market.as_str().into(),
                event.actor.id.as_str().into(),
                event.actor.role.as_str().into(),
                event.subject.as_ref().map(|s| s.id.as_str()).into(),
                event.subject.as_ref().map(|s| s.role.as_str()).into(),
                event.task_id.as_deref().into(),
                event.amount.map(|a| a.minor).into(),
                event.amount.as_ref().map(|a| a.currency.as_str()).into(),
                (*received_at).into(),
                event.raw.as_str().into(),
            ]);
        }
        script.push_counted(sql, binds, hand_on, credit);
    }
}

/// The count of new events of each write of a group (0 for decisions) and, for a group handed
/// on, the seq and index in its request of each new event.
type GroupOutcome = (Vec<u64>, Option<Vec<Vec<(i64, usize)>>>);

/// Credits what the statements did to the writes of the group. Handed on, a new event counts
/// for the first request that sent its id; otherwise each statement for its own request.
fn tally(group: &[Write], hand_on: bool, done: Vec<Done>) -> GroupOutcome {
    let mut counts = vec![0u64; group.len()];
    if !hand_on {
        for statement in done {
            if let Some(w) = statement.credit {
                counts[w] += statement.changes;
            }
        }
        return (counts, None);
    }
    let mut first: HashMap<&str, (usize, usize)> = HashMap::new();
    for (w, write) in group.iter().enumerate() {
        if let Write::Events { events, .. } = write {
            for (i, event) in events.iter().enumerate() {
                first.entry(event.id.as_str()).or_insert((w, i));
            }
        }
    }
    let mut new_rows: Vec<Vec<(i64, usize)>> = vec![Vec::new(); group.len()];
    for (seq, id) in done.into_iter().flat_map(|d| d.returned) {
        if let Some(&(w, i)) = first.get(id.as_str()) {
            counts[w] += 1;
            new_rows[w].push((seq, i));
        }
    }
    (counts, Some(new_rows))
}

/// Tells every caller of the group its outcome, and a follower of the log what was appended.
fn deliver(
    group: Vec<Write>,
    outcome: Result<GroupOutcome, StoreError>,
    announce: &Announce,
    started: std::time::Instant,
) {
    metrics::histogram!("arbiter_store_commit_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("arbiter_store_committed_writes_total").increment(group.len() as u64);
    let mut disk_full = announce.disk_full.lock().unwrap_or_else(|e| e.into_inner());
    // A commit that only rewrote pages (the decider's progress) can succeed on a full disk;
    // space is back when new events could be stored.
    match &outcome {
        Err(error) if error.is_disk_full() => *disk_full = Some(error.to_string()),
        Ok((counts, _))
            if group
                .iter()
                .zip(counts)
                .any(|(write, count)| matches!(write, Write::Events { .. }) && *count > 0) =>
        {
            *disk_full = None
        }
        _ => {}
    }
    drop(disk_full);
    match outcome {
        Ok((counts, new_rows)) => {
            if counts.iter().any(|c| *c > 0) {
                if announce.appended.receiver_count() > 0 {
                    // An empty hand-off tells the follower to read the log.
                    let events = new_rows
                        .map(|rows| appended_events(&group, rows))
                        .unwrap_or_else(|| Vec::new().into());
                    let _ = announce.appended.send(events);
                }
                announce.committed.send_modify(|n| *n += 1);
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
            let full = error.is_disk_full();
            let message = error.to_string();
            for write in group {
                let failed = if full {
                    StoreError::DiskFull(message.clone())
                } else {
                    StoreError::Failed(message.clone())
                };
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

/// The committer on the async runtime, through a sqlx pool: PostgreSQL, SQLite in memory.
pub(crate) async fn run_on_pool(
    writer: AnyPool,
    backend: Backend,
    mut requests: mpsc::Receiver<Write>,
    announce: Announce,
) {
    while let Some(first) = requests.recv().await {
        let (group, hand_on) = gather(first, &mut requests, &announce);
        let started = std::time::Instant::now();
        let outcome = async {
            let script = script(backend, &group, hand_on);
            let mut tx = writer.begin().await?;
            let done = script.run_in(&mut tx).await?;
            tx.commit().await?;
            Ok(tally(&group, hand_on, done))
        }
        .await;
        deliver(group, outcome, &announce, started);
    }
}

/// Opens the SQLite writer's own connection with the settings of the store's others: WAL,
/// full synchronous commits, no automatic checkpoints (see `run_checkpointer`); a WAL grown
/// past 64 MiB by a bulk load is cut back when it rewinds.
pub(crate) fn open_sqlite_writer(
    path: &std::path::Path,
) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; \
         PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536; \
         PRAGMA journal_size_limit = 67108864;",
    )?;
    // The statements of small groups differ only in their number of rows.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

/// Starts the committer of a SQLite file on a thread of its own, writing through the connection
/// `turn` holds; it ends when every sender of `requests` is gone, and answers
/// [`StoreError::Closed`] once the connection was taken out. `backfilled` is set by the
/// background checkpointer when it has copied the WAL into the database (see
/// [`finish_checkpoint`]).
pub(crate) fn start_sqlite_writer(
    mut requests: mpsc::Receiver<Write>,
    announce: Announce,
    turn: WriteTurn,
    backfilled: Arc<std::sync::atomic::AtomicBool>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("arbiter-sqlite-writer".into())
        .spawn(move || {
            while let Some(first) = requests.blocking_recv() {
                let (group, hand_on) = gather(first, &mut requests, &announce);
                let started = std::time::Instant::now();
                let outcome = match turn.blocking_lock().as_ref() {
                    Some(conn) => commit_on_sqlite(conn, &group, hand_on),
                    None => Err(StoreError::Closed),
                };
                deliver(group, outcome, &announce, started);
                if backfilled.swap(false, std::sync::atomic::Ordering::AcqRel)
                    && let Some(conn) = turn.blocking_lock().as_ref()
                {
                    finish_checkpoint(conn);
                }
            }
        })?;
    Ok(())
}

/// Lets the WAL start again from its beginning. SQLite rewinds the WAL only when a write
/// begins with every frame already copied into the database, which never happens under steady
/// writes if the copying runs beside them (the commits made meanwhile are not yet copied), and
/// the WAL file then grows without end, each commit also waiting for its new size to reach the
/// disk. So the background checkpointer does the copying, off this thread, and this thread then
/// copies the few frames committed since, between two of its own commits: the next write
/// rewinds the WAL.
fn finish_checkpoint(conn: &rusqlite::Connection) {
    let outcome: rusqlite::Result<(i64, i64, i64)> =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        });
    if let Err(error) = outcome {
        tracing::warn!(%error, "a WAL checkpoint failed; the next one will try again");
    }
}

fn commit_on_sqlite(
    conn: &rusqlite::Connection,
    group: &[Write],
    hand_on: bool,
) -> Result<GroupOutcome, StoreError> {
    let script = script(Backend::Sqlite, group, hand_on);
    conn.execute_batch("BEGIN IMMEDIATE")?;
    match script.run_on(conn) {
        Ok(done) => {
            if let Err(error) = conn.execute_batch("COMMIT") {
                // A failed COMMIT may have ended the transaction already.
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                return Err(error.into());
            }
            Ok(tally(group, hand_on, done))
        }
        Err(error) => {
            if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                tracing::error!(%rollback, "a failed group commit could not be rolled back");
            }
            Err(error)
        }
    }
}
