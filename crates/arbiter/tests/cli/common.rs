//! Running the `arbiter` binary for a test, and the macro that runs a test on both databases.

use arbiter_store::Backend;
use arbiter_store::testing::TestDatabase;
use std::process::{Command, Output};

/// Declares each named `async fn(TestDatabase)` twice: `sqlite::NAME`, which runs as usual, and
/// `postgres::NAME`, which is ignored unless asked for (`-- --ignored`) and then fails when
/// `ARBITER_TEST_DATABASE_URL` names no server. A module calls it once, with all its tests.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    $crate::common::run(::arbiter_store::Backend::Sqlite, super::$name).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"]
                async fn $name() {
                    $crate::common::run(::arbiter_store::Backend::Postgres, super::$name).await
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;

pub(crate) const ARBITER: &str = env!("CARGO_BIN_EXE_arbiter");

pub(crate) fn arbiter(args: &[&str]) -> Output {
    Command::new(ARBITER)
        .args(args)
        .env_remove("ARBITER_DB")
        .env_remove("ARBITER_CONFIG")
        .output()
        .expect("run arbiter")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn event(id: &str, market: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"task.posted","occurred_at":"2026-10-01T10:00:00Z","market":"{market}","actor":{{"id":"c_1","role":"client"}},"task_id":"t_{id}"}}"#
    )
}

pub(crate) async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match TestDatabase::new(backend).await {
        Some(db) => test(db).await,
        None => panic!(
            "{} is not set: the PostgreSQL tests need a server",
            arbiter_store::testing::POSTGRES_URL_VAR
        ),
    }
}
