//! Arbiter's rule language: the rules risk analysts write, checked before they run and compiled
//! to a tree that evaluates an event, its velocity features and the lists into a [`Decision`].
//!
//! ```text
//! let claims_90d = count(claim.filed by actor.id within 90d)
//!
//! rule CLAIM-SERIAL "Serial claimant"
//!   on claim.filed
//!   enforces POL-GUARANTEE §6.2
//!   when claims_90d >= 3
//!   score 50
//!   then review("claims-fraud"), tag("serial_claimant")
//!
//! test "the third claim in a quarter goes to review"
//!   given {"type": "claim.filed"} {"type": "claim.filed"} {"type": "claim.filed"}
//!   expect verdict review, fires CLAIM-SERIAL
//! ```
//!
//! [`compile`] turns text into a [`Ruleset`] or into [`Diagnostic`]s with spans and hints;
//! an [`Engine`] holds a ruleset and its velocity state and decides events in time order;
//! [`run_examples`] runs the examples a file carries. The language has no loops and no
//! recursion, and reads only the event, its features and the lists, so every evaluation ends.
//!
//! Architecture invariant: no I/O, no clock, no async. Time is the event's own `occurred_at`.

mod ast;
pub mod backtest;
mod check;
pub mod classify;
pub mod contact;
mod diagnostic;
mod eval;
mod examples;
mod features;
mod lexer;
mod parser;
mod program;

pub use check::{CASE_TYPES, PRIORITIES, REGEX_SIZE_LIMIT, VERIFICATION_METHODS, compile};
pub use diagnostic::{Diagnostic, Severity, Span, line_column};
pub use eval::{Decision, Engine, Evidence, Facts, RuleHit, Verdict, decide, party};
pub use examples::{ExampleOutcome, run_examples};
pub use features::Velocity;
pub use program::{
    Action, ActionKind, Example, Expected, Lists, Mode, Rule, Ruleset, TypeMatcher, Value,
};

/// Most values a list may hold. Lists are held in memory by every engine; a list this long is
/// better kept as an event field or a feature.
pub const MAX_LIST_VALUES: usize = 100_000;
/// Longest value in a list, in bytes.
pub const MAX_LIST_VALUE_BYTES: usize = 256;

/// List names are lowercase words: `disposable_domains`.
pub fn valid_list_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests;

/// The starter pack for a home-services marketplace (`packs/home-services.rules`).
pub const STARTER_PACK: &str = include_str!("../packs/home-services.rules");

/// The lists the starter pack reads: name, description, entries one a line.
pub const STARTER_LISTS: [(&str, &str, &str); 1] = [(
    "disposable_domains",
    "Email domains of throwaway mail services",
    include_str!("../packs/disposable_domains.txt"),
)];
