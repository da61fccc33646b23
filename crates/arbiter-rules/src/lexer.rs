//! Splits rule text into tokens, each with its span.

use crate::diagnostic::{Diagnostic, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    /// A number with a unit: `90d`, `24h`, `30m`, `10s`, `2w`; in microseconds.
    Duration(i64),
    /// `§3.2`: a clause number in a policy reference.
    Section(String),
    /// A JSON object, verbatim (rule examples).
    Json(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Colon,
    Star,
    Slash,
    Plus,
    Minus,
    Pipe,
    Assign,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

impl Tok {
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Str(_) => "a string".into(),
            Tok::Num(_) => "a number".into(),
            Tok::Duration(_) => "a duration".into(),
            Tok::Section(s) => format!("`§{s}`"),
            Tok::Json(_) => "a JSON object".into(),
            Tok::Eof => "the end of the file".into(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::LBracket => "[",
            Tok::RBracket => "]",
            Tok::Comma => ",",
            Tok::Dot => ".",
            Tok::Colon => ":",
            Tok::Star => "*",
            Tok::Slash => "/",
            Tok::Plus => "+",
            Tok::Minus => "-",
            Tok::Pipe => "|",
            Tok::Assign => "=",
            Tok::Eq => "==",
            Tok::Ne => "!=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            _ => "?",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Whether whitespace or a comment came right before: rule ids such as `CLAIM-SERIAL-2`
    /// are read as the tokens that touch.
    pub spaced: bool,
}

const MICROS_PER_SECOND: i64 = 1_000_000;

pub fn tokenize(source: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut spaced = true;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            spaced = true;
            continue;
        }
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            spaced = true;
            continue;
        }
        let start = i;
        let tok = match c {
            b'(' => single(&mut i, Tok::LParen),
            b')' => single(&mut i, Tok::RParen),
            b'[' => single(&mut i, Tok::LBracket),
            b']' => single(&mut i, Tok::RBracket),
            b',' => single(&mut i, Tok::Comma),
            b'.' => single(&mut i, Tok::Dot),
            b':' => single(&mut i, Tok::Colon),
            b'*' => single(&mut i, Tok::Star),
            b'/' => single(&mut i, Tok::Slash),
            b'+' => single(&mut i, Tok::Plus),
            b'-' => single(&mut i, Tok::Minus),
            b'|' => single(&mut i, Tok::Pipe),
            b'=' if bytes.get(i + 1) == Some(&b'=') => double(&mut i, Tok::Eq),
            b'=' => single(&mut i, Tok::Assign),
            b'!' if bytes.get(i + 1) == Some(&b'=') => double(&mut i, Tok::Ne),
            b'<' if bytes.get(i + 1) == Some(&b'=') => double(&mut i, Tok::Le),
            b'<' => single(&mut i, Tok::Lt),
            b'>' if bytes.get(i + 1) == Some(&b'=') => double(&mut i, Tok::Ge),
            b'>' => single(&mut i, Tok::Gt),
            b'"' => string(source, &mut i)?,
            b'{' => json(source, &mut i)?,
            b'0'..=b'9' => number(source, &mut i)?,
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                Tok::Ident(source[start..i].to_owned())
            }
            _ if source[i..].starts_with('§') => {
                i += '§'.len_utf8();
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let number = source[start + '§'.len_utf8()..i].trim_end_matches('.');
                if number.is_empty() {
                    return Err(Diagnostic::error(
                        Span::new(start, i),
                        "`§` must be followed by a clause number",
                    )
                    .with_hint("write a clause such as `§3.2`"));
                }
                i = start + '§'.len_utf8() + number.len();
                Tok::Section(number.to_owned())
            }
            _ => {
                let ch = source[i..].chars().next().unwrap_or('?');
                return Err(Diagnostic::error(
                    Span::new(i, i + ch.len_utf8()),
                    format!("unexpected character `{ch}`"),
                ));
            }
        };
        tokens.push(Token {
            tok,
            span: Span::new(start, i),
            spaced,
        });
        spaced = false;
    }
    tokens.push(Token {
        tok: Tok::Eof,
        span: Span::new(source.len(), source.len()),
        spaced: true,
    });
    Ok(tokens)
}

fn single(i: &mut usize, tok: Tok) -> Tok {
    *i += 1;
    tok
}

fn double(i: &mut usize, tok: Tok) -> Tok {
    *i += 2;
    tok
}

fn string(source: &str, i: &mut usize) -> Result<Tok, Diagnostic> {
    let start = *i;
    let mut out = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((offset, ch)) = chars.next() {
        match ch {
            '"' => {
                *i = start + 1 + offset + 1;
                return Ok(Tok::Str(out));
            }
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, '\\')) => out.push('\\'),
                Some((_, '"')) => out.push('"'),
                Some((o, other)) => {
                    let at = start + 1 + o;
                    return Err(Diagnostic::error(
                        Span::new(at - 1, at + other.len_utf8()),
                        format!("unknown escape `\\{other}`"),
                    )
                    .with_hint("strings know `\\\"`, `\\\\`, `\\n` and `\\t`"));
                }
                None => break,
            },
            other => out.push(other),
        }
    }
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |n| start + n);
    Err(
        Diagnostic::error(Span::new(start, end), "this string is not closed")
            .with_hint("add a `\"` before the end of the line"),
    )
}

/// A JSON object: braces matched outside strings; validated later by the JSON parser.
fn json(source: &str, i: &mut usize) -> Result<Tok, Diagnostic> {
    let start = *i;
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut j = start;
    while j < bytes.len() {
        let b = bytes[j];
        if in_string {
            match b {
                b'\\' => j += 1,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        *i = j + 1;
                        return Ok(Tok::Json(source[start..=j].to_owned()));
                    }
                }
                _ => {}
            }
        }
        j += 1;
    }
    Err(
        Diagnostic::error(Span::new(start, start + 1), "this `{` is never closed")
            .with_hint("an example event is one JSON object: `{\"type\": \"claim.filed\", …}`"),
    )
}

fn number(source: &str, i: &mut usize) -> Result<Tok, Diagnostic> {
    let bytes = source.as_bytes();
    let start = *i;
    while *i < bytes.len() && (bytes[*i].is_ascii_digit() || bytes[*i] == b'_') {
        *i += 1;
    }
    if *i + 1 < bytes.len() && bytes[*i] == b'.' && bytes[*i + 1].is_ascii_digit() {
        *i += 1;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
    }
    let text: String = source[start..*i].chars().filter(|c| *c != '_').collect();
    let value: f64 = text.parse().map_err(|_| {
        Diagnostic::error(Span::new(start, *i), format!("`{text}` is not a number"))
    })?;
    let unit_end = {
        let mut j = *i;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        j
    };
    if unit_end == *i {
        return Ok(Tok::Num(value));
    }
    let unit = &source[*i..unit_end];
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(Diagnostic::error(
                Span::new(start, unit_end),
                format!("`{unit}` is not a unit of time"),
            )
            .with_hint("durations are written `30s`, `15m`, `24h`, `90d` or `2w`"));
        }
    };
    if value.fract() != 0.0 {
        return Err(Diagnostic::error(
            Span::new(start, unit_end),
            "a duration must be a whole number",
        )
        .with_hint("use a smaller unit: `36h` rather than `1.5d`"));
    }
    *i = unit_end;
    Ok(Tok::Duration(value as i64 * seconds * MICROS_PER_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(source: &str) -> Vec<Tok> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn reads_durations_sections_and_operators() {
        assert_eq!(
            toks("count >= 3 within 90d §3.2 # note\n\"a\\\"b\""),
            vec![
                Tok::Ident("count".into()),
                Tok::Ge,
                Tok::Num(3.0),
                Tok::Ident("within".into()),
                Tok::Duration(90 * 86_400 * 1_000_000),
                Tok::Section("3.2".into()),
                Tok::Str("a\"b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn reads_json_objects_whole() {
        let t = toks(r#"given {"a": {"b": "}"}} expect"#);
        assert_eq!(t[1], Tok::Json(r#"{"a": {"b": "}"}}"#.into()));
    }

    #[test]
    fn errors_point_at_the_spot() {
        let e = tokenize("when x == \"open").unwrap_err();
        assert_eq!(e.span.start, 10);
        let e = tokenize("within 90y").unwrap_err();
        assert!(e.message.contains("unit of time"));
        let e = tokenize("a ~ b").unwrap_err();
        assert_eq!(e.span, Span::new(2, 3));
    }
}
