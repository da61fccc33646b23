//! Batches of events as they arrive over HTTP or from files: JSON Lines or a JSON array.
//!
//! Each item is judged on its own: the valid events of a batch are kept even when others are
//! refused, and every refusal says where (1-based line, or position in an array) and why.

use crate::Event;
use serde::Serialize;
use serde_json::value::RawValue;

/// One refused item of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// 1-based line of a JSON Lines input, or 1-based position in a JSON array.
    pub line: u64,
    /// The event's id, when it could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is wrong, naming the field.
    pub error: String,
}

/// What became of a batch: stored, already known, refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// Events stored by this batch.
    pub accepted: u64,
    /// Valid events whose id was already stored (or repeated within the batch): stored once.
    pub duplicates: u64,
    /// Items refused, in input order.
    pub rejected: Vec<Rejection>,
}

impl IngestReport {
    /// Adds another report's counts and refusals to this one.
    pub fn absorb(&mut self, other: IngestReport) {
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.rejected.extend(other.rejected);
    }
}

/// Parses one line of a JSON Lines input. Blank lines are skipped (`None`).
pub fn parse_ndjson_line(line: u64, text: &str) -> Option<Result<Event, Rejection>> {
    if text.trim().is_empty() {
        return None;
    }
    Some(Event::parse(text).map_err(|refused| Rejection {
        line,
        id: refused.id,
        error: refused.error.to_string(),
    }))
}

/// Parses a whole JSON Lines document, numbering lines from 1 (blank lines count but are skipped).
pub fn parse_ndjson(body: &str) -> Vec<Result<Event, Rejection>> {
    body.split('\n')
        .zip(1..)
        .filter_map(|(text, line)| parse_ndjson_line(line, text))
        .collect()
}

/// Parses a JSON array of events. A body that is not a JSON array at all is one error for the
/// whole request; once it is an array, each element is judged on its own.
pub fn parse_json_array(body: &str) -> Result<Vec<Result<Event, Rejection>>, String> {
    let items: Vec<&RawValue> = serde_json::from_str(body)
        .map_err(|e| format!("the body is not a JSON array of events: {e}"))?;
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            Event::parse(item.get()).map_err(|refused| Rejection {
                line: index as u64 + 1,
                id: refused.id,
                error: refused.error.to_string(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"id":"e1","type":"task.posted","occurred_at":"2026-10-03T14:22:05Z","market":"GB","actor":{"id":"c1","role":"client"},"task_id":"t1"}"#;

    #[test]
    fn lines_are_numbered_from_one_and_blank_lines_skipped() {
        assert!(parse_ndjson_line(1, "   ").is_none());
        assert!(parse_ndjson_line(2, GOOD).unwrap().is_ok());
        let refused = parse_ndjson_line(3, r#"{"id":"e2"}"#).unwrap().unwrap_err();
        assert_eq!(refused.line, 3);
        assert_eq!(refused.id.as_deref(), Some("e2"));
        assert_eq!(refused.error, "type: is required");
    }

    #[test]
    fn documents_are_numbered_by_physical_line() {
        let body = format!("{GOOD}\r\n\n{{}}\n");
        let items = parse_ndjson(&body);
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().line, 3);
    }

    #[test]
    fn array_items_are_judged_one_by_one() {
        let body = format!("[{GOOD}, 42, {}]", GOOD.replace("GB", "ZZ"));
        let items = parse_json_array(&body).unwrap();
        assert!(items[0].is_ok());
        assert_eq!(items[1].as_ref().unwrap_err().line, 2);
        assert!(items[2].as_ref().unwrap_err().error.starts_with("market:"));
        assert!(
            parse_json_array("{}")
                .unwrap_err()
                .contains("not a JSON array")
        );
    }
}
