//! `/v1/policies`: the policy library — documents, their versions, word diffs between versions,
//! and where each document is cited.

use crate::AppState;
use crate::extract::ApiQuery;
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_model::Permission;
use arbiter_policy::{Change, Citation, Document, parse_document};
use arbiter_store::{PolicyDocumentRecord, PolicyVersionRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A document as the library lists it.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicySummary {
    id: String,
    /// `policy`, `procedure`, `standard`, `guarantee_terms`, `help_article`,
    /// `message_template` or `terms_section`.
    kind: String,
    title: String,
    /// `draft`, `in_review`, `published` or `retired`.
    status: String,
    locale: String,
    audience: Vec<String>,
    /// Empty for every market.
    markets: Vec<String>,
    tags: Vec<String>,
    owner: String,
    variant_of: Option<String>,
    next_review: Option<String>,
    version: i64,
    updated_at: String,
}

impl From<PolicyDocumentRecord> for PolicySummary {
    fn from(d: PolicyDocumentRecord) -> PolicySummary {
        PolicySummary {
            id: d.id,
            kind: d.kind,
            title: d.title,
            status: d.status,
            locale: d.locale,
            audience: d.audience,
            markets: d.markets,
            tags: d.tags,
            owner: d.owner,
            variant_of: d.variant_of,
            next_review: d.next_review,
            version: d.version,
            updated_at: arbiter_model::format_micros(d.updated_at),
        }
    }
}

/// Which documents to list; every filter narrows.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PolicyFilter {
    kind: Option<String>,
    /// Documents written for this audience.
    audience: Option<String>,
    /// Documents that apply in this market (including those for every market).
    market: Option<String>,
    locale: Option<String>,
    status: Option<String>,
    tag: Option<String>,
}

impl PolicyFilter {
    /// The filter with its names checked; an empty parameter (a form left blank) filters
    /// nothing.
    fn checked(self) -> Result<arbiter_policy::SearchFilter, Problem> {
        fn named<T: Copy>(
            value: Option<String>,
            name: &str,
            all: &[T],
            as_str: fn(T) -> &'static str,
        ) -> Result<Option<T>, Problem> {
            let Some(v) = value.filter(|v| !v.is_empty()) else {
                return Ok(None);
            };
            all.iter()
                .copied()
                .find(|x| as_str(*x) == v)
                .map(Some)
                .ok_or_else(|| {
                    let names: Vec<&str> = all.iter().map(|x| as_str(*x)).collect();
                    Problem::bad_request(format!(
                        "{name}: {v:?} is not one of {}",
                        names.join(", ")
                    ))
                })
        }
        let given = |value: Option<String>| value.filter(|v| !v.is_empty());
        Ok(arbiter_policy::SearchFilter {
            kind: named(self.kind, "kind", arbiter_policy::Kind::ALL, |k| k.as_str())?,
            audience: named(
                self.audience,
                "audience",
                arbiter_policy::Audience::ALL,
                |a| a.as_str(),
            )?,
            market: given(self.market),
            locale: given(self.locale),
            status: named(self.status, "status", arbiter_policy::Status::ALL, |s| {
                s.as_str()
            })?,
            tag: given(self.tag),
        })
    }
}

/// Every document of the library, by id, filtered.
#[utoipa::path(get, path = "/v1/policies", tag = "policies", security(("bearer" = [])),
    params(PolicyFilter),
    responses((status = 200, body = Vec<PolicySummary>), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn list_policies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<PolicyFilter>,
) -> Result<Json<Vec<PolicySummary>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let filter = filter.checked()?;
    let matches = |d: &PolicyDocumentRecord| {
        filter.kind.is_none_or(|k| d.kind == k.as_str())
            && filter
                .audience
                .is_none_or(|a| d.audience.iter().any(|x| x == a.as_str()))
            && filter
                .market
                .as_ref()
                .is_none_or(|m| d.markets.is_empty() || d.markets.contains(m))
            && filter.locale.as_ref().is_none_or(|l| d.locale == *l)
            && filter.status.is_none_or(|st| d.status == st.as_str())
            && filter.tag.as_ref().is_none_or(|t| d.tags.contains(t))
    };
    Ok(Json(
        state
            .store()
            .policy_documents()
            .await?
            .into_iter()
            .filter(matches)
            .map(PolicySummary::from)
            .collect(),
    ))
}

/// A clause of a document.
#[derive(Serialize, ToSchema)]
pub(crate) struct ClauseView {
    /// `3.2`: cited as `ID §3.2`.
    number: String,
    title: String,
    /// Line of its heading in the body.
    line: usize,
}

/// Something that cites a document.
#[derive(Serialize, ToSchema)]
pub(crate) struct CitedBy {
    /// `document` or `rule`.
    kind: &'static str,
    /// The citing document's id, or the rule's id.
    id: String,
    /// The ruleset version holding the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    ruleset_version: Option<i64>,
    /// The clause cited, when one is.
    clause: Option<String>,
}

/// One document: its newest version, clauses, what it cites and what cites it.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyView {
    #[serde(flatten)]
    summary: PolicySummary,
    effective: Option<String>,
    review_every_months: Option<u32>,
    /// Markdown.
    body: String,
    /// The document as a file: front matter and body.
    source: String,
    clauses: Vec<ClauseView>,
    /// Documents and clauses this one cites.
    #[schema(value_type = Vec<Object>)]
    cites: Vec<CitationView>,
    /// Documents of the library and rules in force that cite this one.
    cited_by: Vec<CitedBy>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CitationView {
    document: String,
    clause: Option<String>,
}

impl From<Citation> for CitationView {
    fn from(c: Citation) -> CitationView {
        CitationView {
            document: c.document,
            clause: c.clause,
        }
    }
}

fn stored_document(version: &PolicyVersionRecord) -> Result<Document, Problem> {
    parse_document(&version.source).map_err(|errors| {
        Problem::internal(&format!(
            "stored document {} v{} does not read: {}",
            version.document_id,
            version.version,
            errors.first().map(ToString::to_string).unwrap_or_default()
        ))
    })
}

/// A document's newest version, its clauses, what it cites and what cites it.
#[utoipa::path(get, path = "/v1/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path, description = "Document id, e.g. POL-PAYMENTS")),
    responses((status = 200, body = PolicyView), (status = 404, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn get_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PolicyView>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let store = state.store();
    let record = store
        .policy_documents()
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| Problem::not_found(format!("no document {id:?} in the library")))?;
    let this = store
        .policy_versions(&id)
        .await?
        .pop()
        .map(|v| stored_document(&v).map(|d| (v.source, d)))
        .transpose()?;
    let index = state.policy_search().index(store).await?;
    let cited_by = arbiter_app::policies::citers(store, index.documents(), &id)
        .await?
        .into_iter()
        .map(|c| CitedBy {
            kind: c.kind,
            id: c.id,
            ruleset_version: c.ruleset_version,
            clause: c.clause,
        })
        .collect();
    let Some((source, document)) = this else {
        return Err(Problem::internal(
            &"a listed document has no current version",
        ));
    };
    let mut cites: Vec<Citation> = arbiter_policy::citations(&document.body);
    cites.sort();
    cites.dedup();
    Ok(Json(PolicyView {
        summary: record.into(),
        effective: document.effective.map(|d| d.to_string()),
        review_every_months: document.review_every_months,
        clauses: arbiter_policy::clauses(&document.body)
            .into_iter()
            .map(|c| ClauseView {
                number: c.number,
                title: c.title,
                line: c.line,
            })
            .collect(),
        cites: cites.into_iter().map(CitationView::from).collect(),
        cited_by,
        body: document.body,
        source,
    }))
}

/// One stored version of a document.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyVersionView {
    version: i64,
    status: String,
    author: String,
    reviewed_by: Option<String>,
    summary: String,
    created_at: String,
}

/// Every version of a document, newest first.
#[utoipa::path(get, path = "/v1/policies/{id}/versions", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<PolicyVersionView>), (status = 404, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn list_policy_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<PolicyVersionView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let versions = state.store().policy_versions(&id).await?;
    if versions.is_empty() {
        return Err(Problem::not_found(format!(
            "no document {id:?} in the library"
        )));
    }
    Ok(Json(
        versions
            .into_iter()
            .rev()
            .map(|v| PolicyVersionView {
                version: v.version,
                status: v.status,
                author: v.author,
                reviewed_by: v.reviewed_by,
                summary: v.summary,
                created_at: arbiter_model::format_micros(v.created_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiffQuery {
    /// The older version.
    from: i64,
    /// The newer version.
    to: i64,
}

/// A run of text the same in both versions, or only in one.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChangeView {
    /// `same`, `removed` or `added`.
    op: &'static str,
    text: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyDiff {
    id: String,
    from: i64,
    to: i64,
    /// Word by word; the runs joined in order give the old text (same + removed) or the new
    /// one (same + added).
    changes: Vec<ChangeView>,
}

/// The words that changed between two versions of a document, front matter included.
#[utoipa::path(get, path = "/v1/policies/{id}/diff", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = PolicyDiff), (status = 404, body = Problem),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn diff_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> Result<Json<PolicyDiff>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let versions = state.store().policy_versions(&id).await?;
    if versions.is_empty() {
        return Err(Problem::not_found(format!(
            "no document {id:?} in the library"
        )));
    }
    let find = |n: i64| {
        versions.iter().find(|v| v.version == n).ok_or_else(|| {
            Problem::not_found(format!(
                "{id} has no version {n}: its versions are 1 to {}",
                versions.len()
            ))
        })
    };
    let (old, new) = (find(query.from)?, find(query.to)?);
    let changes = arbiter_policy::word_diff(&old.source, &new.source)
        .into_iter()
        .map(|change| match change {
            Change::Same(text) => ChangeView { op: "same", text },
            Change::Removed(text) => ChangeView {
                op: "removed",
                text,
            },
            Change::Added(text) => ChangeView { op: "added", text },
        })
        .collect();
    Ok(Json(PolicyDiff {
        id,
        from: query.from,
        to: query.to,
        changes,
    }))
}

/// A version in the change feed.
#[derive(Serialize, ToSchema)]
pub(crate) struct PolicyChangeView {
    document_id: String,
    title: String,
    version: i64,
    /// `new`, `published`, `retired` or `changed`.
    change: &'static str,
    status: String,
    author: String,
    reviewed_by: Option<String>,
    summary: String,
    created_at: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangesQuery {
    /// RFC 3339; default 30 days ago.
    since: Option<String>,
}

/// The versions stored since a time, newest first: the change feed.
async fn changes(state: &AppState, since: Option<&str>) -> Result<Vec<PolicyChangeView>, Problem> {
    let since = match since {
        Some(text) => crate::api::parse_time("since", text)?,
        None => arbiter_app::now() - 30 * 86_400_000_000,
    };
    Ok(state
        .store()
        .policy_changes(since, 1_000)
        .await?
        .into_iter()
        .map(|c| PolicyChangeView {
            change: arbiter_app::policies::change_kind(&c),
            document_id: c.version.document_id,
            title: c.title,
            version: c.version.version,
            status: c.version.status,
            author: c.version.author,
            reviewed_by: c.version.reviewed_by,
            summary: c.version.summary,
            created_at: arbiter_model::format_micros(c.version.created_at),
        })
        .collect())
}

/// What was published, retired or changed since a time (at most 1,000 versions).
#[utoipa::path(get, path = "/v1/policies/changes", tag = "policies", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, body = Vec<PolicyChangeView>), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn list_policy_changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<Json<Vec<PolicyChangeView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    Ok(Json(changes(&state, query.since.as_deref()).await?))
}

/// The change feed as Atom (RFC 4287), for feed readers and chat integrations.
#[utoipa::path(get, path = "/v1/policies/changes.atom", tag = "policies", security(("bearer" = [])),
    params(ChangesQuery),
    responses((status = 200, description = "Atom feed", content_type = "application/atom+xml"),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn policy_changes_atom(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ChangesQuery>,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    caller.require(Permission::ReadEvents)?;
    let changes = changes(&state, query.since.as_deref()).await?;
    let updated = changes.first().map_or_else(
        || arbiter_model::format_micros(arbiter_app::now()),
        |c| c.created_at.clone(),
    );
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>urn:arbiter:policy-changes</id>\n<title>Policy library changes</title>\n<updated>{updated}</updated>\n"
    );
    for c in &changes {
        let reviewed = c
            .reviewed_by
            .as_deref()
            .map(|r| format!(", reviewed by {r}"))
            .unwrap_or_default();
        xml.push_str(&format!(
            "<entry>\n<id>urn:arbiter:policy:{id}:v{version}</id>\n<title>{id} v{version} {change}: {title}</title>\n\
             <updated>{at}</updated>\n<author><name>{author}</name></author>\n\
             <link href=\"/v1/policies/{id}\"/>\n<summary>{summary} ({status}{reviewed})</summary>\n</entry>\n",
            id = xml_text(&c.document_id),
            version = c.version,
            change = c.change,
            title = xml_text(&c.title),
            at = c.created_at,
            author = xml_text(&c.author),
            summary = xml_text(&c.summary),
            status = xml_text(&c.status),
            reviewed = xml_text(&reviewed),
        ));
    }
    xml.push_str("</feed>\n");
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/atom+xml; charset=utf-8",
        )],
        xml,
    )
        .into_response())
}

/// Text made safe for XML content and attributes.
fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReviewsQuery {
    /// `YYYY-MM-DD`; default today.
    on: Option<String>,
}

/// Published documents whose review date has come by a day (default today): the review
/// reminders, oldest first.
#[utoipa::path(get, path = "/v1/policies/reviews-due", tag = "policies", security(("bearer" = [])),
    params(ReviewsQuery),
    responses((status = 200, body = Vec<PolicySummary>), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn reviews_due(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ReviewsQuery>,
) -> Result<Json<Vec<PolicySummary>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let on = match query.on {
        Some(text) => time::Date::parse(
            &text,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| Problem::bad_request(format!("on: {text:?} is not a date like 2026-12-31")))?,
        None => time::OffsetDateTime::now_utc().date(),
    };
    let on = on.to_string();
    let mut due: Vec<PolicyDocumentRecord> = state
        .store()
        .policy_documents()
        .await?
        .into_iter()
        .filter(|d| d.status == "published")
        .filter(|d| d.next_review.as_ref().is_some_and(|r| *r <= on))
        .collect();
    due.sort_by(|a, b| a.next_review.cmp(&b.next_review).then(a.id.cmp(&b.id)));
    Ok(Json(due.into_iter().map(PolicySummary::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// Words and `"quoted phrases"`; at most 500 characters.
    q: String,
    kind: Option<String>,
    audience: Option<String>,
    market: Option<String>,
    locale: Option<String>,
    status: Option<String>,
    tag: Option<String>,
    /// At most this many documents (1 to 100, default 20).
    limit: Option<usize>,
}

/// A document found, with the clause that matched best.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchHitView {
    id: String,
    title: String,
    /// The clause that matched best; absent for the text before the first clause.
    clause: Option<String>,
    clause_title: Option<String>,
    score: f64,
    /// HTML: escaped text with the matched words in `<mark>`.
    snippet: String,
}

/// Full-text search of the library's newest versions, clause by clause, best first.
#[utoipa::path(get, path = "/v1/policies/search", tag = "policies", security(("bearer" = [])),
    params(SearchQuery),
    responses((status = 200, body = Vec<SearchHitView>), (status = 400, body = Problem),
        (status = 401, body = Problem)))]
pub(crate) async fn search_policies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHitView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit: {limit} is not between 1 and 100"
        )));
    }
    let filter = PolicyFilter {
        kind: query.kind,
        audience: query.audience,
        market: query.market,
        locale: query.locale,
        status: query.status,
        tag: query.tag,
    }
    .checked()?;
    let index = state.policy_search().index(state.store()).await?;
    let hits = index
        .search(&query.q, &filter, limit)
        .map_err(|e| Problem::unprocessable(format!("q: {e}"), Vec::new()))?;
    Ok(Json(
        hits.into_iter()
            .map(|h| SearchHitView {
                id: h.document,
                title: h.title,
                clause: h.clause,
                clause_title: h.clause_title,
                score: h.score,
                snippet: h.snippet,
            })
            .collect(),
    ))
}

/// A new version of a document, as a whole file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyDraft {
    /// The document file: TOML front matter between `+++` lines, then Markdown. Its status
    /// must be `draft` or `in_review`: publishing is a review (`POST …/publish`).
    source: String,
    /// Why it changed.
    summary: String,
}

/// What storing a version answered, with what may need a look.
#[derive(Serialize, ToSchema)]
pub(crate) struct SavedVersion {
    id: String,
    /// The new version; absent when the file did not change.
    version: Option<i64>,
    /// Clauses this version removes that documents or rules in force still cite.
    warnings: Vec<String>,
}

/// Stores a new draft or in-review version of a document (creating the document when new).
/// The file is checked as an import would (front matter, clauses, citations); a clause it
/// removes that others still cite is named in `warnings`.
#[utoipa::path(put, path = "/v1/policies/{id}", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PolicyDraft,
    responses((status = 200, body = SavedVersion), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 422, description = "The file does not check: every error located", body = Problem)))]
pub(crate) async fn put_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    crate::extract::ApiJson(draft): crate::extract::ApiJson<PolicyDraft>,
) -> Result<Json<SavedVersion>, Problem> {
    caller.require(Permission::EditPolicies)?;
    let drafted = arbiter_app::policies::save_draft(
        state.store(),
        state.policy_search(),
        &caller.principal,
        &id,
        &draft.source,
        &draft.summary,
    )
    .await
    .map_err(|e| crate::problem::draft_refused(e, &id, &draft.source))?;
    Ok(Json(SavedVersion {
        id,
        version: drafted.version,
        warnings: drafted.warnings,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishRequest {
    /// What the review found; defaults to "published after review".
    #[serde(default)]
    summary: Option<String>,
}

/// Publishes the newest version of a document after review: the caller is the reviewer and
/// must not be the version's author. The published version is a new version, kept with both.
#[utoipa::path(post, path = "/v1/policies/{id}/publish", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PublishRequest,
    responses((status = 201, body = SavedVersion), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn publish_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    crate::extract::ApiJson(request): crate::extract::ApiJson<PublishRequest>,
) -> Result<(axum::http::StatusCode, Json<SavedVersion>), Problem> {
    caller.require(Permission::EditPolicies)?;
    let version = arbiter_app::policies::publish(
        state.store(),
        &caller.principal,
        &id,
        request.summary.as_deref(),
    )
    .await
    .map_err(|e| crate::problem::status_refused(e, &id))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(SavedVersion {
            id,
            version: Some(version),
            warnings: Vec::new(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetireRequest {
    /// Why the document is retired.
    summary: String,
}

/// Retires a document: a new version with status `retired`. It leaves the help center at once;
/// documents and rules in force that still cite it come back as `warnings`.
#[utoipa::path(post, path = "/v1/policies/{id}/retire", tag = "policies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RetireRequest,
    responses((status = 201, body = SavedVersion), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn retire_policy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    crate::extract::ApiJson(request): crate::extract::ApiJson<RetireRequest>,
) -> Result<(axum::http::StatusCode, Json<SavedVersion>), Problem> {
    caller.require(Permission::EditPolicies)?;
    let retired = arbiter_app::policies::retire(
        state.store(),
        state.policy_search(),
        &caller.principal,
        &id,
        &request.summary,
    )
    .await
    .map_err(|e| crate::problem::status_refused(e, &id))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(SavedVersion {
            id,
            version: Some(retired.version),
            warnings: retired.warnings,
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct BulletinQuery {
    /// RFC 3339, inclusive.
    from: String,
    /// RFC 3339, exclusive.
    to: String,
}

/// The policy bulletin for a period: each document changed, clause by clause, as HTML.
#[utoipa::path(get, path = "/v1/policies/bulletin", tag = "policies", security(("bearer" = [])),
    params(BulletinQuery),
    responses((status = 200, description = "HTML", content_type = "text/html"),
        (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn policy_bulletin(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<BulletinQuery>,
) -> Result<axum::response::Html<String>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let from = crate::api::parse_time("from", &query.from)?;
    let to = crate::api::parse_time("to", &query.to)?;
    if to <= from {
        return Err(Problem::unprocessable("to: must be after from", Vec::new()));
    }
    let title = format!("Policy bulletin, {} to {}", query.from, query.to);
    Ok(axum::response::Html(
        arbiter_app::policies::bulletin(state.store(), from, to, &title).await?,
    ))
}
