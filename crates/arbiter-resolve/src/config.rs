//! The resolution center's configuration, one TOML file: each market's Guarantee terms, the
//! queues and their routing, SLA targets, automatic resolution rules and the playbooks. A
//! default for a home-services marketplace is built in ([`DEFAULT_CONFIG`]); every problem in a
//! file is reported with its line and column.

use crate::case::{CaseType, Priority};
use crate::decision::{AutoRule, Outcome};
use crate::guarantee::{GuaranteeClauses, GuaranteeTerms};
use crate::routing::Queue;
use crate::sla::SlaTarget;
use arbiter_model::Currency;
use serde::Deserialize;

/// The built-in configuration: six markets, five queues, SLAs, one automatic rule per market
/// group, and a playbook for every case type.
pub const DEFAULT_CONFIG: &str = include_str!("../resolution.toml");

/// A checked configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub markets: Vec<GuaranteeTerms>,
    /// Each market's language for messages to its users: `(market, locale)`.
    pub locales: Vec<(String, String)>,
    pub queues: Vec<Queue>,
    pub slas: Vec<SlaTarget>,
    pub auto_rules: Vec<AutoRule>,
    pub playbooks: Vec<Playbook>,
}

/// What to do for one case type: steps, evidence, decision options with their guidelines and
/// message templates. Versioned: a case records the version it was worked under.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub case_type: String,
    pub version: i64,
    pub title: String,
    /// The procedure the playbook follows, e.g. `PRC-CLAIMS`.
    #[serde(default)]
    pub procedure: Option<String>,
    #[serde(rename = "step", default)]
    pub steps: Vec<PlaybookStep>,
    #[serde(rename = "outcome", default)]
    pub outcomes: Vec<PlaybookOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookStep {
    pub id: String,
    pub title: String,
    /// What must be on file before the step is done.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The clause the step carries out.
    #[serde(default)]
    pub clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookOutcome {
    pub outcome: String,
    /// When to choose it, and what to do after: the remediation guideline.
    pub guideline: String,
    /// The message template for the parties, as a clause of the policy library in English
    /// (`TPL-CLAIM-DECISION-EN §1`); other locales use its variants.
    #[serde(default)]
    pub template: Option<String>,
    /// `happy` or `sad`: whether the outcome is the path the claimant hoped for.
    pub path: String,
}

/// A problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ConfigError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "market", default)]
    markets: Vec<toml::Spanned<MarketSection>>,
    #[serde(rename = "queue", default)]
    queues: Vec<toml::Spanned<QueueSection>>,
    #[serde(rename = "sla", default)]
    slas: Vec<toml::Spanned<SlaSection>>,
    #[serde(rename = "auto_rule", default)]
    auto_rules: Vec<toml::Spanned<AutoSection>>,
    #[serde(rename = "playbook", default)]
    playbooks: Vec<toml::Spanned<Playbook>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketSection {
    code: String,
    currency: String,
    /// Per-claim limit in whole units of the currency.
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    filing_window_days: Option<i64>,
    #[serde(default)]
    covered: Option<Vec<String>>,
    #[serde(default)]
    excluded_items: Option<Vec<String>>,
    /// The language messages to the market's users are written in; `en` unless given.
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueSection {
    id: String,
    name: String,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    markets: Vec<String>,
    #[serde(default)]
    min_priority: Option<String>,
    #[serde(default)]
    min_risk: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaSection {
    #[serde(default)]
    types: Vec<String>,
    priority: String,
    first_response_hours: i64,
    resolution_hours: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoSection {
    name: String,
    #[serde(default)]
    markets: Vec<String>,
    types: Vec<String>,
    /// Claims up to this many whole units of the market's currency.
    max_claim: i64,
    #[serde(default = "yes")]
    require_good_standing: bool,
    #[serde(default = "yes")]
    require_no_fraud_signal: bool,
}

fn yes() -> bool {
    true
}

/// Turns byte offsets into line and column for messages.
struct Locator<'a> {
    text: &'a str,
}

impl Locator<'_> {
    fn at(&self, offset: usize, message: String) -> ConfigError {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        ConfigError {
            line,
            column,
            message,
        }
    }
}

/// Reads a configuration; every problem comes back, located.
pub fn parse_config(text: &str) -> Result<Config, Vec<ConfigError>> {
    let locate = Locator { text };
    let file: File = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![locate.at(offset, e.message().to_owned())]
    })?;
    let mut errors = Vec::new();
    let types = |names: &[String], at: usize, errors: &mut Vec<ConfigError>| {
        names
            .iter()
            .filter_map(|n| {
                CaseType::parse(n)
                    .map_err(|e| errors.push(locate.at(at, format!("case type {e}"))))
                    .ok()
            })
            .collect::<Vec<_>>()
    };

    let mut markets = Vec::new();
    let mut locales = Vec::new();
    for section in &file.markets {
        let at = section.span().start;
        let m = section.get_ref();
        let currency = match Currency::parse(&m.currency) {
            Ok(c) => c,
            Err(e) => {
                errors.push(locate.at(at, format!("market {}: currency: {e}", m.code)));
                continue;
            }
        };
        if arbiter_model::Market::parse(&m.code).is_err() {
            errors.push(locate.at(
                at,
                format!(
                    "market {:?} is not an ISO 3166-1 alpha-2 code such as \"US\"",
                    m.code
                ),
            ));
        }
        let mut terms = GuaranteeTerms::defaults(&m.code, currency);
        if let Some(limit) = m.limit {
            if limit <= 0 {
                errors.push(locate.at(
                    at,
                    format!("market {}: limit must be more than zero", m.code),
                ));
            }
            terms.limit_minor = limit.saturating_mul(10_i64.pow(u32::from(currency.exponent())));
        }
        if let Some(days) = m.filing_window_days {
            if !(1..=365).contains(&days) {
                errors.push(locate.at(
                    at,
                    format!("market {}: filing_window_days must be 1 to 365", m.code),
                ));
            }
            terms.filing_window_days = days;
        }
        if let Some(covered) = &m.covered {
            terms.covered = types(covered, at, &mut errors);
        }
        if let Some(items) = &m.excluded_items {
            terms.excluded_items = items.clone();
        }
        terms.clauses = GuaranteeClauses::default();
        if markets.iter().any(|t: &GuaranteeTerms| t.market == m.code) {
            errors.push(locate.at(at, format!("market {} is configured twice", m.code)));
        }
        locales.push((
            m.code.clone(),
            m.locale.clone().unwrap_or_else(|| "en".into()),
        ));
        markets.push(terms);
    }

    if file.markets.is_empty() {
        errors.push(locate.at(0, "configure at least one [[market]] with its currency: cases open only in configured markets".into()));
    }
    let mut queues = Vec::new();
    for section in &file.queues {
        let at = section.span().start;
        let q = section.get_ref();
        let min_priority = q.min_priority.as_deref().and_then(|p| {
            Priority::parse(p)
                .map_err(|e| {
                    errors.push(locate.at(at, format!("queue {}: min_priority {e}", q.id)))
                })
                .ok()
        });
        if queues.iter().any(|other: &Queue| other.id == q.id) {
            errors.push(locate.at(at, format!("queue {} is configured twice", q.id)));
        }
        queues.push(Queue {
            id: q.id.clone(),
            name: q.name.clone(),
            types: types(&q.types, at, &mut errors),
            markets: q.markets.clone(),
            min_priority,
            min_risk: q.min_risk,
        });
    }
    match queues.last() {
        Some(last)
            if last.types.is_empty()
                && last.markets.is_empty()
                && last.min_priority.is_none()
                && last.min_risk.is_none() => {}
        _ => errors.push(locate.at(
            text.len(),
            "the last queue must take every case (no types, markets, min_priority or min_risk), so that no case goes unrouted".into(),
        )),
    }

    let mut slas = Vec::new();
    for section in &file.slas {
        let at = section.span().start;
        let s = section.get_ref();
        let Ok(priority) = Priority::parse(&s.priority)
            .map_err(|e| errors.push(locate.at(at, format!("sla: priority {e}"))))
        else {
            continue;
        };
        if s.first_response_hours <= 0 || s.resolution_hours < s.first_response_hours {
            errors.push(locate.at(
                at,
                "sla: first_response_hours must be more than zero and resolution_hours at least as many".into(),
            ));
        }
        slas.push(SlaTarget {
            types: types(&s.types, at, &mut errors),
            priority,
            first_response_hours: s.first_response_hours,
            resolution_hours: s.resolution_hours,
        });
    }

    let mut auto_rules = Vec::new();
    for section in &file.auto_rules {
        let at = section.span().start;
        let a = section.get_ref();
        let rule_types = types(&a.types, at, &mut errors);
        if let Some(t) = rule_types.iter().find(|t| !t.is_claim()) {
            errors.push(locate.at(
                at,
                format!(
                    "auto_rule {:?}: only claims are resolved automatically, not {t}",
                    a.name
                ),
            ));
        }
        auto_rules.push(AutoRule {
            name: a.name.clone(),
            markets: a.markets.clone(),
            types: rule_types,
            max_claim: a.max_claim,
            require_good_standing: a.require_good_standing,
            require_no_fraud_signal: a.require_no_fraud_signal,
        });
    }

    let mut playbooks: Vec<Playbook> = Vec::new();
    for section in &file.playbooks {
        let at = section.span().start;
        let p = section.get_ref();
        if let Err(e) = CaseType::parse(&p.case_type) {
            errors.push(locate.at(at, format!("playbook: case_type {e}")));
        }
        if p.version < 1 {
            errors.push(locate.at(at, format!("playbook {}: version starts at 1", p.case_type)));
        }
        if playbooks.iter().any(|other| other.case_type == p.case_type) {
            errors.push(locate.at(at, format!("playbook {} is configured twice", p.case_type)));
        }
        if p.steps.is_empty() || p.outcomes.is_empty() {
            errors.push(locate.at(
                at,
                format!(
                    "playbook {}: give at least one step and one outcome",
                    p.case_type
                ),
            ));
        }
        for outcome in &p.outcomes {
            if let Err(e) = Outcome::parse(&outcome.outcome) {
                errors.push(locate.at(at, format!("playbook {}: outcome {e}", p.case_type)));
            }
            if outcome.path != "happy" && outcome.path != "sad" {
                errors.push(locate.at(
                    at,
                    format!(
                        "playbook {}: path is \"happy\" or \"sad\", not {:?}",
                        p.case_type, outcome.path
                    ),
                ));
            }
        }
        let mut ids: Vec<&str> = p.steps.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            errors.push(locate.at(at, format!("playbook {}: step ids repeat", p.case_type)));
        }
        playbooks.push(p.clone());
    }
    for case_type in CaseType::ALL {
        if !playbooks.iter().any(|p| p.case_type == case_type.as_str()) {
            errors.push(locate.at(
                text.len(),
                format!("no playbook for {case_type}: every case type needs one"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Config {
            markets,
            locales,
            queues,
            slas,
            auto_rules,
            playbooks,
        })
    } else {
        Err(errors)
    }
}

impl Config {
    /// The built-in configuration.
    pub fn default_config() -> Config {
        parse_config(DEFAULT_CONFIG).expect("the built-in resolution configuration checks")
    }

    /// A market's Guarantee terms.
    pub fn terms(&self, market: &str) -> Option<&GuaranteeTerms> {
        self.markets.iter().find(|t| t.market == market)
    }

    /// The language of messages to a market's users.
    pub fn locale(&self, market: &str) -> &str {
        self.locales
            .iter()
            .find(|(m, _)| m == market)
            .map_or("en", |(_, l)| l.as_str())
    }

    pub fn playbook(&self, case_type: CaseType) -> Option<&Playbook> {
        self.playbooks
            .iter()
            .find(|p| p.case_type == case_type.as_str())
    }

    /// Every clause the configuration cites (Guarantee terms, playbook steps and templates),
    /// for checking against the policy library.
    pub fn citations(&self) -> Vec<String> {
        let mut cited: Vec<String> = Vec::new();
        for terms in &self.markets {
            let c = &terms.clauses;
            cited.extend(
                [
                    &c.coverage,
                    &c.filing_window,
                    &c.limit,
                    &c.off_platform,
                    &c.excluded_items,
                ]
                .map(|s| s.clone()),
            );
        }
        for playbook in &self.playbooks {
            cited.extend(playbook.steps.iter().filter_map(|s| s.clause.clone()));
            cited.extend(playbook.outcomes.iter().filter_map(|o| o.template.clone()));
        }
        cited.sort();
        cited.dedup();
        cited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nesting without end is a located error, on less stack than an async worker has.
    #[test]
    fn deep_nesting_is_a_located_error() {
        let texts = [
            format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
            format!("x = {}{}\n", "{a=".repeat(50_000), "}".repeat(50_000)),
        ];
        for text in texts {
            let errors = std::thread::Builder::new()
                .stack_size(1024 * 1024)
                .spawn(move || parse_config(&text).map(|_| ()))
                .unwrap()
                .join()
                .expect("no panic")
                .unwrap_err();
            assert_eq!(errors[0].line, 1, "{}", errors[0].message);
        }
    }

    #[test]
    fn the_default_configuration_checks_and_covers_every_type() {
        let config = Config::default_config();
        assert_eq!(config.markets.len(), 6);
        assert_eq!(config.playbooks.len(), CaseType::ALL.len());
        let us = config.terms("US").unwrap();
        assert_eq!(us.limit_minor, 1_000_000);
        assert_eq!(us.filing_window_days, 14);
        for playbook in &config.playbooks {
            assert!(
                playbook.outcomes.iter().any(|o| o.path == "happy")
                    && playbook.outcomes.iter().any(|o| o.path == "sad"),
                "{} needs a happy and a sad path",
                playbook.case_type
            );
        }
    }

    #[test]
    fn every_clause_the_default_cites_is_in_the_starter_library() {
        let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        let library = arbiter_policy::check_library(&files, &[]).unwrap();
        for cited in Config::default_config().citations() {
            let citation = arbiter_policy::Citation::parse(&cited)
                .unwrap_or_else(|| panic!("{cited} is not a citation"));
            let document = library
                .iter()
                .find(|d| d.id == citation.document)
                .unwrap_or_else(|| panic!("{cited}: no such document"));
            if let Some(clause) = citation.clause {
                assert!(
                    arbiter_policy::clauses(&document.body)
                        .iter()
                        .any(|c| c.number == clause),
                    "{cited}: no such clause"
                );
            }
        }
    }

    #[test]
    fn problems_are_located_and_named() {
        let text = "[[market]]\ncode = \"US\"\ncurrency = \"USDX\"\n\n[[queue]]\nid = \"a\"\nname = \"A\"\ntypes = [\"fraud\", \"claims\"]\n";
        let errors = parse_config(text).unwrap_err();
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            messages[0].starts_with("1:1: market US: currency:"),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with("5:1: case type \"claims\" is not one of")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("the last queue must take every case"))
        );
        assert!(messages.iter().any(|m| m.contains("no playbook for fraud")));
        let syntax = parse_config("[[market]\ncode = 1").unwrap_err();
        assert_eq!(syntax[0].line, 1, "{syntax:?}");
        let unknown =
            parse_config("[[market]]\ncode = \"US\"\ncurrency = \"USD\"\nlimt = 5\n").unwrap_err();
        assert!(unknown[0].message.contains("limt"), "{unknown:?}");
    }
}
