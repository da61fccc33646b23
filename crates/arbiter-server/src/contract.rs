//! The last pass over the OpenAPI document: what every operation shares, stated once.
//!
//! The handlers' annotations describe what each operation does and answers when it succeeds
//! or fails for its own reasons. The answers every operation shares come from the layers
//! around them, so they are added here, from the same facts the layers act on:
//!
//! - every error is an RFC 9457 problem document (`application/problem+json`, [`Problem`]),
//!   including extractor rejections, which `problem::plain_errors` rewrites;
//! - an operation with parameters or a body answers 400 when one does not parse or breaks a
//!   documented constraint; one with a body answers 413 past its size limit and 415 for a
//!   content type it does not take; one with path parameters answers 404 when they name
//!   nothing; one that needs a bearer token answers 401 without one and 403 when its role
//!   does not allow the operation; any may answer 500;
//! - a console page answers 303 to the sign-in page when there is no session;
//! - every response has a description, as OpenAPI requires.
//!
//! [`Problem`]: crate::problem::Problem

use serde_json::{Map, Value, json};

/// The media type of every error.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Console routes anyone may call, without a session.
const PUBLIC_CONSOLE_PATHS: [&str; 6] = [
    "/",
    "/console/sign-in",
    "/console/sign-out",
    "/console/assets/arbiter.css",
    "/console/assets/editor.js",
    "/console/assets/resolve.js",
];

/// Completes `document` (the document as JSON) in place.
pub(crate) fn finish(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            if let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) {
                finish_operation(path, operation);
            }
        }
    }
}

fn finish_operation(path: &str, operation: &mut Map<String, Value>) {
    let console = operation
        .get("tags")
        .and_then(Value::as_array)
        .is_some_and(|tags| tags.iter().any(|t| t == "console"));
    let bearer = operation
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty());
    let parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let path_parameters = path.contains('{');
    let body = operation.contains_key("requestBody");

    let responses = operation
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| json!({ "description": description }));
    };
    if parameters > 0 || body || path_parameters {
        add(
            "400",
            "The request does not fit this description: a parameter or body that does not parse, or breaks a stated constraint",
        );
    }
    if bearer {
        add(
            "401",
            "No valid bearer token (`Authorization: Bearer TOKEN`)",
        );
        add("403", "The token's role does not allow this operation");
    }
    if body {
        add("413", "The body is larger than this operation takes");
        add(
            "415",
            "The body's `Content-Type` is not one this operation takes",
        );
    }
    if path_parameters && !console {
        add("404", "Nothing has this id");
    }
    if console && !PUBLIC_CONSOLE_PATHS.contains(&path) {
        add("303", "To the sign-in page, when there is no session");
    }
    add(
        "500",
        "A failure on the server's side; the details are in its log",
    );

    for (status, response) in responses.iter_mut() {
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        let code: u16 = status.parse().unwrap_or(0);
        let missing = response
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
        if missing {
            let reason = axum::http::StatusCode::from_u16(code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Answer");
            response.insert("description".into(), Value::String(reason.to_owned()));
        }
        if code >= 400 {
            let content = response
                .entry("content")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("content is an object");
            // A problem document is the one JSON error shape.
            content.remove("application/json");
            content.insert(
                PROBLEM_JSON.to_owned(),
                json!({ "schema": { "$ref": "#/components/schemas/Problem" } }),
            );
        }
    }
}

/// What a validator would refuse in `document`: responses without a description, path
/// parameters missing from their path, duplicate operation ids. Empty when well formed.
pub fn findings(document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut ids = std::collections::BTreeMap::<String, String>::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return vec!["no paths".into()];
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let at = format!("{} {path}", method.to_uppercase());
            if let Some(id) = operation.get("operationId").and_then(Value::as_str)
                && let Some(other) = ids.insert(id.to_owned(), at.clone())
            {
                found.push(format!("{at}: operationId {id:?} is also {other}'s"));
            }
            let mut declared = Vec::new();
            for parameter in operation
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = parameter["name"].as_str().unwrap_or("");
                if parameter["in"] == "path" {
                    declared.push(name.to_owned());
                    if !path.contains(&format!("{{{name}}}")) {
                        found.push(format!("{at}: path parameter {name:?} is not in the path"));
                    }
                    if parameter["required"] != true {
                        found.push(format!("{at}: path parameter {name:?} is not required"));
                    }
                }
            }
            for segment in path.split('/') {
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
                    && !declared.iter().any(|d| d == name)
                {
                    found.push(format!("{at}: {{{name}}} is not declared as a parameter"));
                }
            }
            match operation.get("responses").and_then(Value::as_object) {
                None => found.push(format!("{at}: no responses")),
                Some(responses) => {
                    for (status, response) in responses {
                        if response
                            .get("description")
                            .and_then(Value::as_str)
                            .is_none_or(str::is_empty)
                        {
                            found.push(format!("{at} {status}: no description"));
                        }
                        let code: u16 = status.parse().unwrap_or(0);
                        if code >= 400 && response["content"].get(PROBLEM_JSON).is_none() {
                            found.push(format!("{at} {status}: not a problem document"));
                        }
                    }
                }
            }
        }
    }
    found
}
