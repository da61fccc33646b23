//! Protect in the console: the ruleset in force, decisions, the rule editor with checks and
//! rollback, lists, backtests, and the decisions and effects on a user.

use super::{AREAS, Area, SignedIn, Staff, percent_encode, render, when};
use crate::AppState;
use crate::api::decisions::DecisionQuery;
use crate::views::backtest::ReportView;
use crate::views::grouped;
use arbiter_app::access::Caller;
use arbiter_app::backtests::BacktestError;
use arbiter_app::rulesets::PublishError;
use arbiter_model::Permission;
use arbiter_store::{DecisionFilter, DecisionRecord, EffectRecord};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(protect_home))
        .routes(routes!(decisions_page))
        .routes(routes!(rules_page, rules_submit))
        .routes(routes!(ruleset_page))
        .routes(routes!(restore_submit))
        .routes(routes!(lists_page, lists_submit))
        .routes(routes!(list_page))
        .routes(routes!(backtest_page, backtest_submit))
}

fn problem(e: impl Into<crate::problem::Problem>) -> Response {
    e.into().into_response()
}

/// A decision as a row or a block on a page.
pub(crate) struct DecisionRow {
    pub event_id: String,
    pub event_type: String,
    pub occurred_at: String,
    pub user: String,
    pub verdict: String,
    pub score: f64,
    pub ruleset_version: i64,
    pub hits: Vec<HitRow>,
    pub actions: Vec<String>,
}

pub(crate) struct HitRow {
    pub rule_id: String,
    pub rule_name: String,
    pub mode: String,
    pub fired: bool,
    pub enforces: String,
    pub evidence: Vec<String>,
    pub error: String,
}

impl From<&DecisionRecord> for DecisionRow {
    fn from(d: &DecisionRecord) -> DecisionRow {
        let decision: Option<arbiter_rules::Decision> = serde_json::from_str(&d.body).ok();
        DecisionRow {
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            occurred_at: when(d.occurred_at),
            // The member the rules are about, not whoever sent the event (a Client reporting
            // a no-show, a card network reporting a chargeback).
            user: decision
                .as_ref()
                .and_then(|d| d.members().first().map(|m| (*m).to_owned()))
                .unwrap_or_else(|| d.actor_id.clone()),
            verdict: d.verdict.clone(),
            score: d.score,
            ruleset_version: d.ruleset_version,
            hits: decision
                .as_ref()
                .map(|d| {
                    d.hits
                        .iter()
                        .map(|h| HitRow {
                            rule_id: h.rule_id.clone(),
                            rule_name: h.rule_name.clone(),
                            mode: match h.mode {
                                arbiter_rules::Mode::Active => "active".into(),
                                arbiter_rules::Mode::Shadow => "shadow".into(),
                            },
                            fired: h.fired,
                            enforces: h.enforces.clone().unwrap_or_default(),
                            evidence: h
                                .evidence
                                .iter()
                                .map(|e| format!("{} = {}", e.expression, e.value))
                                .collect(),
                            error: h.error.clone().unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            actions: decision
                .map(|d| d.actions.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        }
    }
}

pub(crate) struct EffectRow {
    pub id: String,
    pub action: String,
    pub rules: String,
    pub event_id: String,
    pub user: String,
    pub created_at: String,
}

impl From<&EffectRecord> for EffectRow {
    fn from(e: &EffectRecord) -> EffectRow {
        let action = serde_json::from_str::<arbiter_rules::Action>(&e.detail)
            .map(|a| a.to_string())
            .unwrap_or_else(|_| e.action.clone());
        EffectRow {
            id: format!("eff_{}", e.id),
            action,
            rules: e.rules.join(", "),
            event_id: e.event_id.clone(),
            user: e.user_id.clone().unwrap_or_default(),
            created_at: when(e.created_at),
        }
    }
}

struct RuleRow {
    id: String,
    name: String,
    on: String,
    mode: String,
    enforces: String,
    score: f64,
    actions: String,
    hits: String,
}

#[derive(Template)]
#[template(path = "protect.html")]
struct ProtectPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    version: Option<i64>,
    published: String,
    rules: Vec<RuleRow>,
    features: Vec<String>,
    lists: Vec<String>,
    reviewed: String,
    blocked: String,
    recent: Vec<DecisionRow>,
}

/// Protect: the ruleset in force, its rules with their hits, and recent decisions.
#[utoipa::path(get, path = "/console/protect", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn protect_home(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    let store = state.store();
    let (current, counts) = match (
        store.current_ruleset().await,
        store.decision_counts(i64::MIN).await,
    ) {
        (Ok(c), Ok(n)) => (c, n),
        (Err(e), _) | (_, Err(e)) => return problem(e),
    };
    let mut per_rule: std::collections::HashMap<String, i64> = Default::default();
    let (mut reviewed, mut blocked) = (0, 0);
    for (verdict, fired, n) in &counts {
        match verdict.as_str() {
            "review" => reviewed += n,
            "block" => blocked += n,
            _ => {}
        }
        for rule in fired.split(',').filter(|r| !r.is_empty()) {
            *per_rule.entry(rule.to_owned()).or_default() += n;
        }
    }
    let compiled = match &current {
        Some(record) => state.decider().compiled(record).await,
        None => None,
    };
    let rules = compiled
        .as_ref()
        .map(|ruleset| {
            ruleset
                .rules
                .iter()
                .map(|r| RuleRow {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    on: r.on.to_string(),
                    mode: match r.mode {
                        arbiter_rules::Mode::Active => "active".into(),
                        arbiter_rules::Mode::Shadow => "shadow".into(),
                    },
                    enforces: r.enforces.clone().unwrap_or_default(),
                    score: r.score,
                    actions: r
                        .actions
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    hits: grouped(per_rule.get(&r.id).copied().unwrap_or(0)),
                })
                .collect()
        })
        .unwrap_or_default();
    let filter = DecisionFilter::default();
    let recent = match store
        .list_decisions(
            &DecisionFilter {
                verdict: Some("block".into()),
                ..filter.clone()
            },
            None,
            10,
        )
        .await
    {
        Ok(mut blocks) => match store
            .list_decisions(
                &DecisionFilter {
                    verdict: Some("review".into()),
                    ..filter
                },
                None,
                15,
            )
            .await
        {
            Ok(reviews) => {
                blocks.extend(reviews);
                blocks.sort_by_key(|d| std::cmp::Reverse(d.occurred_at));
                blocks
            }
            Err(e) => return problem(e),
        },
        Err(e) => return problem(e),
    };
    render(&ProtectPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "protect",
        areas: AREAS,
        version: current.as_ref().map(|r| r.version),
        published: current
            .as_ref()
            .map(|r| format!("{} by {}", when(r.published_at), r.published_by))
            .unwrap_or_default(),
        rules,
        features: compiled
            .as_ref()
            .map(|r| r.feature_names().map(str::to_owned).collect())
            .unwrap_or_default(),
        lists: compiled
            .as_ref()
            .map(|r| r.lists.iter().cloned().collect())
            .unwrap_or_default(),
        reviewed: grouped(reviewed),
        blocked: grouped(blocked),
        recent: recent.iter().map(DecisionRow::from).collect(),
    })
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    verdict_options: Vec<(&'static str, bool)>,
    filter_rule: String,
    filter_user: String,
    error: Option<String>,
    rows: Vec<DecisionRow>,
    next_page: Option<String>,
}

/// Decisions where a rule fired or failed, newest first, with filters.
#[utoipa::path(get, path = "/console/protect/decisions", tag = "console", params(DecisionQuery),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn decisions_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    query: Result<Query<DecisionQuery>, QueryRejection>,
) -> Response {
    let mut page = DecisionsPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "protect",
        areas: AREAS,
        verdict_options: Vec::new(),
        filter_rule: String::new(),
        filter_user: String::new(),
        error: None,
        rows: Vec::new(),
        next_page: None,
    };
    let mut query = match query {
        Ok(Query(q)) => q,
        Err(rejection) => {
            page.error = Some(rejection.body_text());
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
    };
    let verdict = query.verdict.clone().unwrap_or_default();
    page.verdict_options = ["allow", "review", "block"]
        .into_iter()
        .map(|v| (v, v == verdict))
        .collect();
    page.filter_rule = query.rule.clone().unwrap_or_default();
    page.filter_user = query.user.clone().unwrap_or_default();
    query.limit = Some(query.limit.unwrap_or(50));
    let listing = match query.listing() {
        Ok(l) => l,
        Err(p) => {
            page.error = Some(p.detail);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
    };
    let records = match state
        .store()
        .list_decisions(
            &listing.filter,
            listing.cursor.map(|c| (c.occurred_at, c.seq)),
            listing.limit + 1,
        )
        .await
    {
        Ok(r) => r,
        Err(e) => return problem(e),
    };
    let more = records.len() > listing.limit as usize;
    let shown = &records[..records.len().min(listing.limit as usize)];
    page.rows = shown.iter().map(DecisionRow::from).collect();
    if more && let Some(last) = shown.last() {
        let cursor = arbiter_store::Cursor {
            occurred_at: last.occurred_at,
            seq: last.event_seq,
        }
        .encode();
        let mut href = String::from("/console/protect/decisions?");
        for (name, value) in [
            ("verdict", &verdict),
            ("rule", &page.filter_rule),
            ("user", &page.filter_user),
        ] {
            if !value.is_empty() {
                href.push_str(&format!("{name}={}&", percent_encode(value)));
            }
        }
        href.push_str(&format!("cursor={}", percent_encode(&cursor)));
        page.next_page = Some(href);
    }
    render(&page)
}

struct VersionRow {
    version: i64,
    current: bool,
    published: String,
    by: String,
    note: String,
    restores: Option<i64>,
}

struct Finding {
    class: &'static str,
    text: String,
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    can_publish: bool,
    source: String,
    note: String,
    message: Option<String>,
    ok: Option<String>,
    findings: Vec<Finding>,
    versions: Vec<VersionRow>,
}

async fn rules_view(
    state: &AppState,
    caller: &Caller,
    source: Option<String>,
) -> Result<RulesPage, Response> {
    let versions = state.store().rulesets().await.map_err(problem)?;
    let source = source.unwrap_or_else(|| {
        versions
            .first()
            .map(|r| r.source.clone())
            .unwrap_or_else(|| arbiter_rules::STARTER_PACK.to_owned())
    });
    Ok(RulesPage {
        signed_in: Some(SignedIn::from(caller)),
        area: "protect",
        areas: AREAS,
        can_publish: caller.role.allows(Permission::ManageRules),
        source,
        note: String::new(),
        message: None,
        ok: None,
        findings: Vec::new(),
        versions: versions
            .iter()
            .enumerate()
            .map(|(n, r)| VersionRow {
                version: r.version,
                current: n == 0,
                published: when(r.published_at),
                by: r.published_by.clone(),
                note: r.note.clone(),
                restores: r.restores,
            })
            .collect(),
    })
}

/// The rule editor: the text in force, check and publish, and every version with rollback.
#[utoipa::path(get, path = "/console/protect/rules", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn rules_page(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    match rules_view(&state, &caller, None).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RulesForm {
    source: String,
    #[serde(default)]
    note: String,
    /// `check` or `publish`.
    intent: String,
}

fn findings(diagnostics: &[arbiter_rules::Diagnostic], source: &str) -> Vec<Finding> {
    diagnostics
        .iter()
        .map(|d| Finding {
            class: match d.severity {
                arbiter_rules::Severity::Error => "diagnostic",
                arbiter_rules::Severity::Warning => "diagnostic warning",
            },
            text: d.render("rules", source),
        })
        .collect()
}

/// Checks or publishes the text in the editor.
#[utoipa::path(post, path = "/console/protect/rules", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 422, description = "HTML", content_type = "text/html")))]
async fn rules_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    form: Result<Form<RulesForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, "the form was not complete").into_response();
    };
    let mut page = match rules_view(&state, &caller, Some(form.source.clone())).await {
        Ok(page) => page,
        Err(r) => return r,
    };
    page.note = form.note.clone();
    if form.intent == "publish" {
        if let Err(p) = caller.require(Permission::ManageRules) {
            page.message = Some(p.0);
            return (StatusCode::FORBIDDEN, render(&page)).into_response();
        }
        match arbiter_app::rulesets::publish_ruleset(
            state.store(),
            &form.source,
            &form.note,
            &caller.label,
            None,
        )
        .await
        {
            Ok(record) => {
                state.decider().changed();
                return Redirect::to(&format!(
                    "/console/protect/rules/{}?published=1",
                    record.version
                ))
                .into_response();
            }
            Err(PublishError::DoesNotCheck(diagnostics)) => {
                page.message = Some("Not published: the rules do not check.".into());
                page.findings = findings(&diagnostics, &form.source);
            }
            Err(PublishError::Store(e)) => return problem(e),
            Err(other) => page.message = Some(format!("Not published: {other}.")),
        }
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    match arbiter_app::cpu::check(&form.source).await {
        (Ok((ruleset, warnings)), outcomes) => {
            let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
            page.findings = findings(&warnings, &form.source);
            for o in &failed {
                page.findings.push(Finding {
                    class: "diagnostic",
                    text: format!(
                        "example “{}” (line {}) failed:\n{}",
                        o.name,
                        o.line,
                        o.failures.join("\n")
                    ),
                });
            }
            if failed.is_empty() {
                page.ok = Some(format!(
                    "The rules check: {} rules, {} examples pass.",
                    ruleset.rules.len(),
                    outcomes.len()
                ));
            } else {
                page.message = Some(format!(
                    "{} of {} examples fail.",
                    failed.len(),
                    outcomes.len()
                ));
            }
        }
        (Err(diagnostics), _) => {
            let n = diagnostics
                .iter()
                .filter(|d| d.severity == arbiter_rules::Severity::Error)
                .count();
            page.message = Some(format!(
                "The rules do not check: {n} error{}.",
                if n == 1 { "" } else { "s" }
            ));
            page.findings = findings(&diagnostics, &form.source);
        }
    }
    render(&page)
}

#[derive(Template)]
#[template(path = "ruleset.html")]
struct RulesetPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    version: i64,
    current: bool,
    published: String,
    by: String,
    note: String,
    just_published: bool,
    can_publish: bool,
    source: String,
}

#[derive(Deserialize)]
struct PublishedQuery {
    published: Option<String>,
}

/// One published version's text.
#[utoipa::path(get, path = "/console/protect/rules/{version}", tag = "console",
    params(("version" = i64, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "Not found")))]
async fn ruleset_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(version): Path<i64>,
    Query(q): Query<PublishedQuery>,
) -> Response {
    let (record, newest) = match (
        state.store().ruleset(version).await,
        state.store().current_ruleset().await,
    ) {
        (Ok(Some(r)), Ok(n)) => (r, n.map(|n| n.version)),
        (Ok(None), _) => {
            return crate::problem::Problem::not_found(format!("no ruleset version {version}"))
                .into_response();
        }
        (Err(e), _) | (_, Err(e)) => return problem(e),
    };
    render(&RulesetPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "protect",
        areas: AREAS,
        version,
        current: newest == Some(version),
        published: when(record.published_at),
        by: record.published_by,
        note: record.note,
        just_published: q.published.is_some(),
        can_publish: caller.role.allows(Permission::ManageRules),
        source: record.source,
    })
}

/// Rolls back to a version (publishes its text again as the next version).
#[utoipa::path(post, path = "/console/protect/rules/{version}/restore", tag = "console",
    params(("version" = i64, Path)),
    responses((status = 303, description = "To the new version"), (status = 403, description = "Not allowed")))]
async fn restore_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(version): Path<i64>,
) -> Response {
    if let Err(p) = caller.require(Permission::ManageRules) {
        return problem(p);
    }
    let old = match state.store().ruleset(version).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return crate::problem::Problem::not_found(format!("no ruleset version {version}"))
                .into_response();
        }
        Err(e) => return problem(e),
    };
    match arbiter_app::rulesets::publish_ruleset(
        state.store(),
        &old.source,
        "",
        &caller.label,
        Some(version),
    )
    .await
    {
        Ok(record) => {
            state.decider().changed();
            Redirect::to(&format!(
                "/console/protect/rules/{}?published=1",
                record.version
            ))
            .into_response()
        }
        Err(PublishError::Store(e)) => problem(e),
        Err(other) => {
            crate::problem::Problem::unprocessable(other.to_string(), Vec::new()).into_response()
        }
    }
}

struct ListRow {
    name: String,
    version: i64,
    count: String,
    changed: String,
    by: String,
    description: String,
}

#[derive(Template)]
#[template(path = "lists.html")]
struct ListsPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    can_edit: bool,
    lists: Vec<ListRow>,
    message: Option<String>,
    form_name: String,
    form_entries: String,
}

async fn lists_view(state: &AppState, caller: &Caller) -> Result<ListsPage, Response> {
    let lists = state.store().lists().await.map_err(problem)?;
    Ok(ListsPage {
        signed_in: Some(SignedIn::from(caller)),
        area: "protect",
        areas: AREAS,
        can_edit: caller.role.allows(Permission::ManageRules),
        lists: lists
            .into_iter()
            .map(|l| ListRow {
                name: l.name,
                version: l.version,
                count: grouped(l.entry_count),
                changed: when(l.changed_at),
                by: l.changed_by,
                description: l.description,
            })
            .collect(),
        message: None,
        form_name: String::new(),
        form_entries: String::new(),
    })
}

/// The lists rules read, and a form to create or extend one.
#[utoipa::path(get, path = "/console/protect/lists", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn lists_page(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    match lists_view(&state, &caller).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListForm {
    name: String,
    entries: String,
    #[serde(default)]
    description: String,
    /// `append` or `replace`.
    mode: String,
    #[serde(default)]
    note: String,
}

/// Creates a list or changes its entries (one a line).
#[utoipa::path(post, path = "/console/protect/lists", tag = "console",
    responses((status = 303, description = "To the list"), (status = 400, description = "HTML", content_type = "text/html")))]
async fn lists_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    form: Result<Form<ListForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, "the form was not complete").into_response();
    };
    let mut page = match lists_view(&state, &caller).await {
        Ok(page) => page,
        Err(r) => return r,
    };
    page.form_name = form.name.clone();
    page.form_entries = form.entries.clone();
    let fail = |mut page: ListsPage, status: StatusCode, message: String| {
        page.message = Some(message);
        (status, render(&page)).into_response()
    };
    if let Err(p) = caller.require(Permission::ManageRules) {
        return fail(page, StatusCode::FORBIDDEN, p.0);
    }
    let name = form.name.trim();
    if !arbiter_rules::valid_list_name(name) {
        return fail(
            page,
            StatusCode::BAD_REQUEST,
            format!(
                "“{name}” is not a list name: use lowercase letters, digits and _, at most 64."
            ),
        );
    }
    let current = match state.store().list(name).await {
        Ok(c) => c,
        Err(e) => return problem(e),
    };
    let mut entries = match (&current, form.mode.as_str()) {
        (Some(list), "append") => list.entries.clone(),
        _ => Vec::new(),
    };
    entries.extend(form.entries.lines().map(str::to_owned));
    let entries = match arbiter_app::lists::clean_list_entries(entries) {
        Ok(e) => e,
        Err(e) => return fail(page, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let description = if form.description.trim().is_empty() {
        current.map(|l| l.description).unwrap_or_default()
    } else {
        form.description.trim().to_owned()
    };
    let note = if form.note.trim().is_empty() {
        format!(
            "{} in the console",
            if form.mode == "replace" {
                "replaced"
            } else {
                "added"
            }
        )
    } else {
        form.note.trim().to_owned()
    };
    if let Err(e) = state
        .store()
        .put_list(
            name,
            &description,
            &entries,
            &caller.label,
            arbiter_app::now(),
            &note,
        )
        .await
    {
        return problem(e);
    }
    state.decider().changed();
    Redirect::to(&format!("/console/protect/lists/{}", percent_encode(name))).into_response()
}

struct ListVersionRow {
    version: i64,
    count: String,
    changed: String,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    name: String,
    description: String,
    entries: Vec<String>,
    history: Vec<ListVersionRow>,
}

/// One list: its entries and every version.
#[utoipa::path(get, path = "/console/protect/lists/{name}", tag = "console",
    params(("name" = String, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "Not found")))]
async fn list_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(name): Path<String>,
) -> Response {
    let (list, history) = match (
        state.store().list(&name).await,
        state.store().list_history(&name).await,
    ) {
        (Ok(Some(l)), Ok(h)) => (l, h),
        (Ok(None), _) => {
            return crate::problem::Problem::not_found(format!("no list {name:?}")).into_response();
        }
        (Err(e), _) | (_, Err(e)) => return problem(e),
    };
    render(&ListPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "protect",
        areas: AREAS,
        name: list.name,
        description: list.description,
        entries: list.entries,
        history: history
            .into_iter()
            .map(|v| ListVersionRow {
                version: v.version,
                count: grouped(v.entry_count),
                changed: when(v.changed_at),
                by: v.changed_by,
                note: v.note,
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "backtest.html")]
struct BacktestPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    source: String,
    from: String,
    to: String,
    message: Option<String>,
    findings: Vec<Finding>,
    report: Option<ReportView>,
    elapsed: String,
}

async fn backtest_view(state: &AppState, caller: &Caller) -> Result<BacktestPage, Response> {
    let current = state.store().current_ruleset().await.map_err(problem)?;
    let (_, _, last) = state.store().events_in_range(0, 0).await.map_err(problem)?;
    let day = |us: i64| when(us)[..10].to_owned();
    let last = last.unwrap_or_else(arbiter_app::now);
    Ok(BacktestPage {
        signed_in: Some(SignedIn::from(caller)),
        area: "decide",
        areas: AREAS,
        source: current
            .map(|r| r.source)
            .unwrap_or_else(|| arbiter_rules::STARTER_PACK.to_owned()),
        from: day(last - 30 * 86_400_000_000),
        to: day(last),
        message: None,
        findings: Vec::new(),
        report: None,
        elapsed: String::new(),
    })
}

/// The backtest form: a candidate text (the rules in force to start from) and a range.
#[utoipa::path(get, path = "/console/protect/backtest", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn backtest_page(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    match backtest_view(&state, &caller).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BacktestForm {
    source: String,
    from: String,
    to: String,
}

/// Runs a backtest and shows the report with its charts.
#[utoipa::path(post, path = "/console/protect/backtest", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 422, description = "HTML", content_type = "text/html")))]
async fn backtest_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    form: Result<Form<BacktestForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, "the form was not complete").into_response();
    };
    let mut page = match backtest_view(&state, &caller).await {
        Ok(page) => page,
        Err(r) => return r,
    };
    page.source = form.source.clone();
    page.from = form.from.clone();
    page.to = form.to.clone();
    let date = |text: &str| {
        time::Date::parse(
            text.trim(),
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map(|d| arbiter_model::to_micros(d.midnight().assume_utc()))
        .map_err(|_| format!("“{text}” is not a date such as 2026-10-01"))
    };
    let (from, to) = match (date(&form.from), date(&form.to)) {
        (Ok(f), Ok(t)) => (f, t + 86_400_000_000),
        (Err(m), _) | (_, Err(m)) => {
            page.message = Some(m);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
    };
    let had_baseline = matches!(state.store().current_ruleset().await, Ok(Some(_)));
    let started = std::time::Instant::now();
    match arbiter_app::backtests::run(state.store(), &form.source, from, to, |_, _| {}).await {
        Ok(report) => {
            page.elapsed = format!("{:.1} s", started.elapsed().as_secs_f64());
            page.report = Some(ReportView::new(&report, had_baseline));
            render(&page)
        }
        Err(BacktestError::DoesNotCheck(diagnostics)) => {
            page.message = Some("The candidate does not check.".into());
            page.findings = findings(&diagnostics, &form.source);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(BacktestError::EmptyRange(message)) => {
            page.message = Some(message);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(busy @ BacktestError::Busy) => {
            page.message = Some(format!("Not run: {busy}."));
            (StatusCode::SERVICE_UNAVAILABLE, render(&page)).into_response()
        }
        Err(BacktestError::Store(e)) => problem(e),
    }
}
