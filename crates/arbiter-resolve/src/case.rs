//! The typed [`Case`] every operation works on, with its parties; what a case is and how it
//! moves (its vocabulary and state machine) is in [`crate::lifecycle`], re-exported here.

use crate::guarantee::Eligibility;
pub use crate::lifecycle::*;
use crate::sla::{self, Breaches, Deadlines};
use arbiter_model::{Currency, Market, Micros, Money};

/// The people a case is about, by member id. The claimant is whoever filed: a Client, or a
/// Tasker claiming against a Client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parties {
    pub claimant: Option<String>,
    pub client: Option<String>,
    pub tasker: Option<String>,
}

impl Parties {
    /// The role the claimant plays: the case's Tasker when they are it, else a Client.
    pub fn claimant_role(&self) -> Party {
        if self.claimant.is_some() && self.claimant == self.tasker {
            Party::Tasker
        } else {
            Party::Client
        }
    }

    /// Who a message to `party` goes to: the Tasker, or the Client (the claimant when the
    /// case names no Client).
    pub fn recipient(&self, party: Party) -> Option<&str> {
        match party {
            Party::Tasker => self.tasker.as_deref(),
            Party::Client => self.client.as_deref().or(self.claimant.as_deref()),
        }
    }

    /// Every party named, each once, claimant first.
    pub fn all(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        for id in [&self.claimant, &self.client, &self.tasker]
            .into_iter()
            .flatten()
        {
            if !all.contains(&id.as_str()) {
                all.push(id);
            }
        }
        all
    }
}

/// `case_12` for case number 12: how people and the API name a case.
pub fn case_id(number: i64) -> String {
    format!("case_{number}")
}

/// The number in `case_12` (or `12`); `None` for anything else.
pub fn case_number(id: &str) -> Option<i64> {
    id.strip_prefix("case_")
        .unwrap_or(id)
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// A case with every value typed: what every operation of [`crate::ops`] takes and gives back.
/// [`Case::parse`] reads one from the store's text and refuses, naming the field, what does
/// not read; nothing falls back to a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The store's number, 0 until the case is stored.
    pub number: i64,
    pub case_type: CaseType,
    pub state: State,
    pub priority: Priority,
    /// The id of a configured queue.
    pub queue: String,
    pub assignee: Option<String>,
    pub market: Market,
    /// The market's currency: every amount on the case is in it.
    pub currency: Currency,
    pub parties: Parties,
    pub task_id: Option<String>,
    pub source: Source,
    /// The event or rule that opened the case.
    pub source_ref: Option<String>,
    /// What a claim asks for.
    pub claimed: Option<Money>,
    pub risk_score: i64,
    /// The Guarantee's answer on a claim, as computed when it opened.
    pub eligibility: Option<Eligibility>,
    pub summary: String,
    pub playbook_version: i64,
    /// Ids of the playbook steps done.
    pub steps_done: Vec<String>,
    pub opened_at: Micros,
    pub deadlines: Deadlines,
    pub first_response_at: Option<Micros>,
    pub resolved_at: Option<Micros>,
    pub closed_at: Option<Micros>,
    pub reopened: i64,
    /// Messages to or from a party.
    pub touches: i64,
    /// Decided by an automatic rule.
    pub automated: bool,
    /// The version it was read at; the store raises it with each write.
    pub version: i64,
    pub updated_at: Micros,
}

impl Case {
    /// `case_12`.
    pub fn id(&self) -> String {
        case_id(self.number)
    }

    /// See [`State::is_open`].
    pub fn is_open(&self) -> bool {
        self.state.is_open()
    }

    /// `task:type`: a second filing with the same key links to this case while it is open.
    pub fn intake_key(&self) -> Option<String> {
        self.task_id
            .as_ref()
            .map(|task| format!("{task}:{}", self.case_type))
    }

    /// When the case stopped needing work: decided or closed. `None` while it is open (an
    /// appealed or reopened case is open again and its clock runs).
    pub fn resolution_time(&self) -> Option<Micros> {
        if self.is_open() {
            None
        } else {
            Some(
                self.resolved_at
                    .or(self.closed_at)
                    .unwrap_or(self.updated_at),
            )
        }
    }

    /// The deadlines the case missed, as of `now`: the one definition of "breached", for the
    /// API, the console and the queues alike. Each clock stops when the case is resolved.
    pub fn breaches(&self, now: Micros) -> Breaches {
        sla::breaches(
            &self.deadlines,
            self.first_response_at,
            self.resolution_time(),
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_its_detours() {
        let mut state = State::New;
        for step in [
            Step::Triage,
            Step::Investigate,
            Step::RequestInformation,
            Step::InformationReceived,
            Step::Decide,
            Step::Close,
            Step::Appeal,
            Step::Decide,
            Step::Close,
            Step::Reopen,
            Step::Decide,
        ] {
            state = next_state(state, step).unwrap();
        }
        assert_eq!(state, State::Decided);
    }

    #[test]
    fn illegal_steps_say_why() {
        let refused = next_state(State::Closed, Step::Decide).unwrap_err();
        assert_eq!(
            refused.reason,
            "the case is closed: reopen it before deciding"
        );
        let refused = next_state(State::Investigating, Step::Close).unwrap_err();
        assert_eq!(
            refused.reason,
            "a case is closed once decided; this one is investigating"
        );
        assert!(next_state(State::New, Step::Appeal).is_err());
        assert_eq!(
            allowed_steps(State::Decided),
            vec![Step::Close, Step::Appeal, Step::Reopen]
        );
    }

    #[test]
    fn case_types_are_the_rule_languages() {
        let ours: Vec<&str> = CaseType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(ours, arbiter_rules::CASE_TYPES.to_vec());
        let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(priorities, arbiter_rules::PRIORITIES.to_vec());
    }

    #[test]
    fn events_open_the_right_case() {
        assert_eq!(
            CaseType::of_claim("property_damage"),
            CaseType::PropertyDamageClaim
        );
        assert_eq!(CaseType::of_report("harassment"), CaseType::SafetyIncident);
        assert!(
            CaseType::parse("claim")
                .unwrap_err()
                .contains("theft_claim")
        );
    }
}
