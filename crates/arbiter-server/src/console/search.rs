//! One search box for the whole console: a member, task, case or event by its id, a policy
//! document or clause by its id or citation (`POL-GUARANTEE §3.1`), and the library's clauses
//! by their words. An id that names exactly one thing goes straight to it.

use super::{AREAS, Area, SignedIn, Staff, percent_encode, render};
use crate::AppState;
use crate::security::filters;
use arbiter_policy::{Citation, SearchFilter};
use arbiter_store::EventFilter;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_page))
        .routes(routes!(search_script))
}

/// Longest query searched, in characters.
const MAX_QUERY_CHARS: usize = 200;

/// Clauses shown for a query by words.
const CLAUSE_HITS: usize = 10;

struct Found {
    /// `Member`, `Task`, `Case`, `Event`, `Policy`.
    kind: &'static str,
    label: String,
    href: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    q: String,
    /// Things the query names by id.
    exact: Vec<Found>,
    /// Clauses of the library that match the query's words: `(href, citation, title, snippet)`.
    /// The snippet is HTML escaped by the search index, with `<mark>` around matched words.
    clauses: Vec<(String, String, String, String)>,
    message: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
struct SearchQuery {
    /// An id (member, task, case, event, document), a citation, or words of a clause.
    #[serde(default)]
    q: String,
}

/// Finds members, tasks, cases, events and policy clauses; an id naming one thing opens it.
#[utoipa::path(get, path = "/console/search", tag = "console", params(SearchQuery),
    responses((status = 200, description = "HTML", content_type = "text/html"),
        (status = 303, description = "To the one thing the id names"),
        (status = 400, description = "HTML: the query is too long", content_type = "text/html")))]
async fn search_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Query(query): Query<SearchQuery>,
) -> Response {
    let q = query.q.trim().to_owned();
    let mut page = SearchPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "search",
        areas: AREAS,
        q: q.clone(),
        exact: Vec::new(),
        clauses: Vec::new(),
        message: None,
    };
    if q.is_empty() {
        return render(&page);
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        page.message = Some(format!(
            "The search is {} characters long; at most {MAX_QUERY_CHARS} are searched.",
            q.chars().count()
        ));
        return (StatusCode::BAD_REQUEST, render(&page)).into_response();
    }
    match found(&state, &q).await {
        Ok(exact) => page.exact = exact,
        Err(e) => return crate::problem::Problem::from(e).into_response(),
    }
    if let [only] = page.exact.as_slice() {
        return Redirect::to(&only.href).into_response();
    }
    let index = match state.policy_search().index(state.store()).await {
        Ok(index) => index,
        Err(e) => return crate::problem::Problem::from(e).into_response(),
    };
    // Words the index cannot search (only punctuation, say) simply find no clause.
    if let Ok(hits) = index.search(&q, &SearchFilter::default(), CLAUSE_HITS) {
        page.clauses = hits
            .into_iter()
            .map(|h| {
                let citation = match &h.clause {
                    Some(n) => format!("{} §{n}", h.document),
                    None => h.document.clone(),
                };
                let href = match &h.clause {
                    Some(n) => format!("/console/policy/{}#s{n}", h.document),
                    None => format!("/console/policy/{}", h.document),
                };
                let title = h.clause_title.unwrap_or(h.title);
                (href, citation, title, h.snippet)
            })
            .collect()
    }
    render(&page)
}

/// What `q` names by id: a case (`case_12`, `12`), an event, a member (as actor or subject of
/// an event), a task, a policy document or one of its clauses.
async fn found(state: &AppState, q: &str) -> Result<Vec<Found>, arbiter_store::StoreError> {
    let store = state.store();
    let mut exact = Vec::new();
    if let Some(number) = arbiter_app::cases::case_number(q.trim_start_matches('#'))
        && let Some(case) = store.case(number).await?
    {
        exact.push(Found {
            kind: "Case",
            label: arbiter_app::cases::case_id(case.number),
            href: format!("/console/resolve/cases/{}", case.number),
            detail: format!("{}, {}, {}", case.case_type, case.state, case.market),
        });
    }
    if let Some(event) = store.event(q).await? {
        exact.push(Found {
            kind: "Event",
            label: q.to_owned(),
            href: format!("/console/events/{}", percent_encode(q)),
            detail: format!(
                "{} at {}",
                event.event_type,
                arbiter_model::format_micros(event.occurred_at)
            ),
        });
    }
    let first = |filter: EventFilter| async move { store.list_events(&filter, None, 1).await };
    let mut member = first(EventFilter {
        actor: Some(q.to_owned()),
        ..Default::default()
    })
    .await?
    .events;
    if member.is_empty() {
        member = first(EventFilter {
            subject: Some(q.to_owned()),
            ..Default::default()
        })
        .await?
        .events;
    }
    if let Some(latest) = member.first() {
        exact.push(Found {
            kind: "Member",
            label: q.to_owned(),
            href: format!("/console/users/{}", percent_encode(q)),
            detail: format!(
                "last seen {} ({})",
                arbiter_model::format_micros(latest.occurred_at),
                latest.event_type
            ),
        });
    }
    let task = first(EventFilter {
        task: Some(q.to_owned()),
        ..Default::default()
    })
    .await?;
    if let Some(latest) = task.events.first() {
        exact.push(Found {
            kind: "Task",
            label: q.to_owned(),
            href: format!("/console/events?task={}", percent_encode(q)),
            detail: format!(
                "last event {} at {}",
                latest.event_type,
                arbiter_model::format_micros(latest.occurred_at)
            ),
        });
    }
    if let Some(citation) = Citation::parse(q)
        && let Some(document) = store
            .policy_versions(&citation.document)
            .await?
            .last()
            .and_then(|v| arbiter_policy::parse_document(&v.source).ok())
    {
        let clause = citation.clause.as_deref().and_then(|n| {
            arbiter_policy::clauses(&document.body)
                .into_iter()
                .find(|c| c.number == n)
        });
        match (&citation.clause, clause) {
            (Some(n), Some(clause)) => exact.push(Found {
                kind: "Policy",
                label: format!("{} §{n}", document.id),
                href: format!("/console/policy/{}#s{n}", document.id),
                detail: clause.title,
            }),
            (None, _) => exact.push(Found {
                kind: "Policy",
                label: document.id.clone(),
                href: format!("/console/policy/{}", document.id),
                detail: document.title.clone(),
            }),
            // A clause the document does not have: the words search below may still help.
            (Some(_), None) => {}
        }
    }
    Ok(exact)
}

/// The search box's keyboard: `/` moves the focus to it from anywhere but a control.
#[utoipa::path(get, path = "/console/assets/search.js", tag = "console",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
async fn search_script() -> impl IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/search.js"),
    )
}
