//! Clauses (numbered headings) and citations (`POL-PAYMENTS §3.2`) in a document's Markdown.

/// A numbered section of a document: a heading whose text starts with a number path
/// (`## 3. Payments`, `### 3.2 Refunds`), with the text up to the next clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    /// `3.2`.
    pub number: String,
    pub title: String,
    /// Heading level, 1 to 6.
    pub level: usize,
    /// Line of the heading within the body, 1-based.
    pub line: usize,
    /// The clause's own text, heading excluded, up to the next clause heading.
    pub text: String,
}

/// A reference to a document, or to one of its clauses: `POL-PAYMENTS §3.2`, `STD-COMMUNITY`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Citation {
    pub document: String,
    pub clause: Option<String>,
}

impl Citation {
    /// Reads `DOC-ID` or `DOC-ID §N.N` as a whole.
    pub fn parse(text: &str) -> Option<Citation> {
        let text = text.trim();
        let (document, clause) = match text.split_once('§') {
            Some((document, clause)) => (document.trim(), Some(clause.trim())),
            None => (text, None),
        };
        if !crate::valid_document_id(document) {
            return None;
        }
        match clause {
            Some(c) if !valid_number(c) => None,
            clause => Some(Citation {
                document: document.to_owned(),
                clause: clause.map(str::to_owned),
            }),
        }
    }

    /// Whether `other` cites what this cites or a part of it: `POL-PAYMENTS §2` covers
    /// `POL-PAYMENTS §2` and `POL-PAYMENTS §2.1`, not `§20` or `§3`; a whole document covers
    /// each of its clauses. Compared by number path, never as text.
    pub fn covers(&self, other: &Citation) -> bool {
        if self.document != other.document {
            return false;
        }
        match (&self.clause, &other.clause) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(mine), Some(theirs)) => {
                let mut theirs = theirs.split('.');
                mine.split('.').all(|part| theirs.next() == Some(part))
            }
        }
    }
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.clause {
            Some(clause) => write!(f, "{} §{clause}", self.document),
            None => f.write_str(&self.document),
        }
    }
}

/// `3`, `3.2`, `10.4.1`.
fn valid_number(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 32
        && text.split('.').all(|part| {
            !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit())
        })
}

/// A Markdown ATX heading: its level and text, when `line` is one.
fn heading(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|b| *b == b'#').count();
    let rest = &trimmed[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim_end()))
}

/// The number and title of a clause heading's text: `3.2 Refunds` or `3.2. Refunds`.
fn numbered(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number = text[..end].trim_end_matches('.');
    let title = text[end..].trim();
    (valid_number(number) && (end == text.len() || text[end..].starts_with([' ', '\t'])))
        .then_some((number, title))
}

/// The clauses of a Markdown body, in order. Headings inside fenced code blocks are not
/// headings.
pub fn clauses(body: &str) -> Vec<Clause> {
    let mut found: Vec<Clause> = Vec::new();
    let mut fence: Option<&str> = None;
    for (index, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(marker) = fence {
            if trimmed.starts_with(marker) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if let Some((level, text)) = heading(line)
            && let Some((number, title)) = numbered(text)
        {
            found.push(Clause {
                number: number.to_owned(),
                title: title.to_owned(),
                level,
                line: index + 1,
                text: String::new(),
            });
            continue;
        }
        if let Some(clause) = found.last_mut() {
            clause.text.push_str(line);
            clause.text.push('\n');
        }
    }
    for clause in &mut found {
        clause.text = clause.text.trim().to_owned();
    }
    found
}

/// Clause numbers used twice in a body: `(line, number, line of its first use)`, lines 1-based
/// within the body.
pub(crate) fn repeated_numbers(body: &str) -> Vec<(usize, String, usize)> {
    let mut repeated = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for clause in clauses(body) {
        match seen.iter().find(|(n, _)| *n == clause.number) {
            Some((_, first)) => repeated.push((clause.line, clause.number, *first)),
            None => seen.push((clause.number, clause.line)),
        }
    }
    repeated
}

/// Every citation in `text`: a document id, optionally followed by `§` and a clause number.
/// Ids stand alone (not inside a longer word); a `§` reference without an id cites nothing.
pub fn citations(text: &str) -> Vec<Citation> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'-'
                || bytes[i - 1] == b'_');
        if !(starts_word && bytes[i].is_ascii_uppercase()) {
            i += 1;
            continue;
        }
        let end = i + bytes[i..]
            .iter()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'-')
            .count();
        let id = text[i..end].trim_end_matches('-');
        let after = i + id.len();
        let ends_word =
            after == bytes.len() || !(bytes[after].is_ascii_alphanumeric() || bytes[after] == b'_');
        if ends_word && crate::valid_document_id(id) {
            let rest = &text[after..];
            let spaced = rest.trim_start_matches([' ', '\u{a0}']);
            let clause = spaced.strip_prefix('§').and_then(|c| {
                let c = c.trim_start_matches([' ', '\u{a0}']);
                let number_end = c
                    .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                    .unwrap_or(c.len());
                let number = c[..number_end].trim_end_matches('.');
                valid_number(number).then(|| number.to_owned())
            });
            found.push(Citation {
                document: id.to_owned(),
                clause,
            });
        }
        i = end.max(i + 1);
    }
    found
}

/// The citations of a body with the line (1-based) each is on; none inside fenced code.
pub(crate) fn citations_by_line(body: &str) -> Vec<(usize, Citation)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (index, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            found.extend(citations(line).into_iter().map(|c| (index + 1, c)));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_covers_its_subclauses_by_number_not_by_text() {
        let cite = |t: &str| Citation::parse(t).unwrap();
        let section = cite("POL-PAYMENTS §2");
        assert!(section.covers(&cite("POL-PAYMENTS §2")));
        assert!(section.covers(&cite("POL-PAYMENTS §2.1")));
        assert!(section.covers(&cite("POL-PAYMENTS §2.1.4")));
        assert!(!section.covers(&cite("POL-PAYMENTS §20")));
        assert!(!section.covers(&cite("POL-PAYMENTS §3.2")));
        assert!(!section.covers(&cite("POL-PAYMENTS")));
        assert!(!section.covers(&cite("POL-PAYMENTSX §2")));
        assert!(!cite("POL-PAYMENTS §2.1").covers(&section));
        assert!(cite("POL-PAYMENTS").covers(&cite("POL-PAYMENTS §7")));
    }

    #[test]
    fn numbered_headings_are_clauses_with_their_text() {
        let body = "# Payments\nIntro.\n## 2. Paying\nGeneral.\n### 2.1 Off-platform\nNot allowed.\n\n```\n## 9. not a clause\n```\n### 2.2. Cash\nNo cash.\n## Notes\nnone";
        let found = clauses(body);
        let numbers: Vec<&str> = found.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(numbers, ["2", "2.1", "2.2"]);
        assert_eq!(found[1].title, "Off-platform");
        assert_eq!(found[1].line, 5);
        assert!(found[1].text.starts_with("Not allowed."));
        assert!(found[1].text.contains("## 9. not a clause"));
        assert_eq!(found[2].title, "Cash");
        // An unnumbered heading ends nothing: its text belongs to the clause before.
        assert!(found[2].text.contains("none"));
        // A heading that starts with a number is a clause, whatever the number.
        assert_eq!(clauses("## 2024 in review")[0].number, "2024");
        assert!(clauses("## 2024-25 plan\n## 3.x odd\n## .5 odd").is_empty());
    }

    #[test]
    fn duplicate_clause_numbers_are_reported() {
        assert_eq!(
            repeated_numbers("## 1. A\n## 1. B\n"),
            [(2, "1".to_owned(), 1)]
        );
    }

    #[test]
    fn citations_are_found_in_running_text() {
        let text = "See POL-PAYMENTS §2.1, and STD-COMMUNITY §4.2. Also POL-GUARANTEE. Not x-POL-A §1 nor §3 alone; TPL-CLAIM-FR§1.";
        let found = citations(text);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "POL-PAYMENTS §2.1",
                "STD-COMMUNITY §4.2",
                "POL-GUARANTEE",
                "TPL-CLAIM-FR §1"
            ]
        );
        assert_eq!(
            Citation::parse("POL-PAYMENTS §2.1"),
            Some(Citation {
                document: "POL-PAYMENTS".into(),
                clause: Some("2.1".into())
            })
        );
        assert_eq!(Citation::parse("pol-payments"), None);
        assert_eq!(Citation::parse("POL-PAYMENTS §two"), None);
    }
}
