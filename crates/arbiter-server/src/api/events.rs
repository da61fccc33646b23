//! `/v1/events`: the event log over HTTP.

use crate::AppState;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_model::{IngestReport, Market, Permission};
use arbiter_store::{Cursor, EventFilter};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

/// Most events one request may carry.
pub const MAX_EVENTS_PER_REQUEST: usize = 10_000;
/// Largest request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Largest page of a listing.
const MAX_PAGE: u32 = 1_000;

/// The answer to a batch (documentation of `arbiter_model::IngestReport`).
#[derive(ToSchema)]
#[schema(as = IngestReport)]
#[allow(dead_code)]
pub(crate) struct IngestReportSchema {
    /// Events stored by this request.
    accepted: u64,
    /// Valid events whose id was already stored: stored once.
    duplicates: u64,
    /// Refused items, with their 1-based line (or array position), id and the field at fault.
    rejected: Vec<RejectionSchema>,
}

#[derive(ToSchema)]
#[schema(as = Rejection)]
#[allow(dead_code)]
pub(crate) struct RejectionSchema {
    line: u64,
    id: Option<String>,
    error: String,
}

enum BodyFormat {
    JsonLines,
    JsonArray,
}

fn body_format(headers: &HeaderMap) -> Result<BodyFormat, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-ndjson"
        | "application/jsonl"
        | "application/json-lines"
        | "application/jsonlines" => Ok(BodyFormat::JsonLines),
        "application/json" => Ok(BodyFormat::JsonArray),
        _ => Err(Problem::unsupported_media_type(format!(
            "Content-Type {content_type:?} is not accepted: send application/x-ndjson (one event a line) or application/json (an array of events)"
        ))),
    }
}

/// Stores a batch of events (SPEC.md §1).
///
/// The body is JSON Lines (`application/x-ndjson`) or a JSON array (`application/json`), at most
/// 10,000 events and 16 MiB. Each event is judged on its own: the valid ones are stored even
/// when others are refused. An event is counted as accepted only once it is durably committed.
/// Sending an id again stores nothing and counts a duplicate.
#[utoipa::path(post, path = "/v1/events", tag = "events", security(("bearer" = [])),
    request_body(description = "JSON Lines, or a JSON array of events",
        content((String = "application/x-ndjson"), (Vec<Object> = "application/json"))),
    responses(
        (status = 200, description = "What became of each event", body = IngestReportSchema),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 413, description = "More than 10,000 events or 16 MiB", body = Problem),
        (status = 415, body = Problem)))]
pub(crate) async fn post_events(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestReport>, Problem> {
    caller.require(Permission::WriteEvents)?;
    let format = body_format(&headers)?;
    let too_large = || {
        Problem::too_large(format!(
            "a request may carry at most {MAX_BODY_BYTES} bytes ({} MiB); split the batch",
            MAX_BODY_BYTES / (1024 * 1024)
        ))
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            let e = e.into_inner();
            if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                Problem::bad_request(format!("could not read the body: {e}"))
            }
        })?;
    let items = tokio::task::spawn_blocking(move || {
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            Problem::bad_request(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
        })?;
        match format {
            BodyFormat::JsonLines => Ok(arbiter_model::parse_ndjson(text)),
            BodyFormat::JsonArray => {
                arbiter_model::parse_json_array(text).map_err(Problem::bad_request)
            }
        }
    })
    .await
    .map_err(|e| Problem::internal(&e))??;
    if items.len() > MAX_EVENTS_PER_REQUEST {
        return Err(Problem::too_large(format!(
            "the request carries {} events; at most {MAX_EVENTS_PER_REQUEST} are accepted at once",
            items.len()
        )));
    }
    let report = state
        .store()
        .ingest_batch(items, arbiter_app::now())
        .await?;
    crate::metrics::count_events(&report);
    tracing::info!(
        token = %caller.token_id,
        accepted = report.accepted,
        duplicates = report.duplicates,
        rejected = report.rejected.len(),
        "events received"
    );
    Ok(Json(report))
}

/// Filters for listing events. Times are RFC 3339; `from` is inclusive, `to` exclusive.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Event type, e.g. `claim.filed`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub(crate) event_type: Option<String>,
    /// Actor's user id.
    pub(crate) actor: Option<String>,
    /// Subject's user id.
    pub(crate) subject: Option<String>,
    /// Task id.
    pub(crate) task: Option<String>,
    /// Market (ISO 3166-1 alpha-2).
    pub(crate) market: Option<String>,
    /// Earliest `occurred_at` (inclusive).
    pub(crate) from: Option<String>,
    /// Latest `occurred_at` (exclusive).
    pub(crate) to: Option<String>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
    /// Page size, 1–1000 (default 100).
    pub(crate) limit: Option<u32>,
}

/// A page of events, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct EventList {
    /// The events as received.
    #[schema(value_type = Vec<Object>)]
    events: Vec<Box<RawValue>>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

fn parse_time(name: &str, value: &str) -> Result<i64, Problem> {
    OffsetDateTime::parse(value, &Rfc3339)
        .map(arbiter_model::to_micros)
        .map_err(|_| {
            Problem::bad_request(format!(
                "{name}: {value:?} is not an RFC 3339 timestamp such as 2026-10-03T00:00:00Z"
            ))
        })
}

/// A validated listing request.
pub(crate) struct Listing {
    pub filter: EventFilter,
    pub cursor: Option<Cursor>,
    pub limit: u32,
}

impl EventQuery {
    /// Validates the filters; empty values (as a console form sends them) mean "any".
    pub(crate) fn listing(self) -> Result<Listing, Problem> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let market = given(self.market)
            .map(|m| {
                Market::parse(&m)
                    .map(|m| m.to_string())
                    .map_err(|e| Problem::bad_request(format!("market: {e}")))
            })
            .transpose()?;
        let from = given(self.from)
            .map(|v| parse_time("from", &v))
            .transpose()?;
        let to = given(self.to).map(|v| parse_time("to", &v)).transpose()?;
        let cursor = given(self.cursor)
            .map(|c| {
                Cursor::decode(&c).ok_or_else(|| {
                    Problem::bad_request(format!("cursor: {c:?} is not a cursor this API returned"))
                })
            })
            .transpose()?;
        let limit = self.limit.unwrap_or(100);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Problem::bad_request(format!(
                "limit: {limit} is out of range; use 1 to {MAX_PAGE}"
            )));
        }
        Ok(Listing {
            filter: EventFilter {
                event_type: given(self.event_type),
                actor: given(self.actor),
                subject: given(self.subject),
                task: given(self.task),
                market,
                from,
                to,
            },
            cursor,
            limit,
        })
    }
}

/// Lists stored events, newest first, with filters and cursor paging.
#[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
    params(EventQuery),
    responses((status = 200, body = EventList), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> Result<Json<EventList>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let listing = query.listing()?;
    let page = state
        .store()
        .list_events(&listing.filter, listing.cursor, listing.limit)
        .await?;
    let events = page
        .events
        .into_iter()
        .map(|e| RawValue::from_string(e.body).map_err(|err| Problem::internal(&err)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(EventList {
        events,
        next_cursor: page.next.map(|c| c.encode()),
    }))
}

/// One stored event, exactly as it was received.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = String, Path, description = "The event's id")),
    responses((status = 200, description = "The event", body = Object),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    caller.require(Permission::ReadEvents)?;
    match state.store().event(&id).await? {
        Some(event) => Ok(([(header::CONTENT_TYPE, "application/json")], event.body)),
        None => Err(Problem::not_found(format!("no event has the id {id:?}"))),
    }
}
