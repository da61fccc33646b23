//! The enforcement ladder, one TOML file (`ladder.toml`): per role, and optionally per
//! market, the steps of active strike points and the action each leads to, and how long a
//! member has to appeal. A default for a home-services marketplace is built in
//! ([`DEFAULT_LADDER`]); [`check`] reports every problem of a file at `FILE:LINE:COL`.

use crate::located::{LocatedError, Locator};
use crate::standard::MemberRole;
use serde::Deserialize;
use std::fmt;

/// The built-in ladder.
pub const DEFAULT_LADDER: &str = include_str!("../ladder.toml");

/// The shortest appeal window in an EU/EEA market: DSA Article 20(1), at least six months.
pub const EU_MIN_APPEAL_MONTHS: u32 = 6;

/// What a restriction limits. Each maps to a DSA decision type (see `dsa.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Clients cannot book the Tasker instantly: every booking needs the Tasker's acceptance.
    InstantBooking,
    /// Payouts are held.
    PayoutHold,
    /// No messages before a booking.
    MessagingBeforeBooking,
    /// No new bookings (existing ones go ahead).
    NewBookings,
    /// No reviews may be written.
    Reviews,
}

impl Scope {
    pub const ALL: [Scope; 5] = [
        Scope::InstantBooking,
        Scope::PayoutHold,
        Scope::MessagingBeforeBooking,
        Scope::NewBookings,
        Scope::Reviews,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::InstantBooking => "instant_booking",
            Scope::PayoutHold => "payout_hold",
            Scope::MessagingBeforeBooking => "messaging_before_booking",
            Scope::NewBookings => "new_bookings",
            Scope::Reviews => "reviews",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the ladder does to a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum ActionKind {
    /// A notice that explains the standard; nothing is limited.
    Warning,
    /// One part of the service is limited for `days`.
    Restriction { scope: Scope, days: u32 },
    /// The account cannot be used for `days`.
    Suspension { days: u32 },
    /// The account is closed until an appeal or staff reinstates it.
    Deactivation,
}

impl ActionKind {
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Warning => "warning",
            ActionKind::Restriction { .. } => "restriction",
            ActionKind::Suspension { .. } => "suspension",
            ActionKind::Deactivation => "deactivation",
        }
    }

    /// How long it lasts, for temporary actions.
    pub fn days(self) -> Option<u32> {
        match self {
            ActionKind::Restriction { days, .. } | ActionKind::Suspension { days } => Some(days),
            ActionKind::Warning | ActionKind::Deactivation => None,
        }
    }
}

/// Active points from `from` to `to` (inclusive; `None`: and above) lead to `action`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub from: u32,
    pub to: Option<u32>,
    pub action: ActionKind,
}

/// The ladder of one role, by default or in some markets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RoleLadder {
    pub role: MemberRole,
    /// Empty: the role's default, for every market without a ladder of its own.
    pub markets: Vec<String>,
    /// Steps in increasing order, without gaps or overlaps, the last one open-ended.
    pub steps: Vec<Step>,
    /// How long after an action's notice the member may appeal, in calendar months.
    pub appeal_window_months: u32,
}

impl RoleLadder {
    /// The step `points` active points fall in, if any.
    pub fn step_for(&self, points: u32) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.from <= points && s.to.is_none_or(|to| points <= to))
    }
}

/// A checked ladder file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ladder {
    pub ladders: Vec<RoleLadder>,
}

impl Ladder {
    /// The built-in ladder.
    pub fn default_ladder() -> Ladder {
        check("ladder.toml", DEFAULT_LADDER).expect("the built-in ladder checks")
    }

    /// The ladder for a role in a market: the market's own, else the role's default (which a
    /// checked file always has).
    pub fn for_member(&self, role: MemberRole, market: &str) -> &RoleLadder {
        let of_role = || self.ladders.iter().filter(|l| l.role == role);
        of_role()
            .find(|l| l.markets.iter().any(|m| m == market))
            .or_else(|| of_role().find(|l| l.markets.is_empty()))
            .expect("a checked ladder has a default for every role")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    appeal_window_months: Option<i64>,
    #[serde(rename = "ladder", default)]
    ladders: Vec<toml::Spanned<LadderSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LadderSection {
    role: String,
    #[serde(default)]
    markets: Vec<String>,
    appeal_window_months: Option<i64>,
    #[serde(rename = "step", default)]
    steps: Vec<toml::Spanned<StepSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSection {
    from: i64,
    to: Option<i64>,
    action: String,
    scope: Option<String>,
    days: Option<i64>,
}

/// Reads a ladder file; every problem comes back at `FILE:LINE:COL`.
pub fn check(file: &str, text: &str) -> Result<Ladder, Vec<LocatedError>> {
    let locate = Locator {
        file,
        text,
        first_line: 1,
    };
    let raw: File = toml::from_str(text).map_err(|e| vec![locate.toml(&e)])?;
    let mut errors = Vec::new();
    let window = |value: Option<i64>, at: usize, errors: &mut Vec<LocatedError>| match value {
        Some(m) if (1..=24).contains(&m) => Some(m as u32),
        Some(m) => {
            errors.push(locate.at(at, format!("appeal_window_months must be 1 to 24, not {m}")));
            None
        }
        None => None,
    };
    let default_window = window(
        raw.appeal_window_months,
        field_offset(text, "appeal_window_months"),
        &mut errors,
    );
    if raw.appeal_window_months.is_none() {
        errors.push(locate.at(
            0,
            "give appeal_window_months = N at the top: how long members may appeal (at least 6 where the DSA applies)",
        ));
    }
    let mut ladders: Vec<RoleLadder> = Vec::new();
    for section in &raw.ladders {
        let at = section.span().start;
        let l = section.get_ref();
        let Some(role) = MemberRole::parse(&l.role) else {
            errors.push(locate.at(
                at,
                format!("role {:?} is unknown: use client or tasker", l.role),
            ));
            continue;
        };
        let mut markets: Vec<String> = Vec::new();
        for market in &l.markets {
            if arbiter_model::Market::parse(market).is_err() {
                errors.push(locate.at(
                    at,
                    format!("market {market:?} is not an ISO 3166-1 alpha-2 code such as \"FR\""),
                ));
            } else if markets.contains(market) {
                errors.push(locate.at(at, format!("market {market} is listed twice")));
            } else if let Some(other) = ladders
                .iter()
                .find(|o| o.role == role && o.markets.contains(market))
            {
                let _ = other;
                errors.push(locate.at(
                    at,
                    format!("the {role} ladder for {market} is configured twice"),
                ));
            } else {
                markets.push(market.clone());
            }
        }
        if l.markets.is_empty()
            && ladders
                .iter()
                .any(|o| o.role == role && o.markets.is_empty())
        {
            errors.push(locate.at(
                at,
                format!("the default {role} ladder (no markets) is configured twice"),
            ));
        }
        let months = window(l.appeal_window_months, at, &mut errors)
            .or(default_window)
            .unwrap_or(EU_MIN_APPEAL_MONTHS);
        let eu: Vec<&String> = markets
            .iter()
            .filter(|m| arbiter_model::Market::parse(m).is_ok_and(|m| m.is_eu_eea()))
            .collect();
        if months < EU_MIN_APPEAL_MONTHS && (l.markets.is_empty() || !eu.is_empty()) {
            let whom = if l.markets.is_empty() {
                "the default ladder covers EU/EEA markets".to_owned()
            } else {
                format!(
                    "{} {} in the EU/EEA",
                    eu.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
                    if eu.len() == 1 { "is" } else { "are" }
                )
            };
            errors.push(locate.at(at, format!("{role} ladder: appeals must stay open at least {EU_MIN_APPEAL_MONTHS} months where the DSA applies (Article 20), and {whom}; appeal_window_months is {months}")));
        }
        let steps = check_steps(&locate, role, &l.steps, at, &mut errors);
        ladders.push(RoleLadder {
            role,
            markets,
            steps,
            appeal_window_months: months,
        });
    }
    for role in MemberRole::ALL {
        if !raw
            .ladders
            .iter()
            .any(|l| l.get_ref().role == role.as_str() && l.get_ref().markets.is_empty())
        {
            errors.push(locate.at(
                text.len(),
                format!("no default ladder for {role}s: add a [[ladder]] with role = \"{role}\" and no markets, for every market without its own"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Ladder { ladders })
    } else {
        Err(errors)
    }
}

fn field_offset(text: &str, name: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(name) {
            return offset + line.len() - line.trim_start().len();
        }
        offset += line.len();
    }
    0
}

fn check_steps(
    locate: &Locator<'_>,
    role: MemberRole,
    sections: &[toml::Spanned<StepSection>],
    ladder_at: usize,
    errors: &mut Vec<LocatedError>,
) -> Vec<Step> {
    if sections.is_empty() {
        errors.push(locate.at(
            ladder_at,
            format!("the {role} ladder has no [[ladder.step]]"),
        ));
    }
    let mut steps: Vec<Step> = Vec::new();
    for (index, section) in sections.iter().enumerate() {
        let at = section.span().start;
        let s = section.get_ref();
        let mut fail = |message: String| {
            errors.push(locate.at(at, format!("{role} ladder, step {}: {message}", index + 1)))
        };
        let last = index + 1 == sections.len();
        if s.from < 1 || s.from > i64::from(u32::MAX) {
            fail(format!("from must be 1 or more, not {}", s.from));
            continue;
        }
        let from = s.from as u32;
        let to = match s.to {
            Some(to) if to < s.from => {
                fail(format!("to ({to}) is below from ({from})"));
                None
            }
            Some(to) => Some(to.min(i64::from(u32::MAX)) as u32),
            None => None,
        };
        if s.to.is_some() && last {
            fail("the last step must be open-ended (no `to`), so that every number of points has a step".into());
        }
        if s.to.is_none() && !last {
            fail("only the last step may be open-ended: give `to`".into());
        }
        if let Some(previous) = steps.last() {
            if from <= previous.from {
                fail(format!(
                    "thresholds must increase: from = {from} comes after from = {}",
                    previous.from
                ));
            } else if let Some(prev_to) = previous.to {
                if from <= prev_to {
                    fail(format!(
                        "overlaps the step before, which runs to {prev_to}: start at {}",
                        prev_to + 1
                    ));
                } else if from > prev_to + 1 {
                    fail(format!(
                        "leaves a gap: the step before ends at {prev_to}, so points {}–{} would have no step",
                        prev_to + 1,
                        from - 1
                    ));
                }
            }
        }
        let days = match s.days {
            Some(d) if (1..=365).contains(&d) => Some(d as u32),
            Some(d) => {
                fail(format!("days must be 1 to 365, not {d}"));
                Some(1)
            }
            None => None,
        };
        let scope = s.scope.as_deref().map(|name| {
            Scope::parse(name).ok_or_else(|| {
                format!(
                    "scope {name:?} is unknown: use one of {}",
                    Scope::ALL.map(Scope::as_str).join(", ")
                )
            })
        });
        let action = match (s.action.as_str(), scope, days) {
            ("warning", None, None) => Some(ActionKind::Warning),
            ("deactivation", None, None) => Some(ActionKind::Deactivation),
            ("warning" | "deactivation", _, _) => {
                fail(format!("a {} takes neither scope nor days", s.action));
                None
            }
            ("restriction", Some(Ok(scope)), Some(days)) => {
                Some(ActionKind::Restriction { scope, days })
            }
            ("restriction", Some(Err(message)), _) => {
                fail(message);
                None
            }
            ("restriction", _, _) => {
                fail(
                    "a restriction needs a scope and days (scope = \"instant_booking\", days = 14)"
                        .into(),
                );
                None
            }
            ("suspension", None, Some(days)) => Some(ActionKind::Suspension { days }),
            ("suspension", _, _) => {
                fail("a suspension needs days and takes no scope".into());
                None
            }
            (other, _, _) => {
                fail(format!(
                    "action {other:?} is unknown: use warning, restriction, suspension or deactivation"
                ));
                None
            }
        };
        if action == Some(ActionKind::Deactivation) && !last {
            fail("deactivation must be the last step: nothing comes after it".into());
        }
        if let Some(action) = action {
            steps.push(Step { from, to, action });
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ladder_checks() {
        let ladder = Ladder::default_ladder();
        let tasker = ladder.for_member(MemberRole::Tasker, "US");
        assert!(tasker.markets.is_empty());
        assert_eq!(tasker.step_for(0), None);
        assert_eq!(tasker.step_for(1).unwrap().action, ActionKind::Warning);
        assert_eq!(
            tasker.step_for(100).unwrap().action,
            ActionKind::Deactivation
        );
        for l in &ladder.ladders {
            assert!(l.appeal_window_months >= EU_MIN_APPEAL_MONTHS);
        }
    }

    const GOOD: &str = "appeal_window_months = 6\n\n[[ladder]]\nrole = \"client\"\n[[ladder.step]]\nfrom = 1\naction = \"warning\"\n\n[[ladder]]\nrole = \"tasker\"\n[[ladder.step]]\nfrom = 1\nto = 2\naction = \"warning\"\n[[ladder.step]]\nfrom = 3\nto = 5\naction = \"restriction\"\nscope = \"instant_booking\"\ndays = 14\n[[ladder.step]]\nfrom = 6\nto = 8\naction = \"suspension\"\ndays = 30\n[[ladder.step]]\nfrom = 9\naction = \"deactivation\"\n";

    /// Every step of a ladder, points by points.
    #[test]
    fn each_number_of_points_has_its_step() {
        let ladder = check("ladder.toml", GOOD).unwrap();
        let tasker = ladder.for_member(MemberRole::Tasker, "FR");
        let table: &[(u32, Option<ActionKind>)] = &[
            (0, None),
            (1, Some(ActionKind::Warning)),
            (2, Some(ActionKind::Warning)),
            (
                3,
                Some(ActionKind::Restriction {
                    scope: Scope::InstantBooking,
                    days: 14,
                }),
            ),
            (
                5,
                Some(ActionKind::Restriction {
                    scope: Scope::InstantBooking,
                    days: 14,
                }),
            ),
            (6, Some(ActionKind::Suspension { days: 30 })),
            (8, Some(ActionKind::Suspension { days: 30 })),
            (9, Some(ActionKind::Deactivation)),
            (1000, Some(ActionKind::Deactivation)),
        ];
        for (points, action) in table {
            assert_eq!(
                tasker.step_for(*points).map(|s| s.action),
                *action,
                "{points} points"
            );
        }
    }

    #[test]
    fn market_ladders_come_before_the_default() {
        let text = format!(
            "{GOOD}\n[[ladder]]\nrole = \"client\"\nmarkets = [\"DE\"]\nappeal_window_months = 12\n[[ladder.step]]\nfrom = 2\naction = \"deactivation\"\n"
        );
        let ladder = check("ladder.toml", &text).unwrap();
        assert_eq!(
            ladder
                .for_member(MemberRole::Client, "DE")
                .appeal_window_months,
            12
        );
        assert_eq!(
            ladder
                .for_member(MemberRole::Client, "FR")
                .appeal_window_months,
            6
        );
        assert!(
            ladder
                .for_member(MemberRole::Client, "DE")
                .step_for(1)
                .is_none()
        );
    }

    /// Each refusal, with the line it is reported on.
    #[test]
    fn refusals_are_located() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "to = 2\n",
                "to = 3\n",
                "15:1: tasker ladder, step 2: overlaps the step before, which runs to 3: start at 4",
            ),
            (
                "from = 3\n",
                "from = 4\n",
                "15:1: tasker ladder, step 2: leaves a gap: the step before ends at 2, so points 3–3 would have no step",
            ),
            (
                "from = 6\n",
                "from = 2\n",
                "21:1: tasker ladder, step 3: thresholds must increase: from = 2 comes after from = 3",
            ),
            (
                "action = \"suspension\"",
                "action = \"ban\"",
                "21:1: tasker ladder, step 3: action \"ban\" is unknown",
            ),
            (
                "scope = \"instant_booking\"",
                "scope = \"instant\"",
                "15:1: tasker ladder, step 2: scope \"instant\" is unknown: use one of instant_booking, payout_hold",
            ),
            (
                "scope = \"instant_booking\"\n",
                "",
                "15:1: tasker ladder, step 2: a restriction needs a scope and days",
            ),
            (
                "days = 30\n",
                "",
                "21:1: tasker ladder, step 3: a suspension needs days",
            ),
            ("days = 30\n", "days = 0\n", "days must be 1 to 365, not 0"),
            (
                "from = 9\naction = \"deactivation\"\n",
                "from = 9\nto = 10\naction = \"deactivation\"\n",
                "the last step must be open-ended",
            ),
            (
                "from = 6\nto = 8\n",
                "from = 6\n",
                "only the last step may be open-ended",
            ),
            (
                "from = 1\nto = 2\n",
                "from = 0\nto = 2\n",
                "from must be 1 or more, not 0",
            ),
            (
                "from = 1\nto = 2\n",
                "from = 2\nto = 1\n",
                "to (1) is below from (2)",
            ),
            (
                "action = \"warning\"\n\n",
                "action = \"warning\"\ndays = 3\n\n",
                "5:1: client ladder, step 1: a warning takes neither scope nor days",
            ),
            (
                "role = \"client\"",
                "role = \"guest\"",
                "3:1: role \"guest\" is unknown",
            ),
            (
                "role = \"client\"",
                "role = \"tasker\"",
                "the default tasker ladder (no markets) is configured twice",
            ),
            (
                "role = \"client\"",
                "role = \"tasker\"",
                "no default ladder for clients",
            ),
            (
                "appeal_window_months = 6",
                "appeal_window_months = 3",
                "appeals must stay open at least 6 months where the DSA applies",
            ),
            (
                "appeal_window_months = 6",
                "appeal_window_months = 30",
                "1:1: appeal_window_months must be 1 to 24, not 30",
            ),
            (
                "appeal_window_months = 6\n",
                "",
                "give appeal_window_months",
            ),
            (
                "role = \"client\"\n",
                "role = \"client\"\ncolour = 1\n",
                "unknown field `colour`",
            ),
            (
                "from = 1\naction = \"warning\"\n\n",
                "from = 1\naction = \"deactivation\"\n[[ladder.step]]\nfrom = 2\naction = \"warning\"\n\n",
                "deactivation must be the last step",
            ),
        ];
        for (from, to, message) in cases {
            assert!(GOOD.contains(from), "{from}");
            let text = GOOD.replacen(from, to, 1);
            let errors = check("ladder.toml", &text).unwrap_err();
            let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(
                shown.iter().any(|e| e.contains(message)),
                "{to:?}: want {message}, got {shown:#?}"
            );
            assert!(
                shown.iter().all(|e| e.starts_with("ladder.toml:")),
                "{shown:?}"
            );
        }
    }

    #[test]
    fn market_problems_are_refused() {
        let eu_short = format!(
            "{GOOD}\n[[ladder]]\nrole = \"tasker\"\nmarkets = [\"US\", \"FR\", \"FR\", \"France\"]\nappeal_window_months = 2\n[[ladder.step]]\nfrom = 1\naction = \"warning\"\n"
        );
        let errors = check("ladder.toml", &eu_short).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for want in [
            "market \"France\" is not an ISO",
            "market FR is listed twice",
            "and FR is in the EU/EEA; appeal_window_months is 2",
        ] {
            assert!(shown.iter().any(|e| e.contains(want)), "{want}: {shown:#?}");
        }
        let us_short = format!(
            "{GOOD}\n[[ladder]]\nrole = \"tasker\"\nmarkets = [\"US\"]\nappeal_window_months = 2\n[[ladder.step]]\nfrom = 1\naction = \"warning\"\n"
        );
        assert!(check("ladder.toml", &us_short).is_ok());
        let syntax = check("ladder.toml", "[[ladder]\n").unwrap_err();
        assert_eq!(syntax[0].line, 1);
    }
}
