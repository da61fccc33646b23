//! RFC 9457 problem details: the one shape of every error the service returns.

use arbiter_app::access::Forbidden;
use arbiter_app::cases::CaseError;
use arbiter_app::policies::{DraftError, StatusRefusal};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error as `application/problem+json`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:arbiter:problem:invalid-request`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short, the same for every occurrence of this kind.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, and where.
    pub detail: String,
    /// Each finding, when there are several (rule text): where it is and what to do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
    #[serde(skip)]
    www_authenticate: bool,
    /// Seconds after which the same request may succeed (`Retry-After`).
    #[serde(skip)]
    retry_after: Option<u64>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            problem_type: format!("urn:arbiter:problem:{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            www_authenticate: false,
            retry_after: None,
        }
    }

    /// The server is busy with work of this kind; the same request may succeed after
    /// `retry_after` seconds.
    pub fn busy(detail: impl Into<String>, retry_after: u64) -> Problem {
        Problem {
            retry_after: Some(retry_after),
            ..Problem::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Busy", detail)
        }
    }

    /// A request understood but not acceptable as it stands (rule text that does not check).
    pub fn unprocessable(detail: impl Into<String>, errors: Vec<ProblemItem>) -> Problem {
        let mut problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unprocessable",
            "Not acceptable as it stands",
            detail,
        );
        problem.errors = errors;
        problem
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-request",
            "Invalid request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        let mut problem = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        );
        problem.www_authenticate = true;
        problem
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    pub fn too_large(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request too large",
            detail,
        )
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    /// A failure on our side. The detail is logged, not shown: it may hold internals.
    pub fn internal(error: &dyn std::fmt::Display) -> Problem {
        tracing::error!(%error, "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server could not complete the request; the error is in its log",
        )
    }
}

/// One finding in a text the request carried.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemItem {
    /// `error` or `warning`.
    pub severity: String,
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The finding drawn as a compiler would: the line and a caret under the spot.
    pub rendered: String,
}

impl From<arbiter_store::StoreError> for Problem {
    fn from(error: arbiter_store::StoreError) -> Problem {
        match error {
            arbiter_store::StoreError::Conflict(what) => {
                Problem::conflict(format!("{what} already exists"))
            }
            arbiter_store::StoreError::Stale(why) => Problem::conflict(why),
            full if full.is_disk_full() => {
                tracing::error!(error = %full, "a write failed: the database's disk is full");
                Problem::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "disk-full",
                    "Disk full",
                    "the database's disk is full: nothing of this request was stored; send it again once space is freed",
                )
            }
            other => Problem::internal(&other),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.www_authenticate {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"arbiter\""),
            );
        }
        response
    }
}

/// Unknown routes. A path typed with a trailing slash (`/console/`) is sent, method and body
/// kept, to the same path without it, which is how every route is named. Only paths that
/// begin like a route (a slash, then a letter or digit) are: `//host/` or `/\host/` would
/// otherwise become a redirect to another site.
pub async fn no_such_route(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = uri.path();
    let like_a_route = path
        .as_bytes()
        .get(1)
        .is_some_and(u8::is_ascii_alphanumeric);
    if like_a_route && path.ends_with('/') {
        let target = match uri.query() {
            Some(query) => format!("{}?{query}", path.trim_end_matches('/')),
            None => path.trim_end_matches('/').to_owned(),
        };
        return axum::response::Redirect::permanent(&target).into_response();
    }
    Problem::not_found(format!(
        "no route {path}; the API is described at /openapi.json"
    ))
    .into_response()
}

/// Known routes called with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// Most bytes of a plain-text error kept as a problem's detail.
const MAX_DETAIL_BYTES: usize = 2_048;

/// Turns every error answer that is not yet a problem document into one: axum's extractor
/// rejections (a path segment that does not parse, such as an overflowing id or invalid UTF-8,
/// a query string, a JSON, form or multipart body that does not fit, a body over the limit)
/// answer in plain text, and so do a few console forms. The plain text becomes the `detail`.
/// HTML error pages of the console, meant for people, are kept.
pub async fn plain_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/problem+json") || content_type.starts_with("text/html")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_DETAIL_BYTES * 4).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut detail: String = text.trim().to_owned();
    if detail.len() > MAX_DETAIL_BYTES {
        let mut end = MAX_DETAIL_BYTES;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
    }
    if detail.is_empty() {
        detail = status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_owned();
    }
    let problem = match status {
        StatusCode::BAD_REQUEST => Problem::bad_request(detail),
        StatusCode::NOT_FOUND => Problem::not_found(detail),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::too_large(detail),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::unsupported_media_type(detail),
        StatusCode::UNPROCESSABLE_ENTITY => Problem::unprocessable(detail, Vec::new()),
        StatusCode::FORBIDDEN => Problem::forbidden(detail),
        StatusCode::CONFLICT => Problem::conflict(detail),
        status if status.is_server_error() => {
            tracing::error!(%status, %detail, "request failed");
            Problem::new(
                status,
                "internal",
                "Internal error",
                "the server could not complete the request; the error is in its log",
            )
        }
        status => Problem::new(status, "invalid-request", "Invalid request", detail),
    };
    let mut converted = problem.into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            converted.headers_mut().append(name.clone(), value.clone());
        }
    }
    converted
}

/// A refused draft of document `id` as a problem, each located error with the line of
/// `source` it points into.
pub fn draft_refused(refusal: DraftError, id: &str, source: &str) -> Problem {
    match refusal {
        DraftError::TooLarge => Problem::too_large(format!(
            "a document file may be at most {} bytes",
            arbiter_app::policies::MAX_DOCUMENT_BYTES
        )),
        DraftError::NoSummary => Problem::bad_request("summary: say why the document changed"),
        DraftError::DoesNotCheck(errors) => file_problem(&errors, source),
        DraftError::WrongId(found) => Problem::bad_request(format!(
            "the file's id is {found} but the address names {id}"
        )),
        DraftError::NotADraft(status) => Problem::bad_request(format!(
            "status: a new version is a draft or in review, not {}; publish {id} with POST /v1/policies/{id}/publish, reviewed by someone other than its author",
            status.as_str()
        )),
        DraftError::Store(e) => e.into(),
    }
}

/// Located file errors as a 422 problem, each with a caret under its spot.
fn file_problem(errors: &[arbiter_policy::FileError], source: &str) -> Problem {
    let items = errors
        .iter()
        .map(|e| {
            let line = source.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
            ProblemItem {
                severity: "error".into(),
                line: e.line,
                column: e.column,
                message: e.message.clone(),
                hint: None,
                rendered: format!(
                    "{}:{}: {}\n  | {line}\n  | {}^",
                    e.line,
                    e.column,
                    e.message,
                    " ".repeat(e.column.saturating_sub(1))
                ),
            }
        })
        .collect();
    Problem::unprocessable(
        format!("the document does not check: {} error(s)", errors.len()),
        items,
    )
}

/// A refused change of document `id`'s status as a problem.
pub fn status_refused(refusal: StatusRefusal, id: &str) -> Problem {
    match refusal {
        StatusRefusal::NoSuchDocument => {
            Problem::not_found(format!("no document {id:?} in the library"))
        }
        StatusRefusal::AlreadyPublished { version } => {
            Problem::conflict(format!("{id} v{version} is already published"))
        }
        StatusRefusal::AlreadyRetired { version } => {
            Problem::conflict(format!("{id} was retired in v{version}"))
        }
        StatusRefusal::NoReason => Problem::bad_request("summary: say why the document is retired"),
        StatusRefusal::OwnWork { version, author } => Problem::forbidden(format!(
            "publishing needs a reviewer other than the author: {id} v{version} was written by {author}"
        )),
        StatusRefusal::Store(e) => e.into(),
    }
}

impl From<CaseError> for Problem {
    fn from(e: CaseError) -> Problem {
        match e {
            CaseError::NotFound(_) => Problem::not_found(e.to_string()),
            CaseError::Refused(arbiter_resolve::Refused::Step(_)) => {
                Problem::conflict(e.to_string())
            }
            // Well formed, refused for what it means against the case, the configuration
            // or the policy library: the document cannot state these, so they are not 400.
            CaseError::Refused(_) | CaseError::Invalid(_) => {
                Problem::unprocessable(e.to_string(), Vec::new())
            }
            CaseError::Store(e) => e.into(),
        }
    }
}

impl From<Forbidden> for Problem {
    fn from(e: Forbidden) -> Problem {
        Problem::forbidden(e.0)
    }
}
