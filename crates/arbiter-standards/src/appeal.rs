//! Appeals against an action (DSA Article 20): filed within the ladder's window, once per
//! action, decided by someone other than the person who decided the action, and what each
//! outcome does to the member's points and actions (as [`Override`]s for [`crate::standing`]).

use crate::standing::{Action, ActionId, Override, OverrideKind};
use time::OffsetDateTime;

/// An appeal on file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Appeal {
    pub id: String,
    pub action: ActionId,
    pub filed_at: OffsetDateTime,
}

/// What the appeal's decider found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum AppealOutcome {
    /// The action stands.
    Upheld,
    /// The action was wrong: its violation's points are removed and the action ends now.
    Overturned,
    /// The action stands, shorter: it ends at `ends_at` (never before the decision).
    Modified { ends_at: OffsetDateTime },
}

/// Why an appeal cannot be filed or decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppealError {
    #[error("the appeal window for {action} closed at {deadline}")]
    WindowClosed {
        action: ActionId,
        deadline: OffsetDateTime,
    },
    #[error("{action} was already appealed ({appeal}): one appeal per action")]
    AlreadyAppealed { action: ActionId, appeal: String },
    #[error("an appeal against {0} cannot be filed before the action started")]
    BeforeAction(ActionId),
    #[error("{principal} decided {action} and cannot decide its appeal: someone else must")]
    SameDecider { action: ActionId, principal: String },
    #[error("appeal {appeal} is about {appealed}, not {action}")]
    WrongAction {
        appeal: String,
        appealed: ActionId,
        action: ActionId,
    },
}

/// The last moment to appeal an action: `window_months` calendar months after it started
/// (the day is kept, or the month's last day when the month is shorter).
pub fn appeal_deadline(action: &Action, window_months: u32) -> OffsetDateTime {
    let start = action.starts_at;
    let months = i64::from(start.month() as u8) - 1 + i64::from(window_months);
    let year = start.year() + (months / 12) as i32;
    let month = time::Month::try_from((months % 12) as u8 + 1).expect("1 to 12");
    let day = start.day().min(month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).expect("a valid day");
    start.replace_date(date)
}

/// Checks a new appeal against an action: in its window, and the first for that action.
pub fn file_appeal(
    action: &Action,
    existing: &[Appeal],
    window_months: u32,
    id: &str,
    filed_at: OffsetDateTime,
) -> Result<Appeal, AppealError> {
    if filed_at < action.starts_at {
        return Err(AppealError::BeforeAction(action.id.clone()));
    }
    let deadline = appeal_deadline(action, window_months);
    if filed_at > deadline {
        return Err(AppealError::WindowClosed {
            action: action.id.clone(),
            deadline,
        });
    }
    if let Some(first) = existing.iter().find(|a| a.action == action.id) {
        return Err(AppealError::AlreadyAppealed {
            action: action.id.clone(),
            appeal: first.id.clone(),
        });
    }
    Ok(Appeal {
        id: id.to_owned(),
        action: action.id.clone(),
        filed_at,
    })
}

/// Decides an appeal: refused when `principal` decided the action; otherwise the overrides
/// the outcome calls for (none when upheld), to store with the member's other overrides.
pub fn decide_appeal(
    appeal: &Appeal,
    action: &Action,
    outcome: &AppealOutcome,
    principal: &str,
    reason: &str,
    decided_at: OffsetDateTime,
) -> Result<Vec<Override>, AppealError> {
    if appeal.action != action.id {
        return Err(AppealError::WrongAction {
            appeal: appeal.id.clone(),
            appealed: appeal.action.clone(),
            action: action.id.clone(),
        });
    }
    if action.decided_by.as_deref() == Some(principal) {
        return Err(AppealError::SameDecider {
            action: action.id.clone(),
            principal: principal.to_owned(),
        });
    }
    let at = decided_at.max(appeal.filed_at);
    let make = |suffix: &str, kind: OverrideKind| Override {
        id: format!("appeal:{}:{suffix}", appeal.id),
        principal: principal.to_owned(),
        reason: reason.to_owned(),
        at,
        kind,
    };
    Ok(match outcome {
        AppealOutcome::Upheld => Vec::new(),
        AppealOutcome::Overturned => vec![
            make(
                "points",
                OverrideKind::RemoveViolation {
                    violation: action.violation.clone(),
                },
            ),
            make(
                "end",
                OverrideKind::EndAction {
                    action: action.id.clone(),
                },
            ),
        ],
        AppealOutcome::Modified { ends_at } => vec![make(
            "shorten",
            OverrideKind::ShortenAction {
                action: action.id.clone(),
                ends_at: *ends_at,
            },
        )],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::{ActionKind, Ladder};
    use crate::standard::MemberRole;
    use crate::standing::{Member, standing};
    use crate::violation::{CaseFinding, Subject, Violation};
    use time::macros::datetime;

    fn case_action() -> (Vec<Violation>, Action) {
        let standards = crate::violation::tests::standards();
        let v = Violation::from_case(
            &standards,
            CaseFinding {
                case_id: "case_1".into(),
                decided_by: "ana".into(),
                report_id: None,
                event_ids: vec!["e_1".into()],
                subject: Subject {
                    member: "t_1".into(),
                    role: MemberRole::Tasker,
                    market: "FR".into(),
                },
                citation: "STD-TEST §1.2".into(),
                occurred_at: datetime!(2026-08-31 09:00 UTC),
                decided_at: datetime!(2026-08-31 10:00 UTC),
                facts: String::new(),
            },
        )
        .unwrap();
        let member = Member {
            id: "t_1".into(),
            role: MemberRole::Tasker,
            market: "FR".into(),
        };
        let s = standing(
            &member,
            std::slice::from_ref(&v),
            &Ladder::default_ladder(),
            &[],
            datetime!(2026-09-01 00:00 UTC),
        );
        (vec![v], s.actions[0].clone())
    }

    #[test]
    fn the_window_counts_calendar_months() {
        let (_, action) = case_action();
        assert_eq!(action.kind, ActionKind::Deactivation);
        assert_eq!(appeal_deadline(&action, 6), datetime!(2027-02-28 10:00 UTC));
        assert_eq!(
            appeal_deadline(&action, 12),
            datetime!(2027-08-31 10:00 UTC)
        );
    }

    #[test]
    fn filing_rules() {
        let (_, action) = case_action();
        let table: &[(OffsetDateTime, &[Appeal], Result<(), &str>)] = &[
            (datetime!(2026-09-01 00:00 UTC), &[], Ok(())),
            (datetime!(2027-02-28 10:00 UTC), &[], Ok(())),
            (datetime!(2027-02-28 10:01 UTC), &[], Err("window")),
            (
                datetime!(2026-08-30 00:00 UTC),
                &[],
                Err("before the action"),
            ),
        ];
        for (at, existing, want) in table {
            let got = file_appeal(&action, existing, 6, "ap_1", *at)
                .map(|_| ())
                .map_err(|e| e.to_string());
            match (want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(w), Err(e)) if e.contains(w) => {}
                _ => panic!("{at}: want {want:?}, got {got:?}"),
            }
        }
        let first = file_appeal(&action, &[], 6, "ap_1", datetime!(2026-09-02 00:00 UTC)).unwrap();
        let again = file_appeal(
            &action,
            &[first],
            6,
            "ap_2",
            datetime!(2026-09-03 00:00 UTC),
        )
        .unwrap_err();
        assert!(
            again.to_string().contains("already appealed (ap_1)"),
            "{again}"
        );
    }

    #[test]
    fn outcomes_and_who_may_decide() {
        let (violations, action) = case_action();
        let appeal = file_appeal(&action, &[], 6, "ap_1", datetime!(2026-09-02 00:00 UTC)).unwrap();
        let at = datetime!(2026-09-10 00:00 UTC);
        let same =
            decide_appeal(&appeal, &action, &AppealOutcome::Overturned, "ana", "", at).unwrap_err();
        assert!(same.to_string().contains("ana decided"), "{same}");
        assert!(
            decide_appeal(&appeal, &action, &AppealOutcome::Upheld, "lee", "right", at)
                .unwrap()
                .is_empty()
        );
        let overturn = decide_appeal(
            &appeal,
            &action,
            &AppealOutcome::Overturned,
            "lee",
            "wrong person",
            at,
        )
        .unwrap();
        let member = Member {
            id: "t_1".into(),
            role: MemberRole::Tasker,
            market: "FR".into(),
        };
        let after = standing(
            &member,
            &violations,
            &Ladder::default_ladder(),
            &overturn,
            datetime!(2026-09-11 00:00 UTC),
        );
        assert_eq!(
            after.actions[0].ends_at,
            Some(at),
            "reinstated when overturned"
        );
        assert_eq!(after.in_force().count(), 0);
        assert_eq!(after.points[0].until, Some(at));
        let modified = decide_appeal(
            &appeal,
            &action,
            &AppealOutcome::Modified {
                ends_at: datetime!(2026-10-01 00:00 UTC),
            },
            "lee",
            "too harsh",
            at,
        )
        .unwrap();
        let after = standing(
            &member,
            &violations,
            &Ladder::default_ladder(),
            &modified,
            datetime!(2026-09-11 00:00 UTC),
        );
        assert_eq!(
            after.actions[0].ends_at,
            Some(datetime!(2026-10-01 00:00 UTC))
        );
    }
}
