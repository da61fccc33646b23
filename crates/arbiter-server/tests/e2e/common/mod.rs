//! The one helper that starts Arbiter for a test: a real server on a random port over a fresh
//! database (SQLite, or PostgreSQL when `ARBITER_TEST_DATABASE_URL` is set), and the macro that
//! runs a test on both.

pub mod webdriver;

use arbiter_model::Role;
use arbiter_store::testing::TestDatabase;
use arbiter_store::{Backend, Store, TokenKind};
use serde_json::Value;
use std::net::SocketAddr;

pub struct TestApp {
    pub address: SocketAddr,
    pub base: String,
    pub store: Store,
    pub admin_token: String,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: TestDatabase,
}

impl TestApp {
    /// Starts the server; `None` for PostgreSQL when no test server is configured.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(
            backend,
            arbiter_server::security::BrowserSettings::default(),
        )
        .await
    }

    /// Starts the server as browsers would reach it through `browser` (a public URL).
    pub async fn start_with(
        backend: Backend,
        browser: arbiter_server::security::BrowserSettings,
    ) -> Option<TestApp> {
        let db = TestDatabase::new(backend).await?;
        let store = db.open().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // Webhook retries paced for tests: the same code, a shorter clock.
        let app = arbiter_app::App::start(
            store.clone(),
            arbiter_app::Settings {
                webhooks: arbiter_app::webhooks::WebhookSettings {
                    timeout: std::time::Duration::from_millis(500),
                    first_retry: std::time::Duration::from_millis(50),
                    max_retry: std::time::Duration::from_millis(200),
                    max_attempts: 4,
                    // Test receivers listen on loopback, which only an allow-list opens.
                    allow: arbiter_app::webhooks::AllowList::parse(&["127.0.0.1"]).expect("allow"),
                },
                resolution: arbiter_resolve::Config::default_config(),
            },
        );
        let state = arbiter_server::AppState::new(app, browser);
        let server = tokio::spawn(arbiter_server::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let admin_token = Self::token_for(&store, Role::Admin).await;
        Some(TestApp {
            address,
            base: format!("http://{address}"),
            store,
            admin_token,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            stop: Some(stop),
            server: Some(server),
            _db: db,
        })
    }

    pub async fn token_for(store: &Store, role: Role) -> String {
        arbiter_app::access::issue_token(store, TokenKind::Api, role, "test", 1)
            .await
            .expect("token")
            .secret
    }

    /// Signs in to the console with the admin token; the session cookie, as a `Cookie` header.
    pub async fn console_session(&self) -> String {
        self.console_session_cookie()
            .await
            .split(';')
            .next()
            .expect("cookie value")
            .to_owned()
    }

    /// Signs in to the console with the admin token; the whole `Set-Cookie` header.
    pub async fn console_session_cookie(&self) -> String {
        let signed_in = self
            .client
            .post(self.url("/console/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}&next=%2Fconsole", self.admin_token))
            .send()
            .await
            .expect("sign-in");
        signed_in.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An authenticated request as admin.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.admin_token)
    }

    pub fn post_ndjson(&self, body: impl Into<String>) -> reqwest::RequestBuilder {
        self.post_events_as(&self.admin_token, "application/x-ndjson", body.into())
    }

    /// `POST /v1/events` with any token and content type.
    pub fn post_events_as(
        &self,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(self.url("/v1/events"))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
    }

    /// A JSON request as admin.
    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.admin_token)
            .json(body)
    }

    /// Signals shutdown and waits for the server to finish what it was doing.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server");
        }
    }
}

/// Checks that `response` is a problem document (RFC 9457) with `status`; its body.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:arbiter:problem:")
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    body
}

/// A valid event with the given id, type and minute of 2026-10-01.
pub fn event(id: &str, kind: &str, minute: u32, market: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"{kind}","occurred_at":"2026-10-01T10:{minute:02}:00Z","market":"{market}","actor":{{"id":"c_1","role":"client"}},"subject":{{"id":"k_1","role":"tasker"}},"task_id":"t_{id}","amount":{{"minor":4500,"currency":"EUR"}},"data":{{"category":"cleaning"}}}}"#
    )
}

/// Declares each named test twice: `sqlite::NAME`, which runs as usual, and `postgres::NAME`,
/// which is ignored unless asked for (`-- --ignored`) and then fails when
/// `ARBITER_TEST_DATABASE_URL` names no server.
///
/// `NAME` is an `async fn(&TestApp)`, given a server started for it and stopped after it;
/// `NAME(Backend)` is an `async fn(Backend)` that starts what it needs itself. The tests run
/// under `#[tokio::test]` unless the list starts with another such attribute, e.g.
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`. It declares the modules
/// `sqlite` and `postgres`, so a module calls it once, with all its tests.
macro_rules! on_both_backends {
    (@sqlite #[$test:meta] $name:ident) => {
        #[$test]
        async fn $name() {
            if let Some(app) =
                $crate::common::TestApp::start(::arbiter_store::Backend::Sqlite).await
            {
                super::$name(&app).await;
                app.stop().await;
            }
        }
    };
    (@sqlite #[$test:meta] $name:ident Backend) => {
        #[$test]
        async fn $name() {
            super::$name(::arbiter_store::Backend::Sqlite).await;
        }
    };
    (@postgres #[$test:meta] $name:ident) => {
        #[$test]
        #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"]
        async fn $name() {
            if let Some(app) =
                $crate::common::TestApp::start(::arbiter_store::Backend::Postgres).await
            {
                super::$name(&app).await;
                app.stop().await;
            } else {
                panic!("ARBITER_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server");
            }
        }
    };
    (@postgres #[$test:meta] $name:ident Backend) => {
        #[$test]
        #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"]
        async fn $name() {
            super::$name(::arbiter_store::Backend::Postgres).await;
        }
    };
    (#[$test:meta] $($name:ident $(($backend:ident))?),* $(,)?) => {
        mod sqlite {
            $($crate::common::on_both_backends!(@sqlite #[$test] $name $($backend)?);)*
        }
        mod postgres {
            $($crate::common::on_both_backends!(@postgres #[$test] $name $($backend)?);)*
        }
    };
    ($($name:ident $(($backend:ident))?),* $(,)?) => {
        $crate::common::on_both_backends!(#[tokio::test] $($name $(($backend))?),*);
    };
}
pub(crate) use on_both_backends;
