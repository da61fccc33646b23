//! `/v1/effects` and `/v1/webhooks`: what fired rules asked for, and who is told.

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_model::Permission;
use arbiter_rules::ActionKind;
use arbiter_store::{DeliveryRecord, EffectFilter, EffectRecord, WebhookRecord};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Every action type, as `one of` lists them.
fn action_types() -> String {
    ActionKind::names().collect::<Vec<_>>().join(", ")
}

/// One action a fired rule asked for.
#[derive(Serialize, ToSchema)]
pub(crate) struct EffectView {
    /// `eff_…`
    id: String,
    /// The action: `{"type": "review", "queue": "claims"}`.
    #[schema(value_type = Object)]
    action: serde_json::Value,
    /// The rules that asked for it.
    rules: Vec<String>,
    ruleset_version: i64,
    event_id: String,
    /// The member the effect addresses: the one the rules that asked for it are about (the
    /// party whose history they read), else the event's actor, or its subject when the actor
    /// is staff or a system.
    user_id: Option<String>,
    created_at: String,
}

impl From<&EffectRecord> for EffectView {
    fn from(e: &EffectRecord) -> EffectView {
        EffectView {
            id: format!("eff_{}", e.id),
            action: serde_json::from_str(&e.detail).unwrap_or_default(),
            rules: e.rules.clone(),
            ruleset_version: e.ruleset_version,
            event_id: e.event_id.clone(),
            user_id: e.user_id.clone(),
            created_at: arbiter_model::format_micros(e.created_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EffectQuery {
    /// Effects on this user.
    user: Option<String>,
    /// Effects of this event.
    event: Option<String>,
    /// Action type: review, block, hold_payout, …
    action: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EffectList {
    effects: Vec<EffectView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn effect_id(text: &str) -> Option<i64> {
    text.strip_prefix("eff_")?.parse().ok()
}

/// Effects newest first, by user, event or action.
#[utoipa::path(get, path = "/v1/effects", tag = "decisions", security(("bearer" = [])),
    params(EffectQuery),
    responses((status = 200, body = EffectList), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn list_effects(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EffectQuery>,
) -> Result<Json<EffectList>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let action = given(query.action);
    if let Some(a) = &action
        && ActionKind::parse(a).is_none()
    {
        return Err(Problem::bad_request(format!(
            "action: {a:?} is not one of {}",
            action_types()
        )));
    }
    let before = given(query.cursor)
        .map(|c| {
            effect_id(&c).ok_or_else(|| {
                Problem::bad_request(format!("cursor: {c:?} is not a cursor this API returned"))
            })
        })
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit: {limit} is out of range; use 1 to 1000"
        )));
    }
    let filter = EffectFilter {
        user: given(query.user),
        event: given(query.event),
        action,
    };
    let records = state
        .store()
        .list_effects(&filter, before, limit + 1)
        .await?;
    let more = records.len() > limit as usize;
    let page = &records[..records.len().min(limit as usize)];
    Ok(Json(EffectList {
        effects: page.iter().map(Into::into).collect(),
        next_cursor: more.then(|| format!("eff_{}", page[page.len() - 1].id)),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookDraft {
    /// Where deliveries are POSTed: an `https://` URL (or `http://` on a network of your own),
    /// without credentials. Internal addresses (loopback, private, link-local, …) are refused
    /// unless the server's webhook allow-list names them.
    url: String,
    #[serde(default)]
    description: String,
    /// What to receive: `effects` (the actions of fired rules), `policy_changes` (every
    /// version the policy library stores), `case_messages` (messages to the parties of cases,
    /// for the marketplace to deliver), or several; absent for effects only.
    #[serde(default)]
    topics: Option<Vec<String>>,
    /// Effect action types to deliver; empty or absent for every action.
    #[serde(default)]
    actions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WebhookView {
    /// `whk_…`
    id: String,
    url: String,
    description: String,
    topics: Vec<String>,
    actions: Vec<String>,
    created_by: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_at: Option<String>,
    /// The signing secret: shown once, when the webhook is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookView {
    fn new(w: WebhookRecord, with_secret: bool) -> WebhookView {
        WebhookView {
            id: w.id,
            url: arbiter_app::webhooks::redact_url(&w.url),
            description: w.description,
            topics: w.topics,
            actions: w.actions,
            created_by: w.created_by,
            created_at: arbiter_model::format_micros(w.created_at),
            disabled_at: w.disabled_at.map(arbiter_model::format_micros),
            secret: with_secret.then_some(w.secret),
        }
    }
}

/// Subscribes an endpoint to effects, the policy change feed, or both. The answer holds the
/// signing secret, once.
#[utoipa::path(post, path = "/v1/webhooks", tag = "decisions", security(("bearer" = [])),
    request_body = WebhookDraft,
    responses((status = 201, body = WebhookView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "The address is internal, numeric or holds credentials", body = Problem)))]
pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(draft): ApiJson<WebhookDraft>,
) -> Result<(StatusCode, Json<WebhookView>), Problem> {
    caller.require(Permission::ManageAccess)?;
    let url = match arbiter_app::webhooks::check_url(&draft.url, state.webhook_allow()) {
        Ok(checked) => checked.url,
        Err(arbiter_app::webhooks::UrlProblem::Malformed(why)) => {
            return Err(Problem::bad_request(why));
        }
        Err(arbiter_app::webhooks::UrlProblem::Refused(why)) => {
            return Err(Problem::unprocessable(why, Vec::new()));
        }
    };
    for action in &draft.actions {
        if ActionKind::parse(action).is_none() {
            return Err(Problem::bad_request(format!(
                "actions: {action:?} is not one of {}",
                action_types()
            )));
        }
    }
    let topics = draft
        .topics
        .unwrap_or_else(|| vec![arbiter_store::TOPIC_EFFECTS.to_owned()]);
    if topics.is_empty() {
        return Err(Problem::bad_request(format!(
            "topics: name at least one of {}",
            arbiter_store::TOPICS.join(", ")
        )));
    }
    for topic in &topics {
        if !arbiter_store::TOPICS.contains(&topic.as_str()) {
            return Err(Problem::bad_request(format!(
                "topics: {topic:?} is not one of {}",
                arbiter_store::TOPICS.join(", ")
            )));
        }
    }
    let id = format!(
        "whk_{}",
        arbiter_app::access::random_hex(8).map_err(|e| Problem::internal(&e))?
    );
    let secret = format!(
        "whsec_{}",
        arbiter_app::access::random_hex(24).map_err(|e| Problem::internal(&e))?
    );
    let record = WebhookRecord {
        id,
        url,
        secret,
        topics,
        actions: draft.actions,
        description: draft.description.trim().to_owned(),
        created_by: caller.label.clone(),
        created_at: arbiter_app::now(),
        disabled_at: None,
    };
    state.store().create_webhook(&record).await?;
    tracing::info!(webhook = %record.id, url = %arbiter_app::webhooks::redact_url(&record.url), by = %caller.label, "webhook created");
    Ok((StatusCode::CREATED, Json(WebhookView::new(record, true))))
}

/// Every webhook, without secrets.
#[utoipa::path(get, path = "/v1/webhooks", tag = "decisions", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<WebhookView>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    Ok(Json(
        state
            .store()
            .webhooks()
            .await?
            .into_iter()
            .map(|w| WebhookView::new(w, false))
            .collect(),
    ))
}

/// Stops deliveries to a webhook; its pending deliveries are marked failed. The webhook stays
/// listed, with `disabled_at`, and its delivery log stays readable.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn disable_webhook(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    caller.require(Permission::ManageAccess)?;
    if state
        .store()
        .disable_webhook(&id, arbiter_app::now())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!("no active webhook {id:?}")))
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveryQuery {
    /// pending, delivered or failed.
    state: Option<String>,
    /// Page size, 1–1000 (default 100).
    limit: Option<u32>,
}

/// One delivery in the log.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryView {
    id: i64,
    /// pending, delivered or failed.
    state: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    last_status: Option<i64>,
    last_error: Option<String>,
    created_at: String,
    delivered_at: Option<String>,
    /// `effects` or `policy_changes`.
    topic: &'static str,
    /// The body the subscriber receives.
    payload: serde_json::Value,
}

impl From<DeliveryRecord> for DeliveryView {
    fn from(d: DeliveryRecord) -> DeliveryView {
        let payload = arbiter_app::webhooks::payload(&d);
        DeliveryView {
            id: d.id,
            next_attempt_at: (d.state == "pending")
                .then(|| arbiter_model::format_micros(d.next_attempt_at)),
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: arbiter_model::format_micros(d.created_at),
            delivered_at: d.delivered_at.map(arbiter_model::format_micros),
            topic: match d.subject {
                arbiter_store::DeliverySubject::Effect(_) => arbiter_store::TOPIC_EFFECTS,
                arbiter_store::DeliverySubject::PolicyChange(_) => {
                    arbiter_store::TOPIC_POLICY_CHANGES
                }
                arbiter_store::DeliverySubject::CaseMessage(_) => {
                    arbiter_store::TOPIC_CASE_MESSAGES
                }
            },
            payload,
        }
    }
}

/// A webhook's delivery log, newest first. A disabled webhook keeps its log.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "decisions", security(("bearer" = [])),
    params(("id" = String, Path), DeliveryQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<DeliveryView>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    // A disabled webhook keeps its log, for audit; an id that was never one has none.
    if !state.store().webhooks().await?.iter().any(|w| w.id == id) {
        return Err(Problem::not_found(format!("no webhook {id:?}")));
    }
    if let Some(s) = &query.state
        && !["pending", "delivered", "failed"].contains(&s.as_str())
    {
        return Err(Problem::bad_request(format!(
            "state: {s:?} is not pending, delivered or failed"
        )));
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit: {limit} is out of range; use 1 to 1000"
        )));
    }
    let deliveries = state
        .store()
        .deliveries(&id, query.state.as_deref(), limit)
        .await?;
    Ok(Json(deliveries.into_iter().map(Into::into).collect()))
}
