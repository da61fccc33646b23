//! Properties of a case under random sequences of operations, accepted or refused: the ledger
//! balances, a case leaves a terminal state only by a step the lifecycle allows, and the case
//! always reads back from its stored form as it was.

mod common;

use arbiter_resolve::change::AuditAction;
use arbiter_resolve::ops::{self, CaseDecisionRequest, MessageDraft, Templates, Update};
use arbiter_resolve::{
    Case, CaseType, ChangedBy, ClaimDetails, Counterparty, Direction, Entry, EntryKind, LogFacts,
    NewEntry, Opening, Outcome, Parties, Party, Priority, Screening, Source, State, Step,
    next_state,
};
use common::*;
use proptest::prelude::*;
use proptest::sample::select;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Step(Step),
    Decide {
        outcome: Outcome,
        amount: i64,
        override_reason: bool,
    },
    Entry {
        kind: EntryKind,
        counterparty: Counterparty,
        amount: i64,
        /// For a reversal: which entry, by position; the whole amount unless `partial`.
        target: usize,
        partial: bool,
        override_reason: bool,
    },
    Priority(Priority),
    Message,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => select(Step::ALL).prop_map(Op::Step),
        3 => (select(Outcome::ALL), 0i64..1_300_000, any::<bool>()).prop_map(
            |(outcome, amount, override_reason)| Op::Decide { outcome, amount, override_reason }
        ),
        5 => (
            select(EntryKind::ALL),
            select(Counterparty::ALL),
            -10i64..400_000,
            0usize..16,
            proptest::bool::weighted(0.1),
            any::<bool>(),
        )
            .prop_map(|(kind, counterparty, amount, target, partial, override_reason)| Op::Entry {
                kind,
                counterparty,
                amount,
                target,
                partial,
                override_reason,
            }),
        1 => select(Priority::ALL).prop_map(Op::Priority),
        1 => Just(Op::Message),
    ]
}

fn opening() -> impl Strategy<Value = Opening> {
    (
        select(CaseType::ALL),
        1i64..1_500_000,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(case_type, claimed, flagged, booked, by_tasker)| Opening {
            case_type,
            priority: Priority::Normal,
            market: "US".into(),
            parties: Parties {
                claimant: Some(if by_tasker { "u_2" } else { "u_1" }.into()),
                client: Some("u_1".into()),
                tasker: Some("u_2".into()),
            },
            task_id: Some("t_1".into()),
            claimed: Some(usd(claimed)),
            claim: ClaimDetails::default(),
            summary: "s".into(),
            source: Source::Event,
            source_ref: None,
            opened_at: T0,
            events: vec![],
            log: LogFacts {
                screening: Screening::Screened {
                    flagged,
                    risk_score: if flagged { 60 } else { 0 },
                },
                claimant_violations: Some(vec![]),
                other_violations: vec![],
                booked_on_platform: booked,
            },
        })
}

/// Runs `op` on the stored case; answers the new case and change when accepted.
fn run(
    stored: &Stored,
    op: &Op,
    now: i64,
    library: &[arbiter_policy::Document],
) -> Option<(Case, arbiter_resolve::Change)> {
    let config = config();
    let context = stored.context(config);
    let case = &stored.case;
    let by = staff();
    let result = match op {
        Op::Step(step) => ops::step(case, &context, *step, "", &by, now),
        Op::Decide {
            outcome,
            amount,
            override_reason,
        } => ops::decide(
            case,
            &context,
            CaseDecisionRequest {
                outcome: *outcome,
                amount: outcome.pays().then(|| usd(*amount)),
                clauses: vec!["POL-GUARANTEE §1".into()],
                text: "Looked at.".into(),
                override_reason: override_reason.then(|| "approved by a lead".into()),
            },
            &by,
            now,
        ),
        Op::Entry {
            kind,
            counterparty,
            amount,
            target,
            partial,
            override_reason,
        } => {
            let original: Option<&Entry> = if stored.ledger.is_empty() {
                None
            } else {
                stored.ledger.get(target % stored.ledger.len())
            };
            let (reverses, amount) = match (kind, original) {
                (EntryKind::Reversal, Some(o)) if !partial => (Some(o.id), o.amount.minor),
                (EntryKind::Reversal, Some(o)) => (Some(o.id), *amount),
                _ => (None, *amount),
            };
            ops::record_entry(
                case,
                &context,
                NewEntry {
                    kind: *kind,
                    counterparty: *counterparty,
                    amount: usd(amount),
                    reverses,
                    override_reason: override_reason.then(|| "agreed".into()),
                },
                "",
                &by,
                now,
            )
        }
        Op::Priority(priority) => ops::update(
            case,
            &context,
            Update {
                priority: Some(*priority),
                ..Update::default()
            },
            &by,
            now,
        ),
        Op::Message => ops::message(
            case,
            &context,
            MessageDraft {
                party: Party::Client,
                direction: Direction::Out,
                template: None,
                values: BTreeMap::new(),
                body: Some("We are looking at it.".into()),
            },
            Templates {
                library,
                last_decision: None,
            },
            &by,
            now,
        ),
    };
    result.ok()
}

/// The books of a case, added up entry by entry from the changes alone (a reversal takes back
/// its entry's kind), beside the ledger's own totals.
fn assert_books_balance(stored: &Stored) {
    let mut by_kind: BTreeMap<EntryKind, i64> = BTreeMap::new();
    let mut reversed = std::collections::BTreeSet::new();
    for entry in &stored.ledger {
        assert!(entry.amount.minor > 0, "{entry:?}");
        assert_eq!(entry.amount.currency, stored.case.currency);
        match entry.reverses {
            Some(id) => {
                let original = stored
                    .ledger
                    .iter()
                    .find(|e| e.id == id)
                    .expect("a reversal undoes an entry on the case");
                assert!(original.id < entry.id, "an earlier entry");
                assert_ne!(original.kind, EntryKind::Reversal);
                assert_eq!(original.amount, entry.amount, "the whole entry");
                assert!(reversed.insert(id), "entry {id} reversed twice");
                *by_kind.entry(original.kind).or_default() -= entry.amount.minor;
            }
            None => {
                assert_ne!(
                    entry.kind,
                    EntryKind::Reversal,
                    "a reversal names its entry"
                );
                *by_kind.entry(entry.kind).or_default() += entry.amount.minor;
            }
        }
    }
    let sum = |k| by_kind.get(&k).copied().unwrap_or(0);
    for (kind, total) in &by_kind {
        assert!(*total >= 0, "{kind} totals {total}");
    }
    let (reserved, released) = (sum(EntryKind::Reserve), sum(EntryKind::ReserveRelease));
    let paid = sum(EntryKind::Payout) + sum(EntryKind::Refund) + sum(EntryKind::Goodwill);
    assert!(released <= reserved, "released {released} of {reserved}");
    assert!(
        sum(EntryKind::Recovery) <= paid,
        "recovered {} of {paid}",
        sum(EntryKind::Recovery)
    );
    let totals = arbiter_resolve::ledger::totals(&stored.ledger);
    assert_eq!(totals.payouts, sum(EntryKind::Payout));
    assert_eq!(totals.refunds, sum(EntryKind::Refund));
    assert_eq!(totals.goodwill, sum(EntryKind::Goodwill));
    assert_eq!(totals.recoveries, sum(EntryKind::Recovery));
    assert_eq!(totals.paid(), paid);
    assert_eq!(totals.net_loss(), paid - sum(EntryKind::Recovery));
    assert_eq!(
        totals.reserve,
        (reserved - released - sum(EntryKind::Payout)).max(0)
    );
    assert!(totals.net_loss() >= 0);
}

/// What must hold of a case whatever was done to it.
fn assert_consistent(case: &Case) {
    assert_eq!(
        case.closed_at.is_some(),
        case.state == State::Closed,
        "closed_at set exactly when closed: {case:?}"
    );
    if !case.is_open() {
        assert!(case.resolved_at.is_some(), "a decided case has its time");
        assert!(case.resolution_time().is_some());
    } else {
        assert_eq!(case.resolution_time(), None);
    }
    assert_eq!(Case::parse(case.to_stored()).as_ref(), Ok(case));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_ledger_balances_under_any_sequence(opening in opening(), ops in prop::collection::vec(op(), 1..40)) {
        let config = config();
        let library = library();
        let (case, change) = ops::open(config, opening, &ChangedBy::Intake).unwrap();
        let mut stored = Stored::new(case, change);
        assert_books_balance(&stored);
        let mut now = T0;
        for op in &ops {
            now += HOUR;
            let before = stored.case.state;
            let Some(done) = run(&stored, op, now, library) else { continue };
            let decided_or_closed = matches!(op, Op::Decide { .. } | Op::Step(Step::Close));
            stored.apply(done);
            assert_books_balance(&stored);
            if decided_or_closed {
                prop_assert_eq!(
                    arbiter_resolve::ledger::totals(&stored.ledger).reserve, 0,
                    "no reserve is held once {:?} from {}", op, before
                );
            }
        }
    }

    #[test]
    fn a_case_leaves_a_terminal_state_only_by_an_allowed_step(opening in opening(), ops in prop::collection::vec(op(), 1..40)) {
        let config = config();
        let library = library();
        let (case, change) = ops::open(config, opening, &ChangedBy::Intake).unwrap();
        let mut stored = Stored::new(case, change);
        assert_consistent(&stored.case);
        let mut now = T0;
        for op in &ops {
            now += HOUR;
            let before = stored.case.clone();
            let Some((after, change)) = run(&stored, op, now, library) else {
                continue;
            };
            if after.state != before.state {
                let step = match op {
                    Op::Step(step) => *step,
                    Op::Decide { .. } => Step::Decide,
                    other => panic!("{other:?} moved the case from {} to {}", before.state, after.state),
                };
                prop_assert_eq!(next_state(before.state, step), Ok(after.state));
                let moves: Vec<(Option<String>, Option<String>)> = change
                    .audit
                    .iter()
                    .filter(|a| a.action == AuditAction::State)
                    .map(|a| (a.before.clone(), a.after.clone()))
                    .collect();
                prop_assert_eq!(
                    moves,
                    vec![(Some(before.state.as_str().to_owned()), Some(after.state.as_str().to_owned()))]
                );
            }
            match before.state {
                State::Closed => prop_assert!(
                    after.state == State::Closed
                        || matches!(op, Op::Step(Step::Appeal | Step::Reopen)),
                    "{:?} took a closed case to {}", op, after.state
                ),
                State::Decided => prop_assert!(
                    after.state == State::Decided
                        || matches!(op, Op::Step(Step::Close | Step::Appeal | Step::Reopen)),
                    "{:?} took a decided case to {}", op, after.state
                ),
                _ => {}
            }
            prop_assert!(
                !matches!(op, Op::Decide { .. }) || before.is_open(),
                "a decided or closed case was decided again"
            );
            stored.apply((after, change));
            assert_consistent(&stored.case);
        }
    }

    #[test]
    fn intake_decides_only_eligible_clean_claims_and_never_by_hand(opening in opening(), by_hand in any::<bool>()) {
        let config = config();
        let mut opening = opening;
        if by_hand {
            opening.log.screening = Screening::NotScreened;
        }
        let flagged = opening.log.screening != (Screening::Screened { flagged: false, risk_score: 0 });
        let (case, change) = if by_hand {
            ops::open_by_hand(config, opening, &staff()).unwrap()
        } else {
            ops::open(config, opening, &ChangedBy::Intake).unwrap()
        };
        if case.automated {
            prop_assert!(!by_hand && !flagged);
            prop_assert_eq!(case.state, State::Closed);
            prop_assert_eq!(
                case.eligibility.as_ref().map(|e| e.outcome),
                Some(arbiter_resolve::guarantee::Outcome::Eligible)
            );
            prop_assert!(change.decision.as_ref().is_some_and(|d| d.automated));
        } else {
            prop_assert_eq!(case.state, State::New);
            prop_assert!(change.decision.is_none());
        }
        let stored = Stored::new(case, change);
        assert_books_balance(&stored);
        assert_consistent(&stored.case);
    }
}
