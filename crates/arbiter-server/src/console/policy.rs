//! The policy library in the console: browse and search, a document with its clauses,
//! versions and citations, word diffs between versions, and the review queue.

use super::{AREAS, Area, SignedIn, Staff, render, when};
use crate::AppState;
use arbiter_model::Permission;
use arbiter_policy::{Change, SearchFilter, parse_document};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(library_page))
        .routes(routes!(reviews_page))
        .routes(routes!(document_page))
        .routes(routes!(diff_page))
        .routes(routes!(publish_submit))
}

fn problem(e: impl Into<crate::problem::Problem>) -> Response {
    e.into().into_response()
}

struct Row {
    id: String,
    kind: String,
    title: String,
    status: String,
    locale: String,
    version: i64,
    updated: String,
}

struct Found {
    id: String,
    title: String,
    clause: String,
    /// Escaped text with `<mark>`: safe to insert.
    snippet: String,
}

#[derive(Template)]
#[template(path = "policy.html")]
struct LibraryPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    q: String,
    kind: String,
    locale: String,
    kinds: Vec<&'static str>,
    rows: Vec<Row>,
    found: Option<Vec<Found>>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LibraryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    locale: String,
}

/// The library: every document, or what a search finds, clause by clause.
#[utoipa::path(get, path = "/console/policy", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn library_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Query(query): Query<LibraryQuery>,
) -> Response {
    let documents = match state.store().policy_documents().await {
        Ok(d) => d,
        Err(e) => return problem(e),
    };
    let kind = arbiter_policy::Kind::parse(&query.kind);
    let rows = documents
        .into_iter()
        .filter(|d| kind.is_none_or(|k| d.kind == k.as_str()))
        .filter(|d| query.locale.is_empty() || d.locale == query.locale)
        .map(|d| Row {
            id: d.id,
            kind: d.kind,
            title: d.title,
            status: d.status,
            locale: d.locale,
            version: d.version,
            updated: when(d.updated_at),
        })
        .collect();
    let mut error = None;
    let found = if query.q.trim().is_empty() {
        None
    } else {
        let index = match state.policy_search().index(state.store()).await {
            Ok(index) => index,
            Err(e) => return problem(e),
        };
        let filter = SearchFilter {
            kind,
            locale: Some(query.locale.clone()).filter(|l| !l.is_empty()),
            ..SearchFilter::default()
        };
        match index.search(&query.q, &filter, 30) {
            Ok(hits) => Some(
                hits.into_iter()
                    .map(|h| Found {
                        clause: h
                            .clause
                            .map(|c| format!("§{c} {}", h.clause_title.unwrap_or_default()))
                            .unwrap_or_default(),
                        id: h.document,
                        title: h.title,
                        snippet: h.snippet,
                    })
                    .collect(),
            ),
            Err(e) => {
                error = Some(e.to_string());
                None
            }
        }
    };
    let page = LibraryPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        q: query.q,
        kind: query.kind,
        locale: query.locale,
        kinds: arbiter_policy::Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
        rows,
        found,
        error,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, render(&page)).into_response()
}

struct VersionRow {
    version: i64,
    status: String,
    author: String,
    reviewed_by: String,
    summary: String,
    created: String,
}

struct CitedRow {
    by: String,
    href: String,
    clause: String,
}

#[derive(Template)]
#[template(path = "policy_doc.html")]
struct DocumentPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    title: String,
    kind: String,
    status: String,
    locale: String,
    markets: String,
    owner: String,
    next_review: String,
    /// Rendered by `arbiter_policy::render_html`: safe to insert.
    body: String,
    clauses: Vec<(String, String)>,
    versions: Vec<VersionRow>,
    cited_by: Vec<CitedRow>,
    can_publish: bool,
    message: Option<String>,
}

/// One document: rendered, with its clauses, versions and what cites it.
#[utoipa::path(get, path = "/console/policy/{id}", tag = "console",
    params(("id" = String, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "No such document")))]
async fn document_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Response {
    match document_view(&state, &caller, &id, None).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

async fn document_view(
    state: &AppState,
    caller: &crate::access::Caller,
    id: &str,
    message: Option<String>,
) -> Result<DocumentPage, Response> {
    let versions = state.store().policy_versions(id).await.map_err(problem)?;
    let Some(newest) = versions.last() else {
        return Err(problem(crate::problem::Problem::not_found(format!(
            "no document {id:?} in the library"
        ))));
    };
    let document = parse_document(&newest.source).map_err(|_| {
        problem(crate::problem::Problem::internal(&format!(
            "stored document {id} v{} does not read",
            newest.version
        )))
    })?;
    let cited_by = crate::policy::citers(state.store(), id)
        .await
        .map_err(problem)?
        .into_iter()
        .map(|c| CitedRow {
            href: match c.kind {
                "rule" => "/console/protect".into(),
                _ => format!("/console/policy/{}", c.id),
            },
            by: match c.kind {
                "rule" => format!("rule {}", c.id),
                _ => c.id,
            },
            clause: c.clause.map(|n| format!("§{n}")).unwrap_or_default(),
        })
        .collect();
    Ok(DocumentPage {
        signed_in: Some(SignedIn::from(caller)),
        area: "policy",
        areas: AREAS,
        id: document.id.clone(),
        title: document.title.clone(),
        kind: document.kind.as_str().into(),
        status: document.status.as_str().into(),
        locale: document.locale.clone(),
        markets: if document.markets.is_empty() {
            "every market".into()
        } else {
            document.markets.join(", ")
        },
        owner: document.owner.clone(),
        next_review: document
            .next_review
            .map(|d| d.to_string())
            .unwrap_or_default(),
        body: arbiter_policy::render_html(&document.body),
        clauses: arbiter_policy::clauses(&document.body)
            .into_iter()
            .map(|c| (c.number, c.title))
            .collect(),
        can_publish: caller.role.allows(Permission::EditPolicies)
            && newest.status != "published"
            && newest.author != caller.label,
        versions: versions
            .iter()
            .rev()
            .map(|v| VersionRow {
                version: v.version,
                status: v.status.clone(),
                author: v.author.clone(),
                reviewed_by: v.reviewed_by.clone().unwrap_or_default(),
                summary: v.summary.clone(),
                created: when(v.created_at),
            })
            .collect(),
        cited_by,
        message,
    })
}

#[derive(Template)]
#[template(path = "policy_diff.html")]
struct DiffPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    from: i64,
    to: i64,
    /// `(op, text)`: `same`, `removed` or `added`.
    changes: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
struct DiffQuery {
    from: i64,
    to: i64,
}

/// The words that changed between two versions, struck out and inserted.
#[utoipa::path(get, path = "/console/policy/{id}/diff", tag = "console",
    params(("id" = String, Path), ("from" = i64, Query), ("to" = i64, Query)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "No such version")))]
async fn diff_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
    query: Result<Query<DiffQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return problem(crate::problem::Problem::bad_request(
            "from and to must be version numbers",
        ));
    };
    let versions = match state.store().policy_versions(&id).await {
        Ok(v) => v,
        Err(e) => return problem(e),
    };
    let find = |n: i64| versions.iter().find(|v| v.version == n);
    let (Some(old), Some(new)) = (find(query.from), find(query.to)) else {
        return problem(crate::problem::Problem::not_found(format!(
            "{id} has no such versions: it has 1 to {}",
            versions.len()
        )));
    };
    let changes = arbiter_policy::word_diff(&old.source, &new.source)
        .into_iter()
        .map(|c| match c {
            Change::Same(t) => ("same", t),
            Change::Removed(t) => ("removed", t),
            Change::Added(t) => ("added", t),
        })
        .collect();
    render(&DiffPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        id,
        from: query.from,
        to: query.to,
        changes,
    })
}

struct ReviewRow {
    id: String,
    title: String,
    version: i64,
    status: String,
    author: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "policy_reviews.html")]
struct ReviewsPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    rows: Vec<ReviewRow>,
    due: Vec<(String, String, String)>,
}

/// The review queue: documents whose newest version awaits publication, and documents whose
/// review date has come.
#[utoipa::path(get, path = "/console/policy/reviews", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn reviews_page(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    let current = match state.store().current_policy_versions().await {
        Ok(c) => c,
        Err(e) => return problem(e),
    };
    let documents = match state.store().policy_documents().await {
        Ok(d) => d,
        Err(e) => return problem(e),
    };
    let title = |id: &str| {
        documents
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.title.clone())
            .unwrap_or_default()
    };
    let rows = current
        .iter()
        .filter(|v| v.status == "draft" || v.status == "in_review")
        .map(|v| ReviewRow {
            title: title(&v.document_id),
            id: v.document_id.clone(),
            version: v.version,
            status: v.status.clone(),
            author: v.author.clone(),
            summary: v.summary.clone(),
        })
        .collect();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let due = documents
        .iter()
        .filter(|d| d.status == "published")
        .filter(|d| d.next_review.as_ref().is_some_and(|r| *r <= today))
        .map(|d| {
            (
                d.id.clone(),
                d.title.clone(),
                d.next_review.clone().unwrap_or_default(),
            )
        })
        .collect();
    render(&ReviewsPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        rows,
        due,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PublishForm {
    #[serde(default)]
    summary: String,
}

/// Publishes the newest version after review; the reviewer is the signed-in editor, who must
/// not be its author.
#[utoipa::path(post, path = "/console/policy/{id}/publish", tag = "console",
    params(("id" = String, Path)),
    responses((status = 303, description = "To the document"), (status = 403, description = "HTML", content_type = "text/html")))]
async fn publish_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Response {
    let refuse = |message: String| async {
        match document_view(&state, &caller, &id, Some(message)).await {
            Ok(page) => (StatusCode::FORBIDDEN, render(&page)).into_response(),
            Err(r) => r,
        }
    };
    if caller.require(Permission::EditPolicies).is_err() {
        return refuse(format!(
            "the {} role may not publish documents",
            caller.role
        ))
        .await;
    }
    let versions = match state.store().policy_versions(&id).await {
        Ok(v) => v,
        Err(e) => return problem(e),
    };
    let Some(newest) = versions.last() else {
        return problem(crate::problem::Problem::not_found(format!(
            "no document {id:?} in the library"
        )));
    };
    if newest.author == caller.label {
        return refuse(format!(
            "publishing needs a reviewer other than the author ({})",
            newest.author
        ))
        .await;
    }
    if newest.status == "published" {
        return Redirect::to(&format!("/console/policy/{id}")).into_response();
    }
    let Ok(mut document) = parse_document(&newest.source) else {
        return problem(crate::problem::Problem::internal(
            &"a stored document does not read",
        ));
    };
    document.status = arbiter_policy::Status::Published;
    let summary = if form.summary.trim().is_empty() {
        format!("published after review of v{}", newest.version)
    } else {
        form.summary.trim().to_owned()
    };
    let version =
        crate::policy::new_version(&document, &newest.author, Some(&caller.label), &summary);
    if let Err(e) = state
        .store()
        .save_policy_versions(&[version], crate::now())
        .await
    {
        return problem(e);
    }
    Redirect::to(&format!("/console/policy/{id}")).into_response()
}
