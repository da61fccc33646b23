//! What a case is and how it moves: its type, priority and lifecycle, as a state machine that
//! refuses an illegal step with the reason, and the typed [`Case`] every operation works on.

use crate::guarantee::Eligibility;
use crate::sla::{self, Breaches, Deadlines};
use arbiter_model::{Currency, Market, Micros, Money};

/// Declares a closed vocabulary: variants with their stored names, `ALL`, `as_str` and `parse`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and API name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// How people read it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            /// The value named `text`, or an error listing the names there are.
            pub fn parse(text: &str) -> Result<$name, String> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{text:?} is not one of {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// What a case is about. The names are those of the rule language's `open_case`.
    CaseType {
        PropertyDamageClaim => "property_damage_claim", "Property damage claim";
        InjuryClaim => "injury_claim", "Injury claim";
        TheftClaim => "theft_claim", "Theft claim";
        PaymentDispute => "payment_dispute", "Payment dispute";
        QualityDispute => "quality_dispute", "Quality dispute";
        NoShow => "no_show", "No-show";
        CancellationDispute => "cancellation_dispute", "Cancellation dispute";
        SafetyIncident => "safety_incident", "Safety incident";
        OffPlatformPayment => "off_platform_payment", "Off-platform payment";
        Fraud => "fraud", "Fraud";
        Other => "other", "Other";
    }
);

impl CaseType {
    /// Whether the case is a Guarantee claim, with an eligibility result and a reserve.
    pub fn is_claim(self) -> bool {
        matches!(
            self,
            CaseType::PropertyDamageClaim | CaseType::InjuryClaim | CaseType::TheftClaim
        )
    }

    /// The case a `claim.filed` event opens, from its `data.kind` (SPEC.md §1).
    pub fn of_claim(kind: &str) -> CaseType {
        match kind {
            "property_damage" => CaseType::PropertyDamageClaim,
            "injury" => CaseType::InjuryClaim,
            "theft" => CaseType::TheftClaim,
            _ => CaseType::Other,
        }
    }

    /// The case a `report.filed` event opens, from its `data.category`.
    pub fn of_report(category: &str) -> CaseType {
        match category {
            "safety" | "harassment" | "assault" | "threat" | "discrimination" => {
                CaseType::SafetyIncident
            }
            "off_platform_payment" => CaseType::OffPlatformPayment,
            "fraud" | "scam" | "fake_account" => CaseType::Fraud,
            "no_show" => CaseType::NoShow,
            "quality" => CaseType::QualityDispute,
            "payment" => CaseType::PaymentDispute,
            "cancellation" => CaseType::CancellationDispute,
            _ => CaseType::Other,
        }
    }
}

vocabulary!(
    /// How soon a case needs a person.
    Priority {
        Low => "low", "Low";
        Normal => "normal", "Normal";
        High => "high", "High";
        Urgent => "urgent", "Urgent";
    }
);

vocabulary!(
    /// Where a case is in its life.
    State {
        New => "new", "New";
        Triaged => "triaged", "Triaged";
        Investigating => "investigating", "Investigating";
        AwaitingInformation => "awaiting_information", "Awaiting information";
        Decided => "decided", "Decided";
        Appealed => "appealed", "Appealed";
        Closed => "closed", "Closed";
    }
);

impl State {
    /// Whether the case still needs work: counted in queues and against its SLA, linked to by a
    /// second filing for its Task and type. The one definition of "open"; the store's queries
    /// use [`State::open_states`].
    pub fn is_open(self) -> bool {
        !matches!(self, State::Decided | State::Closed)
    }

    /// Every open state, in lifecycle order.
    pub fn open_states() -> impl Iterator<Item = State> {
        State::ALL.iter().copied().filter(|s| s.is_open())
    }
}

vocabulary!(
    /// A step a person, a rule or an automation takes on a case.
    Step {
        Triage => "triage", "Triage";
        Investigate => "investigate", "Start investigating";
        RequestInformation => "request_information", "Ask for information";
        InformationReceived => "information_received", "Information received";
        Decide => "decide", "Decide";
        Close => "close", "Close";
        Appeal => "appeal", "Appeal";
        Reopen => "reopen", "Reopen";
    }
);

vocabulary!(
    /// Where a case came from.
    Source {
        Event => "event", "An event";
        Rule => "rule", "A rule";
        Api => "api", "The API";
        Console => "console", "The console";
    }
);

vocabulary!(
    /// A party a case is about, as messages and payouts name them.
    Party {
        Client => "client", "Client";
        Tasker => "tasker", "Tasker";
    }
);

impl Party {
    /// The ledger's name for the same person.
    pub fn counterparty(self) -> crate::ledger::Counterparty {
        match self {
            Party::Client => crate::ledger::Counterparty::Client,
            Party::Tasker => crate::ledger::Counterparty::Tasker,
        }
    }
}

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

/// A step the lifecycle does not allow from where the case is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct IllegalStep {
    pub from: State,
    pub step: Step,
    pub reason: String,
}

/// The state `step` leads to from `from`:
///
/// ```text
/// new → triaged → investigating ⇄ awaiting_information
/// new | triaged | investigating | awaiting_information | appealed → decided → closed
/// decided | closed → appealed (→ decided again);  decided | closed → reopened as investigating
/// ```
pub fn next_state(from: State, step: Step) -> Result<State, IllegalStep> {
    use State::*;
    let to = match (step, from) {
        (Step::Triage, New) => Some(Triaged),
        (Step::Investigate, New | Triaged) => Some(Investigating),
        (Step::RequestInformation, Triaged | Investigating) => Some(AwaitingInformation),
        (Step::InformationReceived, AwaitingInformation) => Some(Investigating),
        (Step::Decide, New | Triaged | Investigating | AwaitingInformation | Appealed) => {
            Some(Decided)
        }
        (Step::Close, Decided) => Some(Closed),
        (Step::Appeal, Decided | Closed) => Some(Appealed),
        (Step::Reopen, Decided | Closed) => Some(Investigating),
        _ => None,
    };
    to.ok_or_else(|| IllegalStep {
        from,
        step,
        reason: why_not(from, step),
    })
}

fn why_not(from: State, step: Step) -> String {
    let state = from.label().to_lowercase();
    match (step, from) {
        (Step::Decide, State::Decided) => {
            "the case is already decided: appeal or reopen it to decide again".into()
        }
        (Step::Decide, State::Closed) => "the case is closed: reopen it before deciding".into(),
        (Step::Close, State::Closed) => "the case is already closed".into(),
        (Step::Close, _) => format!("a case is closed once decided; this one is {state}"),
        (Step::Appeal | Step::Reopen, _) => format!(
            "only a decided or closed case can be {}; this one is {state}",
            if step == Step::Appeal {
                "appealed"
            } else {
                "reopened"
            }
        ),
        (Step::InformationReceived, _) => {
            format!("no information was asked for: the case is {state}")
        }
        _ => format!(
            "a case that is {state} cannot be moved by “{}”",
            step.label().to_lowercase()
        ),
    }
}

/// The steps allowed from `from`, in the order a person would take them.
pub fn allowed_steps(from: State) -> Vec<Step> {
    Step::ALL
        .iter()
        .copied()
        .filter(|step| next_state(from, *step).is_ok())
        .collect()
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
