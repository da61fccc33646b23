//! Arbiter's HTTP service: the JSON API under `/v1`, the web console under `/console`, and the
//! service routes (`/healthz`, `/metrics`, `/openapi.json`).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let store = arbiter_store::Store::open("sqlite://arbiter.db").await?;
//! let app = arbiter_app::App::start(store, arbiter_app::Settings::default());
//! let state = arbiter_server::AppState::new(app, Default::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! arbiter_server::serve(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: HTTP only. Handlers parse the request, check the caller's role,
//! call the service layer (`arbiter-app`) or read the store, and shape the answer.

mod api;
mod auth;
mod console;
pub mod contract;
mod extract;
mod help;
mod metrics;
pub mod problem;
pub mod security;
pub mod views;

use arbiter_app::App;
use arbiter_store::Store;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// What every handler shares: the services and how browsers reach the server. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    app: App,
    browser: security::BrowserSettings,
}

impl AppState {
    /// The HTTP shell over running services `app`, reached by browsers as `browser` says.
    pub fn new(app: App, browser: security::BrowserSettings) -> AppState {
        AppState { app, browser }
    }

    /// The services.
    pub fn app(&self) -> &App {
        &self.app
    }

    pub fn store(&self) -> &Store {
        self.app.store()
    }

    pub fn decider(&self) -> &arbiter_app::decider::Decider {
        self.app.decider()
    }

    /// Recently checked API tokens and sessions.
    pub fn tokens(&self) -> &arbiter_app::access::TokenCache {
        self.app.tokens()
    }

    /// How browsers reach the server: the public URL, whether cookies are `Secure`.
    pub fn browser(&self) -> &security::BrowserSettings {
        &self.browser
    }

    /// The internal networks webhooks may be sent to.
    pub fn webhook_allow(&self) -> &arbiter_app::webhooks::AllowList {
        self.app.webhook_allow()
    }

    /// The resolution center's configuration: markets, queues, SLAs, automation, playbooks.
    pub fn resolution(&self) -> &arbiter_resolve::Config {
        self.app.resolution()
    }

    pub fn policy_search(&self) -> &arbiter_app::policies::SearchCache {
        self.app.policy_search()
    }

    pub fn help_documents(&self) -> &arbiter_app::policies::HelpCache {
        self.app.help_documents()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Arbiter API",
        description = "Trust & Safety for managed marketplaces. Every error is an RFC 9457 problem document (`application/problem+json`). Every `/v1` route needs `Authorization: Bearer TOKEN`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "events", description = "The marketplace event log: the event format is in docs/events.md"),
        (name = "decisions", description = "What the rules decided about each event"),
        (name = "cases", description = "The resolution center: cases, queues, decisions, the loss ledger, messages"),
        (name = "policies", description = "The policy library: documents, versions, diffs, citations"),
        (name = "help", description = "The public help center: published public documents, no sign-in"),
        (name = "rules", description = "Rulesets (versions, rollback) and the lists rules read"),
        (name = "access", description = "API tokens and staff accounts"),
        (name = "service", description = "Health, metrics and this document"),
        (name = "console", description = "The web console's pages (HTML)")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole application: every route, documented in the OpenAPI document it serves.
pub fn app(state: AppState) -> Router {
    let (router, _) = documented_routes().split_for_parts();
    router
        .fallback(problem::no_such_route)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(problem::plain_errors))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(problem::Problem::internal(
                &"a request handler panicked",
            ))
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            console::error_pages,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

/// The OpenAPI document, for tools that want it without a server: the routes' descriptions,
/// completed with what every operation shares (`contract`).
pub fn openapi() -> serde_json::Value {
    let mut document =
        serde_json::to_value(documented_routes().into_openapi()).expect("the document is JSON");
    contract::finish(&mut document);
    document
}

/// [`openapi`] as indented JSON.
pub fn openapi_json() -> String {
    serde_json::to_string_pretty(&openapi()).expect("the document is JSON")
}

/// Every route, each with its OpenAPI description: one list, so none can be left out.
fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(console::routes())
        .merge(help::routes())
}

/// What keeps idle, slow or numerous clients from holding the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most connections open at once. Past it a new connection is answered 503 and closed, so
    /// the server never runs out of file descriptors for its database and its own work.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, counted from the connection's opening
    /// and, on a connection kept alive, from the end of the previous answer: it is also how
    /// long an idle connection is kept.
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: default_max_connections(),
            header_timeout: Duration::from_secs(15),
        }
    }
}

/// Time a client has to send a request's body once its headers are in.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// A quarter of the process's file descriptor limit, at most 10,000: the rest stay free for
/// the database, the log, webhooks and files.
pub fn default_max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given.
    let known = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    let descriptors = if known && limit.rlim_cur != libc::RLIM_INFINITY {
        limit.rlim_cur as usize
    } else {
        40_000
    };
    (descriptors / 4).clamp(16, 10_000)
}

/// Serves until `shutdown` completes, then stops accepting and lets requests in flight finish
/// (up to 30 seconds) before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Limits::default(), shutdown).await
}

/// [`serve`] with the given connection limits.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let app = app(state);
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a connection reset before it was accepted: the
                    // listener itself is fine. Wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tokio::spawn(refuse(tcp, limits.max_connections));
            continue;
        };
        // Answers leave at once rather than waiting on Nagle's algorithm for the client's
        // acknowledgement of an earlier segment (up to 40 ms of delayed ACK on Linux).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        // Handlers may ask who is on the other end (`ConnectInfo`), for limits per address.
        let service = hyper_util::service::TowerToHyperService::new(tower::Layer::layer(
            &axum::Extension(axum::extract::ConnectInfo(peer)),
            app.clone(),
        ));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing requests in flight");
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after 30 s; stopping anyway");
    }
    Ok(())
}

/// Answers a connection past the cap with 503 and closes it.
async fn refuse(mut tcp: tokio::net::TcpStream, cap: usize) {
    use tokio::io::AsyncWriteExt;
    let body = format!(
        "{{\"type\":\"urn:arbiter:problem:busy\",\"title\":\"Busy\",\"status\":503,\"detail\":\"the server holds its maximum of {cap} connections; try again shortly\"}}"
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), tcp.write_all(answer.as_bytes())).await;
    ::metrics::counter!("arbiter_http_connections_refused_total").increment(1);
}
