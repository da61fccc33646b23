//! A checked, compiled ruleset and the values it computes with. Built by [`crate::compile`].

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use arbiter_model::{Currency, Micros};
use regex::Regex;
use serde::Serialize;

use crate::ast::AggFunc;

/// Named lists of values (`in list("disposable_domains")`), as they stand when an event is
/// evaluated. Values are compared exactly; rules lowercase what they compare when case must not
/// matter.
pub type Lists = HashMap<String, HashSet<String>>;

/// A ruleset that parsed and type-checked: ready to evaluate, cannot fail to start.
#[derive(Debug)]
pub struct Ruleset {
    pub rules: Vec<Rule>,
    pub(crate) features: Vec<FeatureSpec>,
    pub review_threshold: Option<f64>,
    pub block_threshold: Option<f64>,
    /// Names of the lists the rules read; a ruleset may only be published when they exist.
    pub lists: BTreeSet<String>,
    pub examples: Vec<Example>,
}

impl Ruleset {
    /// The longest window any velocity feature looks back over: how much history an engine
    /// replays before it decides; `None` when a feature looks back without limit.
    pub fn lookback(&self) -> Option<Micros> {
        self.features
            .iter()
            .map(|f| f.window)
            .try_fold(0, |longest, window| window.map(|w| longest.max(w)))
    }

    /// The canonical text of each velocity feature, e.g.
    /// `count(claim.filed by actor.id within 90d)`.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.canonical.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Fires and counts toward the verdict.
    Active,
    /// Evaluated and recorded; no effect on the verdict, the score or the actions.
    Shadow,
}

#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub on: TypeMatcher,
    /// The policy or standard the rule enforces: `POL-PAYMENTS §3.2`.
    pub enforces: Option<String>,
    pub score: f64,
    pub actions: Vec<Action>,
    pub mode: Mode,
    pub(crate) condition: Node,
}

/// Which event types a rule or feature reads: exact types, `claim.*` prefixes, or `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeMatcher {
    patterns: Vec<String>,
}

impl TypeMatcher {
    pub(crate) fn new(patterns: Vec<String>) -> TypeMatcher {
        TypeMatcher { patterns }
    }

    pub fn matches(&self, event_type: &str) -> bool {
        self.patterns.iter().any(|p| {
            p == "*"
                || p == event_type
                || p.strip_suffix('*')
                    .is_some_and(|prefix| event_type.starts_with(prefix))
        })
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

impl fmt::Display for TypeMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.patterns.join(" | "))
    }
}

/// What a fired rule asks the rest of the system to do.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    Allow,
    Review { queue: String },
    Block,
    HoldPayout,
    RequireVerification { method: String },
    OpenCase { case_type: String, priority: String },
    Violation { standard: String },
    Tag { name: String },
}

impl Action {
    /// What the action does, without its arguments.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Allow => ActionKind::Allow,
            Action::Review { .. } => ActionKind::Review,
            Action::Block => ActionKind::Block,
            Action::HoldPayout => ActionKind::HoldPayout,
            Action::RequireVerification { .. } => ActionKind::RequireVerification,
            Action::OpenCase { .. } => ActionKind::OpenCase,
            Action::Violation { .. } => ActionKind::Violation,
            Action::Tag { .. } => ActionKind::Tag,
        }
    }
}

/// Declares [`ActionKind`] from one list of kinds and their names, so that the list of every
/// kind cannot miss one.
macro_rules! action_kinds {
    ($($kind:ident => $name:literal),* $(,)?) => {
        /// What an action does, without its arguments: the one list of action names, as rules
        /// write them, as effects are stored, filtered and subscribed to, and as the API and
        /// its document name them. Each is the `type` of its [`Action`] in JSON.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ActionKind {
            $($kind),*
        }

        impl ActionKind {
            /// Every kind, in the order the rules documentation lists them.
            pub const ALL: &'static [ActionKind] = &[$(ActionKind::$kind),*];

            /// The name rules, effects and the API use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ActionKind::$kind => $name),*
                }
            }
        }
    };
}

action_kinds! {
    Allow => "allow",
    Review => "review",
    Block => "block",
    HoldPayout => "hold_payout",
    RequireVerification => "require_verification",
    OpenCase => "open_case",
    Violation => "violation",
    Tag => "tag",
}

impl ActionKind {
    /// The kind a name spells; `None` when it names no action.
    pub fn parse(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }

    /// Every action name, in the order of [`ActionKind::ALL`].
    pub fn names() -> impl Iterator<Item = &'static str> + Clone {
        ActionKind::ALL.iter().map(|k| k.as_str())
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Action::Allow | Action::Block | Action::HoldPayout => write!(f, "{kind}"),
            Action::Review { queue } => write!(f, "{kind}({queue:?})"),
            Action::RequireVerification { method } => write!(f, "{kind}({method:?})"),
            Action::OpenCase {
                case_type,
                priority,
            } => write!(f, "{kind}({case_type:?}, {priority})"),
            Action::Violation { standard } => write!(f, "{kind}({standard:?})"),
            Action::Tag { name } => write!(f, "{kind}({name:?})"),
        }
    }
}

/// A rule example: events in order (the last is decided) and what must come out.
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    /// 1-based line of the `test` keyword.
    pub line: usize,
    pub lists: Lists,
    pub events: Vec<String>,
    pub expect: Vec<Expected>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Verdict(crate::Verdict),
    Score(f64),
    Fires(String),
    DoesNotFire(String),
    Action(Action),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Verdict(v) => write!(f, "verdict {}", v.as_str()),
            Expected::Score(s) => write!(f, "score {s}"),
            Expected::Fires(r) => write!(f, "fires {r}"),
            Expected::DoesNotFire(r) => write!(f, "not fires {r}"),
            Expected::Action(a) => write!(f, "action {a}"),
        }
    }
}

/// A velocity feature: an aggregate over the recent events that share a key with this one.
#[derive(Debug)]
pub(crate) struct FeatureSpec {
    pub func: AggFunc,
    pub field: Option<Field>,
    pub types: TypeMatcher,
    pub filter: Option<Node>,
    pub by: Field,
    pub window: Option<Micros>,
    pub canonical: String,
}

/// An event field, resolved when the rules are compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    Type,
    OccurredAt,
    Market,
    ActorId,
    ActorRole,
    SubjectId,
    SubjectRole,
    TaskId,
    Amount,
    AmountMinor,
    AmountCurrency,
    Data(Vec<String>),
}

impl Field {
    pub fn name(&self) -> String {
        match self {
            Field::Id => "id".into(),
            Field::Type => "type".into(),
            Field::OccurredAt => "occurred_at".into(),
            Field::Market => "market".into(),
            Field::ActorId => "actor.id".into(),
            Field::ActorRole => "actor.role".into(),
            Field::SubjectId => "subject.id".into(),
            Field::SubjectRole => "subject.role".into(),
            Field::TaskId => "task_id".into(),
            Field::Amount => "amount".into(),
            Field::AmountMinor => "amount.minor".into(),
            Field::AmountCurrency => "amount.currency".into(),
            Field::Data(path) => format!("data.{}", path.join(".")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Lower,
    Upper,
    Len,
    Contains,
    StartsWith,
    EndsWith,
    HasPhone,
    HasEmail,
    HasPaymentApp,
    HasContact,
    /// `classify(text, "label")`: the label is fixed when the rules are checked.
    Classify(crate::classify::Label),
    Time,
    Hours,
    Days,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone)]
pub(crate) enum SetRef {
    Literal(HashSet<String>),
    List(String),
}

/// Deepest a compiled expression may be. Features defined with `let` are inlined where they
/// are read, so a chain of them deepens the tree beyond what the parser sees; the evaluator and
/// the tree's drop recurse, so this bound keeps every walk of the tree within a thread's stack.
pub const MAX_NODE_DEPTH: usize = 128;
/// Most nodes a compiled expression may hold: `let b = a and a`, `let c = b and b`, … doubles
/// the tree at every step, which would exhaust memory long before the source size limit.
pub const MAX_NODES: usize = 20_000;

/// Depth and number of nodes of `node`, or `None` once either passes its bound. Recurses no
/// deeper than `max_depth`, so it is safe on any tree.
pub(crate) fn measure(node: &Node, max_depth: usize, max_nodes: usize) -> Option<(usize, usize)> {
    fn walk(node: &Node, depth: usize, max_depth: usize, budget: &mut usize) -> Option<usize> {
        if depth > max_depth || *budget == 0 {
            return None;
        }
        *budget -= 1;
        let mut deepest = depth;
        let mut visit = |child: &Node, budget: &mut usize| -> Option<()> {
            deepest = deepest.max(walk(child, depth + 1, max_depth, budget)?);
            Some(())
        };
        match node {
            Node::Const(_) | Node::Field(_) => {}
            Node::Feature { key: inner, .. }
            | Node::Named { inner, .. }
            | Node::Not(inner)
            | Node::Neg(inner)
            | Node::Has(inner)
            | Node::In { value: inner, .. }
            | Node::ContainsAny { text: inner, .. }
            | Node::Matches { text: inner, .. } => visit(inner, budget)?,
            Node::And(a, b) | Node::Or(a, b) | Node::Compare(_, a, b) | Node::Arith(_, a, b) => {
                visit(a, budget)?;
                visit(b, budget)?;
            }
            Node::Call { args, .. } => {
                for arg in args {
                    visit(arg, budget)?;
                }
            }
        }
        Some(deepest)
    }
    let mut budget = max_nodes;
    let depth = walk(node, 1, max_depth, &mut budget)?;
    Some((depth, max_nodes - budget))
}

/// A compiled expression. `label` fields hold the source text shown when a rule fires.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Const(Const),
    Field(Field),
    Feature {
        index: usize,
        key: Box<Node>,
        label: Box<str>,
    },
    Named {
        label: Box<str>,
        inner: Box<Node>,
    },
    Not(Box<Node>),
    Neg(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    In {
        value: Box<Node>,
        set: SetRef,
        negated: bool,
    },
    ContainsAny {
        text: Box<Node>,
        set: SetRef,
        label: Box<str>,
    },
    Matches {
        text: Box<Node>,
        regex: Regex,
        label: Box<str>,
    },
    Call {
        func: Func,
        args: Vec<Node>,
        label: Box<str>,
    },
    Has(Box<Node>),
}

#[derive(Debug, Clone)]
pub(crate) enum Const {
    Bool(bool),
    Num(f64),
    Str(String),
    Money(i64, Currency),
    Duration(Micros),
}

/// A value computed while evaluating a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Bool(bool),
    Num(f64),
    Str(Cow<'a, str>),
    Money(i64, Currency),
    /// The sum of no amounts: zero in whatever currency it is compared with.
    NoMoney,
    Time(Micros),
    Duration(Micros),
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Money(minor, currency) => {
                write!(f, "{}", arbiter_model::Money::new(*minor, *currency))
            }
            Value::NoMoney => f.write_str("0"),
            Value::Time(t) => match arbiter_model::from_micros(*t) {
                Some(at) => f.write_str(&arbiter_model::format_rfc3339(at)),
                None => write!(f, "{t}"),
            },
            Value::Duration(d) => write!(f, "{}", format_duration(*d)),
        }
    }
}

/// `90d`, `36h`, `15m`, `10s`: the largest unit that divides the duration.
pub fn format_duration(micros: Micros) -> String {
    let seconds = micros / 1_000_000;
    for (unit, size) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds != 0 && seconds % size == 0 {
            return format!("{}{unit}", seconds / size);
        }
    }
    if micros % 1_000_000 == 0 {
        format!("{seconds}s")
    } else {
        format!("{:.1}s", micros as f64 / 1e6)
    }
}

/// The text a value is keyed by.
pub(crate) fn key_text<'v>(value: &'v Value<'_>) -> std::borrow::Cow<'v, str> {
    match value {
        Value::Str(s) => std::borrow::Cow::Borrowed(s.as_ref()),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}
