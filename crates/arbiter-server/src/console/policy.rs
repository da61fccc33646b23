//! The policy library in the console: browse and search, a document with its clauses,
//! versions and citations, word diffs between versions, and the review queue.

use super::{AREAS, Area, SignedIn, Staff, render, when};
use crate::AppState;
use crate::security::filters;
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
        .routes(routes!(retire_submit))
        .routes(routes!(editor_page, editor_submit))
        .routes(routes!(new_document_page))
        .routes(routes!(preview_fragment))
        .routes(routes!(changes_page))
        .routes(routes!(editor_script))
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
    /// `#s3.2` for a clause, empty for the document's preamble.
    anchor: String,
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
    can_edit: bool,
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
                        anchor: h
                            .clause
                            .as_ref()
                            .map(|c| format!("#s{c}"))
                            .unwrap_or_default(),
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
        can_edit: caller.role.allows(Permission::EditPolicies),
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
    audience: String,
    effective: String,
    review_every: String,
    tags: String,
    /// The same document in other locales or markets: `(id, locale, markets)`.
    variants: Vec<(String, String, String)>,
    /// Rendered by `arbiter_policy::render_html`: safe to insert.
    body: String,
    clauses: Vec<(String, String)>,
    versions: Vec<VersionRow>,
    cited_by: Vec<CitedRow>,
    can_publish: bool,
    can_edit: bool,
    can_retire: bool,
    /// What went wrong, for an alert.
    message: Option<String>,
    /// What went right, for a status line.
    notice: Option<String>,
    /// Citations in force the newest version would break, when it awaits review.
    breaks: Vec<String>,
    /// The version shown, and whether it is the one in force: `v5 (in force)`.
    version: String,
    /// Why the version shown is not the whole story: a draft awaiting review, or a draft shown.
    banner: Option<String>,
    /// Where the banner leads: `(href, label)`.
    banner_links: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct DocumentQuery {
    /// The version just saved from the editor.
    saved: Option<i64>,
    /// The version that just retired the document.
    retired: Option<i64>,
    /// A version to read instead of the one in force (a draft awaiting review).
    version: Option<i64>,
}

/// One document: rendered, with its clauses, versions and what cites it.
#[utoipa::path(get, path = "/console/policy/{id}", tag = "console",
    params(("id" = String, Path),
        ("version" = Option<i64>, Query, description = "A version to read instead of the one in force"),
        ("saved" = Option<i64>, Query, description = "The version just saved: shown, with a notice"),
        ("retired" = Option<i64>, Query, description = "The version that just retired the document: a notice")),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "No such document")))]
async fn document_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
    Query(query): Query<DocumentQuery>,
) -> Response {
    match document_view(&state, &caller, &id, query.version.or(query.saved), None).await {
        Ok(mut page) => {
            page.notice = match (query.saved, query.retired) {
                (Some(v), _) => Some(format!(
                    "Saved v{v}. Another editor reviews and publishes it."
                )),
                (None, Some(v)) => Some(format!(
                    "Retired in v{v}: it has left the help center. What still cites it is listed under Cited by."
                )),
                (None, None) => None,
            };
            render(&page)
        }
        Err(r) => r,
    }
}

/// Reads document `id` as it is in force (its newest published version), or as version
/// `asked` says; the newest version decides what may be done next (publish, edit, retire).
async fn document_view(
    state: &AppState,
    caller: &arbiter_app::access::Caller,
    id: &str,
    asked: Option<i64>,
    message: Option<String>,
) -> Result<DocumentPage, Response> {
    let versions = state.store().policy_versions(id).await.map_err(problem)?;
    let Some(newest) = versions.last() else {
        return Err(problem(crate::problem::Problem::not_found(format!(
            "no document {id:?} in the library"
        ))));
    };
    let in_force = match newest.status.as_str() {
        "retired" => None,
        _ => versions.iter().rfind(|v| v.status == "published"),
    };
    let shown = match asked {
        Some(n) => versions.iter().find(|v| v.version == n).ok_or_else(|| {
            problem(crate::problem::Problem::not_found(format!(
                "{id} has no version {n}: it has versions 1 to {}",
                newest.version
            )))
        })?,
        None => in_force.unwrap_or(newest),
    };
    let awaiting = matches!(newest.status.as_str(), "draft" | "in_review");
    let is_in_force = in_force.is_some_and(|v| v.version == shown.version);
    let (banner, banner_links) = if newest.status == "retired" {
        (
            Some(format!(
                "Retired in v{}: nothing of this document is in force.",
                newest.version
            )),
            Vec::new(),
        )
    } else if is_in_force && awaiting {
        (
            Some(format!(
                "v{} ({}) by {} awaits review: {}. This page shows v{}, in force until it is published.",
                newest.version,
                newest.status.replace('_', " "),
                newest.author,
                newest.summary,
                shown.version
            )),
            vec![
                (
                    format!("/console/policy/{id}?version={}", newest.version),
                    format!("Read draft v{}", newest.version),
                ),
                (
                    format!(
                        "/console/policy/{id}/diff?from={}&to={}",
                        shown.version, newest.version
                    ),
                    format!("Compare v{} with v{}", shown.version, newest.version),
                ),
            ],
        )
    } else if !is_in_force {
        let status = shown.status.replace('_', " ");
        match in_force {
            Some(force) => (
                Some(format!(
                    "You are reading v{} ({status}), which is not in force; v{} is.",
                    shown.version, force.version
                )),
                vec![
                    (
                        format!("/console/policy/{id}"),
                        format!("Read v{}, in force", force.version),
                    ),
                    (
                        format!(
                            "/console/policy/{id}/diff?from={}&to={}",
                            force.version, shown.version
                        ),
                        format!("Compare v{} with v{}", force.version, shown.version),
                    ),
                ],
            ),
            None => (
                Some(format!(
                    "You are reading v{} ({status}): no version of this document has been published, so nothing of it is in force yet.",
                    shown.version
                )),
                Vec::new(),
            ),
        }
    } else {
        (None, Vec::new())
    };
    let version = format!(
        "v{}{}",
        shown.version,
        if is_in_force { " (in force)" } else { "" }
    );
    let document = parse_document(&shown.source).map_err(|_| {
        problem(crate::problem::Problem::internal(&format!(
            "stored document {id} v{} does not read",
            shown.version
        )))
    })?;
    let draft = if awaiting {
        parse_document(&newest.source).ok()
    } else {
        None
    };
    let index = state
        .policy_search()
        .index(state.store())
        .await
        .map_err(problem)?;
    let breaks = match &draft {
        Some(draft) => {
            arbiter_app::policies::removed_citations(state.store(), index.documents(), draft)
                .await
                .map_err(problem)?
        }
        None => Vec::new(),
    };
    let cited_by = arbiter_app::policies::citers(state.store(), index.documents(), id)
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
        audience: document
            .audience
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        effective: document
            .effective
            .map(|d| d.to_string())
            .unwrap_or_default(),
        review_every: document
            .review_every_months
            .map(|m| format!("every {m} months"))
            .unwrap_or_default(),
        tags: document.tags.join(", "),
        variants: {
            // One family: the original and every document that names it as `variant_of`.
            let root = document.variant_of.as_deref().unwrap_or(&document.id);
            index
                .documents()
                .iter()
                .filter(|d| d.id != document.id)
                .filter(|d| d.id == root || d.variant_of.as_deref() == Some(root))
                .map(|d| {
                    let markets = if d.markets.is_empty() {
                        "every market".to_owned()
                    } else {
                        d.markets.join(", ")
                    };
                    (d.id.clone(), d.locale.clone(), markets)
                })
                .collect()
        },
        body: arbiter_policy::render_html(&document.body),
        clauses: arbiter_policy::clauses(&document.body)
            .into_iter()
            .map(|c| (c.number, c.title))
            .collect(),
        can_publish: caller.role.allows(Permission::EditPolicies)
            && newest.status != "published"
            && newest.author_principal != caller.principal.key(),
        can_edit: caller.role.allows(Permission::EditPolicies),
        can_retire: caller.role.allows(Permission::EditPolicies) && newest.status != "retired",
        breaks,
        notice: None,
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
        version,
        banner,
        banner_links,
    })
}

/// One clause a version added, changed or removed, as the diff page shows it.
struct ClauseRow {
    number: String,
    title: String,
    /// `added`, `changed` or `removed`.
    kind: &'static str,
    /// `(op, text)`: `same`, `removed` or `added`.
    words: Vec<(&'static str, String)>,
}

/// Something in force that cites a clause the version changed.
struct CiterRow {
    what: String,
    href: String,
    clause: String,
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
    /// Front-matter fields that changed: `(field, before, after)`.
    fields: Vec<(&'static str, String, String)>,
    clauses: Vec<ClauseRow>,
    /// Rules and documents citing a changed clause, or the whole document.
    citers: Vec<CiterRow>,
    /// Open cases whose eligibility cites a changed clause.
    cases: Vec<CiterRow>,
    /// Open cases read to find them, when the limit was reached.
    cases_truncated: bool,
}

#[derive(Deserialize)]
struct DiffQuery {
    from: i64,
    to: i64,
}

fn words(changes: Vec<Change>) -> Vec<(&'static str, String)> {
    changes
        .into_iter()
        .map(|c| match c {
            Change::Same(t) => ("same", t),
            Change::Removed(t) => ("removed", t),
            Change::Added(t) => ("added", t),
        })
        .collect()
}

/// The front-matter fields people read a version by, as text.
fn described(document: &arbiter_policy::Document) -> Vec<(&'static str, String)> {
    let or_none = |s: String| if s.is_empty() { "none".to_owned() } else { s };
    vec![
        ("Title", document.title.clone()),
        ("Status", document.status.as_str().to_owned()),
        ("Kind", document.kind.as_str().to_owned()),
        ("Locale", document.locale.clone()),
        (
            "Markets",
            if document.markets.is_empty() {
                "every market".to_owned()
            } else {
                document.markets.join(", ")
            },
        ),
        ("Owner", document.owner.clone()),
        (
            "Effective",
            or_none(
                document
                    .effective
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
        ),
        (
            "Next review",
            or_none(
                document
                    .next_review
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
        ),
    ]
}

/// Most open cases read to find those citing a changed clause.
const CASES_READ: u32 = 1_000;

/// Two versions compared clause by clause: which clauses were added, changed or removed, the
/// words that changed in each, the front matter, and the rules, documents and open cases that
/// cite what changed.
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
        return problem(crate::problem::Problem::not_found(match versions.len() {
            0 => format!("there is no document {id} in the library"),
            1 => format!("{id} has only version 1, so there is nothing to compare yet"),
            n => format!(
                "{id} has no version {} to compare: it has versions 1 to {n}",
                if find(query.from).is_none() {
                    query.from
                } else {
                    query.to
                }
            ),
        }));
    };
    let (Ok(before), Ok(after)) = (parse_document(&old.source), parse_document(&new.source)) else {
        return problem(crate::problem::Problem::internal(&format!(
            "a stored version of {id} does not read"
        )));
    };
    let fields = described(&before)
        .into_iter()
        .zip(described(&after))
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, a)| (b.0, b.1, a.1))
        .collect();
    let changes = arbiter_policy::clause_changes(&before.body, &after.body);
    let changed: Vec<&str> = changes.iter().map(|c| c.number.as_str()).collect();
    let index = match state.policy_search().index(state.store()).await {
        Ok(index) => index,
        Err(e) => return problem(e),
    };
    let citers = match arbiter_app::policies::citers(state.store(), index.documents(), &id).await {
        Ok(citers) => citers,
        Err(e) => return problem(e),
    };
    let citers = citers
        .into_iter()
        .filter(|c| c.clause.as_deref().is_none_or(|n| changed.contains(&n)))
        .map(|c| CiterRow {
            href: match c.kind {
                "rule" => "/console/protect".into(),
                _ => format!("/console/policy/{}", c.id),
            },
            what: match c.kind {
                "rule" => format!("rule {}", c.id),
                _ => c.id,
            },
            clause: c
                .clause
                .map_or_else(|| "the whole document".to_owned(), |n| format!("§{n}")),
        })
        .collect();
    let open = arbiter_store::CaseFilter {
        states: arbiter_resolve::State::open_states().collect(),
        ..Default::default()
    };
    let open_cases = match arbiter_app::cases::list(state.store(), &open, None, CASES_READ).await {
        Ok(cases) => cases,
        Err(e) => return problem(e),
    };
    let cases_truncated = open_cases.len() >= CASES_READ as usize;
    let cases = open_cases
        .into_iter()
        .filter_map(|case| {
            let eligibility = case.eligibility.as_ref()?;
            let clause = eligibility.reasons.iter().find_map(|r| {
                let citation = arbiter_policy::Citation::parse(&r.clause)?;
                (citation.document == id
                    && citation
                        .clause
                        .as_deref()
                        .is_some_and(|n| changed.contains(&n)))
                .then(|| format!("§{}", citation.clause.unwrap_or_default()))
            })?;
            Some(CiterRow {
                what: case.id(),
                href: format!("/console/resolve/cases/{}", case.number),
                clause,
            })
        })
        .collect();
    render(&DiffPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        id,
        from: query.from,
        to: query.to,
        fields,
        clauses: changes
            .into_iter()
            .map(|c| ClauseRow {
                number: c.number,
                title: c.title,
                kind: c.kind.as_str(),
                words: words(c.words),
            })
            .collect(),
        citers,
        cases,
        cases_truncated,
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
        match document_view(&state, &caller, &id, None, Some(message)).await {
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
    match arbiter_app::policies::publish(state.store(), &caller.principal, &id, Some(&form.summary))
        .await
    {
        Ok(_) | Err(arbiter_app::policies::StatusRefusal::AlreadyPublished { .. }) => {}
        Err(arbiter_app::policies::StatusRefusal::OwnWork { author, .. }) => {
            return refuse(format!(
                "publishing needs a reviewer other than the author ({author})"
            ))
            .await;
        }
        Err(e) => return crate::problem::status_refused(e, &id).into_response(),
    }
    Redirect::to(&format!("/console/policy/{id}")).into_response()
}

/// The editor's preview pane: a document as it would read, or what stops it from checking.
#[derive(Template)]
#[template(path = "policy_preview.html")]
struct Preview {
    title: String,
    /// Rendered by `arbiter_policy::render_html`: safe to insert.
    body: String,
    /// `line:column: message`, in file order.
    problems: Vec<String>,
}

impl Preview {
    /// Checks `source` as document `id` beside the library and renders it.
    async fn of(state: &AppState, id: &str, source: &str) -> Preview {
        match arbiter_app::policies::check_draft(state.store(), state.policy_search(), id, source)
            .await
        {
            Ok(document) => Preview {
                title: document.title.clone(),
                body: arbiter_policy::render_html(&document.body),
                problems: Vec::new(),
            },
            Err(error) => Preview {
                title: String::new(),
                body: String::new(),
                problems: draft_problems(error, id),
            },
        }
    }
}

/// A refused draft's reasons, one line each, located where the file says where.
fn draft_problems(error: arbiter_app::policies::DraftError, id: &str) -> Vec<String> {
    match error {
        arbiter_app::policies::DraftError::DoesNotCheck(errors) => errors
            .iter()
            .map(|e| format!("{}:{}: {}", e.line, e.column, e.message))
            .collect(),
        other => vec![crate::problem::draft_refused(other, id, "").detail],
    }
}

#[derive(Template)]
#[template(path = "policy_edit.html")]
struct EditorPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    /// The version the draft starts from; 0 for a new document.
    base: i64,
    source: String,
    summary: String,
    preview: Preview,
    message: Option<String>,
}

/// The skeleton a new document starts from.
fn new_document(id: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"\"\nkind = \"policy\"\naudience = [\"internal\"]\nlocale = \"en\"\nowner = \"\"\nstatus = \"draft\"\n+++\n\n## 1. Purpose\n\n### 1.1 Scope\n\n"
    )
}

#[derive(Deserialize)]
struct NewDocumentQuery {
    #[serde(default)]
    id: String,
}

/// Starts a new document: to the editor of the id given, refused when it names one that exists.
#[utoipa::path(get, path = "/console/policy/new", tag = "console",
    params(("id" = String, Query)),
    responses((status = 303, description = "To the editor"), (status = 400, description = "Not a document id"), (status = 409, description = "The id is taken")))]
async fn new_document_page(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Query(query): Query<NewDocumentQuery>,
) -> Response {
    let id = query.id.trim();
    if !arbiter_policy::valid_document_id(id) {
        return problem(crate::problem::Problem::bad_request(format!(
            "{id:?} is not a document id: capitals, digits and dashes, such as POL-PAYMENTS"
        )));
    }
    match state.store().policy_versions(id).await {
        Ok(v) if v.is_empty() => {
            Redirect::to(&format!("/console/policy/{id}/edit")).into_response()
        }
        Ok(_) => problem(crate::problem::Problem::conflict(format!(
            "{id} already exists: edit it at /console/policy/{id}/edit"
        ))),
        Err(e) => problem(e),
    }
}

/// The editor: the document's newest version as a file (front matter and Markdown) beside a
/// preview that follows the text as it is typed. A published version opens as a new draft.
#[utoipa::path(get, path = "/console/policy/{id}/edit", tag = "console",
    params(("id" = String, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 400, description = "Not a document id")))]
async fn editor_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Response {
    if !arbiter_policy::valid_document_id(&id) {
        return problem(crate::problem::Problem::bad_request(format!(
            "{id:?} is not a document id: capitals, digits and dashes, such as POL-PAYMENTS"
        )));
    }
    let versions = match state.store().policy_versions(&id).await {
        Ok(v) => v,
        Err(e) => return problem(e),
    };
    let (base, source) = match versions.last() {
        Some(newest) => match parse_document(&newest.source) {
            Ok(mut document) => {
                if !matches!(
                    document.status,
                    arbiter_policy::Status::Draft | arbiter_policy::Status::InReview
                ) {
                    document.status = arbiter_policy::Status::Draft;
                }
                (newest.version, document.to_file())
            }
            Err(_) => (newest.version, newest.source.clone()),
        },
        None => (0, new_document(&id)),
    };
    let preview = Preview::of(&state, &id, &source).await;
    render(&EditorPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        message: (!caller.role.allows(Permission::EditPolicies)).then(|| {
            format!(
                "The {} role may read but not save documents: saving needs an admin or policy editor.",
                caller.role
            )
        }),
        id,
        base,
        source,
        summary: String::new(),
        preview,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EditorForm {
    source: String,
    #[serde(default)]
    summary: String,
    /// `preview` or `save`.
    #[serde(default)]
    action: String,
}

/// Previews or saves the editor's text. A draft that does not check comes back in the editor
/// with every problem located, nothing of the text lost.
#[utoipa::path(post, path = "/console/policy/{id}/edit", tag = "console",
    params(("id" = String, Path)),
    request_body(content = EditorForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Saved: to the document"), (status = 200, description = "The preview", content_type = "text/html"),
        (status = 422, description = "The editor with the problems", content_type = "text/html")))]
async fn editor_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
    form: Result<Form<EditorForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the editor sends source, summary and action",
        ));
    };
    let base = match state.store().policy_versions(&id).await {
        Ok(v) => v.last().map_or(0, |v| v.version),
        Err(e) => return problem(e),
    };
    let page = |message: Option<String>, preview: Preview| EditorPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        id: id.clone(),
        base,
        source: form.source.clone(),
        summary: form.summary.clone(),
        preview,
        message,
    };
    if form.action != "save" {
        let preview = Preview::of(&state, &id, &form.source).await;
        return render(&page(None, preview));
    }
    if caller.require(Permission::EditPolicies).is_err() {
        let preview = Preview::of(&state, &id, &form.source).await;
        let message = format!("the {} role may not save documents", caller.role);
        return (StatusCode::FORBIDDEN, render(&page(Some(message), preview))).into_response();
    }
    match arbiter_app::policies::save_draft(
        state.store(),
        state.policy_search(),
        &caller.principal,
        &id,
        &form.source,
        &form.summary,
    )
    .await
    {
        Ok(saved) => match saved.version {
            Some(v) => Redirect::to(&format!("/console/policy/{id}?saved={v}")).into_response(),
            None => {
                let preview = Preview::of(&state, &id, &form.source).await;
                let message = "Nothing changed: the text is the newest version's.".to_owned();
                render(&page(Some(message), preview))
            }
        },
        Err(arbiter_app::policies::DraftError::Store(e)) => problem(e),
        Err(error) => {
            let problems = draft_problems(error, &id);
            let message = format!("Not saved: {}", problems.join("; "));
            let preview = Preview::of(&state, &id, &form.source).await;
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&page(Some(message), preview)),
            )
                .into_response()
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PreviewForm {
    source: String,
}

/// The preview pane alone, for the editor's script to replace as the text changes.
#[utoipa::path(post, path = "/console/policy/{id}/preview", tag = "console",
    params(("id" = String, Path)),
    request_body(content = PreviewForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "An HTML fragment", content_type = "text/html")))]
async fn preview_fragment(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(id): Path<String>,
    form: Result<Form<PreviewForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the preview needs the document's source",
        ));
    };
    render(&Preview::of(&state, &id, &form.source).await)
}

/// The editor's script: live preview, progressively added to a page that works without it.
#[utoipa::path(get, path = "/console/assets/editor.js", tag = "console",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
async fn editor_script() -> impl IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/editor.js"),
    )
}

struct ChangeRow {
    id: String,
    title: String,
    version: i64,
    change: &'static str,
    author: String,
    reviewed_by: String,
    summary: String,
    when: String,
}

#[derive(Template)]
#[template(path = "policy_changes.html")]
struct ChangesPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    days: i64,
    rows: Vec<ChangeRow>,
}

#[derive(Deserialize)]
struct ChangesQuery {
    days: Option<i64>,
}

/// The change feed: every version stored in the last days, newest first.
#[utoipa::path(get, path = "/console/policy/changes", tag = "console",
    params(("days" = Option<i64>, Query, description = "How far back; 30 unless given, at most 3,650")),
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn changes_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return problem(crate::problem::Problem::bad_request(
            "days must be a whole number of days",
        ));
    };
    let days = query.days.unwrap_or(30).clamp(1, 3_650);
    let since = arbiter_app::now() - days * 86_400_000_000;
    let changes = match state.store().policy_changes(since, 1_000).await {
        Ok(c) => c,
        Err(e) => return problem(e),
    };
    let rows = changes
        .into_iter()
        .map(|c| ChangeRow {
            change: arbiter_app::policies::change_kind(&c),
            id: c.version.document_id,
            title: c.title,
            version: c.version.version,
            author: c.version.author,
            reviewed_by: c.version.reviewed_by.unwrap_or_default(),
            summary: c.version.summary,
            when: when(c.version.created_at),
        })
        .collect();
    render(&ChangesPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "policy",
        areas: AREAS,
        days,
        rows,
    })
}

/// Retires the document, with the editor's reason; what still cites it stays listed on its page.
#[utoipa::path(post, path = "/console/policy/{id}/retire", tag = "console",
    params(("id" = String, Path)),
    request_body(content = PublishForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the document"), (status = 400, description = "HTML", content_type = "text/html"), (status = 403, description = "HTML", content_type = "text/html")))]
async fn retire_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Response {
    let (state, caller, id) = (&state, &caller, &id);
    let refuse = |status: StatusCode, message: String| async move {
        match document_view(state, caller, id, None, Some(message)).await {
            Ok(page) => (status, render(&page)).into_response(),
            Err(r) => r,
        }
    };
    if caller.require(Permission::EditPolicies).is_err() {
        let message = format!("the {} role may not retire documents", caller.role);
        return refuse(StatusCode::FORBIDDEN, message).await;
    }
    match arbiter_app::policies::retire(
        state.store(),
        state.policy_search(),
        &caller.principal,
        id,
        &form.summary,
    )
    .await
    {
        Ok(retired) => Redirect::to(&format!("/console/policy/{id}?retired={}", retired.version))
            .into_response(),
        Err(arbiter_app::policies::StatusRefusal::NoReason) => {
            let message = "Not retired: say why the document is retired.".to_owned();
            refuse(StatusCode::BAD_REQUEST, message).await
        }
        Err(e) => crate::problem::status_refused(e, id).into_response(),
    }
}
