//! Resolve in the console: the queues with their countdowns, worked from the keyboard, and the
//! case page with parties, eligibility, risk, playbook, decision form, ledger, messages and the
//! audit trail. Every change goes through `arbiter_app::cases::ops`, as the API's do.

use super::{AREAS, Area, SignedIn, Staff, render, when};
use crate::AppState;
use arbiter_app::access::Caller;
use arbiter_app::cases::{self, CaseError, ChangedBy, case_id, ops};
use arbiter_model::{Currency, Money, Permission};
use arbiter_resolve::{Case, CaseType, Counterparty, EntryKind, Outcome, Priority, State, Step};
use arbiter_store::CaseFilter;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue_page))
        .routes(routes!(next_submit))
        .routes(routes!(bulk_submit))
        .routes(routes!(open_submit))
        .routes(routes!(case_page))
        .routes(routes!(step_submit))
        .routes(routes!(update_submit))
        .routes(routes!(decision_submit))
        .routes(routes!(ledger_submit))
        .routes(routes!(message_submit))
        .routes(routes!(queue_script))
        .routes(routes!(evidence_download))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(evidence_submit))
                // The file and the form around it.
                .layer(axum::extract::DefaultBodyLimit::max(
                    arbiter_resolve::evidence::MAX_EVIDENCE_BYTES + 64 * 1024,
                )),
        )
}

fn problem(e: impl Into<crate::problem::Problem>) -> Response {
    e.into().into_response()
}

struct QueueTab {
    id: String,
    name: String,
    open: i64,
    overdue: i64,
}

struct CaseRow {
    id: String,
    number: i64,
    case_type: String,
    market: String,
    priority: String,
    state: String,
    assignee: String,
    claimed: String,
    risk: i64,
    /// What is due next and how long is left: the first response, then the resolution.
    due: String,
    overdue: bool,
    summary: String,
}

fn money(minor: Option<i64>, currency: &str) -> String {
    match (minor, Currency::parse(currency)) {
        (Some(minor), Ok(c)) => Money::new(minor, c).to_string(),
        _ => String::new(),
    }
}

impl CaseRow {
    fn new(c: &Case, now: i64) -> CaseRow {
        let breaches = c.breaches(now);
        // A decided or closed case's clock has stopped: it met its deadline or it did not.
        // An open one shows what is due next: the first response, then the resolution.
        let (due, overdue) = match c.resolution_time() {
            Some(at) => (
                format!(
                    "resolution: {}",
                    arbiter_resolve::sla::verdict(c.deadlines.resolution_due, at)
                ),
                false,
            ),
            None if c.first_response_at.is_none() => (
                format!(
                    "first response: {}",
                    arbiter_resolve::sla::countdown(c.deadlines.first_response_due, now)
                ),
                breaches.first_response,
            ),
            None => (
                format!(
                    "resolution: {}",
                    arbiter_resolve::sla::countdown(c.deadlines.resolution_due, now)
                ),
                breaches.resolution,
            ),
        };
        CaseRow {
            id: c.id(),
            number: c.number,
            case_type: c.case_type.label().into(),
            market: c.market.to_string(),
            priority: c.priority.as_str().into(),
            state: c.state.label().to_lowercase(),
            assignee: c.assignee.clone().unwrap_or_default(),
            claimed: c.claimed.map(|m| m.to_string()).unwrap_or_default(),
            risk: c.risk_score,
            due,
            overdue,
            summary: c.summary.chars().take(90).collect(),
        }
    }
}

/// The states a queue filter shows, and what it shows in words. `decided` is every case with
/// a decision that stands, closed or not (a closed case was decided first); `to-close` is the
/// decided ones not closed yet. Any state's own name shows that state alone.
fn states_of(filter: &str) -> Result<(Vec<State>, String), String> {
    Ok(match filter {
        "" | "open" => (
            State::open_states().collect(),
            "open (still needing work)".into(),
        ),
        "decided" => (
            vec![State::Decided, State::Closed],
            "decided, closed or not".into(),
        ),
        "to-close" => (vec![State::Decided], "decided, not yet closed".into()),
        "all" => (Vec::new(), "in every state".into()),
        other => {
            let state = State::parse(other)?;
            (
                vec![state],
                format!("in state {}", state.label().to_lowercase()),
            )
        }
    })
}

#[derive(Template)]
#[template(path = "resolve.html")]
struct QueuePage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    queues: Vec<QueueTab>,
    queue: String,
    state: String,
    /// What the state filter shows, in words.
    showing: String,
    mine: bool,
    rows: Vec<CaseRow>,
    can_work: bool,
    message: Option<String>,
    /// Ledger totals of the last 90 days: `(month, market, paid, recovered, net, bar %)`.
    losses: Vec<(String, String, String, String, String, u32)>,
    case_types: Vec<(&'static str, &'static str)>,
    markets: Vec<String>,
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    queue: String,
    /// `open` (the default), `all`, or a state.
    #[serde(default)]
    state: String,
    /// Only the signed-in person's cases.
    #[serde(default)]
    mine: Option<String>,
}

async fn queue_view(
    state: &AppState,
    caller: &Caller,
    query: QueueQuery,
    message: Option<String>,
) -> Result<QueuePage, Response> {
    let now = arbiter_app::now();
    let counts = state.store().queue_counts(now).await.map_err(problem)?;
    let queues = state
        .resolution()
        .queues
        .iter()
        .map(|q| {
            let (open, overdue) = counts
                .iter()
                .find(|(id, _, _)| id == &q.id)
                .map_or((0, 0), |(_, o, d)| (*o, *d));
            QueueTab {
                id: q.id.clone(),
                name: q.name.clone(),
                open,
                overdue,
            }
        })
        .collect();
    let (states, showing) = states_of(&query.state).map_err(|e| {
        problem(crate::problem::Problem::bad_request(format!(
            "state: {e}; or open, decided, to-close or all"
        )))
    })?;
    let mine = query.mine.is_some();
    let filter = CaseFilter {
        queue: Some(query.queue.clone()).filter(|q| !q.is_empty()),
        states,
        assignee: mine.then(|| caller.label.clone()),
        ..CaseFilter::default()
    };
    let cases = cases::list(state.store(), &filter, None, 200)
        .await
        .map_err(problem)?;
    let losses = loss_rows(state, now).await?;
    Ok(QueuePage {
        case_types: CaseType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        markets: state
            .resolution()
            .markets
            .iter()
            .map(|t| t.market.clone())
            .collect(),
        losses,
        signed_in: Some(SignedIn::from(caller)),
        area: "resolve",
        areas: AREAS,
        queues,
        queue: query.queue,
        state: if query.state.is_empty() {
            "open".into()
        } else {
            query.state
        },
        mine,
        showing,
        rows: cases.iter().map(|c| CaseRow::new(c, now)).collect(),
        can_work: caller.role.allows(Permission::WorkCases),
        message,
    })
}

/// Net losses by month, market and currency over the last 90 days, each with a bar scaled to
/// the largest of its currency.
async fn loss_rows(
    state: &AppState,
    now: i64,
) -> Result<Vec<(String, String, String, String, String, u32)>, Response> {
    let from = now - 90 * 86_400_000_000;
    let totals = crate::api::cases::period_totals(state, from, now + 1, None)
        .await
        .map_err(problem)?;
    let largest = |currency: &str| {
        totals
            .iter()
            .filter(|t| t.currency == currency)
            .map(|t| t.net_loss.max(0))
            .max()
            .unwrap_or(0)
            .max(1)
    };
    Ok(totals
        .iter()
        .map(|t| {
            let bar = (t.net_loss.max(0) * 100 / largest(&t.currency)) as u32;
            (
                t.month.clone(),
                t.market.clone(),
                money(Some(t.payouts + t.refunds + t.goodwill), &t.currency),
                money(Some(t.recoveries), &t.currency),
                money(Some(t.net_loss), &t.currency),
                bar,
            )
        })
        .collect())
}

/// The queues: open cases most urgent first, each with what is due next and the time left.
/// `j`/`k` move, Enter opens, `n` pulls the next case.
#[utoipa::path(get, path = "/console/resolve", tag = "console",
    params(("queue" = Option<String>, Query), ("state" = Option<String>, Query), ("mine" = Option<String>, Query)),
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn queue_page(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    query: Result<Query<QueueQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return problem(crate::problem::Problem::bad_request(
            "queue, state and mine are the filters",
        ));
    };
    match queue_view(&state, &caller, query, None).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NextForm {
    #[serde(default)]
    queue: String,
}

/// Assigns the signed-in specialist the most urgent unassigned case and opens it.
#[utoipa::path(post, path = "/console/resolve/next", tag = "console",
    responses((status = 303, description = "To the case"), (status = 404, description = "HTML: nothing waits", content_type = "text/html")))]
async fn next_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Form(form): Form<NextForm>,
) -> Response {
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(message) => {
            return refuse_queue(&state, &caller, &form.queue, StatusCode::FORBIDDEN, message)
                .await;
        }
    };
    let queue = Some(form.queue.as_str()).filter(|q| !q.is_empty());
    match ops::pull_next(state.app(), &actor, queue).await {
        Ok(Some(case)) => {
            Redirect::to(&format!("/console/resolve/cases/{}", case.number)).into_response()
        }
        Ok(None) => {
            refuse_queue(
                &state,
                &caller,
                &form.queue,
                StatusCode::NOT_FOUND,
                "No open case waits unassigned here.".into(),
            )
            .await
        }
        Err(e) => problem(e),
    }
}

async fn refuse_queue(
    state: &AppState,
    caller: &Caller,
    queue: &str,
    status: StatusCode,
    message: String,
) -> Response {
    let query = QueueQuery {
        queue: queue.to_owned(),
        ..QueueQuery::default()
    };
    match queue_view(state, caller, query, Some(message)).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(r) => r,
    }
}

fn worker(caller: &Caller) -> Result<ChangedBy, String> {
    if caller.role.allows(Permission::WorkCases) {
        Ok(ChangedBy::Staff(caller.label.clone()))
    } else {
        Err(format!(
            "The {} role may read cases but not work them: that needs an admin or agent.",
            caller.role
        ))
    }
}

/// The queue page's keyboard: a small script added to a page that works without it.
#[utoipa::path(get, path = "/console/assets/resolve.js", tag = "console",
    responses((status = 200, description = "JavaScript", content_type = "text/javascript")))]
async fn queue_script() -> impl IntoResponse {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/resolve.js"),
    )
}

struct StepRow {
    id: String,
    title: String,
    evidence: String,
    clause: String,
    href: String,
    done: bool,
}

struct OutcomeRow {
    outcome: String,
    label: String,
    path: String,
    guideline: String,
    template: String,
}

struct LedgerRow {
    id: i64,
    kind: String,
    counterparty: String,
    amount: String,
    note: String,
    by: String,
    at: String,
}

struct TimelineRow {
    at: String,
    who: String,
    what: String,
    detail: String,
    /// The event's page, for events.
    href: String,
}

struct MessageRow {
    at: String,
    direction: String,
    party: String,
    locale: String,
    template: String,
    body: String,
    by: String,
}

/// What the decision form held when it was refused, so nothing typed is lost.
#[derive(Default, Clone)]
struct DecisionDraft {
    outcome: String,
    amount: String,
    clauses: String,
    text: String,
    override_reason: String,
}

#[derive(Template)]
#[template(path = "resolve_case.html")]
struct CasePage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    number: i64,
    version: i64,
    title: String,
    state: String,
    priority: String,
    queue: String,
    queues: Vec<(String, String)>,
    priorities: Vec<&'static str>,
    assignee: String,
    market: String,
    currency: String,
    claimant: String,
    client: String,
    tasker: String,
    task: String,
    source: String,
    summary: String,
    claimed: String,
    risk: i64,
    opened: String,
    first_response: String,
    resolution: String,
    overdue: bool,
    automated: bool,
    eligibility: Option<crate::api::cases::EligibilityView>,
    eligibility_payable: String,
    playbook_title: String,
    playbook_version: i64,
    steps: Vec<StepRow>,
    outcomes: Vec<OutcomeRow>,
    allowed_steps: Vec<(&'static str, &'static str)>,
    can_decide: bool,
    decisions: Vec<(String, String, String, String, String)>,
    ledger: Vec<LedgerRow>,
    totals: Vec<(&'static str, String)>,
    limit_left: String,
    entry_kinds: Vec<&'static str>,
    counterparties: Vec<&'static str>,
    messages: Vec<MessageRow>,
    templates: Vec<String>,
    timeline: Vec<TimelineRow>,
    can_work: bool,
    message: Option<String>,
    draft: DecisionDraft,
    /// `(id, filename, type, size, by, when)`
    evidence: Vec<(i64, String, String, String, String, String)>,
    /// `(event id, type, user, verdict, rules)`
    signals: Vec<(String, String, String, String, String)>,
}

/// The playbook's steps (with a link to each clause) and outcomes, and its title.
fn playbook_parts(file: &cases::CaseFile) -> (Vec<StepRow>, Vec<OutcomeRow>, String) {
    let Some(playbook) = &file.playbook else {
        return (Vec::new(), Vec::new(), String::new());
    };
    let steps = playbook
        .steps
        .iter()
        .map(|s| StepRow {
            id: s.id.clone(),
            title: s.title.clone(),
            evidence: s.evidence.join(", "),
            clause: s.clause.clone().unwrap_or_default(),
            href: s.clause.as_deref().map(clause_href).unwrap_or_default(),
            done: file.case.steps_done.contains(&s.id),
        })
        .collect();
    let outcomes = playbook
        .outcomes
        .iter()
        .map(|o| OutcomeRow {
            label: Outcome::parse(&o.outcome).map_or(o.outcome.clone(), |x| x.label().into()),
            outcome: o.outcome.clone(),
            path: o.path.clone(),
            guideline: o.guideline.clone(),
            template: o.template.clone().unwrap_or_default(),
        })
        .collect();
    (steps, outcomes, playbook.title.clone())
}

fn totals_rows(file: &cases::CaseFile) -> Vec<(&'static str, String)> {
    let t = &file.totals;
    let show = |minor| Money::new(minor, file.case.currency).to_string();
    vec![
        ("Reserve held", show(t.reserve)),
        ("Paid out", show(t.payouts)),
        ("Refunds", show(t.refunds)),
        ("Goodwill", show(t.goodwill)),
        ("Recovered", show(t.recoveries)),
        ("Net loss", show(t.net_loss())),
    ]
}

/// A clause reference as a link into the policy library.
fn clause_href(clause: &str) -> String {
    match arbiter_policy::Citation::parse(clause) {
        Some(c) => match c.clause {
            Some(n) => format!("/console/policy/{}#s{n}", c.document),
            None => format!("/console/policy/{}", c.document),
        },
        None => String::new(),
    }
}

async fn case_view(
    state: &AppState,
    caller: &Caller,
    number: i64,
    message: Option<String>,
    draft: DecisionDraft,
) -> Result<CasePage, Response> {
    // Everything about the case, each record read once.
    let file = crate::api::cases::case_file(state, number)
        .await
        .map_err(problem)?;
    let case = &file.case;
    let now = arbiter_app::now();
    let playbook = playbook_parts(&file);
    let mut timeline: Vec<(i64, TimelineRow)> = Vec::new();
    for (event_id, event) in &file.events {
        if let Some(event) = event {
            timeline.push((
                event.occurred_at,
                TimelineRow {
                    at: when(event.occurred_at),
                    who: event.actor_id.clone(),
                    what: event.event_type.clone(),
                    href: format!("/console/events/{event_id}"),
                    detail: event_id.clone(),
                },
            ));
        }
    }
    for audit in &file.audit {
        let e = &audit.entry;
        let detail = match (&e.before, &e.after) {
            (Some(b), Some(a)) => format!("{b} → {a}"),
            (None, Some(a)) => a.clone(),
            _ => String::new(),
        };
        timeline.push((
            audit.at,
            TimelineRow {
                at: when(audit.at),
                who: format!("{} ({})", e.actor, e.actor_kind),
                what: e.action.replace('_', " "),
                detail: [detail, e.note.clone()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" — "),
                href: String::new(),
            },
        ));
    }
    timeline.sort_by_key(|(at, _)| *at);
    let templates: Vec<String> = {
        let mut t: Vec<String> = playbook
            .1
            .iter()
            .filter(|o| !o.template.is_empty())
            .map(|o| o.template.clone())
            .collect();
        if case.case_type.is_claim() {
            t.push("TPL-CLAIM-DECISION-EN §4".into());
        } else {
            t.push("TPL-CASE-UPDATE-EN §1".into());
            t.push("TPL-CASE-UPDATE-EN §3".into());
        }
        t.sort();
        t.dedup();
        t
    };
    let resolved = case.resolution_time();
    let breaches = case.breaches(now);
    let due = case.deadlines;
    Ok(CasePage {
        signed_in: Some(SignedIn::from(caller)),
        area: "resolve",
        areas: AREAS,
        id: case.id(),
        number,
        version: case.version,
        title: case.case_type.label().into(),
        state: case.state.as_str().into(),
        priority: case.priority.as_str().into(),
        queue: case.queue.clone(),
        queues: state
            .resolution()
            .queues
            .iter()
            .map(|q| (q.id.clone(), q.name.clone()))
            .collect(),
        priorities: Priority::ALL.iter().map(|p| p.as_str()).collect(),
        assignee: case.assignee.clone().unwrap_or_default(),
        market: case.market.to_string(),
        currency: case.currency.to_string(),
        claimant: case.parties.claimant.clone().unwrap_or_default(),
        client: case.parties.client.clone().unwrap_or_default(),
        tasker: case.parties.tasker.clone().unwrap_or_default(),
        task: case.task_id.clone().unwrap_or_default(),
        source: match &case.source_ref {
            Some(r) => format!("{} {r}", case.source),
            None => case.source.to_string(),
        },
        summary: case.summary.clone(),
        claimed: case.claimed.map(|m| m.to_string()).unwrap_or_default(),
        risk: case.risk_score,
        opened: when(case.opened_at),
        first_response: match (case.first_response_at, resolved) {
            (Some(at), _) => format!(
                "answered {} ({})",
                when(at),
                arbiter_resolve::sla::verdict(due.first_response_due, at)
            ),
            (None, Some(_)) => "none: resolved without one".to_owned(),
            (None, None) => arbiter_resolve::sla::countdown(due.first_response_due, now),
        },
        resolution: match resolved {
            Some(at) => format!(
                "resolved {} ({})",
                when(at),
                arbiter_resolve::sla::verdict(due.resolution_due, at)
            ),
            None => arbiter_resolve::sla::countdown(due.resolution_due, now),
        },
        overdue: case.is_open() && breaches.resolution,
        automated: case.automated,
        eligibility_payable: case
            .eligibility
            .as_ref()
            .map(|e| e.payable.to_string())
            .unwrap_or_default(),
        eligibility: case
            .eligibility
            .as_ref()
            .map(crate::api::cases::EligibilityView::from),
        playbook_title: playbook.2.clone(),
        playbook_version: case.playbook_version,
        steps: playbook.0,
        outcomes: playbook.1,
        allowed_steps: arbiter_resolve::allowed_steps(case.state)
            .into_iter()
            .filter(|s| *s != Step::Decide)
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        can_decide: arbiter_resolve::next_state(case.state, Step::Decide).is_ok(),
        decisions: file
            .decisions
            .iter()
            .map(|d| {
                (
                    when(d.decided_at),
                    Outcome::parse(&d.decision.outcome)
                        .map_or(d.decision.outcome.clone(), |o| o.label().into()),
                    money(d.decision.amount_minor, &d.decision.currency),
                    d.decision.clauses.join(", "),
                    format!(
                        "{}{}",
                        d.decision.decided_by,
                        if d.decision.automated {
                            " (automatic)"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect(),
        ledger: file
            .ledger
            .iter()
            .map(|r| LedgerRow {
                id: r.id,
                kind: EntryKind::parse(&r.entry.kind)
                    .map_or(r.entry.kind.clone(), |k| k.label().into()),
                counterparty: r.entry.counterparty.clone(),
                amount: money(Some(r.entry.amount_minor), &r.entry.currency),
                note: [
                    r.entry.note.clone(),
                    r.entry
                        .override_reason
                        .clone()
                        .map(|o| format!("override: {o}"))
                        .unwrap_or_default(),
                    r.entry
                        .reverses
                        .map(|e| format!("reverses #{e}"))
                        .unwrap_or_default(),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
                by: r.entry.recorded_by.clone(),
                at: when(r.recorded_at),
            })
            .collect(),
        totals: totals_rows(&file),
        limit_left: file.limit_left.map(|m| m.to_string()).unwrap_or_default(),
        entry_kinds: EntryKind::ALL.iter().map(|k| k.as_str()).collect(),
        counterparties: Counterparty::ALL.iter().map(|c| c.as_str()).collect(),
        messages: file
            .messages
            .iter()
            .map(|m| MessageRow {
                at: when(m.at),
                direction: if m.message.direction == "out" {
                    "to".into()
                } else {
                    "from".into()
                },
                party: m.message.party.clone(),
                locale: m.message.locale.clone(),
                template: m.message.template.clone().unwrap_or_default(),
                body: m.message.body.clone(),
                by: m.message.sent_by.clone(),
            })
            .collect(),
        templates,
        timeline: timeline.into_iter().map(|(_, row)| row).collect(),
        can_work: caller.role.allows(Permission::WorkCases),
        message,
        draft,
        signals: file
            .signals
            .iter()
            .map(|g| {
                (
                    g.decision.event_id.clone(),
                    g.decision.event_type.clone(),
                    g.member.clone(),
                    g.decision.verdict.clone(),
                    g.decision.fired.join(", "),
                )
            })
            .collect(),
        evidence: file
            .evidence
            .iter()
            .map(|e| {
                (
                    e.id,
                    e.filename.clone(),
                    e.content_type.clone(),
                    format!("{:.1} KB", e.size as f64 / 1024.0),
                    e.uploaded_by.clone(),
                    arbiter_model::format_micros(e.uploaded_at)
                        .replace('T', " ")
                        .trim_end_matches('Z')
                        .chars()
                        .take(19)
                        .collect(),
                )
            })
            .collect(),
    })
}

/// A case: parties, deadlines, eligibility and risk, the playbook and its steps, the decision
/// form, the ledger, messages, and a timeline of its events and every change.
#[utoipa::path(get, path = "/console/resolve/cases/{number}", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 404, description = "No such case")))]
async fn case_page(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
) -> Response {
    match case_view(&state, &caller, number, None, DecisionDraft::default()).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

/// After a change: back to the case, or the case again with what went wrong.
async fn answer(
    state: &AppState,
    caller: &Caller,
    number: i64,
    result: Result<Case, CaseError>,
    draft: DecisionDraft,
) -> Response {
    let error = match result {
        Ok(_) => return Redirect::to(&format!("/console/resolve/cases/{number}")).into_response(),
        Err(e) => e,
    };
    let status = match &error {
        CaseError::NotFound(_) => StatusCode::NOT_FOUND,
        CaseError::Refused(arbiter_resolve::Refused::Step(_))
        | CaseError::Store(arbiter_store::StoreError::Stale(_)) => StatusCode::CONFLICT,
        CaseError::Store(_) => return problem(error),
        _ => StatusCode::BAD_REQUEST,
    };
    match case_view(state, caller, number, Some(error.to_string()), draft).await {
        Ok(page) => (status, render(&page)).into_response(),
        Err(r) => r,
    }
}

async fn forbidden(state: &AppState, caller: &Caller, number: i64, message: String) -> Response {
    match case_view(
        state,
        caller,
        number,
        Some(message),
        DecisionDraft::default(),
    )
    .await
    {
        Ok(page) => (StatusCode::FORBIDDEN, render(&page)).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct StepForm {
    step: String,
    #[serde(default)]
    note: String,
    version: i64,
}

/// Takes a lifecycle step.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/step", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 303, description = "To the case"), (status = 409, description = "HTML with the reason", content_type = "text/html")))]
async fn step_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the step form sends step, note and version",
        ));
    };
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let result = match Step::parse(&form.step) {
        Ok(step) => {
            ops::step(
                state.app(),
                &actor,
                number,
                Some(form.version),
                step,
                &form.note,
            )
            .await
        }
        Err(e) => Err(CaseError::Invalid(format!("step: {e}"))),
    };
    answer(&state, &caller, number, result, DecisionDraft::default()).await
}

/// Assigns, re-prioritises, moves to another queue, or marks playbook steps: `assign` is `me` or
/// `nobody`, `assignee` names someone; each playbook step is a checkbox `step.ID`, with `steps` set when they were shown.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/update", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html")))]
async fn update_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let version = form.get("version").and_then(|v| v.parse().ok());
    let mut update = cases::Update::default();
    match form.get("assign").map(String::as_str) {
        Some("me") => update.assignee = Some(Some(caller.label.clone())),
        Some("nobody") => update.assignee = Some(None),
        _ => {}
    }
    if let Some(person) = form
        .get("assignee")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
    {
        update.assignee = Some(Some(person.to_owned()));
    }
    if let Some(p) = form.get("priority").filter(|p| !p.is_empty()) {
        match Priority::parse(p) {
            Ok(p) => update.priority = Some(p),
            Err(e) => {
                return answer(
                    &state,
                    &caller,
                    number,
                    Err(CaseError::Invalid(format!("priority: {e}"))),
                    DecisionDraft::default(),
                )
                .await;
            }
        }
    }
    update.queue = form.get("queue").filter(|q| !q.is_empty()).cloned();
    if form.contains_key("steps") {
        let case_type = match cases::read(state.store(), number).await {
            Ok(Some(c)) => c.case_type,
            Ok(None) => {
                return answer(
                    &state,
                    &caller,
                    number,
                    Err(CaseError::NotFound(case_id(number))),
                    DecisionDraft::default(),
                )
                .await;
            }
            Err(e) => return problem(e),
        };
        if let Some(playbook) = state.resolution().playbook(case_type) {
            for step in &playbook.steps {
                if form.contains_key(&format!("step.{}", step.id)) {
                    update.steps_done.push(step.id.clone());
                } else {
                    update.steps_undone.push(step.id.clone());
                }
            }
        }
    }
    let result = ops::update(state.app(), &actor, number, version, update).await;
    answer(&state, &caller, number, result, DecisionDraft::default()).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DecisionForm {
    outcome: String,
    #[serde(default)]
    amount: String,
    /// Comma- or line-separated clause references.
    #[serde(default)]
    clauses: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    override_reason: String,
    version: i64,
}

/// Decides the case; a refused decision comes back with everything typed still in the form.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/decision", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html"),
        (status = 409, description = "HTML: decided meanwhile, or not decidable now", content_type = "text/html")))]
async fn decision_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the decision form sends outcome, amount, clauses, text and version",
        ));
    };
    let draft = DecisionDraft {
        outcome: form.outcome.clone(),
        amount: form.amount.clone(),
        clauses: form.clauses.clone(),
        text: form.text.clone(),
        override_reason: form.override_reason.clone(),
    };
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let result = async {
        let outcome = Outcome::parse(&form.outcome)
            .map_err(|e| CaseError::Invalid(format!("outcome: {e}")))?;
        let amount = amount_in_case_currency(&state, number, &form.amount).await?;
        let clauses = form
            .clauses
            .split([',', '\n'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let request = arbiter_app::cases::CaseDecisionRequest {
            outcome,
            amount,
            clauses,
            text: form.text.trim().to_owned(),
            override_reason: Some(form.override_reason.trim().to_owned()).filter(|r| !r.is_empty()),
        };
        ops::decide(state.app(), &actor, number, Some(form.version), request).await
    }
    .await;
    answer(&state, &caller, number, result, draft).await
}

/// Reads a typed amount in the case's currency; empty is none.
async fn amount_in_case_currency(
    state: &AppState,
    number: i64,
    text: &str,
) -> Result<Option<Money>, CaseError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let case = cases::read(state.store(), number)
        .await?
        .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
    Money::parse_decimal(text, case.currency)
        .map(Some)
        .map_err(|e| CaseError::Invalid(format!("amount: {e}")))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LedgerForm {
    kind: String,
    counterparty: String,
    amount: String,
    #[serde(default)]
    reverses: String,
    #[serde(default)]
    override_reason: String,
    #[serde(default)]
    note: String,
    version: i64,
}

/// Appends a ledger entry.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/ledger", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html")))]
async fn ledger_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    form: Result<Form<LedgerForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the ledger form sends kind, counterparty, amount and version",
        ));
    };
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let result = async {
        let kind =
            EntryKind::parse(&form.kind).map_err(|e| CaseError::Invalid(format!("kind: {e}")))?;
        let counterparty = Counterparty::parse(&form.counterparty)
            .map_err(|e| CaseError::Invalid(format!("counterparty: {e}")))?;
        let amount = amount_in_case_currency(&state, number, &form.amount)
            .await?
            .ok_or_else(|| CaseError::Invalid("amount: say how much".into()))?;
        let reverses = match form.reverses.trim().trim_start_matches('#') {
            "" => None,
            n => Some(n.parse().map_err(|_| {
                CaseError::Invalid(format!("reverses: {n:?} is not an entry number"))
            })?),
        };
        let entry = arbiter_resolve::NewEntry {
            kind,
            counterparty,
            amount,
            reverses,
            override_reason: Some(form.override_reason.trim().to_owned()).filter(|r| !r.is_empty()),
        };
        ops::ledger_entry(
            state.app(),
            &actor,
            number,
            Some(form.version),
            entry,
            form.note.trim(),
        )
        .await
    }
    .await;
    answer(&state, &caller, number, result, DecisionDraft::default()).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MessageForm {
    party: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    body: String,
    /// For templates asking what is needed.
    #[serde(default)]
    requested: String,
    version: i64,
}

/// Sends a message to a party from a template (in their market's language) or as typed.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/message", tag = "console",
    params(("number" = i64, Path)),
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html")))]
async fn message_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    form: Result<Form<MessageForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the message form sends party, template or body, and version",
        ));
    };
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let mut values = std::collections::BTreeMap::new();
    if !form.requested.trim().is_empty() {
        values.insert("requested".to_owned(), form.requested.trim().to_owned());
    }
    let result = match cases::message_party(&form.party) {
        Ok(party) => {
            let draft = cases::MessageDraft {
                party,
                direction: arbiter_resolve::Direction::Out,
                template: Some(form.template).filter(|t| !t.is_empty()),
                values,
                body: Some(form.body).filter(|b| !b.trim().is_empty()),
            };
            ops::message(state.app(), &actor, number, Some(form.version), draft).await
        }
        Err(e) => Err(e),
    };
    answer(&state, &caller, number, result, DecisionDraft::default()).await
}

/// The case page's upload form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct EvidenceUpload {
    /// The file, with its name and type.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The case version the page showed.
    version: Option<i64>,
}

/// Adds an evidence file from the case page's upload form.
#[utoipa::path(post, path = "/console/resolve/cases/{number}/evidence", tag = "console",
    params(("number" = i64, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data"),
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html"),
        (status = 413, description = "Too large")))]
async fn evidence_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Path(number): Path<i64>,
    mut form: axum::extract::Multipart,
) -> Response {
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return forbidden(&state, &caller, number, m).await,
    };
    let mut version = None;
    let mut file = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return answer(
                    &state,
                    &caller,
                    number,
                    Err(CaseError::Invalid(format!(
                        "the upload did not arrive whole: {e}"
                    ))),
                    DecisionDraft::default(),
                )
                .await;
            }
        };
        match field.name() {
            Some("version") => version = field.text().await.ok().and_then(|v| v.parse().ok()),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let declared = field.content_type().unwrap_or("").to_owned();
                match field.bytes().await {
                    Ok(bytes) => file = Some((name, declared, bytes.to_vec())),
                    Err(e) => {
                        return answer(
                            &state,
                            &caller,
                            number,
                            Err(CaseError::Invalid(format!(
                                "the file did not arrive whole (at most 10 MiB): {e}"
                            ))),
                            DecisionDraft::default(),
                        )
                        .await;
                    }
                }
            }
            _ => {}
        }
    }
    let result = match file {
        Some((filename, declared_type, bytes)) => {
            let upload = cases::Upload {
                filename,
                declared_type,
                bytes,
            };
            ops::add_evidence(state.app(), &actor, number, version, upload).await
        }
        None => Err(CaseError::Invalid("choose a file to upload".into())),
    };
    answer(&state, &caller, number, result, DecisionDraft::default()).await
}

/// Downloads an evidence file.
#[utoipa::path(get, path = "/console/resolve/cases/{number}/evidence/{evidence_id}", tag = "console",
    params(("number" = i64, Path), ("evidence_id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, description = "No such file")))]
async fn evidence_download(
    AxumState(state): AxumState<AppState>,
    Staff(_caller): Staff,
    Path((number, evidence_id)): Path<(i64, i64)>,
) -> Response {
    match crate::api::cases::evidence_response(&state, number, evidence_id).await {
        Ok(r) => r,
        Err(p) => p.into_response(),
    }
}

/// Applies one action to the cases ticked in the queue: each row is a checkbox `case.NUMBER`.
#[utoipa::path(post, path = "/console/resolve/bulk", tag = "console",
    responses((status = 200, description = "The queue, with what was done", content_type = "text/html"), (status = 400, description = "HTML with the reason", content_type = "text/html")))]
async fn bulk_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let queue = form.get("queue").cloned().unwrap_or_default();
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return refuse_queue(&state, &caller, &queue, StatusCode::FORBIDDEN, m).await,
    };
    let mut ids: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("case."))
        .filter_map(|n| n.parse::<i64>().ok())
        .map(case_id)
        .collect();
    ids.sort();
    if ids.is_empty() {
        return refuse_queue(
            &state,
            &caller,
            &queue,
            StatusCode::BAD_REQUEST,
            "Tick the cases to change first.".into(),
        )
        .await;
    }
    let (action, value) = match form.get("bulk").map(String::as_str).unwrap_or("") {
        "assign-me" => ("assign", caller.label.clone()),
        "unassign" => ("assign", String::new()),
        other => match other.split_once(':') {
            Some((action, value)) => (action, value.to_owned()),
            None => ("", String::new()),
        },
    };
    match ops::bulk(state.app(), &actor, &ids, action, &value).await {
        Ok(outcomes) => {
            let changed = outcomes.iter().filter(|(_, r)| r.is_ok()).count();
            let refused: Vec<String> = outcomes
                .into_iter()
                .filter_map(|(id, r)| r.err().map(|e| format!("{id}: {e}")))
                .collect();
            let mut message = format!("{changed} case(s) changed.");
            if !refused.is_empty() {
                message.push_str(&format!(" Left alone: {}", refused.join("; ")));
            }
            let query = QueueQuery {
                queue,
                ..QueueQuery::default()
            };
            match queue_view(&state, &caller, query, Some(message)).await {
                Ok(page) => render(&page),
                Err(r) => r,
            }
        }
        Err(e) => {
            refuse_queue(
                &state,
                &caller,
                &queue,
                StatusCode::BAD_REQUEST,
                e.to_string(),
            )
            .await
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OpenForm {
    case_type: String,
    market: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    claimant: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    tasker: String,
    #[serde(default)]
    task: String,
    /// For a claim, in the market's currency.
    #[serde(default)]
    amount: String,
    #[serde(default)]
    summary: String,
}

/// Opens a case by hand from the Resolve page, or finds the open one for the same Task and type.
#[utoipa::path(post, path = "/console/resolve/open", tag = "console",
    responses((status = 303, description = "To the case"), (status = 400, description = "HTML with the reason", content_type = "text/html")))]
async fn open_submit(
    AxumState(state): AxumState<AppState>,
    Staff(caller): Staff,
    form: Result<Form<OpenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return problem(crate::problem::Problem::bad_request(
            "the form sends case_type, market and summary",
        ));
    };
    let actor = match worker(&caller) {
        Ok(a) => a,
        Err(m) => return refuse_queue(&state, &caller, "", StatusCode::FORBIDDEN, m).await,
    };
    let opened = async {
        let case_type = CaseType::parse(&form.case_type)
            .map_err(|e| CaseError::Invalid(format!("type: {e}")))?;
        let priority = match form.priority.as_str() {
            "" => Priority::Normal,
            p => Priority::parse(p).map_err(|e| CaseError::Invalid(format!("priority: {e}")))?,
        };
        let market = form.market.trim().to_ascii_uppercase();
        let claimed = match (form.amount.trim(), state.resolution().terms(&market)) {
            ("", _) => None,
            (text, Some(terms)) => Some(
                Money::parse_decimal(text, terms.currency)
                    .map_err(|e| CaseError::Invalid(format!("amount: {e}")))?,
            ),
            (_, None) => None,
        };
        let by_hand = ops::ByHand {
            case_type,
            priority,
            market,
            claimant_id: Some(form.claimant),
            client_id: Some(form.client),
            tasker_id: Some(form.tasker),
            task_id: Some(form.task),
            claimed,
            summary: form.summary,
            events: Vec::new(),
            source: arbiter_resolve::Source::Console,
        };
        ops::open_by_hand(state.app(), &actor, by_hand).await
    }
    .await;
    match opened {
        Ok((case, _)) => {
            Redirect::to(&format!("/console/resolve/cases/{}", case.number)).into_response()
        }
        Err(CaseError::Store(e)) => problem(e),
        Err(e) => {
            refuse_queue(
                &state,
                &caller,
                "",
                StatusCode::BAD_REQUEST,
                format!("Not opened: {e}"),
            )
            .await
        }
    }
}
