//! Case intake: follows the event log behind the decider and opens cases from claims,
//! reports and rules' `open_case` actions.

use crate::cases::{Actor, DAY, Opening, open};
use crate::decider::{Decided, DecidedEvent, Effect};
use arbiter_model::Event;
use arbiter_resolve::{CaseType, Config, Priority};
use arbiter_rules::{Action, ActionKind, Decision, Verdict};
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

/// What the decider and the log say of a claim: booked on the platform, off-platform dealing
/// on its Task, the claimant's standing, the risk score of the claim's own decision, and a
/// fraud signal when that decision flagged it or a party dealt off the platform elsewhere.
///
/// Everything is read from the log up to the claim's own event (`seq`): what a replay from the
/// start would see when it reaches the claim, whatever the decider has decided since, so the
/// outcome does not depend on how the log was batched or how far behind intake runs.
struct Signals {
    risk_score: i64,
    fraud_signal: bool,
    good_standing: bool,
    off_platform: bool,
    booked_on_platform: bool,
}

async fn signals(
    store: &Store,
    event: &Event,
    seq: i64,
    decision: Option<&Decision>,
) -> Result<Signals, StoreError> {
    let risk_score = decision.map_or(0, |d| d.score.round() as i64);
    let flagged = decision.is_some_and(|d| matches!(d.verdict, Verdict::Review | Verdict::Block));
    let claimant = event.actor.id.as_str();
    let task = event.task_id.as_deref();
    // Violations recorded against either party: the claimant's standing, and whether this
    // Task was arranged or paid off the platform (POL-GUARANTEE §5.1 excludes it). A party
    // found dealing off the platform on other Tasks is a fraud signal for the specialist, not
    // an exclusion: no clause refuses a claim for what the other party did elsewhere.
    let mut good_standing = true;
    let mut off_platform = false;
    let mut off_platform_elsewhere = false;
    for user in std::iter::once(claimant).chain(event.subject.as_ref().map(|s| s.id.as_str())) {
        let violations = store
            .effects_on_user_up_to(user, ActionKind::Violation.as_str(), seq, 50)
            .await?;
        if user == claimant {
            good_standing = violations.is_empty();
        }
        for (violation, on_task) in &violations {
            if !violation.detail.contains("POL-PAYMENTS §2") {
                continue;
            }
            if task.is_some() && on_task.as_deref() == task {
                off_platform = true;
            } else {
                off_platform_elsewhere = true;
            }
        }
    }
    let filed_day = arbiter_model::to_micros(event.occurred_at).div_euclid(DAY);
    let booked_on_platform = match task {
        Some(task) => {
            store
                .task_has_event(task, "task.booked", filed_day - 120, filed_day, Some(seq))
                .await?
        }
        None => false,
    };
    Ok(Signals {
        risk_score,
        fraud_signal: flagged || off_platform_elsewhere,
        good_standing,
        off_platform,
        booked_on_platform,
    })
}

/// The case an event opens: a claim, a report, or a rule's `open_case`. `None` for other events.
pub async fn opening_for_event(
    store: &Store,
    config: &Config,
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
                "rule",
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
                "event",
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
                    "event",
                    Some(event.id.as_str().to_owned()),
                    text("text"),
                )
            }
            _ => return Ok(None),
        };
    let signals = signals(store, event, seq, decision).await?;
    let (client_id, tasker_id) = parties(event);
    let claimed = if case_type.is_claim() {
        event.amount
    } else {
        None
    };
    let eligibility = match (
        case_type.is_claim(),
        claimed,
        config.terms(event.market.as_str()),
    ) {
        (true, Some(claimed), Some(terms)) => {
            let incident_at = data
                .get("incident_at")
                .and_then(|v| v.as_str())
                .and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
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
            Some(arbiter_resolve::eligibility(
                &arbiter_resolve::ClaimFacts {
                    case_type,
                    claimed,
                    incident_at,
                    filed_at: arbiter_model::to_micros(event.occurred_at),
                    booked_on_platform: signals.booked_on_platform,
                    off_platform: signals.off_platform,
                    items,
                    paid_minor: 0,
                },
                terms,
            ))
        }
        _ => None,
    };
    Ok(Some(Opening {
        case_type,
        priority,
        market: event.market.as_str().to_owned(),
        claimant_id: Some(event.actor.id.as_str().to_owned()),
        client_id,
        tasker_id,
        task_id: event.task_id.clone(),
        claimed,
        summary,
        source,
        source_ref,
        risk_score: signals.risk_score,
        fraud_signal: signals.fraud_signal,
        good_standing: signals.good_standing,
        eligibility,
        opened_at: arbiter_model::to_micros(event.occurred_at),
        events: vec![event.id.as_str().to_owned()],
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

/// Follows the event log behind the decider and opens cases from claims, reports and rules'
/// `open_case` actions, a batch per transaction with its progress. Runs until the store closes.
pub fn start_intake(store: Store, config: Arc<Config>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = register_playbooks(&store, &config).await {
            tracing::error!(%error, "playbooks not registered");
        }
        // Progress is kept in memory and written with every batch that opens a case, else
        // every ten seconds: a batch of events that open nothing needs no transaction of its
        // own (after a crash it is read again, and links already made are not repeated).
        let mut cursor = None;
        let mut persisted_at = std::time::Instant::now();
        loop {
            let from = match cursor {
                Some(seq) => seq,
                None => match store.intake_progress().await {
                    Ok(seq) => seq,
                    Err(StoreError::Closed) => return,
                    Err(_) => 0,
                },
            };
            let persist_quiet = persisted_at.elapsed() >= Duration::from_secs(10);
            match intake_from(&store, &config, from, 500, persist_quiet).await {
                Ok(Taken { last_seq: 0, .. }) => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Ok(taken) => {
                    cursor = Some(taken.last_seq);
                    if taken.persisted {
                        persisted_at = std::time::Instant::now();
                    }
                }
                Err(StoreError::Closed) => return,
                Err(error) => {
                    tracing::warn!(%error, "case intake: the store failed; trying again shortly");
                    cursor = None;
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

/// Takes in the decided events after `from`, up to `limit`. Progress is written with the
/// cases a batch opens, and with a batch that opens none only when `persist_quiet`.
pub async fn intake_from(
    store: &Store,
    config: &Config,
    from: i64,
    limit: i64,
    persist_quiet: bool,
) -> Result<Taken, StoreError> {
    intake_dated(store, config, from, limit, persist_quiet, false).await
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
            && let Some(opening) =
                opening_for_event(store, config, event, seq, decision, None).await?
        {
            push_opening(config, opening, &Actor::System, &mut batch);
        }
        for (effect, case_type, priority) in rules {
            if let Some(opening) = opening_for_event(
                store,
                config,
                event,
                seq,
                decision,
                Some((effect, case_type, priority)),
            )
            .await?
            {
                let actor = Actor::Rule(effect.rules.first().cloned().unwrap_or_default());
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
    actor: &Actor,
    batch: &mut Vec<(CaseRecord, CaseAdditions)>,
) {
    let market = opening.market.clone();
    match open(config, opening, actor) {
        Ok(case) => batch.push(case),
        Err(error) => tracing::warn!(%error, %market, "case intake: could not open a case"),
    }
}
