//! Service routes: health, metrics, the API's own description. No authentication.

use crate::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use std::sync::OnceLock;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok` when the database answers and the ruleset in force loads; `degraded` when the
    /// decider had to skip a stored ruleset that does not load (see `ruleset_refused`).
    #[schema(pattern = "^(ok|degraded)$")]
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    version: &'static str,
    /// The newest stored ruleset, when it does not load and an earlier one decides instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    ruleset_refused: Option<RulesetRefused>,
}

/// A stored ruleset version that does not load: the decider keeps deciding with the newest
/// version that loads.
#[derive(Serialize, ToSchema)]
pub(crate) struct RulesetRefused {
    /// The version that does not load.
    version: i64,
    /// Why, as the rule checker put it.
    reason: String,
    /// The version in force instead; absent when none loads.
    in_force: Option<i64>,
}

/// Liveness and readiness: answers 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, Problem> {
    if let Some(why) = state.store().disk_full() {
        tracing::error!(%why, "health check: writes fail, the database's disk is full");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Unavailable",
            "the database's disk is full: writes fail until space is freed",
        ));
    }
    match state.store().ping().await {
        Ok(()) => {
            let ruleset_refused = state.decider().refused().map(|r| RulesetRefused {
                version: r.version,
                reason: r.reason,
                in_force: r.in_force,
            });
            Ok(Json(Health {
                status: if ruleset_refused.is_some() {
                    "degraded"
                } else {
                    "ok"
                },
                database: state.store().backend().as_str(),
                version: env!("CARGO_PKG_VERSION"),
                ruleset_refused,
            }))
        }
        Err(error) => {
            tracing::error!(%error, "health check: database did not answer");
            Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Unavailable",
                "the database does not answer",
            ))
        }
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub(crate) async fn metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::handle().render(),
    )
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let document = DOCUMENT.get_or_init(crate::openapi_json);
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.as_str(),
    )
}
