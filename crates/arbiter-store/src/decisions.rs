//! Rulesets, lists and decisions: what the decision engine reads and what it writes.

use crate::rows::DECISION_COLUMNS;
use crate::{Store, StoreError};
use arbiter_model::Micros;
use sqlx::Row;
use sqlx::any::AnyRow;

/// One published version of the ruleset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesetRecord {
    pub version: i64,
    pub source: String,
    pub note: String,
    pub published_by: String,
    pub published_at: Micros,
    /// For a rollback: the version whose text this one repeats.
    pub restores: Option<i64>,
}

/// One version of a named list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRecord {
    pub name: String,
    pub version: i64,
    pub description: String,
    pub entries: Vec<String>,
    pub changed_by: String,
    pub changed_at: Micros,
    pub note: String,
}

/// A list version without its entries: for listings and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListVersionSummary {
    pub name: String,
    pub version: i64,
    pub description: String,
    pub entry_count: i64,
    pub changed_by: String,
    pub changed_at: Micros,
    pub note: String,
}

/// A stored decision. `body` is the decision as JSON (actions, hits, evidence).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    pub event_seq: i64,
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: Micros,
    pub actor_id: String,
    pub subject_id: Option<String>,
    pub ruleset_version: i64,
    pub verdict: String,
    pub score: f64,
    /// Ids of the rules that fired.
    pub fired: Vec<String>,
    pub decided_at: Micros,
    pub body: String,
}

/// Which decisions to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    pub verdict: Option<String>,
    pub rule: Option<String>,
    /// Decisions on events where this user is the actor or the subject.
    pub user: Option<String>,
    pub event_type: Option<String>,
    pub from: Option<Micros>,
    pub to: Option<Micros>,
    /// Decisions on events up to this position of the log.
    pub up_to_seq: Option<i64>,
}

/// A stored event as the decider reads it.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub seq: i64,
    pub occurred_at: Micros,
    pub body: String,
}

impl Store {
    pub(crate) fn placeholders(&self, count: usize) -> String {
        crate::placeholders(self.backend, count)
    }

    /// Publishes a ruleset text as the next version; it is in force from now on.
    pub async fn publish_ruleset(
        &self,
        source: &str,
        note: &str,
        published_by: &str,
        published_at: Micros,
        restores: Option<i64>,
    ) -> Result<RulesetRecord, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 FROM rulesets")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let sql = format!(
            "INSERT INTO rulesets (version, source, note, published_by, published_at, restores) VALUES ({})",
            self.placeholders(6)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(version)
            .bind(source)
            .bind(note)
            .bind(published_by)
            .bind(published_at)
            .bind(restores)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, || format!("ruleset version {version}")))?;
        tx.commit().await?;
        Ok(RulesetRecord {
            version,
            source: source.to_owned(),
            note: note.to_owned(),
            published_by: published_by.to_owned(),
            published_at,
            restores,
        })
    }

    /// Every published version, newest first.
    pub async fn rulesets(&self) -> Result<Vec<RulesetRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, source, note, published_by, published_at, restores FROM rulesets ORDER BY version DESC",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(ruleset_record).collect()
    }

    pub async fn ruleset(&self, version: i64) -> Result<Option<RulesetRecord>, StoreError> {
        let sql = format!(
            "SELECT version, source, note, published_by, published_at, restores FROM rulesets WHERE version = {}",
            self.placeholders(1)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(version)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(ruleset_record).transpose()
    }

    /// The ruleset in force: the newest version.
    pub async fn current_ruleset(&self) -> Result<Option<RulesetRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT version, source, note, published_by, published_at, restores FROM rulesets ORDER BY version DESC LIMIT 1",
        )
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(ruleset_record).transpose()
    }

    /// Saves a new version of a list with these entries (the caller has validated them).
    pub async fn put_list(
        &self,
        name: &str,
        description: &str,
        entries: &[String],
        changed_by: &str,
        changed_at: Micros,
        note: &str,
    ) -> Result<ListVersionSummary, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let sql = format!(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM list_versions WHERE name = {}",
            self.placeholders(1)
        );
        let version: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let sql = format!(
            "INSERT INTO list_versions (name, version, description, entries, entry_count, changed_by, changed_at, note) VALUES ({})",
            self.placeholders(8)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .bind(version)
            .bind(description)
            .bind(entries.join("\n"))
            .bind(entries.len() as i64)
            .bind(changed_by)
            .bind(changed_at)
            .bind(note)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, || format!("list {name} version {version}")))?;
        tx.commit().await?;
        Ok(ListVersionSummary {
            name: name.to_owned(),
            version,
            description: description.to_owned(),
            entry_count: entries.len() as i64,
            changed_by: changed_by.to_owned(),
            changed_at,
            note: note.to_owned(),
        })
    }

    /// The current version of a list, with its entries.
    pub async fn list(&self, name: &str) -> Result<Option<ListRecord>, StoreError> {
        let sql = format!(
            "SELECT name, version, description, entries, changed_by, changed_at, note FROM list_versions \
             WHERE name = {} ORDER BY version DESC LIMIT 1",
            self.placeholders(1)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(list_record).transpose()
    }

    /// The current version of every list, with entries: what the decider holds in memory.
    pub async fn current_lists(&self) -> Result<Vec<ListRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.name, l.version, l.description, l.entries, l.changed_by, l.changed_at, l.note \
             FROM list_versions l JOIN (SELECT name, MAX(version) AS version FROM list_versions GROUP BY name) m \
             ON l.name = m.name AND l.version = m.version ORDER BY l.name",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(list_record).collect()
    }

    /// The current version of every list, without entries.
    pub async fn lists(&self) -> Result<Vec<ListVersionSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.name, l.version, l.description, l.entry_count, l.changed_by, l.changed_at, l.note \
             FROM list_versions l JOIN (SELECT name, MAX(version) AS version FROM list_versions GROUP BY name) m \
             ON l.name = m.name AND l.version = m.version ORDER BY l.name",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(list_summary).collect()
    }

    /// Every version of a list, newest first.
    pub async fn list_history(&self, name: &str) -> Result<Vec<ListVersionSummary>, StoreError> {
        let sql = format!(
            "SELECT name, version, description, entry_count, changed_by, changed_at, note FROM list_versions \
             WHERE name = {} ORDER BY version DESC",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(list_summary).collect()
    }

    /// A sum that changes whenever a ruleset is published or a list changes: the decider polls
    /// it to pick up changes made by other processes.
    pub async fn configuration_stamp(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COALESCE(MAX(version), 0) FROM rulesets), \
                    (SELECT COUNT(*) FROM list_versions)",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// How far the decider has read the log, and under which ruleset version.
    pub async fn decider_progress(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT last_seq, ruleset_version FROM decider_progress WHERE id = 1")
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    /// Events after `seq`, in log order.
    pub async fn events_after(&self, seq: i64, limit: i64) -> Result<Vec<LoggedEvent>, StoreError> {
        let sql = format!(
            "SELECT seq, occurred_at, body FROM events WHERE seq > {} ORDER BY seq LIMIT {}",
            self.placeholders(1),
            limit.clamp(1, 100_000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(seq)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(logged_event).collect()
    }

    /// Events with `seq <= up_to` that occurred in `[since, until)`, in time order, a page at a
    /// time after `(after_time, after_seq)`: the history an engine replays.
    pub async fn events_for_replay(
        &self,
        since: Micros,
        until: Micros,
        up_to: i64,
        after: (Micros, i64),
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let p = |n: usize| crate::placeholder(self.backend, n);
        let sql = format!(
            "SELECT seq, occurred_at, body FROM events WHERE occurred_at >= {} AND occurred_at < {} AND seq <= {} \
             AND (occurred_at > {} OR (occurred_at = {} AND seq > {})) ORDER BY occurred_at, seq LIMIT {}",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            limit.clamp(1, 100_000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since.max(after.0))
            .bind(until)
            .bind(up_to)
            .bind(after.0)
            .bind(after.0)
            .bind(after.1)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(logged_event).collect()
    }

    /// The seqs of the earliest event at or after `from` and of the latest before `to`, by time:
    /// the span of the log that holds the events of `[from, to)`, give or take events that
    /// arrived out of time order. `None` when no event falls in the range.
    pub async fn seq_span(
        &self,
        from: Micros,
        to: Micros,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        let a = crate::placeholder(self.backend, 1);
        let first = format!(
            "SELECT seq FROM events WHERE occurred_at >= {a} ORDER BY occurred_at, seq LIMIT 1"
        );
        let last = format!(
            "SELECT seq FROM events WHERE occurred_at < {a} ORDER BY occurred_at DESC, seq DESC LIMIT 1"
        );
        let first: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(first))
            .bind(from)
            .fetch_optional(&self.reader)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let last: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(last))
            .bind(to)
            .fetch_optional(&self.reader)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(match (first, last) {
            (Some(first), Some(last)) => Some((first.min(last), first.max(last))),
            _ => None,
        })
    }

    /// How many events occurred in `[from, to)`, and the first and last time in the log.
    pub async fn events_in_range(
        &self,
        from: Micros,
        to: Micros,
    ) -> Result<(i64, Option<Micros>, Option<Micros>), StoreError> {
        let sql = format!(
            "SELECT (SELECT COUNT(*) FROM events WHERE occurred_at >= {} AND occurred_at < {}), \
                    (SELECT MIN(occurred_at) FROM events), (SELECT MAX(occurred_at) FROM events)",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .fetch_one(&self.reader)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    /// Users with a known bad outcome in `[from, until)` and the time of their latest: the
    /// subjects of chargebacks.
    pub async fn bad_outcomes(
        &self,
        from: Micros,
        until: Micros,
    ) -> Result<Vec<(String, Micros)>, StoreError> {
        let (a, b) = (
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2),
        );
        let sql = format!(
            "SELECT subject_id, MAX(occurred_at) FROM events WHERE occurred_at >= {a} AND occurred_at < {b} \
             AND type = 'payment.chargeback' AND subject_id IS NOT NULL GROUP BY subject_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(until)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The newest `occurred_at` among events up to `seq`.
    pub async fn latest_occurrence(&self, up_to: i64) -> Result<Option<Micros>, StoreError> {
        let sql = format!(
            "SELECT MAX(occurred_at) FROM events WHERE seq <= {}",
            self.placeholders(1)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(up_to)
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// Hands a batch of decisions, their effects (with a webhook delivery for each subscriber)
    /// and the decider's progress to the group committer, to be stored in one transaction: a
    /// crash leaves all as they were, and the batch is decided again. The batch rides on the
    /// group commit with the events appended meanwhile, so the decider never holds the writer
    /// for a commit of its own, and need not wait for it before deciding the next events: the
    /// answer resolves once the batch is committed.
    pub async fn record_decisions(&self, batch: DecisionBatch) -> Result<Committing, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.appender
            .send(crate::commit::Write::Decisions { batch, reply })
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(Committing(outcome))
    }

    /// The decision on an event, when a rule fired or failed on it.
    pub async fn decision(&self, event_id: &str) -> Result<Option<DecisionRecord>, StoreError> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE event_id = {}",
            self.placeholders(1)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(decision_record).transpose()
    }

    /// The decisions on the events in `(after_seq, up_to_seq]`, in log order.
    pub async fn decisions_between(
        &self,
        after_seq: i64,
        up_to_seq: i64,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM decisions WHERE event_seq > {} AND event_seq <= {} ORDER BY event_seq",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(up_to_seq)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(decision_record).collect()
    }

    /// The seq of the newest event in the log; 0 when it is empty.
    pub async fn last_event_seq(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&self.reader)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// The seq of a stored event.
    pub async fn event_seq(&self, event_id: &str) -> Result<Option<i64>, StoreError> {
        let sql = format!("SELECT seq FROM events WHERE id = {}", self.placeholders(1));
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(event_id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    /// Decisions newest first, after the cursor `(occurred_at, event_seq)` of the previous page.
    /// At most [`crate::MAX_PAGE`] + 1: a page and the row that tells another follows.
    pub async fn list_decisions(
        &self,
        filter: &DecisionFilter,
        before: Option<(Micros, i64)>,
        limit: u32,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let next = |binds: &mut Vec<Bind>, value: Bind| {
            binds.push(value);
            crate::placeholder(self.backend, binds.len())
        };
        if let Some(v) = &filter.verdict {
            clauses.push(format!(
                "verdict = {}",
                next(&mut binds, Bind::Text(v.clone()))
            ));
        }
        if let Some(rule) = &filter.rule {
            // A rule id is matched as written: `%` and `_` in it are not wildcards.
            clauses.push(format!(
                "fired LIKE {} ESCAPE '\\'",
                next(
                    &mut binds,
                    Bind::Text(format!("%,{},%", crate::like_literal(rule)))
                )
            ));
        }
        if let Some(user) = &filter.user {
            let a = next(&mut binds, Bind::Text(user.clone()));
            let b = next(&mut binds, Bind::Text(user.clone()));
            clauses.push(format!("(actor_id = {a} OR subject_id = {b})"));
        }
        if let Some(t) = &filter.event_type {
            clauses.push(format!(
                "event_type = {}",
                next(&mut binds, Bind::Text(t.clone()))
            ));
        }
        if let Some(from) = filter.from {
            clauses.push(format!(
                "occurred_at >= {}",
                next(&mut binds, Bind::Int(from))
            ));
        }
        if let Some(to) = filter.to {
            clauses.push(format!("occurred_at < {}", next(&mut binds, Bind::Int(to))));
        }
        if let Some(seq) = filter.up_to_seq {
            clauses.push(format!("event_seq <= {}", next(&mut binds, Bind::Int(seq))));
        }
        if let Some((at, seq)) = before {
            let a = next(&mut binds, Bind::Int(at));
            let b = next(&mut binds, Bind::Int(at));
            let c = next(&mut binds, Bind::Int(seq));
            clauses.push(format!(
                "(occurred_at < {a} OR (occurred_at = {b} AND event_seq < {c}))"
            ));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM decisions{filter_sql} ORDER BY occurred_at DESC, event_seq DESC LIMIT {}",
            limit.clamp(1, crate::MAX_PAGE + 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for bind in binds {
            query = match bind {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(decision_record).collect()
    }

    /// Decisions per verdict and per rule fired since `since`: the protect overview.
    pub async fn decision_counts(
        &self,
        since: Micros,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = format!(
            "SELECT verdict, fired, COUNT(*) FROM decisions WHERE occurred_at >= {} GROUP BY verdict, fired",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }
}

enum Bind {
    Text(String),
    Int(i64),
}

fn conflict_or(error: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
        _ => StoreError::Database(error),
    }
}

fn ruleset_record(row: &AnyRow) -> Result<RulesetRecord, StoreError> {
    Ok(RulesetRecord {
        version: row.try_get("version")?,
        source: row.try_get("source")?,
        note: row.try_get("note")?,
        published_by: row.try_get("published_by")?,
        published_at: row.try_get("published_at")?,
        restores: row.try_get("restores")?,
    })
}

fn list_record(row: &AnyRow) -> Result<ListRecord, StoreError> {
    let entries: String = row.try_get("entries")?;
    Ok(ListRecord {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        description: row.try_get("description")?,
        entries: if entries.is_empty() {
            Vec::new()
        } else {
            entries.split('\n').map(str::to_owned).collect()
        },
        changed_by: row.try_get("changed_by")?,
        changed_at: row.try_get("changed_at")?,
        note: row.try_get("note")?,
    })
}

fn list_summary(row: &AnyRow) -> Result<ListVersionSummary, StoreError> {
    Ok(ListVersionSummary {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        description: row.try_get("description")?,
        entry_count: row.try_get("entry_count")?,
        changed_by: row.try_get("changed_by")?,
        changed_at: row.try_get("changed_at")?,
        note: row.try_get("note")?,
    })
}

fn logged_event(row: &AnyRow) -> Result<LoggedEvent, StoreError> {
    Ok(LoggedEvent {
        seq: row.try_get("seq")?,
        occurred_at: row.try_get("occurred_at")?,
        body: row.try_get("body")?,
    })
}

fn decision_record(row: &AnyRow) -> Result<DecisionRecord, StoreError> {
    let fired: String = row.try_get("fired")?;
    Ok(DecisionRecord {
        event_seq: row.try_get("event_seq")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        occurred_at: row.try_get("occurred_at")?,
        actor_id: row.try_get("actor_id")?,
        subject_id: row.try_get("subject_id")?,
        ruleset_version: row.try_get("ruleset_version")?,
        verdict: row.try_get("verdict")?,
        score: row.try_get("score")?,
        fired: crate::unframed(&fired),
        decided_at: row.try_get("decided_at")?,
        body: row.try_get("body")?,
    })
}

/// A write handed to the group committer: resolves once it is committed, or failed.
#[derive(Debug)]
pub struct Committing(tokio::sync::oneshot::Receiver<Result<(), StoreError>>);

impl std::future::Future for Committing {
    type Output = Result<(), StoreError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(|outcome| outcome.unwrap_or(Err(StoreError::Closed)))
    }
}

/// What the decider writes after deciding a batch of events.
#[derive(Debug, Default)]
pub struct DecisionBatch {
    /// The decisions on which a rule fired or failed; quiet events have none.
    pub decisions: Vec<DecisionRecord>,
    pub effects: Vec<crate::NewEffect>,
    /// The last event of the batch: the decider's progress once committed.
    pub last_seq: i64,
    pub ruleset_version: i64,
}
