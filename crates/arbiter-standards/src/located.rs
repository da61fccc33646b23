//! Problems in a file, each at `FILE:LINE:COL`, the way editors and the CLI expect them.

/// A problem in a file: its name, 1-based line and column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LocatedError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Turns byte offsets of a text into lines and columns; `first_line` is the line of the
/// file the text starts on (a block inside a document starts below line 1).
pub(crate) struct Locator<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub first_line: usize,
}

impl Locator<'_> {
    pub fn at(&self, offset: usize, message: impl Into<String>) -> LocatedError {
        let before = &self.text[..floor_char_boundary(self.text, offset)];
        let line = before.matches('\n').count() + self.first_line;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LocatedError {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// The position of `name = …` in the text (the first such line), for problems found
    /// after deserializing; the start of the text when the field is absent.
    pub fn field(&self, name: &str, message: impl Into<String>) -> LocatedError {
        let mut offset = 0;
        for line in self.text.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed.strip_prefix(name)
                && rest.trim_start().starts_with('=')
            {
                return self.at(offset + (line.len() - trimmed.len()), message);
            }
            offset += line.len();
        }
        self.at(0, message)
    }

    /// A TOML error, at the place the parser points to.
    pub fn toml(&self, error: &toml::de::Error) -> LocatedError {
        self.at(
            error.span().map_or(0, |s| s.start),
            error.message().to_owned(),
        )
    }
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let locate = Locator {
            file: "ladder.toml",
            text: "a = 1\nbé = 2\n",
            first_line: 1,
        };
        assert_eq!(locate.at(0, "x").to_string(), "ladder.toml:1:1: x");
        assert_eq!(locate.at(9, "x").to_string(), "ladder.toml:2:3: x");
        assert_eq!(locate.field("bé", "y").to_string(), "ladder.toml:2:1: y");
        let shifted = Locator {
            first_line: 10,
            ..locate
        };
        assert_eq!(shifted.at(6, "z").line, 11);
    }
}
