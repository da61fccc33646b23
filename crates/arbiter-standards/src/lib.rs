//! Arbiter's standards program, as a pure library: standards read from the policy library,
//! violations and their strike points, the enforcement ladder (`ladder.toml`), a member's
//! standing and the transitions a service emits, EU DSA Article 17 statements of reasons and
//! the scrubber that keeps personal data out of them. `docs/standards.md` describes the file
//! formats and the DSA mapping.
//!
//! Architecture invariant: no I/O, no clock, no async. Records and time are passed in; the
//! same records give the same answer.
//!
//! The flow, as a service drives it:
//!
//! 1. [`parse_standards`] (or [`standards_of`]) reads each `standard` document of the library
//!    into [`Standard`]s; [`Standards`] looks them up by clause.
//! 2. [`Violation::from_rule`], [`Violation::from_case`] and [`Violation::by_hand`] turn a
//!    rule's `violation("STD-… §…")`, a case decision or a staff entry into a [`Violation`],
//!    refusing a clause that is not a standard; [`dedupe`] counts the same evidence once.
//! 3. [`check`] reads `ladder.toml` into a [`Ladder`]; [`standing`] computes a member's
//!    [`Standing`] at a moment, and [`transitions`] the actions started and ended between two
//!    moments, each with a key to emit it once on the `enforcement` topic.
//! 4. [`statement_of_reasons`] builds the DSA statement for an action in an EU/EEA market,
//!    [`validate`] checks one as the Transparency Database does, and [`batches`] groups them
//!    1–100 per call.
//! 5. [`file_appeal`] and [`decide_appeal`] apply the appeal rules; an outcome comes back as
//!    [`Override`]s for [`standing`].
//!
//! ```
//! use arbiter_standards::{Ladder, MemberRole, check};
//!
//! let ladder: Ladder = check("ladder.toml", arbiter_standards::DEFAULT_LADDER).unwrap();
//! let taskers_in_france = ladder.for_member(MemberRole::Tasker, "FR");
//! assert_eq!(taskers_in_france.step_for(3).unwrap().action.name(), "restriction");
//! ```

pub mod appeal;
pub mod dsa;
pub mod ladder;
mod located;
pub mod scrub;
pub mod standard;
pub mod standing;
pub mod violation;
pub mod vocabulary;

pub use appeal::{Appeal, AppealError, AppealOutcome, appeal_deadline, decide_appeal, file_appeal};
pub use dsa::{
    BatchError, FieldError, MAX_BATCH, Statement, StatementBatch, StatementInput, batches,
    decision_facts, statement_of_reasons, validate,
};
pub use ladder::{
    ActionKind, DEFAULT_LADDER, EU_MIN_APPEAL_MONTHS, Ladder, RoleLadder, Scope, Step, check,
};
pub use located::LocatedError;
pub use scrub::{personal_pattern, scrub};
pub use standard::{
    ClauseRef, DsaMapping, Ground, MemberRole, Severity, Standard, Standards, parse_standards,
    standards_of,
};
pub use standing::{
    Action, ActionId, Change, EndedEarly, Member, Override, OverrideKind, Points, Standing,
    Transition, standing, transitions,
};
pub use violation::{
    CaseFinding, Detection, Evidence, ManualViolation, RuleViolation, Subject, Violation,
    ViolationError, ViolationKey, dedupe,
};
