//! A member's standing: the strike points that count, the actions in force and every action
//! taken, computed from the violations, the ladder and the staff overrides at a given moment.
//! A pure function of its inputs: the same records give the same standing, in any order.
//!
//! How the ladder applies, in time order:
//! - each counted violation (see [`crate::violation::dedupe`]) adds its points from the moment
//!   it was recorded until its standard's duration ends or staff remove it;
//! - right after it, the step its new total of active points falls in is applied (so a second
//!   violation within a step repeats that step's action); a zero-tolerance violation leads to
//!   deactivation whatever the points;
//! - while a deactivation is in force, violations are still recorded but start no action;
//! - an override ([`OverrideKind`]) applies from its own moment: removing a violation's points
//!   does not rewrite the actions already taken, ending an action reinstates the member.

use crate::ladder::{ActionKind, Ladder};
use crate::standard::{ClauseRef, MemberRole, Severity};
use crate::violation::{Violation, ViolationKey, dedupe};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Whose standing: a member on one side of the marketplace, in the market whose ladder applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Member {
    pub id: String,
    pub role: MemberRole,
    pub market: String,
}

/// An action's id: a digest of the violation that started it. Stable across recomputations,
/// free of member ids, and usable as a DSA `puid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ActionId(pub String);

impl ActionId {
    pub fn for_violation(key: &ViolationKey) -> ActionId {
        let digest = Sha256::digest(format!("arbiter-action\0{}", key.0).as_bytes());
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        ActionId(format!("act_{hex}"))
    }
}

impl std::fmt::Display for ActionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff decision that changes a standing from its moment on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Override {
    /// Unique among the member's overrides; ties in time are broken by it.
    pub id: String,
    pub principal: String,
    pub reason: String,
    pub at: OffsetDateTime,
    pub kind: OverrideKind,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OverrideKind {
    /// The violation's points stop counting.
    RemoveViolation { violation: ViolationKey },
    /// The action ends now: the member is reinstated.
    EndAction { action: ActionId },
    /// The action ends at `ends_at` instead, if that is earlier (never before the override).
    ShortenAction {
        action: ActionId,
        ends_at: OffsetDateTime,
    },
}

/// Why an action ended before its time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EndedEarly {
    pub override_id: String,
    pub principal: String,
    pub reason: String,
}

/// One action of the ladder against a member.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Action {
    pub id: ActionId,
    pub member: String,
    pub market: String,
    pub kind: ActionKind,
    /// The violation that started it, and its standard.
    pub violation: ViolationKey,
    pub standard: ClauseRef,
    pub standard_version: u32,
    /// Active points right after the violation; 0 counts for zero tolerance.
    pub points: u32,
    pub zero_tolerance: bool,
    /// True when no person decided the violation (a rule's action).
    pub automated: bool,
    /// Who decided the violation, when a person did: never the one to decide an appeal.
    pub decided_by: Option<String>,
    pub starts_at: OffsetDateTime,
    /// When it stops being in force: the start itself for a warning, the end of its days for
    /// a restriction or suspension, `None` for a deactivation until it is ended.
    pub ends_at: Option<OffsetDateTime>,
    pub ended_early: Option<EndedEarly>,
}

impl Action {
    pub fn in_force(&self, at: OffsetDateTime) -> bool {
        self.starts_at <= at && self.ends_at.is_none_or(|end| at < end)
    }

    /// Actions that limit something, and so end with a reinstatement (not warnings).
    pub fn restricts(&self) -> bool {
        self.kind != ActionKind::Warning
    }
}

/// A counted violation's points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Points {
    pub violation: ViolationKey,
    pub standard: ClauseRef,
    pub points: u32,
    pub counted_from: OffsetDateTime,
    /// When they stop counting: expiry or removal, whichever comes first.
    pub until: Option<OffsetDateTime>,
    pub removed_by: Option<String>,
}

impl Points {
    pub fn active(&self, at: OffsetDateTime) -> bool {
        self.counted_from <= at && self.until.is_none_or(|end| at < end)
    }
}

/// A member's standing at a moment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub member: Member,
    pub at: OffsetDateTime,
    /// The sum of the points active at `at`.
    pub active_points: u32,
    /// Every counted violation's points, active or not, in record order.
    pub points: Vec<Points>,
    /// Violations not counted because the same evidence was counted already.
    pub duplicates: Vec<ViolationKey>,
    /// Every action taken, in order: the history.
    pub actions: Vec<Action>,
}

impl Standing {
    /// The actions in force at `at`.
    pub fn in_force(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.in_force(self.at))
    }
}

enum Step<'a> {
    Override(&'a Override),
    Violation(&'a Violation),
}

/// The member's standing at `now`, from every record up to `now` (later ones are ignored).
/// Violations of other members or roles are ignored; overrides naming nothing of this
/// member change nothing.
pub fn standing(
    member: &Member,
    violations: &[Violation],
    ladder: &Ladder,
    overrides: &[Override],
    now: OffsetDateTime,
) -> Standing {
    let rungs = ladder.for_member(member.role, &member.market);
    let mine: Vec<Violation> = violations
        .iter()
        .filter(|v| v.member == member.id && v.role == member.role && v.decided_at <= now)
        .cloned()
        .collect();
    let counted = dedupe(&mine);
    let duplicates = {
        let mut d: Vec<ViolationKey> = mine
            .iter()
            .filter(|v| !counted.iter().any(|c| std::ptr::eq(*c, *v)))
            .map(|v| v.key.clone())
            .collect();
        d.sort();
        d
    };
    let mut steps: Vec<(OffsetDateTime, u8, &str, Step<'_>)> = Vec::new();
    for o in overrides.iter().filter(|o| o.at <= now) {
        steps.push((o.at, 0, o.id.as_str(), Step::Override(o)));
    }
    for v in &counted {
        steps.push((v.decided_at, 1, v.key.0.as_str(), Step::Violation(v)));
    }
    steps.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));

    let mut points: Vec<Points> = Vec::new();
    let mut removed: BTreeMap<&ViolationKey, (&Override, OffsetDateTime)> = BTreeMap::new();
    let mut actions: Vec<Action> = Vec::new();
    for (at, _, _, step) in steps {
        match step {
            Step::Override(o) => match &o.kind {
                OverrideKind::RemoveViolation { violation } => {
                    removed.entry(violation).or_insert((o, at));
                    if let Some(p) = points.iter_mut().find(|p| &p.violation == violation)
                        && p.until.is_none_or(|end| at < end)
                    {
                        p.until = Some(at);
                        p.removed_by = Some(o.principal.clone());
                    }
                }
                OverrideKind::EndAction { action } => end_action(&mut actions, action, at, at, o),
                OverrideKind::ShortenAction { action, ends_at } => {
                    end_action(&mut actions, action, at, (*ends_at).max(at), o)
                }
            },
            Step::Violation(v) => {
                if removed.contains_key(&v.key) {
                    // Removed before it was recorded: it never counted.
                    points.push(Points {
                        violation: v.key.clone(),
                        standard: v.standard.clone(),
                        points: v.points,
                        counted_from: at,
                        until: Some(at),
                        removed_by: removed.get(&v.key).map(|(o, _)| o.principal.clone()),
                    });
                    continue;
                }
                points.push(Points {
                    violation: v.key.clone(),
                    standard: v.standard.clone(),
                    points: v.points,
                    counted_from: at,
                    until: v.expires_at(),
                    removed_by: None,
                });
                let total = active_points(&points, at);
                let deactivated = actions
                    .iter()
                    .any(|a| a.kind == ActionKind::Deactivation && a.in_force(at));
                if deactivated {
                    continue;
                }
                let zero_tolerance = v.severity == Severity::ZeroTolerance;
                let kind = if zero_tolerance {
                    Some(ActionKind::Deactivation)
                } else {
                    rungs.step_for(total).map(|s| s.action)
                };
                let Some(kind) = kind else { continue };
                let ends_at = match kind {
                    ActionKind::Warning => Some(at),
                    ActionKind::Deactivation => None,
                    ActionKind::Restriction { days, .. } | ActionKind::Suspension { days } => {
                        Some(at + time::Duration::days(i64::from(days)))
                    }
                };
                actions.push(Action {
                    id: ActionId::for_violation(&v.key),
                    member: member.id.clone(),
                    market: v.market.clone(),
                    kind,
                    violation: v.key.clone(),
                    standard: v.standard.clone(),
                    standard_version: v.standard_version,
                    points: total,
                    zero_tolerance,
                    automated: v.detection.automated(),
                    decided_by: v.detection.decided_by().map(str::to_owned),
                    starts_at: at,
                    ends_at,
                    ended_early: None,
                });
            }
        }
    }
    Standing {
        member: member.clone(),
        at: now,
        active_points: active_points(&points, now),
        points,
        duplicates,
        actions,
    }
}

fn active_points(points: &[Points], at: OffsetDateTime) -> u32 {
    points
        .iter()
        .filter(|p| p.active(at))
        .fold(0u32, |sum, p| sum.saturating_add(p.points))
}

fn end_action(
    actions: &mut [Action],
    id: &ActionId,
    at: OffsetDateTime,
    new_end: OffsetDateTime,
    o: &Override,
) {
    if let Some(action) = actions.iter_mut().find(|a| &a.id == id)
        && action.in_force(at)
        && action.ends_at.is_none_or(|end| new_end < end)
    {
        action.ends_at = Some(new_end.max(action.starts_at));
        action.ended_early = Some(EndedEarly {
            override_id: o.id.clone(),
            principal: o.principal.clone(),
            reason: o.reason.clone(),
        });
    }
}

/// Started or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The action begins (a notice is due).
    Started,
    /// A restriction, suspension or deactivation ends: the member is reinstated.
    Ended,
}

/// A change to emit once, as an effect on the `enforcement` topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transition {
    pub at: OffsetDateTime,
    pub change: Change,
    pub action: Action,
}

impl Transition {
    /// The transition's idempotency key: `act_…:started` or `act_…:ended`.
    pub fn key(&self) -> String {
        let change = match self.change {
            Change::Started => "started",
            Change::Ended => "ended",
        };
        format!("{}:{change}", self.action.id)
    }
}

/// The actions that started or ended after `after` and up to `until` (`after < t ≤ until`),
/// in time order. A service that calls it with consecutive windows, each starting where the
/// last one ended, emits every transition exactly once, as long as records are stored with
/// times after the window already processed. Warnings start but do not end.
pub fn transitions(
    member: &Member,
    violations: &[Violation],
    ladder: &Ladder,
    overrides: &[Override],
    after: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<Transition> {
    let now = standing(member, violations, ladder, overrides, until);
    let within = |t: OffsetDateTime| after < t && t <= until;
    let mut out = Vec::new();
    for action in now.actions {
        if within(action.starts_at) {
            out.push(Transition {
                at: action.starts_at,
                change: Change::Started,
                action: action.clone(),
            });
        }
        if let Some(end) = action.ends_at
            && action.restricts()
            && within(end)
        {
            out.push(Transition {
                at: end,
                change: Change::Ended,
                action,
            });
        }
    }
    out.sort_by(|a, b| (a.at, a.change, &a.action.id).cmp(&(b.at, b.change, &b.action.id)));
    out
}

#[cfg(test)]
mod tests;
