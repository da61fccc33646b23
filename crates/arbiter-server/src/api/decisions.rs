//! `/v1/decisions`: decide one event synchronously, and read the decisions the decider stored.

use std::time::Duration;

use crate::AppState;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_model::{Event, Permission};
use arbiter_rules::Decision;
use arbiter_store::{Cursor, DecisionFilter, DecisionRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest event `POST /v1/decisions` accepts.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;
/// How long a synchronous decision may wait for the decider.
const DECISION_TIMEOUT: Duration = Duration::from_secs(10);

/// A rule that fired, or failed, on the event.
#[derive(ToSchema)]
#[schema(as = RuleHit)]
#[allow(dead_code)]
pub(crate) struct RuleHitSchema {
    rule_id: String,
    rule_name: String,
    /// `active` or `shadow`: shadow rules are recorded without effect.
    mode: String,
    /// False when the rule could not be evaluated; `error` says why.
    fired: bool,
    score: f64,
    #[schema(value_type = Vec<Object>)]
    actions: Vec<serde_json::Value>,
    /// The policy clause the rule enforces.
    enforces: Option<String>,
    /// The values that made the rule fire: `[{"expression": "claims_90d", "value": "3"}]`.
    #[schema(value_type = Vec<Object>)]
    evidence: Vec<serde_json::Value>,
    error: Option<String>,
    /// The member the rule is about, whom its actions address: the party whose history it
    /// read, else the event's actor (its subject when the actor is staff or a system). Absent
    /// on rules that did not fire.
    member: Option<String>,
}

/// What the ruleset decided about one event.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecisionView {
    event_id: String,
    event_type: String,
    occurred_at: String,
    /// The ruleset version that decided; absent when none was published.
    ruleset_version: Option<i64>,
    /// `allow`, `review` or `block`.
    verdict: String,
    /// Sum of the scores of the active rules that fired.
    score: f64,
    /// The actions of the active rules that fired, each once:
    /// `{"type": "review", "queue": "claims"}`, `{"type": "hold_payout"}`, …
    #[schema(value_type = Vec<Object>)]
    actions: Vec<arbiter_rules::Action>,
    /// Every rule that fired or failed, shadow rules included.
    #[schema(value_type = Vec<RuleHitSchema>)]
    hits: Vec<arbiter_rules::RuleHit>,
    /// True when the event had been received before: its stored decision is returned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

impl DecisionView {
    pub(crate) fn from_record(record: &DecisionRecord) -> Result<DecisionView, Problem> {
        let decision: Decision =
            serde_json::from_str(&record.body).map_err(|e| Problem::internal(&e))?;
        Ok(DecisionView {
            event_id: record.event_id.clone(),
            event_type: record.event_type.clone(),
            occurred_at: arbiter_model::format_micros(record.occurred_at),
            ruleset_version: Some(record.ruleset_version),
            verdict: record.verdict.clone(),
            score: record.score,
            actions: decision.actions,
            hits: decision.hits,
            duplicate: false,
        })
    }

    /// An event on which no rule fired.
    fn quiet(event: &Event, ruleset_version: Option<i64>) -> DecisionView {
        DecisionView {
            event_id: event.id.as_str().to_owned(),
            event_type: event.event_type.as_str().to_owned(),
            occurred_at: arbiter_model::format_rfc3339(event.occurred_at),
            ruleset_version,
            verdict: "allow".into(),
            score: 0.0,
            actions: Vec::new(),
            hits: Vec::new(),
            duplicate: false,
        }
    }
}

/// Stores one event and answers with its decision once the decider has made it.
///
/// The body is one event (SPEC.md §1) as `application/json`. The event joins the log exactly
/// as through `POST /v1/events`; the answer comes once the event is committed and decided (the
/// decision and its effects are committed with the decider's next write, and made again from
/// the log after a crash). Sending an id again returns the decision already made, marked
/// `duplicate`.
#[utoipa::path(post, path = "/v1/decisions", tag = "decisions", security(("bearer" = [])),
    request_body(content = Object, description = "One event", content_type = "application/json"),
    responses((status = 200, body = DecisionView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 503, description = "The decider did not answer in time; the event is stored", body = Problem)))]
pub(crate) async fn post_decision(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Body,
) -> Result<Json<DecisionView>, Problem> {
    caller.require(Permission::WriteEvents)?;
    let body = crate::api::read_body(body, MAX_EVENT_BYTES).await?;
    let text = std::str::from_utf8(&body).map_err(|e| {
        Problem::bad_request(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    let event = Event::parse(text).map_err(|refused| {
        let field = if refused.error.field.is_empty() {
            String::new()
        } else {
            format!("{}: ", refused.error.field)
        };
        let detail = format!("{field}{}", refused.error.message);
        if refused.error.is_out_of_range() {
            // A well-formed timestamp outside the years events may have.
            Problem::unprocessable(detail, Vec::new())
        } else {
            Problem::bad_request(detail)
        }
    })?;
    let id = event.id.as_str().to_owned();
    let accepted = state
        .store()
        .append_events(vec![event.clone()], arbiter_app::now())
        .await?;
    let pending = || {
        Problem::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "decision-pending",
            "Decision pending",
            format!(
                "the event {id} is stored but its decision took longer than {} s; read it later at /v1/decisions/{id}",
                DECISION_TIMEOUT.as_secs()
            ),
        )
    };
    let mut view = if accepted == 1 {
        // New: answered as soon as the decider has made the decision.
        match state
            .decider()
            .wait_for_decision(&id, DECISION_TIMEOUT)
            .await
        {
            Some((_, Some(record))) => DecisionView::from_record(&record)?,
            Some((version, None)) => DecisionView::quiet(&event, Some(version).filter(|v| *v > 0)),
            None => return Err(pending()),
        }
    } else {
        // Sent before: the decision already made, from the store.
        let seq = state
            .store()
            .event_seq(&id)
            .await?
            .ok_or_else(|| Problem::internal(&"an appended event is not in the log"))?;
        if !state.decider().wait_for(seq, DECISION_TIMEOUT).await {
            return Err(pending());
        }
        match state.store().decision(&id).await? {
            Some(record) => DecisionView::from_record(&record)?,
            None => DecisionView::quiet(
                &event,
                state
                    .store()
                    .decider_progress()
                    .await?
                    .map(|p| p.1)
                    .filter(|v| *v > 0),
            ),
        }
    };
    view.duplicate = accepted == 0;
    Ok(Json(view))
}

/// The decision on one event: where a rule fired or failed, as stored; otherwise `allow`.
#[utoipa::path(get, path = "/v1/decisions/{event_id}", tag = "decisions", security(("bearer" = [])),
    params(("event_id" = String, Path)),
    responses((status = 200, body = DecisionView), (status = 404, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn get_decision(
    State(state): State<AppState>,
    caller: Caller,
    Path(event_id): Path<String>,
) -> Result<Json<DecisionView>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let stored = state
        .store()
        .event(&event_id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no event {event_id:?}")))?;
    if !state.decider().committed(stored.seq).await {
        return Err(Problem::not_found(format!(
            "event {event_id:?} is not decided yet"
        )));
    }
    if let Some(record) = state.store().decision(&event_id).await? {
        return Ok(Json(DecisionView::from_record(&record)?));
    }
    let event = Event::parse(&stored.body).map_err(|e| Problem::internal(&e.error.message))?;
    let version = state
        .store()
        .decider_progress()
        .await?
        .map(|p| p.1)
        .filter(|v| *v > 0);
    Ok(Json(DecisionView::quiet(&event, version)))
}

/// Filters for listing decisions. Times are RFC 3339; `from` inclusive, `to` exclusive.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DecisionQuery {
    /// `allow`, `review` or `block`.
    pub(crate) verdict: Option<String>,
    /// A rule id: decisions where it fired.
    pub(crate) rule: Option<String>,
    /// A user id: decisions on events where the user is actor or subject.
    pub(crate) user: Option<String>,
    /// Event type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub(crate) event_type: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub(crate) limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct DecisionList {
    decisions: Vec<DecisionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

pub(crate) struct DecisionListing {
    pub filter: DecisionFilter,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}

impl DecisionQuery {
    pub(crate) fn listing(self) -> Result<DecisionListing, Problem> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let verdict = given(self.verdict);
        if let Some(v) = &verdict
            && arbiter_rules::Verdict::parse(v).is_none()
        {
            return Err(Problem::bad_request(format!(
                "verdict: {v:?} is not allow, review or block"
            )));
        }
        let time = |name: &str, v: Option<String>| {
            given(v)
                .map(|v| crate::api::parse_time(name, &v))
                .transpose()
        };
        let cursor = given(self.cursor)
            .map(|c| {
                Cursor::decode(&c).ok_or_else(|| {
                    Problem::bad_request(format!("cursor: {c:?} is not a cursor this API returned"))
                })
            })
            .transpose()?;
        let limit = self.limit.unwrap_or(100);
        if !(1..=1_000).contains(&limit) {
            return Err(Problem::bad_request(format!(
                "limit: {limit} is out of range; use 1 to 1000"
            )));
        }
        Ok(DecisionListing {
            filter: DecisionFilter {
                verdict,
                rule: given(self.rule),
                user: given(self.user),
                event_type: given(self.event_type),
                from: time("from", self.from)?,
                to: time("to", self.to)?,
                up_to_seq: None,
            },
            cursor,
            limit,
        })
    }
}

/// Stored decisions (events where a rule fired or failed), newest first.
#[utoipa::path(get, path = "/v1/decisions", tag = "decisions", security(("bearer" = [])),
    params(DecisionQuery),
    responses((status = 200, body = DecisionList), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn list_decisions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DecisionQuery>,
) -> Result<Json<DecisionList>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let listing = query.listing()?;
    let records = state
        .store()
        .list_decisions(
            &listing.filter,
            listing.cursor.map(|c| (c.occurred_at, c.seq)),
            listing.limit + 1,
        )
        .await?;
    let more = records.len() > listing.limit as usize;
    let page = &records[..records.len().min(listing.limit as usize)];
    let next_cursor = more.then(|| {
        let last = &page[page.len() - 1];
        Cursor {
            occurred_at: last.occurred_at,
            seq: last.event_seq,
        }
        .encode()
    });
    Ok(Json(DecisionList {
        decisions: page
            .iter()
            .map(DecisionView::from_record)
            .collect::<Result<_, _>>()?,
        next_cursor,
    }))
}
