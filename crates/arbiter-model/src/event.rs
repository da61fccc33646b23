//! Marketplace events (SPEC.md §1): parsed from JSON, validated field by field, kept verbatim.

use crate::{Currency, Market, Money};
use serde_json::{Map, Value};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest id accepted for events, users and tasks.
const MAX_ID_CHARS: usize = 128;
/// Longest event type name.
const MAX_TYPE_CHARS: usize = 64;
/// Earliest `occurred_at` accepted: 1970-01-01T00:00:00Z.
pub const EARLIEST_OCCURRED_AT: &str = "1970-01-01T00:00:00Z";
/// `occurred_at` must be before 2201-01-01T00:00:00Z: the years 1970 to 2200, in UTC. A year 0
/// or 9999 is a bug of the sender, and times outside this range do not fit every store.
pub const OCCURRED_BEFORE: &str = "2201-01-01T00:00:00Z";
const EARLIEST_UNIX: i64 = 0;
const BEFORE_UNIX: i64 = 7_289_654_400;

/// Why an event was refused: the field at fault and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    /// Dotted path of the field, e.g. `amount.minor` or `data.rating`; empty for the whole event.
    pub field: String,
    pub message: String,
}

impl EventError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> EventError {
        EventError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

impl std::error::Error for EventError {}

/// Validates an identifier: 1–128 characters, no white space or control characters.
fn parse_identifier(field: &str, value: &str) -> Result<String, EventError> {
    let chars = value.chars().count();
    if chars == 0 {
        return Err(EventError::new(field, "must not be empty"));
    }
    if chars > MAX_ID_CHARS {
        return Err(EventError::new(
            field,
            format!("is {chars} characters long; at most {MAX_ID_CHARS} are allowed"),
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(EventError::new(
            field,
            format!("must not contain white space or control characters (found {c:?})"),
        ));
    }
    Ok(value.to_owned())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier of 1–128 characters without white space.
            pub fn parse(value: &str) -> Result<$name, String> {
                parse_identifier("", value).map($name).map_err(|e| e.message)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// An event's id: its idempotency key. The same id sent twice is stored once.
    EventId
);
identifier!(
    /// A marketplace user (Client or Tasker) or a staff or system actor.
    UserId
);

/// An event type such as `claim.filed`: lower-case dotted words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventType(String);

impl EventType {
    pub fn parse(value: &str) -> Result<EventType, String> {
        let well_formed = !value.is_empty()
            && value.len() <= MAX_TYPE_CHARS
            && value.split('.').count() >= 2
            && value.split('.').all(|word| {
                word.starts_with(|c: char| c.is_ascii_lowercase())
                    && word
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
        if well_formed {
            Ok(EventType(value.to_owned()))
        } else {
            Err(format!(
                "{value:?} is not an event type: expected lower-case dotted words such as \"claim.filed\" (at most {MAX_TYPE_CHARS} characters)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part a person plays in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartyRole {
    Client,
    Tasker,
    Staff,
    System,
}

impl PartyRole {
    pub const ALL: [PartyRole; 4] = [
        PartyRole::Client,
        PartyRole::Tasker,
        PartyRole::Staff,
        PartyRole::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Client => "client",
            PartyRole::Tasker => "tasker",
            PartyRole::Staff => "staff",
            PartyRole::System => "system",
        }
    }

    pub fn parse(value: &str) -> Result<PartyRole, String> {
        PartyRole::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| {
                format!("{value:?} is not a role; expected \"client\", \"tasker\", \"staff\" or \"system\"")
            })
    }
}

/// Who acted, or who the event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Party {
    pub id: UserId,
    pub role: PartyRole,
}

/// A validated marketplace event. `raw` is the event exactly as received, unknown fields included.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub event_type: EventType,
    pub occurred_at: OffsetDateTime,
    pub market: Market,
    pub actor: Party,
    pub subject: Option<Party>,
    pub task_id: Option<String>,
    pub amount: Option<Money>,
    pub raw: String,
}

/// A refusal that still knows the event's id when it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedEvent {
    pub id: Option<String>,
    pub error: EventError,
}

impl Event {
    /// Parses one event from its JSON text, validating every field SPEC.md §1 names.
    pub fn parse(text: &str) -> Result<Event, RefusedEvent> {
        Event::parse_with_object(text).map(|(event, _)| event)
    }

    /// Parses one event and also returns its JSON object, for readers of `data.*` (rules).
    /// The returned object holds what readers of fields beyond the typed ones need: `data`.
    pub fn parse_with_object(text: &str) -> Result<(Event, Map<String, Value>), RefusedEvent> {
        if let Some(parsed) = Event::parse_valid(text) {
            return Ok(parsed);
        }
        let object: Map<String, Value> = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => object,
            Ok(other) => {
                return Err(RefusedEvent {
                    id: None,
                    error: EventError::new(
                        "",
                        format!("an event must be a JSON object, not {}", json_kind(&other)),
                    ),
                });
            }
            Err(e) => {
                return Err(RefusedEvent {
                    id: None,
                    error: EventError::new("", format!("malformed JSON: {e}")),
                });
            }
        };
        let id_hint = object.get("id").and_then(Value::as_str).map(str::to_owned);
        match Event::from_object(&object, text.trim()) {
            Ok(event) => Ok((event, object)),
            Err(error) => Err(RefusedEvent { id: id_hint, error }),
        }
    }

    /// The fast path for the common case, a valid event: fields are read straight into their
    /// types and only `data` becomes a JSON map. Anything unusual (a field of the wrong type,
    /// a repeated key, a value the checks refuse) returns `None`, and the general path above
    /// reads the event again to say exactly what is wrong, so both paths accept the same events
    /// and refuse them with the same messages.
    fn parse_valid(text: &str) -> Option<(Event, Map<String, Value>)> {
        use std::borrow::Cow;
        #[derive(serde::Deserialize)]
        struct Wire<'a> {
            #[serde(borrow)]
            id: Option<Cow<'a, str>>,
            #[serde(rename = "type", borrow)]
            kind: Option<Cow<'a, str>>,
            #[serde(borrow)]
            occurred_at: Option<Cow<'a, str>>,
            #[serde(borrow)]
            market: Option<Cow<'a, str>>,
            #[serde(borrow)]
            actor: Option<WireParty<'a>>,
            #[serde(borrow)]
            subject: Option<WireParty<'a>>,
            #[serde(borrow)]
            task_id: Option<Cow<'a, str>>,
            #[serde(borrow)]
            amount: Option<WireMoney<'a>>,
            data: Option<Map<String, Value>>,
        }
        #[derive(serde::Deserialize)]
        struct WireParty<'a> {
            #[serde(borrow)]
            id: Option<Cow<'a, str>>,
            #[serde(borrow)]
            role: Option<Cow<'a, str>>,
        }
        #[derive(serde::Deserialize)]
        struct WireMoney<'a> {
            minor: Option<i64>,
            #[serde(borrow)]
            currency: Option<Cow<'a, str>>,
        }
        let party = |p: WireParty<'_>, id_field: &str| -> Option<Party> {
            Some(Party {
                id: UserId(parse_identifier(id_field, p.id?.as_ref()).ok()?),
                role: PartyRole::parse(p.role?.as_ref()).ok()?,
            })
        };
        let wire: Wire<'_> = serde_json::from_str(text).ok()?;
        let event = Event {
            id: EventId(parse_identifier("id", wire.id?.as_ref()).ok()?),
            event_type: EventType::parse(wire.kind?.as_ref()).ok()?,
            occurred_at: parse_occurred_at(wire.occurred_at?.as_ref()).ok()?,
            market: Market::parse(wire.market?.as_ref()).ok()?,
            actor: party(wire.actor?, "actor.id")?,
            subject: match wire.subject {
                Some(p) => Some(party(p, "subject.id")?),
                None => None,
            },
            task_id: match wire.task_id {
                Some(t) => Some(parse_identifier("task_id", t.as_ref()).ok()?),
                None => None,
            },
            amount: match wire.amount {
                Some(m) => Some(Money {
                    minor: m.minor?,
                    currency: Currency::parse(m.currency?.as_ref()).ok()?,
                }),
                None => None,
            },
            raw: text.trim().to_owned(),
        };
        check_core_type(&event, wire.data.as_ref()).ok()?;
        let mut object = Map::new();
        if let Some(data) = wire.data {
            object.insert("data".to_owned(), Value::Object(data));
        }
        Some((event, object))
    }

    fn from_object(object: &Map<String, Value>, raw: &str) -> Result<Event, EventError> {
        let id = EventId(parse_identifier("id", required_str(object, "id")?)?);
        let event_type = EventType::parse(required_str(object, "type")?)
            .map_err(|m| EventError::new("type", m))?;
        let occurred_at = parse_occurred_at(required_str(object, "occurred_at")?)?;
        let market = Market::parse(required_str(object, "market")?)
            .map_err(|m| EventError::new("market", m))?;
        let actor = match present(object, "actor") {
            Some(value) => parse_party("actor", value)?,
            None => return Err(EventError::new("actor", "is required")),
        };
        let subject = present(object, "subject")
            .map(|v| parse_party("subject", v))
            .transpose()?;
        let task_id = optional_str(object, "task_id")?
            .map(|t| parse_identifier("task_id", t))
            .transpose()?;
        let amount = present(object, "amount").map(parse_money).transpose()?;
        let data = match present(object, "data") {
            None => None,
            Some(Value::Object(data)) => Some(data),
            Some(other) => {
                return Err(EventError::new(
                    "data",
                    format!("must be an object, not {}", json_kind(other)),
                ));
            }
        };
        let event = Event {
            id,
            event_type,
            occurred_at,
            market,
            actor,
            subject,
            task_id,
            amount,
            raw: raw.to_owned(),
        };
        check_core_type(&event, data)?;
        Ok(event)
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A field's value, treating an explicit `null` as absent.
fn present<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|v| !v.is_null())
}

fn optional_str<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, EventError> {
    match present(object, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(EventError::new(
            key,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

fn required_str<'a>(object: &'a Map<String, Value>, key: &str) -> Result<&'a str, EventError> {
    optional_str(object, key)?.ok_or_else(|| EventError::new(key, "is required"))
}

fn parse_timestamp(field: &str, value: &str) -> Result<OffsetDateTime, EventError> {
    if let Some(at) = parse_utc_timestamp(value) {
        return Ok(at);
    }
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        EventError::new(
            field,
            format!("{value:?} is not an RFC 3339 timestamp such as \"2026-10-03T14:22:05Z\""),
        )
    })
}

/// `occurred_at`: an RFC 3339 timestamp from 1970 to 2200 (UTC).
fn parse_occurred_at(value: &str) -> Result<OffsetDateTime, EventError> {
    let at = parse_timestamp("occurred_at", value)?;
    if (EARLIEST_UNIX..BEFORE_UNIX).contains(&at.unix_timestamp()) {
        Ok(at)
    } else {
        Err(EventError::new(
            "occurred_at",
            format!(
                "{value:?} is out of range: an event occurs from {EARLIEST_OCCURRED_AT} to before {OCCURRED_BEFORE}"
            ),
        ))
    }
}

/// The common form, `2026-10-03T14:22:05Z` with optional fractional seconds, read directly:
/// it is most of every event's parsing time otherwise. Anything else goes to the full parser.
fn parse_utc_timestamp(value: &str) -> Option<OffsetDateTime> {
    let b = value.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || *b.last()? != b'Z'
    {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            let n = fraction.iter().try_fold(0u32, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })?;
            n * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(8..10)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms_nano(
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(14..16)?).ok()?,
        u8::try_from(digits(17..19)?).ok()?,
        nanos,
    )
    .ok()?;
    Some(date.with_time(clock).assume_utc())
}

fn parse_party(field: &str, value: &Value) -> Result<Party, EventError> {
    let Value::Object(object) = value else {
        return Err(EventError::new(
            field,
            format!(
                "must be an object with \"id\" and \"role\", not {}",
                json_kind(value)
            ),
        ));
    };
    // Field names for messages, without allocating on the path where nothing is wrong.
    let (id_field, role_field) = match field {
        "actor" => ("actor.id", "actor.role"),
        _ => ("subject.id", "subject.role"),
    };
    let id = match present(object, "id") {
        Some(Value::String(id)) => UserId(parse_identifier(id_field, id)?),
        Some(other) => {
            return Err(EventError::new(
                id_field,
                format!("must be a string, not {}", json_kind(other)),
            ));
        }
        None => return Err(EventError::new(id_field, "is required")),
    };
    let role = match present(object, "role") {
        Some(Value::String(role)) => {
            PartyRole::parse(role).map_err(|m| EventError::new(role_field, m))?
        }
        Some(other) => {
            return Err(EventError::new(
                role_field,
                format!("must be a string, not {}", json_kind(other)),
            ));
        }
        None => return Err(EventError::new(role_field, "is required")),
    };
    Ok(Party { id, role })
}

fn parse_money(value: &Value) -> Result<Money, EventError> {
    let Value::Object(object) = value else {
        return Err(EventError::new(
            "amount",
            format!(
                "must be an object such as {{\"minor\": 12500, \"currency\": \"USD\"}}, not {}",
                json_kind(value)
            ),
        ));
    };
    let minor = match present(object, "minor") {
        Some(Value::Number(n)) => match whole_number(n) {
            Some(minor) => minor,
            None if n.as_f64().is_some_and(|f| f.fract() != 0.0) => {
                return Err(EventError::new(
                    "amount.minor",
                    format!(
                        "{n} is not an integer: money is an integer number of minor units (cents), never a float"
                    ),
                ));
            }
            None => {
                return Err(EventError::new(
                    "amount.minor",
                    format!("{n} is out of range for a 64-bit amount"),
                ));
            }
        },
        Some(other) => {
            return Err(EventError::new(
                "amount.minor",
                format!(
                    "must be an integer number of minor units, not {}",
                    json_kind(other)
                ),
            ));
        }
        None => return Err(EventError::new("amount.minor", "is required")),
    };
    let currency = match present(object, "currency") {
        Some(Value::String(code)) => {
            Currency::parse(code).map_err(|m| EventError::new("amount.currency", m))?
        }
        Some(other) => {
            return Err(EventError::new(
                "amount.currency",
                format!("must be a string, not {}", json_kind(other)),
            ));
        }
        None => return Err(EventError::new("amount.currency", "is required")),
    };
    Ok(Money { minor, currency })
}

/// Largest magnitude a number written with a point holds exactly: 2^53.
const EXACT_DOUBLE: f64 = 9_007_199_254_740_992.0;

/// An integer as JSON has it: `20` or `20.0` (JSON Schema and JavaScript make no difference).
/// A fraction is none, and so is a number past the 64-bit range; one written with a point
/// counts only up to 2^53, beyond which a double is no longer exact.
fn whole_number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT_DOUBLE)
            .map(|f| f as i64)
    })
}

/// What SPEC.md §1 requires of each core event type beyond the common fields.
struct CoreType {
    name: &'static str,
    needs_task: bool,
    needs_subject: bool,
    needs_amount: bool,
    /// `data` fields that must be present, each with its check.
    required_data: &'static [(&'static str, DataCheck)],
    /// `data` fields that are checked when present.
    optional_data: &'static [(&'static str, DataCheck)],
}

#[derive(Clone, Copy)]
enum DataCheck {
    Text,
    Timestamp,
    Number,
    OneOf(&'static [&'static str]),
    IntegerBetween(i64, i64),
}

#[rustfmt::skip]
const CORE_TYPES: &[CoreType] = &[
    CoreType { name: "user.signed_up", needs_task: false, needs_subject: false, needs_amount: false, required_data: &[], optional_data: &[("email_domain", DataCheck::Text), ("phone_country", DataCheck::Text), ("device_id", DataCheck::Text), ("ip", DataCheck::Text)] },
    CoreType { name: "user.verified", needs_task: false, needs_subject: false, needs_amount: false, required_data: &[("method", DataCheck::OneOf(&["id_document", "background_check", "phone"]))], optional_data: &[] },
    CoreType { name: "task.posted", needs_task: true, needs_subject: false, needs_amount: false, required_data: &[], optional_data: &[("category", DataCheck::Text)] },
    CoreType { name: "task.booked", needs_task: true, needs_subject: true, needs_amount: true, required_data: &[], optional_data: &[("category", DataCheck::Text), ("starts_at", DataCheck::Timestamp)] },
    CoreType { name: "task.completed", needs_task: true, needs_subject: false, needs_amount: true, required_data: &[], optional_data: &[("category", DataCheck::Text)] },
    CoreType { name: "task.cancelled", needs_task: true, needs_subject: false, needs_amount: false, required_data: &[("by", DataCheck::OneOf(&["client", "tasker"]))], optional_data: &[("hours_before_start", DataCheck::Number), ("reason", DataCheck::Text)] },
    CoreType { name: "task.no_show", needs_task: true, needs_subject: true, needs_amount: false, required_data: &[], optional_data: &[] },
    CoreType { name: "message.sent", needs_task: false, needs_subject: true, needs_amount: false, required_data: &[("text", DataCheck::Text)], optional_data: &[("thread_id", DataCheck::Text)] },
    CoreType { name: "payment.captured", needs_task: false, needs_subject: false, needs_amount: true, required_data: &[], optional_data: &[] },
    CoreType { name: "payment.refunded", needs_task: false, needs_subject: false, needs_amount: true, required_data: &[], optional_data: &[("reason", DataCheck::Text)] },
    CoreType { name: "payment.chargeback", needs_task: false, needs_subject: false, needs_amount: true, required_data: &[], optional_data: &[("reason_code", DataCheck::Text)] },
    CoreType { name: "review.posted", needs_task: false, needs_subject: true, needs_amount: false, required_data: &[("rating", DataCheck::IntegerBetween(1, 5))], optional_data: &[("text", DataCheck::Text)] },
    CoreType { name: "report.filed", needs_task: false, needs_subject: true, needs_amount: false, required_data: &[], optional_data: &[("category", DataCheck::Text), ("text", DataCheck::Text)] },
    CoreType { name: "claim.filed", needs_task: false, needs_subject: false, needs_amount: true, required_data: &[("kind", DataCheck::OneOf(&["property_damage", "injury", "theft", "other"]))], optional_data: &[("incident_at", DataCheck::Timestamp), ("description", DataCheck::Text)] },
];

fn check_core_type(event: &Event, data: Option<&Map<String, Value>>) -> Result<(), EventError> {
    let Some(core) = CORE_TYPES
        .iter()
        .find(|t| t.name == event.event_type.as_str())
    else {
        return Ok(()); // Other types are stored as they come.
    };
    let needs = |what: &str| EventError::new(what, format!("is required for {} events", core.name));
    if core.needs_task && event.task_id.is_none() {
        return Err(needs("task_id"));
    }
    if core.needs_subject && event.subject.is_none() {
        return Err(needs("subject"));
    }
    if core.needs_amount && event.amount.is_none() {
        return Err(needs("amount"));
    }
    if let Some(amount) = event.amount
        && amount.minor < 0
    {
        return Err(EventError::new(
            "amount.minor",
            format!(
                "must not be negative for {} events (got {})",
                core.name, amount.minor
            ),
        ));
    }
    let empty = Map::new();
    let data = data.unwrap_or(&empty);
    for (key, check) in core.required_data {
        match present(data, key) {
            Some(value) => check_data(key, *check, value)?,
            None => return Err(needs(&format!("data.{key}"))),
        }
    }
    for (key, check) in core.optional_data {
        if let Some(value) = present(data, key) {
            check_data(key, *check, value)?;
        }
    }
    Ok(())
}

fn check_data(key: &str, check: DataCheck, value: &Value) -> Result<(), EventError> {
    let field = || format!("data.{key}");
    let wrong = |expected: &str| {
        EventError::new(
            field(),
            format!("must be {expected}, not {}", json_kind(value)),
        )
    };
    match check {
        DataCheck::Text => value.as_str().map(|_| ()).ok_or_else(|| wrong("a string")),
        DataCheck::Number => value.as_f64().map(|_| ()).ok_or_else(|| wrong("a number")),
        DataCheck::Timestamp => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong("an RFC 3339 timestamp string"))?;
            parse_timestamp(&field(), text).map(|_| ())
        }
        DataCheck::OneOf(allowed) => {
            let text = value.as_str().ok_or_else(|| wrong("a string"))?;
            if allowed.contains(&text) {
                Ok(())
            } else {
                Err(EventError::new(
                    field(),
                    format!("{text:?} is not one of {}", quoted_list(allowed)),
                ))
            }
        }
        DataCheck::IntegerBetween(low, high) => match value.as_number().and_then(whole_number) {
            Some(n) if (low..=high).contains(&n) => Ok(()),
            _ => Err(EventError::new(
                field(),
                format!("must be an integer from {low} to {high}, got {value}"),
            )),
        },
    }
}

/// What [`parse_identifier`] accepts, as a regular expression (ECMA 262 and Python agree on
/// it): 1–128 characters, none of them white space (Unicode `White_Space`) or a control.
pub const IDENTIFIER_PATTERN: &str =
    r"^[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]{1,128}$";
/// What [`EventType::parse`] accepts, beside its length (at most 64).
pub const EVENT_TYPE_PATTERN: &str = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$";

/// Event types of three words or more: never a core type.
const OTHER_EVENT_TYPE_PATTERN: &str = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$";

/// The event contract (SPEC.md §1) as a JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it),
/// built from the tables [`Event::parse`] checks against, so the two cannot drift apart.
/// Core types add their own requirements (one `anyOf` variant each); `occurred_at` must also be
/// from 1970 to 2200, which the description states.
pub fn event_schema() -> Value {
    use serde_json::json;
    let roles: Vec<&str> = PartyRole::ALL.iter().map(|r| r.as_str()).collect();
    let party = json!({
        "type": "object",
        "required": ["id", "role"],
        "properties": {
            "id": {"type": "string", "pattern": IDENTIFIER_PATTERN},
            "role": {"type": "string", "enum": roles}
        }
    });
    let money = json!({
        "type": "object",
        "description": "Minor units of an active ISO 4217 currency: {\"minor\": 12500, \"currency\": \"USD\"}.",
        "required": ["minor", "currency"],
        "properties": {
            "minor": {"type": "integer", "format": "int64"},
            "currency": {"type": "string", "enum": crate::currency_codes().collect::<Vec<_>>()}
        }
    });
    let check = |check: DataCheck, nullable: bool| -> Value {
        let mut schema = match check {
            DataCheck::Text => json!({"type": "string"}),
            DataCheck::Timestamp => json!({"type": "string", "format": "date-time"}),
            DataCheck::Number => json!({"type": "number"}),
            DataCheck::OneOf(allowed) => json!({"type": "string", "enum": allowed}),
            DataCheck::IntegerBetween(low, high) => {
                json!({"type": "integer", "minimum": low, "maximum": high})
            }
        };
        if nullable {
            schema = json!({"anyOf": [schema, {"type": "null"}]});
        }
        schema
    };
    let mut variants: Vec<Value> = CORE_TYPES
        .iter()
        .map(|core| {
            let mut required = Vec::new();
            let mut properties = Map::new();
            if core.needs_task {
                required.push("task_id");
                properties.insert("task_id".into(), json!({"type": "string"}));
            }
            if core.needs_subject {
                required.push("subject");
                properties.insert("subject".into(), json!({"type": "object"}));
            }
            if core.needs_amount {
                required.push("amount");
            }
            properties.insert(
                "amount".into(),
                if core.needs_amount {
                    json!({"type": "object", "properties": {"minor": {"minimum": 0}}})
                } else {
                    json!({"anyOf": [
                        {"type": "object", "properties": {"minor": {"minimum": 0}}},
                        {"type": "null"}
                    ]})
                },
            );
            let mut data_properties = Map::new();
            for (key, c) in core.required_data {
                data_properties.insert((*key).into(), check(*c, false));
            }
            for (key, c) in core.optional_data {
                data_properties.insert((*key).into(), check(*c, true));
            }
            let data_required: Vec<&str> = core.required_data.iter().map(|(k, _)| *k).collect();
            if data_required.is_empty() {
                properties.insert(
                    "data".into(),
                    json!({"anyOf": [
                        {"type": "object", "properties": data_properties},
                        {"type": "null"}
                    ]}),
                );
            } else {
                required.push("data");
                properties.insert(
                    "data".into(),
                    json!({"type": "object", "required": data_required, "properties": data_properties}),
                );
            }
            properties.insert("type".into(), json!({"const": core.name}));
            json!({"required": required, "properties": properties})
        })
        .collect();
    // Any other type is stored as it comes. Without `not` (which generators of test data
    // handle poorly), the variant shows them with three words or more, which no core type
    // has; two-word types beyond the core ones are accepted too.
    variants.push(json!({
        "properties": {"type": {"pattern": OTHER_EVENT_TYPE_PATTERN}}
    }));
    json!({
        "type": "object",
        "description": "A marketplace event (SPEC.md §1). Unknown fields are kept; `null` counts as absent.",
        "required": ["id", "type", "occurred_at", "market", "actor"],
        "properties": {
            "id": {"type": "string", "pattern": IDENTIFIER_PATTERN, "description": "The idempotency key: 1–128 characters, no white space or control characters."},
            "type": {"type": "string", "pattern": EVENT_TYPE_PATTERN, "maxLength": MAX_TYPE_CHARS, "description": "Lower-case dotted words, e.g. `claim.filed`. Core types have requirements of their own."},
            "occurred_at": {"type": "string", "format": "date-time", "description": format!("RFC 3339, from {EARLIEST_OCCURRED_AT} to before {OCCURRED_BEFORE} (the years 1970 to 2200, UTC); outside that range the event is refused (422 from `POST /v1/decisions`, a rejection naming `occurred_at` in a batch).")},
            "market": {"type": "string", "enum": crate::market_codes().collect::<Vec<_>>(), "description": "ISO 3166-1 alpha-2."},
            "actor": party,
            "subject": {"anyOf": [party, {"type": "null"}]},
            "task_id": {"type": ["string", "null"], "pattern": IDENTIFIER_PATTERN},
            "amount": {"anyOf": [money, {"type": "null"}]},
            "data": {"type": ["object", "null"]}
        },
        "anyOf": variants
    })
}

impl EventError {
    /// Whether the event is well formed but its `occurred_at` is outside 1970 to 2200.
    pub fn is_out_of_range(&self) -> bool {
        self.field == "occurred_at" && self.message.contains("is out of range")
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = r#"{"id":"evt_000001","type":"claim.filed","occurred_at":"2026-10-03T14:22:05Z","market":"US","actor":{"id":"u_17","role":"client"},"subject":{"id":"u_42","role":"tasker"},"task_id":"t_9001","amount":{"minor":45000,"currency":"USD"},"data":{"kind":"property_damage","incident_at":"2026-10-01T10:00:00Z","description":"..."},"channel":"app"}"#;

    #[test]
    fn the_fast_path_accepts_what_the_general_path_accepts() {
        // Valid events, plain and unusual, come out the same whichever path reads them.
        for text in [
            CLAIM,
            r#"{"id":"e1","type":"custom.thing","occurred_at":"2026-10-03T14:22:05+02:00","market":"FR","actor":{"id":"u\u0031","role":"system"},"subject":null,"data":{"nested":{"a":[1,2]}},"extra":true}"#,
            r#"{"id":"e2","type":"payment.captured","occurred_at":"2026-10-03T14:22:05Z","market":"DE","actor":{"id":"s","role":"system"},"amount":{"minor":0,"currency":"EUR"}}"#,
        ] {
            let fast = Event::parse_valid(text);
            let object: Map<String, Value> = serde_json::from_str(text).unwrap();
            let general = Event::from_object(&object, text.trim()).unwrap();
            let (event, data) = fast.expect("the fast path reads a valid event");
            assert_eq!(event, general);
            assert_eq!(data.get("data"), object.get("data"));
        }
        // What the fast path declines goes to the general path, which names the fault.
        for (text, field) in [
            (
                r#"{"id":1,"type":"custom.thing","occurred_at":"2026-10-03T14:22:05Z","market":"US","actor":{"id":"a","role":"client"}}"#,
                "id",
            ),
            (
                r#"{"id":"a","id":"b","type":"custom.thing","occurred_at":"2026-10-03T14:22:05Z","market":"US","actor":{"id":"a","role":"client"}}"#,
                "",
            ),
            (
                r#"{"id":"a","type":"custom.thing","occurred_at":"2026-10-03T14:22:05Z","market":"US","actor":{"id":"a","role":"client"},"amount":{"minor":1.5,"currency":"USD"}}"#,
                "amount.minor",
            ),
            (
                r#"{"id":"a","type":"custom.thing","occurred_at":"2026-10-03T14:22:05Z","market":"US","actor":{"id":"a","role":"client"},"data":5}"#,
                "data",
            ),
        ] {
            assert!(Event::parse_valid(text).is_none(), "{text}");
            match Event::parse(text) {
                Err(refused) => assert_eq!(refused.error.field, field, "{text}"),
                Ok(_) if field.is_empty() => {} // a repeated key: the general path keeps the last
                Ok(event) => panic!("accepted {event:?}"),
            }
        }
    }

    #[test]
    fn the_fast_timestamp_path_agrees_with_the_full_parser() {
        for text in [
            "2026-10-03T14:22:05Z",
            "2026-10-03T14:22:05.5Z",
            "2026-10-03T14:22:05.123456789Z",
            "2024-02-29T00:00:00Z",
            "1999-12-31T23:59:59Z",
        ] {
            assert_eq!(
                parse_utc_timestamp(text),
                OffsetDateTime::parse(text, &Rfc3339).ok(),
                "{text}"
            );
        }
        for text in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-10-03T24:00:00Z",
            "2026-10-03T14:22:05+02:00",
            "2026-10-03 14:22:05Z",
            "2026-10-03T14:22:05.Z",
            "２026-10-03T14:22:05Z",
        ] {
            assert_eq!(parse_utc_timestamp(text), None, "{text}");
        }
        // What the fast path declines still parses in full.
        assert!(parse_timestamp("x", "2026-10-03T14:22:05+02:00").is_ok());
        assert!(parse_timestamp("x", "2026-02-30T00:00:00Z").is_err());
    }

    fn refuse(text: &str) -> RefusedEvent {
        Event::parse(text).expect_err("must be refused")
    }

    fn with(field: &str, value: &str) -> String {
        let mut v: Value = serde_json::from_str(CLAIM).unwrap();
        let mut target = &mut v;
        let parts: Vec<&str> = field.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            target = target.get_mut(*part).unwrap();
        }
        let last = parts[parts.len() - 1];
        if value == "<absent>" {
            target.as_object_mut().unwrap().remove(last);
        } else {
            target[last] = serde_json::from_str(value).unwrap();
        }
        v.to_string()
    }

    #[test]
    fn the_spec_example_parses_and_keeps_unknown_fields() {
        let event = Event::parse(CLAIM).unwrap();
        assert_eq!(event.id.as_str(), "evt_000001");
        assert_eq!(event.event_type.as_str(), "claim.filed");
        assert_eq!(event.market.as_str(), "US");
        assert_eq!(event.actor.role, PartyRole::Client);
        assert_eq!(event.subject.as_ref().unwrap().id.as_str(), "u_42");
        assert_eq!(event.amount.unwrap().to_string(), "450.00 USD");
        assert!(event.raw.contains(r#""channel":"app""#));
    }

    #[test]
    fn each_broken_field_is_named() {
        let cases = [
            ("id", "<absent>", "id", "is required"),
            ("id", r#""""#, "id", "must not be empty"),
            (
                "id",
                &format!("\"{}\"", "x".repeat(129)),
                "id",
                "at most 128",
            ),
            ("id", "17", "id", "must be a string"),
            ("type", r#""Claim Filed""#, "type", "lower-case dotted"),
            ("occurred_at", r#""yesterday""#, "occurred_at", "RFC 3339"),
            (
                "occurred_at",
                r#""0000-01-01T00:00:00Z""#,
                "occurred_at",
                "out of range",
            ),
            (
                "occurred_at",
                r#""9999-12-31T23:59:59Z""#,
                "occurred_at",
                "out of range",
            ),
            (
                "occurred_at",
                r#""1970-01-01T00:30:00+01:00""#,
                "occurred_at",
                "out of range",
            ),
            (
                "occurred_at",
                r#""2201-01-01T00:00:00Z""#,
                "occurred_at",
                "out of range",
            ),
            ("market", r#""XX""#, "market", "ISO 3166-1"),
            ("actor", "<absent>", "actor", "is required"),
            ("actor.role", r#""admin""#, "actor.role", "not a role"),
            ("subject.id", "42", "subject.id", "must be a string"),
            ("amount.minor", "450.5", "amount.minor", "never a float"),
            ("amount.minor", "-1", "amount.minor", "must not be negative"),
            ("amount.currency", r#""ZZZ""#, "amount.currency", "ISO 4217"),
            ("amount", "<absent>", "amount", "required for claim.filed"),
            ("data.kind", r#""lost_cat""#, "data.kind", "is not one of"),
            (
                "data.kind",
                "<absent>",
                "data.kind",
                "required for claim.filed",
            ),
            (
                "data.incident_at",
                r#""soon""#,
                "data.incident_at",
                "RFC 3339",
            ),
            ("data", "[]", "data", "must be an object"),
        ];
        for (field, value, expected_field, expected_text) in cases {
            let refused = refuse(&with(field, value));
            assert_eq!(refused.error.field, expected_field, "{field}={value}");
            assert!(
                refused.error.message.contains(expected_text),
                "{field}={value}: {}",
                refused.error
            );
        }
    }

    #[test]
    fn whole_numbers_written_with_a_point_are_integers() {
        let event = Event::parse(&with("amount.minor", "45000.0")).unwrap();
        assert_eq!(event.amount.unwrap().minor, 45_000);
        let review = r#"{"id":"r","type":"review.posted","occurred_at":"2026-10-03T14:22:05Z","market":"DE","actor":{"id":"a","role":"client"},"subject":{"id":"b","role":"tasker"},"data":{"rating":4.0}}"#;
        assert!(Event::parse(review).is_ok());
        assert!(Event::parse(&review.replace("4.0", "4.5")).is_err());
        for huge in [
            "-9223372036854775809",
            "9223372036854775808",
            "1e19",
            "9007199254740994.0",
        ] {
            let refused = refuse(&with("amount.minor", huge));
            assert!(
                refused.error.message.contains("out of range"),
                "{huge}: {}",
                refused.error
            );
        }
    }

    #[test]
    fn occurred_at_spans_1970_to_2200() {
        for at in [
            "1970-01-01T00:00:00Z",
            "2200-12-31T23:59:59.999999Z",
            "2201-01-01T00:59:00+01:00",
        ] {
            let text = with("occurred_at", &format!("\"{at}\""));
            assert!(Event::parse(&text).is_ok(), "{at}");
        }
        assert_eq!(
            time::OffsetDateTime::parse(OCCURRED_BEFORE, &Rfc3339)
                .unwrap()
                .unix_timestamp(),
            BEFORE_UNIX
        );
    }

    #[test]
    fn refusals_keep_the_id_when_it_can_be_read() {
        assert_eq!(
            refuse(&with("market", r#""XX""#)).id.as_deref(),
            Some("evt_000001")
        );
        assert_eq!(refuse("{nope").id, None);
        assert!(
            refuse("[1]")
                .error
                .message
                .contains("must be a JSON object")
        );
    }

    #[test]
    fn other_types_are_accepted_with_the_common_fields() {
        let text = r#"{"id":"e1","type":"badge.awarded","occurred_at":"2026-10-03T14:22:05+02:00","market":"FR","actor":{"id":"sys","role":"system"},"data":{"anything":[1,2]}}"#;
        let event = Event::parse(text).unwrap();
        assert_eq!(
            crate::format_rfc3339(event.occurred_at),
            "2026-10-03T12:22:05Z"
        );
    }

    #[test]
    fn review_ratings_are_integers_from_one_to_five() {
        let review = |rating: &str| {
            format!(
                r#"{{"id":"r","type":"review.posted","occurred_at":"2026-10-03T14:22:05Z","market":"DE","actor":{{"id":"a","role":"client"}},"subject":{{"id":"b","role":"tasker"}},"data":{{"rating":{rating}}}}}"#
            )
        };
        assert!(Event::parse(&review("5")).is_ok());
        for bad in ["0", "6", "4.5", "\"5\""] {
            assert_eq!(refuse(&review(bad)).error.field, "data.rating", "{bad}");
        }
    }
}
