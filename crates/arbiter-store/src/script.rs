//! The statements of one write transaction, built once and run by either committer: one
//! statement at a time through sqlx (PostgreSQL, SQLite in memory), or on the SQLite writer's
//! own thread through its own connection (see `commit`).

use crate::StoreError;
use sqlx::any::AnyRow;
use sqlx::{Any, AssertSqlSafe, Row};
use std::borrow::Cow;

/// A value bound to a statement.
pub(crate) enum Bind<'a> {
    Int(Option<i64>),
    Real(f64),
    Text(Option<Cow<'a, str>>),
}

impl From<i64> for Bind<'_> {
    fn from(value: i64) -> Self {
        Bind::Int(Some(value))
    }
}

impl From<Option<i64>> for Bind<'_> {
    fn from(value: Option<i64>) -> Self {
        Bind::Int(value)
    }
}

impl From<f64> for Bind<'_> {
    fn from(value: f64) -> Self {
        Bind::Real(value)
    }
}

impl<'a> From<&'a str> for Bind<'a> {
    fn from(value: &'a str) -> Self {
        Bind::Text(Some(Cow::Borrowed(value)))
    }
}

impl<'a> From<Option<&'a str>> for Bind<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Bind::Text(value.map(Cow::Borrowed))
    }
}

impl From<String> for Bind<'_> {
    fn from(value: String) -> Self {
        Bind::Text(Some(Cow::Owned(value)))
    }
}

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Bind::Int(Some(v)) => ToSqlOutput::Owned(Value::Integer(*v)),
            Bind::Real(v) => ToSqlOutput::Owned(Value::Real(*v)),
            Bind::Text(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Bind::Int(None) | Bind::Text(None) => ToSqlOutput::Owned(Value::Null),
        })
    }
}

/// One statement: its text, its values, whether it answers `RETURNING seq, id`, and which
/// write of the group its changed rows are counted for.
struct Statement<'a> {
    sql: Cow<'static, str>,
    binds: Vec<Bind<'a>>,
    returning: bool,
    credit: Option<usize>,
}

/// What one statement did.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub changes: u64,
    /// The `(seq, id)` of each row a `RETURNING seq, id` statement answered.
    pub returned: Vec<(i64, String)>,
    pub credit: Option<usize>,
}

/// Statements with their values, in the order they run.
#[derive(Default)]
pub(crate) struct Script<'a> {
    statements: Vec<Statement<'a>>,
}

type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

fn bind_all<'q>(mut query: AnyQuery<'q>, binds: &'q [Bind<'q>]) -> AnyQuery<'q> {
    for value in binds {
        query = match value {
            Bind::Int(v) => query.bind(*v),
            Bind::Real(v) => query.bind(*v),
            Bind::Text(v) => query.bind(v.as_deref()),
        };
    }
    query
}

impl<'a> Script<'a> {
    /// A statement that answers no rows.
    pub(crate) fn push(&mut self, sql: impl Into<Cow<'static, str>>, binds: Vec<Bind<'a>>) {
        self.statements.push(Statement {
            sql: sql.into(),
            binds,
            returning: false,
            credit: None,
        });
    }

    /// A statement whose changed rows count for the write `credit` of the group; with
    /// `returning`, it ends in `RETURNING seq, id` and answers those of each new row.
    pub(crate) fn push_counted(
        &mut self,
        sql: impl Into<Cow<'static, str>>,
        binds: Vec<Bind<'a>>,
        returning: bool,
        credit: usize,
    ) {
        self.statements.push(Statement {
            sql: sql.into(),
            binds,
            returning,
            credit: Some(credit),
        });
    }

    /// Runs each statement in turn inside `tx`.
    pub(crate) async fn run_in(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
    ) -> Result<Vec<Done>, StoreError> {
        let mut done = Vec::with_capacity(self.statements.len());
        for statement in &self.statements {
            let query = bind_all(
                sqlx::query(AssertSqlSafe(statement.sql.as_ref())),
                &statement.binds,
            );
            if statement.returning {
                let rows: Vec<AnyRow> = query.fetch_all(&mut **tx).await?;
                let mut returned = Vec::with_capacity(rows.len());
                for row in rows {
                    returned.push((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?));
                }
                done.push(Done {
                    changes: returned.len() as u64,
                    returned,
                    credit: statement.credit,
                });
            } else {
                let changes = query.execute(&mut **tx).await?.rows_affected();
                done.push(Done {
                    changes,
                    returned: Vec::new(),
                    credit: statement.credit,
                });
            }
        }
        Ok(done)
    }

    /// Runs each statement in turn on `conn`, inside the transaction its caller began.
    /// Statements are prepared once and kept by the connection.
    pub(crate) fn run_on(&self, conn: &rusqlite::Connection) -> Result<Vec<Done>, StoreError> {
        let mut done = Vec::with_capacity(self.statements.len());
        for statement in &self.statements {
            let mut prepared = conn.prepare_cached(&statement.sql)?;
            let params = rusqlite::params_from_iter(statement.binds.iter());
            if statement.returning {
                let mut rows = prepared.query(params)?;
                let mut returned = Vec::new();
                while let Some(row) = rows.next()? {
                    returned.push((row.get::<_, i64>(0)?, row.get::<_, String>(1)?));
                }
                done.push(Done {
                    changes: returned.len() as u64,
                    returned,
                    credit: statement.credit,
                });
            } else {
                let changes = prepared.execute(params)? as u64;
                done.push(Done {
                    changes,
                    returned: Vec::new(),
                    credit: statement.credit,
                });
            }
        }
        Ok(done)
    }
}
