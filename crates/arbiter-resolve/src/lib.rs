//! The resolution center's domain, pure and without I/O: what a case is and how it moves
//! ([`case`], [`Case`]), the operations on it and what each changes ([`ops`], [`change`]),
//! reading it from the store's words ([`stored`]), what is known of its parties ([`facts`]),
//! whether the Guarantee pays ([`guarantee`]), when a case is due ([`sla`]), where it goes
//! ([`routing`]), what is decided and what decides itself ([`decision`]), the money
//! ([`ledger`]), the messages ([`message`]), and the configuration that ties them to markets
//! and playbooks ([`config`]). Storage, HTTP and the console are shells around it: they load a
//! case, call an operation with the time, and store the [`Change`] it returns.

pub mod case;
pub mod change;
pub mod config;
pub mod decision;
pub mod evidence;
pub mod facts;
pub mod guarantee;
pub mod ledger;
pub mod lifecycle;
pub mod message;
pub mod ops;
pub mod routing;
pub mod sla;
pub mod stored;
mod vocabulary;

pub use case::{
    Case, CaseType, IllegalStep, Parties, Party, Priority, Source, State, Step, allowed_steps,
    case_id, case_number, next_state,
};
pub use change::{
    AuditAction, AuditEntry, Change, ChangedBy, Direction, Evidence, Message, RecordedDecision,
    RecordedEntry,
};
pub use config::{Config, ConfigError, DEFAULT_CONFIG, Playbook, parse_config};
pub use decision::{AutoRule, CaseDecision, DecisionError, Declined, Outcome, auto_resolve};
pub use facts::{
    ClaimDetails, EligibilityFacts, LogFacts, Screening, Signals, Violation, eligibility_facts,
};
pub use guarantee::{ClaimFacts, Eligibility, GuaranteeTerms, ReasonCode, eligibility};
pub use ledger::{
    Counterparty, Entry, EntryKind, LedgerError, Movement, NewEntry, PeriodTotals, Totals,
    limit_left, period_totals,
};
pub use ops::{
    CaseContext, CaseDecisionRequest, MessageDraft, Opening, Refused, Templates, Update, Upload,
};
pub use routing::{Queue, RouteFacts, route};
pub use sla::{Breaches, Deadlines, SlaTarget};
pub use stored::{CaseRecord, Unreadable};
