//! What a change to a case stores beside the case itself, as plain values: the audit trail's
//! entries and their wording, the decision, ledger entries, messages, evidence and event links.
//! Every operation of [`crate::ops`] returns one; the service appends it in the transaction
//! that writes the case.

use crate::decision::CaseDecision;
use crate::ledger::{Counterparty, EntryKind};
use crate::lifecycle::Party;
use crate::vocabulary::vocabulary;
use arbiter_model::Money;

/// Who changed a case. Not the actor of an event (the member who did something on the
/// marketplace): the staff member, rule, automatic rule or intake that moved the case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChangedBy {
    /// A staff member, by their label (`user:ana`, a token's name).
    Staff(String),
    /// A rule, by id, through its `open_case` action.
    Rule(String),
    /// An automatic resolution rule, by name.
    Automation(String),
    /// Case intake, opening cases from the log.
    Intake,
}

impl ChangedBy {
    /// The name the audit trail shows.
    pub fn name(&self) -> &str {
        match self {
            ChangedBy::Staff(n) | ChangedBy::Rule(n) | ChangedBy::Automation(n) => n,
            ChangedBy::Intake => "intake",
        }
    }

    /// The stored kind: `person`, `rule`, `automation` or `system`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChangedBy::Staff(_) => "person",
            ChangedBy::Rule(_) => "rule",
            ChangedBy::Automation(_) => "automation",
            ChangedBy::Intake => "system",
        }
    }

    /// A change by a person is a staff response; the first one is the case's first response.
    pub fn is_staff(&self) -> bool {
        matches!(self, ChangedBy::Staff(_))
    }

    fn audit(
        &self,
        action: AuditAction,
        before: Option<String>,
        after: Option<String>,
        note: &str,
    ) -> AuditEntry {
        AuditEntry {
            by: self.clone(),
            action,
            before,
            after,
            note: note.to_owned(),
        }
    }
}

vocabulary!(
    /// What an audit entry records: a field that changed, or something added to the case.
    AuditAction {
        Opened => "opened", "Opened";
        Linked => "linked", "Linked";
        State => "state", "State";
        Priority => "priority", "Priority";
        Queue => "queue", "Queue";
        Assignee => "assignee", "Assignee";
        StepsDone => "steps_done", "Playbook steps done";
        ResolutionDue => "resolution_due", "Resolution due";
        Decision => "decision", "Decision";
        Ledger => "ledger", "Ledger entry";
        Note => "note", "Note";
        MessageSent => "message_sent", "Message sent";
        MessageReceived => "message_received", "Message received";
        EvidenceAdded => "evidence_added", "Evidence added";
    }
);

/// One entry of the audit trail: who, what, the value before and after, a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub by: ChangedBy,
    pub action: AuditAction,
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: String,
}

/// A decision as recorded on the case: what was decided, by whom, under which playbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDecision {
    pub decision: CaseDecision,
    pub decided_by: ChangedBy,
    pub automated: bool,
    pub playbook_version: i64,
}

/// A ledger entry to append, checked, with its note and who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEntry {
    pub kind: EntryKind,
    pub counterparty: Counterparty,
    /// Always positive, in the case's currency.
    pub amount: Money,
    pub reverses: Option<i64>,
    /// Why a payout goes past the Guarantee's limit; never blank.
    pub override_reason: Option<String>,
    pub note: String,
    pub recorded_by: ChangedBy,
}

vocabulary!(
    /// Whether a message went to a party or came from one.
    Direction {
        Out => "out", "To";
        In => "in", "From";
    }
);

/// A message to or from a party of the case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub direction: Direction,
    pub party: Party,
    pub recipient: Option<String>,
    pub locale: String,
    /// The template clause used, e.g. `TPL-CLAIM-DECISION-FR §1`.
    pub template: Option<String>,
    pub body: String,
    /// Who wrote it: the staff member for a message out, the party for one in.
    pub sent_by: String,
}

/// An evidence file, checked by its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub filename: String,
    pub content_type: &'static str,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub data: Vec<u8>,
    pub uploaded_by: ChangedBy,
}

/// What a change appends beside the case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Change {
    pub audit: Vec<AuditEntry>,
    pub decision: Option<RecordedDecision>,
    pub ledger: Vec<RecordedEntry>,
    pub messages: Vec<Message>,
    pub evidence: Vec<Evidence>,
    /// Event ids to link.
    pub events: Vec<String>,
}

impl Change {
    /// This change followed by `next`, as one: for several operations written together. A
    /// case takes one decision per change; the later one is kept.
    pub fn then(mut self, next: Change) -> Change {
        self.audit.extend(next.audit);
        if next.decision.is_some() {
            self.decision = next.decision;
        }
        self.ledger.extend(next.ledger);
        self.messages.extend(next.messages);
        self.evidence.extend(next.evidence);
        self.events.extend(next.events);
        self
    }
}

/// The audit trail's wording, one function per kind of entry, so that the trail reads the same
/// whoever wrote it.
pub mod wording {
    use super::*;
    use crate::case::Case;

    /// `property_damage_claim in queue claims, priority normal`
    pub fn opened(by: &ChangedBy, case: &Case, note: &str) -> AuditEntry {
        by.audit(
            AuditAction::Opened,
            None,
            Some(format!(
                "{} in queue {}, priority {}",
                case.case_type, case.queue, case.priority
            )),
            note,
        )
    }

    /// A field's value before and after.
    pub fn field(
        by: &ChangedBy,
        action: AuditAction,
        before: Option<String>,
        after: Option<String>,
    ) -> AuditEntry {
        by.audit(action, before, after, "")
    }

    /// A note a person added to a change.
    pub fn note(by: &ChangedBy, note: &str) -> AuditEntry {
        by.audit(AuditAction::Note, None, None, note)
    }

    /// `approved, 450.00 USD (POL-GUARANTEE §1)`, with the decision's text as the note.
    pub fn decision(by: &ChangedBy, decision: &CaseDecision) -> AuditEntry {
        let amount = decision
            .amount
            .map(|m| format!(", {m}"))
            .unwrap_or_default();
        let clauses = if decision.clauses.is_empty() {
            String::new()
        } else {
            format!(" ({})", decision.clauses.join(", "))
        };
        by.audit(
            AuditAction::Decision,
            None,
            Some(format!("{}{amount}{clauses}", decision.outcome)),
            &decision.text,
        )
    }

    /// `payout 450.00 USD, client` or `reversal of #4, 450.00 USD`, with the override reason
    /// (else the note) as the note.
    pub fn ledger(by: &ChangedBy, entry: &RecordedEntry) -> AuditEntry {
        let what = match entry.reverses {
            Some(id) => format!("reversal of #{id}, {}", entry.amount),
            None => format!("{} {}, {}", entry.kind, entry.amount, entry.counterparty),
        };
        by.audit(
            AuditAction::Ledger,
            None,
            Some(what),
            entry.override_reason.as_deref().unwrap_or(&entry.note),
        )
    }

    /// `client (fr)`.
    pub fn message(by: &ChangedBy, message: &Message) -> AuditEntry {
        by.audit(
            match message.direction {
                Direction::Out => AuditAction::MessageSent,
                Direction::In => AuditAction::MessageReceived,
            },
            None,
            Some(format!("{} ({})", message.party, message.locale)),
            "",
        )
    }

    /// `table.jpg (image/jpeg, 5120 bytes)`.
    pub fn evidence(by: &ChangedBy, evidence: &Evidence) -> AuditEntry {
        by.audit(
            AuditAction::EvidenceAdded,
            None,
            Some(format!(
                "{} ({}, {} bytes)",
                evidence.filename,
                evidence.content_type,
                evidence.data.len()
            )),
            "",
        )
    }
}
