//! The rows the group committer writes, as statements: events appended to the log and the
//! decider's batches (effects, decisions, progress). The committer runs them; the modules that
//! hand it work (`events`, `decisions`) never build them, so neither imports the other.

use crate::{Backend, DecisionBatch};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Columns written per event.
const INSERT_COLUMNS: &str = "id, type, occurred_at, day, market, actor_id, actor_role, \
     subject_id, subject_role, task_id, amount_minor, currency, received_at, body";
pub(crate) const COLUMNS_PER_ROW: usize = 14;
/// Microseconds in a day: `day` is `occurred_at` divided by this, rounded down.
pub(crate) const DAY_MICROS: i64 = 86_400_000_000;
/// Rows per INSERT statement: large enough to amortise the round trip, small enough to stay far
/// below both databases' limits on bound parameters.
pub(crate) const ROWS_PER_STATEMENT: usize = 64;

/// Columns of a decision row.
pub(crate) const DECISION_COLUMNS: &str = "event_seq, event_id, event_type, occurred_at, actor_id, subject_id, ruleset_version, verdict, score, fired, decided_at, body";

/// A multi-row upsert; `returning` makes it answer with the seq and id of each new row. SQLite
/// gets anonymous `?` placeholders: it looks named ones (`$1`) up by a linear scan, which makes
/// binding a large statement quadratic.
pub(crate) fn insert_statement(backend: Backend, rows: usize, returning: bool) -> String {
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
pub(crate) fn full_insert_statement(backend: Backend, returning: bool) -> &'static str {
    static STATEMENTS: [OnceLock<String>; 4] = [const { OnceLock::new() }; 4];
    let index = match backend {
        Backend::Sqlite => 0,
        Backend::Postgres => 2,
    } + usize::from(returning);
    STATEMENTS[index].get_or_init(|| insert_statement(backend, ROWS_PER_STATEMENT, returning))
}

/// Adds to `script` the statements that store a decided batch: its effects, its decisions and
/// the decider's progress.
pub(crate) fn write_decisions<'a>(
    backend: Backend,
    script: &mut crate::script::Script<'a>,
    batch: &'a DecisionBatch,
) {
    for effect in &batch.effects {
        crate::effects::insert_effect(backend, script, effect);
    }
    // Many rows a statement: fewer statements to prepare and to run.
    const ROWS: usize = 64;
    const COLUMNS: usize = 12;
    for chunk in batch.decisions.chunks(ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let values: Vec<String> = (1..=COLUMNS)
                    .map(|column| crate::placeholder(backend, row * COLUMNS + column))
                    .collect();
                format!("({})", values.join(", "))
            })
            .collect();
        let insert = format!(
            "INSERT INTO decisions ({DECISION_COLUMNS}) VALUES {} ON CONFLICT (event_seq) DO NOTHING",
            rows.join(", ")
        );
        let mut binds = Vec::with_capacity(chunk.len() * COLUMNS);
        for d in chunk {
            binds.extend([
                d.event_seq.into(),
                d.event_id.as_str().into(),
                d.event_type.as_str().into(),
                d.occurred_at.into(),
                d.actor_id.as_str().into(),
                d.subject_id.as_deref().into(),
                d.ruleset_version.into(),
                d.verdict.as_str().into(),
                d.score.into(),
                crate::framed(&d.fired).into(),
                d.decided_at.into(),
                d.body.as_str().into(),
            ]);
        }
        script.push(insert, binds);
    }
    script.push(
        format!(
            "INSERT INTO decider_progress (id, last_seq, ruleset_version) VALUES (1, {}) \
             ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq, ruleset_version = excluded.ruleset_version",
            crate::placeholders(backend, 2)
        ),
        vec![batch.last_seq.into(), batch.ruleset_version.into()],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

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
