//! Embedded schema migrations, one list per backend, applied in order at open.

use crate::{Backend, Store, StoreError};
use sqlx::{Acquire, Executor, Row};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "protect",
        sqlite: include_str!("../migrations/sqlite/0002_protect.sql"),
        postgres: include_str!("../migrations/postgres/0002_protect.sql"),
    },
    Migration {
        version: 3,
        name: "effects",
        sqlite: include_str!("../migrations/sqlite/0003_effects.sql"),
        postgres: include_str!("../migrations/postgres/0003_effects.sql"),
    },
    Migration {
        version: 4,
        name: "policy",
        sqlite: include_str!("../migrations/sqlite/0004_policy.sql"),
        postgres: include_str!("../migrations/postgres/0004_policy.sql"),
    },
    Migration {
        version: 5,
        name: "webhook topics",
        sqlite: include_str!("../migrations/sqlite/0005_webhook_topics.sql"),
        postgres: include_str!("../migrations/postgres/0005_webhook_topics.sql"),
    },
    Migration {
        version: 6,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0006_cases.sql"),
        postgres: include_str!("../migrations/postgres/0006_cases.sql"),
    },
    Migration {
        version: 7,
        name: "deliveries by effect",
        sqlite: include_str!("../migrations/sqlite/0007_deliveries_by_effect.sql"),
        postgres: include_str!("../migrations/postgres/0007_deliveries_by_effect.sql"),
    },
    Migration {
        version: 8,
        name: "identity",
        sqlite: include_str!("../migrations/sqlite/0008_identity.sql"),
        postgres: include_str!("../migrations/postgres/0008_identity.sql"),
    },
];

/// Applies pending migrations. Several instances may start at once against one PostgreSQL: an
/// advisory lock makes the others wait; SQLite's single writer does the same for a file.
pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    let mut writer = store.writer().await?;
    let conn = writer.conn();
    if store.backend == Backend::Postgres {
        // 280552950100 (0x4152424954) is "ARBIT": a fixed key so that every Arbiter instance contends for it.
        conn.execute("SELECT pg_advisory_lock(280552950100)")
            .await?;
    }
    let result = apply_pending(store.backend, conn).await;
    if store.backend == Backend::Postgres {
        conn.execute("SELECT pg_advisory_unlock(280552950100)")
            .await?;
    }
    result
}

async fn apply_pending(backend: Backend, conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS arbiter_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let applied: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM arbiter_migrations")
        .fetch_one(&mut *conn)
        .await?
        .try_get("v")?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if applied > known {
        return Err(StoreError::SchemaTooNew {
            found: applied,
            known,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let sql = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(failed)?;
        sqlx::query(
            "INSERT INTO arbiter_migrations (version, name, applied_at) VALUES ($1, $2, CURRENT_TIMESTAMP)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}
