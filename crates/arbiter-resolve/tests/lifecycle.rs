//! Every operation on a case, by table: each lifecycle transition and what it does beside the
//! state, and each refusal with its reason.

mod common;

use arbiter_resolve::change::AuditAction;
use arbiter_resolve::ops::{self, CaseDecisionRequest, MessageDraft, Templates, Update, Upload};
use arbiter_resolve::{
    Case, CaseDecision, CaseType, Change, ChangedBy, Counterparty, DecisionError, Direction,
    EntryKind, LedgerError, NewEntry, Outcome, Parties, Party, Priority, Refused, Screening,
    Source, State, Step, Violation, limit_left,
};
use common::*;
use std::collections::BTreeMap;

fn in_state(state: State) -> Stored {
    let config = config();
    let mut stored = open_claim(config, usd(45_000));
    stored.case.state = state;
    if matches!(state, State::Decided | State::Closed | State::Appealed) {
        stored.case.resolved_at = Some(T0 + HOUR);
    }
    if state == State::Closed {
        stored.case.closed_at = Some(T0 + 2 * HOUR);
    }
    stored
}

fn state_entries(change: &Change) -> Vec<(Option<String>, Option<String>)> {
    change
        .audit
        .iter()
        .filter(|a| a.action == AuditAction::State)
        .map(|a| (a.before.clone(), a.after.clone()))
        .collect()
}

/// Every step other than deciding, from every state: where it leads, or that it is refused.
#[test]
fn every_step_from_every_state() {
    use State::*;
    let allowed: &[(State, Step, State)] = &[
        (New, Step::Triage, Triaged),
        (New, Step::Investigate, Investigating),
        (Triaged, Step::Investigate, Investigating),
        (Triaged, Step::RequestInformation, AwaitingInformation),
        (Investigating, Step::RequestInformation, AwaitingInformation),
        (
            AwaitingInformation,
            Step::InformationReceived,
            Investigating,
        ),
        (Decided, Step::Close, Closed),
        (Decided, Step::Appeal, Appealed),
        (Decided, Step::Reopen, Investigating),
        (Closed, Step::Appeal, Appealed),
        (Closed, Step::Reopen, Investigating),
    ];
    let config = config();
    let mut seen = 0;
    for &from in State::ALL {
        for &step in Step::ALL.iter().filter(|s| **s != Step::Decide) {
            let stored = in_state(from);
            let result = ops::step(
                &stored.case,
                &stored.context(config),
                step,
                "",
                &staff(),
                T0 + DAY,
            );
            match allowed.iter().find(|(f, s, _)| *f == from && *s == step) {
                Some(&(_, _, to)) => {
                    seen += 1;
                    let (case, change) = result.unwrap_or_else(|e| panic!("{from} {step}: {e}"));
                    assert_eq!(case.state, to, "{from} {step}");
                    assert_eq!(
                        state_entries(&change),
                        vec![(Some(from.as_str().into()), Some(to.as_str().into()))],
                        "{from} {step}: the trail records the move"
                    );
                }
                None => match result {
                    Err(Refused::Step(illegal)) => {
                        assert_eq!((illegal.from, illegal.step), (from, step));
                        assert!(!illegal.reason.is_empty());
                    }
                    other => panic!("{from} {step}: expected a refusal, got {other:?}"),
                },
            }
        }
    }
    assert_eq!(seen, allowed.len());
}

/// Deciding, from every state.
#[test]
fn deciding_from_every_state() {
    let config = config();
    let refused = [
        (
            State::Decided,
            "the case is already decided: appeal or reopen it to decide again",
        ),
        (
            State::Closed,
            "the case is closed: reopen it before deciding",
        ),
    ];
    for &from in State::ALL {
        let stored = in_state(from);
        let result = ops::decide(
            &stored.case,
            &stored.context(config),
            denial(),
            &staff(),
            T0 + DAY,
        );
        match refused.iter().find(|(s, _)| *s == from) {
            Some((_, reason)) => {
                assert!(
                    matches!(&result, Err(Refused::Step(i)) if i.reason == *reason),
                    "{from}: {result:?}"
                );
            }
            None => {
                let (case, change) = result.unwrap_or_else(|e| panic!("{from}: {e}"));
                assert_eq!(case.state, State::Decided);
                assert_eq!(case.resolved_at, Some(T0 + DAY));
                assert!(change.decision.is_some());
            }
        }
    }
    let stored = in_state(State::Investigating);
    assert_eq!(
        ops::step(
            &stored.case,
            &stored.context(config),
            Step::Decide,
            "",
            &staff(),
            T0
        ),
        Err(Refused::Invalid(
            "step: decide with POST /v1/cases/{id}/decision, which records the outcome".into()
        ))
    );
}

/// The refusals people read, word for word.
#[test]
fn illegal_steps_say_why() {
    let config = config();
    let rows = [
        (
            State::Investigating,
            Step::Close,
            "a case is closed once decided; this one is investigating",
        ),
        (State::Closed, Step::Close, "the case is already closed"),
        (
            State::New,
            Step::Appeal,
            "only a decided or closed case can be appealed; this one is new",
        ),
        (
            State::Appealed,
            Step::Reopen,
            "only a decided or closed case can be reopened; this one is appealed",
        ),
        (
            State::Triaged,
            Step::InformationReceived,
            "no information was asked for: the case is triaged",
        ),
        (
            State::Closed,
            Step::Triage,
            "a case that is closed cannot be moved by “triage”",
        ),
    ];
    for (from, step, reason) in rows {
        let stored = in_state(from);
        let refused = ops::step(
            &stored.case,
            &stored.context(config),
            step,
            "",
            &staff(),
            T0,
        )
        .unwrap_err();
        assert_eq!(refused.to_string(), reason);
    }
}

fn denial() -> CaseDecisionRequest {
    CaseDecisionRequest {
        outcome: Outcome::Denied,
        amount: None,
        clauses: vec!["POL-GUARANTEE §3.1".into()],
        text: "Filed late.".into(),
        override_reason: None,
    }
}

fn approval(minor: i64) -> CaseDecisionRequest {
    CaseDecisionRequest {
        outcome: Outcome::Approved,
        amount: Some(usd(minor)),
        clauses: vec!["POL-GUARANTEE §1".into()],
        text: "Documented damage.".into(),
        override_reason: None,
    }
}

/// What each step does beside the state.
#[test]
fn closing_releases_reopening_counts_appealing_restarts_the_clock() {
    let config = config();
    // A claim of 450 holds a reserve of 450; denied, nothing is paid and all of it is released.
    let mut stored = open_claim(config, usd(45_000));
    assert_eq!(
        arbiter_resolve::ledger::totals(&stored.ledger).reserve,
        45_000
    );
    let decided = ops::decide(
        &stored.case,
        &stored.context(config),
        denial(),
        &staff(),
        T0 + DAY,
    )
    .unwrap();
    let released: Vec<(EntryKind, i64)> = decided
        .1
        .ledger
        .iter()
        .map(|e| (e.kind, e.amount.minor))
        .collect();
    assert_eq!(released, [(EntryKind::ReserveRelease, 45_000)]);
    stored.apply(decided);

    let closed = ops::step(
        &stored.case,
        &stored.context(config),
        Step::Close,
        "done",
        &staff(),
        T0 + 2 * DAY,
    )
    .unwrap();
    assert_eq!(closed.0.closed_at, Some(T0 + 2 * DAY));
    assert!(closed.1.ledger.is_empty(), "nothing left to release");
    let actions: Vec<AuditAction> = closed.1.audit.iter().map(|a| a.action).collect();
    assert_eq!(actions, [AuditAction::Note, AuditAction::State]);
    stored.apply(closed);

    let appealed = ops::step(
        &stored.case,
        &stored.context(config),
        Step::Appeal,
        "",
        &staff(),
        T0 + 3 * DAY,
    )
    .unwrap();
    assert_eq!(appealed.0.closed_at, None);
    assert_eq!(
        appealed.0.resolved_at,
        Some(T0 + DAY),
        "kept: it was resolved"
    );
    assert_eq!(
        appealed.0.deadlines.resolution_due,
        T0 + 3 * DAY + 120 * HOUR,
        "a normal claim has five days, from the appeal"
    );
    assert!(
        appealed
            .1
            .audit
            .iter()
            .any(|a| a.action == AuditAction::ResolutionDue),
        "the new deadline is in the trail"
    );
    stored.apply(appealed);
    let decided_again = ops::decide(
        &stored.case,
        &stored.context(config),
        denial(),
        &staff(),
        T0 + 4 * DAY,
    )
    .unwrap();
    stored.apply(decided_again);

    let reopened = ops::step(
        &stored.case,
        &stored.context(config),
        Step::Reopen,
        "",
        &staff(),
        T0 + 5 * DAY,
    )
    .unwrap();
    assert_eq!(reopened.0.reopened, 1);
    assert_eq!((reopened.0.resolved_at, reopened.0.closed_at), (None, None));
    assert_eq!(
        reopened.0.deadlines.resolution_due,
        T0 + 5 * DAY + 120 * HOUR
    );

    // Closing a case that still holds a reserve releases it.
    let mut held = open_claim(config, usd(45_000));
    held.case.state = State::Decided;
    let closed = ops::step(
        &held.case,
        &held.context(config),
        Step::Close,
        "",
        &staff(),
        T0 + DAY,
    )
    .unwrap();
    assert_eq!(closed.1.ledger.len(), 1);
    assert_eq!(closed.1.ledger[0].kind, EntryKind::ReserveRelease);
    assert_eq!(closed.1.ledger[0].amount, usd(45_000));
    assert_eq!(closed.1.ledger[0].note, "released at close");
    assert_eq!(closed.1.ledger[0].counterparty, Counterparty::Platform);
}

/// Each way a decision is refused.
#[test]
fn decisions_are_refused_with_the_reason() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    let refused = |request: CaseDecisionRequest| {
        ops::decide(
            &stored.case,
            &stored.context(config),
            request,
            &staff(),
            T0 + DAY,
        )
        .unwrap_err()
    };
    let rows: Vec<(&str, CaseDecisionRequest, Refused)> = vec![
        (
            "approval without an amount",
            CaseDecisionRequest {
                amount: None,
                ..approval(1)
            },
            Refused::Decision(DecisionError::ApprovalWithoutAmount),
        ),
        (
            "a denial that pays",
            CaseDecisionRequest {
                amount: Some(usd(100)),
                ..denial()
            },
            Refused::Decision(DecisionError::AmountWithoutPayment("denied")),
        ),
        (
            "nothing paid",
            approval(0),
            Refused::Decision(DecisionError::NotPositive),
        ),
        (
            "another currency",
            CaseDecisionRequest {
                amount: Some(eur(100)),
                ..approval(1)
            },
            Refused::Decision(DecisionError::WrongCurrency {
                given: eur(0).currency,
                case: usd(0).currency,
            }),
        ),
        (
            "a denial citing nothing",
            CaseDecisionRequest {
                clauses: vec![],
                ..denial()
            },
            Refused::Decision(DecisionError::DenialWithoutClause),
        ),
        (
            "no words",
            CaseDecisionRequest {
                text: "  ".into(),
                ..denial()
            },
            Refused::Decision(DecisionError::NoText),
        ),
        (
            "past the Guarantee's limit",
            approval(1_000_001),
            Refused::Ledger(LedgerError::OverLimit {
                amount: usd(1_000_001),
                remaining: usd(1_000_000),
            }),
        ),
        (
            "past the limit with a blank override",
            CaseDecisionRequest {
                override_reason: Some("   ".into()),
                ..approval(1_000_001)
            },
            Refused::Ledger(LedgerError::OverLimit {
                amount: usd(1_000_001),
                remaining: usd(1_000_000),
            }),
        ),
    ];
    for (name, request, expected) in rows {
        assert_eq!(refused(request), expected, "{name}");
    }
}

/// What a decision records: the decision, the payout to the claimant, the reserve released.
#[test]
fn decisions_pay_the_claimant_and_release_the_rest() {
    let config = config();
    struct Row {
        name: &'static str,
        claimant_is_tasker: bool,
        request: CaseDecisionRequest,
        ledger: Vec<(EntryKind, Counterparty, i64)>,
    }
    let rows = [
        Row {
            name: "paid in full",
            claimant_is_tasker: false,
            request: approval(45_000),
            ledger: vec![(EntryKind::Payout, Counterparty::Client, 45_000)],
        },
        Row {
            name: "paid in part, the rest released",
            claimant_is_tasker: false,
            request: CaseDecisionRequest {
                outcome: Outcome::PartlyApproved,
                ..approval(30_000)
            },
            ledger: vec![
                (EntryKind::Payout, Counterparty::Client, 30_000),
                (EntryKind::ReserveRelease, Counterparty::Platform, 15_000),
            ],
        },
        Row {
            name: "a Tasker's claim is paid to the Tasker",
            claimant_is_tasker: true,
            request: approval(45_000),
            ledger: vec![(EntryKind::Payout, Counterparty::Tasker, 45_000)],
        },
        Row {
            name: "past the limit with a reason",
            claimant_is_tasker: false,
            request: CaseDecisionRequest {
                override_reason: Some("team lead approved".into()),
                ..approval(1_200_000)
            },
            ledger: vec![(EntryKind::Payout, Counterparty::Client, 1_200_000)],
        },
        Row {
            name: "denied: the whole reserve released",
            claimant_is_tasker: false,
            request: denial(),
            ledger: vec![(EntryKind::ReserveRelease, Counterparty::Platform, 45_000)],
        },
    ];
    for row in rows {
        let mut stored = open_claim(config, usd(45_000));
        if row.claimant_is_tasker {
            stored.case.parties = Parties {
                claimant: Some("u_2".into()),
                client: Some("u_1".into()),
                tasker: Some("u_2".into()),
            };
        }
        let (case, change) = ops::decide(
            &stored.case,
            &stored.context(config),
            row.request.clone(),
            &staff(),
            T0 + DAY,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", row.name));
        let ledger: Vec<(EntryKind, Counterparty, i64)> = change
            .ledger
            .iter()
            .map(|e| (e.kind, e.counterparty, e.amount.minor))
            .collect();
        assert_eq!(ledger, row.ledger, "{}", row.name);
        let recorded = change.decision.as_ref().unwrap();
        assert_eq!(recorded.decision.outcome, row.request.outcome);
        assert_eq!(recorded.decided_by, staff());
        assert!(!recorded.automated && !case.automated);
        assert_eq!(recorded.playbook_version, case.playbook_version);
        // The trail: the state, the decision, then each entry.
        let actions: Vec<AuditAction> = change.audit.iter().map(|a| a.action).collect();
        let mut expected = vec![AuditAction::State, AuditAction::Decision];
        expected.extend(row.ledger.iter().map(|_| AuditAction::Ledger));
        assert_eq!(actions, expected, "{}", row.name);
        if let Some(reason) = &row.request.override_reason {
            assert_eq!(change.ledger[0].override_reason.as_ref(), Some(reason));
            assert_eq!(change.audit.last().unwrap().note, *reason);
        }
    }
}

/// Each way a ledger entry is refused, and the entries accepted beside them.
#[test]
fn ledger_entries_are_checked() {
    let config = config();
    let mut stored = open_claim(config, usd(45_000));
    // 1: reserve 450 (intake). 2: payout 300. 3: recovery 100. 4: goodwill 50, reversed by 5.
    for (kind, minor, reverses) in [
        (EntryKind::Payout, 30_000, None),
        (EntryKind::Recovery, 10_000, None),
        (EntryKind::Goodwill, 5_000, None),
        (EntryKind::Reversal, 5_000, Some(4)),
    ] {
        let entry = NewEntry {
            kind,
            counterparty: Counterparty::Client,
            amount: usd(minor),
            reverses,
            override_reason: None,
        };
        let done = ops::record_entry(
            &stored.case,
            &stored.context(config),
            entry,
            "",
            &staff(),
            T0 + HOUR,
        )
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        stored.apply(done);
    }
    let entry = |kind, minor, reverses: Option<i64>, override_reason: Option<&str>| NewEntry {
        kind,
        counterparty: Counterparty::Client,
        amount: usd(minor),
        reverses,
        override_reason: override_reason.map(str::to_owned),
    };
    let rows: Vec<(&str, NewEntry, Option<LedgerError>)> = vec![
        (
            "another currency",
            NewEntry {
                amount: eur(100),
                ..entry(EntryKind::Refund, 0, None, None)
            },
            Some(LedgerError::WrongCurrency {
                given: eur(0).currency,
                case: usd(0).currency,
            }),
        ),
        (
            "zero",
            entry(EntryKind::Refund, 0, None, None),
            Some(LedgerError::NotPositive),
        ),
        (
            "negative",
            entry(EntryKind::Goodwill, -5, None, None),
            Some(LedgerError::NotPositive),
        ),
        (
            "a payout past the remaining limit",
            entry(EntryKind::Payout, 970_001, None, None),
            Some(LedgerError::OverLimit {
                amount: usd(970_001),
                remaining: usd(970_000),
            }),
        ),
        (
            "a payout up to the remaining limit",
            entry(EntryKind::Payout, 970_000, None, None),
            None,
        ),
        (
            "past the limit with a blank override",
            entry(EntryKind::Payout, 970_001, None, Some(" ")),
            Some(LedgerError::OverLimit {
                amount: usd(970_001),
                remaining: usd(970_000),
            }),
        ),
        (
            "past the limit with an override reason",
            entry(EntryKind::Payout, 970_001, None, Some("court order")),
            None,
        ),
        (
            "a release above the reserve held",
            entry(EntryKind::ReserveRelease, 15_001, None, None),
            Some(LedgerError::ReleaseOverReserve {
                amount: usd(15_001),
                held: usd(15_000),
            }),
        ),
        (
            "a release of what is held",
            entry(EntryKind::ReserveRelease, 15_000, None, None),
            None,
        ),
        (
            "a recovery above what was paid",
            entry(EntryKind::Recovery, 20_001, None, None),
            Some(LedgerError::RecoveryOverPaid {
                amount: usd(20_001),
                paid: usd(30_000),
            }),
        ),
        (
            "a reversal naming nothing",
            entry(EntryKind::Reversal, 100, None, None),
            Some(LedgerError::ReversalWithoutEntry),
        ),
        (
            "a reversal of an entry not on the case",
            entry(EntryKind::Reversal, 100, Some(99), None),
            Some(LedgerError::UnknownEntry(99)),
        ),
        (
            "a second reversal",
            entry(EntryKind::Reversal, 5_000, Some(4), None),
            Some(LedgerError::AlreadyReversed(4)),
        ),
        (
            "a reversal of a reversal",
            entry(EntryKind::Reversal, 5_000, Some(5), None),
            Some(LedgerError::ReversalOfReversal(5)),
        ),
        (
            "a partial reversal",
            entry(EntryKind::Reversal, 100, Some(2), None),
            Some(LedgerError::PartialReversal {
                expected: usd(30_000),
            }),
        ),
        (
            "another kind naming an entry",
            entry(EntryKind::Refund, 100, Some(2), None),
            Some(LedgerError::NotAReversal),
        ),
        (
            "a reversal of a reserve partly spent",
            entry(EntryKind::Reversal, 45_000, Some(1), None),
            Some(LedgerError::ReserveSpent {
                entry: 1,
                amount: usd(45_000),
                held: usd(15_000),
            }),
        ),
        (
            "a reversal of the payout a recovery came back from",
            entry(EntryKind::Reversal, 30_000, Some(2), None),
            Some(LedgerError::RecoveredMoreThanPaid {
                entry: 2,
                amount: usd(30_000),
                recovered: usd(10_000),
                paid: usd(0),
            }),
        ),
        (
            "a reversal of the recovery",
            entry(EntryKind::Reversal, 10_000, Some(3), None),
            None,
        ),
    ];
    for (name, new, expected) in rows {
        let result = ops::record_entry(
            &stored.case,
            &stored.context(config),
            new.clone(),
            "a note",
            &staff(),
            T0 + DAY,
        );
        match expected {
            Some(error) => assert_eq!(result, Err(Refused::Ledger(error)), "{name}"),
            None => {
                let (case, change) = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(case.state, stored.case.state, "{name}");
                let recorded = &change.ledger[0];
                assert_eq!(
                    (recorded.kind, recorded.amount, recorded.reverses),
                    (new.kind, new.amount, new.reverses),
                    "{name}"
                );
                assert_eq!(recorded.note, "a note");
                assert_eq!(change.audit.last().unwrap().action, AuditAction::Ledger);
            }
        }
    }
}

/// The remaining limit is the claim's limit less its payouts; other cases have none.
#[test]
fn the_remaining_limit_is_one_definition() {
    let config = config();
    let mut stored = open_claim(config, usd(45_000));
    assert_eq!(
        limit_left(&stored.case, config, &stored.ledger),
        Some(usd(1_000_000))
    );
    let paid = ops::decide(
        &stored.case,
        &stored.context(config),
        approval(45_000),
        &staff(),
        T0 + DAY,
    )
    .unwrap();
    stored.apply(paid);
    assert_eq!(
        limit_left(&stored.case, config, &stored.ledger),
        Some(usd(955_000))
    );
    stored.case.case_type = CaseType::QualityDispute;
    assert_eq!(limit_left(&stored.case, config, &stored.ledger), None);
}

/// Field updates and their refusals.
#[test]
fn updates_change_what_they_name() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    let update = |u: Update| {
        ops::update(
            &stored.case,
            &stored.context(config),
            u,
            &staff(),
            T0 + HOUR,
        )
    };
    assert_eq!(
        update(Update {
            queue: Some("nowhere".into()),
            ..Update::default()
        })
        .unwrap_err()
        .to_string(),
        "queue: \"nowhere\" is not one of safety, claims-risk, claims, disputes, trust, general"
    );
    assert_eq!(
        update(Update {
            steps_done: vec!["dance".into()],
            ..Update::default()
        })
        .unwrap_err()
        .to_string(),
        "steps: the property_damage_claim playbook has no step \"dance\""
    );
    let (case, change) = update(Update {
        priority: Some(Priority::Urgent),
        queue: Some("trust".into()),
        assignee: Some(Some("  ben  ".into())),
        steps_done: vec!["intake".into(), "eligibility".into()],
        steps_undone: vec!["eligibility".into()],
    })
    .unwrap();
    assert_eq!(case.priority, Priority::Urgent);
    assert_eq!(
        case.deadlines.resolution_due,
        T0 + 48 * HOUR,
        "from the opening"
    );
    assert_eq!(case.queue, "trust");
    assert_eq!(case.assignee.as_deref(), Some("ben"));
    assert_eq!(case.steps_done, ["intake"]);
    assert_eq!(
        case.first_response_at,
        Some(T0 + HOUR),
        "a person's first change"
    );
    let fields: Vec<(AuditAction, Option<String>, Option<String>)> = change
        .audit
        .iter()
        .map(|a| (a.action, a.before.clone(), a.after.clone()))
        .collect();
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        fields,
        vec![
            (AuditAction::Priority, some("normal"), some("urgent")),
            (AuditAction::Queue, some("claims"), some("trust")),
            (AuditAction::Assignee, None, some("ben")),
            (AuditAction::StepsDone, some(""), some("intake")),
            (
                AuditAction::ResolutionDue,
                some("2026-10-08T00:00:00Z"),
                some("2026-10-05T00:00:00Z")
            ),
        ]
    );
    let (unassigned, _) = ops::update(
        &case,
        &stored.context(config),
        Update {
            assignee: Some(None),
            ..Update::default()
        },
        &ChangedBy::Rule("r".into()),
        T0 + 2 * HOUR,
    )
    .unwrap();
    assert_eq!(unassigned.assignee, None);
}

/// Only a person's change is a first response, and only the first one.
#[test]
fn the_first_response_is_a_persons_first_change() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    let triage = |by: &ChangedBy, case: &Case, at| {
        ops::step(case, &stored.context(config), Step::Triage, "", by, at)
            .unwrap()
            .0
    };
    for by in [
        ChangedBy::Rule("r".into()),
        ChangedBy::Automation("a".into()),
        ChangedBy::Intake,
    ] {
        assert_eq!(triage(&by, &stored.case, T0 + HOUR).first_response_at, None);
    }
    let answered = triage(&staff(), &stored.case, T0 + HOUR);
    assert_eq!(answered.first_response_at, Some(T0 + HOUR));
    let later = ops::step(
        &answered,
        &stored.context(config),
        Step::Investigate,
        "",
        &staff(),
        T0 + DAY,
    )
    .unwrap()
    .0;
    assert_eq!(later.first_response_at, Some(T0 + HOUR));
    assert_eq!(later.updated_at, T0 + DAY);
}

fn draft(template: Option<&str>, body: Option<&str>) -> MessageDraft {
    MessageDraft {
        party: Party::Client,
        direction: Direction::Out,
        template: template.map(str::to_owned),
        values: BTreeMap::new(),
        body: body.map(str::to_owned),
    }
}

/// Messages and their refusals.
#[test]
fn messages_are_written_from_templates_or_by_hand() {
    let config = config();
    let library = library();
    let stored = open_claim(config, usd(45_000));
    let last = CaseDecision {
        outcome: Outcome::Denied,
        amount: None,
        clauses: vec!["POL-GUARANTEE §3.1".into()],
        text: "filed too late.".into(),
    };
    let templates = Templates {
        library,
        last_decision: Some(&last),
    };
    let send = |case: &Case, d: MessageDraft| {
        ops::message(
            case,
            &stored.context(config),
            d,
            templates,
            &staff(),
            T0 + HOUR,
        )
    };
    let long = "x".repeat(20_001);
    let refusals: Vec<(&str, MessageDraft, &str)> = vec![
        (
            "both",
            draft(Some("TPL-CLAIM-DECISION-EN §2"), Some("hi")),
            "give a template or a body, not both and not neither",
        ),
        (
            "neither",
            draft(None, Some("  ")),
            "give a template or a body, not both and not neither",
        ),
        (
            "too long",
            draft(None, Some(&long)),
            "body: write 1 to 20,000 characters",
        ),
        (
            "not a clause",
            draft(Some("the denial one"), None),
            "template: \"the denial one\" is not a clause such as TPL-CLAIM-DECISION-EN §1",
        ),
        (
            "no such document",
            draft(Some("TPL-NOTHING-EN §1"), None),
            "template: the library has no TPL-NOTHING-EN",
        ),
        (
            "no such section",
            draft(Some("TPL-CLAIM-DECISION-EN §9"), None),
            "template: TPL-CLAIM-DECISION-EN has no section 9",
        ),
        (
            "a value the case does not give",
            draft(Some("TPL-CLAIM-DECISION-EN §4"), None),
            "template TPL-CLAIM-DECISION-EN: the template needs requested and the case does not give it",
        ),
    ];
    for (name, d, reason) in refusals {
        assert_eq!(
            send(&stored.case, d),
            Err(Refused::Invalid(reason.into())),
            "{name}"
        );
    }
    let (case, change) = send(&stored.case, draft(Some("TPL-CLAIM-DECISION-EN §2"), None)).unwrap();
    assert_eq!(case.touches, 1);
    let message = &change.messages[0];
    assert_eq!(message.recipient.as_deref(), Some("u_1"));
    assert_eq!(
        message.template.as_deref(),
        Some("TPL-CLAIM-DECISION-EN §2")
    );
    assert!(
        message.body.starts_with(
            "Hello u_1, we have reviewed your claim case_1 for the Task on 2026-10-03. We cannot pay it because filed too late (POL-GUARANTEE §3.1)."
        ),
        "{}",
        message.body
    );
    assert_eq!(change.audit[0].action, AuditAction::MessageSent);
    assert_eq!(change.audit[0].after.as_deref(), Some("client (en)"));

    // In the market's language; and a message from a party is received, not sent.
    let mut french = stored.case.clone();
    french.market = arbiter_model::Market::parse("FR").unwrap();
    let (_, change) = send(&french, draft(Some("TPL-CLAIM-DECISION-EN §2"), None)).unwrap();
    assert_eq!(
        change.messages[0].template.as_deref(),
        Some("TPL-CLAIM-DECISION-FR §2")
    );
    assert_eq!(change.messages[0].locale, "fr");
    let from_tasker = MessageDraft {
        party: Party::Tasker,
        direction: Direction::In,
        ..draft(None, Some(" I was there. "))
    };
    let (_, change) = send(&stored.case, from_tasker).unwrap();
    assert_eq!(change.messages[0].recipient.as_deref(), Some("u_2"));
    assert_eq!(change.messages[0].body, "I was there.");
    assert_eq!(change.audit[0].action, AuditAction::MessageReceived);
}

#[test]
fn evidence_is_checked_by_content_and_digested() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    let upload = |name: &str, declared: &str, bytes: &[u8]| Upload {
        filename: name.into(),
        declared_type: declared.into(),
        bytes: bytes.to_vec(),
    };
    assert_eq!(
        ops::add_evidence(
            &stored.case,
            upload("photo.jpg", "image/jpeg", b"<script>"),
            &staff(),
            T0
        ),
        Err(Refused::Invalid(
            "the file says it is image/jpeg but its content is not a JPEG photo".into()
        ))
    );
    let (_, change) = ops::add_evidence(
        &stored.case,
        upload(" note.txt ", "text/plain", b"abc"),
        &staff(),
        T0,
    )
    .unwrap();
    let evidence = &change.evidence[0];
    assert_eq!(evidence.filename, "note.txt");
    assert_eq!(
        evidence.sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        change.audit[0].after.as_deref(),
        Some("note.txt (text/plain, 3 bytes)")
    );
}

/// Opening: what each kind of case opens with, and when intake decides it by itself.
#[test]
fn small_clean_claims_decide_themselves_and_others_wait() {
    let config = config();
    let (case, change) = ops::open(
        config,
        claim_opening(CaseType::PropertyDamageClaim, usd(20_000)),
        &ChangedBy::Intake,
    )
    .unwrap();
    assert_eq!(case.state, State::Closed);
    assert!(case.automated);
    assert_eq!(
        (case.resolved_at, case.closed_at),
        (Some(T0), Some(T0)),
        "decided when it opened"
    );
    let trail: Vec<(String, &str, Option<&str>)> = change
        .audit
        .iter()
        .map(|a| {
            (
                format!("{} ({})", a.by.name(), a.by.kind()),
                a.action.as_str(),
                a.after.as_deref(),
            )
        })
        .collect();
    let intake = "intake (system)".to_owned();
    let rule = "small property damage (automation)".to_owned();
    assert_eq!(
        trail,
        vec![
            (
                intake.clone(),
                "opened",
                Some("property_damage_claim in queue claims, priority normal")
            ),
            (intake, "ledger", Some("reserve 200.00 USD, platform")),
            (rule.clone(), "state", Some("decided")),
            (
                rule.clone(),
                "decision",
                Some("approved, 200.00 USD (POL-GUARANTEE §1)")
            ),
            (rule.clone(), "ledger", Some("payout 200.00 USD, client")),
            (rule, "state", Some("closed")),
        ]
    );
    let decision = change.decision.as_ref().unwrap();
    assert!(decision.automated);
    assert_eq!(change.events, ["evt_1"]);
    assert_eq!(
        case.intake_key().as_deref(),
        Some("t_1:property_damage_claim")
    );
    assert_eq!(
        arbiter_resolve::ledger::totals(&Stored::new(case, change).ledger).reserve,
        0
    );
}

#[test]
fn what_a_case_opens_with() {
    let config = config();
    struct Row {
        name: &'static str,
        opening: arbiter_resolve::Opening,
        by_hand: bool,
        state: State,
        queue: &'static str,
        eligibility: Option<&'static str>,
        reserve: i64,
    }
    let claim = |minor| claim_opening(CaseType::PropertyDamageClaim, usd(minor));
    let with_log = |mut o: arbiter_resolve::Opening, f: fn(&mut arbiter_resolve::LogFacts)| {
        f(&mut o.log);
        o
    };
    let by_hand = |mut o: arbiter_resolve::Opening| {
        o.source = Source::Api;
        o.source_ref = None;
        o.events = Vec::new();
        o.claim = Default::default();
        o.log.screening = Screening::NotScreened;
        o
    };
    let rows = vec![
        Row {
            name: "over the automatic limit: waits for a person, reserved",
            opening: claim(45_000),
            by_hand: false,
            state: State::New,
            queue: "claims",
            eligibility: Some("eligible"),
            reserve: 45_000,
        },
        Row {
            name: "flagged by the rules: the risky claims queue, not automatic",
            opening: with_log(claim(20_000), |l| {
                l.screening = Screening::Screened {
                    flagged: true,
                    risk_score: 70,
                }
            }),
            by_hand: false,
            state: State::New,
            queue: "claims-risk",
            eligibility: Some("eligible"),
            reserve: 20_000,
        },
        Row {
            name: "a claimant with a violation: not automatic",
            opening: with_log(claim(20_000), |l| {
                l.claimant_violations = Some(vec![Violation::new("STD-COMMUNITY §4.2", None)])
            }),
            by_hand: false,
            state: State::New,
            queue: "claims",
            eligibility: Some("eligible"),
            reserve: 20_000,
        },
        Row {
            name: "no booking on the platform: not eligible, nothing reserved",
            opening: with_log(claim(20_000), |l| l.booked_on_platform = false),
            by_hand: false,
            state: State::New,
            queue: "claims",
            eligibility: Some("not_eligible"),
            reserve: 0,
        },
        Row {
            name: "off-platform dealing on the Task: not eligible",
            opening: with_log(claim(20_000), |l| {
                l.other_violations = vec![Violation::new("POL-PAYMENTS §2.1", Some("t_1".into()))]
            }),
            by_hand: false,
            state: State::New,
            queue: "claims",
            eligibility: Some("not_eligible"),
            reserve: 0,
        },
        Row {
            name: "by hand, small and clean: never screened, so a person decides",
            opening: by_hand(claim(20_000)),
            by_hand: true,
            state: State::New,
            queue: "claims",
            eligibility: Some("eligible"),
            reserve: 20_000,
        },
        Row {
            name: "by hand, off-platform dealing on the Task counts as at intake",
            opening: by_hand(with_log(claim(20_000), |l| {
                l.other_violations = vec![Violation::new("POL-PAYMENTS §2", Some("t_1".into()))]
            })),
            by_hand: true,
            state: State::New,
            queue: "claims",
            eligibility: Some("not_eligible"),
            reserve: 0,
        },
        Row {
            name: "a safety report: no eligibility, its own queue",
            opening: arbiter_resolve::Opening {
                case_type: CaseType::SafetyIncident,
                priority: Priority::High,
                claimed: None,
                ..claim(1)
            },
            by_hand: false,
            state: State::New,
            queue: "safety",
            eligibility: None,
            reserve: 0,
        },
    ];
    for row in rows {
        let opened = if row.by_hand {
            ops::open_by_hand(config, row.opening, &staff())
        } else {
            ops::open(config, row.opening, &ChangedBy::Intake)
        };
        let (case, change) = opened.unwrap_or_else(|e| panic!("{}: {e}", row.name));
        assert_eq!(case.state, row.state, "{}", row.name);
        assert_eq!(case.queue, row.queue, "{}", row.name);
        assert_eq!(
            case.eligibility.as_ref().map(|e| e.outcome.as_str()),
            row.eligibility,
            "{}",
            row.name
        );
        let reserved: i64 = change
            .ledger
            .iter()
            .filter(|e| e.kind == EntryKind::Reserve)
            .map(|e| e.amount.minor)
            .sum();
        assert_eq!(reserved, row.reserve, "{}", row.name);
        assert!(!case.automated, "{}", row.name);
        if row.by_hand {
            assert_eq!(case.first_response_at, Some(T0), "{}", row.name);
            assert_eq!(change.audit[0].note, "opened by hand");
        }
    }
}

#[test]
fn openings_that_do_not_fit_are_refused() {
    let config = config();
    let claim = || claim_opening(CaseType::TheftClaim, usd(5_000));
    let rows = vec![
        (
            arbiter_resolve::Opening {
                market: "JP".into(),
                ..claim()
            },
            "market: JP has no Guarantee terms configured; configured: US, CA, GB, FR, DE, ES",
        ),
        (
            arbiter_resolve::Opening {
                claimed: Some(eur(5_000)),
                ..claim()
            },
            "amount: EUR is not US's currency (USD)",
        ),
        (
            arbiter_resolve::Opening {
                claimed: Some(usd(0)),
                ..claim()
            },
            "amount: must be more than zero",
        ),
    ];
    for (opening, reason) in rows {
        assert_eq!(
            ops::open(config, opening, &ChangedBy::Intake),
            Err(Refused::Invalid(reason.into()))
        );
    }
    assert_eq!(
        ops::open_by_hand(
            config,
            arbiter_resolve::Opening {
                summary: "  ".into(),
                ..claim()
            },
            &staff()
        ),
        Err(Refused::Invalid(
            "summary: say what the case is about".into()
        ))
    );
    // By hand, blanks are none and the market is read in capitals.
    let (case, _) = ops::open_by_hand(
        config,
        arbiter_resolve::Opening {
            market: " us ".into(),
            task_id: Some(" ".into()),
            parties: Parties {
                claimant: Some(" u_1 ".into()),
                client: Some(String::new()),
                tasker: None,
            },
            ..claim()
        },
        &staff(),
    )
    .unwrap();
    assert_eq!(case.market.as_str(), "US");
    assert_eq!(case.task_id, None);
    assert_eq!(
        case.parties,
        Parties {
            claimant: Some("u_1".into()),
            client: None,
            tasker: None
        }
    );
}

/// "Breached", as the API, the console and the queues all read it.
#[test]
fn breached_is_one_definition() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    // Due: first response T0 + 24 h, resolution T0 + 120 h.
    let case = |state: State, first: Option<i64>, resolved: Option<i64>| Case {
        state,
        first_response_at: first,
        resolved_at: resolved,
        closed_at: None,
        ..stored.case.clone()
    };
    let rows = [
        (
            "new, in time",
            case(State::New, None, None),
            T0 + HOUR,
            (false, false),
        ),
        (
            "new, unanswered a day on",
            case(State::New, None, None),
            T0 + 25 * HOUR,
            (true, false),
        ),
        (
            "answered late",
            case(State::Investigating, Some(T0 + 30 * HOUR), None),
            T0 + 31 * HOUR,
            (true, false),
        ),
        (
            "open past its resolution",
            case(State::Investigating, Some(T0 + HOUR), None),
            T0 + 121 * HOUR,
            (false, true),
        ),
        (
            "decided in time stays met",
            case(State::Decided, Some(T0 + HOUR), Some(T0 + 100 * HOUR)),
            T0 + 900 * HOUR,
            (false, false),
        ),
        (
            "decided late",
            case(State::Decided, Some(T0 + HOUR), Some(T0 + 130 * HOUR)),
            T0 + 900 * HOUR,
            (false, true),
        ),
        (
            "decided automatically, never answered",
            case(State::Closed, None, Some(T0)),
            T0 + 900 * HOUR,
            (false, false),
        ),
        (
            "appealed: resolved once, open again and overdue",
            case(State::Appealed, Some(T0 + HOUR), Some(T0 + 100 * HOUR)),
            T0 + 121 * HOUR,
            (false, true),
        ),
    ];
    for (name, case, now, (first, resolution)) in rows {
        let b = case.breaches(now);
        assert_eq!(
            (b.first_response, b.resolution),
            (first, resolution),
            "{name}"
        );
    }
}

#[test]
fn open_is_one_definition() {
    let open: Vec<State> = State::open_states().collect();
    assert_eq!(
        open,
        [
            State::New,
            State::Triaged,
            State::Investigating,
            State::AwaitingInformation,
            State::Appealed
        ]
    );
    let unknown = ChangedBy::Intake;
    assert_eq!((unknown.name(), unknown.kind()), ("intake", "system"));
}

/// Several operations stored as one change.
#[test]
fn changes_compose() {
    let config = config();
    let stored = open_claim(config, usd(45_000));
    let (assigned, first) = ops::update(
        &stored.case,
        &stored.context(config),
        Update {
            assignee: Some(Some("ana".into())),
            ..Update::default()
        },
        &staff(),
        T0 + HOUR,
    )
    .unwrap();
    let (investigating, second) = ops::step(
        &assigned,
        &stored.context(config),
        Step::Investigate,
        "",
        &staff(),
        T0 + HOUR,
    )
    .unwrap();
    let both = first.then(second);
    let actions: Vec<AuditAction> = both.audit.iter().map(|a| a.action).collect();
    assert_eq!(actions, [AuditAction::Assignee, AuditAction::State]);
    assert_eq!(investigating.state, State::Investigating);
    assert_eq!(investigating.assignee.as_deref(), Some("ana"));
}
