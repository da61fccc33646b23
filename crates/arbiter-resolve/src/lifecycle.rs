//! What a case is and how it moves: its type, priority, source, parties and lifecycle, as a
//! state machine that refuses an illegal step with the reason.

use crate::vocabulary::vocabulary;

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
