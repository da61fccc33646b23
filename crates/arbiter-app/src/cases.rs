//! The resolution center's service layer. A case is read once, as the typed
//! [`arbiter_resolve::Case`]; an operation of [`arbiter_resolve::ops`] changes it; the case and
//! what the change appends are written in one transaction under the version it was read at.
//! [`ops`] holds the operations people take, shared by the API and the console; [`case_file`]
//! reads everything about a case, once, for either to show. The rules themselves (lifecycle,
//! decisions, ledger, eligibility, messages) are the domain crate's; this module does the I/O.

use arbiter_model::{Micros, Money};
use arbiter_resolve::{
    AuditEntry, Case, CaseContext, CaseDecision, Change, Config, Entry, LogFacts, Playbook,
    Refused, Screening, Totals, Unreadable, Violation,
};
use arbiter_store::{
    AuditRecord, CaseAdditions, CaseDecisionRecord, CaseFilter, CaseRecord, DecisionRecord,
    EvidenceRecord, Intake, LedgerRecord, MessageRecord, NewAudit, NewCaseDecision, NewEvidence,
    NewLedgerEntry, NewMessage, Store, StoreError, StoredEvent,
};

pub use arbiter_resolve::ops::{CaseDecisionRequest, MessageDraft, Update, Upload};
pub use arbiter_resolve::{ChangedBy, case_id, case_number};

pub(crate) const DAY: Micros = 86_400_000_000;

/// Why a change to a case was refused.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("there is no case {0}")]
    NotFound(String),
    /// The domain refused it: an illegal step, a decision or ledger entry that does not
    /// check, a value that does not fit the case or the configuration.
    #[error("{0}")]
    Refused(#[from] Refused),
    /// A request that does not read, named: a party, a clause the library lacks, a bulk action.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<Unreadable> for CaseError {
    fn from(e: Unreadable) -> CaseError {
        CaseError::Store(StoreError::Corrupt(e.to_string()))
    }
}

/// Who a message is to or from, as a request names it: `client` or `tasker`.
pub fn message_party(text: &str) -> Result<arbiter_resolve::Party, CaseError> {
    arbiter_resolve::Party::parse(text)
        .map_err(|_| CaseError::Invalid(format!("party: {text:?} is not client or tasker")))
}

/// Which way a message went, as a request names it: `out` or `in`.
pub fn message_direction(text: &str) -> Result<arbiter_resolve::Direction, CaseError> {
    arbiter_resolve::Direction::parse(text)
        .map_err(|_| CaseError::Invalid(format!("direction: {text:?} is not out or in")))
}

/// A stored case, typed: the one conversion from the store's words, which names what does not
/// read.
pub fn typed(record: CaseRecord) -> Result<Case, CaseError> {
    Ok(Case::parse(record)?)
}

/// Case `number`, typed; `None` when there is none.
pub async fn read(store: &Store, number: i64) -> Result<Option<Case>, CaseError> {
    store.case(number).await?.map(typed).transpose()
}

/// Cases matching `filter`, typed, most urgent first (see [`Store::list_cases`]).
pub async fn list(
    store: &Store,
    filter: &CaseFilter,
    after: Option<(Micros, i64)>,
    limit: u32,
) -> Result<Vec<Case>, CaseError> {
    store
        .list_cases(filter, after, limit)
        .await?
        .into_iter()
        .map(typed)
        .collect()
}

/// A case's ledger entries, typed.
fn entries(records: &[LedgerRecord]) -> Result<Vec<Entry>, CaseError> {
    records
        .iter()
        .map(|r| {
            Entry::read(
                r.id,
                &r.entry.kind,
                &r.entry.counterparty,
                r.entry.amount_minor,
                &r.entry.currency,
                r.entry.reverses,
            )
            .map_err(CaseError::from)
        })
        .collect()
}

/// The newest decision on case `number`, typed: what templates say of it.
pub async fn last_decision(store: &Store, number: i64) -> Result<Option<CaseDecision>, CaseError> {
    let Some(last) = store.case_decisions(number).await?.pop() else {
        return Ok(None);
    };
    let d = last.decision;
    Ok(Some(CaseDecision::read(
        number,
        &d.outcome,
        d.amount_minor,
        &d.currency,
        d.clauses,
        d.text,
    )?))
}

fn audit_record(entry: AuditEntry) -> NewAudit {
    NewAudit {
        actor: entry.by.name().to_owned(),
        actor_kind: entry.by.kind().to_owned(),
        action: entry.action.as_str().to_owned(),
        before: entry.before,
        after: entry.after,
        note: entry.note,
    }
}

/// What a change appends, in the store's words.
pub fn additions(case: &Case, change: Change) -> CaseAdditions {
    CaseAdditions {
        audit: change.audit.into_iter().map(audit_record).collect(),
        evidence: change
            .evidence
            .into_iter()
            .map(|e| NewEvidence {
                filename: e.filename,
                content_type: e.content_type.to_owned(),
                sha256: e.sha256,
                data: e.data,
                uploaded_by: e.uploaded_by.name().to_owned(),
            })
            .collect(),
        decision: change.decision.map(|d| NewCaseDecision {
            outcome: d.decision.outcome.as_str().to_owned(),
            amount_minor: d.decision.amount.map(|m| m.minor),
            currency: case.currency.to_string(),
            clauses: d.decision.clauses,
            text: d.decision.text,
            decided_by: d.decided_by.name().to_owned(),
            automated: d.automated,
            playbook_version: d.playbook_version,
        }),
        ledger: change
            .ledger
            .into_iter()
            .map(|e| NewLedgerEntry {
                kind: e.kind.as_str().to_owned(),
                counterparty: e.counterparty.as_str().to_owned(),
                amount_minor: e.amount.minor,
                currency: e.amount.currency.to_string(),
                market: case.market.to_string(),
                reverses: e.reverses,
                override_reason: e.override_reason,
                note: e.note,
                recorded_by: e.recorded_by.name().to_owned(),
            })
            .collect(),
        messages: change
            .messages
            .into_iter()
            .map(|m| NewMessage {
                direction: m.direction.as_str().to_owned(),
                party: m.party.as_str().to_owned(),
                recipient: m.recipient,
                locale: m.locale,
                template: m.template,
                body: m.body,
                sent_by: m.sent_by,
            })
            .collect(),
        events: change.events,
    }
}

/// Reads case `number` once, typed, with its ledger; lets `operation` (one of
/// [`arbiter_resolve::ops`], or several joined with [`Change::then`]) change it; and writes the
/// case with what the change appends under the version it was read at (`read_version` when the
/// caller read it earlier, as a form does). Answers the case as written.
pub async fn change<F>(
    store: &Store,
    config: &Config,
    number: i64,
    read_version: Option<i64>,
    operation: F,
) -> Result<Case, CaseError>
where
    F: FnOnce(&Case, &CaseContext<'_>) -> Result<(Case, Change), Refused>,
{
    let record = store
        .case(number)
        .await?
        .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
    if let Some(read) = read_version
        && read != record.version
    {
        return Err(CaseError::Store(StoreError::Stale(format!(
            "{} changed since you read it (version {read}, now {}): reload it and try again",
            case_id(number),
            record.version
        ))));
    }
    let case = typed(record)?;
    let ledger = entries(&store.ledger(number).await?)?;
    let (mut after, change) = operation(
        &case,
        &CaseContext {
            config,
            ledger: &ledger,
        },
    )?;
    let additions = additions(&after, change);
    after.version = store
        .save_case(
            &after.to_stored(),
            case.version,
            &additions,
            after.updated_at,
        )
        .await?;
    Ok(after)
}

/// The violations found against `user` up to `up_to_seq`, each with the Task of its event. A
/// violation whose standard does not read as a citation still counts against the member's
/// standing; it is not off-platform dealing.
async fn violations(
    store: &Store,
    user: &str,
    up_to_seq: i64,
) -> Result<Vec<Violation>, StoreError> {
    Ok(store
        .effects_on_user_up_to(
            user,
            arbiter_rules::ActionKind::Violation.as_str(),
            up_to_seq,
            50,
        )
        .await?
        .into_iter()
        .map(|(effect, task)| {
            let standard = match serde_json::from_str::<arbiter_rules::Action>(&effect.detail) {
                Ok(arbiter_rules::Action::Violation { standard }) => standard,
                _ => String::new(),
            };
            Violation::new(&standard, task)
        })
        .collect())
}

/// What the log says of a case's parties and Task, read up to `up_to_seq` (the log's end when
/// `None`): the claimant's violations, the others', and whether a booking on the platform names
/// the Task in the 120 days before `filed_at`. The one way intake and a case opened by hand
/// learn it; the domain's `eligibility_facts` makes the claim's facts of it.
pub(crate) async fn log_facts(
    store: &Store,
    claimant: Option<&str>,
    others: &[&str],
    task: Option<&str>,
    filed_at: Micros,
    up_to_seq: Option<i64>,
    screening: Screening,
) -> Result<LogFacts, StoreError> {
    let up_to = up_to_seq.unwrap_or(i64::MAX);
    let claimant_violations = match claimant {
        Some(user) => Some(violations(store, user, up_to).await?),
        None => None,
    };
    let mut other_violations = Vec::new();
    for user in others.iter().filter(|u| Some(**u) != claimant) {
        other_violations.extend(violations(store, user, up_to).await?);
    }
    let filed_day = filed_at.div_euclid(DAY);
    let booked_on_platform = match task {
        Some(task) => {
            store
                .task_has_event(task, "task.booked", filed_day - 120, filed_day, up_to_seq)
                .await?
        }
        None => false,
    };
    Ok(LogFacts {
        screening,
        claimant_violations,
        other_violations,
        booked_on_platform,
    })
}

/// A fraud signal beside a case: a decision that flagged one of its parties, and the member the
/// rules that fired are about.
#[derive(Debug, Clone)]
pub struct Signal {
    pub decision: DecisionRecord,
    pub member: String,
}

/// Everything about a case, each record read once: what the API's case detail and the
/// console's case page show.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub case: Case,
    /// The playbook at the version the case is worked under.
    pub playbook: Option<Playbook>,
    pub decisions: Vec<CaseDecisionRecord>,
    pub ledger: Vec<LedgerRecord>,
    pub totals: Totals,
    /// What the Guarantee still pays on a claim (`arbiter_resolve::limit_left`).
    pub limit_left: Option<Money>,
    pub messages: Vec<MessageRecord>,
    pub audit: Vec<AuditRecord>,
    /// Linked events by id, oldest link first, with the event when the log holds it.
    pub events: Vec<(String, Option<StoredEvent>)>,
    pub evidence: Vec<EvidenceRecord>,
    /// Decisions that asked for review or blocked a party, newest first, at most ten, from
    /// the log up to the case's newest linked event: what a replay reaching the claim would
    /// have seen, whatever was decided later.
    pub signals: Vec<Signal>,
}

/// Reads case `number` and everything about it.
pub async fn case_file(store: &Store, config: &Config, number: i64) -> Result<CaseFile, CaseError> {
    let case = read(store, number)
        .await?
        .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
    let playbook = match store
        .playbook_version(case.case_type.as_str(), case.playbook_version)
        .await?
    {
        Some(json) => Some(serde_json::from_str::<Playbook>(&json).map_err(|e| {
            StoreError::Corrupt(format!(
                "playbook {} version {}: {e}",
                case.case_type, case.playbook_version
            ))
        })?),
        None => config
            .playbook(case.case_type)
            .filter(|p| p.version == case.playbook_version)
            .cloned(),
    };
    let ledger = store.ledger(number).await?;
    let typed_ledger = entries(&ledger)?;
    let mut events = Vec::new();
    for id in store.case_events(number).await? {
        let event = store.event(&id).await?;
        events.push((id, event));
    }
    let signals = signals(store, &case, &events).await?;
    Ok(CaseFile {
        totals: arbiter_resolve::ledger::totals(&typed_ledger),
        limit_left: arbiter_resolve::limit_left(&case, config, &typed_ledger),
        playbook,
        decisions: store.case_decisions(number).await?,
        ledger,
        messages: store.case_messages(number).await?,
        audit: store.case_audit(number).await?,
        evidence: store.case_evidence(number).await?,
        events,
        signals,
        case,
    })
}

async fn signals(
    store: &Store,
    case: &Case,
    events: &[(String, Option<StoredEvent>)],
) -> Result<Vec<Signal>, CaseError> {
    let up_to_seq = events
        .iter()
        .filter_map(|(_, e)| e.as_ref())
        .map(|e| e.seq)
        .max();
    let mut found: Vec<DecisionRecord> = Vec::new();
    let mut parties: Vec<&str> = case.parties.all();
    parties.sort_unstable();
    for user in parties {
        let filter = arbiter_store::DecisionFilter {
            user: Some(user.to_owned()),
            up_to_seq,
            ..Default::default()
        };
        for d in store.list_decisions(&filter, None, 50).await? {
            if d.verdict != "allow" && !found.iter().any(|f| f.event_id == d.event_id) {
                found.push(d);
            }
        }
    }
    found.sort_by_key(|d| std::cmp::Reverse(d.occurred_at));
    found.truncate(10);
    Ok(found
        .into_iter()
        .map(|d| Signal {
            // The member the rules that fired are about, not whoever sent the event.
            member: serde_json::from_str::<arbiter_rules::Decision>(&d.body)
                .ok()
                .and_then(|decision| decision.members().first().map(|m| (*m).to_owned()))
                .unwrap_or_else(|| d.actor_id.clone()),
            decision: d,
        })
        .collect())
}

/// The operations a person takes on a case, shared by the API and the console. Each reads the
/// case, lets the domain change it, and writes it under `version` when the caller read one.
pub mod ops {
    use super::*;
    use crate::App;
    use arbiter_resolve::ops as domain;
    use arbiter_resolve::{CaseType, Opening, Parties, Priority, Source, State, Step};

    /// A lifecycle step other than deciding, with an optional note for the audit trail.
    pub async fn step(
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        step: Step,
        note: &str,
    ) -> Result<Case, CaseError> {
        let now = crate::now();
        change(
            app.store(),
            app.resolution(),
            number,
            version,
            |case, context| domain::step(case, context, step, note, by, now),
        )
        .await
    }

    /// Field changes: priority (deadlines follow), queue, assignee, playbook steps.
    pub async fn update(
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        update: Update,
    ) -> Result<Case, CaseError> {
        let now = crate::now();
        change(
            app.store(),
            app.resolution(),
            number,
            version,
            |case, context| domain::update(case, context, update, by, now),
        )
        .await
    }

    /// Assigns `by` the most urgent open case nobody works, in `queue` or any; `None` when
    /// there is none. A case another specialist takes meanwhile is skipped.
    pub async fn pull_next(
        app: &App,
        by: &ChangedBy,
        queue: Option<&str>,
    ) -> Result<Option<Case>, CaseError> {
        let filter = CaseFilter {
            queue: queue.map(str::to_owned),
            states: State::open_states().collect(),
            unassigned: true,
            ..CaseFilter::default()
        };
        for candidate in app.store().list_cases(&filter, None, 5).await? {
            let update = Update {
                assignee: Some(Some(by.name().to_owned())),
                ..Update::default()
            };
            match self::update(app, by, candidate.number, Some(candidate.version), update).await {
                Ok(case) => return Ok(Some(case)),
                Err(CaseError::Store(StoreError::Stale(_))) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// Decides the case; every clause cited must be in the policy library.
    pub async fn decide(
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        request: CaseDecisionRequest,
    ) -> Result<Case, CaseError> {
        let library = app.policy_search().index(app.store()).await?;
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
        let now = crate::now();
        change(
            app.store(),
            app.resolution(),
            number,
            version,
            |case, context| domain::decide(case, context, request, by, now),
        )
        .await
    }

    /// Appends a ledger entry after checking it.
    pub async fn ledger_entry(
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        entry: arbiter_resolve::NewEntry,
        note: &str,
    ) -> Result<Case, CaseError> {
        let now = crate::now();
        change(
            app.store(),
            app.resolution(),
            number,
            version,
            |case, context| domain::record_entry(case, context, entry, note, by, now),
        )
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
        /// [`Source::Api`] or [`Source::Console`].
        pub source: Source,
    }

    /// Opens a case by hand, its facts gathered from the whole log as intake gathers them, or
    /// links the request to the open case of the same Task and type. Answers the case and
    /// whether it was linked.
    pub async fn open_by_hand(
        app: &App,
        by: &ChangedBy,
        by_hand: ByHand,
    ) -> Result<(Case, bool), CaseError> {
        let config = app.resolution();
        let store = app.store();
        let now = crate::now();
        let opening = domain::by_hand(Opening {
            case_type: by_hand.case_type,
            priority: by_hand.priority,
            market: by_hand.market,
            parties: Parties {
                claimant: by_hand.claimant_id,
                client: by_hand.client_id,
                tasker: by_hand.tasker_id,
            },
            task_id: by_hand.task_id,
            claimed: by_hand.claimed,
            claim: arbiter_resolve::ClaimDetails::default(),
            summary: by_hand.summary,
            source: by_hand.source,
            source_ref: None,
            opened_at: now,
            events: by_hand.events,
            log: LogFacts::unknown(),
        })?;
        let others = arbiter_resolve::facts::other_parties(&opening.parties);
        let log = log_facts(
            store,
            opening.parties.claimant.as_deref(),
            &others,
            opening.task_id.as_deref(),
            now,
            None,
            // No rule saw this case's event: whether the rules would flag it is not known.
            Screening::NotScreened,
        )
        .await?;
        let (case, change) = domain::open_by_hand(config, Opening { log, ..opening }, by)?;
        let additions = additions(&case, change);
        let taken = store
            .intake_cases(&[(case.to_stored(), additions)], None, now)
            .await?;
        let (number, linked) = match taken[0] {
            Intake::Opened(n) => (n, false),
            Intake::Linked(n) => (n, true),
        };
        let case = read(store, number)
            .await?
            .ok_or_else(|| CaseError::NotFound(case_id(number)))?;
        Ok((case, linked))
    }

    /// One action on many cases, each changed on its own: `assign` (a person, or empty to
    /// unassign), `priority`, `queue` or `step`. Answers each case's id with `Ok` or the reason
    /// it was left alone; an unknown action or value refuses the whole request.
    pub async fn bulk(
        app: &App,
        by: &ChangedBy,
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
                Action::Update(update) => self::update(app, by, number, None, update.clone()).await,
                Action::Step(step) => self::step(app, by, number, None, *step, "").await,
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
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        upload: Upload,
    ) -> Result<Case, CaseError> {
        let now = crate::now();
        change(app.store(), app.resolution(), number, version, |case, _| {
            domain::add_evidence(case, upload, by, now)
        })
        .await
    }

    /// A message to or from a party, from a template in the market's language or as written;
    /// messages out reach the marketplace by webhook.
    pub async fn message(
        app: &App,
        by: &ChangedBy,
        number: i64,
        version: Option<i64>,
        draft: MessageDraft,
    ) -> Result<Case, CaseError> {
        let store = app.store();
        let library = app.policy_search().index(store).await?;
        let last = last_decision(store, number).await?;
        let now = crate::now();
        change(store, app.resolution(), number, version, |case, context| {
            let templates = arbiter_resolve::Templates {
                library: library.documents(),
                last_decision: last.as_ref(),
            };
            domain::message(case, context, draft, templates, by, now)
        })
        .await
    }
}
