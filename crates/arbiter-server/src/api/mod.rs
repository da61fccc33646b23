//! The JSON API.

mod access;
pub(crate) mod backtests;
pub(crate) mod cases;
pub(crate) mod decisions;
pub(crate) mod effects;
pub(crate) mod events;
mod lists;
pub(crate) mod policies;
pub(crate) mod rulesets;
mod service;

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events::post_events, events::list_events))
        .routes(routes!(events::get_event))
        .routes(routes!(access::create_token, access::list_tokens))
        .routes(routes!(access::revoke_token))
        .routes(routes!(access::list_token_sessions))
        .routes(routes!(access::create_user, access::list_users))
        .routes(routes!(access::disable_user))
        .routes(routes!(access::enable_user))
        .routes(routes!(access::reset_password))
        .routes(routes!(
            access::list_user_sessions,
            access::end_user_sessions
        ))
        .routes(routes!(access::list_sign_ins))
        .routes(routes!(decisions::post_decision, decisions::list_decisions))
        .routes(routes!(decisions::get_decision))
        .routes(routes!(rulesets::publish_ruleset, rulesets::list_rulesets))
        .routes(routes!(rulesets::check_ruleset))
        .routes(routes!(rulesets::get_ruleset))
        .routes(routes!(rulesets::restore_ruleset))
        .routes(routes!(backtests::run_backtest))
        .routes(routes!(lists::list_lists))
        .routes(routes!(lists::get_list, lists::put_list))
        .routes(routes!(lists::load_entries))
        .routes(routes!(lists::list_versions))
        .routes(routes!(effects::list_effects))
        .routes(routes!(effects::create_webhook, effects::list_webhooks))
        .routes(routes!(effects::disable_webhook))
        .routes(routes!(effects::list_deliveries))
        .routes(routes!(policies::list_policies))
        .routes(routes!(policies::search_policies))
        .routes(routes!(policies::list_policy_changes))
        .routes(routes!(policies::policy_bulletin))
        .routes(routes!(policies::policy_changes_atom))
        .routes(routes!(policies::reviews_due))
        .routes(routes!(policies::get_policy, policies::put_policy))
        .routes(routes!(policies::publish_policy))
        .routes(routes!(policies::retire_policy))
        .routes(routes!(policies::list_policy_versions))
        .routes(routes!(policies::diff_policy))
        .routes(routes!(cases::list_cases, cases::open_case))
        .routes(routes!(cases::pull_next))
        .routes(routes!(cases::bulk_action))
        .routes(routes!(cases::ledger_totals))
        .routes(routes!(cases::get_case, cases::update_case))
        .routes(routes!(cases::take_step))
        .routes(routes!(cases::decide_case))
        .routes(routes!(cases::record_ledger))
        .routes(routes!(cases::post_message))
        .routes(routes!(cases::post_evidence))
        .routes(routes!(cases::get_evidence))
        .routes(routes!(cases::list_queues))
        .routes(routes!(service::healthz))
        .routes(routes!(service::metrics))
        .routes(routes!(service::openapi_json))
}

/// Formats stored microseconds as RFC 3339.
/// Reads an RFC 3339 query parameter, naming it when it does not parse.
pub(crate) fn parse_time(name: &str, value: &str) -> Result<i64, crate::problem::Problem> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(arbiter_model::to_micros)
        .map_err(|_| {
            crate::problem::Problem::bad_request(format!(
                "{name}: {value:?} is not an RFC 3339 timestamp such as 2026-10-03T00:00:00Z"
            ))
        })
}

/// Reads a whole body of at most `limit` bytes; a longer one is a 413 problem.
pub(crate) async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<axum::body::Bytes, crate::problem::Problem> {
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let e = e.into_inner();
        if e.is::<http_body_util::LengthLimitError>() {
            crate::problem::Problem::too_large(format!("the body may be at most {limit} bytes"))
        } else {
            crate::problem::Problem::bad_request(format!("could not read the body: {e}"))
        }
    })
}
