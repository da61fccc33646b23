use super::*;
use crate::ladder::Scope;
use crate::violation::{Detection, Evidence};
use proptest::prelude::*;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

fn day(n: i64) -> OffsetDateTime {
    T0 + time::Duration::days(n)
}

fn member() -> Member {
    Member {
        id: "t_1".into(),
        role: MemberRole::Tasker,
        market: "US".into(),
    }
}

/// A violation of `points` recorded on day `on`, resting on event `event`.
fn violation(event: &str, points: u32, on: i64) -> Violation {
    Violation {
        key: ViolationKey(format!("event:{event}|t_1|STD-TEST §1.1")),
        member: "t_1".into(),
        role: MemberRole::Tasker,
        market: "US".into(),
        standard: ClauseRef {
            document: "STD-TEST".into(),
            clause: "1.1".into(),
        },
        standard_version: 1,
        severity: if points == 0 {
            Severity::ZeroTolerance
        } else {
            Severity::Moderate
        },
        points,
        lasts_days: (points > 0).then_some(365),
        evidence: Evidence {
            event_ids: vec![event.into()],
            case_id: None,
        },
        detection: Detection::Rule {
            rule_id: "R".into(),
        },
        occurred_at: day(on),
        decided_at: day(on),
        facts: String::new(),
    }
}

fn kinds(s: &Standing) -> Vec<&'static str> {
    s.actions.iter().map(|a| a.kind.name()).collect()
}

/// Each step of the default tasker ladder (1–2 warning, 3–5 restriction, 6–8 suspension,
/// 9+ deactivation), reached one violation at a time.
#[test]
fn each_violation_applies_the_step_of_its_new_total() {
    let ladder = Ladder::default_ladder();
    // (points, day recorded) of each violation; the actions taken; the active points after.
    type Row<'a> = (&'a [(u32, i64)], &'a [&'a str], u32);
    let table: &[Row<'_>] = &[
        (&[], &[], 0),
        (&[(1, 0)], &["warning"], 1),
        (&[(1, 0), (1, 1)], &["warning", "warning"], 2),
        (&[(3, 0)], &["restriction"], 3),
        (
            &[(1, 0), (1, 1), (1, 2)],
            &["warning", "warning", "restriction"],
            3,
        ),
        (&[(3, 0), (3, 1)], &["restriction", "suspension"], 6),
        (
            &[(3, 0), (3, 1), (3, 2)],
            &["restriction", "suspension", "deactivation"],
            9,
        ),
        (&[(20, 0)], &["deactivation"], 20),
        // Deactivated: later violations count but start nothing.
        (&[(9, 0), (1, 1)], &["deactivation"], 10),
        // Zero tolerance: deactivation at once, whatever the points.
        (&[(0, 0)], &["deactivation"], 0),
        // Points expire after 365 days: the second violation starts over at a warning.
        (&[(1, 0), (1, 400)], &["warning", "warning"], 1),
        (&[(3, 0), (3, 366)], &["restriction", "restriction"], 3),
    ];
    for (input, want, points) in table {
        let violations: Vec<Violation> = input
            .iter()
            .enumerate()
            .map(|(i, (p, on))| violation(&format!("e{i}"), *p, *on))
            .collect();
        let s = standing(
            &member(),
            &violations,
            &ladder,
            &[],
            day(500).min(day(input.last().map_or(0, |l| l.1) + 1)),
        );
        assert_eq!(kinds(&s), *want, "{input:?}");
        assert_eq!(s.active_points, *points, "{input:?}");
    }
}

#[test]
fn actions_have_their_start_and_end() {
    let ladder = Ladder::default_ladder();
    let s = standing(
        &member(),
        &[violation("e1", 3, 0), violation("e2", 3, 1)],
        &ladder,
        &[],
        day(2),
    );
    let restriction = &s.actions[0];
    assert_eq!(
        restriction.kind,
        ActionKind::Restriction {
            scope: Scope::InstantBooking,
            days: 14
        }
    );
    assert_eq!(
        (restriction.starts_at, restriction.ends_at),
        (day(0), Some(day(14)))
    );
    let suspension = &s.actions[1];
    assert_eq!(
        (suspension.starts_at, suspension.ends_at),
        (day(1), Some(day(31)))
    );
    assert_eq!(s.in_force().count(), 2);
    let later = standing(
        &member(),
        &[violation("e1", 3, 0), violation("e2", 3, 1)],
        &ladder,
        &[],
        day(20),
    );
    assert_eq!(
        later.in_force().map(|a| a.kind.name()).collect::<Vec<_>>(),
        ["suspension"]
    );
    assert!(restriction.automated && restriction.decided_by.is_none());
}

#[test]
fn overrides_remove_points_and_end_actions() {
    let ladder = Ladder::default_ladder();
    let violations = [violation("e1", 9, 0), violation("e2", 1, 10)];
    let deactivation = ActionId::for_violation(&violations[0].key);
    let o = |id: &str, at: i64, kind: OverrideKind| Override {
        id: id.into(),
        principal: "lee".into(),
        reason: "appeal overturned".into(),
        at: day(at),
        kind,
    };
    let overrides = [
        o(
            "o1",
            5,
            OverrideKind::RemoveViolation {
                violation: violations[0].key.clone(),
            },
        ),
        o(
            "o2",
            5,
            OverrideKind::EndAction {
                action: deactivation.clone(),
            },
        ),
    ];
    let s = standing(&member(), &violations, &ladder, &overrides, day(11));
    assert_eq!(s.actions[0].ends_at, Some(day(5)));
    assert_eq!(s.actions[0].ended_early.as_ref().unwrap().override_id, "o2");
    // Reinstated: the next violation starts from its own point.
    assert_eq!(kinds(&s), ["deactivation", "warning"]);
    assert_eq!(s.active_points, 1);
    assert_eq!(s.points[0].removed_by.as_deref(), Some("lee"));

    // Shortening never moves an end before the override or after the planned end.
    let restriction = [violation("e1", 3, 0)];
    let id = ActionId::for_violation(&restriction[0].key);
    let shorten = |to: i64| {
        [o(
            "o3",
            3,
            OverrideKind::ShortenAction {
                action: id.clone(),
                ends_at: day(to),
            },
        )]
    };
    for (to, end) in [(7, 7), (1, 3), (30, 14)] {
        let s = standing(&member(), &restriction, &ladder, &shorten(to), day(40));
        assert_eq!(s.actions[0].ends_at, Some(day(end)), "shorten to day {to}");
    }
    // An override for something that is not there changes nothing.
    let stray = [o(
        "o4",
        1,
        OverrideKind::EndAction {
            action: ActionId("act_none".into()),
        },
    )];
    assert_eq!(
        standing(&member(), &restriction, &ladder, &stray, day(2)).actions,
        standing(&member(), &restriction, &ladder, &[], day(2)).actions
    );
}

#[test]
fn transitions_come_once_each() {
    let ladder = Ladder::default_ladder();
    let violations = [violation("e1", 3, 0), violation("e2", 1, 20)];
    let all = transitions(&member(), &violations, &ladder, &[], day(-1), day(30));
    let shown: Vec<(OffsetDateTime, Change, &str)> = all
        .iter()
        .map(|t| (t.at, t.change, t.action.kind.name()))
        .collect();
    assert_eq!(
        shown,
        [
            (day(0), Change::Started, "restriction"),
            (day(14), Change::Ended, "restriction"),
            (day(20), Change::Started, "restriction"),
        ]
    );
    // Consecutive windows give the same transitions, each once.
    let mut stitched = Vec::new();
    let mut from = day(-1);
    for to in [0, 5, 14, 19, 20, 30] {
        stitched.extend(transitions(
            &member(),
            &violations,
            &ladder,
            &[],
            from,
            day(to),
        ));
        from = day(to);
    }
    assert_eq!(
        stitched.iter().map(Transition::key).collect::<Vec<_>>(),
        all.iter().map(Transition::key).collect::<Vec<_>>()
    );
    assert!(all[0].key().ends_with(":started") && all[1].key().ends_with(":ended"));
}

fn arbitrary_violations() -> impl Strategy<Value = Vec<Violation>> {
    prop::collection::vec((0u8..6, 0u32..5, 0i64..800), 0..12).prop_map(|items| {
        items
            .into_iter()
            .map(|(event, points, on)| violation(&format!("e{event}"), points, on))
            .collect()
    })
}

proptest! {
    #[test]
    fn standings_do_not_depend_on_order(violations in arbitrary_violations(), seed in any::<u64>(), now in 0i64..900) {
        let ladder = Ladder::default_ladder();
        let mut shuffled = violations.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = standing(&member(), &violations, &ladder, &[], day(now));
        let b = standing(&member(), &shuffled, &ladder, &[], day(now));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &standing(&member(), &violations, &ladder, &[], day(now)));
    }

    #[test]
    fn points_and_ends_are_consistent(violations in arbitrary_violations(), now in 0i64..900) {
        let ladder = Ladder::default_ladder();
        let s = standing(&member(), &violations, &ladder, &[], day(now));
        let total: u32 = s.points.iter().map(|p| p.points).sum();
        prop_assert!(s.active_points <= total);
        prop_assert_eq!(s.active_points, s.points.iter().filter(|p| p.active(day(now))).map(|p| p.points).sum::<u32>());
        for action in &s.actions {
            prop_assert!(action.ends_at.is_none_or(|end| end >= action.starts_at));
        }
        for p in &s.points {
            prop_assert!(p.until.is_none_or(|end| end >= p.counted_from));
        }
    }

    #[test]
    fn repeated_violations_count_once(violations in arbitrary_violations(), now in 0i64..900) {
        let ladder = Ladder::default_ladder();
        let mut doubled = violations.clone();
        doubled.extend(violations.iter().cloned());
        let once = standing(&member(), &violations, &ladder, &[], day(now));
        let twice = standing(&member(), &doubled, &ladder, &[], day(now));
        prop_assert_eq!(once.active_points, twice.active_points);
        prop_assert_eq!(&once.actions, &twice.actions);
        prop_assert_eq!(&once.points, &twice.points);
    }
}
