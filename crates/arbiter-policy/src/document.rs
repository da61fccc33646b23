//! A document file: TOML front matter between `+++` lines, then the Markdown body.

use serde::Deserialize;
use std::fmt;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Policy,
    Procedure,
    Standard,
    GuaranteeTerms,
    HelpArticle,
    MessageTemplate,
    TermsSection,
}

/// Who a document is written for. `public` documents may be served on the help center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    Client,
    Tasker,
    Internal,
    Public,
}

/// Where a document is in its life: draft → in review → published → retired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Draft,
    InReview,
    Published,
    Retired,
}

macro_rules! named {
    ($type:ident { $($variant:ident = $name:literal),* $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($type::$variant => $name),* }
            }

            pub fn parse(text: &str) -> Option<$type> {
                match text { $($name => Some($type::$variant),)* _ => None }
            }

            fn names() -> String {
                [$($name),*].join(", ")
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named!(Kind {
    Policy = "policy",
    Procedure = "procedure",
    Standard = "standard",
    GuaranteeTerms = "guarantee_terms",
    HelpArticle = "help_article",
    MessageTemplate = "message_template",
    TermsSection = "terms_section",
});
named!(Audience {
    Client = "client",
    Tasker = "tasker",
    Internal = "internal",
    Public = "public",
});
named!(Status {
    Draft = "draft",
    InReview = "in_review",
    Published = "published",
    Retired = "retired",
});

/// One document of the library, as its file states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Stable id, cited by rules and other documents: `POL-PAYMENTS`.
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub audience: Vec<Audience>,
    /// The markets it applies to (ISO 3166-1 alpha-2); empty for every market.
    pub markets: Vec<String>,
    /// BCP 47 language tag: `en`, `fr`, `de-AT`.
    pub locale: String,
    /// For a regional or translated variant, the id of the document it is a variant of.
    pub variant_of: Option<String>,
    pub owner: String,
    pub status: Status,
    pub effective: Option<time::Date>,
    /// How often the owner reviews it; with `next_review`, what review reminders go by.
    pub review_every_months: Option<u32>,
    pub next_review: Option<time::Date>,
    pub tags: Vec<String>,
    /// Markdown; headings that start with a number (`### 3.2 Refunds`) are its clauses.
    pub body: String,
}

/// What is wrong with a document file, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// The front matter as written; checked into a [`Document`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    kind: String,
    title: String,
    #[serde(default)]
    audience: Vec<String>,
    #[serde(default)]
    markets: Vec<String>,
    locale: String,
    variant_of: Option<String>,
    owner: String,
    status: String,
    effective: Option<String>,
    review_every_months: Option<u32>,
    next_review: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// True for a well-formed document id: capitals and digits in at least two parts joined by
/// hyphens, starting with a capital (`POL-PAYMENTS`, `TPL-CLAIM-APPROVED-FR`), at most 64 bytes.
pub fn valid_document_id(id: &str) -> bool {
    id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id.contains('-')
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Reads a document file. Every problem found is reported, each with its line and column.
pub fn parse_document(text: &str) -> Result<Document, Vec<DocumentError>> {
    let at = |line: usize, column: usize, message: String| DocumentError {
        line,
        column,
        message,
    };
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "+++" {
        return Err(vec![at(
            1,
            1,
            "a document starts with its front matter: a line `+++`, TOML fields, and a closing `+++`".into(),
        )]);
    }
    let front_start = first.len();
    let mut offset = front_start;
    let mut closing = None;
    for line in lines {
        if line.trim_end() == "+++" {
            closing = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((front_end, body_start)) = closing else {
        return Err(vec![at(
            1,
            1,
            "the front matter is not closed: add a line `+++` after its last field".into(),
        )]);
    };
    let front = &text[front_start..front_end];
    let body = &text[body_start..];
    let position = |byte: usize| {
        let before = &text[..byte.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    };
    let raw: FrontMatter = match toml::from_str(front) {
        Ok(raw) => raw,
        Err(error) => {
            let (line, column) = position(front_start + error.span().map_or(0, |s| s.start));
            return Err(vec![at(line, column, error.message().to_owned())]);
        }
    };
    // Fields are found by name for the positions of later errors.
    let field = |name: &str| {
        let mut offset = front_start;
        for line in front.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with(name) && trimmed[name.len()..].trim_start().starts_with('=') {
                return position(offset + (line.len() - trimmed.len()));
            }
            offset += line.len();
        }
        (2, 1)
    };
    let mut errors = Vec::new();
    let mut fail = |name: &str, message: String| {
        let (line, column) = field(name);
        errors.push(at(line, column, message));
    };
    if !valid_document_id(&raw.id) {
        fail(
            "id",
            format!(
                "id {:?} is not a document id: capitals and digits in parts joined by hyphens, like POL-PAYMENTS",
                raw.id
            ),
        );
    }
    let kind = Kind::parse(&raw.kind);
    if kind.is_none() {
        fail(
            "kind",
            format!(
                "kind {:?} is unknown: use one of {}",
                raw.kind,
                Kind::names()
            ),
        );
    }
    if raw.title.trim().is_empty() {
        fail("title", "the title is empty".into());
    }
    let mut audience = Vec::new();
    for name in &raw.audience {
        match Audience::parse(name) {
            Some(a) if !audience.contains(&a) => audience.push(a),
            Some(_) => {}
            None => fail(
                "audience",
                format!("audience {name:?} is unknown: use {}", Audience::names()),
            ),
        }
    }
    if raw.audience.is_empty() {
        fail(
            "audience",
            format!(
                "name who the document is for: audience = [...] with {}",
                Audience::names()
            ),
        );
    }
    if audience.contains(&Audience::Public) && audience.contains(&Audience::Internal) {
        fail(
            "audience",
            "a document cannot be both internal and public".into(),
        );
    }
    for market in &raw.markets {
        if market.len() != 2 || !market.bytes().all(|b| b.is_ascii_uppercase()) {
            fail(
                "markets",
                format!("market {market:?} is not a two-letter country code like FR"),
            );
        }
    }
    if !valid_locale(&raw.locale) {
        fail(
            "locale",
            format!(
                "locale {:?} is not a language tag like en, fr or de-AT",
                raw.locale
            ),
        );
    }
    if let Some(base) = &raw.variant_of {
        if !valid_document_id(base) {
            fail(
                "variant_of",
                format!("variant_of {base:?} is not a document id"),
            );
        } else if *base == raw.id {
            fail(
                "variant_of",
                "a document cannot be a variant of itself".into(),
            );
        }
    }
    if raw.owner.trim().is_empty() {
        fail(
            "owner",
            "name the owner who keeps the document up to date".into(),
        );
    }
    let status = Status::parse(&raw.status);
    if status.is_none() {
        fail(
            "status",
            format!(
                "status {:?} is unknown: use one of {}",
                raw.status,
                Status::names()
            ),
        );
    }
    let mut date = |name: &str, value: &Option<String>| {
        value
            .as_ref()
            .and_then(|v| match time::Date::parse(v, DATE) {
                Ok(d) => Some(d),
                Err(_) => {
                    fail(name, format!("{name} {v:?} is not a date like 2026-01-31"));
                    None
                }
            })
    };
    let effective = date("effective", &raw.effective);
    let next_review = date("next_review", &raw.next_review);
    if raw.review_every_months == Some(0) {
        fail(
            "review_every_months",
            "review_every_months must be at least 1".into(),
        );
    }
    for tag in &raw.tags {
        if tag.trim().is_empty() || tag.len() > 64 {
            fail("tags", format!("tag {tag:?} must be 1 to 64 characters"));
        }
    }
    let (body_line, _) = position(body_start);
    for (line, number, first) in crate::clauses::repeated_numbers(body) {
        errors.push(at(
            body_line + line - 1,
            1,
            format!(
                "clause {number} is numbered twice (first on line {}): a citation must name one clause",
                body_line + first - 1
            ),
        ));
    }
    let (Some(kind), Some(status)) = (kind, status) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut tags = raw.tags;
    tags.sort();
    tags.dedup();
    Ok(Document {
        id: raw.id,
        kind,
        title: raw.title.trim().to_owned(),
        audience,
        markets: raw.markets,
        locale: raw.locale,
        variant_of: raw.variant_of,
        owner: raw.owner,
        status,
        effective,
        review_every_months: raw.review_every_months,
        next_review,
        tags,
        body: body.to_owned(),
    })
}

fn valid_locale(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or("");
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Document {
    /// The document as a file: front matter in a fixed order, then the body. Reading the file
    /// back gives the same document.
    pub fn to_file(&self) -> String {
        let mut out = String::from("+++\n");
        let mut line = |name: &str, value: String| {
            out.push_str(name);
            out.push_str(" = ");
            out.push_str(&value);
            out.push('\n');
        };
        let list = |items: &mut dyn Iterator<Item = &str>| {
            format!(
                "[{}]",
                items.map(toml_string).collect::<Vec<_>>().join(", ")
            )
        };
        line("id", toml_string(&self.id));
        line("kind", toml_string(self.kind.as_str()));
        line("title", toml_string(&self.title));
        line(
            "audience",
            list(&mut self.audience.iter().map(|a| a.as_str())),
        );
        if !self.markets.is_empty() {
            line(
                "markets",
                list(&mut self.markets.iter().map(String::as_str)),
            );
        }
        line("locale", toml_string(&self.locale));
        if let Some(base) = &self.variant_of {
            line("variant_of", toml_string(base));
        }
        line("owner", toml_string(&self.owner));
        line("status", toml_string(self.status.as_str()));
        let date = |d: time::Date| toml_string(&d.format(DATE).unwrap_or_default());
        if let Some(d) = self.effective {
            line("effective", date(d));
        }
        if let Some(months) = self.review_every_months {
            line("review_every_months", months.to_string());
        }
        if let Some(d) = self.next_review {
            line("next_review", date(d));
        }
        if !self.tags.is_empty() {
            line("tags", list(&mut self.tags.iter().map(String::as_str)));
        }
        out.push_str("+++\n");
        out.push_str(&self.body);
        out
    }
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nid = \"POL-PAYMENTS\"\nkind = \"policy\"\ntitle = \"Payments\"\naudience = [\"client\", \"tasker\", \"public\"]\nmarkets = [\"FR\", \"DE\"]\nlocale = \"en\"\nowner = \"policy-team\"\nstatus = \"published\"\neffective = \"2026-01-15\"\nreview_every_months = 12\nnext_review = \"2027-01-15\"\ntags = [\"payments\", \"off-platform\"]\n+++\n## 2. Paying\n### 2.1 Off-platform payment\nNot allowed.\n";

    #[test]
    fn a_document_reads_and_writes_back_the_same() {
        let document = parse_document(GOOD).unwrap();
        assert_eq!(document.id, "POL-PAYMENTS");
        assert_eq!(document.kind, Kind::Policy);
        assert_eq!(
            document.audience,
            [Audience::Client, Audience::Tasker, Audience::Public]
        );
        assert_eq!(document.tags, ["off-platform", "payments"]);
        assert_eq!(
            document.body,
            "## 2. Paying\n### 2.1 Off-platform payment\nNot allowed.\n"
        );
        let file = document.to_file();
        assert_eq!(parse_document(&file).unwrap(), document);
        assert_eq!(parse_document(&file).unwrap().to_file(), file);
    }

    #[test]
    fn every_problem_is_reported_where_it_is() {
        let bad = GOOD
            .replace("\"policy\"", "\"polcy\"")
            .replace("\"FR\"", "\"France\"")
            .replace("2026-01-15", "15/01/2026")
            .replace("Not allowed.", "Not allowed.\n### 2.1 Again");
        let errors = parse_document(&bad).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 4, "{shown:?}");
        assert!(
            shown[0].starts_with("3:1: kind \"polcy\" is unknown"),
            "{shown:?}"
        );
        assert!(shown[1].starts_with("6:1: market \"France\""), "{shown:?}");
        assert!(shown[2].starts_with("10:1: effective"), "{shown:?}");
        assert!(
            shown[3].starts_with("18:1: clause 2.1 is numbered twice (first on line 16)"),
            "{shown:?}"
        );
    }

    #[test]
    fn broken_front_matter_is_explained() {
        let missing = parse_document("# no front matter").unwrap_err();
        assert!(missing[0].message.contains("starts with its front matter"));
        let open = parse_document("+++\nid = \"POL-A\"\n").unwrap_err();
        assert!(open[0].message.contains("not closed"));
        let syntax = parse_document("+++\nid = \"POL-A\nkind = 3\n+++\n").unwrap_err();
        assert_eq!(syntax[0].line, 2, "{syntax:?}");
        let unknown = parse_document(&GOOD.replace("owner", "ownr")).unwrap_err();
        assert!(unknown[0].message.contains("ownr"), "{unknown:?}");
        for odd in ["", "+++", "+++\n+++", "\u{0}", "+++\n+++\n+++"] {
            assert!(parse_document(odd).is_err());
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(valid_document_id("POL-PAYMENTS"));
        assert!(valid_document_id("TPL-CLAIM-APPROVED-FR"));
        for bad in [
            "POL",
            "pol-payments",
            "POL--A",
            "-POL-A",
            "POL-A-",
            "1POL-A",
            "POL_A",
        ] {
            assert!(!valid_document_id(bad), "{bad}");
        }
    }
}
