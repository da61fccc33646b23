//! A fresh, empty database per test, on SQLite always and on PostgreSQL when
//! `ARBITER_TEST_DATABASE_URL` names a server. Each PostgreSQL test gets a schema of its own,
//! dropped when the test ends, so parallel tests and concurrent runs never collide.

use crate::{Backend, Store};
use sqlx::{Connection, Executor};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "ARBITER_TEST_DATABASE_URL";

/// A database that lives as long as this value.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Schema { server_url: String, schema: String },
}

impl TestDatabase {
    /// A fresh database on `backend`, or `None` for PostgreSQL when no server is configured.
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("arbiter.db").display());
                Some(TestDatabase {
                    url,
                    cleanup: Cleanup::Directory(dir),
                })
            }
            Backend::Postgres => {
                let server_url = std::env::var(POSTGRES_URL_VAR).ok()?;
                let schema = format!(
                    "arbiter_test_{}_{:016x}",
                    std::process::id(),
                    fastrand::u64(..)
                );
                let mut conn = sqlx::PgConnection::connect(&server_url)
                    .await
                    .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={server_url}: {e}"));
                conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .await
                    .expect("create test schema");
                let separator = if server_url.contains('?') { '&' } else { '?' };
                // Connections name themselves after the schema, so that the cleanup can end
                // any the test left behind.
                let url = format!(
                    "{server_url}{separator}options=-csearch_path%3D{schema}&application_name={schema}"
                );
                Some(TestDatabase {
                    url,
                    cleanup: Cleanup::Schema { server_url, schema },
                })
            }
        }
    }

    /// Opens (and migrates) the database.
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.expect("open test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Schema { server_url, schema } = &self.cleanup {
            // Drop runs outside any async context a test may still hold: use a thread of its own.
            let (server_url, schema) = (server_url.clone(), schema.clone());
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&server_url).await {
                            // The test's runtime is blocked in this drop: a transaction its
                            // tasks left open would hold its locks, and the DROP wait, forever.
                            let end = format!(
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                                 WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
                            );
                            let _ = conn.execute(sqlx::AssertSqlSafe(end)).await;
                            let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                            let _ = conn.execute(sqlx::AssertSqlSafe(drop)).await;
                        }
                    });
                }
            })
            .join();
        }
    }
}
