//! Arbiter's storage: one data-access layer over an embedded SQLite file (the default) and
//! PostgreSQL (for several instances side by side), with the same behaviour on both.
//!
//! ```no_run
//! # async fn demo() -> Result<(), arbiter_store::StoreError> {
//! let store = arbiter_store::Store::open("sqlite://arbiter.db").await?; // migrates on open
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: only this crate writes SQL. Both backends run the same statements
//! (`ON CONFLICT` works in both) through sqlx's `Any` driver; the dialects differ only in the
//! migration files under `migrations/` and in placeholders (`?` for SQLite, `$n` for
//! PostgreSQL, see `placeholder`). The one exception to the driver is the SQLite group
//! committer, which runs the same statements through a connection of its own (see `commit`).

mod access;
mod cases;
mod commit;
mod decisions;
mod effects;
mod events;
mod migrate;
mod overview;
mod policies;
mod rows;
mod script;

pub use access::{
    NewToken, Principal, SignInOutcome, SignInRecord, StaffAccount, StaffUser, TokenKind,
    TokenRecord,
};
pub use cases::{
    AuditRecord, CaseAdditions, CaseDecisionRecord, CaseFilter, CaseRecord, EvidenceRecord, Intake,
    LedgerRecord, MessageRecord, NewAudit, NewCaseDecision, NewEvidence, NewLedgerEntry,
    NewMessage,
};
pub use commit::Appended;
pub use effects::{
    AttemptOutcome, DeliveryRecord, DeliverySubject, DueDelivery, EffectFilter, EffectRecord,
    NewEffect, TOPIC_CASE_MESSAGES, TOPIC_EFFECTS, TOPIC_POLICY_CHANGES, TOPICS, WebhookRecord,
};
pub use events::{Cursor, EventFilter, EventPage, StoredEvent};

/// The largest page a list answers (`limit=1000`). List queries take up to one row more than
/// that, the row that tells the caller whether another page follows: capping them at the page
/// size itself made a full page look like the last one.
pub const MAX_PAGE: u32 = 1_000;
pub use decisions::{
    Committing, DecisionBatch, DecisionFilter, DecisionRecord, ListRecord, ListVersionSummary,
    LoggedEvent, RulesetRecord,
};
pub use overview::CaseTimes;
pub use policies::{NewPolicyVersion, PolicyChange, PolicyDocumentRecord, PolicyVersionRecord};

use sqlx::Row;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL {0:?}: expected sqlite://PATH (e.g. sqlite://arbiter.db) or postgres://USER@HOST/DB"
    )]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite group committer's own connection.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
    #[error(
        "the database was migrated by a newer Arbiter (schema version {found}, this build knows {known}); upgrade Arbiter"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{0} already exists")]
    Conflict(String),
    /// A write that named the version it read, after someone else changed the record.
    #[error("{0}")]
    Stale(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("the store is closed")]
    Closed,
    /// A failure told in words: one shared by several callers (a group commit), or one from
    /// outside the database.
    #[error("{0}")]
    Failed(String),
    /// The database's disk (or its quota) is full: nothing of the write was stored.
    #[error("the database's disk is full; nothing was written ({0})")]
    DiskFull(String),
}

impl StoreError {
    /// Whether the database refused the write for want of space: SQLite's `SQLITE_FULL`,
    /// PostgreSQL's `disk_full` (53100), or an operating system's "no space left".
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull(_) => true,
            StoreError::Database(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("13" | "53100"))
            }
            StoreError::Database(sqlx::Error::Io(e)) => e.kind() == std::io::ErrorKind::StorageFull,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }
}

/// The handle every other part of Arbiter uses to read and write state. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Writes go through here. SQLite allows one writer at a time, so for SQLite this pool has
    /// a single connection: writers queue in memory instead of failing with SQLITE_BUSY.
    writer: AnyPool,
    /// Reads; for PostgreSQL the same pool as the writer.
    reader: AnyPool,
    /// Appends and decided batches go through the group committer (see `commit`).
    appender: tokio::sync::mpsc::Sender<commit::Write>,
    /// Turns at writing a SQLite file between the group committer's thread and `writer`;
    /// `None` where the committer writes through `writer` itself.
    write_turn: Option<commit::WriteTurn>,
    /// Counts the appender's commits: readers of the log wait on it for new events.
    commits: tokio::sync::watch::Receiver<u64>,
    /// The events of each commit, for a follower of the log that need not read them back.
    appended: tokio::sync::broadcast::Sender<commit::Appended>,
    /// Why the last group commit failed for want of space, until one succeeds again.
    disk_full: Arc<std::sync::Mutex<Option<String>>>,
}

/// Commits a receiver of [`Store::appended`] may fall behind before it misses some.
const APPENDED_BACKLOG: usize = 1024;

impl Store {
    /// Connects to `url` and applies any pending migrations.
    ///
    /// `sqlite://PATH` creates the file when missing and runs it in WAL mode with full
    /// synchronous commits, so that an acknowledged write survives a crash of the process or
    /// of the machine. `postgres://…` takes any libpq-style URL.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let store = if let Some(rest) = url.strip_prefix("sqlite:") {
            Store::open_sqlite(url, rest).await?
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Store::assemble(Backend::Postgres, pool.clone(), pool, None)?
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    async fn open_sqlite(url: &str, rest: &str) -> Result<Store, StoreError> {
        let path = rest.trim_start_matches("//");
        if path.is_empty() {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let in_memory = path.starts_with(":memory:");
        // `mode=rwc` creates the file on first use.
        let url = if in_memory {
            // sqlx reads `sqlite://:memory:` as a host name; `sqlite::memory:` is its form.
            format!("sqlite:{path}")
        } else if path.contains("mode=") {
            format!("sqlite://{path}")
        } else if path.contains('?') {
            format!("sqlite://{path}&mode=rwc")
        } else {
            format!("sqlite://{path}?mode=rwc")
        };
        // A 64 MiB page cache for the writer's index updates (readers get 16 MiB each) makes
        // bulk appends faster without giving up a synchronous commit. The writer never
        // checkpoints: copying the WAL into the database (and waiting for the disk) would stall
        // the commit that crossed the threshold, and every caller waiting on it, so a reader
        // connection checkpoints in the background instead (see `run_checkpointer`).
        let options = |connections: u32, cache_kib: u32, autocheckpoint: u32| {
            let pragmas = format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                 PRAGMA wal_autocheckpoint = {autocheckpoint}; PRAGMA cache_size = -{cache_kib};"
            );
            // A local file does not drop connections: testing one before each use would cost
            // every transaction another round trip to its thread.
            AnyPoolOptions::new()
                .max_connections(connections)
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(false)
                .after_connect(move |conn, _| {
                    let pragmas = pragmas.clone();
                    Box::pin(async move {
                        conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                        Ok(())
                    })
                })
        };
        // An in-memory database exists once per connection: one connection serves all.
        if in_memory {
            let writer = options(1, 65_536, 1000).connect(&url).await?;
            return Store::assemble(Backend::Sqlite, writer.clone(), writer, None);
        }
        let writer = options(1, 65_536, 0).connect(&url).await?;
        let reader = options(4, 16_384, 0).connect(&url).await?;
        // The same file (created by now) for the group committer's own connection, named as
        // sqlx read it from the URL (percent-decoded, without its options).
        let options: sqlx::sqlite::SqliteConnectOptions = url.parse()?;
        let committer = commit::open_sqlite_writer(options.get_filename())?;
        let backfilled = Arc::new(AtomicBool::new(false));
        let store = Store::assemble(
            Backend::Sqlite,
            writer,
            reader.clone(),
            Some((committer, backfilled.clone())),
        )?;
        tokio::spawn(run_checkpointer(reader, store.commits(), backfilled));
        Ok(store)
    }

    /// Builds the handle and starts its group committer: on a thread of its own with
    /// `committer` (a SQLite file), otherwise on the runtime through `writer`.
    fn assemble(
        backend: Backend,
        writer: AnyPool,
        reader: AnyPool,
        committer: Option<(rusqlite::Connection, Arc<AtomicBool>)>,
    ) -> Result<Store, StoreError> {
        let (appender, requests) = tokio::sync::mpsc::channel(64);
        let (committed, commits) = tokio::sync::watch::channel(0);
        let (appended, _) = tokio::sync::broadcast::channel(APPENDED_BACKLOG);
        let disk_full = Arc::new(std::sync::Mutex::new(None));
        let announce = commit::Announce {
            committed,
            appended: appended.clone(),
            disk_full: disk_full.clone(),
        };
        let write_turn = match committer {
            Some((conn, backfilled)) => {
                let turn = commit::WriteTurn::new(tokio::sync::Mutex::new(Some(conn)));
                commit::start_sqlite_writer(requests, announce, turn.clone(), backfilled)
                    .map_err(|e| StoreError::Failed(format!("starting the SQLite writer: {e}")))?;
                Some(turn)
            }
            None => {
                tokio::spawn(commit::run_on_pool(
                    writer.clone(),
                    backend,
                    requests,
                    announce,
                ));
                None
            }
        };
        Ok(Store {
            backend,
            writer,
            reader,
            appender,
            write_turn,
            commits,
            appended,
            disk_full,
        })
    }

    /// The writer connection, for a write of one's own; on a SQLite file, in turn with the
    /// group committer, for as long as the answer is held.
    pub(crate) async fn writer(&self) -> Result<Writer, StoreError> {
        let turn = match &self.write_turn {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        };
        Ok(Writer {
            conn: self.writer.acquire().await?,
            _turn: turn,
        })
    }

    /// The new events of every later commit in this process, in seq order. An empty hand-off
    /// stands for a commit too large to hand on (a bulk load), and a receiver that falls more
    /// than a backlog behind misses commits (it learns so): either way it reads the log.
    pub fn appended(&self) -> tokio::sync::broadcast::Receiver<commit::Appended> {
        self.appended.subscribe()
    }

    /// Changes after every commit of new events in this process.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Answers when the database answers a trivial query.
    /// Why writes fail, when the last group commit failed because the database's disk is full
    /// (cleared by the next commit that succeeds).
    pub fn disk_full(&self) -> Option<String> {
        self.disk_full
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned. The last one to close
    /// copies the WAL into the database file and removes it, so the file alone is complete.
    pub async fn close(&self) {
        if let Some(turn) = &self.write_turn {
            drop(turn.lock().await.take());
        }
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The writer connection, held in turn with the group committer (see [`Store::writer`]).
pub(crate) struct Writer {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<Option<rusqlite::Connection>>>,
}

impl Writer {
    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.conn
    }
}

/// Copies the WAL of a SQLite database into the database file, in the background, shortly
/// after commits. Passive: it never waits for, or blocks, the writer or readers. Once it has
/// copied everything it saw of a WAL of `WAL_REWIND_FRAMES` or more, the group committer
/// copies what was committed meanwhile and so lets the WAL rewind (see
/// `commit::finish_checkpoint`).
async fn run_checkpointer(
    pool: AnyPool,
    mut commits: tokio::sync::watch::Receiver<u64>,
    backfilled: Arc<AtomicBool>,
) {
    /// Commits gather for this long between checkpoints: long enough to copy each page once
    /// for many commits, short enough that each copy (and its wait for the disk, which the
    /// commits beside it share) stays small.
    const EVERY: Duration = Duration::from_millis(100);
    /// The WAL rewinds once it holds this many frames (32 MiB of 4 KiB pages). Rewinding
    /// holds the committer for a checkpoint of its own (two waits for the disk, about 1 ms),
    /// so it is done every few hundred milliseconds of a steady load rather than at each copy.
    const WAL_REWIND_FRAMES: i64 = 8192;
    while commits.changed().await.is_ok() {
        tokio::time::sleep(EVERY).await;
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
        {
            // (busy, frames in the WAL, frames copied)
            Ok(row) => {
                let busy: i64 = row.try_get(0).unwrap_or(1);
                let frames: i64 = row.try_get(1).unwrap_or(0);
                if busy == 0 && frames >= WAL_REWIND_FRAMES {
                    backfilled.store(true, Ordering::Release);
                }
            }
            Err(error) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "a WAL checkpoint failed; trying again after the next commit");
            }
        }
    }
}

/// A list stored in one text column as `,a,b,`: a member is found with `LIKE '%,a,%'`.
pub(crate) fn framed(items: &[String]) -> String {
    format!(",{},", items.join(","))
}

/// `text` for a `LIKE … ESCAPE '\'` pattern that matches it literally: `%`, `_` and the
/// escape character itself lose their meaning.
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The members of a list stored by [`framed`] (an empty column is an empty list).
pub(crate) fn unframed(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first `count` bind placeholders of a statement, comma-separated.
pub(crate) fn placeholders(backend: Backend, count: usize) -> String {
    (1..=count)
        .map(|n| placeholder(backend, n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `n`th (1-based) bind placeholder of a statement: `?` for SQLite, `$n` for PostgreSQL.
pub(crate) fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    }
}

#[cfg(feature = "testing")]
pub mod testing;
