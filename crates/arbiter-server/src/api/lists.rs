//! `/v1/lists`: the named lists rules read (`in list("disposable_domains")`). Every change is a
//! new version; the decider uses it from the next event on.

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_model::Permission;
use arbiter_rules::valid_list_name;
use arbiter_store::{ListRecord, ListVersionSummary};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Largest body of a bulk load.
pub const MAX_LOAD_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListDraft {
    /// What the list holds and why.
    #[serde(default)]
    description: Option<String>,
    /// Every entry: the list becomes exactly this.
    entries: Vec<String>,
    #[serde(default)]
    note: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ListView {
    name: String,
    version: i64,
    description: String,
    entry_count: i64,
    changed_by: String,
    changed_at: String,
    note: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entries: Option<Vec<String>>,
}

impl From<ListVersionSummary> for ListView {
    fn from(s: ListVersionSummary) -> ListView {
        ListView {
            name: s.name,
            version: s.version,
            description: s.description,
            entry_count: s.entry_count,
            changed_by: s.changed_by,
            changed_at: arbiter_model::format_micros(s.changed_at),
            note: s.note,
            entries: None,
        }
    }
}

impl From<ListRecord> for ListView {
    fn from(r: ListRecord) -> ListView {
        ListView {
            name: r.name,
            version: r.version,
            description: r.description,
            entry_count: r.entries.len() as i64,
            changed_by: r.changed_by,
            changed_at: arbiter_model::format_micros(r.changed_at),
            note: r.note,
            entries: Some(r.entries),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LoadQuery {
    /// `append` (the default) adds to the entries; `replace` makes the list exactly the file.
    mode: Option<String>,
    note: Option<String>,
}

fn check_name(name: &str) -> Result<(), Problem> {
    if valid_list_name(name) {
        Ok(())
    } else {
        Err(Problem::bad_request(format!(
            "{name:?} is not a list name: use lowercase letters, digits and `_`, at most 64"
        )))
    }
}

fn list_problem(error: arbiter_app::lists::ListError) -> Problem {
    match error {
        // An entry too long or spanning lines: a text body cannot be ruled out by a schema.
        arbiter_app::lists::ListError::Invalid(m) => Problem::unprocessable(m, Vec::new()),
        arbiter_app::lists::ListError::TooLarge(m) => Problem::too_large(m),
    }
}

fn clean_entries(entries: impl IntoIterator<Item = String>) -> Result<Vec<String>, Problem> {
    arbiter_app::lists::clean_list_entries(entries).map_err(list_problem)
}

async fn save(
    state: &AppState,
    caller: &Caller,
    name: &str,
    description: Option<String>,
    entries: Vec<String>,
    note: &str,
) -> Result<ListView, Problem> {
    let description = match description {
        Some(d) => d.trim().to_owned(),
        None => state
            .store()
            .list(name)
            .await?
            .map(|l| l.description)
            .unwrap_or_default(),
    };
    let summary = state
        .store()
        .put_list(
            name,
            &description,
            &entries,
            &caller.label,
            arbiter_app::now(),
            note.trim(),
        )
        .await?;
    state.decider().changed();
    tracing::info!(list = name, version = summary.version, entries = entries.len(), by = %caller.label, "list changed");
    Ok(summary.into())
}

/// Every list, current version, without entries.
#[utoipa::path(get, path = "/v1/lists", tag = "rules", security(("bearer" = [])),
    responses((status = 200, body = Vec<ListView>), (status = 401, body = Problem)))]
pub(crate) async fn list_lists(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ListView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    Ok(Json(
        state
            .store()
            .lists()
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A list's current version with its entries.
#[utoipa::path(get, path = "/v1/lists/{name}", tag = "rules", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = ListView), (status = 404, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn get_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<ListView>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let list = state
        .store()
        .list(&name)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no list {name:?}")))?;
    Ok(Json(list.into()))
}

/// Creates a list or replaces its entries (a new version).
#[utoipa::path(put, path = "/v1/lists/{name}", tag = "rules", security(("bearer" = [])),
    params(("name" = String, Path)), request_body = ListDraft,
    responses((status = 200, body = ListView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem)))]
pub(crate) async fn put_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(draft): ApiJson<ListDraft>,
) -> Result<Json<ListView>, Problem> {
    caller.require(Permission::ManageRules)?;
    check_name(&name)?;
    let entries = clean_entries(draft.entries)?;
    Ok(Json(
        save(
            &state,
            &caller,
            &name,
            draft.description,
            entries,
            &draft.note,
        )
        .await?,
    ))
}

/// Bulk load: `text/plain` (one entry a line) or `text/csv` (the first column; a first row
/// reading `value` or `entry` is a header). Appends unless `mode=replace`.
#[utoipa::path(post, path = "/v1/lists/{name}/entries", tag = "rules", security(("bearer" = [])),
    params(("name" = String, Path), LoadQuery),
    request_body(content((String = "text/plain"), (String = "text/csv"))),
    responses((status = 200, body = ListView), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 415, body = Problem)))]
pub(crate) async fn load_entries(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<LoadQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Json<ListView>, Problem> {
    caller.require(Permission::ManageRules)?;
    check_name(&name)?;
    let body = crate::api::read_body(body, MAX_LOAD_BYTES).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let csv = match content_type.as_str() {
        "text/csv" => true,
        "text/plain" => false,
        other => {
            return Err(Problem::unsupported_media_type(format!(
                "Content-Type {other:?} is not accepted: send text/plain (one entry a line) or text/csv"
            )));
        }
    };
    let text = std::str::from_utf8(&body).map_err(|e| {
        Problem::bad_request(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    let loaded = arbiter_app::lists::parse_list_file(text, csv).map_err(list_problem)?;
    let replace = match query.mode.as_deref() {
        None | Some("append") => false,
        Some("replace") => true,
        Some(other) => {
            return Err(Problem::bad_request(format!(
                "mode: {other:?} is neither append nor replace"
            )));
        }
    };
    let mut entries = if replace {
        Vec::new()
    } else {
        state
            .store()
            .list(&name)
            .await?
            .map(|l| l.entries)
            .unwrap_or_default()
    };
    let added = loaded.len();
    entries.extend(loaded);
    let entries = clean_entries(entries)?;
    let note = query.note.unwrap_or_else(|| {
        format!(
            "{} {added} entries from a file",
            if replace { "replaced with" } else { "added" }
        )
    });
    Ok(Json(
        save(&state, &caller, &name, None, entries, &note).await?,
    ))
}

/// Every version of a list, newest first.
#[utoipa::path(get, path = "/v1/lists/{name}/versions", tag = "rules", security(("bearer" = [])),
    params(("name" = String, Path)),
    responses((status = 200, body = Vec<ListView>), (status = 404, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Json<Vec<ListView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let history = state.store().list_history(&name).await?;
    if history.is_empty() {
        return Err(Problem::not_found(format!("no list {name:?}")));
    }
    Ok(Json(history.into_iter().map(Into::into).collect()))
}
