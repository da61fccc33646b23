//! The resolution center's service layer: cases opened from events, rules and people; every
//! change checked by `arbiter-resolve`, written with its audit trail under the version it was
//! read at; and the intake task that follows the event log behind the decider.

use arbiter_model::{Currency, Micros, Money};
use arbiter_resolve::{
    CaseType, Config, Eligibility, EntryKind, GuaranteeTerms, Outcome, Priority, State, Step,
    ledger, message, sla,
};
use arbiter_store::{
    CaseAdditions, CaseRecord, Intake, LedgerRecord, NewAudit, NewCaseDecision, NewLedgerEntry,
    NewMessage, Store, StoreError,
};
use std::collections::BTreeMap;

pub(crate) const DAY: Micros = 86_400_000_000;

/// Who changes a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A staff member, by label.
    Person(String),
    /// A rule, by id, through its `open_case` action.
    Rule(String),
    /// An automatic resolution rule, by name.
    Automation(String),
    /// Intake itself.
    System,
}

impl Actor {
    pub fn name(&self) -> &str {
        match self {
            Actor::Person(n) | Actor::Rule(n) | Actor::Automation(n) => n,
            Actor::System => "intake",
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Actor::Person(_) => "person",
            Actor::Rule(_) => "rule",
            Actor::Automation(_) => "automation",
            Actor::System => "system",
        }
    }

    fn audit(
        &self,
        action: &str,
        before: Option<String>,
        after: Option<String>,
        note: &str,
    ) -> NewAudit {
        NewAudit {
            actor: self.name().to_owned(),
            actor_kind: self.kind().to_owned(),
            action: action.to_owned(),
            before,
            after,
            note: note.to_owned(),
        }
    }
}

/// Why a change to a case was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("there is no case {0}")]
    NotFound(String),
    #[error("{0}")]
    Illegal(#[from] arbiter_resolve::IllegalStep),
    #[error("{0}")]
    Ledger(#[from] arbiter_resolve::LedgerError),
    #[error("{0}")]
    Decision(#[from] arbiter_resolve::DecisionError),
    /// A field that does not read, named.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// `case_12` ↔ 12.
pub fn case_id(number: i64) -> String {
    format!("case_{number}")
}

pub fn case_number(id: &str) -> Option<i64> {
    id.strip_prefix("case_")
        .unwrap_or(id)
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// The eligibility of a claim as stored with its case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredEligibility {
    /// `eligible`, `partly_eligible` or `not_eligible`.
    pub outcome: String,
    pub payable_minor: i64,
    pub currency: String,
    pub reasons: Vec<StoredReason>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredReason {
    pub code: String,
    pub text: String,
    pub clause: String,
}

impl From<&Eligibility> for StoredEligibility {
    fn from(e: &Eligibility) -> Self {
        StoredEligibility {
            outcome: e.outcome.as_str().to_owned(),
            payable_minor: e.payable.minor,
            currency: e.payable.currency.to_string(),
            reasons: e
                .reasons
                .iter()
                .map(|r| StoredReason {
                    code: r.code.to_owned(),
                    text: r.text.clone(),
                    clause: r.clause.clone(),
                })
                .collect(),
        }
    }
}

/// What a new case is opened with.
#[derive(Debug, Clone)]
pub struct Opening {
    pub case_type: CaseType,
    pub priority: Priority,
    pub market: String,
    pub claimant_id: Option<String>,
    pub client_id: Option<String>,
    pub tasker_id: Option<String>,
    pub task_id: Option<String>,
    pub claimed: Option<Money>,
    pub summary: String,
    pub source: &'static str,
    pub source_ref: Option<String>,
    pub risk_score: i64,
    pub fraud_signal: bool,
    pub good_standing: bool,
    pub eligibility: Option<Eligibility>,
    pub opened_at: Micros,
    pub events: Vec<String>,
}

/// A new case with its routing, deadlines, playbook version, reserve and audit entry; an
/// eligible claim that an automatic rule covers comes back already decided, paid and closed.
pub fn open(
    config: &Config,
    opening: Opening,
    actor: &Actor,
) -> Result<(CaseRecord, CaseAdditions), CaseError> {
    let terms = config.terms(&opening.market).ok_or_else(|| {
        CaseError::Invalid(format!(
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
    if let Some(claimed) = opening.claimed {
        if claimed.currency != terms.currency {
            return Err(CaseError::Invalid(format!(
                "amount: {} is not {}'s currency ({})",
                claimed.currency, opening.market, terms.currency
            )));
        }
        if claimed.minor <= 0 {
            return Err(CaseError::Invalid("amount: must be more than zero".into()));
        }
    }
    let queue = arbiter_resolve::route(
        &config.queues,
        &arbiter_resolve::RouteFacts {
            case_type: opening.case_type,
            market: &opening.market,
            priority: opening.priority,
            risk_score: opening.risk_score,
        },
    )
    .map(|q| q.id.clone())
    .unwrap_or_else(|| "general".into());
    let due = sla::deadlines(
        &config.slas,
        opening.case_type,
        opening.priority,
        opening.opened_at,
    );
    let playbook_version = config.playbook(opening.case_type).map_or(1, |p| p.version);
    let mut case = CaseRecord {
        number: 0,
        case_type: opening.case_type.as_str().into(),
        state: State::New.as_str().into(),
        priority: opening.priority.as_str().into(),
        queue: queue.clone(),
        assignee: None,
        market: opening.market.clone(),
        currency: terms.currency.to_string(),
        claimant_id: opening.claimant_id,
        client_id: opening.client_id,
        tasker_id: opening.tasker_id,
        intake_key: opening
            .task_id
            .as_ref()
            .map(|t| format!("{t}:{}", opening.case_type)),
        task_id: opening.task_id,
        source: opening.source.into(),
        source_ref: opening.source_ref,
        claimed_minor: opening.claimed.map(|m| m.minor),
        risk_score: opening.risk_score,
        eligibility: opening
            .eligibility
            .as_ref()
            .map(|e| serde_json::to_string(&StoredEligibility::from(e)).unwrap_or_default()),
        summary: opening.summary,
        playbook_version,
        steps_done: Vec::new(),
        opened_at: opening.opened_at,
        first_response_due: due.first_response_due,
        resolution_due: due.resolution_due,
        version: 1,
        updated_at: opening.opened_at,
        ..CaseRecord::default()
    };
    let mut additions = CaseAdditions {
        events: opening.events,
        ..CaseAdditions::default()
    };
    additions.audit.push(actor.audit(
        "opened",
        None,
        Some(format!(
            "{} in queue {queue}, priority {}",
            case.case_type, case.priority
        )),
        "",
    ));
    let Some(eligibility) = opening.eligibility else {
        return Ok((case, additions));
    };
    let money = |minor| Money::new(minor, terms.currency);
    if eligibility.payable.minor > 0 {
        let reserve = entry(
            &case,
            EntryKind::Reserve,
            "platform",
            eligibility.payable.minor,
            actor,
            "reserve for the eligible amount",
        );
        additions
            .audit
            .push(ledger_audit(actor, &reserve, terms.currency));
        additions.ledger.push(reserve);
    }
    let Some(claimed) = opening.claimed else {
        return Ok((case, additions));
    };
    let decided = arbiter_resolve::auto_resolve(
        &config.auto_rules,
        &arbiter_resolve::decision::AutoFacts {
            case_type: opening.case_type,
            market: &case.market,
            claimed,
            eligibility: &eligibility,
            good_standing: opening.good_standing,
            fraud_signal: opening.fraud_signal,
        },
    );
    if let Some((decision, rule)) = decided {
        let automation = Actor::Automation(rule);
        let amount = decision.amount.unwrap_or(money(0));
        case.state = State::Closed.as_str().into();
        case.resolved_at = Some(case.opened_at);
        case.closed_at = Some(case.opened_at);
        case.automated = true;
        additions.audit.push(automation.audit(
            "state",
            Some("new".into()),
            Some("decided".into()),
            "",
        ));
        additions.decision = Some(NewCaseDecision {
            outcome: decision.outcome.as_str().into(),
            amount_minor: Some(amount.minor),
            currency: case.currency.clone(),
            clauses: decision.clauses.clone(),
            text: decision.text.clone(),
            decided_by: automation.name().into(),
            automated: true,
            playbook_version,
        });
        if let Some(d) = &additions.decision {
            additions
                .audit
                .push(decision_audit(&automation, d, terms.currency));
        }
        let claimant_role = party_role(&case, case.claimant_id.as_deref());
        let payout = entry(
            &case,
            EntryKind::Payout,
            claimant_role,
            amount.minor,
            &automation,
            "approved automatically",
        );
        additions
            .audit
            .push(ledger_audit(&automation, &payout, terms.currency));
        additions.ledger.push(payout);
        additions.audit.push(automation.audit(
            "state",
            Some("decided".into()),
            Some("closed".into()),
            "",
        ));
    }
    Ok((case, additions))
}

fn entry(
    case: &CaseRecord,
    kind: EntryKind,
    counterparty: &str,
    minor: i64,
    actor: &Actor,
    note: &str,
) -> NewLedgerEntry {
    NewLedgerEntry {
        kind: kind.as_str().into(),
        counterparty: counterparty.into(),
        amount_minor: minor,
        currency: case.currency.clone(),
        market: case.market.clone(),
        reverses: None,
        override_reason: None,
        note: note.into(),
        recorded_by: actor.name().into(),
    }
}

/// `client` or `tasker`: the role `user` plays on the case.
fn party_role(case: &CaseRecord, user: Option<&str>) -> &'static str {
    if user.is_some() && user == case.tasker_id.as_deref() {
        "tasker"
    } else {
        "client"
    }
}

/// Everything a change needs to know of the case beside its row.
pub struct CaseContext<'a> {
    pub config: &'a Config,
    pub terms: Option<&'a GuaranteeTerms>,
    pub ledger: Vec<ledger::Entry>,
    pub currency: Currency,
    pub now: Micros,
}

/// Loads a case, lets `change` alter it under the rules of `arbiter-resolve`, records every
/// changed field in the audit trail with its before and after, and writes it under the version
/// it was read at (`read_version` when the caller read it earlier, as a form does). Answers the
/// case as written.
pub async fn change<F>(
    store: &Store,
    config: &Config,
    number: i64,
    read_version: Option<i64>,
    actor: &Actor,
    now: Micros,
    change: F,
) -> Result<CaseRecord, CaseError>
where
    F: FnOnce(&mut CaseRecord, &mut CaseAdditions, &CaseContext<'_>) -> Result<(), CaseError>,
{
    let before = store
        .case(number)
        .await?
        .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
    if let Some(read) = read_version
        && read != before.version
    {
        return Err(CaseError::Store(StoreError::Stale(format!(
            "{} changed since you read it (version {read}, now {}): reload it and try again",
            case_id(number),
            before.version
        ))));
    }
    let currency =
        Currency::parse(&before.currency).map_err(|e| CaseError::Store(StoreError::Corrupt(e)))?;
    let ledger = store
        .ledger(number)
        .await?
        .iter()
        .map(|r| domain_entry(r, currency))
        .collect::<Result<Vec<_>, _>>()?;
    let context = CaseContext {
        config,
        terms: config.terms(&before.market),
        ledger,
        currency,
        now,
    };
    let mut case = before.clone();
    let mut additions = CaseAdditions::default();
    change(&mut case, &mut additions, &context)?;
    for (field, old, new) in changed_fields(&before, &case) {
        additions.audit.push(actor.audit(field, old, new, ""));
    }
    audit_records(&mut additions, actor, currency);
    if matches!(actor, Actor::Person(_)) && case.first_response_at.is_none() {
        case.first_response_at = Some(now);
    }
    let version = store
        .save_case(&case, before.version, &additions, now)
        .await?;
    case.version = version;
    Ok(case)
}

/// Puts the decision and every ledger entry of a change in the audit trail beside the fields
/// it changed, so the trail alone tells the case's story.
fn audit_records(additions: &mut CaseAdditions, actor: &Actor, currency: Currency) {
    let mut lines: Vec<NewAudit> = additions
        .decision
        .iter()
        .map(|d| decision_audit(actor, d, currency))
        .collect();
    lines.extend(
        additions
            .ledger
            .iter()
            .map(|e| ledger_audit(actor, e, currency)),
    );
    additions.audit.extend(lines);
}

fn decision_audit(actor: &Actor, d: &NewCaseDecision, currency: Currency) -> NewAudit {
    let amount = d
        .amount_minor
        .map(|m| format!(", {}", Money::new(m, currency)))
        .unwrap_or_default();
    let clauses = if d.clauses.is_empty() {
        String::new()
    } else {
        format!(" ({})", d.clauses.join(", "))
    };
    actor.audit(
        "decision",
        None,
        Some(format!("{}{amount}{clauses}", d.outcome)),
        &d.text,
    )
}

fn ledger_audit(actor: &Actor, e: &NewLedgerEntry, currency: Currency) -> NewAudit {
    let amount = Money::new(e.amount_minor, currency);
    let what = match e.reverses {
        Some(id) => format!("reversal of #{id}, {amount}"),
        None => format!("{} {amount}, {}", e.kind, e.counterparty),
    };
    actor.audit(
        "ledger",
        None,
        Some(what),
        e.override_reason.as_deref().unwrap_or(&e.note),
    )
}

fn domain_entry(record: &LedgerRecord, currency: Currency) -> Result<ledger::Entry, StoreError> {
    let corrupt = |e: String| StoreError::Corrupt(format!("ledger entry {}: {e}", record.id));
    Ok(ledger::Entry {
        id: record.id,
        kind: EntryKind::parse(&record.entry.kind).map_err(corrupt)?,
        counterparty: arbiter_resolve::Counterparty::parse(&record.entry.counterparty)
            .map_err(corrupt)?,
        amount: Money::new(record.entry.amount_minor, currency),
        reverses: record.entry.reverses,
    })
}

/// The fields a person sees change, as `(field, before, after)`.
fn changed_fields(
    a: &CaseRecord,
    b: &CaseRecord,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    let mut check = |field, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push((field, x, y));
        }
    };
    check("state", Some(a.state.clone()), Some(b.state.clone()));
    check(
        "priority",
        Some(a.priority.clone()),
        Some(b.priority.clone()),
    );
    check("queue", Some(a.queue.clone()), Some(b.queue.clone()));
    check("assignee", a.assignee.clone(), b.assignee.clone());
    check(
        "steps_done",
        Some(a.steps_done.join(", ")),
        Some(b.steps_done.join(", ")),
    );
    check(
        "resolution_due",
        Some(arbiter_model::format_micros(a.resolution_due)),
        Some(arbiter_model::format_micros(b.resolution_due)),
    );
    out
}

/// Takes a lifecycle step other than deciding (which [`decide`] takes).
/// Closing releases whatever reserve the case still holds.
pub fn apply_step(
    case: &mut CaseRecord,
    additions: &mut CaseAdditions,
    step: Step,
    context: &CaseContext<'_>,
    actor: &Actor,
) -> Result<(), CaseError> {
    if step == Step::Decide {
        return Err(CaseError::Invalid(
            "step: decide with POST /v1/cases/{id}/decision, which records the outcome".into(),
        ));
    }
    let from = State::parse(&case.state).map_err(|e| CaseError::Store(StoreError::Corrupt(e)))?;
    let to = arbiter_resolve::next_state(from, step)?;
    case.state = to.as_str().into();
    match step {
        Step::Close => {
            case.closed_at = Some(context.now);
            let held = ledger::totals(&context.ledger).reserve;
            if held > 0 {
                additions.ledger.push(entry(
                    case,
                    EntryKind::ReserveRelease,
                    "platform",
                    held,
                    actor,
                    "released at close",
                ));
            }
        }
        Step::Reopen => {
            case.reopened += 1;
            case.closed_at = None;
            case.resolved_at = None;
            // A reopened case gets a fresh resolution deadline from now.
            let case_type = CaseType::parse(&case.case_type).unwrap_or(CaseType::Other);
            let priority = Priority::parse(&case.priority).unwrap_or(Priority::Normal);
            case.resolution_due =
                sla::deadlines(&context.config.slas, case_type, priority, context.now)
                    .resolution_due;
        }
        Step::Appeal => {
            case.closed_at = None;
            let case_type = CaseType::parse(&case.case_type).unwrap_or(CaseType::Other);
            let priority = Priority::parse(&case.priority).unwrap_or(Priority::Normal);
            case.resolution_due =
                sla::deadlines(&context.config.slas, case_type, priority, context.now)
                    .resolution_due;
        }
        _ => {}
    }
    Ok(())
}

/// A decision as asked for, before it is checked.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub outcome: Outcome,
    pub amount: Option<Money>,
    pub clauses: Vec<String>,
    pub text: String,
    /// Why a payout goes past what the Guarantee allows.
    pub override_reason: Option<String>,
}

/// Decides the case: checks the decision, moves the case to `decided`, and for a paying
/// outcome records the payout to the claimant (checked against the Guarantee's remaining
/// limit) and releases the reserve.
pub fn decide(
    case: &mut CaseRecord,
    additions: &mut CaseAdditions,
    context: &CaseContext<'_>,
    actor: &Actor,
    request: DecisionRequest,
) -> Result<(), CaseError> {
    let decision = arbiter_resolve::Decision {
        outcome: request.outcome,
        amount: request.amount,
        clauses: request.clauses,
        text: request.text,
    };
    arbiter_resolve::decision::check(&decision, context.currency)?;
    let from = State::parse(&case.state).map_err(|e| CaseError::Store(StoreError::Corrupt(e)))?;
    case.state = arbiter_resolve::next_state(from, Step::Decide)?
        .as_str()
        .into();
    case.resolved_at = Some(context.now);
    case.automated = matches!(actor, Actor::Automation(_));
    if let Some(amount) = decision.amount {
        let claimant = party_role(case, case.claimant_id.as_deref());
        let payout = ledger::NewEntry {
            kind: EntryKind::Payout,
            counterparty: arbiter_resolve::Counterparty::parse(claimant)
                .unwrap_or(arbiter_resolve::Counterparty::Client),
            amount,
            reverses: None,
            override_reason: request.override_reason.clone(),
        };
        ledger::check(
            &payout,
            context.currency,
            &context.ledger,
            limit_left(case, context),
        )?;
        additions.ledger.push(NewLedgerEntry {
            override_reason: request.override_reason.filter(|r| !r.trim().is_empty()),
            ..entry(
                case,
                EntryKind::Payout,
                claimant,
                amount.minor,
                actor,
                &format!("{} by decision", decision.outcome.as_str()),
            )
        });
    }
    let held = ledger::totals(&context.ledger).reserve - decision.amount.map_or(0, |a| a.minor);
    if held > 0 {
        additions.ledger.push(entry(
            case,
            EntryKind::ReserveRelease,
            "platform",
            held,
            actor,
            "released at decision",
        ));
    }
    additions.decision = Some(NewCaseDecision {
        outcome: decision.outcome.as_str().into(),
        amount_minor: decision.amount.map(|a| a.minor),
        currency: case.currency.clone(),
        clauses: decision.clauses,
        text: decision.text,
        decided_by: actor.name().into(),
        automated: case.automated,
        playbook_version: case.playbook_version,
    });
    Ok(())
}

/// What the Guarantee still pays on a claim: its limit less payouts so far. `None` for cases
/// that are not claims.
pub fn limit_left(case: &CaseRecord, context: &CaseContext<'_>) -> Option<i64> {
    let case_type = CaseType::parse(&case.case_type).ok()?;
    if !case_type.is_claim() {
        return None;
    }
    let terms = context.terms?;
    Some(terms.limit_minor - ledger::totals(&context.ledger).payouts)
}

/// Appends a ledger entry after checking it.
pub fn record_entry(
    case: &CaseRecord,
    additions: &mut CaseAdditions,
    context: &CaseContext<'_>,
    actor: &Actor,
    new: ledger::NewEntry,
    note: &str,
) -> Result<(), CaseError> {
    ledger::check(
        &new,
        context.currency,
        &context.ledger,
        limit_left(case, context),
    )?;
    additions.ledger.push(NewLedgerEntry {
        reverses: new.reverses,
        override_reason: new.override_reason.filter(|r| !r.trim().is_empty()),
        ..entry(
            case,
            new.kind,
            new.counterparty.as_str(),
            new.amount.minor,
            actor,
            note,
        )
    });
    Ok(())
}

/// What a template can say of a case without being told: dates, and the newest decision's
/// amount, reasons and clause.
pub async fn case_values(
    store: &Store,
    number: i64,
) -> Result<BTreeMap<String, String>, StoreError> {
    let mut values = BTreeMap::new();
    let Some(case) = store.case(number).await? else {
        return Ok(values);
    };
    let date = |us: Micros| {
        arbiter_model::from_micros(us)
            .map(|t| t.date().to_string())
            .unwrap_or_default()
    };
    values.insert("task_date".into(), date(case.opened_at));
    values.insert("due_date".into(), date(case.resolution_due));
    if let Some(decision) = store.case_decisions(number).await?.pop() {
        if let (Some(minor), Ok(currency)) = (
            decision.decision.amount_minor,
            Currency::parse(&decision.decision.currency),
        ) {
            values.insert("amount".into(), Money::new(minor, currency).to_string());
        }
        values.insert(
            "reason".into(),
            decision.decision.text.trim_end_matches('.').to_owned(),
        );
        values.insert("outcome".into(), decision.decision.text.clone());
        if let Some(clause) = decision.decision.clauses.first() {
            values.insert("clause".into(), clause.clone());
        }
    }
    Ok(values)
}

/// A message to one of the case's parties from a template clause such as
/// `TPL-CLAIM-DECISION-EN §1`, in the party's market language when the library has that variant.
pub fn compose(
    case: &CaseRecord,
    library: &[arbiter_policy::Document],
    locale: &str,
    template: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, String), CaseError> {
    let citation = arbiter_policy::Citation::parse(template).ok_or_else(|| {
        CaseError::Invalid(format!(
            "template: {template:?} is not a clause such as TPL-CLAIM-DECISION-EN §1"
        ))
    })?;
    let base = library
        .iter()
        .find(|d| d.id == citation.document)
        .ok_or_else(|| {
            CaseError::Invalid(format!(
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
    let text = message::section(&document.body, &number).ok_or_else(|| {
        CaseError::Invalid(format!("template: {} has no section {number}", document.id))
    })?;
    let mut all = values.clone();
    all.entry("case_id".into())
        .or_insert_with(|| case_id(case.number));
    all.entry("appeal_link".into())
        .or_insert_with(|| "/help/POL-APPEALS".into());
    let filled = message::fill(&text, &all)
        .map_err(|e| CaseError::Invalid(format!("template {}: {e}", document.id)))?;
    Ok((format!("{} §{number}", document.id), filled.text))
}

/// Records a message on the case; each counts as a customer touch. Messages out reach the
/// marketplace by webhook (topic `case_messages`).
pub fn add_message(
    case: &mut CaseRecord,
    additions: &mut CaseAdditions,
    actor: &Actor,
    message: NewMessage,
) {
    case.touches += 1;
    additions.audit.push(actor.audit(
        if message.direction == "out" {
            "message_sent"
        } else {
            "message_received"
        },
        None,
        Some(format!("{} ({})", message.party, message.locale)),
        "",
    ));
    additions.messages.push(message);
}

/// The operations a person takes on a case, shared by the API and the console. Each loads the
/// case, checks the change, and writes it under `version` when the caller read one.
pub mod ops {
    use super::*;
    use crate::App;

    async fn run<F>(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        f: F,
    ) -> Result<CaseRecord, CaseError>
    where
        F: FnOnce(&mut CaseRecord, &mut CaseAdditions, &CaseContext<'_>) -> Result<(), CaseError>,
    {
        change(
            state.store(),
            state.resolution(),
            number,
            version,
            actor,
            crate::now(),
            f,
        )
        .await
    }

    /// A lifecycle step other than deciding, with an optional note for the audit trail.
    pub async fn step(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        step: Step,
        note: &str,
    ) -> Result<CaseRecord, CaseError> {
        run(state, actor, number, version, |case, additions, context| {
            apply_step(case, additions, step, context, actor)?;
            if !note.trim().is_empty() {
                additions
                    .audit
                    .push(actor.audit("note", None, None, note.trim()));
            }
            Ok(())
        })
        .await
    }

    /// Field changes: priority (deadlines follow), queue, assignee (`Some(None)` unassigns),
    /// playbook steps done or undone.
    #[derive(Debug, Clone, Default)]
    pub struct Update {
        pub priority: Option<Priority>,
        pub queue: Option<String>,
        pub assignee: Option<Option<String>>,
        pub steps_done: Vec<String>,
        pub steps_undone: Vec<String>,
    }

    pub async fn update(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        update: Update,
    ) -> Result<CaseRecord, CaseError> {
        let config = state.resolution();
        if let Some(queue) = &update.queue
            && !config.queues.iter().any(|q| &q.id == queue)
        {
            return Err(CaseError::Invalid(format!(
                "queue: {queue:?} is not one of {}",
                config
                    .queues
                    .iter()
                    .map(|q| q.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        run(state, actor, number, version, |case, _, context| {
            let case_type = CaseType::parse(&case.case_type).unwrap_or(CaseType::Other);
            let playbook = context.config.playbook(case_type);
            for step in update.steps_done.iter().chain(&update.steps_undone) {
                if !playbook.is_some_and(|p| p.steps.iter().any(|s| &s.id == step)) {
                    return Err(CaseError::Invalid(format!(
                        "steps: the {case_type} playbook has no step {step:?}"
                    )));
                }
            }
            for step in &update.steps_done {
                if !case.steps_done.contains(step) {
                    case.steps_done.push(step.clone());
                }
            }
            case.steps_done.retain(|s| !update.steps_undone.contains(s));
            if let Some(priority) = update.priority {
                case.priority = priority.as_str().into();
                let due = sla::deadlines(&context.config.slas, case_type, priority, case.opened_at);
                case.first_response_due = due.first_response_due;
                case.resolution_due = due.resolution_due;
            }
            if let Some(queue) = update.queue {
                case.queue = queue;
            }
            if let Some(assignee) = update.assignee {
                case.assignee = assignee
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty());
            }
            Ok(())
        })
        .await
    }

    /// Assigns `actor` the most urgent open case nobody works, in `queue` or any; `None` when
    /// there is none. A case another specialist takes meanwhile is skipped.
    pub async fn pull_next(
        state: &App,
        actor: &Actor,
        queue: Option<&str>,
    ) -> Result<Option<CaseRecord>, CaseError> {
        let filter = arbiter_store::CaseFilter {
            queue: queue.map(str::to_owned),
            states: State::ALL
                .iter()
                .filter(|s| s.is_open())
                .map(|s| s.as_str().to_owned())
                .collect(),
            unassigned: true,
            ..arbiter_store::CaseFilter::default()
        };
        for candidate in state.store().list_cases(&filter, None, 5).await? {
            let assignee = Some(Some(actor.name().to_owned()));
            let update = Update {
                assignee,
                ..Update::default()
            };
            match self::update(
                state,
                actor,
                candidate.number,
                Some(candidate.version),
                update,
            )
            .await
            {
                Ok(case) => return Ok(Some(case)),
                Err(CaseError::Store(StoreError::Stale(_))) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Decides the case; every clause cited must be in the policy library.
    pub async fn decide(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        request: DecisionRequest,
    ) -> Result<CaseRecord, CaseError> {
        let library = state.policy_search().index(state.store()).await?;
        for clause in &request.clauses {
            let citation = arbiter_policy::Citation::parse(clause).ok_or_else(|| {
                CaseError::Invalid(format!(
                    "clauses: {clause:?} is not a clause such as POL-GUARANTEE §3.1"
                ))
            })?;
            let exists = library.documents().iter().any(|d| {
                d.id == citation.document
                    && citation.clause.as_ref().is_none_or(|n| {
                        arbiter_policy::clauses(&d.body)
                            .iter()
                            .any(|c| &c.number == n)
                    })
            });
            if !library.is_empty() && !exists {
                return Err(CaseError::Invalid(format!(
                    "clauses: the policy library has no {clause}"
                )));
            }
        }
        run(state, actor, number, version, |case, additions, context| {
            super::decide(case, additions, context, actor, request)
        })
        .await
    }

    /// Appends a ledger entry after checking it.
    pub async fn ledger_entry(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        entry: ledger::NewEntry,
        note: &str,
    ) -> Result<CaseRecord, CaseError> {
        run(state, actor, number, version, |case, additions, context| {
            record_entry(case, additions, context, actor, entry, note)
        })
        .await
    }

    /// A case as a person opens it.
    #[derive(Debug, Clone)]
    pub struct ByHand {
        pub case_type: CaseType,
        pub priority: Priority,
        pub market: String,
        pub claimant_id: Option<String>,
        pub client_id: Option<String>,
        pub tasker_id: Option<String>,
        pub task_id: Option<String>,
        pub claimed: Option<Money>,
        pub summary: String,
        pub events: Vec<String>,
        /// `api` or `console`.
        pub source: &'static str,
    }

    /// Opens a case by hand, with eligibility for a claim, or links the request to the open
    /// case of the same Task and type. Answers the case and whether it was linked.
    pub async fn open_by_hand(
        state: &App,
        actor: &Actor,
        by_hand: ByHand,
    ) -> Result<(CaseRecord, bool), CaseError> {
        if by_hand.summary.trim().is_empty() {
            return Err(CaseError::Invalid(
                "summary: say what the case is about".into(),
            ));
        }
        let config = state.resolution();
        let now = crate::now();
        let eligibility = match (
            by_hand.case_type.is_claim(),
            by_hand.claimed,
            config.terms(&by_hand.market),
        ) {
            (true, Some(claimed), Some(terms)) if claimed.currency == terms.currency => {
                let booked = match &by_hand.task_id {
                    Some(task) => {
                        let today = now.div_euclid(DAY);
                        state
                            .store()
                            .task_has_event(task, "task.booked", today - 120, today, None)
                            .await?
                    }
                    None => false,
                };
                Some(arbiter_resolve::eligibility(
                    &arbiter_resolve::ClaimFacts {
                        case_type: by_hand.case_type,
                        claimed,
                        incident_at: None,
                        filed_at: now,
                        booked_on_platform: booked,
                        off_platform: false,
                        items: Vec::new(),
                        paid_minor: 0,
                    },
                    terms,
                ))
            }
            _ => None,
        };
        let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let opening = Opening {
            case_type: by_hand.case_type,
            priority: by_hand.priority,
            market: by_hand.market.trim().to_ascii_uppercase(),
            claimant_id: blank(by_hand.claimant_id),
            client_id: blank(by_hand.client_id),
            tasker_id: blank(by_hand.tasker_id),
            task_id: blank(by_hand.task_id),
            claimed: by_hand.claimed,
            summary: by_hand.summary.trim().to_owned(),
            source: by_hand.source,
            source_ref: None,
            risk_score: 0,
            // A person opened it: automatic resolution is for intake, not for a case someone
            // chose to open by hand.
            fraud_signal: true,
            good_standing: false,
            eligibility,
            opened_at: now,
            events: by_hand.events,
        };
        let (mut case, mut additions) = open(config, opening, actor)?;
        case.first_response_at = Some(now);
        additions.audit[0].note = "opened by hand".into();
        let taken = state
            .store()
            .intake_cases(&[(case, additions)], None, now)
            .await?;
        let (number, linked) = match taken[0] {
            Intake::Opened(n) => (n, false),
            Intake::Linked(n) => (n, true),
        };
        let case = state
            .store()
            .case(number)
            .await?
            .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
        Ok((case, linked))
    }

    /// One action on many cases, each changed on its own: `assign` (a person, or empty to
    /// unassign), `priority`, `queue` or `step`. Answers each case's id with `Ok` or the reason
    /// it was left alone; an unknown action or value refuses the whole request.
    pub async fn bulk(
        state: &App,
        actor: &Actor,
        ids: &[String],
        action: &str,
        value: &str,
    ) -> Result<Vec<(String, Result<(), String>)>, CaseError> {
        if ids.is_empty() || ids.len() > 500 {
            return Err(CaseError::Invalid("cases: name 1 to 500 cases".into()));
        }
        enum Action {
            Update(Update),
            Step(Step),
        }
        let action = match action {
            "assign" => Action::Update(Update {
                assignee: Some(Some(value.trim().to_owned()).filter(|v| !v.is_empty())),
                ..Update::default()
            }),
            "priority" => Action::Update(Update {
                priority: Some(
                    Priority::parse(value)
                        .map_err(|e| CaseError::Invalid(format!("value: {e}")))?,
                ),
                ..Update::default()
            }),
            "queue" => Action::Update(Update {
                queue: Some(value.to_owned()),
                ..Update::default()
            }),
            "step" => match Step::parse(value) {
                Ok(Step::Decide) | Err(_) => {
                    return Err(CaseError::Invalid(format!(
                        "value: {value:?} is not a step taken in bulk (triage, investigate, request_information, information_received, close, appeal, reopen)"
                    )));
                }
                Ok(step) => Action::Step(step),
            },
            other => {
                return Err(CaseError::Invalid(format!(
                    "action: {other:?} is not one of assign, priority, queue, step"
                )));
            }
        };
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(number) = case_number(id) else {
                outcomes.push((id.clone(), Err(format!("{id:?} is not a case id"))));
                continue;
            };
            let result = match &action {
                Action::Update(update) => {
                    self::update(state, actor, number, None, update.clone()).await
                }
                Action::Step(step) => self::step(state, actor, number, None, *step, "").await,
            };
            outcomes.push((
                id.clone(),
                match result {
                    Ok(_) => Ok(()),
                    Err(CaseError::Store(e)) if !matches!(e, StoreError::Stale(_)) => {
                        return Err(CaseError::Store(e));
                    }
                    Err(e) => Err(e.to_string()),
                },
            ));
        }
        Ok(outcomes)
    }

    /// Adds an evidence file after checking it by content.
    pub async fn add_evidence(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        filename: &str,
        declared_type: &str,
        bytes: Vec<u8>,
    ) -> Result<CaseRecord, CaseError> {
        let content_type =
            arbiter_resolve::evidence::check_evidence(filename, declared_type, &bytes)
                .map_err(|e| CaseError::Invalid(e.to_string()))?;
        use sha2::Digest;
        let sha256: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let filename = filename.trim().to_owned();
        run(state, actor, number, version, |_, additions, _| {
            additions.audit.push(actor.audit(
                "evidence_added",
                None,
                Some(format!(
                    "{filename} ({content_type}, {} bytes)",
                    bytes.len()
                )),
                "",
            ));
            additions.evidence.push(arbiter_store::NewEvidence {
                filename,
                content_type: content_type.to_owned(),
                sha256,
                data: bytes,
                uploaded_by: actor.name().to_owned(),
            });
            Ok(())
        })
        .await
    }

    /// A message to write: from a template clause, or free text.
    #[derive(Debug, Clone)]
    pub struct MessageDraft {
        /// `client` or `tasker`.
        pub party: String,
        /// `out` or `in`.
        pub direction: String,
        pub template: Option<String>,
        pub values: BTreeMap<String, String>,
        pub body: Option<String>,
    }

    pub async fn message(
        state: &App,
        actor: &Actor,
        number: i64,
        version: Option<i64>,
        draft: MessageDraft,
    ) -> Result<CaseRecord, CaseError> {
        if draft.party != "client" && draft.party != "tasker" {
            return Err(CaseError::Invalid(format!(
                "party: {:?} is not client or tasker",
                draft.party
            )));
        }
        if draft.direction != "out" && draft.direction != "in" {
            return Err(CaseError::Invalid(format!(
                "direction: {:?} is not out or in",
                draft.direction
            )));
        }
        let body = draft.body.filter(|b| !b.trim().is_empty());
        if draft.template.is_some() == body.is_some() {
            return Err(CaseError::Invalid(
                "give a template or a body, not both and not neither".into(),
            ));
        }
        let library = state.policy_search().index(state.store()).await?;
        let mut values = case_values(state.store(), number).await?;
        values.extend(draft.values);
        run(state, actor, number, version, |case, additions, context| {
            let recipient = match draft.party.as_str() {
                "tasker" => case.tasker_id.clone(),
                _ => case.client_id.clone().or_else(|| case.claimant_id.clone()),
            };
            let locale = context.config.locale(&case.market).to_owned();
            let (template, text) = match (&draft.template, body) {
                (Some(template), _) => {
                    values
                        .entry("recipient_name".into())
                        .or_insert_with(|| recipient.clone().unwrap_or_default());
                    let (used, text) =
                        compose(case, library.documents(), &locale, template, &values)?;
                    (Some(used), text)
                }
                (None, Some(body)) if body.len() <= 20_000 => (None, body.trim().to_owned()),
                _ => {
                    return Err(CaseError::Invalid(
                        "body: write 1 to 20,000 characters".into(),
                    ));
                }
            };
            add_message(
                case,
                additions,
                actor,
                NewMessage {
                    direction: draft.direction,
                    party: draft.party,
                    recipient,
                    locale,
                    template,
                    body: text,
                    sent_by: actor.name().to_owned(),
                },
            );
            Ok(())
        })
        .await
    }
}
