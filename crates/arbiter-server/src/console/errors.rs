//! Console errors as pages: whatever a console route answers with an error (a problem document
//! from a handler or the store, an extractor's plain-text rejection, an unknown path, a wrong
//! method, a panic, a cross-site form refused) reaches the browser as an HTML page in the console's layout, with the same
//! status, a plain sentence and a way back. The API keeps its problem documents.

use super::{AREAS, Area, SignedIn};
use crate::AppState;
use crate::auth::session_secret;
use arbiter_store::TokenKind;
use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    heading: String,
    sentence: &'static str,
    detail: String,
    back: Option<(&'static str, &'static str)>,
}

/// Whether an answer to `path` is for a person in a browser (console pages, not their assets).
fn is_console_page(path: &str) -> bool {
    (path == "/console" || path.starts_with("/console/")) && !path.starts_with("/console/assets/")
}

/// The layer: console errors become pages; everything else passes untouched.
pub(crate) async fn error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !is_console_page(&path) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let (parts, body) = request.into_parts();
    let secret = session_secret(&parts).map(str::to_owned);
    let response = next.run(Request::from_parts(parts, body)).await;
    let status = response.status();
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if status.as_u16() < 400 || is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 256 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let signed_in = match secret {
        Some(secret) => state
            .tokens()
            .authenticate(state.store(), &secret, arbiter_app::now())
            .await
            .ok()
            .flatten()
            .filter(|c| c.kind == TokenKind::Session)
            .map(|c| SignedIn::from(&c)),
        None => None,
    };
    let page = page_for(status, &method, &path, &text, signed_in);
    let html = page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the error page did not render");
        format!(
            "<!doctype html><title>Error</title><p>{}</p>",
            page.sentence
        )
    });
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::WWW_AUTHENTICATE);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Response::from_parts(parts, Body::from(html))
}

/// What the page says for an error `status` whose body was `text` (a problem document or a
/// plain-text rejection).
fn page_for(
    status: StatusCode,
    method: &axum::http::Method,
    path: &str,
    text: &str,
    signed_in: Option<SignedIn>,
) -> ErrorPage {
    let problem: Option<serde_json::Value> = serde_json::from_str(text).ok();
    let field = |name: &str| {
        problem
            .as_ref()
            .and_then(|p| p.get(name))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let kind = field("type").unwrap_or_default();
    let mut detail = match &problem {
        Some(_) => field("detail").unwrap_or_default(),
        None => text.trim().to_owned(),
    };
    let heading = field("title").unwrap_or_else(|| {
        status
            .canonical_reason()
            .unwrap_or("Something went wrong")
            .to_owned()
    });
    let sentence = match status.as_u16() {
        404 if kind.ends_with(":not-found") && detail.starts_with("no route ") => {
            detail = format!("There is no page at {path}.");
            "This address is not a page of the console. Check it, or go back and follow a link."
        }
        404 => {
            "What this page shows does not exist: check the address, or go back and follow a link."
        }
        405 => {
            detail = format!("{method} is not how {path} is used.");
            "This page cannot be used that way."
        }
        403 if kind.ends_with(":cross-site-request") => {
            "The request came from another site, so it was refused and nothing was changed."
        }
        400 | 422 => "This could not be done as it was sent, and nothing was changed.",
        401 | 403 => "Your role does not allow this, and nothing was changed.",
        409 => {
            "Someone changed this at the same time, so nothing was changed. Reload the page and try again."
        }
        413 => "What was sent is too large, and nothing was changed.",
        415 => "The form was sent in a way the server does not accept, and nothing was changed.",
        429 | 503 => "The server is busy. Try again in a moment.",
        507 => {
            "The server's disk is full, so nothing was stored. Try again once space has been freed."
        }
        _ => {
            detail.clear();
            "Something went wrong on the server; the failure is in its log. Try again, and tell an admin if it keeps happening."
        }
    };
    ErrorPage {
        detail: as_sentence(&detail),
        signed_in,
        area: area_of(path).map_or("", |a| a.0),
        areas: AREAS,
        heading,
        sentence,
        back: area_of(path).map(|a| (a.1, a.2)),
    }
}

/// `there is no case case_9` as `There is no case case_9.`: details written for the API read
/// as sentences on a page.
fn as_sentence(detail: &str) -> String {
    let detail = detail.trim();
    let mut chars = detail.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?', ')', '"', '”']) {
        out.push('.');
    }
    out
}

/// The area a console path belongs to: its slug (for the navigation), where it starts and
/// the way back to it.
fn area_of(path: &str) -> Option<(&'static str, &'static str, &'static str)> {
    let first = path.trim_start_matches("/console").trim_start_matches('/');
    let first = first.split('/').next().unwrap_or("");
    match first {
        "events" => Some(("events", "/console/events", "Back to the events")),
        "protect" => Some(("protect", "/console/protect", "Back to Protect")),
        "resolve" => Some(("resolve", "/console/resolve", "Back to the cases")),
        "policy" => Some(("policy", "/console/policy", "Back to the policy library")),
        "staff" => Some(("staff", "/console/staff", "Back to staff accounts")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_pages_become_error_pages() {
        assert!(is_console_page("/console"));
        assert!(is_console_page("/console/resolve/cases/1"));
        assert!(!is_console_page("/console/assets/arbiter.css"));
        assert!(!is_console_page("/consoles"));
        assert!(!is_console_page("/v1/events"));
        assert!(!is_console_page("/healthz"));
    }

    #[test]
    fn details_read_as_sentences() {
        assert_eq!(
            as_sentence("there is no case case_9"),
            "There is no case case_9."
        );
        assert_eq!(as_sentence("Done."), "Done.");
        assert_eq!(as_sentence("  "), "");
    }

    #[test]
    fn an_unknown_path_is_named_in_plain_words() {
        let page = page_for(
            StatusCode::NOT_FOUND,
            &axum::http::Method::GET,
            "/console/nope",
            r#"{"type":"urn:arbiter:problem:not-found","title":"Not found","status":404,"detail":"no route /console/nope; the API is described at /openapi.json"}"#,
            None,
        );
        assert_eq!(page.detail, "There is no page at /console/nope.");
        assert_eq!(page.heading, "Not found");
        let page = page_for(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &axum::http::Method::POST,
            "/console/resolve/open",
            "Expected request with `Content-Type: application/x-www-form-urlencoded`",
            None,
        );
        assert!(page.detail.contains("Content-Type"), "{}", page.detail);
        assert_eq!(page.back.unwrap().0, "/console/resolve");
    }
}
