//! The lists rules read: entries from a text or CSV file, cleaned and bounded.

/// Trims entries, drops blanks and repeats, and enforces the limits, naming the entry at fault.
pub fn clean_list_entries(
    entries: impl IntoIterator<Item = String>,
) -> Result<Vec<String>, ListError> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (n, entry) in entries.into_iter().enumerate() {
        let entry = entry.trim().to_owned();
        if entry.is_empty() {
            continue;
        }
        if entry.len() > arbiter_rules::MAX_LIST_VALUE_BYTES || entry.contains('\n') {
            return Err(ListError::Invalid(format!(
                "entry {}: longer than {} bytes or spanning lines",
                n + 1,
                arbiter_rules::MAX_LIST_VALUE_BYTES
            )));
        }
        if seen.insert(entry.clone()) {
            out.push(entry);
        }
        if out.len() > arbiter_rules::MAX_LIST_VALUES {
            return Err(ListError::TooLarge(format!(
                "a list holds at most {} entries; keep larger sets as event fields",
                arbiter_rules::MAX_LIST_VALUES
            )));
        }
    }
    Ok(out)
}

/// What is wrong with list input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListError {
    Invalid(String),
    TooLarge(String),
}

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListError::Invalid(m) | ListError::TooLarge(m) => f.write_str(m),
        }
    }
}

/// The entries of a file: its lines, or the first field of CSV records (quotes understood;
/// a first row reading `value` or `entry` is a header).
pub fn parse_list_file(text: &str, csv: bool) -> Result<Vec<String>, ListError> {
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if !csv {
            entries.push(line.to_owned());
            continue;
        }
        let field = first_csv_field(line).ok_or_else(|| {
            ListError::Invalid(format!("line {}: a quoted field is not closed", n + 1))
        })?;
        if n == 0
            && matches!(
                field.trim().to_ascii_lowercase().as_str(),
                "value" | "entry"
            )
        {
            continue;
        }
        entries.push(field);
    }
    Ok(entries)
}

fn first_csv_field(line: &str) -> Option<String> {
    let Some(rest) = line.strip_prefix('"') else {
        return Some(line.split(',').next().unwrap_or("").to_owned());
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Some(out);
            }
        } else {
            out.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_csv() {
        assert_eq!(
            parse_list_file("a\r\nb\n\nc", false).unwrap(),
            vec!["a", "b", "", "c"]
        );
        assert_eq!(
            parse_list_file(
                "value,added\nmailinator.com,2026\n\"odd, \"\"quoted\"\"\",x",
                true
            )
            .unwrap(),
            vec!["mailinator.com", "odd, \"quoted\""]
        );
        assert!(parse_list_file("\"open", true).is_err());
        assert_eq!(
            clean_list_entries(["a ".into(), "a".into(), " ".into()]).unwrap(),
            vec!["a"]
        );
        assert!(clean_list_entries(["x".repeat(300)]).is_err());
    }
}
