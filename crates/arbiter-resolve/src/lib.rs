//! The resolution center's domain, pure and without I/O: what a case is and how it moves
//! ([`case`]), whether the Guarantee pays ([`guarantee`]), when a case is due ([`sla`]), where it
//! goes ([`routing`]), what is decided and what decides itself ([`decision`]), the money
//! ([`ledger`]), the messages ([`message`]), and the configuration that ties them to markets
//! and playbooks ([`config`]). Storage, HTTP and the console are shells around it.

pub mod case;
pub mod config;
pub mod decision;
pub mod evidence;
pub mod guarantee;
pub mod ledger;
pub mod message;
pub mod routing;
pub mod sla;

pub use case::{CaseType, IllegalStep, Priority, State, Step, allowed_steps, next_state};
pub use config::{Config, ConfigError, DEFAULT_CONFIG, Playbook, parse_config};
pub use decision::{AutoRule, Decision, DecisionError, Outcome, auto_resolve};
pub use guarantee::{ClaimFacts, Eligibility, GuaranteeTerms, eligibility};
pub use ledger::{
    Counterparty, Entry, EntryKind, LedgerError, Movement, NewEntry, PeriodTotals, Totals,
    period_totals,
};
pub use routing::{Queue, RouteFacts, route};
pub use sla::{Breaches, Deadlines, SlaTarget};
