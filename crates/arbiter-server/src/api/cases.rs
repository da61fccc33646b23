//! `/v1/cases`: the resolution center. Every read is open to staff; every change needs
//! `WorkCases` (admin, agent), is checked by `arbiter-resolve`, and may name the `version` of
//! the case it was based on, so that two specialists deciding at once cannot overwrite each
//! other: the second is told.

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::Problem;
use arbiter_app::access::Caller;
use arbiter_app::cases::{self, CaseFile, ChangedBy, case_id, case_number};
use arbiter_model::{Currency, Money, Permission};
use arbiter_resolve::{
    Case, CaseType, Counterparty, Eligibility, EntryKind, Outcome, Priority, State, Step,
};
use arbiter_store::CaseFilter;
use axum::Json;
use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// An amount in minor units with its currency (SPEC.md §2).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Amount {
    #[serde(deserialize_with = "crate::extract::integer::required")]
    pub(crate) minor: i64,
    pub(crate) currency: String,
}

impl Amount {
    fn of(minor: i64, currency: &str) -> Amount {
        Amount {
            minor,
            currency: currency.to_owned(),
        }
    }

    fn from_money(money: Money) -> Amount {
        Amount::of(money.minor, &money.currency.to_string())
    }

    fn money(&self, field: &str) -> Result<Money, Problem> {
        let currency = Currency::parse(&self.currency)
            .map_err(|e| Problem::bad_request(format!("{field}.currency: {e}")))?;
        Ok(Money::new(self.minor, currency))
    }
}

/// A case as listed.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaseView {
    /// `case_12`
    id: String,
    #[serde(rename = "type")]
    case_type: String,
    state: String,
    priority: String,
    queue: String,
    assignee: Option<String>,
    market: String,
    currency: String,
    claimant_id: Option<String>,
    client_id: Option<String>,
    tasker_id: Option<String>,
    task_id: Option<String>,
    /// `event`, `rule`, `api` or `console`.
    source: String,
    source_ref: Option<String>,
    claimed: Option<Amount>,
    risk_score: i64,
    summary: String,
    opened_at: String,
    first_response_due: String,
    resolution_due: String,
    first_response_at: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    /// Deadlines missed, as of now; a deadline's clock stops when the case is decided or
    /// closed, so a resolved case keeps the verdict it had then.
    first_response_breached: bool,
    resolution_breached: bool,
    reopened: i64,
    touches: i64,
    automated: bool,
    playbook_version: i64,
    /// Send it back with a change to be told if someone changed the case meanwhile.
    version: i64,
    /// The lifecycle steps allowed from here.
    allowed_steps: Vec<&'static str>,
}

impl CaseView {
    pub(crate) fn new(c: &Case, now: i64) -> CaseView {
        let breaches = c.breaches(now);
        let time = arbiter_model::format_micros;
        CaseView {
            id: c.id(),
            case_type: c.case_type.as_str().to_owned(),
            state: c.state.as_str().to_owned(),
            priority: c.priority.as_str().to_owned(),
            queue: c.queue.clone(),
            assignee: c.assignee.clone(),
            market: c.market.to_string(),
            currency: c.currency.to_string(),
            claimant_id: c.parties.claimant.clone(),
            client_id: c.parties.client.clone(),
            tasker_id: c.parties.tasker.clone(),
            task_id: c.task_id.clone(),
            source: c.source.as_str().to_owned(),
            source_ref: c.source_ref.clone(),
            claimed: c.claimed.map(Amount::from_money),
            risk_score: c.risk_score,
            summary: c.summary.clone(),
            opened_at: time(c.opened_at),
            first_response_due: time(c.deadlines.first_response_due),
            resolution_due: time(c.deadlines.resolution_due),
            first_response_at: c.first_response_at.map(time),
            resolved_at: c.resolved_at.map(time),
            closed_at: c.closed_at.map(time),
            first_response_breached: breaches.first_response,
            resolution_breached: breaches.resolution,
            reopened: c.reopened,
            touches: c.touches,
            automated: c.automated,
            playbook_version: c.playbook_version,
            version: c.version,
            allowed_steps: arbiter_resolve::allowed_steps(c.state)
                .into_iter()
                .map(Step::as_str)
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CasePage {
    cases: Vec<CaseView>,
    /// Pass as `cursor` for the next page; absent on the last.
    next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CaseQuery {
    queue: Option<String>,
    /// One state, or several separated by commas; `open` for every state still needing work.
    state: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    case_type: Option<String>,
    market: Option<String>,
    priority: Option<String>,
    assignee: Option<String>,
    /// `true` for cases nobody is assigned to.
    unassigned: Option<bool>,
    /// A user who is claimant, Client or Tasker of the case.
    party: Option<String>,
    /// RFC 3339: cases whose resolution deadline is before it.
    due_before: Option<String>,
    cursor: Option<String>,
    /// 1–500, default 50.
    limit: Option<u32>,
}

fn checked<T>(
    field: &str,
    value: &Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Option<T>, Problem> {
    value
        .as_deref()
        .map(|v| parse(v).map_err(|e| Problem::bad_request(format!("{field}: {e}"))))
        .transpose()
}

/// Cases, most urgent first (resolution deadline), filtered, a page at a time.
#[utoipa::path(get, path = "/v1/cases", tag = "cases", security(("bearer" = [])),
    params(CaseQuery),
    responses((status = 200, body = CasePage), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn list_cases(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<CaseQuery>,
) -> Result<Json<CasePage>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let states = match query.state.as_deref() {
        None => Vec::new(),
        Some("open") => State::open_states().collect(),
        Some(list) => list
            .split(',')
            .map(|s| State::parse(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Problem::bad_request(format!("state: {e}, or open")))?,
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit: {limit} is out of range; use 1 to 500"
        )));
    }
    let after = match query.cursor.as_deref() {
        Some(text) => Some(
            text.split_once('.')
                .and_then(|(due, n)| Some((due.parse().ok()?, n.parse().ok()?)))
                .ok_or_else(|| Problem::bad_request("cursor: not one this API gave"))?,
        ),
        None => None,
    };
    let filter = CaseFilter {
        queue: query.queue.clone(),
        states,
        case_type: checked("type", &query.case_type, CaseType::parse)?,
        market: query.market.clone(),
        priority: checked("priority", &query.priority, Priority::parse)?,
        assignee: query.assignee.clone(),
        unassigned: query.unassigned.unwrap_or(false),
        party: query.party.clone(),
        due_before: query
            .due_before
            .as_deref()
            .map(|t| crate::api::parse_time("due_before", t))
            .transpose()?,
    };
    let mut cases = cases::list(state.store(), &filter, after, limit + 1).await?;
    let more = cases.len() > limit as usize;
    cases.truncate(limit as usize);
    let now = arbiter_app::now();
    Ok(Json(CasePage {
        next_cursor: more
            .then(|| {
                cases
                    .last()
                    .map(|c| format!("{}.{}", c.deadlines.resolution_due, c.number))
            })
            .flatten(),
        cases: cases.iter().map(|c| CaseView::new(c, now)).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenCaseRequest {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    case_type: String,
    market: String,
    /// `normal` unless given.
    priority: Option<String>,
    claimant_id: Option<String>,
    client_id: Option<String>,
    tasker_id: Option<String>,
    task_id: Option<String>,
    /// What a claim asks for, in the market's currency.
    amount: Option<Amount>,
    summary: String,
    /// Events to link.
    #[serde(default)]
    events: Vec<String>,
}

/// What opening a case answered: the case, and whether it was new or an open case with the
/// same Task and type took the request.
#[derive(Serialize, ToSchema)]
pub(crate) struct Opened {
    case: CaseView,
    /// `opened` or `linked`.
    result: &'static str,
}

/// Opens a case by hand. A case of the same type open for the same Task takes it instead
/// (`result: linked`).
#[utoipa::path(post, path = "/v1/cases", tag = "cases", security(("bearer" = [])),
    request_body = OpenCaseRequest,
    responses((status = 201, body = Opened), (status = 200, description = "Linked to an open case", body = Opened),
        (status = 400, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn open_case(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<OpenCaseRequest>,
) -> Result<(StatusCode, Json<Opened>), Problem> {
    let actor = worker(&caller)?;
    let case_type = CaseType::parse(&request.case_type)
        .map_err(|e| Problem::bad_request(format!("type: {e}")))?;
    let priority = match &request.priority {
        Some(p) => {
            Priority::parse(p).map_err(|e| Problem::bad_request(format!("priority: {e}")))?
        }
        None => Priority::Normal,
    };
    let by_hand = cases::ops::ByHand {
        case_type,
        priority,
        market: request.market,
        claimant_id: request.claimant_id,
        client_id: request.client_id,
        tasker_id: request.tasker_id,
        task_id: request.task_id,
        claimed: request.amount.map(|a| a.money("amount")).transpose()?,
        summary: request.summary,
        events: request.events,
        source: arbiter_resolve::Source::Api,
    };
    let (case, linked) = cases::ops::open_by_hand(state.app(), &actor, by_hand).await?;
    let (result, status) = if linked {
        ("linked", StatusCode::OK)
    } else {
        ("opened", StatusCode::CREATED)
    };
    Ok((
        status,
        Json(Opened {
            case: CaseView::new(&case, arbiter_app::now()),
            result,
        }),
    ))
}

/// A step of the case's playbook.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlaybookStepView {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) evidence: Vec<String>,
    pub(crate) clause: Option<String>,
    pub(crate) done: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlaybookOutcomeView {
    pub(crate) outcome: String,
    /// `happy` or `sad`.
    pub(crate) path: String,
    pub(crate) guideline: String,
    pub(crate) template: Option<String>,
}

/// The playbook the case is worked under, at the version it records.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlaybookView {
    pub(crate) version: i64,
    pub(crate) title: String,
    pub(crate) procedure: Option<String>,
    pub(crate) steps: Vec<PlaybookStepView>,
    pub(crate) outcomes: Vec<PlaybookOutcomeView>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CaseDecision)]
pub(crate) struct DecisionView {
    outcome: String,
    amount: Option<Amount>,
    clauses: Vec<String>,
    text: String,
    decided_by: String,
    automated: bool,
    playbook_version: i64,
    decided_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerEntryView {
    id: i64,
    kind: String,
    counterparty: String,
    amount: Amount,
    reverses: Option<i64>,
    override_reason: Option<String>,
    note: String,
    recorded_by: String,
    recorded_at: String,
}

/// Balances from the entries alone.
#[derive(Serialize, ToSchema)]
pub(crate) struct LedgerTotalsView {
    pub(crate) reserve: Amount,
    pub(crate) payouts: Amount,
    pub(crate) refunds: Amount,
    pub(crate) goodwill: Amount,
    pub(crate) recoveries: Amount,
    pub(crate) net_loss: Amount,
    /// What the Guarantee still pays on this claim; absent when the case is not a claim.
    pub(crate) limit_left: Option<Amount>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct MessageView {
    id: i64,
    direction: String,
    party: String,
    recipient: Option<String>,
    locale: String,
    template: Option<String>,
    body: String,
    sent_by: String,
    at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AuditView {
    at: String,
    actor: String,
    /// `person`, `rule`, `automation` or `system`.
    actor_kind: String,
    action: String,
    before: Option<String>,
    after: Option<String>,
    note: String,
}

/// A case with everything about it.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDetail {
    pub(crate) case: CaseView,
    pub(crate) eligibility: Option<EligibilityView>,
    pub(crate) playbook: Option<PlaybookView>,
    pub(crate) decisions: Vec<DecisionView>,
    pub(crate) ledger: Vec<LedgerEntryView>,
    pub(crate) totals: LedgerTotalsView,
    pub(crate) messages: Vec<MessageView>,
    pub(crate) audit: Vec<AuditView>,
    /// Linked events, by id.
    pub(crate) events: Vec<String>,
    pub(crate) evidence: Vec<EvidenceView>,
    /// Decisions that flagged a party (review or block), newest first: the fraud signals to
    /// read beside eligibility.
    pub(crate) signals: Vec<SignalView>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SignalView {
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) user: String,
    pub(crate) verdict: String,
    pub(crate) score: f64,
    pub(crate) rules: Vec<String>,
    pub(crate) occurred_at: String,
}

/// An evidence file on a case; its bytes are at `/v1/cases/{id}/evidence/{evidence_id}`.
#[derive(Serialize, ToSchema)]
pub(crate) struct EvidenceView {
    pub(crate) id: i64,
    pub(crate) filename: String,
    pub(crate) content_type: String,
    pub(crate) size: i64,
    pub(crate) sha256: String,
    pub(crate) uploaded_by: String,
    pub(crate) uploaded_at: String,
}

fn number_of(id: &str) -> Result<i64, Problem> {
    case_number(id)
        .ok_or_else(|| Problem::not_found(format!("{id:?} is not a case id such as case_12")))
}

/// A case and everything about it, read once.
pub(crate) async fn case_file(state: &AppState, number: i64) -> Result<CaseFile, Problem> {
    Ok(cases::case_file(state.store(), state.resolution(), number).await?)
}

impl PlaybookView {
    fn new(playbook: &arbiter_resolve::Playbook, case: &Case) -> PlaybookView {
        PlaybookView {
            version: playbook.version,
            title: playbook.title.clone(),
            procedure: playbook.procedure.clone(),
            steps: playbook
                .steps
                .iter()
                .map(|s| PlaybookStepView {
                    done: case.steps_done.contains(&s.id),
                    id: s.id.clone(),
                    title: s.title.clone(),
                    evidence: s.evidence.clone(),
                    clause: s.clause.clone(),
                })
                .collect(),
            outcomes: playbook
                .outcomes
                .iter()
                .map(|o| PlaybookOutcomeView {
                    outcome: o.outcome.clone(),
                    path: o.path.clone(),
                    guideline: o.guideline.clone(),
                    template: o.template.clone(),
                })
                .collect(),
        }
    }
}

impl LedgerTotalsView {
    fn new(file: &CaseFile) -> LedgerTotalsView {
        let money = |minor| Amount::from_money(Money::new(minor, file.case.currency));
        let t = &file.totals;
        LedgerTotalsView {
            reserve: money(t.reserve),
            payouts: money(t.payouts),
            refunds: money(t.refunds),
            goodwill: money(t.goodwill),
            recoveries: money(t.recoveries),
            net_loss: money(t.net_loss()),
            limit_left: file.limit_left.map(Amount::from_money),
        }
    }
}

impl CaseDetail {
    pub(crate) fn new(file: &CaseFile, now: i64) -> CaseDetail {
        let time = arbiter_model::format_micros;
        CaseDetail {
            case: CaseView::new(&file.case, now),
            eligibility: file.case.eligibility.as_ref().map(EligibilityView::from),
            playbook: file
                .playbook
                .as_ref()
                .map(|p| PlaybookView::new(p, &file.case)),
            decisions: file
                .decisions
                .iter()
                .map(|d| DecisionView {
                    amount: d
                        .decision
                        .amount_minor
                        .map(|m| Amount::of(m, &d.decision.currency)),
                    outcome: d.decision.outcome.clone(),
                    clauses: d.decision.clauses.clone(),
                    text: d.decision.text.clone(),
                    decided_by: d.decision.decided_by.clone(),
                    automated: d.decision.automated,
                    playbook_version: d.decision.playbook_version,
                    decided_at: time(d.decided_at),
                })
                .collect(),
            ledger: file
                .ledger
                .iter()
                .map(|r| LedgerEntryView {
                    id: r.id,
                    amount: Amount::of(r.entry.amount_minor, &r.entry.currency),
                    kind: r.entry.kind.clone(),
                    counterparty: r.entry.counterparty.clone(),
                    reverses: r.entry.reverses,
                    override_reason: r.entry.override_reason.clone(),
                    note: r.entry.note.clone(),
                    recorded_by: r.entry.recorded_by.clone(),
                    recorded_at: time(r.recorded_at),
                })
                .collect(),
            totals: LedgerTotalsView::new(file),
            messages: file
                .messages
                .iter()
                .map(|m| MessageView {
                    id: m.id,
                    direction: m.message.direction.clone(),
                    party: m.message.party.clone(),
                    recipient: m.message.recipient.clone(),
                    locale: m.message.locale.clone(),
                    template: m.message.template.clone(),
                    body: m.message.body.clone(),
                    sent_by: m.message.sent_by.clone(),
                    at: time(m.at),
                })
                .collect(),
            audit: file
                .audit
                .iter()
                .map(|a| AuditView {
                    at: time(a.at),
                    actor: a.entry.actor.clone(),
                    actor_kind: a.entry.actor_kind.clone(),
                    action: a.entry.action.clone(),
                    before: a.entry.before.clone(),
                    after: a.entry.after.clone(),
                    note: a.entry.note.clone(),
                })
                .collect(),
            events: file.events.iter().map(|(id, _)| id.clone()).collect(),
            evidence: file
                .evidence
                .iter()
                .map(|e| EvidenceView {
                    id: e.id,
                    filename: e.filename.clone(),
                    content_type: e.content_type.clone(),
                    size: e.size,
                    sha256: e.sha256.clone(),
                    uploaded_by: e.uploaded_by.clone(),
                    uploaded_at: time(e.uploaded_at),
                })
                .collect(),
            signals: file
                .signals
                .iter()
                .map(|s| SignalView {
                    user: s.member.clone(),
                    event_id: s.decision.event_id.clone(),
                    event_type: s.decision.event_type.clone(),
                    verdict: s.decision.verdict.clone(),
                    score: s.decision.score,
                    rules: s.decision.fired.clone(),
                    occurred_at: time(s.decision.occurred_at),
                })
                .collect(),
        }
    }
}

/// A case with its eligibility, playbook and the steps done, decisions, ledger and totals,
/// messages, audit trail and linked events.
#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "case_12")),
    responses((status = 200, body = CaseDetail), (status = 404, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn get_case(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let file = case_file(&state, number_of(&id)?).await?;
    Ok(Json(CaseDetail::new(&file, arbiter_app::now())))
}

/// The caller as the one changing a case, if they may work cases.
fn worker(caller: &Caller) -> Result<ChangedBy, Problem> {
    caller.require(Permission::WorkCases)?;
    Ok(ChangedBy::Staff(caller.label.clone()))
}

fn view(case: Case) -> Json<CaseView> {
    Json(CaseView::new(&case, arbiter_app::now()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepRequest {
    /// `triage`, `investigate`, `request_information`, `information_received`, `close`,
    /// `appeal` or `reopen` (decide with `/decision`).
    step: String,
    #[serde(default)]
    note: String,
    /// The case version the step is based on.
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    version: Option<i64>,
}

/// Moves a case along its lifecycle; an illegal step is refused (409) with the reason.
#[utoipa::path(post, path = "/v1/cases/{id}/steps", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StepRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "Not allowed from the case's state, or the case changed since `version`", body = Problem)))]
pub(crate) async fn take_step(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<StepRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let step =
        Step::parse(&request.step).map_err(|e| Problem::bad_request(format!("step: {e}")))?;
    let case = cases::ops::step(
        state.app(),
        &actor,
        number_of(&id)?,
        request.version,
        step,
        &request.note,
    )
    .await?;
    Ok(view(case))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateRequest {
    priority: Option<String>,
    queue: Option<String>,
    /// Who works the case; an empty string leaves it unassigned.
    assignee: Option<String>,
    /// Playbook step ids to mark done.
    #[serde(default)]
    steps_done: Vec<String>,
    /// Playbook step ids to mark not done.
    #[serde(default)]
    steps_undone: Vec<String>,
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    version: Option<i64>,
}

/// Changes a case's priority (its deadlines follow), queue, assignee or playbook steps.
#[utoipa::path(patch, path = "/v1/cases/{id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn update_case(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let priority = request
        .priority
        .as_deref()
        .map(|p| Priority::parse(p).map_err(|e| Problem::bad_request(format!("priority: {e}"))))
        .transpose()?;
    let update = cases::Update {
        priority,
        queue: request.queue,
        assignee: request
            .assignee
            .map(|a| Some(a).filter(|a| !a.trim().is_empty())),
        steps_done: request.steps_done,
        steps_undone: request.steps_undone,
    };
    let case = cases::ops::update(
        state.app(),
        &actor,
        number_of(&id)?,
        request.version,
        update,
    )
    .await?;
    Ok(view(case))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NextRequest {
    /// The queue to pull from; every queue when absent.
    queue: Option<String>,
}

/// Assigns the caller the most urgent open case nobody is working (in a queue, or any), and
/// answers it; 404 when there is none.
#[utoipa::path(post, path = "/v1/cases/next", tag = "cases", security(("bearer" = [])),
    request_body = NextRequest,
    responses((status = 200, body = CaseView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn pull_next(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NextRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    match cases::ops::pull_next(state.app(), &actor, request.queue.as_deref()).await? {
        Some(case) => Ok(view(case)),
        None => Err(Problem::not_found(match request.queue {
            Some(q) => format!("no open case waits unassigned in queue {q}"),
            None => "no open case waits unassigned".into(),
        })),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecideCaseRequest {
    /// `approved`, `partly_approved`, `denied`, `resolved_without_payout` or `referred`.
    outcome: String,
    /// What is paid to the claimant, for an approval, in the case's currency.
    amount: Option<Amount>,
    /// Clauses the decision rests on, e.g. `POL-GUARANTEE §3.1`; a denial needs one.
    #[serde(default)]
    clauses: Vec<String>,
    text: String,
    /// Why a payout goes past what the Guarantee still allows.
    override_reason: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    version: Option<i64>,
}

/// Decides a case. A paying outcome records the payout to the claimant (refused past the
/// Guarantee's remaining limit without an override reason) and releases the reserve. A
/// decided or closed case must be appealed or reopened first (409).
#[utoipa::path(post, path = "/v1/cases/{id}/decision", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = DecideCaseRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn decide_case(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<DecideCaseRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let outcome = Outcome::parse(&request.outcome)
        .map_err(|e| Problem::bad_request(format!("outcome: {e}")))?;
    let amount = request.amount.map(|a| a.money("amount")).transpose()?;
    let decision = cases::CaseDecisionRequest {
        outcome,
        amount,
        clauses: request.clauses,
        text: request.text,
        override_reason: request.override_reason,
    };
    let case = cases::ops::decide(
        state.app(),
        &actor,
        number_of(&id)?,
        request.version,
        decision,
    )
    .await?;
    Ok(view(case))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LedgerRequest {
    /// `reserve`, `reserve_release`, `payout`, `refund`, `goodwill`, `recovery` or `reversal`.
    kind: String,
    /// `client`, `tasker`, `insurer` or `platform`.
    counterparty: String,
    /// Always positive; the kind says which way money moved.
    amount: Amount,
    /// For a reversal: the entry it undoes.
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    reverses: Option<i64>,
    override_reason: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    version: Option<i64>,
}

/// Appends a ledger entry to a case; nothing is ever changed in place, a mistake is undone by a
/// reversal.
#[utoipa::path(post, path = "/v1/cases/{id}/ledger", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LedgerRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn record_ledger(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<LedgerRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let kind =
        EntryKind::parse(&request.kind).map_err(|e| Problem::bad_request(format!("kind: {e}")))?;
    let counterparty = Counterparty::parse(&request.counterparty)
        .map_err(|e| Problem::bad_request(format!("counterparty: {e}")))?;
    let entry = arbiter_resolve::NewEntry {
        kind,
        counterparty,
        amount: request.amount.money("amount")?,
        reverses: request.reverses,
        override_reason: request.override_reason,
    };
    let case = cases::ops::ledger_entry(
        state.app(),
        &actor,
        number_of(&id)?,
        request.version,
        entry,
        request.note.trim(),
    )
    .await?;
    Ok(view(case))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRequest {
    /// `client` or `tasker`.
    party: String,
    /// `out` (to the party, the default) or `in` (from them).
    direction: Option<String>,
    /// A template clause, e.g. `TPL-CLAIM-DECISION-EN §1`; its variant in the market's language
    /// is used.
    template: Option<String>,
    /// Values for the template's placeholders beyond those the case gives.
    #[serde(default)]
    values: BTreeMap<String, String>,
    /// The text, when no template is used.
    body: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::integer::optional")]
    version: Option<i64>,
}

/// Logs a message to or from a party; each is a customer touch. Messages out reach the
/// marketplace by webhook (topic `case_messages`) to deliver.
#[utoipa::path(post, path = "/v1/cases/{id}/messages", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MessageRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn post_message(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<MessageRequest>,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let draft = cases::MessageDraft {
        party: cases::message_party(&request.party)?,
        direction: cases::message_direction(request.direction.as_deref().unwrap_or("out"))?,
        template: request.template,
        values: request.values,
        body: request.body,
    };
    let case =
        cases::ops::message(state.app(), &actor, number_of(&id)?, request.version, draft).await?;
    Ok(view(case))
}

/// Open cases per queue and how many are past their resolution deadline.
#[derive(Serialize, ToSchema)]
pub(crate) struct QueueView {
    id: String,
    name: String,
    open: i64,
    overdue: i64,
}

/// The queues, with their open and overdue cases.
#[utoipa::path(get, path = "/v1/queues", tag = "cases", security(("bearer" = [])),
    responses((status = 200, body = Vec<QueueView>), (status = 401, body = Problem)))]
pub(crate) async fn list_queues(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
) -> Result<Json<Vec<QueueView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let counts = state.store().queue_counts(arbiter_app::now()).await?;
    Ok(Json(
        state
            .resolution()
            .queues
            .iter()
            .map(|q| {
                let (open, overdue) = counts
                    .iter()
                    .find(|(id, _, _)| id == &q.id)
                    .map_or((0, 0), |(_, open, overdue)| (*open, *overdue));
                QueueView {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    open,
                    overdue,
                }
            })
            .collect(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EvidenceQuery {
    /// The file's name, e.g. `table.jpg`.
    filename: String,
    version: Option<i64>,
}

/// Adds an evidence file: the body is the file, `Content-Type` its type (JPEG, PNG or WebP
/// photos, PDF, plain text), checked by content; at most 10 MiB.
#[utoipa::path(post, path = "/v1/cases/{id}/evidence", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path), EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, description = "The case changed since `version`", body = Problem),
        (status = 413, body = Problem)))]
pub(crate) async fn post_evidence(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<EvidenceQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<CaseView>, Problem> {
    let actor = worker(&caller)?;
    let declared = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = crate::api::read_body(body, arbiter_resolve::evidence::MAX_EVIDENCE_BYTES).await?;
    let upload = cases::Upload {
        filename: query.filename,
        declared_type: declared,
        bytes: bytes.to_vec(),
    };
    let case =
        cases::ops::add_evidence(state.app(), &actor, number_of(&id)?, query.version, upload)
            .await?;
    Ok(view(case))
}

/// An evidence file, as uploaded.
#[utoipa::path(get, path = "/v1/cases/{id}/evidence/{evidence_id}", tag = "cases", security(("bearer" = [])),
    params(("id" = String, Path, description = "case_12"),
        ("evidence_id" = String, Path, description = "The evidence's number on the case, e.g. 3")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub(crate) async fn get_evidence(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    Path((id, evidence_id)): Path<(String, String)>,
) -> Result<axum::response::Response, Problem> {
    caller.require(Permission::ReadEvents)?;
    let number = number_of(&id)?;
    // Like case ids, an evidence id that is no number names nothing.
    let evidence_id = evidence_id
        .parse()
        .map_err(|_| Problem::not_found(format!("{id} has no evidence {evidence_id:?}")))?;
    evidence_response(&state, number, evidence_id).await
}

/// A stored file as a download: never shown inline, never sniffed as another type.
pub(crate) async fn evidence_response(
    state: &AppState,
    number: i64,
    evidence_id: i64,
) -> Result<axum::response::Response, Problem> {
    use axum::response::IntoResponse;
    let (record, data) = state
        .store()
        .evidence_file(number, evidence_id)
        .await?
        .ok_or_else(|| {
            Problem::not_found(format!("{} has no evidence {evidence_id}", case_id(number)))
        })?;
    let safe_name: String = record
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, record.content_type),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_owned(),
            ),
        ],
        data,
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LedgerTotalsQuery {
    /// RFC 3339, inclusive.
    from: String,
    /// RFC 3339, exclusive.
    to: String,
    /// One market only.
    market: Option<String>,
}

/// Money moved in one market and currency in one month.
#[derive(Serialize, ToSchema)]
pub(crate) struct PeriodTotalsView {
    pub(crate) market: String,
    pub(crate) currency: String,
    /// `YYYY-MM`, UTC.
    pub(crate) month: String,
    pub(crate) reserved: i64,
    pub(crate) released: i64,
    pub(crate) payouts: i64,
    pub(crate) refunds: i64,
    pub(crate) goodwill: i64,
    pub(crate) recoveries: i64,
    /// Payouts, refunds and goodwill less recoveries, in minor units of `currency`.
    pub(crate) net_loss: i64,
}

/// The loss ledger's totals by market, currency and month (amounts in minor units; currencies
/// are never added together), from the entries alone.
pub(crate) async fn period_totals(
    state: &AppState,
    from: i64,
    to: i64,
    market: Option<&str>,
) -> Result<Vec<PeriodTotalsView>, Problem> {
    let entries = state.store().ledger_entries_between(from, to).await?;
    let movements: Vec<arbiter_resolve::Movement<'_>> = entries
        .iter()
        .filter(|(r, _)| market.is_none_or(|m| r.entry.market == m))
        .filter_map(|(r, reversed)| {
            let (kind, reversal) = match reversed {
                Some(original) => (EntryKind::parse(original).ok()?, true),
                None => (EntryKind::parse(&r.entry.kind).ok()?, false),
            };
            let month = arbiter_model::from_micros(r.recorded_at)
                .map(|t| format!("{:04}-{:02}", t.year(), u8::from(t.month())))?;
            Some(arbiter_resolve::Movement {
                market: &r.entry.market,
                currency: &r.entry.currency,
                month,
                kind,
                reversal,
                minor: r.entry.amount_minor,
            })
        })
        .collect();
    Ok(arbiter_resolve::period_totals(&movements)
        .into_iter()
        .map(|t| PeriodTotalsView {
            net_loss: t.net_loss(),
            market: t.market,
            currency: t.currency,
            month: t.month,
            reserved: t.reserved,
            released: t.released,
            payouts: t.payouts,
            refunds: t.refunds,
            goodwill: t.goodwill,
            recoveries: t.recoveries,
        })
        .collect())
}

/// Ledger totals by market, currency and month for a period.
#[utoipa::path(get, path = "/v1/ledger/totals", tag = "cases", security(("bearer" = [])),
    params(LedgerTotalsQuery),
    responses((status = 200, body = Vec<PeriodTotalsView>), (status = 400, body = Problem), (status = 401, body = Problem)))]
pub(crate) async fn ledger_totals(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<LedgerTotalsQuery>,
) -> Result<Json<Vec<PeriodTotalsView>>, Problem> {
    caller.require(Permission::ReadEvents)?;
    let from = crate::api::parse_time("from", &query.from)?;
    let to = crate::api::parse_time("to", &query.to)?;
    if to <= from {
        return Err(Problem::unprocessable("to: must be after from", Vec::new()));
    }
    Ok(Json(
        period_totals(&state, from, to, query.market.as_deref()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BulkRequest {
    /// Case ids, at most 500.
    cases: Vec<String>,
    /// `assign` (value: a person, or empty to unassign), `priority`, `queue`, or `step`
    /// (value: a lifecycle step other than decide).
    action: String,
    #[serde(default)]
    value: String,
}

/// What became of one case of a bulk action.
#[derive(Serialize, ToSchema)]
pub(crate) struct BulkOutcome {
    id: String,
    ok: bool,
    /// Why this case was not changed.
    error: Option<String>,
}

/// Applies one action to many cases; each case is changed on its own, and each answer says
/// whether it was and, if not, why.
#[utoipa::path(post, path = "/v1/cases/bulk", tag = "cases", security(("bearer" = [])),
    request_body = BulkRequest,
    responses((status = 200, body = Vec<BulkOutcome>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn bulk_action(
    AxumState(state): AxumState<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<BulkRequest>,
) -> Result<Json<Vec<BulkOutcome>>, Problem> {
    let actor = worker(&caller)?;
    let outcomes = cases::ops::bulk(
        state.app(),
        &actor,
        &request.cases,
        &request.action,
        &request.value,
    )
    .await
    .map_err(Problem::from)?;
    Ok(Json(
        outcomes
            .into_iter()
            .map(|(id, result)| BulkOutcome {
                id,
                ok: result.is_ok(),
                error: result.err(),
            })
            .collect(),
    ))
}

/// Whether the Guarantee pays a claim, with the reasons and the clauses they cite.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EligibilityView {
    /// `eligible`, `partly_eligible` or `not_eligible`.
    pub outcome: String,
    pub payable_minor: i64,
    pub currency: String,
    pub reasons: Vec<ReasonView>,
}

/// One reason of an eligibility result.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ReasonView {
    pub code: String,
    pub text: String,
    pub clause: String,
}

impl From<&Eligibility> for EligibilityView {
    fn from(e: &Eligibility) -> EligibilityView {
        EligibilityView {
            outcome: e.outcome.as_str().to_owned(),
            payable_minor: e.payable.minor,
            currency: e.payable.currency.to_string(),
            reasons: e
                .reasons
                .iter()
                .map(|r| ReasonView {
                    code: r.code.as_str().to_owned(),
                    text: r.text.clone(),
                    clause: r.clause.clone(),
                })
                .collect(),
        }
    }
}
