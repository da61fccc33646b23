//! The demo's resolution center: cases opened by intake from the history's claims, reports and
//! rule hits, then worked as a team of specialists would have worked them, at the times they
//! would have — first responses (some late), investigations, decisions with their notices,
//! payouts and recoveries, appeals and reopenings — so that every screen and KPI has data.
//! Recent cases are left open, as a real queue would be.

use anyhow::Result;
use arbiter_app::cases::{self, CaseDecisionRequest, CaseError, ChangedBy};
use arbiter_model::{Micros, Money};
use arbiter_resolve::ops as domain;
use arbiter_resolve::{
    Case, CaseType, Config, Counterparty, Direction, EntryKind, Message, Outcome, Party, Step,
    Update,
};
use arbiter_store::{CaseFilter, Store};
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
        let page = cases::list(store, &CaseFilter::default(), after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.deadlines.resolution_due, last.number));
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
        let who = ChangedBy::Staff(SPECIALISTS[rng.usize(..SPECIALISTS.len())].to_owned());
        match work_one(store, config, &library, &mut rng, &who, &case, end).await {
            Ok(Progress::Open) => worked.open += 1,
            Ok(Progress::Decided { appealed, reopened }) => {
                worked.decided += 1;
                worked.appealed += usize::from(appealed);
                worked.reopened += usize::from(reopened);
            }
            // A case the simulation cannot move (an unusual state): left as it is.
            Err(CaseError::Refused(_) | CaseError::Invalid(_)) => worked.open += 1,
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
    who: &ChangedBy,
    case: &Case,
    end: Micros,
) -> Result<Progress, CaseError> {
    let number = case.number;
    let case_type = case.case_type;
    let due = case.deadlines;
    // Most first responses come within the target; about one in eight is late.
    let first_at = if rng.u8(0..8) == 0 {
        due.first_response_due + rng.i64(HOUR..30 * HOUR)
    } else {
        case.opened_at + rng.i64(HOUR / 4..(due.first_response_due - case.opened_at).max(HOUR))
    };
    if first_at >= end {
        return Ok(Progress::Open);
    }
    let playbook = config.playbook(case_type);
    let steps: Vec<String> = playbook
        .map(|p| p.steps.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default();
    cases::change(store, config, number, None, |c, context| {
        let (c, investigating) = domain::step(c, context, Step::Investigate, "", who, first_at)?;
        let taken = Update {
            assignee: Some(Some(who.name().to_owned())),
            steps_done: steps.iter().take(2).cloned().collect(),
            ..Update::default()
        };
        let (c, assigned) = domain::update(&c, context, taken, who, first_at)?;
        Ok((c, investigating.then(assigned)))
    })
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
        let sent = message(config, case, Direction::Out, Some(used), body, who.name());
        cases::change(store, config, number, None, |c, context| {
            let (c, asked) = domain::step(c, context, Step::RequestInformation, "", who, at)?;
            let (c, written) = domain::record_message(&c, sent, who, at);
            Ok((c, asked.then(written)))
        })
        .await?;
        at += rng.i64(4 * HOUR..48 * HOUR);
        if at >= end {
            return Ok(Progress::Open);
        }
        let claimant = case.parties.claimant.clone();
        let reply = message(
            config,
            case,
            Direction::In,
            None,
            "Here are the photos and the receipt.".into(),
            claimant.as_deref().unwrap_or("client"),
        );
        cases::change(store, config, number, None, |c, context| {
            let (c, received) = domain::step(c, context, Step::InformationReceived, "", who, at)?;
            let (c, written) = domain::record_message(&c, reply, who, at);
            Ok((c, received.then(written)))
        })
        .await?;
    }
    // The decision, mostly within the resolution target.
    at += if rng.u8(0..10) == 0 {
        (due.resolution_due - at).max(HOUR) + rng.i64(HOUR..72 * HOUR)
    } else {
        rng.i64(HOUR..(due.resolution_due - at).max(2 * HOUR))
    };
    if at >= end {
        return Ok(Progress::Open);
    }
    let request = decision_for(case, rng);
    let outcome = request.outcome;
    cases::change(store, config, number, None, |c, context| {
        domain::decide(c, context, request, who, at)
    })
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
        let sent = message(config, case, Direction::Out, Some(used), body, who.name());
        cases::change(store, config, number, None, |c, _| {
            Ok(domain::record_message(c, sent, who, at))
        })
        .await?;
    }
    // A recovery from the Tasker on some paid claims.
    if outcome.pays() && case_type.is_claim() && case.parties.tasker.is_some() && rng.u8(0..6) == 0
    {
        at += rng.i64(24 * HOUR..96 * HOUR);
        if at < end {
            cases::change(store, config, number, None, |c, context| {
                let paid = arbiter_resolve::ledger::totals(context.ledger).paid();
                let entry = arbiter_resolve::NewEntry {
                    kind: EntryKind::Recovery,
                    counterparty: Counterparty::Tasker,
                    amount: Money::new((paid / 2).max(1), c.currency),
                    reverses: None,
                    override_reason: None,
                };
                let note = "the Tasker's share, from their payouts";
                domain::record_entry(c, context, entry, note, who, at)
            })
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
    cases::change(store, config, number, None, |c, context| {
        domain::step(c, context, Step::Close, "", who, at)
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
        cases::change(store, config, number, None, |c, context| {
            domain::step(c, context, step, "", who, at)
        })
        .await?;
        at += rng.i64(4 * HOUR..72 * HOUR);
        if at >= end {
            return Ok(Progress::Decided { appealed, reopened });
        }
        // Most appeals are upheld; a few are overturned to an approval of what is payable.
        let second = if appealed && rng.u8(0..5) == 0 {
            let mut r = decision_for(case, rng);
            if let Some(payable) = payable(case).filter(|p| p.minor > 0) {
                r = CaseDecisionRequest {
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
            let mut r = decision_for(case, rng);
            if r.outcome.pays() {
                // Paid already: the second look changes nothing in money.
                r = CaseDecisionRequest {
                    outcome: Outcome::ResolvedWithoutPayout,
                    amount: None,
                    clauses: vec![],
                    text: "Looked at again: the first decision stands.".into(),
                    override_reason: None,
                };
            }
            r
        };
        cases::change(store, config, number, None, |c, context| {
            domain::decide(c, context, second, who, at)
        })
        .await?;
        at += rng.i64(HOUR / 4..4 * HOUR);
        if at < end {
            cases::change(store, config, number, None, |c, context| {
                domain::step(c, context, Step::Close, "", who, at)
            })
            .await?;
        }
    }
    Ok(Progress::Decided { appealed, reopened })
}

/// A message to or from the claimant, in their market's language.
fn message(
    config: &Config,
    case: &Case,
    direction: Direction,
    template: Option<String>,
    body: String,
    sent_by: &str,
) -> Message {
    Message {
        direction,
        party: Party::Client,
        recipient: case.parties.claimant.clone(),
        locale: config.locale(case.market.as_str()).into(),
        template,
        body,
        sent_by: sent_by.into(),
    }
}

fn payable(case: &Case) -> Option<Money> {
    case.eligibility.as_ref().map(|e| e.payable)
}

/// What a specialist following the playbook would decide.
fn decision_for(case: &Case, rng: &mut fastrand::Rng) -> CaseDecisionRequest {
    use arbiter_resolve::guarantee::Outcome as Eligibility;
    let request = |outcome, amount, clauses: Vec<&str>, text: &str| CaseDecisionRequest {
        outcome,
        amount,
        clauses: clauses.into_iter().map(str::to_owned).collect(),
        text: text.into(),
        override_reason: None,
    };
    if let Some(e) = &case.eligibility {
        let clause = e
            .reasons
            .first()
            .map(|r| r.clause.clone())
            .unwrap_or_default();
        return match e.outcome {
            // A claim with a fraud signal is sometimes found false.
            _ if case.risk_score >= 50 && rng.u8(0..3) == 0 => request(
                Outcome::Denied,
                None,
                vec!["PRC-CLAIMS §4.4"],
                "The statements do not match the Task's record.",
            ),
            Eligibility::Eligible => request(
                Outcome::Approved,
                payable(case),
                vec![&clause],
                "Eligible and documented.",
            ),
            Eligibility::PartlyEligible => request(
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
                CaseDecisionRequest {
                    outcome: Outcome::Denied,
                    amount: None,
                    clauses: vec![clause],
                    text,
                    override_reason: None,
                }
            }
        };
    }
    match case.case_type {
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

/// A template clause filled for `case`, with what the newest decision says.
async fn compose(
    store: &Store,
    library: &[arbiter_policy::Document],
    config: &Config,
    case: &Case,
    template: &str,
    extra: &[(&str, &str)],
) -> Result<(String, String), CaseError> {
    let last = cases::last_decision(store, case.number).await?;
    let mut values: BTreeMap<String, String> = domain::template_values(case, last.as_ref());
    values.insert(
        "recipient_name".into(),
        case.parties.claimant.clone().unwrap_or_default(),
    );
    for (k, v) in extra {
        values.insert((*k).into(), (*v).into());
    }
    values
        .entry("outcome".into())
        .or_insert_with(|| "We have resolved it.".into());
    Ok(domain::compose(
        case,
        library,
        config.locale(case.market.as_str()),
        template,
        &values,
    )?)
}
