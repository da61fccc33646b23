//! The checker: resolves names, checks types and compiles the syntax tree into a [`Ruleset`].
//! Every error is collected, each with its span and, where one is near, the name that was meant.

use std::collections::{BTreeSet, HashMap, HashSet};

use arbiter_model::{Currency, Event};
use regex::RegexBuilder;
use serde_json::Value as Json;

use crate::Verdict;
use crate::ast::{self, AggFunc, BinaryOp, Expr, ExprKind};
use crate::diagnostic::{Diagnostic, Span, did_you_mean, line_column};
use crate::program::*;

/// Most a regular expression may grow to when compiled; patterns run in linear time, this
/// bounds their memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Num,
    Str,
    Money,
    Time,
    Duration,
    /// A `data.*` field whose type is only known when an event arrives.
    Any,
}

impl Ty {
    fn describe(self) -> &'static str {
        match self {
            Ty::Bool => "true or false",
            Ty::Num => "a number",
            Ty::Str => "text",
            Ty::Money => "money",
            Ty::Time => "a time",
            Ty::Duration => "a duration",
            Ty::Any => "a value",
        }
    }

    fn fits(self, other: Ty) -> bool {
        self == other || self == Ty::Any || other == Ty::Any
    }
}

const CORE_FIELDS: [(&str, Ty); 12] = [
    ("id", Ty::Str),
    ("type", Ty::Str),
    ("occurred_at", Ty::Time),
    ("market", Ty::Str),
    ("actor.id", Ty::Str),
    ("actor.role", Ty::Str),
    ("subject.id", Ty::Str),
    ("subject.role", Ty::Str),
    ("task_id", Ty::Str),
    ("amount", Ty::Money),
    ("amount.minor", Ty::Num),
    ("amount.currency", Ty::Str),
];

/// The `data` fields of the core event types (SPEC.md §1).
const CORE_DATA: [(&str, &[(&str, Ty)]); 15] = [
    (
        "user.signed_up",
        &[
            ("email_domain", Ty::Str),
            ("phone_country", Ty::Str),
            ("device_id", Ty::Str),
            ("ip", Ty::Str),
        ],
    ),
    ("user.verified", &[("method", Ty::Str)]),
    ("task.posted", &[("category", Ty::Str)]),
    (
        "task.booked",
        &[("category", Ty::Str), ("starts_at", Ty::Str)],
    ),
    ("task.completed", &[("category", Ty::Str)]),
    (
        "task.cancelled",
        &[
            ("by", Ty::Str),
            ("hours_before_start", Ty::Num),
            ("reason", Ty::Str),
        ],
    ),
    ("task.no_show", &[]),
    ("message.sent", &[("text", Ty::Str), ("thread_id", Ty::Str)]),
    ("payment.captured", &[]),
    ("payment.refunded", &[("reason", Ty::Str)]),
    ("payment.chargeback", &[("reason_code", Ty::Str)]),
    ("review.posted", &[("rating", Ty::Num), ("text", Ty::Str)]),
    ("report.filed", &[("category", Ty::Str), ("text", Ty::Str)]),
    (
        "claim.filed",
        &[
            ("kind", Ty::Str),
            ("incident_at", Ty::Str),
            ("description", Ty::Str),
        ],
    ),
    ("*", &[]),
];

const FUNCTIONS: [(&str, Func, &[Ty], Ty); 13] = [
    ("lower", Func::Lower, &[Ty::Str], Ty::Str),
    ("upper", Func::Upper, &[Ty::Str], Ty::Str),
    ("len", Func::Len, &[Ty::Str], Ty::Num),
    ("contains", Func::Contains, &[Ty::Str, Ty::Str], Ty::Bool),
    (
        "starts_with",
        Func::StartsWith,
        &[Ty::Str, Ty::Str],
        Ty::Bool,
    ),
    ("ends_with", Func::EndsWith, &[Ty::Str, Ty::Str], Ty::Bool),
    ("has_phone", Func::HasPhone, &[Ty::Str], Ty::Bool),
    ("has_email", Func::HasEmail, &[Ty::Str], Ty::Bool),
    ("has_payment_app", Func::HasPaymentApp, &[Ty::Str], Ty::Bool),
    ("has_contact", Func::HasContact, &[Ty::Str], Ty::Bool),
    ("time", Func::Time, &[Ty::Str], Ty::Time),
    ("hours", Func::Hours, &[Ty::Duration], Ty::Num),
    ("days", Func::Days, &[Ty::Duration], Ty::Num),
];
const SPECIAL_FUNCTIONS: [&str; 6] = [
    "matches",
    "contains_any",
    "has",
    "list",
    "count",
    "classify",
];

/// Case types of the resolution center.
pub const CASE_TYPES: [&str; 11] = [
    "property_damage_claim",
    "injury_claim",
    "theft_claim",
    "payment_dispute",
    "quality_dispute",
    "no_show",
    "cancellation_dispute",
    "safety_incident",
    "off_platform_payment",
    "fraud",
    "other",
];
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
pub const VERIFICATION_METHODS: [&str; 4] = ["id_document", "background_check", "phone", "selfie"];

/// The number of nodes of a compiled expression, or an error at `span` when it is too deep or
/// too large to evaluate safely.
fn bounded(node: &Node, span: Span) -> Checked<usize> {
    measure(node, MAX_NODE_DEPTH, MAX_NODES)
        .map(|(_, size)| size)
        .ok_or_else(|| too_large(span))
}

fn too_large(span: Span) -> Diagnostic {
    Diagnostic::error(
        span,
        format!(
            "this expression is too large once the features it reads are written out \
             (more than {MAX_NODE_DEPTH} levels deep or {MAX_NODES} parts)"
        ),
    )
    .with_hint("features that read features that read features multiply; compute less in each")
}

/// Compiles rule text. Warnings come back beside a ruleset; any error means no ruleset.
pub fn compile(source: &str) -> Result<(Ruleset, Vec<Diagnostic>), Vec<Diagnostic>> {
    let (file, mut diagnostics) = crate::parser::parse(source);
    let mut checker = Checker {
        source,
        diagnostics: Vec::new(),
        lets: HashMap::new(),
        inlined: 0,
        features: Vec::new(),
        lists: BTreeSet::new(),
        on_types: Vec::new(),
        in_filter: false,
    };
    let ruleset = checker.file(&file);
    diagnostics.append(&mut checker.diagnostics);
    diagnostics.sort_by_key(|d| d.span.start);
    if diagnostics
        .iter()
        .any(|d| d.severity == crate::Severity::Error)
    {
        Err(diagnostics)
    } else {
        Ok((ruleset, diagnostics))
    }
}

struct Checker<'s> {
    source: &'s str,
    diagnostics: Vec<Diagnostic>,
    /// Each feature's compiled tree, type and number of nodes.
    lets: HashMap<String, (Node, Ty, usize)>,
    /// Nodes copied from features into the expression being checked, bounded by [`MAX_NODES`].
    inlined: usize,
    features: Vec<FeatureSpec>,
    lists: BTreeSet<String>,
    /// Exact event types of the rule being checked, to catch `data.*` typos.
    on_types: Vec<String>,
    /// Inside a feature's `where`: reads the history event only.
    in_filter: bool,
}

type Checked<T> = Result<T, Diagnostic>;

impl Checker<'_> {
    fn text(&self, span: Span) -> String {
        self.source[span.start..span.end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn file(&mut self, file: &ast::File) -> Ruleset {
        for decl in &file.lets {
            if self.lets.contains_key(&decl.name) {
                self.diagnostics.push(Diagnostic::error(
                    decl.span,
                    format!("`{}` is already defined", decl.name),
                ));
                continue;
            }
            if resolve_core(std::slice::from_ref(&decl.name)).is_some() || decl.name == "data" {
                self.diagnostics.push(Diagnostic::error(
                    decl.span,
                    format!("`{}` is an event field; choose another name", decl.name),
                ));
                continue;
            }
            self.on_types.clear();
            self.inlined = 0;
            match self
                .expr(&decl.value)
                .and_then(|(node, ty)| Ok((bounded(&node, decl.span)?, node, ty)))
            {
                Ok((size, node, ty)) => {
                    self.lets.insert(decl.name.clone(), (node, ty, size));
                }
                Err(d) => self.diagnostics.push(d),
            }
        }
        let mut review_threshold = None;
        let mut block_threshold = None;
        for t in &file.thresholds {
            let slot = match t.verdict.as_str() {
                "review" => &mut review_threshold,
                "block" => &mut block_threshold,
                other => {
                    self.diagnostics.push(
                        Diagnostic::error(t.verdict_span, format!("`{other}` has no threshold"))
                            .with_hint("write `threshold review 60` or `threshold block 100`"),
                    );
                    continue;
                }
            };
            if slot.is_some() {
                self.diagnostics.push(Diagnostic::error(
                    t.verdict_span,
                    format!("a second threshold for {}", t.verdict),
                ));
            }
            if t.score <= 0.0 {
                self.diagnostics.push(Diagnostic::error(
                    t.score_span,
                    "a threshold must be above zero, or every event would reach it",
                ));
            }
            *slot = Some(t.score);
        }
        let mut rules: Vec<Rule> = Vec::new();
        let mut ids: HashSet<&str> = HashSet::new();
        for decl in &file.rules {
            if !ids.insert(&decl.id) {
                self.diagnostics.push(Diagnostic::error(
                    decl.id_span,
                    format!("rule id `{}` is used twice", decl.id),
                ));
                continue;
            }
            match self.rule(decl) {
                Ok(rule) => rules.push(rule),
                Err(d) => self.diagnostics.push(d),
            }
        }
        let rule_ids: Vec<&str> = file.rules.iter().map(|r| r.id.as_str()).collect();
        let mut examples = Vec::new();
        for test in &file.tests {
            match self.example(test, &rule_ids) {
                Ok(example) => examples.push(example),
                Err(d) => self.diagnostics.push(d),
            }
        }
        Ruleset {
            rules,
            features: std::mem::take(&mut self.features),
            review_threshold,
            block_threshold,
            lists: std::mem::take(&mut self.lists),
            examples,
        }
    }

    fn rule(&mut self, decl: &ast::RuleDecl) -> Checked<Rule> {
        if decl.on.is_empty() {
            return Err(Diagnostic::error(
                decl.id_span,
                format!("rule {} does not say which events it reads", decl.id),
            )
            .with_hint("add `on claim.filed` (several: `on task.cancelled, task.no_show`)"));
        }
        let core_types: Vec<&str> = CORE_DATA
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t != "*")
            .collect();
        for (pattern, span) in &decl.on {
            if pattern.contains('*') || core_types.contains(&pattern.as_str()) {
                continue;
            }
            if let Some(hint) = did_you_mean(pattern, core_types.iter().copied()) {
                self.diagnostics.push(
                    Diagnostic::warning(*span, format!("`{pattern}` is not a core event type"))
                        .with_hint(hint),
                );
            }
        }
        self.on_types = decl
            .on
            .iter()
            .map(|(t, _)| t.clone())
            .filter(|t| core_types.contains(&t.as_str()))
            .collect();
        if self.on_types.len() != decl.on.len() {
            self.on_types.clear();
        }
        let Some(enforces) = &decl.enforces else {
            return Err(Diagnostic::error(
                decl.id_span,
                format!("rule {} does not say which policy it enforces", decl.id),
            )
            .with_hint("add `enforces POL-PAYMENTS §3.2`: reviewers and appeals cite it"));
        };
        let Some(when) = &decl.when else {
            return Err(Diagnostic::error(
                decl.id_span,
                format!("rule {} has no condition", decl.id),
            )
            .with_hint("add `when …`, for example `when claims_90d >= 3`"));
        };
        // The condition and each action are checked apart, so one run reports all of them.
        self.inlined = 0;
        let condition = self
            .expr(when)
            .and_then(|(node, ty)| bounded(&node, when.span).map(|_| (node, ty)));
        let mut actions = Vec::new();
        let mut action_errors = Vec::new();
        for action in &decl.actions {
            match self.action(action) {
                Ok(action) => actions.push(action),
                Err(e) => action_errors.push(e),
            }
        }
        let (condition, ty) = match condition {
            Ok(checked) => checked,
            Err(e) => {
                self.diagnostics.append(&mut action_errors);
                return Err(e);
            }
        };
        if let Some(last) = action_errors.pop() {
            self.diagnostics.append(&mut action_errors);
            return Err(last);
        }
        if !Ty::Bool.fits(ty) {
            return Err(Diagnostic::error(
                when.span,
                format!(
                    "a condition must be true or false; this is {}",
                    ty.describe()
                ),
            ));
        }
        if actions.is_empty() && decl.score.is_none() {
            self.diagnostics.push(
                Diagnostic::warning(
                    decl.id_span,
                    format!("rule {} has no score and no action", decl.id),
                )
                .with_hint("add `score 30` or `then review(\"queue\")`; as it is, it only records"),
            );
        }
        let mode = match &decl.mode {
            None => Mode::Active,
            Some((m, _)) if m == "active" => Mode::Active,
            Some((m, _)) if m == "shadow" => Mode::Shadow,
            Some((m, span)) => {
                return Err(Diagnostic::error(*span, format!("`{m}` is not a mode"))
                    .with_hint("a rule is `mode active` (the default) or `mode shadow`"));
            }
        };
        Ok(Rule {
            id: decl.id.clone(),
            name: decl.name.clone(),
            on: TypeMatcher::new(decl.on.iter().map(|(t, _)| t.clone()).collect()),
            enforces: Some(match &enforces.clause {
                Some(clause) => format!("{} §{clause}", enforces.document),
                None => enforces.document.clone(),
            }),
            score: decl.score.map_or(0.0, |(s, _)| s),
            actions,
            mode,
            condition,
        })
    }

    fn action(&mut self, decl: &ast::ActionDecl) -> Checked<Action> {
        let args: Vec<&str> = decl.args.iter().map(|(a, _)| a.as_str()).collect();
        let arity = |n: usize, usage: &str| -> Checked<()> {
            if args.len() == n {
                Ok(())
            } else {
                Err(Diagnostic::error(
                    decl.span,
                    format!(
                        "`{}` takes {n} argument{}, not {}",
                        decl.name,
                        if n == 1 { "" } else { "s" },
                        args.len()
                    ),
                )
                .with_hint(format!("write `{usage}`")))
            }
        };
        let one_of = |index: usize, allowed: &[&str], what: &str| -> Checked<String> {
            let value = args[index];
            if allowed.contains(&value) {
                return Ok(value.to_owned());
            }
            let mut d = Diagnostic::error(decl.args[index].1, format!("`{value}` is not a {what}"));
            d = d.with_hint(match did_you_mean(value, allowed.iter().copied()) {
                Some(m) => m,
                None => format!("one of: {}", allowed.join(", ")),
            });
            Err(d)
        };
        let name_arg = |index: usize, what: &str| -> Checked<String> {
            let value = args[index];
            if value.is_empty()
                || value.len() > 64
                || !value
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-.§ ".contains(c))
            {
                return Err(Diagnostic::error(
                    decl.args[index].1,
                    format!("`{value}` is not a valid {what}"),
                )
                .with_hint("use letters, digits, `_`, `-` and `.`, at most 64 characters"));
            }
            Ok(value.to_owned())
        };
        let Some(kind) = ActionKind::parse(&decl.name) else {
            let name = &decl.name;
            let mut d = Diagnostic::error(decl.span, format!("`{name}` is not an action"));
            d = d.with_hint(did_you_mean(name, ActionKind::names()).unwrap_or_else(|| {
                format!(
                    "actions: {}",
                    ActionKind::names().collect::<Vec<_>>().join(", ")
                )
            }));
            return Err(d);
        };
        Ok(match kind {
            ActionKind::Allow => {
                arity(0, kind.as_str())?;
                Action::Allow
            }
            ActionKind::Block => {
                arity(0, kind.as_str())?;
                Action::Block
            }
            ActionKind::HoldPayout => {
                arity(0, kind.as_str())?;
                Action::HoldPayout
            }
            ActionKind::Review => {
                arity(1, &format!("{kind}(\"trust-safety\")"))?;
                Action::Review {
                    queue: name_arg(0, "queue name")?,
                }
            }
            ActionKind::RequireVerification => {
                arity(1, &format!("{kind}(id_document)"))?;
                Action::RequireVerification {
                    method: one_of(0, &VERIFICATION_METHODS, "verification method")?,
                }
            }
            ActionKind::OpenCase => {
                arity(2, &format!("{kind}(fraud, high)"))?;
                Action::OpenCase {
                    case_type: one_of(0, &CASE_TYPES, "case type")?,
                    priority: one_of(1, &PRIORITIES, "priority")?,
                }
            }
            ActionKind::Violation => {
                arity(1, &format!("{kind}(\"STD-CONDUCT §2\")"))?;
                Action::Violation {
                    standard: name_arg(0, "standard id")?,
                }
            }
            ActionKind::Tag => {
                arity(1, &format!("{kind}(\"serial_claimant\")"))?;
                Action::Tag {
                    name: name_arg(0, "tag")?,
                }
            }
        })
    }

    fn example(&mut self, test: &ast::TestDecl, rule_ids: &[&str]) -> Checked<Example> {
        let mut lists = Lists::new();
        for (name, _, values) in &test.lists {
            lists.insert(name.clone(), values.iter().cloned().collect());
        }
        let mut events = Vec::new();
        for (n, (text, span)) in test.events.iter().enumerate() {
            events.push(example_event(text, *span, n)?);
        }
        let mut expect = Vec::new();
        for expectation in &test.expectations {
            expect.push(match expectation {
                ast::Expectation::Verdict(v, span) => {
                    Expected::Verdict(Verdict::parse(v).ok_or_else(|| {
                        Diagnostic::error(*span, format!("`{v}` is not a verdict"))
                            .with_hint("a verdict is `allow`, `review` or `block`")
                    })?)
                }
                ast::Expectation::Score(s) => Expected::Score(*s),
                ast::Expectation::Fires(id, span) | ast::Expectation::DoesNotFire(id, span) => {
                    if !rule_ids.contains(&id.as_str()) {
                        let mut d = Diagnostic::error(*span, format!("no rule is called `{id}`"));
                        if let Some(h) = did_you_mean(id, rule_ids.iter().copied()) {
                            d = d.with_hint(h);
                        }
                        return Err(d);
                    }
                    if matches!(expectation, ast::Expectation::Fires(..)) {
                        Expected::Fires(id.clone())
                    } else {
                        Expected::DoesNotFire(id.clone())
                    }
                }
                ast::Expectation::Action(a) => Expected::Action(self.action(a)?),
            });
        }
        Ok(Example {
            name: test.name.clone(),
            line: line_column(self.source, test.span.start).0,
            lists,
            events,
            expect,
        })
    }

    // ---- expressions ----

    fn expr(&mut self, expr: &Expr) -> Checked<(Node, Ty)> {
        let span = expr.span;
        Ok(match &expr.kind {
            ExprKind::Bool(b) => (Node::Const(Const::Bool(*b)), Ty::Bool),
            ExprKind::Num(n) => (Node::Const(Const::Num(*n)), Ty::Num),
            ExprKind::Str(s) => (Node::Const(Const::Str(s.clone())), Ty::Str),
            ExprKind::Duration(d) => (Node::Const(Const::Duration(*d)), Ty::Duration),
            ExprKind::Money { amount, currency } => {
                let currency = Currency::parse(currency).map_err(|m| Diagnostic::error(span, m))?;
                let scale = 10f64.powi(i32::from(currency.exponent()));
                let minor = amount * scale;
                if (minor - minor.round()).abs() > 1e-6 {
                    return Err(Diagnostic::error(
                        span,
                        format!("{currency} has {} decimal places", currency.exponent()),
                    ));
                }
                (
                    Node::Const(Const::Money(minor.round() as i64, currency)),
                    Ty::Money,
                )
            }
            ExprKind::Array(_) => {
                return Err(
                    Diagnostic::error(span, "a list of values can only follow `in`")
                        .with_hint("write `data.kind in [\"theft\", \"injury\"]`"),
                );
            }
            ExprKind::Path(path) => self.path(path, span)?,
            ExprKind::Not(inner) => {
                let (node, ty) = self.expr(inner)?;
                self.expect_ty(Ty::Bool, ty, inner.span, "`not`")?;
                (Node::Not(Box::new(node)), Ty::Bool)
            }
            ExprKind::Neg(inner) => {
                let (node, ty) = self.expr(inner)?;
                if !matches!(ty, Ty::Num | Ty::Money | Ty::Duration | Ty::Any) {
                    return Err(Diagnostic::error(
                        span,
                        format!("cannot negate {}", ty.describe()),
                    ));
                }
                (Node::Neg(Box::new(node)), ty)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span)?,
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                let (value_node, ty) = self.expr(value)?;
                if !matches!(ty, Ty::Str | Ty::Num | Ty::Any) {
                    return Err(Diagnostic::error(
                        value.span,
                        format!("`in` tests text or numbers, not {}", ty.describe()),
                    ));
                }
                let set = self.set(set)?;
                (
                    Node::In {
                        value: Box::new(value_node),
                        set,
                        negated: *negated,
                    },
                    Ty::Bool,
                )
            }
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, span)?,
            ExprKind::Aggregate(aggregate) => self.aggregate(aggregate, span)?,
        })
    }

    fn expect_ty(&self, expected: Ty, found: Ty, span: Span, context: &str) -> Checked<()> {
        if expected.fits(found) {
            Ok(())
        } else {
            Err(Diagnostic::error(
                span,
                format!(
                    "{context} expects {}, found {}",
                    expected.describe(),
                    found.describe()
                ),
            ))
        }
    }

    fn path(&mut self, path: &[String], span: Span) -> Checked<(Node, Ty)> {
        if path.len() == 1
            && let Some((node, ty, size)) = self.lets.get(&path[0])
        {
            if self.in_filter {
                return Err(Diagnostic::error(
                    span,
                    "a feature's `where` reads the counted event only, not other features",
                ));
            }
            self.inlined += size;
            if self.inlined > MAX_NODES {
                return Err(too_large(span));
            }
            return Ok((
                Node::Named {
                    label: path[0].clone().into(),
                    inner: Box::new(node.clone()),
                },
                *ty,
            ));
        }
        if let Some((field, ty)) = resolve_core(path) {
            return Ok((Node::Field(field), ty));
        }
        if path[0] == "data" && path.len() > 1 {
            let key = &path[1];
            let known: Vec<(&str, Ty)> = CORE_DATA
                .iter()
                .filter(|(t, _)| self.on_types.iter().any(|o| o == t))
                .flat_map(|(_, fields)| fields.iter().copied())
                .collect();
            let ty = known
                .iter()
                .find(|(k, _)| k == key)
                .map_or(Ty::Any, |(_, ty)| *ty);
            if !self.on_types.is_empty() && !known.iter().any(|(k, _)| k == key) {
                let mut d = Diagnostic::warning(
                    span,
                    format!(
                        "{} events carry no `data.{key}` in the core contract",
                        self.on_types.join(" and ")
                    ),
                );
                d = d.with_hint(
                    match crate::diagnostic::nearest(key, known.iter().map(|(k, _)| *k)) {
                        Some(m) => format!("did you mean `data.{m}`?"),
                        None if known.is_empty() => "these events have no core data fields".into(),
                        None => format!(
                            "they carry: {}",
                            known
                                .iter()
                                .map(|(k, _)| format!("data.{k}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                );
                self.diagnostics.push(d);
            }
            let field = Field::Data(path[1..].to_vec());
            let ty = if path.len() > 2 { Ty::Any } else { ty };
            return Ok((Node::Field(field), ty));
        }
        let name = path.join(".");
        let mut candidates: Vec<String> = CORE_FIELDS.iter().map(|(n, _)| n.to_string()).collect();
        candidates.extend(self.lets.keys().cloned());
        let mut d = Diagnostic::error(span, format!("unknown field `{name}`"));
        d = d.with_hint(
            match did_you_mean(&name, candidates.iter().map(String::as_str)) {
                Some(hint) => hint,
                None if path.len() == 1 => format!(
                    "fields are {}, and `data.…`; features are named with `let`",
                    CORE_FIELDS.map(|(n, _)| n).join(", ")
                ),
                None => format!(
                    "event fields: {}, and `data.…`",
                    CORE_FIELDS.map(|(n, _)| n).join(", ")
                ),
            },
        );
        Err(d)
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> Checked<(Node, Ty)> {
        // Both sides are checked even when the left fails, so one run reports both.
        let ((a, at), (b, bt)) = match (self.expr(lhs), self.expr(rhs)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e),
            (Err(first), Err(second)) => {
                self.diagnostics.push(first);
                return Err(second);
            }
        };
        let (a, b) = (Box::new(a), Box::new(b));
        match op {
            BinaryOp::And | BinaryOp::Or => {
                self.expect_ty(Ty::Bool, at, lhs.span, &format!("`{}`", op.symbol()))?;
                self.expect_ty(Ty::Bool, bt, rhs.span, &format!("`{}`", op.symbol()))?;
                let node = if op == BinaryOp::And {
                    Node::And(a, b)
                } else {
                    Node::Or(a, b)
                };
                Ok((node, Ty::Bool))
            }
            BinaryOp::Eq
            | BinaryOp::Ne
            | BinaryOp::Lt
            | BinaryOp::Le
            | BinaryOp::Gt
            | BinaryOp::Ge => {
                if !at.fits(bt) {
                    let mut d = Diagnostic::error(
                        span,
                        format!("cannot compare {} with {}", at.describe(), bt.describe()),
                    );
                    let hint = match (at, bt) {
                        (Ty::Money, Ty::Num) | (Ty::Num, Ty::Money) => Some(
                            "write the amount with its currency, `amount > 500 USD`, or compare `amount.minor` (minor units)",
                        ),
                        (Ty::Time, Ty::Str) | (Ty::Str, Ty::Time) => {
                            Some("read text as a time with `time(data.incident_at)`")
                        }
                        (Ty::Duration, Ty::Num) | (Ty::Num, Ty::Duration) => {
                            Some("write a duration with its unit, `7d`, or convert with `days(…)`")
                        }
                        _ => None,
                    };
                    if let Some(hint) = hint {
                        d = d.with_hint(hint);
                    }
                    return Err(d);
                }
                let ordered = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                if ordered && (at == Ty::Bool || bt == Ty::Bool) {
                    return Err(Diagnostic::error(
                        span,
                        format!("`{}` does not order true and false", op.symbol()),
                    ));
                }
                let cmp = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                Ok((Node::Compare(cmp, a, b), Ty::Bool))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let arith = match op {
                    BinaryOp::Add => ArithOp::Add,
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                let ty = match (arith, at, bt) {
                    (_, Ty::Any, _) | (_, _, Ty::Any) => Ty::Any,
                    (_, Ty::Num, Ty::Num) => Ty::Num,
                    (ArithOp::Sub, Ty::Time, Ty::Time) => Ty::Duration,
                    (ArithOp::Add | ArithOp::Sub, Ty::Time, Ty::Duration) => Ty::Time,
                    (ArithOp::Add | ArithOp::Sub, Ty::Duration, Ty::Duration) => Ty::Duration,
                    (ArithOp::Mul, Ty::Duration, Ty::Num) => Ty::Duration,
                    (ArithOp::Add | ArithOp::Sub, Ty::Money, Ty::Money) => Ty::Money,
                    (ArithOp::Mul | ArithOp::Div, Ty::Money, Ty::Num) => Ty::Money,
                    _ => {
                        return Err(Diagnostic::error(
                            span,
                            format!(
                                "cannot compute {} {} {}",
                                at.describe(),
                                op.symbol(),
                                bt.describe()
                            ),
                        ));
                    }
                };
                Ok((Node::Arith(arith, a, b), ty))
            }
        }
    }

    fn set(&mut self, expr: &Expr) -> Checked<SetRef> {
        match &expr.kind {
            ExprKind::Array(items) => {
                let mut values = HashSet::new();
                for item in items {
                    match &item.kind {
                        ExprKind::Str(s) => values.insert(s.clone()),
                        ExprKind::Num(n) => values.insert(Value::Num(*n).to_string()),
                        _ => {
                            return Err(Diagnostic::error(
                                item.span,
                                "a list holds text or numbers written out",
                            ));
                        }
                    };
                }
                Ok(SetRef::Literal(values))
            }
            ExprKind::Call { name, args, .. } if name == "list" => {
                if self.in_filter {
                    return Err(Diagnostic::error(
                        expr.span,
                        "a feature's `where` cannot read lists: they change, and the history would not",
                    ));
                }
                let [arg] = args.as_slice() else {
                    return Err(Diagnostic::error(expr.span, "`list` takes the list's name")
                        .with_hint("write `list(\"disposable_domains\")`"));
                };
                let ExprKind::Str(list) = &arg.kind else {
                    return Err(
                        Diagnostic::error(arg.span, "a list's name is written in quotes")
                            .with_hint("write `list(\"disposable_domains\")`"),
                    );
                };
                if !crate::valid_list_name(list) {
                    return Err(Diagnostic::error(
                        arg.span,
                        format!("`{list}` is not a list name"),
                    )
                    .with_hint("list names use lowercase letters, digits and `_`, at most 64"));
                }
                self.lists.insert(list.clone());
                Ok(SetRef::List(list.clone()))
            }
            _ => Err(Diagnostic::error(
                expr.span,
                "expected a list: `[\"a\", \"b\"]` or `list(\"name\")`",
            )),
        }
    }

    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
    ) -> Checked<(Node, Ty)> {
        let label: Box<str> = self.text(span).into();
        match name {
            "matches" => {
                let [text, pattern] = args else {
                    return Err(
                        Diagnostic::error(span, "`matches` takes text and a pattern")
                            .with_hint("write `matches(data.text, \"(?i)venmo|zelle\")`"),
                    );
                };
                let (text_node, ty) = self.expr(text)?;
                self.expect_ty(Ty::Str, ty, text.span, "`matches`")?;
                let ExprKind::Str(pattern_text) = &pattern.kind else {
                    return Err(Diagnostic::error(
                        pattern.span,
                        "the pattern must be written out in quotes",
                    )
                    .with_hint(
                        "patterns are compiled before rules run, so they cannot be computed",
                    ));
                };
                let regex = RegexBuilder::new(pattern_text)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        let message = match e {
                            regex::Error::CompiledTooBig(_) => format!("this pattern is too large to run in bounded time (over {} KiB compiled)", REGEX_SIZE_LIMIT / 1024),
                            other => format!("invalid pattern: {}", other.to_string().lines().last().unwrap_or_default().trim_start_matches("error: ")),
                        };
                        Diagnostic::error(pattern.span, message).with_hint("patterns use Rust regex syntax; they run in linear time, so backreferences and look-around are not available")
                    })?;
                Ok((
                    Node::Matches {
                        text: Box::new(text_node),
                        regex,
                        label,
                    },
                    Ty::Bool,
                ))
            }
            "contains_any" => {
                let [text, set] = args else {
                    return Err(
                        Diagnostic::error(span, "`contains_any` takes text and a list").with_hint(
                            "write `contains_any(lower(data.text), [\"cash\", \"venmo\"])`",
                        ),
                    );
                };
                let (text_node, ty) = self.expr(text)?;
                self.expect_ty(Ty::Str, ty, text.span, "`contains_any`")?;
                let set = self.set(set)?;
                Ok((
                    Node::ContainsAny {
                        text: Box::new(text_node),
                        set,
                        label,
                    },
                    Ty::Bool,
                ))
            }
            "classify" => {
                let [text, class] = args else {
                    return Err(Diagnostic::error(span, "`classify` takes text and a label")
                        .with_hint(
                            "write `classify(data.text, \"off_platform_payment\") >= 0.5`",
                        ));
                };
                let (text_node, ty) = self.expr(text)?;
                self.expect_ty(Ty::Str, ty, text.span, "argument 1 of `classify`")?;
                let labels = || {
                    crate::classify::Label::ALL
                        .map(|l| format!("`\"{}\"`", l.as_str()))
                        .join(", ")
                };
                let ExprKind::Str(name) = &class.kind else {
                    return Err(Diagnostic::error(
                        class.span,
                        "the label must be written out in quotes",
                    )
                    .with_hint(format!("labels: {}", labels())));
                };
                let Some(class) = crate::classify::Label::parse(name) else {
                    let names = crate::classify::Label::ALL.map(|l| l.as_str());
                    return Err(Diagnostic::error(
                        class.span,
                        format!("unknown classifier label `{name}`"),
                    )
                    .with_hint(
                        did_you_mean(name, names.iter().copied())
                            .unwrap_or_else(|| format!("labels: {}", labels())),
                    ));
                };
                Ok((
                    Node::Call {
                        func: Func::Classify(class),
                        args: vec![text_node],
                        label,
                    },
                    Ty::Num,
                ))
            }
            "has" => {
                let [inner] = args else {
                    return Err(Diagnostic::error(span, "`has` takes one field")
                        .with_hint("write `has(data.device_id)`"));
                };
                let (node, _) = self.expr(inner)?;
                Ok((Node::Has(Box::new(node)), Ty::Bool))
            }
            "list" => Err(Diagnostic::error(
                span,
                "a list can only follow `in` or be searched with `contains_any`",
            )
            .with_hint("write `data.email_domain in list(\"disposable_domains\")`")),
            _ => {
                let Some((_, func, params, ret)) = FUNCTIONS.iter().find(|(n, ..)| *n == name)
                else {
                    let names = FUNCTIONS
                        .iter()
                        .map(|(n, ..)| *n)
                        .chain(SPECIAL_FUNCTIONS)
                        .chain(["sum", "distinct", "latest"]);
                    let mut d = Diagnostic::error(name_span, format!("unknown function `{name}`"));
                    d = d.with_hint(did_you_mean(name, names).unwrap_or_else(|| {
                        format!("functions: {}", FUNCTIONS.map(|(n, ..)| n).join(", "))
                    }));
                    return Err(d);
                };
                if args.len() != params.len() {
                    return Err(Diagnostic::error(
                        span,
                        format!(
                            "`{name}` takes {} argument{}, given {}",
                            params.len(),
                            if params.len() == 1 { "" } else { "s" },
                            args.len()
                        ),
                    ));
                }
                let mut nodes = Vec::new();
                for (n, (arg, param)) in args.iter().zip(params.iter()).enumerate() {
                    let (node, ty) = self.expr(arg)?;
                    self.expect_ty(
                        *param,
                        ty,
                        arg.span,
                        &format!("argument {} of `{name}`", n + 1),
                    )?;
                    nodes.push(node);
                }
                Ok((
                    Node::Call {
                        func: *func,
                        args: nodes,
                        label,
                    },
                    *ret,
                ))
            }
        }
    }

    fn aggregate(&mut self, aggregate: &ast::Aggregate, span: Span) -> Checked<(Node, Ty)> {
        if self.in_filter {
            return Err(Diagnostic::error(
                span,
                "a feature's `where` cannot hold another feature",
            ));
        }
        let func = aggregate.func;
        let field_of = |checker: &mut Self, path: &[String], span: Span| -> Checked<(Field, Ty)> {
            match checker.path(path, span)? {
                (Node::Field(field), ty) => Ok((field, ty)),
                _ => Err(Diagnostic::error(span, "expected an event field here")),
            }
        };
        // Fields of the counted events are read on those events: check them against their types.
        let saved = std::mem::take(&mut self.on_types);
        let exact: Vec<String> = aggregate
            .types
            .iter()
            .map(|(t, _)| t.clone())
            .filter(|t| !t.contains('*'))
            .collect();
        if exact.len() == aggregate.types.len()
            && exact.iter().all(|t| CORE_DATA.iter().any(|(c, _)| c == t))
        {
            self.on_types = exact;
        }
        let field = match &aggregate.field {
            Some((path, span)) => Some(field_of(self, path, *span)?),
            None => None,
        };
        let (by, by_ty) = field_of(self, &aggregate.by.0, aggregate.by.1)?;
        self.in_filter = true;
        let filter = aggregate.filter.as_ref().map(|f| self.expr(f)).transpose();
        self.in_filter = false;
        self.on_types = saved;
        let filter = match filter? {
            Some((node, ty)) => {
                self.expect_ty(
                    Ty::Bool,
                    ty,
                    aggregate.filter.as_ref().map_or(span, |f| f.span),
                    "`where`",
                )?;
                Some(node)
            }
            None => None,
        };
        let key = match &aggregate.key {
            Some(expr) => {
                let (node, ty) = self.expr(expr)?;
                if !by_ty.fits(ty) {
                    return Err(Diagnostic::error(
                        expr.span,
                        format!(
                            "`{}` is {}, but this is {}",
                            aggregate.by.0.join("."),
                            by_ty.describe(),
                            ty.describe()
                        ),
                    ));
                }
                node
            }
            None => Node::Field(by.clone()),
        };
        let window = aggregate.window.map(|(w, _)| w);
        if window.is_none() && func != AggFunc::Latest {
            return Err(
                Diagnostic::error(span, format!("`{}` needs a window", func.name()))
                    .with_hint("add `within 90d` before `)`: velocity counts recent events"),
            );
        }
        if let Some((w, wspan)) = aggregate.window
            && w <= 0
        {
            return Err(Diagnostic::error(
                wspan,
                "a window must be longer than zero",
            ));
        }
        let ty = match (func, &field) {
            (AggFunc::Count | AggFunc::Distinct, _) => Ty::Num,
            (AggFunc::Sum, Some((_, ty @ (Ty::Num | Ty::Money | Ty::Any)))) => *ty,
            (AggFunc::Sum, Some((_, ty))) => {
                return Err(Diagnostic::error(
                    aggregate.field.as_ref().map_or(span, |f| f.1),
                    format!("cannot add up {}", ty.describe()),
                ));
            }
            (_, Some((_, ty))) => *ty,
            (_, None) => Ty::Any,
        };
        let types = TypeMatcher::new(aggregate.types.iter().map(|(t, _)| t.clone()).collect());
        let mut canonical = format!("{}(", func.name());
        if let Some((path, _)) = &aggregate.field {
            canonical.push_str(&format!("{} of ", path.join(".")));
        }
        canonical.push_str(&types.to_string());
        if let Some(f) = &aggregate.filter {
            canonical.push_str(&format!(" where {}", self.text(f.span)));
        }
        canonical.push_str(&format!(" by {}", by.name()));
        if let Some(w) = window {
            canonical.push_str(&format!(" within {}", format_duration(w)));
        }
        canonical.push(')');
        let index = match self.features.iter().position(|f| f.canonical == canonical) {
            Some(index) => index,
            None => {
                self.features.push(FeatureSpec {
                    func,
                    field: field.map(|(f, _)| f),
                    types,
                    filter,
                    by,
                    window,
                    canonical: canonical.clone(),
                });
                self.features.len() - 1
            }
        };
        Ok((
            Node::Feature {
                index,
                key: Box::new(key),
                label: self.text(span).into(),
            },
            ty,
        ))
    }
}

fn resolve_core(path: &[String]) -> Option<(Field, Ty)> {
    let name = path.join(".");
    let field = match name.as_str() {
        "id" => Field::Id,
        "type" => Field::Type,
        "occurred_at" => Field::OccurredAt,
        "market" => Field::Market,
        "actor.id" => Field::ActorId,
        "actor.role" => Field::ActorRole,
        "subject.id" => Field::SubjectId,
        "subject.role" => Field::SubjectRole,
        "task_id" => Field::TaskId,
        "amount" => Field::Amount,
        "amount.minor" => Field::AmountMinor,
        "amount.currency" => Field::AmountCurrency,
        _ => return None,
    };
    let ty = CORE_FIELDS.iter().find(|(n, _)| *n == name)?.1;
    Some((field, ty))
}

/// Completes an example event with defaults for what it leaves out, so examples stay short,
/// then validates it as any ingested event would be.
fn example_event(text: &str, span: Span, index: usize) -> Checked<String> {
    let mut object = match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(object)) => object,
        Ok(_) => {
            return Err(Diagnostic::error(
                span,
                "an example event must be a JSON object",
            ));
        }
        Err(e) => {
            let offset = offset_of(text, e.line(), e.column());
            let at = span.start + offset;
            return Err(Diagnostic::error(
                Span::new(at, (at + 1).min(span.end)),
                format!("malformed JSON: {e}"),
            ));
        }
    };
    let defaults = [
        ("id", Json::String(format!("example_{}", index + 1))),
        (
            "occurred_at",
            Json::String(format!(
                "2026-01-01T{:02}:{:02}:00Z",
                8 + index / 60,
                index % 60
            )),
        ),
        ("market", Json::String("US".into())),
        (
            "actor",
            serde_json::json!({"id": "u_example", "role": "client"}),
        ),
    ];
    for (key, value) in defaults {
        object.entry(key).or_insert(value);
    }
    let completed = Json::Object(object).to_string();
    match Event::parse(&completed) {
        Ok(_) => Ok(completed),
        Err(refused) => Err(Diagnostic::error(span, format!("this example event is not valid: {}: {}", refused.error.field, refused.error.message))
            .with_hint("examples follow the event contract; `id`, `occurred_at`, `market` and `actor` may be left out")),
    }
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line {
            return offset + column.saturating_sub(1).min(l.len());
        }
        offset += l.len();
    }
    text.len().saturating_sub(1)
}
