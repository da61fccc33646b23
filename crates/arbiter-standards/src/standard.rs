//! Standards: clauses of the policy library's `standard` documents that carry a `standard`
//! block with their severity, strike points, how long the points last, the roles they apply
//! to and their EU DSA mapping.
//!
//! ````markdown
//! ### 2.1 Paying outside the platform
//!
//! Asking for or accepting payment outside the platform is not allowed.
//!
//! ```standard
//! severity = "moderate"
//! points = 3
//! lasts_days = 365
//! roles = ["client", "tasker"]
//! ground = "incompatible_content"
//! category = "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
//! keywords = ["KEYWORD_OTHER"]
//! ```
//! ````
//!
//! The block sits in the clause it describes, so the clause and its terms change together and
//! are versioned together: the document's version is the standard's version. It shows on the
//! help center as it is written, which is the point of a transparent program.

use crate::located::{LocatedError, Locator};
use crate::vocabulary::{CATEGORIES, KEYWORDS};
use arbiter_policy::{Kind, parse_document};
use serde::Deserialize;
use std::fmt;

/// How serious breaking a standard is. `ZeroTolerance` skips the ladder: deactivation at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Minor,
    Moderate,
    Severe,
    ZeroTolerance,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Minor,
        Severity::Moderate,
        Severity::Severe,
        Severity::ZeroTolerance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
            Severity::ZeroTolerance => "zero_tolerance",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The side of the marketplace a member is on. Standards, ladders and standings are per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Client,
    Tasker,
}

impl MemberRole {
    pub const ALL: [MemberRole; 2] = [MemberRole::Client, MemberRole::Tasker];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Client => "client",
            MemberRole::Tasker => "tasker",
        }
    }

    pub fn parse(text: &str) -> Option<MemberRole> {
        MemberRole::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for MemberRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A clause of the library, `STD-CONDUCT §2.1`: a standard's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ClauseRef {
    pub document: String,
    pub clause: String,
}

impl ClauseRef {
    /// Reads `DOC-ID §N.N`; a citation of a whole document is not a clause.
    pub fn parse(text: &str) -> Option<ClauseRef> {
        let citation = arbiter_policy::Citation::parse(text)?;
        Some(ClauseRef {
            document: citation.document,
            clause: citation.clause?,
        })
    }
}

impl fmt::Display for ClauseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} §{}", self.document, self.clause)
    }
}

/// The DSA ground a standard's decisions rest on (Article 17(3)(d) and (e)).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "ground")]
pub enum Ground {
    /// Illegal under the law named in `legal_ground` (≤ 500 characters).
    IllegalContent { legal_ground: String },
    /// Incompatible with the terms: the standard's own clause is the contractual ground.
    IncompatibleContent,
}

/// How decisions under a standard are reported to the EU Transparency Database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DsaMapping {
    pub ground: Ground,
    /// One `STATEMENT_CATEGORY_*`.
    pub category: String,
    /// `KEYWORD_*` values for `category_specification`.
    pub keywords: Vec<String>,
}

/// One standard: a clause with its terms, as of one version of its document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Standard {
    pub clause: ClauseRef,
    /// The clause's title: `Paying outside the platform`.
    pub title: String,
    /// The clause's text without its `standard` block.
    pub text: String,
    /// The version of the document this was read from; recorded on every violation.
    pub version: u32,
    pub severity: Severity,
    /// Strike points a violation adds; 0 for zero tolerance, which does not count points.
    pub points: u32,
    /// How long the points count, in days; `None` for zero tolerance.
    pub lasts_days: Option<u32>,
    pub roles: Vec<MemberRole>,
    /// The markets the document applies to; empty for every market.
    pub markets: Vec<String>,
    pub dsa: DsaMapping,
}

impl Standard {
    pub fn applies_to(&self, role: MemberRole) -> bool {
        self.roles.contains(&role)
    }

    pub fn applies_in(&self, market: &str) -> bool {
        self.markets.is_empty() || self.markets.iter().any(|m| m == market)
    }
}

/// The `standard` block as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    severity: String,
    points: Option<i64>,
    lasts_days: Option<i64>,
    roles: Vec<String>,
    ground: String,
    legal_ground: Option<String>,
    category: String,
    #[serde(default)]
    keywords: Vec<String>,
}

/// Most points one violation may add, and longest points may last (ten years).
pub const MAX_POINTS: i64 = 100;
pub const MAX_LASTS_DAYS: i64 = 3650;

/// Reads the standards of one document file, stored as `version`. A file that is not a
/// document, a `standard` block outside a `standard` document or outside a clause, two blocks
/// in one clause, and every bad value are reported at `FILE:LINE:COL`. A `standard` document
/// without any block is refused too: it would define nothing that can be enforced.
pub fn parse_standards(
    file: &str,
    text: &str,
    version: u32,
) -> Result<Vec<Standard>, Vec<LocatedError>> {
    let document = parse_document(text).map_err(|errors| {
        errors
            .into_iter()
            .map(|e| LocatedError {
                file: file.to_owned(),
                line: e.line,
                column: e.column,
                message: e.message,
            })
            .collect::<Vec<_>>()
    })?;
    let body = &document.body;
    let body_line = text[..text.len() - body.len()].matches('\n').count() + 1;
    let clauses = arbiter_policy::clauses(body);
    let mut errors = Vec::new();
    let mut standards: Vec<Standard> = Vec::new();
    let at_line = |line: usize, message: String| LocatedError {
        file: file.to_owned(),
        line,
        column: 1,
        message,
    };
    for block in blocks(body) {
        let file_line = body_line + block.fence_line - 1;
        if document.kind != Kind::Standard {
            errors.push(at_line(
                file_line,
                format!(
                    "a `standard` block belongs in a document of kind standard, not {}",
                    document.kind
                ),
            ));
            continue;
        }
        let Some(clause) = clauses.iter().rev().find(|c| c.line < block.fence_line) else {
            errors.push(at_line(
                file_line,
                "a `standard` block belongs under a numbered clause heading (`### 2.1 Title`)"
                    .into(),
            ));
            continue;
        };
        let clause_ref = ClauseRef {
            document: document.id.clone(),
            clause: clause.number.clone(),
        };
        if standards.iter().any(|s| s.clause == clause_ref) {
            errors.push(at_line(
                file_line,
                format!(
                    "§{} already has a `standard` block: one per clause",
                    clause.number
                ),
            ));
            continue;
        }
        let locate = Locator {
            file,
            text: &block.text,
            first_line: file_line + 1,
        };
        match read_block(&locate, &block.text) {
            Ok(terms) => standards.push(Standard {
                clause: clause_ref,
                title: clause.title.clone(),
                text: without_blocks(&clause.text),
                version,
                markets: document.markets.clone(),
                ..terms
            }),
            Err(mut problems) => errors.append(&mut problems),
        }
    }
    if document.kind == Kind::Standard && standards.is_empty() && errors.is_empty() {
        errors.push(at_line(
            body_line,
            "a standard document needs at least one clause with a ```standard block (severity, points, lasts_days, roles, ground, category)".into(),
        ));
    }
    if errors.is_empty() {
        Ok(standards)
    } else {
        Err(errors)
    }
}

/// The standards of a document already in the library, read from its file.
pub fn standards_of(
    document: &arbiter_policy::Document,
    version: u32,
) -> Result<Vec<Standard>, Vec<LocatedError>> {
    parse_standards(&format!("{}.md", document.id), &document.to_file(), version)
}

fn read_block(locate: &Locator<'_>, text: &str) -> Result<Standard, Vec<LocatedError>> {
    let raw: Block = toml::from_str(text).map_err(|e| vec![locate.toml(&e)])?;
    let mut errors = Vec::new();
    let severity = Severity::parse(&raw.severity);
    if severity.is_none() {
        errors.push(locate.field(
            "severity",
            format!(
                "severity {:?} is unknown: use minor, moderate, severe or zero_tolerance",
                raw.severity
            ),
        ));
    }
    let zero = severity == Some(Severity::ZeroTolerance);
    let points = match (raw.points, zero) {
        (Some(_), true) => {
            errors.push(locate.field(
                "points",
                "a zero-tolerance standard has no points: it leads to deactivation at once",
            ));
            0
        }
        (None, true) => 0,
        (Some(p), false) if (1..=MAX_POINTS).contains(&p) => p as u32,
        (Some(p), false) => {
            errors.push(locate.field(
                "points",
                format!("points must be 1 to {MAX_POINTS}, not {p}"),
            ));
            0
        }
        (None, false) => {
            errors.push(locate.at(0, "give points = N: the strike points a violation adds"));
            0
        }
    };
    let lasts_days = match (raw.lasts_days, zero) {
        (Some(_), true) => {
            errors.push(locate.field(
                "lasts_days",
                "a zero-tolerance standard has no points to expire: remove lasts_days",
            ));
            None
        }
        (None, true) => None,
        (Some(d), false) if (1..=MAX_LASTS_DAYS).contains(&d) => Some(d as u32),
        (Some(d), false) => {
            errors.push(locate.field(
                "lasts_days",
                format!("lasts_days must be 1 to {MAX_LASTS_DAYS}, not {d}"),
            ));
            None
        }
        (None, false) => {
            errors.push(locate.at(0, "give lasts_days = N: how long the points count"));
            None
        }
    };
    let mut roles = Vec::new();
    for name in &raw.roles {
        match MemberRole::parse(name) {
            Some(r) if !roles.contains(&r) => roles.push(r),
            Some(_) => errors.push(locate.field("roles", format!("role {name:?} is listed twice"))),
            None => errors.push(locate.field(
                "roles",
                format!("role {name:?} is unknown: use client, tasker or both"),
            )),
        }
    }
    if raw.roles.is_empty() {
        errors.push(locate.field(
            "roles",
            "name the roles the standard applies to: roles = [\"client\", \"tasker\"]",
        ));
    }
    roles.sort();
    let ground = match (raw.ground.as_str(), raw.legal_ground) {
        ("illegal_content", Some(legal)) => {
            let legal = legal.trim().to_owned();
            if legal.is_empty() || legal.chars().count() > 500 {
                errors.push(locate.field(
                    "legal_ground",
                    "legal_ground names the law relied on, in 1 to 500 characters",
                ));
            }
            Some(Ground::IllegalContent {
                legal_ground: legal,
            })
        }
        ("illegal_content", None) => {
            errors.push(locate.field(
                "ground",
                "ground = \"illegal_content\" needs legal_ground: the law relied on (≤ 500 characters)",
            ));
            None
        }
        ("incompatible_content", None) => Some(Ground::IncompatibleContent),
        ("incompatible_content", Some(_)) => {
            errors.push(locate.field(
                "legal_ground",
                "legal_ground is only for ground = \"illegal_content\"; the clause itself is the contractual ground",
            ));
            None
        }
        (other, _) => {
            errors.push(locate.field(
                "ground",
                format!("ground {other:?} is unknown: use illegal_content or incompatible_content"),
            ));
            None
        }
    };
    if !CATEGORIES.contains(&raw.category.as_str()) {
        errors.push(locate.field(
            "category",
            format!(
                "category {:?} is not a Transparency Database STATEMENT_CATEGORY_* value{}",
                raw.category,
                crate::vocabulary::nearest(&raw.category, CATEGORIES)
                    .map(|n| format!(" (did you mean {n}?)"))
                    .unwrap_or_default()
            ),
        ));
    }
    for keyword in &raw.keywords {
        if !KEYWORDS.contains(&keyword.as_str()) {
            errors.push(locate.field(
                "keywords",
                format!(
                    "keyword {keyword:?} is not a Transparency Database KEYWORD_* value{}",
                    crate::vocabulary::nearest(keyword, KEYWORDS)
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    let (Some(severity), Some(ground)) = (severity, ground) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut keywords = raw.keywords;
    keywords.sort();
    keywords.dedup();
    Ok(Standard {
        clause: ClauseRef {
            document: String::new(),
            clause: String::new(),
        },
        title: String::new(),
        text: String::new(),
        version: 0,
        severity,
        points,
        lasts_days,
        roles,
        markets: Vec::new(),
        dsa: DsaMapping {
            ground,
            category: raw.category,
            keywords,
        },
    })
}

/// A fenced `standard` block: the body line of its opening fence (1-based) and its text.
struct FencedBlock {
    fence_line: usize,
    text: String,
}

fn blocks(body: &str) -> Vec<FencedBlock> {
    let mut found = Vec::new();
    let mut open: Option<(&str, bool, usize, String)> = None;
    for (index, line) in body.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            Some((marker, is_standard, fence_line, text)) => {
                if trimmed.starts_with(*marker)
                    && trimmed.trim_end().trim_start_matches(['`', '~']).is_empty()
                {
                    if *is_standard {
                        found.push(FencedBlock {
                            fence_line: *fence_line,
                            text: std::mem::take(text),
                        });
                    }
                    open = None;
                } else if *is_standard {
                    text.push_str(line);
                    text.push('\n');
                }
            }
            None => {
                if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                    let info = trimmed.trim_start_matches(['`', '~']).trim();
                    open = Some((&trimmed[..3], info == "standard", index + 1, String::new()));
                }
            }
        }
    }
    // An unclosed block runs to the end of the document, as Markdown reads it.
    if let Some((_, true, fence_line, text)) = open {
        found.push(FencedBlock { fence_line, text });
    }
    found
}

/// A clause's text with its `standard` block taken out.
fn without_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let fence = trimmed.starts_with("```") || trimmed.starts_with("~~~");
        if !inside && fence && trimmed.trim_start_matches(['`', '~']).trim() == "standard" {
            inside = true;
        } else if inside && fence {
            inside = false;
        } else if !inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim().to_owned()
}

/// The standards in force, looked up by clause. Built from every `standard` document of the
/// library (each at its current version).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standards {
    by_clause: std::collections::BTreeMap<ClauseRef, Standard>,
}

impl Standards {
    pub fn new(standards: impl IntoIterator<Item = Standard>) -> Standards {
        Standards {
            by_clause: standards
                .into_iter()
                .map(|s| (s.clause.clone(), s))
                .collect(),
        }
    }

    pub fn get(&self, clause: &ClauseRef) -> Option<&Standard> {
        self.by_clause.get(clause)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Standard> {
        self.by_clause.values()
    }

    pub fn len(&self) -> usize {
        self.by_clause.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_clause.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const FILE: &str = "+++\nid = \"STD-TEST\"\nkind = \"standard\"\ntitle = \"Test standards\"\naudience = [\"client\", \"tasker\", \"public\"]\nlocale = \"en\"\nowner = \"policy-team\"\nstatus = \"published\"\n+++\n# Test standards\n\n## 1. Conduct\n\n### 1.1 Paying outside the platform\n\nNot allowed.\n\n```standard\nseverity = \"moderate\"\npoints = 3\nlasts_days = 365\nroles = [\"client\", \"tasker\"]\nground = \"incompatible_content\"\ncategory = \"STATEMENT_CATEGORY_SCAMS_AND_FRAUD\"\n```\n\n### 1.2 Violence\n\nNever.\n\n```standard\nseverity = \"zero_tolerance\"\nroles = [\"tasker\"]\nground = \"illegal_content\"\nlegal_ground = \"Criminal law of the member state\"\ncategory = \"STATEMENT_CATEGORY_VIOLENCE\"\n```\n";

    #[test]
    fn standards_are_read_from_their_clauses() {
        let standards = parse_standards("STD-TEST.md", FILE, 4).unwrap();
        assert_eq!(standards.len(), 2);
        let paying = &standards[0];
        assert_eq!(paying.clause.to_string(), "STD-TEST §1.1");
        assert_eq!(paying.title, "Paying outside the platform");
        assert_eq!(paying.text, "Not allowed.");
        assert_eq!(paying.version, 4);
        assert_eq!(
            (paying.severity, paying.points, paying.lasts_days),
            (Severity::Moderate, 3, Some(365))
        );
        assert_eq!(paying.roles, [MemberRole::Client, MemberRole::Tasker]);
        assert_eq!(paying.dsa.ground, Ground::IncompatibleContent);
        let violence = &standards[1];
        assert_eq!(
            (violence.severity, violence.points, violence.lasts_days),
            (Severity::ZeroTolerance, 0, None)
        );
        assert!(!violence.applies_to(MemberRole::Client));
        let lookup = Standards::new(standards);
        assert!(
            lookup
                .get(&ClauseRef::parse("STD-TEST §1.2").unwrap())
                .is_some()
        );
        assert!(
            lookup
                .get(&ClauseRef::parse("STD-TEST §1").unwrap())
                .is_none()
        );
    }

    /// Each bad block is refused at the line of the field at fault.
    #[test]
    fn bad_blocks_are_located() {
        let cases: &[(&str, &str, usize, &str)] = &[
            (
                "severity = \"moderate\"",
                "severity = \"moderat\"",
                19,
                "severity \"moderat\" is unknown",
            ),
            ("points = 3", "points = 0", 20, "points must be 1 to 100"),
            ("points = 3\n", "", 19, "give points = N"),
            (
                "lasts_days = 365",
                "lasts_days = 9999",
                21,
                "lasts_days must be 1 to 3650",
            ),
            (
                "roles = [\"client\", \"tasker\"]",
                "roles = [\"clients\"]",
                22,
                "role \"clients\" is unknown",
            ),
            (
                "roles = [\"client\", \"tasker\"]",
                "roles = []",
                22,
                "name the roles",
            ),
            (
                "ground = \"incompatible_content\"",
                "ground = \"tos\"",
                23,
                "ground \"tos\" is unknown",
            ),
            (
                "ground = \"incompatible_content\"",
                "ground = \"incompatible_content\"\nlegal_ground = \"x\"",
                24,
                "legal_ground is only for",
            ),
            (
                "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
                "STATEMENT_CATEGORY_SCAMS",
                24,
                "did you mean STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            ),
            (
                "category = \"STATEMENT_CATEGORY_SCAMS_AND_FRAUD\"",
                "category = \"STATEMENT_CATEGORY_SCAMS_AND_FRAUD\"\nkeywords = [\"KEYWORD_PHISHNG\"]",
                25,
                "did you mean KEYWORD_PHISHING",
            ),
            (
                "roles = [\"client\", \"tasker\"]",
                "roles = [\"client\", \"tasker\"]\ncolour = 1",
                23,
                "unknown field `colour`",
            ),
            (
                "legal_ground = \"Criminal law of the member state\"\n",
                "",
                34,
                "needs legal_ground",
            ),
            (
                "severity = \"zero_tolerance\"",
                "severity = \"zero_tolerance\"\npoints = 5",
                33,
                "zero-tolerance standard has no points",
            ),
        ];
        for (from, to, line, message) in cases {
            assert!(FILE.contains(from), "{from}");
            let text = FILE.replacen(from, to, 1);
            let errors = parse_standards("STD-TEST.md", &text, 1).unwrap_err();
            assert!(
                errors
                    .iter()
                    .any(|e| e.line == *line && e.message.contains(message)),
                "{to:?}: want {line}: {message}, got {errors:?}"
            );
            assert!(errors.iter().all(|e| e.file == "STD-TEST.md"));
        }
    }

    #[test]
    fn misplaced_blocks_are_refused() {
        let twice = FILE.replace("\n### 1.2 Violence\n\nNever.\n", "");
        let errors = parse_standards("STD-TEST.md", &twice, 1).unwrap_err();
        assert!(
            errors[0]
                .message
                .contains("§1.1 already has a `standard` block"),
            "{errors:?}"
        );

        let policy = FILE.replace("kind = \"standard\"", "kind = \"policy\"");
        let errors = parse_standards("STD-TEST.md", &policy, 1).unwrap_err();
        assert!(errors[0].message.contains("not policy"), "{errors:?}");
        assert_eq!(errors[0].line, 18);

        let outside = FILE.replace("## 1. Conduct\n\n### 1.1 Paying outside the platform\n", "");
        let errors = parse_standards("STD-TEST.md", &outside, 1).unwrap_err();
        assert!(
            errors[0].message.contains("under a numbered clause"),
            "{errors:?}"
        );

        let empty = "+++\nid = \"STD-EMPTY\"\nkind = \"standard\"\ntitle = \"E\"\naudience = [\"public\"]\nlocale = \"en\"\nowner = \"p\"\nstatus = \"draft\"\n+++\n## 1. Nothing\n";
        let errors = parse_standards("STD-EMPTY.md", empty, 1).unwrap_err();
        assert!(
            errors[0].message.contains("at least one clause"),
            "{errors:?}"
        );

        let broken = parse_standards("X.md", "no front matter", 1).unwrap_err();
        assert_eq!(
            broken[0].to_string(),
            "X.md:1:1: a document starts with its front matter: a line `+++`, TOML fields, and a closing `+++`"
        );
    }

    #[test]
    fn other_fences_are_left_alone() {
        let text = FILE.replace(
            "Not allowed.\n",
            "Not allowed.\n\n```toml\nseverity = 1\n```\n",
        );
        let standards = parse_standards("STD-TEST.md", &text, 1).unwrap();
        assert!(standards[0].text.contains("```toml"));
    }
}
