//! `/v1/backtests`: replay history through candidate rules beside the ruleset in force.

use crate::AppState;
use crate::extract::ApiJson;
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_app::backtests::BacktestError;
use arbiter_model::Permission;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BacktestRequest {
    /// The candidate rule text.
    source: String,
    /// Start of the range (RFC 3339), inclusive.
    from: String,
    /// End of the range (RFC 3339), exclusive.
    to: String,
}

/// The comparison (documentation of `arbiter_rules::backtest::BacktestReport`).
#[derive(ToSchema)]
#[schema(as = BacktestReport)]
#[allow(dead_code)]
pub(crate) struct BacktestReportSchema {
    from: String,
    to: String,
    /// Events replayed in the range.
    events: u64,
    /// Events whose verdict differs between the candidate and the ruleset in force.
    decisions_changed: u64,
    /// `{"allow→review": 12}`
    #[schema(value_type = Object)]
    transitions: serde_json::Value,
    users_affected: u64,
    /// Per currency, minor units.
    #[schema(value_type = Object)]
    money_at_stake: serde_json::Value,
    /// Per rule and side (`candidate`, `baseline`): hits, users, money at stake, errors, and
    /// precision and recall estimated from later outcomes.
    #[schema(value_type = Vec<Object>)]
    rules: Vec<serde_json::Value>,
    /// Per day (UTC), for each side: active rule hits (`candidate`, `baseline`), and events
    /// sent to review or blocked (`candidate_reviews`, `candidate_blocks`, `baseline_reviews`,
    /// `baseline_blocks`).
    #[schema(value_type = Vec<Object>)]
    days: Vec<serde_json::Value>,
    bad_outcomes: u64,
    outcome_source: String,
}

pub(crate) fn backtest_problem(error: BacktestError, source: &str) -> Problem {
    let detail = error.to_string();
    match error {
        BacktestError::DoesNotCheck(diagnostics) => {
            Problem::unprocessable(detail, crate::api::rulesets::items(&diagnostics, source))
        }
        BacktestError::EmptyRange(_) => Problem::unprocessable(detail, Vec::new()),
        BacktestError::Busy => Problem::busy(detail, 10),
        BacktestError::Store(e) => e.into(),
    }
}

/// Replays `[from, to)` through the candidate beside the ruleset in force and answers with
/// the comparison. Runs while the request waits: about a million events in ten seconds.
#[utoipa::path(post, path = "/v1/backtests", tag = "rules", security(("bearer" = [])),
    request_body = BacktestRequest,
    responses((status = 200, body = BacktestReportSchema), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "The rules do not check, or no events in the range", body = Problem),
        (status = 503, description = "As many backtests as the server runs at once are running; `Retry-After` says when to try again", body = Problem)))]
pub(crate) async fn run_backtest(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<BacktestRequest>,
) -> Result<Json<arbiter_rules::backtest::BacktestReport>, Problem> {
    caller.require(Permission::ReadEvents)?;
    if request.source.len() > arbiter_app::rulesets::MAX_SOURCE_BYTES {
        return Err(Problem::too_large("rule text is limited to 1 MiB"));
    }
    let from = crate::api::parse_time("from", &request.from)?;
    let to = crate::api::parse_time("to", &request.to)?;
    let report = arbiter_app::backtests::run(state.store(), &request.source, from, to, |_, _| {})
        .await
        .map_err(|e| backtest_problem(e, &request.source))?;
    Ok(Json(report))
}
