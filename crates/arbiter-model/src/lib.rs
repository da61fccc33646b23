//! Arbiter's domain model: the vocabulary every other crate speaks.
//!
//! Marketplace events (SPEC.md §1), money in minor units (§2), markets and currencies, the
//! people and roles of a Trust & Safety team. Types validate on construction ("parse, don't
//! validate"): an [`EventId`], a [`Money`] or a [`Market`] cannot hold an invalid value, so the
//! rest of the system never checks them again.
//!
//! Architecture invariant: this crate does no I/O and has no async. Time is passed in as a
//! value, never read from a clock.

mod event;
mod geo;
mod ingest;
mod money;
mod roles;

pub use event::{
    EARLIEST_OCCURRED_AT, Event, EventError, EventId, EventType, OCCURRED_BEFORE, Party, PartyRole,
    RefusedEvent, UserId, event_schema,
};
pub use geo::{Currency, Market, currency_codes, market_codes};
pub use ingest::{IngestReport, Rejection, parse_json_array, parse_ndjson, parse_ndjson_line};
pub use money::Money;
pub use roles::{Permission, Role};

/// Time in microseconds since the Unix epoch, UTC: how instants are stored and compared.
pub type Micros = i64;

/// Converts an instant to [`Micros`].
pub fn to_micros(at: time::OffsetDateTime) -> Micros {
    (at.unix_timestamp_nanos() / 1_000) as Micros
}

/// Converts [`Micros`] back to an instant in UTC; `None` when out of the representable range.
pub fn from_micros(us: Micros) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).ok()
}

/// Formats [`Micros`] as RFC 3339 in UTC; the number itself when out of range.
pub fn format_micros(us: Micros) -> String {
    from_micros(us).map_or_else(|| us.to_string(), format_rfc3339)
}

/// Formats an instant as RFC 3339 in UTC, the wire format of every timestamp.
pub fn format_rfc3339(at: time::OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}
