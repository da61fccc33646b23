//! Errors and warnings about rule text, located to the byte and rendered like a compiler's.

use std::fmt::Write as _;

/// A byte range in the rule text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about the text: what is wrong, where, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// 1-based line and column (in characters) of the start of the span.
    pub fn line_column(&self, source: &str) -> (usize, usize) {
        line_column(source, self.span.start)
    }

    /// Renders the finding with the file name, position, the line, a caret under the spot and
    /// the hint:
    ///
    /// ```text
    /// error: unknown field `acter.id`
    ///   --> rules/claims.rules:12:8
    ///    |
    /// 12 |   when acter.id == "x"
    ///    |        ^^^^^^^^
    ///    = hint: did you mean `actor.id`?
    /// ```
    pub fn render(&self, file: &str, source: &str) -> String {
        let (line, column) = self.line_column(source);
        let line_start = source[..self.span.start.min(source.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line_end = source[line_start..]
            .find('\n')
            .map_or(source.len(), |i| line_start + i);
        let text = &source[line_start..line_end];
        let number = line.to_string();
        let gutter = " ".repeat(number.len());
        let start = self.span.start.clamp(line_start, line_end);
        let end = self.span.end.clamp(start, line_end);
        let pad = source[line_start..start].chars().count();
        let width = source[start..end].chars().count().max(1);
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = writeln!(out, "{label}: {}", self.message);
        let _ = writeln!(out, "{gutter}--> {file}:{line}:{column}");
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {text}");
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(pad), "^".repeat(width));
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "{gutter} = hint: {hint}");
        }
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The candidate closest to `name` by edit distance, when close enough to be a likely typo.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// "did you mean `x`?" when a near name exists.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(name, candidates).map(|n| format!("did you mean `{n}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_the_span() {
        let source = "rule A \"x\"\n  when acter.id == \"x\"\n";
        let start = source.find("acter").unwrap();
        let d = Diagnostic::error(Span::new(start, start + 8), "unknown field `acter.id`")
            .with_hint("did you mean `actor.id`?");
        let text = d.render("r.rules", source);
        assert_eq!(
            text,
            "error: unknown field `acter.id`\n --> r.rules:2:8\n  |\n2 |   when acter.id == \"x\"\n  |        ^^^^^^^^\n  = hint: did you mean `actor.id`?\n"
        );
    }

    #[test]
    fn nearest_names() {
        assert_eq!(
            nearest("acter.id", ["actor.id", "subject.id"]),
            Some("actor.id")
        );
        assert_eq!(nearest("zzzzzz", ["actor.id"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
