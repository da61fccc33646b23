//! Case intake: follows the decider and opens cases from claims, reports and rules'
//! `open_case` actions.
//!
//! Intake does not follow the log itself: the decider hands it every batch it commits, in
//! memory, the events parsed and their decisions and effects typed ([`Decided`]). A batch
//! that continues from intake's progress is taken in as it is, with no read of events,
//! decisions or effects; the log, which holds the same batches, is read only to catch up: on
//! start, after the store failed, when intake fell behind the decider's window of recent
//! batches, and for what a decider in another process stored, which announces nothing here.

use crate::cases::{ChangedBy, additions, log_facts};
use crate::decider::{Decided, DecidedEvent, Effect, Follower, Handoff};
use arbiter_model::Event;
use arbiter_resolve::{
    CaseType, ClaimDetails, Config, Opening, Parties, Priority, Screening, Source, ops,
};
use arbiter_rules::{Action, Decision, Verdict};
use arbiter_store::{CaseAdditions, CaseRecord, Intake, Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Reads a JSON event's `data` member.
fn data(event: &Event) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&event.raw)
        .ok()
        .and_then(|v| v.get("data").cloned())
        .unwrap_or_default()
}

/// The parties of an event as `(client, tasker)`.
fn parties(event: &Event) -> (Option<String>, Option<String>) {
    let mut client = None;
    let mut tasker = None;
    for party in std::iter::once(&event.actor).chain(event.subject.as_ref()) {
        match party.role {
            arbiter_model::PartyRole::Client => client = Some(party.id.as_str().to_owned()),
            arbiter_model::PartyRole::Tasker => tasker = Some(party.id.as_str().to_owned()),
            _ => {}
        }
    }
    (client, tasker)
}

/// What the rules said of an event: screened, flagged when its decision asked for review or
/// blocked it, with the decision's score. An event with no stored decision was screened and no
/// rule fired.
fn screening(decision: Option<&Decision>) -> Screening {
    Screening::Screened {
        flagged: decision.is_some_and(|d| matches!(d.verdict, Verdict::Review | Verdict::Block)),
        risk_score: decision.map_or(0, |d| d.score.round() as i64),
    }
}

/// The case an event opens: a claim, a report, or a rule's `open_case`. `None` for other events.
///
/// What the log says of the parties and the Task is read up to the event itself (`seq`): what a
/// replay from the start would see when it reaches it, whatever the decider has decided since,
/// so the case does not depend on how the log was batched or how far behind intake runs.
pub async fn opening_for_event(
    store: &Store,
    event: &Event,
    seq: i64,
    decision: Option<&Decision>,
    rule_case: Option<(&Effect, CaseType, Priority)>,
) -> Result<Option<Opening>, StoreError> {
    let data = data(event);
    let text = |key: &str| {
        data.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let (case_type, priority, source, source_ref, summary) =
        match (event.event_type.as_str(), rule_case) {
            (_, Some((effect, case_type, priority))) => (
                case_type,
                priority,
                Source::Rule,
                effect.rules.first().cloned(),
                format!(
                    "Opened by rule {} on {} {}",
                    effect.rules.join(", "),
                    event.event_type.as_str(),
                    event.id.as_str()
                ),
            ),
            ("claim.filed", None) => (
                CaseType::of_claim(&text("kind")),
                Priority::Normal,
                Source::Event,
                Some(event.id.as_str().to_owned()),
                text("description"),
            ),
            ("report.filed", None) => {
                let case_type = CaseType::of_report(&text("category"));
                let priority = if case_type == CaseType::SafetyIncident {
                    Priority::High
                } else {
                    Priority::Normal
                };
                (
                    case_type,
                    priority,
                    Source::Event,
                    Some(event.id.as_str().to_owned()),
                    text("text"),
                )
            }
            _ => return Ok(None),
        };
    let (client_id, tasker_id) = parties(event);
    let claimant = event.actor.id.as_str();
    let subject = event.subject.as_ref().map(|s| s.id.as_str());
    let log = log_facts(
        store,
        Some(claimant),
        subject.as_slice(),
        event.task_id.as_deref(),
        arbiter_model::to_micros(event.occurred_at),
        Some(seq),
        screening(decision),
    )
    .await?;
    let claimed = if case_type.is_claim() {
        event.amount
    } else {
        None
    };
    let incident_at = data
        .get("incident_at")
        .and_then(|v| v.as_str())
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(arbiter_model::to_micros);
    let items = data
        .get("items")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Opening {
        case_type,
        priority,
        market: event.market.as_str().to_owned(),
        parties: Parties {
            claimant: Some(claimant.to_owned()),
            client: client_id,
            tasker: tasker_id,
        },
        task_id: event.task_id.clone(),
        claimed,
        claim: ClaimDetails { incident_at, items },
        summary,
        source,
        source_ref,
        opened_at: arbiter_model::to_micros(event.occurred_at),
        events: vec![event.id.as_str().to_owned()],
        log,
    }))
}

/// Keeps each configured playbook version in the store the first time it is seen; a version
/// seen before with other content is refused, since the cases worked
/// under it must keep meaning what they meant. `arbiter serve` checks this before it starts.
pub async fn register_playbooks(store: &Store, config: &Config) -> Result<(), StoreError> {
    let now = crate::now();
    for playbook in &config.playbooks {
        let body = serde_json::to_string(playbook)
            .map_err(|e| StoreError::Failed(format!("playbook {}: {e}", playbook.case_type)))?;
        store
            .register_playbook(&playbook.case_type, playbook.version, &body, now)
            .await?;
    }
    Ok(())
}

/// Events taken in per transaction, about: from the log at most this many, from memory as many
/// of the decider's batches as hold about this many (at least one).
const INTAKE_BATCH: usize = 500;

/// How long intake waits for a batch of its own decider's before it looks at the log anyway:
/// only a decider in another process, which announces nothing here, makes it find something.
const LOG_CHECK: Duration = Duration::from_secs(2);

/// Follows the decider (`follower`) and opens cases from claims, reports and rules'
/// `open_case` actions, a batch per transaction with its progress. Runs until the store closes.
pub fn start_intake(
    store: Store,
    config: Arc<Config>,
    mut follower: Follower,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = register_playbooks(&store, &config).await {
            tracing::error!(%error, "playbooks not registered");
        }
        // Progress is kept in memory and written with every batch that opens a case, else
        // every ten seconds: a batch of events that open nothing needs no transaction of its
        // own (after a crash it is read again, and links already made are not repeated).
        let mut cursor = None;
        // Set when the log must be read; cleared by a read that finds nothing new.
        let mut read_log = true;
        let mut persisted_at = std::time::Instant::now();
        'follow: loop {
            let from = match cursor {
                Some(seq) => seq,
                None => match store.intake_progress().await {
                    Ok(seq) => seq,
                    Err(StoreError::Closed) => return,
                    Err(_) => 0,
                },
            };
            let persist_quiet = persisted_at.elapsed() >= Duration::from_secs(10);
            let taken = 'take: {
                // The log while it must be read; a read that takes nothing in has caught up.
                let caught_up = read_log;
                if read_log {
                    match intake_from(&store, &config, from, INTAKE_BATCH as i64, persist_quiet)
                        .await
                    {
                        Ok(Taken { last_seq: 0, .. }) => read_log = false,
                        outcome => break 'take outcome,
                    }
                }
                match follower.after(from, INTAKE_BATCH) {
                    Handoff::Take(batches) => {
                        intake_decided(&store, &config, from, &batches, persist_quiet).await
                    }
                    // Batches missed: the log has them. Just caught up with it, intake waits
                    // for the next batch instead of reading it again at once.
                    Handoff::ReadLog if !caught_up => {
                        read_log = true;
                        continue 'follow;
                    }
                    Handoff::ReadLog | Handoff::Wait => {
                        tokio::select! {
                            handed_on = follower.changed() => if !handed_on {
                                tokio::time::sleep(LOG_CHECK).await;
                                read_log = true;
                            },
                            _ = tokio::time::sleep(LOG_CHECK) => read_log = true,
                        }
                        continue 'follow;
                    }
                }
            };
            match taken {
                Ok(taken) => {
                    cursor = Some(taken.last_seq.max(from));
                    if taken.persisted {
                        persisted_at = std::time::Instant::now();
                    }
                }
                Err(StoreError::Closed) => return,
                Err(error) => {
                    tracing::warn!(%error, "case intake: the store failed; trying again shortly");
                    cursor = None;
                    read_log = true;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// What one intake batch did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Taken {
    /// Events read (an event that no longer parses is passed over, uncounted).
    pub read: usize,
    /// The last event read; 0 when none was.
    pub last_seq: i64,
    /// Whether intake's progress was written.
    pub persisted: bool,
}

/// Takes in the decided events after intake's stored progress, up to `limit`, and stores the
/// progress; answers how many it read.
pub async fn intake_once(store: &Store, config: &Config, limit: i64) -> Result<usize, StoreError> {
    let from = store.intake_progress().await?;
    Ok(intake_from(store, config, from, limit, true).await?.read)
}

/// [`intake_once`] for a history taken in after the fact (the demo): what intake records is
/// dated at the time of the event that opened the case, not the clock's (see
/// [`Store::intake_history`]).
pub async fn intake_history_once(
    store: &Store,
    config: &Config,
    limit: i64,
) -> Result<usize, StoreError> {
    let from = store.intake_progress().await?;
    Ok(intake_dated(store, config, from, limit, true, true)
        .await?
        .read)
}

/// Takes in the decided events after `from`, up to `limit`, read from the log. Progress is
/// written with the cases a batch opens, and with a batch that opens none only when
/// `persist_quiet`.
pub async fn intake_from(
    store: &Store,
    config: &Config,
    from: i64,
    limit: i64,
    persist_quiet: bool,
) -> Result<Taken, StoreError> {
    intake_dated(store, config, from, limit, persist_quiet, false).await
}

/// Takes in the decider's batches handed on in memory, from `from` on: [`intake_from`]
/// without reading the log.
pub async fn intake_decided(
    store: &Store,
    config: &Config,
    from: i64,
    batches: &[Arc<Decided>],
    persist_quiet: bool,
) -> Result<Taken, StoreError> {
    let Some(last_seq) = batches
        .last()
        .map(|b| b.last_seq)
        .filter(|&last| last > from)
    else {
        return Ok(Taken::default());
    };
    let events: Vec<&DecidedEvent> = batches
        .iter()
        .flat_map(|b| &b.events)
        .filter(|e| e.seq > from)
        .collect();
    take_in(store, config, &events, last_seq, persist_quiet, false).await
}

/// [`intake_from`], dating what it records at the cases' events when `history`.
async fn intake_dated(
    store: &Store,
    config: &Config,
    from: i64,
    limit: i64,
    persist_quiet: bool,
    history: bool,
) -> Result<Taken, StoreError> {
    let Some(decided) = Decided::read(store, from, limit).await? else {
        return Ok(Taken::default());
    };
    let events: Vec<&DecidedEvent> = decided.events.iter().collect();
    take_in(
        store,
        config,
        &events,
        decided.last_seq,
        persist_quiet,
        history,
    )
    .await
}

/// Opens the cases of decided events, the last of which is `last_seq` (events that open none
/// may follow them), and stores intake's progress at `last_seq` with them.
async fn take_in(
    store: &Store,
    config: &Config,
    events: &[&DecidedEvent],
    last_seq: i64,
    persist_quiet: bool,
    history: bool,
) -> Result<Taken, StoreError> {
    let mut batch = Vec::new();
    for decided in events {
        let (event, seq) = (&decided.event, decided.seq);
        let kind = event.event_type.as_str();
        let rules: Vec<(&Effect, CaseType, Priority)> = decided
            .effects
            .iter()
            .filter_map(|effect| {
                let Action::OpenCase {
                    case_type,
                    priority,
                } = &effect.action
                else {
                    return None;
                };
                match (CaseType::parse(case_type), Priority::parse(priority)) {
                    (Ok(case_type), Ok(priority)) => Some((effect, case_type, priority)),
                    _ => {
                        tracing::warn!(seq, action = %effect.action, "an open_case action with a case type or priority intake does not know");
                        None
                    }
                }
            })
            .collect();
        if kind != "claim.filed" && kind != "report.filed" && rules.is_empty() {
            continue;
        }
        let decision = decided.decision.as_ref();
        if (kind == "claim.filed" || kind == "report.filed")
            && let Some(opening) = opening_for_event(store, event, seq, decision, None).await?
        {
            push_opening(config, opening, &ChangedBy::Intake, &mut batch);
        }
        for (effect, case_type, priority) in rules {
            if let Some(opening) = opening_for_event(
                store,
                event,
                seq,
                decision,
                Some((effect, case_type, priority)),
            )
            .await?
            {
                let actor = ChangedBy::Rule(effect.rules.first().cloned().unwrap_or_default());
                push_opening(config, opening, &actor, &mut batch);
            }
        }
    }
    let persisted = !batch.is_empty() || persist_quiet;
    if !persisted {
        return Ok(Taken {
            read: events.len(),
            last_seq,
            persisted,
        });
    }
    let taken = if history {
        store
            .intake_history(&batch, Some(last_seq), crate::now())
            .await?
    } else {
        store
            .intake_cases(&batch, Some(last_seq), crate::now())
            .await?
    };
    let opened = taken
        .iter()
        .filter(|t| matches!(t, Intake::Opened(_)))
        .count();
    if opened > 0 {
        metrics::counter!("arbiter_cases_opened_total").increment(opened as u64);
    }
    Ok(Taken {
        read: events.len(),
        last_seq,
        persisted,
    })
}

fn push_opening(
    config: &Config,
    opening: Opening,
    by: &ChangedBy,
    batch: &mut Vec<(CaseRecord, CaseAdditions)>,
) {
    let market = opening.market.clone();
    match ops::open(config, opening, by) {
        Ok((case, change)) => {
            let additions = additions(&case, change);
            batch.push((case.to_stored(), additions));
        }
        Err(error) => tracing::warn!(%error, %market, "case intake: could not open a case"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decider::{Decider, test_handoff};
    use arbiter_rules::ActionKind;
    use arbiter_store::testing::TestDatabase;
    use arbiter_store::{Backend, CaseFilter};
    use serde_json::json;

    fn event(value: serde_json::Value) -> Event {
        Event::parse(&value.to_string()).expect("a valid event")
    }

    fn at(d: u32, hour: u32) -> String {
        format!("2026-10-{d:02}T{hour:02}:00:00Z")
    }

    fn party(id: &str, role: &str) -> serde_json::Value {
        json!({"id": id, "role": role})
    }

    fn claim(id: &str, task: &str, client: &str, tasker: &str, d: u32) -> Event {
        event(
            json!({"id": id, "type": "claim.filed", "occurred_at": at(d, 14), "market": "US",
            "actor": party(client, "client"), "subject": party(tasker, "tasker"), "task_id": task,
            "amount": {"minor": 12_000, "currency": "USD"},
            "data": {"kind": "property_damage", "incident_at": at(d, 9), "description": "A broken table."}}),
        )
    }

    /// A log whose cases come from every source: claims (one excluded for dealing off the
    /// platform on its Task, the third of one Client opening a rule's fraud case), a report,
    /// and chargebacks whose second opens a rule's case.
    fn log() -> Vec<Event> {
        let booked = |task: &str, client: &str, tasker: &str, d: u32| {
            event(
                json!({"id": format!("b_{task}"), "type": "task.booked", "occurred_at": at(d, 8),
                "market": "US", "actor": party(client, "client"), "subject": party(tasker, "tasker"),
                "task_id": task, "amount": {"minor": 20_000, "currency": "USD"},
                "data": {"category": "moving"}}),
            )
        };
        let chargeback = |id: &str, d: u32| {
            event(
                json!({"id": id, "type": "payment.chargeback", "occurred_at": at(d, 10),
                "market": "US", "actor": party("c_2", "client"), "subject": party("k_2", "tasker"),
                "amount": {"minor": 20_000, "currency": "USD"}, "data": {"reason_code": "10.4"}}),
            )
        };
        vec![
            booked("t_1", "c_1", "k_1", 1),
            booked("t_2", "c_1", "k_1", 1),
            booked("t_3", "c_1", "k_1", 2),
            booked("t_4", "c_2", "k_2", 2),
            event(
                json!({"id": "m_4", "type": "message.sent", "occurred_at": at(2, 9), "market": "US",
                "actor": party("k_2", "tasker"), "subject": party("c_2", "client"), "task_id": "t_4",
                "data": {"text": "Pay me on Venmo and we skip the fee", "thread_id": "th_4"}}),
            ),
            claim("cl_1", "t_1", "c_1", "k_1", 3),
            claim("cl_2", "t_2", "c_1", "k_1", 4),
            claim("cl_4", "t_4", "c_2", "k_2", 4),
            claim("cl_3", "t_3", "c_1", "k_1", 5),
            event(
                json!({"id": "r_1", "type": "report.filed", "occurred_at": at(5, 16), "market": "US",
                "actor": party("c_1", "client"), "subject": party("k_1", "tasker"),
                "data": {"category": "safety", "text": "He shouted at me."}}),
            ),
            chargeback("cb_1", 6),
            chargeback("cb_2", 7),
        ]
    }

    /// Every case, as intake opened it, by its source.
    async fn cases(store: &Store) -> Vec<String> {
        let mut listed: Vec<String> = store
            .list_cases(&CaseFilter::default(), None, 100)
            .await
            .expect("cases")
            .into_iter()
            .map(|c| {
                format!(
                    "{} {:?} {} {} {} {} {} {:?} {:?} {} {} {:?} {}",
                    c.source,
                    c.source_ref,
                    c.case_type,
                    c.state,
                    c.priority,
                    c.queue,
                    c.risk_score,
                    c.claimed_minor,
                    c.eligibility,
                    c.automated,
                    c.opened_at,
                    c.tasker_id,
                    c.summary
                )
            })
            .collect();
        listed.sort();
        listed
    }

    async fn wait_until<F: AsyncFn() -> bool>(what: &str, done: F) {
        for _ in 0..400 {
            if done().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting until {what}");
    }

    /// Waits until the decider's progress past `seq` is stored, as a follower reading the log
    /// finds it.
    async fn stored(store: &Store, seq: i64) {
        wait_until("the decider stored its progress", async || {
            store
                .decider_progress()
                .await
                .unwrap()
                .is_some_and(|(p, _)| p >= seq)
        })
        .await;
    }

    async fn start_deciding(store: &Store) -> Decider {
        store
            .publish_ruleset(arbiter_rules::STARTER_PACK, "starter", "test", 0, None)
            .await
            .expect("ruleset");
        Decider::start(store.clone(), Arc::new(tokio::sync::Notify::new()))
    }

    /// A batch of the decider's as it hands it on: `events` after `after`, one seq each.
    fn handed(after: i64, events: Vec<(Event, Option<Decision>, Vec<Effect>)>) -> Decided {
        let events: Vec<DecidedEvent> = events
            .into_iter()
            .zip(after + 1..)
            .map(|((event, decision, effects), seq)| DecidedEvent {
                seq,
                event,
                decision,
                effects,
            })
            .collect();
        Decided {
            after,
            last_seq: after + events.len() as i64,
            events,
        }
    }

    /// A decision of rule `rule` that fired and asked to open a fraud case.
    fn fraud_case(rule: &str) -> (Option<Decision>, Vec<Effect>) {
        let action = Action::OpenCase {
            case_type: "fraud".into(),
            priority: "high".into(),
        };
        let decision = Decision {
            verdict: Verdict::Review,
            score: 40.0,
            actions: vec![action.clone()],
            hits: Vec::new(),
        };
        let effect = Effect {
            action,
            user_id: Some("c_9".into()),
            rules: vec![rule.into()],
        };
        (Some(decision), vec![effect])
    }

    macro_rules! on_both_backends {
        ($($name:ident),* $(,)?) => {
            mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(arbiter_store::Backend::Sqlite).await; } )* }
            mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"] async fn $name() { super::$name(arbiter_store::Backend::Postgres).await; } )* }
        };
    }

    on_both_backends!(
        a_batch_in_memory_opens_its_cases_without_reading_the_log,
        intake_follows_in_memory_reads_the_log_to_catch_up_and_never_across_a_gap,
        the_same_log_gives_the_same_cases_in_memory_or_from_the_log,
    );

    async fn database(backend: Backend) -> TestDatabase {
        TestDatabase::new(backend)
            .await
            .expect("ARBITER_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server")
    }

    /// The store's log is empty: whatever intake opens, it took from the batch in memory.
    async fn a_batch_in_memory_opens_its_cases_without_reading_the_log(backend: Backend) {
        let db = database(backend).await;
        let store = db.open().await;
        let config = Config::default_config();
        let (decision, effects) = fraud_case("R-FRAUD");
        let batch = handed(
            0,
            vec![
                (claim("cl_1", "t_1", "c_1", "k_1", 3), None, Vec::new()),
                (
                    event(
                        json!({"id": "m_1", "type": "message.sent", "occurred_at": at(3, 15),
                        "market": "US", "actor": party("c_9", "client"), "subject": party("k_1", "tasker"),
                        "data": {"text": "hello"}}),
                    ),
                    decision,
                    effects,
                ),
            ],
        );
        let taken = intake_decided(&store, &config, 0, &[Arc::new(batch)], false)
            .await
            .expect("intake");
        assert_eq!((taken.read, taken.last_seq, taken.persisted), (2, 2, true));
        assert_eq!(store.last_event_seq().await.unwrap(), 0, "the log is empty");
        assert_eq!(store.intake_progress().await.unwrap(), 2);
        let opened = store
            .list_cases(&CaseFilter::default(), None, 100)
            .await
            .unwrap();
        let mut sources: Vec<_> = opened
            .iter()
            .map(|c| {
                (
                    c.source.as_str(),
                    c.source_ref.clone(),
                    c.case_type.as_str(),
                )
            })
            .collect();
        sources.sort();
        assert_eq!(
            sources,
            [
                ("event", Some("cl_1".to_owned()), "property_damage_claim"),
                ("rule", Some("R-FRAUD".to_owned()), "fraud"),
            ]
        );
        let rule_case = opened.iter().find(|c| c.source == "rule").unwrap();
        // The decision's score, typed, not read back.
        assert_eq!(
            (rule_case.risk_score, rule_case.priority.as_str()),
            (40, "high")
        );
        // A batch intake has passed already is not taken again.
        let again = intake_decided(
            &store,
            &config,
            2,
            &[Arc::new(handed(0, Vec::new()))],
            false,
        )
        .await
        .unwrap();
        assert_eq!(again.read, 0);
    }

    async fn intake_follows_in_memory_reads_the_log_to_catch_up_and_never_across_a_gap(
        backend: Backend,
    ) {
        let db = database(backend).await;
        let store = db.open().await;
        let config = Arc::new(Config::default_config());
        // A history decided before intake starts (a restart): caught up from the log.
        let decider = start_deciding(&store).await;
        store.append_events(log(), 0).await.unwrap();
        let last = store.last_event_seq().await.unwrap();
        stored(&store, last).await;
        let (hand_on, follower) = test_handoff();
        let intake = start_intake(store.clone(), config.clone(), follower);
        wait_until("intake caught up with the log", async || {
            store.intake_progress().await.unwrap() >= last
        })
        .await;
        assert_eq!(cases(&store).await.len(), 7);

        // Two claims decided that intake is not handed (as by another process's decider),
        // then a batch in memory after them: intake reads the gap from the log, never skips
        // it, then takes the batch in memory, whose events the log does not hold.
        store
            .append_events(
                vec![
                    claim("cl_f1", "t_f", "c_f", "k_f", 8),
                    claim("cl_f2", "t_f", "c_f", "k_f", 8),
                ],
                0,
            )
            .await
            .unwrap();
        stored(&store, last + 2).await;
        let (decision, effects) = fraud_case("R-MEMORY");
        hand_on(handed(
            last + 2,
            vec![(claim("cl_m", "t_m", "c_m", "k_m", 9), decision, effects)],
        ));
        wait_until("the batch in memory is taken in", async || {
            store.intake_progress().await.unwrap() == last + 3
        })
        .await;
        assert_eq!(store.event_seq("cl_m").await.unwrap(), None);
        let opened = cases(&store).await;
        let from = |source: &str| {
            let source = format!("{:?}", Some(source));
            opened.iter().filter(|c| c.contains(&source)).count()
        };
        // The two claims on one Task share a case; the claim in memory and its rule open two.
        assert_eq!((from("cl_f1"), from("cl_m"), from("R-MEMORY")), (1, 1, 1));
        assert_eq!(opened.len(), 10, "{opened:#?}");
        intake.abort();
        drop(decider);
    }

    /// Batches in memory, from a decider that intake follows as the log grows, against the
    /// log read after the fact: the same batches, the same cases.
    async fn the_same_log_gives_the_same_cases_in_memory_or_from_the_log(backend: Backend) {
        let config = Arc::new(Config::default_config());
        let log = log();
        let last = log.len() as i64;

        let live = database(backend).await;
        let store = live.open().await;
        let decider = start_deciding(&store).await;
        let mut watcher = decider.follow();
        let intake = start_intake(store.clone(), config.clone(), decider.follow());
        // Events arrive a few at a time, each decided before the next.
        for chunk in log.chunks(2) {
            store.append_events(chunk.to_vec(), 0).await.unwrap();
            let seq = store.last_event_seq().await.unwrap();
            assert!(decider.wait_for(seq, Duration::from_secs(10)).await);
        }
        stored(&store, last).await;
        // Every batch the decider handed on, in order.
        let mut in_memory = Vec::new();
        for _ in 0..400 {
            in_memory.clear();
            let mut at = 0;
            while let Handoff::Take(batches) = watcher.after(at, usize::MAX) {
                at = batches.last().map_or(at, |b| b.last_seq);
                in_memory.extend(batches);
            }
            if at == last {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(in_memory.last().map(|b| b.last_seq), Some(last));
        assert!(in_memory.len() > 1, "small batches");
        wait_until("intake took in every batch", async || {
            store.intake_progress().await.unwrap() >= last
        })
        .await;
        // The log gives the batches that were handed on.
        for batch in &in_memory {
            let read = Decided::read(&store, batch.after, 10_000)
                .await
                .unwrap()
                .expect("the log holds the batch");
            let upto: Vec<&DecidedEvent> = read
                .events
                .iter()
                .filter(|e| e.seq <= batch.last_seq)
                .collect();
            assert_eq!(upto, batch.events.iter().collect::<Vec<_>>());
        }
        assert!(
            in_memory.iter().flat_map(|b| &b.events).any(|e| e
                .effects
                .iter()
                .any(|f| f.action.kind() == ActionKind::OpenCase)),
            "a rule asked for a case"
        );
        let followed = cases(&store).await;
        intake.abort();

        let after = database(backend).await;
        let store = after.open().await;
        let decider = start_deciding(&store).await;
        store.append_events(log, 0).await.unwrap();
        stored(&store, last).await;
        drop(decider);
        while intake_once(&store, &config, 500).await.unwrap() > 0 {}
        let read = cases(&store).await;
        assert_eq!(followed, read);
        // Four claims, the report and both rules' cases.
        assert_eq!(followed.len(), 7, "{followed:#?}");
    }
}
