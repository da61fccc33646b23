//! The demo's resolution center: cases opened by intake from the history's claims, reports and
//! rule hits, then worked as a team of specialists would have worked them, at the times they
//! would have — first responses (some late), investigations, decisions with their notices,
//! payouts and recoveries, appeals and reopenings — so that every screen and KPI has data.
//! Recent cases are left open, as a real queue would be.

use anyhow::Result;
use arbiter_app::cases::{self, Actor, CaseError, DecisionRequest};
use arbiter_model::{Micros, Money};
use arbiter_resolve::{CaseType, Config, Counterparty, EntryKind, Outcome, Step};
use arbiter_store::{CaseFilter, CaseRecord, NewMessage, Store};
use std::collections::BTreeMap;

const HOUR: Micros = 3_600_000_000;
const SPECIALISTS: [&str; 4] = ["ana.lopez", "ben.okafor", "chloe.martin", "dev.patel"];

/// What the demo's cases came to.
#[derive(Debug, Default)]
pub struct Worked {
    pub opened: usize,
    pub automated: usize,
    pub decided: usize,
    pub appealed: usize,
    pub reopened: usize,
    pub open: usize,
}

/// Opens the cases of the whole log (intake behind the decider), with a progress bar.
pub async fn open_all(store: &Store, config: &Config) -> Result<()> {
    let last = store.last_event_seq().await?;
    let bar = indicatif::ProgressBar::new(last.max(0) as u64).with_style(
        indicatif::ProgressStyle::with_template("Opening cases [{bar:40}] {pos}/{len} events")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    loop {
        let read = arbiter_app::intake::intake_history_once(store, config, 5_000).await?;
        bar.set_position(store.intake_progress().await?.max(0) as u64);
        if read == 0 {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// Works every case opened before `end - 3 days` as a team would have; `end` is the history's
/// last moment.
pub async fn work_all(store: &Store, config: &Config, seed: u64, end: Micros) -> Result<Worked> {
    let library = library()?;
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_ca5e);
    let mut worked = Worked::default();
    let mut after = None;
    let mut cases = Vec::new();
    loop {
        let page = store
            .list_cases(&CaseFilter::default(), after, 1_000)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some((last.resolution_due, last.number));
        cases.extend(page);
    }
    cases.sort_by_key(|c| c.opened_at);
    let bar = indicatif::ProgressBar::new(cases.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("Working cases [{bar:40}] {pos}/{len} cases")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    for case in cases {
        bar.inc(1);
        worked.opened += 1;
        if case.automated {
            worked.automated += 1;
            continue;
        }
        let who = Actor::Person(SPECIALISTS[rng.usize(..SPECIALISTS.len())].to_owned());
        match work_one(store, config, &library, &mut rng, &who, &case, end).await {
            Ok(Progress::Open) => worked.open += 1,
            Ok(Progress::Decided { appealed, reopened }) => {
                worked.decided += 1;
                worked.appealed += usize::from(appealed);
                worked.reopened += usize::from(reopened);
            }
            // A case the simulation cannot move (an unusual state): left as it is.
            Err(
                CaseError::Illegal(_)
                | CaseError::Ledger(_)
                | CaseError::Decision(_)
                | CaseError::Invalid(_),
            ) => worked.open += 1,
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "working {}: {e}",
                    cases::case_id(case.number)
                ));
            }
        }
    }
    bar.finish_and_clear();
    Ok(worked)
}

/// One change to a case, as the simulation writes it.
type Change<'a> = Box<
    dyn FnOnce(
            &mut CaseRecord,
            &mut arbiter_store::CaseAdditions,
            &cases::CaseContext<'_>,
        ) -> Result<(), CaseError>
        + Send
        + 'a,
>;

enum Progress {
    Open,
    Decided { appealed: bool, reopened: bool },
}

fn library() -> Result<Vec<arbiter_policy::Document>> {
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    arbiter_policy::check_library(&files, &[]).map_err(|e| {
        anyhow::anyhow!(
            "the starter library does not check: {}",
            e.first().map(ToString::to_string).unwrap_or_default()
        )
    })
}

/// One specialist's work on one case, step by step at simulated times.
async fn work_one(
    store: &Store,
    config: &Config,
    library: &[arbiter_policy::Document],
    rng: &mut fastrand::Rng,
    who: &Actor,
    case: &CaseRecord,
    end: Micros,
) -> Result<Progress, CaseError> {
    let number = case.number;
    let case_type = CaseType::parse(&case.case_type).unwrap_or(CaseType::Other);
    // Most first responses come within the target; about one in eight is late.
    let first_at = if rng.u8(0..8) == 0 {
        case.first_response_due + rng.i64(HOUR..30 * HOUR)
    } else {
        case.opened_at + rng.i64(HOUR / 4..(case.first_response_due - case.opened_at).max(HOUR))
    };
    if first_at >= end {
        return Ok(Progress::Open);
    }
    let change = |at: Micros, f: Change<'static>| async move {
        cases::change(store, config, number, None, who, at, f).await
    };
    let playbook = config.playbook(case_type);
    let steps: Vec<String> = playbook
        .map(|p| p.steps.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default();
    let assignee = who.name().to_owned();
    let actor = who.clone();
    change(
        first_at,
        Box::new(move |c, additions, context| {
            c.assignee = Some(assignee);
            cases::apply_step(c, additions, Step::Investigate, context, &actor)?;
            c.steps_done = steps.iter().take(2).cloned().collect();
            Ok(())
        }),
    )
    .await?;
    let mut at = first_at;
    // One case in five needs more from a party.
    if rng.u8(0..5) == 0 {
        at += rng.i64(HOUR..6 * HOUR);
        if at >= end {
            return Ok(Progress::Open);
        }
        let template = if case_type.is_claim() {
            "TPL-CLAIM-DECISION-EN §4"
        } else {
            "TPL-CASE-UPDATE-EN §3"
        };
        let (used, body) = compose(
            store,
            library,
            config,
            case,
            template,
            &[("requested", "photos of the damage and a receipt")],
        )
        .await?;
        let locale = config.locale(&case.market).to_owned();
        let recipient = case.claimant_id.clone();
        let actor = who.clone();
        change(
            at,
            Box::new(move |c, additions, context| {
                cases::apply_step(c, additions, Step::RequestInformation, context, &actor)?;
                let sent = message("out", recipient, &locale, Some(used), body, actor.name());
                cases::add_message(c, additions, &actor, sent);
                Ok(())
            }),
        )
        .await?;
        at += rng.i64(4 * HOUR..48 * HOUR);
        if at >= end {
            return Ok(Progress::Open);
        }
        let locale = config.locale(&case.market).to_owned();
        let recipient = case.claimant_id.clone();
        let actor = who.clone();
        change(
            at,
            Box::new(move |c, additions, context| {
                cases::apply_step(c, additions, Step::InformationReceived, context, &actor)?;
                let reply = message(
                    "in",
                    recipient.clone(),
                    &locale,
                    None,
                    "Here are the photos and the receipt.".into(),
                    recipient.as_deref().unwrap_or("client"),
                );
                cases::add_message(c, additions, &actor, reply);
                Ok(())
            }),
        )
        .await?;
    }
    // The decision, mostly within the resolution target.
    at += if rng.u8(0..10) == 0 {
        (case.resolution_due - at).max(HOUR) + rng.i64(HOUR..72 * HOUR)
    } else {
        rng.i64(HOUR..(case.resolution_due - at).max(2 * HOUR))
    };
    if at >= end {
        return Ok(Progress::Open);
    }
    let request = decision_for(case, case_type, rng);
    let outcome = request.outcome;
    let actor = who.clone();
    change(
        at,
        Box::new(move |c, additions, context| {
            cases::decide(c, additions, context, &actor, request)
        }),
    )
    .await?;
    // The notice the playbook names for the outcome.
    if let Some(template) = playbook
        .and_then(|p| p.outcomes.iter().find(|o| o.outcome == outcome.as_str()))
        .and_then(|o| o.template.clone())
    {
        at += rng.i64(HOUR / 12..HOUR);
        // The history ends at `end`: what would come later has not happened yet.
        if at >= end {
            return Ok(Progress::Decided {
                appealed: false,
                reopened: false,
            });
        }
        let (used, body) = compose(store, library, config, case, &template, &[]).await?;
        let locale = config.locale(&case.market).to_owned();
        let recipient = case.claimant_id.clone();
        let actor = who.clone();
        change(
            at,
            Box::new(move |c, additions, _| {
                let sent = message("out", recipient, &locale, Some(used), body, actor.name());
                cases::add_message(c, additions, &actor, sent);
                Ok(())
            }),
        )
        .await?;
    }
    // A recovery from the Tasker on some paid claims.
    if outcome.pays() && case_type.is_claim() && case.tasker_id.is_some() && rng.u8(0..6) == 0 {
        at += rng.i64(24 * HOUR..96 * HOUR);
        if at < end {
            let actor = who.clone();
            change(
                at,
                Box::new(move |c, additions, context| {
                    let paid = arbiter_resolve::ledger::totals(&context.ledger).paid();
                    let entry = arbiter_resolve::NewEntry {
                        kind: EntryKind::Recovery,
                        counterparty: Counterparty::Tasker,
                        amount: Money::new((paid / 2).max(1), context.currency),
                        reverses: None,
                        override_reason: None,
                    };
                    cases::record_entry(
                        c,
                        additions,
                        context,
                        &actor,
                        entry,
                        "the Tasker's share, from their payouts",
                    )
                }),
            )
            .await?;
        }
    }
    at += rng.i64(HOUR / 4..4 * HOUR);
    if at >= end {
        return Ok(Progress::Decided {
            appealed: false,
            reopened: false,
        });
    }
    change(at, {
        let actor = who.clone();
        Box::new(move |c, additions, context| {
            cases::apply_step(c, additions, Step::Close, context, &actor)
        })
    })
    .await?;
    // Some denials are appealed and some cases come back.
    let roll = rng.u8(0..100);
    let appealed = outcome == Outcome::Denied && roll < 25;
    let reopened = !appealed && roll < 5;
    if appealed || reopened {
        at += rng.i64(24 * HOUR..10 * 24 * HOUR);
        if at >= end {
            return Ok(Progress::Decided {
                appealed: false,
                reopened: false,
            });
        }
        let step = if appealed { Step::Appeal } else { Step::Reopen };
        change(at, {
            let actor = who.clone();
            Box::new(move |c, additions, context| {
                cases::apply_step(c, additions, step, context, &actor)
            })
        })
        .await?;
        at += rng.i64(4 * HOUR..72 * HOUR);
        if at >= end {
            return Ok(Progress::Decided { appealed, reopened });
        }
        // Most appeals are upheld; a few are overturned to an approval of what is payable.
        let second = if appealed && rng.u8(0..5) == 0 {
            let mut r = decision_for(case, case_type, rng);
            if let Some(payable) = payable(case).filter(|p| p.minor > 0) {
                r = DecisionRequest {
                    outcome: Outcome::Approved,
                    amount: Some(payable),
                    clauses: vec!["POL-APPEALS §3.1".into()],
                    text: "Overturned on appeal: the new evidence shows the claim is covered."
                        .into(),
                    override_reason: None,
                };
            }
            r
        } else {
            let mut r = decision_for(case, case_type, rng);
            if r.outcome.pays() {
                // Paid already: the second look changes nothing in money.
                r = DecisionRequest {
                    outcome: Outcome::ResolvedWithoutPayout,
                    amount: None,
                    clauses: vec![],
                    text: "Looked at again: the first decision stands.".into(),
                    override_reason: None,
                };
            }
            r
        };
        let actor = who.clone();
        change(
            at,
            Box::new(move |c, additions, context| {
                cases::decide(c, additions, context, &actor, second)
            }),
        )
        .await?;
        at += rng.i64(HOUR / 4..4 * HOUR);
        if at < end {
            change(at, {
                let actor = who.clone();
                Box::new(move |c, additions, context| {
                    cases::apply_step(c, additions, Step::Close, context, &actor)
                })
            })
            .await?;
        }
    }
    Ok(Progress::Decided { appealed, reopened })
}

fn message(
    direction: &str,
    recipient: Option<String>,
    locale: &str,
    template: Option<String>,
    body: String,
    sent_by: &str,
) -> NewMessage {
    NewMessage {
        direction: direction.into(),
        party: "client".into(),
        recipient,
        locale: locale.into(),
        template,
        body,
        sent_by: sent_by.into(),
    }
}

fn payable(case: &CaseRecord) -> Option<Money> {
    let e: cases::StoredEligibility = serde_json::from_str(case.eligibility.as_deref()?).ok()?;
    let currency = arbiter_model::Currency::parse(&e.currency).ok()?;
    Some(Money::new(e.payable_minor, currency))
}

/// What a specialist following the playbook would decide.
fn decision_for(
    case: &CaseRecord,
    case_type: CaseType,
    rng: &mut fastrand::Rng,
) -> DecisionRequest {
    let e: Option<cases::StoredEligibility> = case
        .eligibility
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    let request = |outcome, amount, clauses: Vec<&str>, text: &str| DecisionRequest {
        outcome,
        amount,
        clauses: clauses.into_iter().map(str::to_owned).collect(),
        text: text.into(),
        override_reason: None,
    };
    if let Some(e) = e {
        let clause = e
            .reasons
            .first()
            .map(|r| r.clause.clone())
            .unwrap_or_default();
        return match e.outcome.as_str() {
            // A claim with a fraud signal is sometimes found false.
            _ if case.risk_score >= 50 && rng.u8(0..3) == 0 => request(
                Outcome::Denied,
                None,
                vec!["PRC-CLAIMS §4.4"],
                "The statements do not match the Task's record.",
            ),
            "eligible" => request(
                Outcome::Approved,
                payable(case),
                vec![&clause],
                "Eligible and documented.",
            ),
            "partly_eligible" => request(
                Outcome::PartlyApproved,
                payable(case),
                vec![&clause],
                "Paid up to the per-claim limit.",
            ),
            _ => {
                let text = e
                    .reasons
                    .first()
                    .map(|r| r.text.clone())
                    .unwrap_or_default();
                DecisionRequest {
                    outcome: Outcome::Denied,
                    amount: None,
                    clauses: vec![clause],
                    text,
                    override_reason: None,
                }
            }
        };
    }
    match case_type {
        CaseType::SafetyIncident if rng.u8(0..10) == 0 => request(
            Outcome::Referred,
            None,
            vec!["PRC-SAFETY-INCIDENT §4.2"],
            "Referred to law enforcement at the reporter's request.",
        ),
        CaseType::OffPlatformPayment | CaseType::Fraud if rng.u8(0..4) == 0 => request(
            Outcome::Denied,
            None,
            vec!["POL-PAYMENTS §2.1"],
            "Not confirmed by the messages.",
        ),
        _ => request(
            Outcome::ResolvedWithoutPayout,
            None,
            vec![],
            "Action taken under the enforcement ladder; the reporter was told.",
        ),
    }
}

/// A template clause filled for `case`.
async fn compose(
    store: &Store,
    library: &[arbiter_policy::Document],
    config: &Config,
    case: &CaseRecord,
    template: &str,
    extra: &[(&str, &str)],
) -> Result<(String, String), CaseError> {
    let mut values: BTreeMap<String, String> = cases::case_values(store, case.number).await?;
    values.insert(
        "recipient_name".into(),
        case.claimant_id.clone().unwrap_or_default(),
    );
    for (k, v) in extra {
        values.insert((*k).into(), (*v).into());
    }
    values
        .entry("outcome".into())
        .or_insert_with(|| "We have resolved it.".into());
    cases::compose(
        case,
        library,
        config.locale(&case.market),
        template,
        &values,
    )
}
