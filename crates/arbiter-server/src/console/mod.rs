//! The web console: server-rendered, accessible HTML that works without scripts.
//!
//! Sessions are console-only tokens (see [`crate::access`]) carried in an HttpOnly,
//! SameSite=Strict cookie (`Secure` when the public URL is https), and every form is checked
//! to come from the console itself ([`crate::security`]), so a page of another site cannot
//! act for a signed-in user.

use crate::AppState;
use crate::api::events::EventQuery;
use crate::auth::{ClientAddress, session_secret};
use crate::views::STYLESHEET;
use arbiter_app::access::{
    Caller, Credentials, SESSION_COOKIE, SESSION_HOURS, SignInRefusal, issue_session,
};
use arbiter_store::{StoredEvent, TokenKind};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) use errors::error_pages;

mod errors;
mod home;
mod members;
mod policy;
pub(crate) mod protect;
mod resolve;
mod search;
mod staff;

/// The areas of the product (PRODUCT.md), in the order a team meets them.
pub(crate) struct Area {
    pub slug: &'static str,
    /// Where the area's navigation link leads.
    pub href: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
}

#[rustfmt::skip]
pub(crate) const AREAS: &[Area] = &[
    Area { slug: "protect", href: "/console/protect", name: "Protect", summary: "Real-time decisions on every event: rules, lists, velocity, risk scores and the actions they take, each explained and logged." },
    Area { slug: "resolve", href: "/console/resolve", name: "Resolve", summary: "Claims, disputes and safety incidents from intake to payout: queues, SLAs, playbooks, guarantee eligibility and the loss ledger." },
    Area { slug: "standards", href: "/console/areas/standards", name: "Standards", summary: "Community standards for Clients and Taskers: violations, strikes, the enforcement ladder, notices with reasons, and appeals." },
    Area { slug: "policy", href: "/console/policy", name: "Policy", summary: "The versioned, searchable library of every policy, procedure, guarantee term and message template." },
    Area { slug: "measure", href: "/console/areas/measure", name: "Measure", summary: "KPIs and ROI per market, category and month, with targets, alerts and the monthly business review." },
    Area { slug: "decide", href: "/console/protect/backtest", name: "Decide", summary: "Replay history against a changed rule, guarantee term or ladder and see what would change before shipping it." },
    Area { slug: "markets", href: "/console/areas/markets", name: "Markets", summary: "Markets, currencies, locales and regional policy variants; EU DSA statements of reasons and transparency reports." },
];

/// Who the header shows as signed in.
pub(crate) struct SignedIn {
    label: String,
    role: String,
}

impl From<&Caller> for SignedIn {
    fn from(caller: &Caller) -> Self {
        SignedIn {
            label: caller.label.clone(),
            role: caller.role.to_string(),
        }
    }
}

/// A signed-in console user (a session, never an API token in a cookie); anyone else is sent
/// to the sign-in page.
pub(crate) struct Staff(pub(crate) Caller);

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = match session_secret(parts) {
            Some(secret) => state
                .tokens()
                .authenticate(state.store(), secret, arbiter_app::now())
                .await
                .map_err(|e| crate::problem::Problem::from(e).into_response())?
                .filter(|c| c.kind == TokenKind::Session),
            None => None,
        };
        caller.map(Staff).ok_or_else(|| {
            let next = parts
                .uri
                .path_and_query()
                .map_or("/console", |p| p.as_str());
            Redirect::to(&format!("/console/sign-in?next={}", percent_encode(next))).into_response()
        })
    }
}

/// Encodes a query-string value.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => crate::problem::Problem::internal(&e).into_response(),
    }
}

/// Lays JSON out two spaces to a level, keeping every member in the order it was received:
/// the text is re-spaced, never re-parsed.
fn indent_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = text.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn when(us: i64) -> String {
    arbiter_model::from_micros(us)
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_else(|| us.to_string())
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(home::overview))
        .routes(routes!(sign_in_page, sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(events))
        .routes(routes!(event))
        .routes(routes!(area))
        .routes(routes!(stylesheet))
        .merge(protect::routes())
        .merge(policy::routes())
        .merge(resolve::routes())
        .merge(staff::routes())
        .merge(search::routes())
        .merge(members::routes())
}

/// Sends visitors to the console.
#[utoipa::path(get, path = "/", tag = "console", responses((status = 303, description = "To /console")))]
async fn root() -> Redirect {
    Redirect::to("/console")
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    error: Option<String>,
    next: String,
    username: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only console paths are followed after sign-in, never another site: printable ASCII (a
/// browser sends anything else percent-encoded), no backslash, no line break that would end
/// the `Location` header. Anything else leads to the overview.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console")
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// The sign-in page.
#[utoipa::path(get, path = "/console/sign-in", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn sign_in_page(query: Result<Query<NextQuery>, QueryRejection>) -> Response {
    render(&SignInPage {
        signed_in: None,
        area: "sign-in",
        areas: AREAS,
        error: None,
        next: safe_next(query.as_ref().ok().and_then(|q| q.next.as_deref())),
        username: String::new(),
    })
}

#[derive(Deserialize)]
struct SignInForm {
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    next: Option<String>,
}

/// Signs in with a staff account or an API token and starts a session acting for it. Too many
/// recent failures for the account or from the address are answered 429 with `Retry-After`.
#[utoipa::path(post, path = "/console/sign-in", tag = "console",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "`username` and `password`, or `token`; optional `next`"),
    responses((status = 303, description = "Signed in"),
        (status = 401, description = "HTML with the error", content_type = "text/html"),
        (status = 403, description = "HTML: the account is disabled", content_type = "text/html"),
        (status = 429, description = "HTML: too many failed sign-ins, with `Retry-After`", content_type = "text/html")))]
async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or(SignInForm {
        username: None,
        password: None,
        token: None,
        next: None,
    });
    let next = safe_next(form.next.as_deref());
    let username = form.username.clone().unwrap_or_default();
    let now = arbiter_app::now();
    let credentials = match (
        form.token.as_deref(),
        username.as_str(),
        form.password.as_deref(),
    ) {
        (Some(token), _, _) if !token.trim().is_empty() => Some(Credentials::Token(token.trim())),
        (_, name, Some(password)) if !name.is_empty() => Some(Credentials::Password {
            username: name,
            password,
        }),
        _ => None,
    };
    let signed_in = match credentials {
        Some(credentials) => {
            arbiter_app::access::sign_in(state.app(), credentials, &address, now).await
        }
        None => Err(SignInRefusal::WrongCredentials),
    };
    let refuse = |status: StatusCode, message: String| {
        let page = SignInPage {
            signed_in: None,
            area: "sign-in",
            areas: AREAS,
            error: Some(message),
            next: next.clone(),
            username: username.clone(),
        };
        (status, render(&page)).into_response()
    };
    let who = match signed_in {
        Ok(who) => who,
        Err(SignInRefusal::WrongCredentials) => {
            tracing::info!(user = %username, %address, "console sign-in refused");
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Those credentials are not valid. Check them and try again.".into(),
            );
        }
        Err(SignInRefusal::Disabled) => {
            tracing::info!(user = %username, %address, "console sign-in to a disabled account");
            return refuse(
                StatusCode::FORBIDDEN,
                "This account is disabled. Ask an admin to enable it.".into(),
            );
        }
        Err(SignInRefusal::TooManyFailures { retry_after }) => {
            tracing::warn!(user = %username, %address, retry_after, "console sign-in locked out");
            let until = when(now + retry_after as i64 * 1_000_000);
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-ins. Try again in {} (after {until} UTC).",
                    wait_in_words(retry_after)
                ),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, retry_after.into());
            return response;
        }
        Err(SignInRefusal::Store(e)) => return crate::problem::Problem::from(e).into_response(),
    };
    match issue_session(state.store(), &who.principal, who.role, now).await {
        Ok(session) => {
            tracing::info!(principal = %who.principal.key(), %address, "console sign-in");
            let cookie = format!(
                "{SESSION_COOKIE}={}; {}; Max-Age={}",
                session.secret,
                state.browser().cookie_attributes(),
                SESSION_HOURS * 3600
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(e) => crate::problem::Problem::from(e).into_response(),
    }
}

/// `75` as `2 minutes`: a wait as people say it, rounded up.
fn wait_in_words(seconds: u64) -> String {
    if seconds < 60 {
        return format!("{seconds} second{}", if seconds == 1 { "" } else { "s" });
    }
    let minutes = seconds.div_ceil(60);
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

/// Ends the session.
#[utoipa::path(post, path = "/console/sign-out", tag = "console",
    responses((status = 303, description = "To the sign-in page")))]
async fn sign_out(State(state): State<AppState>, staff: Result<Staff, Response>) -> Response {
    if let Ok(Staff(caller)) = staff {
        if let Err(e) = state
            .store()
            .revoke_token(&caller.token_id, arbiter_app::now())
            .await
        {
            return crate::problem::Problem::from(e).into_response();
        }
        state.tokens().forget(&caller.token_id);
    }
    let cookie = format!(
        "{SESSION_COOKIE}=; {}; Max-Age=0",
        state.browser().cookie_attributes()
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to("/console/sign-in"),
    )
        .into_response()
}

struct EventRow {
    id: String,
    event_type: String,
    occurred_at: String,
    market: String,
    actor: String,
    subject: String,
    task: String,
}

impl From<StoredEvent> for EventRow {
    fn from(e: StoredEvent) -> Self {
        EventRow {
            occurred_at: when(e.occurred_at),
            id: e.id,
            event_type: e.event_type,
            market: e.market,
            actor: e.actor_id,
            subject: e.subject_id.unwrap_or_default(),
            task: e.task_id.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    types: Vec<String>,
    filter_type: String,
    filter_market: String,
    filter_actor: String,
    filter_subject: String,
    filter_task: String,
    filter_from: String,
    filter_to: String,
    error: Option<String>,
    rows: Vec<EventRow>,
    next_page: Option<String>,
}

/// The events explorer: filters, newest first, paged.
#[utoipa::path(get, path = "/console/events", tag = "console", params(EventQuery),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn events(
    State(state): State<AppState>,
    Staff(caller): Staff,
    query: Result<Query<EventQuery>, QueryRejection>,
) -> Response {
    let store = state.store();
    let types = match store.event_type_counts().await {
        Ok(counts) => counts.into_iter().map(|(t, _)| t).collect(),
        Err(e) => return crate::problem::Problem::from(e).into_response(),
    };
    let mut page = EventsPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "events",
        areas: AREAS,
        types,
        filter_type: String::new(),
        filter_market: String::new(),
        filter_actor: String::new(),
        filter_subject: String::new(),
        filter_task: String::new(),
        filter_from: String::new(),
        filter_to: String::new(),
        error: None,
        rows: Vec::new(),
        next_page: None,
    };
    let query = match query {
        Ok(Query(query)) => query,
        Err(rejection) => {
            page.error = Some(rejection.body_text());
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    page.filter_type = text(&query.event_type);
    page.filter_market = text(&query.market);
    page.filter_actor = text(&query.actor);
    page.filter_subject = text(&query.subject);
    page.filter_task = text(&query.task);
    page.filter_from = text(&query.from);
    page.filter_to = text(&query.to);
    let mut query = query;
    query.limit = Some(query.limit.unwrap_or(50));
    let listing = match query.listing() {
        Ok(listing) => listing,
        Err(problem) => {
            page.error = Some(problem.detail);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
    };
    match store
        .list_events(&listing.filter, listing.cursor, listing.limit)
        .await
    {
        Ok(result) => {
            page.rows = result.events.into_iter().map(EventRow::from).collect();
            page.next_page = result.next.map(|cursor| {
                let mut href = String::from("/console/events?");
                for (name, value) in [
                    ("type", &page.filter_type),
                    ("market", &page.filter_market),
                    ("actor", &page.filter_actor),
                    ("subject", &page.filter_subject),
                    ("task", &page.filter_task),
                    ("from", &page.filter_from),
                    ("to", &page.filter_to),
                ] {
                    if !value.is_empty() {
                        href.push_str(&format!("{name}={}&", percent_encode(value)));
                    }
                }
                href.push_str(&format!("cursor={}", percent_encode(&cursor.encode())));
                href
            });
            render(&page)
        }
        Err(e) => crate::problem::Problem::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "event.html")]
struct EventPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    event_type: String,
    occurred_at: String,
    received_at: String,
    market: String,
    actor: String,
    subject: Option<String>,
    task: Option<String>,
    json: String,
    decision: Option<protect::DecisionRow>,
    /// What the page says when no rule fired, or the event is not decided yet.
    undecided: String,
    effects: Vec<protect::EffectRow>,
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    message: String,
}

/// One event: its facts and its JSON as received.
#[utoipa::path(get, path = "/console/events/{id}", tag = "console",
    params(("id" = String, Path, description = "The event's id")),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "HTML", content_type = "text/html")))]
async fn event(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Response {
    let stored = match state.store().event(&id).await {
        Ok(Some(stored)) => stored,
        Ok(None) => {
            let page = NotFoundPage {
                signed_in: Some(SignedIn::from(&caller)),
                area: "events",
                areas: AREAS,
                message: format!("No event has the id “{id}”."),
            };
            return (StatusCode::NOT_FOUND, render(&page)).into_response();
        }
        Err(e) => return crate::problem::Problem::from(e).into_response(),
    };
    let json = indent_json(&stored.body);
    let store = state.store();
    let committed = state.decider().committed(stored.seq).await;
    let (decision, effects) = match (
        store.decision(&stored.id).await,
        store
            .list_effects(
                &arbiter_store::EffectFilter {
                    event: Some(stored.id.clone()),
                    ..Default::default()
                },
                None,
                100,
            )
            .await,
    ) {
        (Ok(d), Ok(e)) => (d, e),
        (Err(e), _) | (_, Err(e)) => return crate::problem::Problem::from(e).into_response(),
    };
    let undecided = if !committed {
        "Not decided yet: the decider has not reached this event.".to_owned()
    } else {
        match state.decider().active() {
            Some(active) => format!(
                "Allowed: no rule fired (ruleset version {} or earlier).",
                active.version
            ),
            None => "No ruleset was in force: the event was stored without a decision.".to_owned(),
        }
    };
    render(&EventPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "events",
        areas: AREAS,
        id: stored.id,
        event_type: stored.event_type,
        occurred_at: when(stored.occurred_at),
        received_at: when(stored.received_at),
        market: stored.market,
        actor: stored.actor_id,
        subject: stored.subject_id,
        task: stored.task_id,
        json,
        decision: decision.as_ref().map(protect::DecisionRow::from),
        undecided,
        effects: effects.iter().map(protect::EffectRow::from).collect(),
    })
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    current: &'static Area,
}

/// An area of the product.
#[utoipa::path(get, path = "/console/areas/{area}", tag = "console",
    params(("area" = String, Path, description = "protect, resolve, standards, policy, measure, decide or markets")),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "HTML", content_type = "text/html")))]
async fn area(Staff(caller): Staff, Path(slug): Path<String>) -> Response {
    match AREAS.iter().find(|a| a.slug == slug) {
        Some(current) => render(&AreaPage {
            signed_in: Some(SignedIn::from(&caller)),
            area: current.slug,
            areas: AREAS,
            current,
        }),
        None => {
            let page = NotFoundPage {
                signed_in: Some(SignedIn::from(&caller)),
                area: "",
                areas: AREAS,
                message: format!("There is no area called “{slug}”."),
            };
            (StatusCode::NOT_FOUND, render(&page)).into_response()
        }
    }
}

/// The console's stylesheet.
#[utoipa::path(get, path = "/console/assets/arbiter.css", tag = "console",
    responses((status = 200, description = "CSS", content_type = "text/css")))]
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/console/events?type=x")),
            "/console/events?type=x"
        );
        assert_eq!(safe_next(Some("https://evil.example")), "/console");
        assert_eq!(safe_next(Some("//evil.example/console")), "/console");
        assert_eq!(safe_next(None), "/console");
        assert_eq!(safe_next(Some("/console\r\nSet-Cookie: x=1")), "/console");
        assert_eq!(safe_next(Some("/console/\\evil.example")), "/console");
        assert_eq!(safe_next(Some("/console/é")), "/console");
        assert_eq!(safe_next(Some("/console/%0d%0a")), "/console/%0d%0a");
    }

    #[test]
    fn json_is_laid_out_in_the_order_received() {
        assert_eq!(
            indent_json(r#"{"z":1,"a":{"s":"x, {y}: \"q\"","e":[],"o":{}},"l":[1,2]}"#),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"s\": \"x, {y}: \\\"q\\\"\",\n    \"e\": [],\n    \"o\": {}\n  },\n  \"l\": [\n    1,\n    2\n  ]\n}"
        );
    }

    /// WCAG 2.1 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (a, b) = (luminance(a), luminance(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// The value of `--name` in the stylesheet's `:root`.
    fn variable(name: &str) -> String {
        let at = STYLESHEET.find(&format!("--{name}: ")).unwrap() + name.len() + 4;
        STYLESHEET[at..at + 7].to_owned()
    }

    #[test]
    fn the_focus_ring_stands_out_on_every_background() {
        let rule = STYLESHEET
            .lines()
            .find(|l| l.starts_with(":focus-visible"))
            .expect("a focus style");
        let ring = &rule[rule.find('#').unwrap()..][..7];
        // Every background of the stylesheet. The accent only fills buttons and the current
        // area's link, and the ring is drawn 2px outside them, on what surrounds them.
        let mut backgrounds = Vec::new();
        for declaration in STYLESHEET.split("background: ").skip(1) {
            let value = declaration.split([';', ' ', '}']).next().unwrap();
            match value {
                "transparent" | "var(--accent)" => {}
                v if v.starts_with("var(--") => {
                    backgrounds.push(variable(&v[6..v.len() - 1]));
                }
                v => backgrounds.push(v.to_owned()),
            }
        }
        assert!(backgrounds.len() >= 5, "{backgrounds:?}");
        for background in backgrounds {
            let ratio = contrast(ring, &background);
            assert!(
                ratio >= 3.0,
                "the focus ring {ring} has {ratio:.2}:1 on {background}"
            );
        }
        // What the old amber ring had on white.
        assert!(contrast("#f0a500", "#ffffff") < 3.0);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
