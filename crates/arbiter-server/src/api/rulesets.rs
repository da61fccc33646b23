//! `/v1/rulesets`: check, publish, list and roll back the rules the decider runs.

use crate::AppState;
use crate::extract::ApiJson;
use crate::problem::{Problem, ProblemItem};
use arbiter_app::access::Caller;
use arbiter_app::rulesets::{MAX_SOURCE_BYTES, PublishError};
use arbiter_model::Permission;
use arbiter_rules::{Diagnostic, Ruleset, Severity};
use arbiter_store::RulesetRecord;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesetDraft {
    /// The rule text.
    source: String,
    /// Why this version: shown in the history.
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreRequest {
    #[serde(default)]
    note: String,
}

/// What a ruleset holds, rule by rule.
#[derive(Serialize, ToSchema)]
pub(crate) struct RuleSummary {
    id: String,
    name: String,
    /// Event types the rule reads.
    on: Vec<String>,
    /// `active` or `shadow`.
    mode: String,
    enforces: Option<String>,
    score: f64,
    /// The actions, as written: `review("claims")`.
    actions: Vec<String>,
}

/// A published version.
#[derive(Serialize, ToSchema)]
pub(crate) struct RulesetView {
    version: i64,
    note: String,
    published_by: String,
    published_at: String,
    /// For a rollback: the version whose text this one repeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    restores: Option<i64>,
    /// Whether this is the version in force.
    current: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<RuleSummary>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    velocity_features: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lists: Option<Vec<String>>,
}

/// The outcome of checking a text.
#[derive(Serialize, ToSchema)]
pub(crate) struct CheckReport {
    ok: bool,
    rules: usize,
    examples: usize,
    examples_failed: usize,
    findings: Vec<ProblemItem>,
}

pub(crate) fn items(diagnostics: &[Diagnostic], source: &str) -> Vec<ProblemItem> {
    diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d.line_column(source);
            ProblemItem {
                severity: match d.severity {
                    Severity::Error => "error".into(),
                    Severity::Warning => "warning".into(),
                },
                line,
                column,
                message: d.message.clone(),
                hint: d.hint.clone(),
                rendered: d.render("ruleset", source),
            }
        })
        .collect()
}

fn summaries(ruleset: &Ruleset) -> Vec<RuleSummary> {
    ruleset
        .rules
        .iter()
        .map(|r| RuleSummary {
            id: r.id.clone(),
            name: r.name.clone(),
            on: r.on.patterns().to_vec(),
            mode: match r.mode {
                arbiter_rules::Mode::Active => "active".into(),
                arbiter_rules::Mode::Shadow => "shadow".into(),
            },
            enforces: r.enforces.clone(),
            score: r.score,
            actions: r.actions.iter().map(ToString::to_string).collect(),
        })
        .collect()
}

/// A version as shown; `full` adds its text and what it compiles to (compiled on the CPU pool).
pub(crate) async fn view(record: RulesetRecord, current: bool, full: bool) -> RulesetView {
    let compiled = if full {
        arbiter_app::cpu::compile(&record.source)
            .await
            .ok()
            .map(|(r, _)| r)
    } else {
        None
    };
    RulesetView {
        version: record.version,
        note: record.note,
        published_by: record.published_by,
        published_at: arbiter_model::format_micros(record.published_at),
        restores: record.restores,
        current,
        rules: compiled.as_deref().map(summaries),
        velocity_features: compiled
            .as_ref()
            .map(|r| r.feature_names().map(str::to_owned).collect()),
        lists: compiled.as_ref().map(|r| r.lists.iter().cloned().collect()),
        source: full.then_some(record.source),
    }
}

fn publish_problem(error: PublishError, source: &str) -> Problem {
    let detail = error.to_string();
    match error {
        PublishError::TooLarge => Problem::too_large(detail),
        PublishError::DoesNotCheck(diagnostics) => {
            Problem::unprocessable(detail, items(&diagnostics, source))
        }
        PublishError::ExamplesFailed(_)
        | PublishError::MissingLists(_)
        | PublishError::UnknownCitations(_) => Problem::unprocessable(detail, Vec::new()),
        PublishError::Store(e) => e.into(),
    }
}

/// Checks rule text without publishing it: every error and warning with line, column and
/// hint, and the outcome of its examples.
#[utoipa::path(post, path = "/v1/rulesets/check", tag = "rules", security(("bearer" = [])),
    request_body = RulesetDraft,
    responses((status = 200, body = CheckReport), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn check_ruleset(
    caller: Caller,
    ApiJson(draft): ApiJson<RulesetDraft>,
) -> Result<Json<CheckReport>, Problem> {
    caller.require(Permission::ReadEvents)?;
    if draft.source.len() > MAX_SOURCE_BYTES {
        return Err(Problem::too_large(format!(
            "rule text is limited to {MAX_SOURCE_BYTES} bytes"
        )));
    }
    Ok(Json(match arbiter_app::cpu::check(&draft.source).await {
        (Ok((ruleset, warnings)), outcomes) => CheckReport {
            ok: outcomes.iter().all(|o| o.passed()),
            rules: ruleset.rules.len(),
            examples: outcomes.len(),
            examples_failed: outcomes.iter().filter(|o| !o.passed()).count(),
            findings: items(&warnings, &draft.source),
        },
        (Err(diagnostics), _) => CheckReport {
            ok: false,
            rules: 0,
            examples: 0,
            examples_failed: 0,
            findings: items(&diagnostics, &draft.source),
        },
    }))
}

/// Publishes rule text as the next version; the decider uses it from the next event on.
/// Refused (422) when it does not check, an example fails, or a list it reads is missing.
#[utoipa::path(post, path = "/v1/rulesets", tag = "rules", security(("bearer" = [])),
    request_body = RulesetDraft,
    responses((status = 201, body = RulesetView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "The rules do not check", body = Problem)))]
pub(crate) async fn publish_ruleset(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(draft): ApiJson<RulesetDraft>,
) -> Result<(StatusCode, Json<RulesetView>), Problem> {
    caller.require(Permission::ManageRules)?;
    let record = arbiter_app::rulesets::publish_ruleset(
        state.store(),
        &draft.source,
        &draft.note,
        &caller.label,
        None,
    )
    .await
    .map_err(|e| publish_problem(e, &draft.source))?;
    state.decider().changed();
    tracing::info!(version = record.version, by = %caller.label, "ruleset published");
    Ok((StatusCode::CREATED, Json(view(record, true, true).await)))
}

/// Every published version, newest first (without their text).
#[utoipa::path(get, path = "/v1/rulesets", tag = "rules", security(("bearer" = [])),
    responses((status = 200, body = Vec<RulesetView>), (status = 401, body = Problem)))]
pub(crate) async fn list_rulesets(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<RulesetView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let records = state.store().rulesets().await?;
    let newest = records.first().map(|r| r.version);
    let mut views = Vec::with_capacity(records.len());
    for record in records {
        let current = Some(record.version) == newest;
        views.push(view(record, current, false).await);
    }
    Ok(Json(views))
}

/// One version with its text, its rules, features and lists.
#[utoipa::path(get, path = "/v1/rulesets/{version}", tag = "rules", security(("bearer" = [])),
    params(("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = RulesetView), (status = 404, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn get_ruleset(
    State(state): State<AppState>,
    caller: Caller,
    Path(version): Path<i64>,
) -> Result<Json<RulesetView>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let record = state
        .store()
        .ruleset(version)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no ruleset version {version}")))?;
    let newest = state.store().current_ruleset().await?.map(|r| r.version);
    Ok(Json(view(record, newest == Some(version), true).await))
}

/// Rolls back: publishes the text of an earlier version as the next version. The text is
/// checked again (a list it reads may have been removed since).
#[utoipa::path(post, path = "/v1/rulesets/{version}/restore", tag = "rules", security(("bearer" = [])),
    params(("version" = i64, Path, description = "The version to bring back")),
    request_body = RestoreRequest,
    responses((status = 201, body = RulesetView), (status = 404, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn restore_ruleset(
    State(state): State<AppState>,
    caller: Caller,
    Path(version): Path<i64>,
    ApiJson(request): ApiJson<RestoreRequest>,
) -> Result<(StatusCode, Json<RulesetView>), Problem> {
    caller.require(Permission::ManageRules)?;
    let old = state
        .store()
        .ruleset(version)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no ruleset version {version}")))?;
    let record = arbiter_app::rulesets::publish_ruleset(
        state.store(),
        &old.source,
        &request.note,
        &caller.label,
        Some(version),
    )
    .await
    .map_err(|e| publish_problem(e, &old.source))?;
    state.decider().changed();
    tracing::info!(version = record.version, restores = version, by = %caller.label, "ruleset rolled back");
    Ok((StatusCode::CREATED, Json(view(record, true, true).await)))
}
