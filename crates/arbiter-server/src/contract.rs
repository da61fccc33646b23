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
const PUBLIC_CONSOLE_PATHS: [&str; 7] = [
    "/",
    "/console/sign-in",
    "/console/sign-out",
    "/console/assets/arbiter.css",
    "/console/assets/editor.js",
    "/console/assets/resolve.js",
    "/console/assets/search.js",
];

/// Completes `document` (the document as JSON) in place.
pub(crate) fn finish(document: &mut Value) {
    constrain(document);
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
    let help = operation
        .get("tags")
        .and_then(Value::as_array)
        .is_some_and(|tags| tags.iter().any(|t| t == "help"));
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
        if code == 404 && help {
            // The help center's pages are for people: an unknown page is one too.
            response
                .entry("content")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("content is an object")
                .insert("text/html".into(), json!({"schema": {"type": "string"}}));
        }
        if code >= 400 {
            let content = response
                .entry("content")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("content is an object");
            if error_pages(path) {
                // The console answers people: every error is a page in its layout.
                content.clear();
                content.insert("text/html".into(), json!({"schema": {"type": "string"}}));
            } else {
                // A problem document is the one JSON error shape.
                content.remove("application/json");
                content.insert(
                    PROBLEM_JSON.to_owned(),
                    json!({ "schema": { "$ref": "#/components/schemas/Problem" } }),
                );
            }
        }
    }
}

/// Whether errors on `path` are HTML pages (the console, but its assets) rather than problem
/// documents.
fn error_pages(path: &str) -> bool {
    path.starts_with("/console") && !path.starts_with("/console/assets/")
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
                        let shape = if error_pages(path) {
                            "text/html"
                        } else {
                            PROBLEM_JSON
                        };
                        if code >= 400 && response["content"].get(shape).is_none() {
                            found.push(format!("{at} {status}: not {shape}"));
                        }
                    }
                }
            }
        }
    }
    found
}

/// Operations that answer 422 for a request the document cannot rule out.
const UNPROCESSABLE: [(&str, &str); 16] = [
    ("/v1/lists/{name}", "put"),
    ("/v1/lists/{name}/entries", "post"),
    ("/v1/decisions", "post"),
    ("/v1/cases", "post"),
    ("/v1/cases/bulk", "post"),
    ("/v1/cases/next", "post"),
    ("/v1/cases/{id}", "patch"),
    ("/v1/cases/{id}/steps", "post"),
    ("/v1/cases/{id}/decision", "post"),
    ("/v1/cases/{id}/ledger", "post"),
    ("/v1/cases/{id}/messages", "post"),
    ("/v1/cases/{id}/evidence", "post"),
    ("/v1/ledger/totals", "get"),
    ("/v1/policies/bulletin", "get"),
    ("/v1/policies/search", "get"),
    ("/v1/backtests", "post"),
];

/// White space as Rust's `char::is_whitespace` (Unicode `White_Space`) has it, for character
/// classes: ECMA 262's `\s` and Python's disagree with it and with each other.
const WHITE_SPACE: &str =
    r"\t\n\u000b\u000c\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A text with at least one character that is not white space (the server trims).
fn not_blank() -> String {
    format!("[^{WHITE_SPACE}]")
}

/// An RFC 3339 timestamp, or nothing (a filter left empty means "any").
fn time_or_empty() -> Value {
    json!({"type": "string", "anyOf": [
        {"format": "date-time"},
        {"pattern": format!("^[{WHITE_SPACE}]*$")}
    ]})
}

/// One of `values`, or nothing (a filter left empty means "any").
fn one_of_or_empty<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    let mut all: Vec<&str> = values.into_iter().collect();
    all.push("");
    json!({"type": "string", "enum": all})
}

fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Value {
    json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()})
}

fn page(most: u32) -> Value {
    json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": most})
}

/// Merges `patch` into `schema`: keys of the patch win; a nullable type stays nullable, and
/// then an `enum` also admits `null`.
fn merge(schema: &mut Value, patch: &Value) {
    let nullable = schema["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "null"))
        || schema["anyOf"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["type"] == "null"));
    if !schema.is_object() {
        *schema = json!({});
    }
    let object = schema.as_object_mut().expect("an object");
    for (key, value) in patch.as_object().expect("a patch is an object") {
        object.insert(key.clone(), value.clone());
    }
    if nullable {
        if let Some(Value::String(t)) = object.get("type").cloned() {
            object.insert("type".into(), json!([t, "null"]));
        }
        if let Some(Value::Array(values)) = object.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
    }
}

/// A property of a component schema.
fn field(document: &mut Value, schema: &str, name: &str, patch: Value) {
    let target = &mut document["components"]["schemas"][schema]["properties"][name];
    assert!(
        !target.is_null(),
        "no property {schema}.{name} to constrain"
    );
    merge(target, &patch);
}

/// A parameter of one operation.
fn parameter(document: &mut Value, path: &str, method: &str, name: &str, patch: Value) {
    let parameters = document["paths"][path][method]["parameters"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{method} {path} has no parameters"));
    let found = parameters
        .iter_mut()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"));
    let schema = &mut found["schema"];
    // A query or path parameter is never null.
    if let Some(types) = schema["type"].as_array() {
        let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        schema["type"] = if kept.len() == 1 {
            kept[0].clone()
        } else {
            Value::Array(kept)
        };
    }
    merge(schema, &patch);
}

/// The constraints the server enforces that the types alone do not say, from the very lists
/// and limits it checks against.
fn constrain(document: &mut Value) {
    use arbiter_resolve::{CaseType, Counterparty, EntryKind, Outcome, Priority, State, Step};
    let doc = document;
    let markets: Vec<&str> = arbiter_model::market_codes().collect();
    let currencies: Vec<&str> = arbiter_model::currency_codes().collect();
    let roles: Vec<&str> = arbiter_model::Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect();
    let verdicts = ["allow", "review", "block"];
    let actions = arbiter_rules::ActionKind::names();
    let list_name = json!({"type": "string", "pattern": "^[a-z0-9_]{1,64}$"});
    let document_id = json!({"type": "string", "maxLength": 64,
        "pattern": "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"});

    // The event contract, wherever one event is the body.
    doc["components"]["schemas"]["Event"] = arbiter_model::event_schema();
    doc["paths"]["/v1/decisions"]["post"]["requestBody"]["content"]["application/json"]["schema"] =
        json!({"$ref": "#/components/schemas/Event"});
    // A batch: each item is judged on its own, so any item is taken and answered per line.
    // More than 10,000 items is 413, not a schema violation.
    doc["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"] = json!({"type": "array", "items": {"description": "An event (see the Event schema); an item that is not one is refused on its own, in `rejected`."}});
    // Text bodies are read line by line: any text is taken, each line judged on its own.
    for (path, method, media) in [
        ("/v1/events", "post", "application/x-ndjson"),
        ("/v1/lists/{name}/entries", "post", "text/plain"),
        ("/v1/lists/{name}/entries", "post", "text/csv"),
    ] {
        doc["paths"][path][method]["requestBody"]["content"][media]["schema"] =
            json!({"description": "Text, one item a line"});
    }
    for (path, method) in UNPROCESSABLE {
        doc["paths"][path][method]["responses"]["422"] = json!({
            "description": "Well formed, but refused for what it means: against the configuration, the case's state, the policy library, or another field"
        });
    }

    // The sign-in form's fields (an object, so that its form encoding can be generated).
    doc["paths"]["/console/sign-in"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        ["schema"] = json!({
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "password": {"type": "string"},
            "token": {"type": "string", "description": "An API token, instead of a staff account"},
            "next": {"type": "string", "description": "Where to go once signed in: a path of this site"}
        }
    });

    // Listings.
    for path in ["/v1/events", "/console/events"] {
        parameter(doc, path, "get", "limit", page(1_000));
        parameter(
            doc,
            path,
            "get",
            "market",
            one_of_or_empty(markets.iter().copied()),
        );
        parameter(doc, path, "get", "from", time_or_empty());
        parameter(doc, path, "get", "to", time_or_empty());
    }
    let cursor =
        json!({"pattern": format!("^([+-]?[0-9]{{1,18}}\\.[+-]?[0-9]{{1,18}}|[{WHITE_SPACE}]*)$")});
    parameter(doc, "/v1/events", "get", "cursor", cursor.clone());
    parameter(doc, "/v1/decisions", "get", "cursor", cursor);
    for path in ["/v1/decisions", "/console/protect/decisions"] {
        parameter(doc, path, "get", "limit", page(1_000));
        parameter(doc, path, "get", "verdict", one_of_or_empty(verdicts));
        parameter(doc, path, "get", "from", time_or_empty());
        parameter(doc, path, "get", "to", time_or_empty());
    }
    parameter(doc, "/v1/effects", "get", "limit", page(1_000));
    parameter(
        doc,
        "/v1/effects",
        "get",
        "action",
        one_of_or_empty(actions.clone()),
    );
    parameter(
        doc,
        "/v1/effects",
        "get",
        "cursor",
        json!({"pattern": format!("^(eff_[0-9]{{1,18}}|[{WHITE_SPACE}]*)$")}),
    );
    let deliveries = "/v1/webhooks/{id}/deliveries";
    parameter(doc, deliveries, "get", "limit", page(1_000));
    parameter(
        doc,
        deliveries,
        "get",
        "state",
        one_of(["pending", "delivered", "failed"]),
    );

    // Cases.
    let states: Vec<&str> = State::ALL.iter().map(|s| s.as_str()).collect();
    let state = format!("[{WHITE_SPACE}]*({})[{WHITE_SPACE}]*", states.join("|"));
    parameter(
        doc,
        "/v1/cases",
        "get",
        "state",
        json!({
        "pattern": format!("^(open|{state}(,{state})*)$")}),
    );
    parameter(
        doc,
        "/v1/cases",
        "get",
        "type",
        one_of(CaseType::ALL.iter().map(|t| t.as_str())),
    );
    parameter(
        doc,
        "/v1/cases",
        "get",
        "priority",
        one_of(Priority::ALL.iter().map(|p| p.as_str())),
    );
    parameter(
        doc,
        "/v1/cases",
        "get",
        "due_before",
        json!({"format": "date-time"}),
    );
    parameter(
        doc,
        "/v1/cases",
        "get",
        "cursor",
        json!({"pattern": "^-?[0-9]{1,18}\\.-?[0-9]{1,18}$"}),
    );
    parameter(doc, "/v1/cases", "get", "limit", page(500));
    parameter(
        doc,
        "/v1/ledger/totals",
        "get",
        "from",
        json!({"format": "date-time"}),
    );
    parameter(
        doc,
        "/v1/ledger/totals",
        "get",
        "to",
        json!({"format": "date-time"}),
    );
    field(
        doc,
        "Amount",
        "currency",
        one_of(currencies.iter().copied()),
    );
    field(
        doc,
        "OpenCaseRequest",
        "type",
        one_of(CaseType::ALL.iter().map(|t| t.as_str())),
    );
    field(
        doc,
        "OpenCaseRequest",
        "market",
        one_of(markets.iter().copied()),
    );
    field(
        doc,
        "OpenCaseRequest",
        "priority",
        one_of(Priority::ALL.iter().map(|p| p.as_str())),
    );
    field(
        doc,
        "OpenCaseRequest",
        "summary",
        json!({"pattern": not_blank()}),
    );
    field(
        doc,
        "UpdateRequest",
        "priority",
        one_of(Priority::ALL.iter().map(|p| p.as_str())),
    );
    let steps: Vec<&str> = Step::ALL
        .iter()
        .filter(|s| **s != Step::Decide)
        .map(|s| s.as_str())
        .collect();
    field(doc, "StepRequest", "step", one_of(steps.iter().copied()));
    field(
        doc,
        "DecideCaseRequest",
        "outcome",
        one_of(Outcome::ALL.iter().map(|o| o.as_str())),
    );
    field(
        doc,
        "LedgerRequest",
        "kind",
        one_of(EntryKind::ALL.iter().map(|k| k.as_str())),
    );
    field(
        doc,
        "LedgerRequest",
        "counterparty",
        one_of(Counterparty::ALL.iter().map(|c| c.as_str())),
    );
    field(doc, "MessageRequest", "party", one_of(["client", "tasker"]));
    field(doc, "MessageRequest", "direction", one_of(["out", "in"]));
    field(
        doc,
        "BulkRequest",
        "cases",
        json!({"minItems": 1, "maxItems": 500}),
    );
    field(
        doc,
        "BulkRequest",
        "action",
        one_of(["assign", "priority", "queue", "step"]),
    );

    // Access.
    field(
        doc,
        "NewTokenRequest",
        "role",
        one_of(roles.iter().copied()),
    );
    field(
        doc,
        "NewTokenRequest",
        "label",
        json!({"minLength": 1, "maxLength": 200, "pattern": not_blank()}),
    );
    field(doc, "NewUserRequest", "role", one_of(roles.iter().copied()));
    field(
        doc,
        "NewUserRequest",
        "username",
        json!({"pattern": "^[A-Za-z0-9._@-]{1,64}$"}),
    );
    let password = json!({"minLength": arbiter_app::access::PASSWORD_CHARS.start(),
        "maxLength": arbiter_app::access::PASSWORD_CHARS.end()});
    field(doc, "NewUserRequest", "password", password.clone());
    field(doc, "NewPasswordRequest", "password", password);
    parameter(doc, "/v1/sign-ins", "get", "limit", page(1000));

    // Rules, lists, webhooks.
    field(
        doc,
        "BacktestRequest",
        "from",
        json!({"format": "date-time"}),
    );
    field(doc, "BacktestRequest", "to", json!({"format": "date-time"}));
    for (path, method) in [
        ("/v1/lists/{name}", "get"),
        ("/v1/lists/{name}", "put"),
        ("/v1/lists/{name}/entries", "post"),
        ("/v1/lists/{name}/versions", "get"),
    ] {
        parameter(doc, path, method, "name", list_name.clone());
    }
    parameter(
        doc,
        "/v1/lists/{name}/entries",
        "post",
        "mode",
        one_of(["append", "replace"]),
    );
    field(
        doc,
        "ListDraft",
        "entries",
        json!({
        "maxItems": arbiter_rules::MAX_LIST_VALUES,
        "items": {"type": "string", "maxLength": arbiter_rules::MAX_LIST_VALUE_BYTES, "pattern": "^[^\\n]*$",
            "description": "At most 256 bytes, one line; entries are trimmed, blank ones dropped."}}),
    );
    field(
        doc,
        "WebhookDraft",
        "url",
        json!({"maxLength": 2_000,
        "pattern": format!("^[{WHITE_SPACE}]*https?://[!-~]+[{WHITE_SPACE}]*$")}),
    );
    field(
        doc,
        "WebhookDraft",
        "actions",
        json!({"items": one_of(actions)}),
    );
    field(
        doc,
        "WebhookDraft",
        "topics",
        json!({"minItems": 1,
        "items": one_of(arbiter_store::TOPICS.iter().copied())}),
    );

    // Policies.
    let kinds: Vec<&str> = arbiter_policy::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let audiences: Vec<&str> = arbiter_policy::Audience::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    let statuses: Vec<&str> = arbiter_policy::Status::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    for path in ["/v1/policies", "/v1/policies/search"] {
        parameter(
            doc,
            path,
            "get",
            "kind",
            one_of_or_empty(kinds.iter().copied()),
        );
        parameter(
            doc,
            path,
            "get",
            "audience",
            one_of_or_empty(audiences.iter().copied()),
        );
        parameter(
            doc,
            path,
            "get",
            "status",
            one_of_or_empty(statuses.iter().copied()),
        );
    }
    parameter(
        doc,
        "/v1/policies/search",
        "get",
        "q",
        json!({"maxLength": arbiter_policy::MAX_QUERY_CHARS}),
    );
    parameter(doc, "/v1/policies/search", "get", "limit", page(100));
    for path in ["/v1/policies/changes", "/v1/policies/changes.atom"] {
        parameter(doc, path, "get", "since", json!({"format": "date-time"}));
    }
    parameter(
        doc,
        "/v1/policies/reviews-due",
        "get",
        "on",
        json!({"format": "date"}),
    );
    parameter(
        doc,
        "/v1/policies/bulletin",
        "get",
        "from",
        json!({"format": "date-time"}),
    );
    parameter(
        doc,
        "/v1/policies/bulletin",
        "get",
        "to",
        json!({"format": "date-time"}),
    );
    for (path, method) in [
        ("/v1/policies/{id}", "put"),
        ("/v1/policies/{id}/publish", "post"),
        ("/v1/policies/{id}/retire", "post"),
    ] {
        parameter(doc, path, method, "id", document_id.clone());
    }
    field(
        doc,
        "RetireRequest",
        "summary",
        json!({"pattern": not_blank()}),
    );
}
