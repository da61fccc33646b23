//! The operations on a case: opening one (from an event, a rule or by hand), a lifecycle step,
//! a decision, a ledger entry, a field update, a message, an evidence file. Each is a function
//! of the case, its context, the request, who asks and the time, and returns the case as it
//! becomes with the [`Change`] to store beside it, or why it is refused. Nothing here reads a
//! clock or a store: the service loads the case, calls one of these, and writes what comes back
//! under the version it read.

use crate::case::{
    Case, CaseType, IllegalStep, Parties, Party, Priority, Source, State, Step, next_state,
};
use crate::change::{
    AuditAction, Change, ChangedBy, Direction, Evidence, Message, RecordedDecision, RecordedEntry,
    wording,
};
use crate::config::Config;
use crate::decision::{self, AutoFacts, CaseDecision, DecisionError, Outcome};
use crate::facts::{ClaimDetails, LogFacts, eligibility_facts};
use crate::guarantee;
use crate::ledger::{self, Counterparty, Entry, EntryKind, LedgerError, NewEntry};
use crate::routing::{RouteFacts, route};
use crate::sla;
use arbiter_model::{Market, Micros, Money};
use std::collections::BTreeMap;

/// Everything an operation needs to know beside the case: the configuration and the case's
/// ledger so far.
#[derive(Debug, Clone, Copy)]
pub struct CaseContext<'a> {
    pub config: &'a Config,
    pub ledger: &'a [Entry],
}

/// Why an operation was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The lifecycle does not allow the step from where the case is.
    #[error("{0}")]
    Step(#[from] IllegalStep),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Decision(#[from] DecisionError),
    /// A value that does not fit the case or the configuration, named: `queue: …`.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> Refused {
    Refused::Invalid(message.into())
}

/// What a new case is opened with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub case_type: CaseType,
    pub priority: Priority,
    /// As given; a market without Guarantee terms is refused.
    pub market: String,
    pub parties: Parties,
    pub task_id: Option<String>,
    pub claimed: Option<Money>,
    pub claim: ClaimDetails,
    pub summary: String,
    pub source: Source,
    pub source_ref: Option<String>,
    /// When the case opens: its event's time, or now for a case opened by hand.
    pub opened_at: Micros,
    /// Events to link.
    pub events: Vec<String>,
    /// What the log says of the parties and the Task.
    pub log: LogFacts,
}

/// A new case with its routing, deadlines, playbook version, eligibility, reserve and audit
/// entry. An eligible claim an automatic rule covers comes back decided, paid and closed, by
/// that rule, at the time it opened.
pub fn open(config: &Config, opening: Opening, by: &ChangedBy) -> Result<(Case, Change), Refused> {
    let terms = config.terms(&opening.market).ok_or_else(|| {
        invalid(format!(
            "market: {} has no Guarantee terms configured; configured: {}",
            opening.market,
            config
                .markets
                .iter()
                .map(|t| t.market.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let market = Market::parse(&opening.market).map_err(|e| invalid(format!("market: {e}")))?;
    if let Some(claimed) = opening.claimed {
        if claimed.currency != terms.currency {
            return Err(invalid(format!(
                "amount: {} is not {}'s currency ({})",
                claimed.currency, opening.market, terms.currency
            )));
        }
        if claimed.minor <= 0 {
            return Err(invalid("amount: must be more than zero"));
        }
    }
    let facts = eligibility_facts(
        opening.case_type,
        opening.claimed,
        opening.opened_at,
        opening.task_id.as_deref(),
        &opening.claim,
        &opening.log,
    );
    let eligibility = facts
        .claim
        .as_ref()
        .map(|claim| guarantee::eligibility(claim, terms));
    let queue = route(
        &config.queues,
        &RouteFacts {
            case_type: opening.case_type,
            market: market.as_str(),
            priority: opening.priority,
            risk_score: facts.signals.risk_score,
        },
    )
    .ok_or_else(|| {
        invalid(format!(
            "queue: no configured queue takes {} cases in {market}",
            opening.case_type
        ))
    })?
    .id
    .clone();
    let playbook_version = config
        .playbook(opening.case_type)
        .ok_or_else(|| {
            invalid(format!(
                "type: no playbook is configured for {}",
                opening.case_type
            ))
        })?
        .version;
    let mut case = Case {
        number: 0,
        case_type: opening.case_type,
        state: State::New,
        priority: opening.priority,
        queue,
        assignee: None,
        market,
        currency: terms.currency,
        parties: opening.parties,
        task_id: opening.task_id,
        source: opening.source,
        source_ref: opening.source_ref,
        claimed: opening.claimed,
        risk_score: facts.signals.risk_score,
        eligibility: eligibility.clone(),
        summary: opening.summary,
        playbook_version,
        steps_done: Vec::new(),
        opened_at: opening.opened_at,
        deadlines: sla::deadlines(
            &config.slas,
            opening.case_type,
            opening.priority,
            opening.opened_at,
        ),
        first_response_at: None,
        resolved_at: None,
        closed_at: None,
        reopened: 0,
        touches: 0,
        automated: false,
        version: 1,
        updated_at: opening.opened_at,
    };
    let mut change = Change {
        events: opening.events,
        ..Change::default()
    };
    change.audit.push(wording::opened(by, &case, ""));
    let Some(eligibility) = eligibility else {
        return Ok((case, change));
    };
    if eligibility.payable.minor > 0 {
        let reserve = RecordedEntry {
            kind: EntryKind::Reserve,
            counterparty: Counterparty::Platform,
            amount: eligibility.payable,
            reverses: None,
            override_reason: None,
            note: "reserve for the eligible amount".into(),
            recorded_by: by.clone(),
        };
        change.audit.push(wording::ledger(by, &reserve));
        change.ledger.push(reserve);
    }
    let Some(claimed) = case.claimed else {
        return Ok((case, change));
    };
    let automatic = decision::auto_resolve(
        &config.auto_rules,
        &AutoFacts {
            case_type: case.case_type,
            market: case.market.as_str(),
            claimed,
            eligibility: &eligibility,
            good_standing: facts.signals.good_standing,
            fraud_signal: facts.signals.fraud_signal,
        },
    );
    // Declined: a person decides, for the reason `auto_resolve` gives.
    let Ok((decision, rule)) = automatic else {
        return Ok((case, change));
    };
    let automation = ChangedBy::Automation(rule);
    case.state = State::Closed;
    case.resolved_at = Some(case.opened_at);
    case.closed_at = Some(case.opened_at);
    case.automated = true;
    let state = |from: State, to: State| {
        wording::field(
            &automation,
            AuditAction::State,
            Some(from.as_str().into()),
            Some(to.as_str().into()),
        )
    };
    change.audit.push(state(State::New, State::Decided));
    change.audit.push(wording::decision(&automation, &decision));
    let payout = RecordedEntry {
        kind: EntryKind::Payout,
        counterparty: case.parties.claimant_role().into(),
        // An automatic approval pays what is payable.
        amount: eligibility.payable,
        reverses: None,
        override_reason: None,
        note: "approved automatically".into(),
        recorded_by: automation.clone(),
    };
    change.decision = Some(RecordedDecision {
        decision,
        decided_by: automation.clone(),
        automated: true,
        playbook_version,
    });
    change.audit.push(wording::ledger(&automation, &payout));
    change.ledger.push(payout);
    change.audit.push(state(State::Decided, State::Closed));
    Ok((case, change))
}

/// A case as a person asks to open it, checked and tidied: the summary must say what it is
/// about, blank ids are none, the market is read in capitals. The service gathers the log's
/// facts for the parties this names, then calls [`open_by_hand`].
pub fn by_hand(mut opening: Opening) -> Result<Opening, Refused> {
    if opening.summary.trim().is_empty() {
        return Err(invalid("summary: say what the case is about"));
    }
    let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    opening.summary = opening.summary.trim().to_owned();
    opening.market = opening.market.trim().to_ascii_uppercase();
    opening.parties = Parties {
        claimant: blank(opening.parties.claimant),
        client: blank(opening.parties.client),
        tasker: blank(opening.parties.tasker),
    };
    opening.task_id = blank(opening.task_id);
    Ok(opening)
}

/// [`open`] for a case a person opens at `opening.opened_at` (now), checked and tidied by
/// [`by_hand`]; the opening is the case's first response. Its facts are gathered as intake's
/// are; the rules never screened it, so no automatic rule decides it.
pub fn open_by_hand(
    config: &Config,
    opening: Opening,
    by: &ChangedBy,
) -> Result<(Case, Change), Refused> {
    let opening = by_hand(opening)?;
    let at = opening.opened_at;
    let (mut case, mut change) = open(config, opening, by)?;
    case.first_response_at = Some(at);
    if let Some(opened) = change.audit.first_mut() {
        opened.note = "opened by hand".into();
    }
    Ok((case, change))
}

/// A lifecycle step other than deciding ([`decide`] takes that, with its outcome), with an
/// optional note. Closing releases what reserve is left; reopening counts, and reopening or
/// appealing starts a fresh resolution deadline from `now`.
pub fn step(
    case: &Case,
    context: &CaseContext<'_>,
    step: Step,
    note: &str,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    if step == Step::Decide {
        return Err(invalid(
            "step: decide with POST /v1/cases/{id}/decision, which records the outcome",
        ));
    }
    let mut after = case.clone();
    let mut change = Change::default();
    after.state = next_state(case.state, step)?;
    match step {
        Step::Close => {
            after.closed_at = Some(now);
            let held = ledger::totals(context.ledger).reserve;
            if held > 0 {
                change.ledger.push(RecordedEntry {
                    kind: EntryKind::ReserveRelease,
                    counterparty: Counterparty::Platform,
                    amount: Money::new(held, case.currency),
                    reverses: None,
                    override_reason: None,
                    note: "released at close".into(),
                    recorded_by: by.clone(),
                });
            }
        }
        Step::Reopen => {
            after.reopened += 1;
            after.closed_at = None;
            after.resolved_at = None;
            after.deadlines.resolution_due = fresh_resolution_due(case, context.config, now);
        }
        Step::Appeal => {
            after.closed_at = None;
            after.deadlines.resolution_due = fresh_resolution_due(case, context.config, now);
        }
        _ => {}
    }
    if !note.trim().is_empty() {
        change.audit.push(wording::note(by, note.trim()));
    }
    Ok(finish(case, after, change, by, now))
}

fn fresh_resolution_due(case: &Case, config: &Config, now: Micros) -> Micros {
    sla::deadlines(&config.slas, case.case_type, case.priority, now).resolution_due
}

/// A decision as asked for, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecisionRequest {
    pub outcome: Outcome,
    pub amount: Option<Money>,
    pub clauses: Vec<String>,
    pub text: String,
    /// Why a payout goes past what the Guarantee still allows.
    pub override_reason: Option<String>,
}

/// Decides the case: checks the decision, moves the case to `decided`, and for a paying
/// outcome records the payout to the claimant (checked against the remaining limit) and
/// releases the rest of the reserve. Checking that each clause exists in the policy library is
/// the caller's, which holds the library.
pub fn decide(
    case: &Case,
    context: &CaseContext<'_>,
    request: CaseDecisionRequest,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    let decision = CaseDecision {
        outcome: request.outcome,
        amount: request.amount,
        clauses: request.clauses,
        text: request.text,
    };
    decision::check(&decision, case.currency)?;
    let mut after = case.clone();
    let mut change = Change::default();
    after.state = next_state(case.state, Step::Decide)?;
    after.resolved_at = Some(now);
    after.automated = matches!(by, ChangedBy::Automation(_));
    if let Some(amount) = decision.amount {
        let payout = NewEntry {
            kind: EntryKind::Payout,
            counterparty: case.parties.claimant_role().into(),
            amount,
            reverses: None,
            override_reason: request.override_reason,
        };
        ledger::check(
            &payout,
            case.currency,
            context.ledger,
            remaining_minor(case, context),
        )?;
        change.ledger.push(RecordedEntry {
            note: format!("{} by decision", decision.outcome),
            ..recorded(payout, by)
        });
    }
    let held = ledger::totals(context.ledger).reserve - decision.amount.map_or(0, |a| a.minor);
    if held > 0 {
        change.ledger.push(RecordedEntry {
            kind: EntryKind::ReserveRelease,
            counterparty: Counterparty::Platform,
            amount: Money::new(held, case.currency),
            reverses: None,
            override_reason: None,
            note: "released at decision".into(),
            recorded_by: by.clone(),
        });
    }
    change.decision = Some(RecordedDecision {
        decision,
        decided_by: by.clone(),
        automated: after.automated,
        playbook_version: case.playbook_version,
    });
    Ok(finish(case, after, change, by, now))
}

fn remaining_minor(case: &Case, context: &CaseContext<'_>) -> Option<i64> {
    ledger::limit_left(case, context.config, context.ledger).map(|m| m.minor)
}

/// A checked entry as recorded: a blank override reason is none.
fn recorded(entry: NewEntry, by: &ChangedBy) -> RecordedEntry {
    RecordedEntry {
        kind: entry.kind,
        counterparty: entry.counterparty,
        amount: entry.amount,
        reverses: entry.reverses,
        override_reason: entry.override_reason.filter(|r| !r.trim().is_empty()),
        note: String::new(),
        recorded_by: by.clone(),
    }
}

/// Appends a ledger entry after checking it against the case's entries and the remaining
/// limit.
pub fn record_entry(
    case: &Case,
    context: &CaseContext<'_>,
    entry: NewEntry,
    note: &str,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    ledger::check(
        &entry,
        case.currency,
        context.ledger,
        remaining_minor(case, context),
    )?;
    let change = Change {
        ledger: vec![RecordedEntry {
            note: note.to_owned(),
            ..recorded(entry, by)
        }],
        ..Change::default()
    };
    Ok(finish(case, case.clone(), change, by, now))
}

/// Field changes: priority (deadlines follow, from the opening), queue, assignee (`Some(None)`
/// unassigns), playbook steps done or undone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub priority: Option<Priority>,
    pub queue: Option<String>,
    pub assignee: Option<Option<String>>,
    pub steps_done: Vec<String>,
    pub steps_undone: Vec<String>,
}

/// Changes the fields an [`Update`] names; an unknown queue or playbook step is refused.
pub fn update(
    case: &Case,
    context: &CaseContext<'_>,
    update: Update,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    let config = context.config;
    if let Some(queue) = &update.queue
        && !config.queues.iter().any(|q| &q.id == queue)
    {
        return Err(invalid(format!(
            "queue: {queue:?} is not one of {}",
            config
                .queues
                .iter()
                .map(|q| q.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let playbook = config.playbook(case.case_type);
    for step in update.steps_done.iter().chain(&update.steps_undone) {
        if !playbook.is_some_and(|p| p.steps.iter().any(|s| &s.id == step)) {
            return Err(invalid(format!(
                "steps: the {} playbook has no step {step:?}",
                case.case_type
            )));
        }
    }
    let mut after = case.clone();
    for step in &update.steps_done {
        if !after.steps_done.contains(step) {
            after.steps_done.push(step.clone());
        }
    }
    after
        .steps_done
        .retain(|s| !update.steps_undone.contains(s));
    if let Some(priority) = update.priority {
        after.priority = priority;
        after.deadlines = sla::deadlines(&config.slas, case.case_type, priority, case.opened_at);
    }
    if let Some(queue) = update.queue {
        after.queue = queue;
    }
    if let Some(assignee) = update.assignee {
        after.assignee = assignee
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
    }
    Ok(finish(case, after, Change::default(), by, now))
}

/// A message to write: from a template clause, or as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDraft {
    pub party: Party,
    pub direction: Direction,
    /// A template clause such as `TPL-CLAIM-DECISION-EN §1`.
    pub template: Option<String>,
    /// Placeholder values beyond those the case gives.
    pub values: BTreeMap<String, String>,
    pub body: Option<String>,
}

/// Where a template message comes from: the policy library, and the case's newest decision for
/// its amount, reason and clause.
#[derive(Debug, Clone, Copy)]
pub struct Templates<'a> {
    pub library: &'a [arbiter_policy::Document],
    pub last_decision: Option<&'a CaseDecision>,
}

/// Longest message written by hand, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 20_000;

/// Writes a message to or from a party, from a template in the market's language or as
/// written, and records it ([`record_message`]).
pub fn message(
    case: &Case,
    context: &CaseContext<'_>,
    draft: MessageDraft,
    templates: Templates<'_>,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    let body = draft.body.filter(|b| !b.trim().is_empty());
    if draft.template.is_some() == body.is_some() {
        return Err(invalid(
            "give a template or a body, not both and not neither",
        ));
    }
    let recipient = case.parties.recipient(draft.party).map(str::to_owned);
    let locale = context.config.locale(case.market.as_str()).to_owned();
    let (template, text) = match (&draft.template, body) {
        (Some(template), _) => {
            let mut values = template_values(case, templates.last_decision);
            values.extend(draft.values);
            values
                .entry("recipient_name".into())
                .or_insert_with(|| recipient.clone().unwrap_or_default());
            let (used, text) = compose(case, templates.library, &locale, template, &values)?;
            (Some(used), text)
        }
        (None, Some(body)) if body.len() <= MAX_MESSAGE_BYTES => (None, body.trim().to_owned()),
        _ => return Err(invalid("body: write 1 to 20,000 characters")),
    };
    let message = Message {
        direction: draft.direction,
        party: draft.party,
        recipient,
        locale,
        template,
        body: text,
        sent_by: by.name().to_owned(),
    };
    Ok(record_message(case, message, by, now))
}

/// Records a message already written; each is a customer touch. Messages out reach the
/// marketplace by webhook.
pub fn record_message(
    case: &Case,
    message: Message,
    by: &ChangedBy,
    now: Micros,
) -> (Case, Change) {
    let mut after = case.clone();
    after.touches += 1;
    let change = Change {
        audit: vec![wording::message(by, &message)],
        messages: vec![message],
        ..Change::default()
    };
    finish(case, after, change, by, now)
}

/// What a template can say of a case without being told: its dates, and the newest decision's
/// amount, reason and clause.
pub fn template_values(
    case: &Case,
    last_decision: Option<&CaseDecision>,
) -> BTreeMap<String, String> {
    let date = |us: Micros| {
        arbiter_model::from_micros(us)
            .map(|t| t.date().to_string())
            .unwrap_or_else(|| us.to_string())
    };
    let mut values = BTreeMap::new();
    values.insert("task_date".into(), date(case.opened_at));
    values.insert("due_date".into(), date(case.deadlines.resolution_due));
    if let Some(decision) = last_decision {
        if let Some(amount) = decision.amount {
            values.insert("amount".into(), amount.to_string());
        }
        values.insert(
            "reason".into(),
            decision.text.trim_end_matches('.').to_owned(),
        );
        values.insert("outcome".into(), decision.text.clone());
        if let Some(clause) = decision.clauses.first() {
            values.insert("clause".into(), clause.clone());
        }
    }
    values
}

/// A template clause such as `TPL-CLAIM-DECISION-EN §1` filled for the case, in the variant for
/// `locale` when the library has one. Answers the clause used and the text.
pub fn compose(
    case: &Case,
    library: &[arbiter_policy::Document],
    locale: &str,
    template: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, String), Refused> {
    let citation = arbiter_policy::Citation::parse(template).ok_or_else(|| {
        invalid(format!(
            "template: {template:?} is not a clause such as TPL-CLAIM-DECISION-EN §1"
        ))
    })?;
    let base = library
        .iter()
        .find(|d| d.id == citation.document)
        .ok_or_else(|| {
            invalid(format!(
                "template: the library has no {}",
                citation.document
            ))
        })?;
    let family = base.variant_of.as_deref().unwrap_or(&base.id);
    let document = library
        .iter()
        .find(|d| d.locale == locale && (d.id == family || d.variant_of.as_deref() == Some(family)))
        .unwrap_or(base);
    let number = citation.clause.unwrap_or_else(|| "1".into());
    let text = crate::message::section(&document.body, &number)
        .ok_or_else(|| invalid(format!("template: {} has no section {number}", document.id)))?;
    let mut all = values.clone();
    all.entry("case_id".into()).or_insert_with(|| case.id());
    all.entry("appeal_link".into())
        .or_insert_with(|| "/help/POL-APPEALS".into());
    let filled = crate::message::fill(&text, &all)
        .map_err(|e| invalid(format!("template {}: {e}", document.id)))?;
    Ok((format!("{} §{number}", document.id), filled.text))
}

/// An evidence file as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub filename: String,
    /// The media type the uploader declared.
    pub declared_type: String,
    pub bytes: Vec<u8>,
}

/// Adds an evidence file after checking it by its content.
pub fn add_evidence(
    case: &Case,
    upload: Upload,
    by: &ChangedBy,
    now: Micros,
) -> Result<(Case, Change), Refused> {
    use sha2::Digest;
    let content_type =
        crate::evidence::check_evidence(&upload.filename, &upload.declared_type, &upload.bytes)
            .map_err(|e| invalid(e.to_string()))?;
    let sha256 = sha2::Sha256::digest(&upload.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let evidence = Evidence {
        filename: upload.filename.trim().to_owned(),
        content_type,
        sha256,
        data: upload.bytes,
        uploaded_by: by.clone(),
    };
    let change = Change {
        audit: vec![wording::evidence(by, &evidence)],
        evidence: vec![evidence],
        ..Change::default()
    };
    Ok(finish(case, case.clone(), change, by, now))
}

/// The fields a person sees change, with their values before and after.
pub fn changed_fields(
    before: &Case,
    after: &Case,
) -> Vec<(AuditAction, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    let mut check = |field, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push((field, x, y));
        }
    };
    let text = |s: &str| Some(s.to_owned());
    check(
        AuditAction::State,
        text(before.state.as_str()),
        text(after.state.as_str()),
    );
    check(
        AuditAction::Priority,
        text(before.priority.as_str()),
        text(after.priority.as_str()),
    );
    check(AuditAction::Queue, text(&before.queue), text(&after.queue));
    check(
        AuditAction::Assignee,
        before.assignee.clone(),
        after.assignee.clone(),
    );
    check(
        AuditAction::StepsDone,
        Some(before.steps_done.join(", ")),
        Some(after.steps_done.join(", ")),
    );
    check(
        AuditAction::ResolutionDue,
        Some(arbiter_model::format_micros(
            before.deadlines.resolution_due,
        )),
        Some(arbiter_model::format_micros(after.deadlines.resolution_due)),
    );
    out
}

/// What every operation ends with: an audit entry for each field that changed, and for the
/// decision and each ledger entry, so the trail alone tells the story; a person's first change
/// is the first response.
fn finish(
    before: &Case,
    mut after: Case,
    mut change: Change,
    by: &ChangedBy,
    now: Micros,
) -> (Case, Change) {
    for (action, old, new) in changed_fields(before, &after) {
        change.audit.push(wording::field(by, action, old, new));
    }
    let decided = change
        .decision
        .iter()
        .map(|d| wording::decision(by, &d.decision));
    let recorded = change.ledger.iter().map(|e| wording::ledger(by, e));
    let lines: Vec<_> = decided.chain(recorded).collect();
    change.audit.extend(lines);
    if by.is_staff() && after.first_response_at.is_none() {
        after.first_response_at = Some(now);
    }
    after.updated_at = now;
    (after, change)
}
