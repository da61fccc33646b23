//! Evaluation: one event, its velocity features and the lists in, one [`Decision`] out.

use std::borrow::Cow;
use std::sync::Arc;

use arbiter_model::{Event, Micros};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::features::Velocity;
use crate::program::{
    Action, ArithOp, CmpOp, Const, FeatureSpec, Field, Func, Lists, Mode, Node, Rule, Ruleset,
    SetRef, Value, key_text,
};
use crate::{classify, contact};

/// An event as rules read it: the validated event and its JSON object, for `data.*`.
pub struct Facts<'a> {
    pub event: &'a Event,
    pub object: &'a Map<String, Json>,
}

/// The outcome of a ruleset for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Review,
    Block,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Review => "review",
            Verdict::Block => "block",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "allow" => Some(Verdict::Allow),
            "review" => Some(Verdict::Review),
            "block" => Some(Verdict::Block),
            _ => None,
        }
    }
}

/// A value that contributed to a rule firing: `claims_90d = 4`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Evidence {
    pub expression: String,
    pub value: String,
}

/// A rule that fired, or failed, on this event.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RuleHit {
    pub rule_id: String,
    pub rule_name: String,
    pub mode: Mode,
    /// False when the rule could not be evaluated; `error` says why.
    pub fired: bool,
    pub score: f64,
    pub actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforces: Option<String>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The member a rule that fired is about, whom its actions address: the party whose
    /// history it read (the actor's or the subject's id that the first velocity feature it read
    /// looks up), else the event's party ([`party`]). Absent on rules that did not fire, and on
    /// decisions stored before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        match String::deserialize(d)?.as_str() {
            "active" => Ok(Mode::Active),
            "shadow" => Ok(Mode::Shadow),
            other => Err(serde::de::Error::custom(format!("unknown mode {other:?}"))),
        }
    }
}

/// What the ruleset decided: the verdict, the total score of active rules, their actions
/// (each once), and every rule that fired or failed, shadow rules included.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    pub score: f64,
    pub actions: Vec<Action>,
    pub hits: Vec<RuleHit>,
}

impl Decision {
    pub fn fired(&self, rule_id: &str) -> bool {
        self.hits.iter().any(|h| h.fired && h.rule_id == rule_id)
    }

    /// Whom `action` addresses: the member of the first active rule that fired and asked
    /// for it.
    pub fn member_for(&self, action: &Action) -> Option<&str> {
        self.hits
            .iter()
            .find(|h| h.fired && h.mode == Mode::Active && h.actions.contains(action))
            .and_then(|h| h.member.as_deref())
    }

    /// The members the rules that fired are about, each once, active rules' first.
    pub fn members(&self) -> Vec<&str> {
        let mut members: Vec<&str> = Vec::new();
        for mode in [Mode::Active, Mode::Shadow] {
            for hit in self.hits.iter().filter(|h| h.fired && h.mode == mode) {
                if let Some(m) = hit.member.as_deref()
                    && !members.contains(&m)
                {
                    members.push(m);
                }
            }
        }
        members
    }
}

/// The member an event is about when no rule says otherwise: its actor, or its subject when
/// the actor is staff or a system.
pub fn party(event: &Event) -> Option<&str> {
    use arbiter_model::PartyRole;
    match event.actor.role {
        PartyRole::Client | PartyRole::Tasker => Some(event.actor.id.as_str()),
        _ => event.subject.as_ref().map(|s| s.id.as_str()),
    }
}

/// A ruleset with its velocity state: feed it every event in time order.
pub struct Engine {
    ruleset: Arc<Ruleset>,
    velocity: Velocity,
}

impl Engine {
    pub fn new(ruleset: Arc<Ruleset>) -> Engine {
        let velocity = Velocity::new(ruleset.features.len());
        Engine { ruleset, velocity }
    }

    pub fn ruleset(&self) -> &Arc<Ruleset> {
        &self.ruleset
    }

    pub fn velocity(&self) -> &Velocity {
        &self.velocity
    }

    /// Adds an event to the velocity state without deciding it (history replayed at start).
    pub fn observe(&mut self, facts: &Facts<'_>) {
        observe(&mut self.velocity, &self.ruleset.features, facts);
    }

    /// Adds the event to the velocity state, then evaluates every rule that reads its type.
    /// Velocity features therefore count the event itself.
    pub fn decide(&mut self, facts: &Facts<'_>, lists: &Lists) -> Decision {
        self.observe(facts);
        decide(&self.ruleset, &self.velocity, facts, lists)
    }
}

/// Evaluates the ruleset against an event whose velocity state is already up to date.
pub fn decide(
    ruleset: &Ruleset,
    velocity: &Velocity,
    facts: &Facts<'_>,
    lists: &Lists,
) -> Decision {
    let event_type = facts.event.event_type.as_str();
    let mut hits = Vec::new();
    for rule in ruleset.rules.iter().filter(|r| r.on.matches(event_type)) {
        let mut evaluator = Evaluator {
            facts,
            ruleset: Some((ruleset, velocity)),
            lists,
            trace: None,
            about: None,
        };
        match evaluator.eval(&rule.condition) {
            Ok(Value::Bool(false)) => {}
            Ok(Value::Bool(true)) => {
                // Fired: evaluate again, recording the values that made it fire.
                evaluator.trace = Some(Vec::new());
                let _ = evaluator.eval(&rule.condition);
                let member = evaluator
                    .about
                    .and_then(|field| field_value(&field, facts).ok())
                    .map(|v| key_text(&v).into_owned())
                    .or_else(|| party(facts.event).map(str::to_owned));
                let mut fired = hit(rule, true, evaluator.trace.unwrap_or_default(), None);
                fired.member = member;
                hits.push(fired);
            }
            Ok(other) => hits.push(hit(
                rule,
                false,
                Vec::new(),
                Some(format!("the condition gave {other}, not true or false")),
            )),
            Err(error) => hits.push(hit(rule, false, Vec::new(), Some(error))),
        }
    }
    let mut score = 0.0;
    let mut actions: Vec<Action> = Vec::new();
    for hit in hits.iter().filter(|h| h.fired && h.mode == Mode::Active) {
        score += hit.score;
        for action in &hit.actions {
            if !actions.contains(action) {
                actions.push(action.clone());
            }
        }
    }
    let verdict = verdict(ruleset, score, &actions);
    Decision {
        verdict,
        score,
        actions,
        hits,
    }
}

/// `block` wins; then an explicit `allow` (an allow-list rule) overrides review; then any action
/// that needs a person or a step, or a score over a threshold, means review.
fn verdict(ruleset: &Ruleset, score: f64, actions: &[Action]) -> Verdict {
    let over = |threshold: Option<f64>| threshold.is_some_and(|t| score >= t);
    if actions.contains(&Action::Block) || over(ruleset.block_threshold) {
        return Verdict::Block;
    }
    if actions.contains(&Action::Allow) {
        return Verdict::Allow;
    }
    let needs_review = actions.iter().any(|a| {
        matches!(
            a,
            Action::Review { .. }
                | Action::HoldPayout
                | Action::RequireVerification { .. }
                | Action::OpenCase { .. }
        )
    });
    if needs_review || over(ruleset.review_threshold) {
        Verdict::Review
    } else {
        Verdict::Allow
    }
}

fn hit(rule: &Rule, fired: bool, evidence: Vec<Evidence>, error: Option<String>) -> RuleHit {
    RuleHit {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        mode: rule.mode,
        fired,
        score: rule.score,
        actions: rule.actions.clone(),
        enforces: rule.enforces.clone(),
        evidence,
        error,
        member: None,
    }
}

type Eval<'a> = Result<Value<'a>, String>;

pub(crate) struct Evaluator<'a> {
    facts: &'a Facts<'a>,
    /// `None` inside feature filters, which read the one event only.
    ruleset: Option<(&'a Ruleset, &'a Velocity)>,
    lists: &'a Lists,
    trace: Option<Vec<Evidence>>,
    /// The party field that the first velocity feature read looks up.
    about: Option<Field>,
}

/// How many words or phrases a classifier's evidence names.
const EXPLAINED_WORDS: usize = 5;

static NO_LISTS: std::sync::LazyLock<Lists> = std::sync::LazyLock::new(Lists::new);

impl<'a> Evaluator<'a> {
    pub(crate) fn without_state(facts: &'a Facts<'a>) -> Evaluator<'a> {
        Evaluator {
            facts,
            ruleset: None,
            lists: &NO_LISTS,
            trace: None,
            about: None,
        }
    }

    fn record_text(&mut self, label: &str, value: String) {
        if let Some(trace) = &mut self.trace
            && !trace.iter().any(|e| e.expression == label)
        {
            trace.push(Evidence {
                expression: label.to_owned(),
                value,
            });
        }
    }

    fn record(&mut self, label: &str, value: &Value<'_>) {
        if let Some(trace) = &mut self.trace
            && !trace.iter().any(|e| e.expression == label)
        {
            trace.push(Evidence {
                expression: label.to_owned(),
                value: value.to_string(),
            });
        }
    }

    /// A classifier's score, and the words that weighed most towards it, as evidence.
    fn explain_classify(&mut self, label: &str, class: classify::Label, text: &str) {
        let score = classify::score(class, text);
        self.record_text(label, format!("{score:.3}"));
        let words = classify::explain(class, text, EXPLAINED_WORDS)
            .iter()
            .map(|(word, weight)| format!("{word:?} +{weight:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        if !words.is_empty() {
            self.record_text(&format!("{label} weighed most"), words);
        }
    }

    pub(crate) fn eval(&mut self, node: &'a Node) -> Eval<'a> {
        match node {
            Node::Const(c) => Ok(match c {
                Const::Bool(b) => Value::Bool(*b),
                Const::Num(n) => Value::Num(*n),
                Const::Str(s) => Value::Str(Cow::Borrowed(s)),
                Const::Money(m, c) => Value::Money(*m, *c),
                Const::Duration(d) => Value::Duration(*d),
            }),
            Node::Field(field) => {
                let value = field_value(field, self.facts)?;
                if self.trace.is_some() {
                    self.record(&field.name(), &value);
                }
                Ok(value)
            }
            Node::Feature { index, key, label } => {
                if self.about.is_none()
                    && let Node::Field(field @ (Field::ActorId | Field::SubjectId)) = &**key
                {
                    self.about = Some(field.clone());
                }
                // The key (whose history) is implied by the feature's text; not evidence.
                let tracing = self.trace.take();
                let key = self.eval(key);
                self.trace = tracing;
                let key = key?;
                let (ruleset, velocity) = self
                    .ruleset
                    .ok_or_else(|| "a feature cannot be read here".to_owned())?;
                let now = arbiter_model::to_micros(self.facts.event.occurred_at);
                let value = velocity.value(&ruleset.features, *index, &key_text(&key), now)?;
                let value = own(value);
                self.record(label, &value);
                Ok(value)
            }
            Node::Named { label, inner } => {
                // A named feature is shown by its name alone; other named values also show
                // what they were computed from.
                let value = if matches!(**inner, Node::Feature { .. }) {
                    let tracing = self.trace.take();
                    let value = self.eval(inner);
                    self.trace = tracing;
                    value?
                } else {
                    self.eval(inner)?
                };
                self.record(label, &value);
                Ok(value)
            }
            Node::Not(inner) => Ok(Value::Bool(!self.truth(inner)?)),
            Node::Neg(inner) => match self.eval(inner)? {
                Value::Num(n) => Ok(Value::Num(-n)),
                Value::Money(m, c) => Ok(Value::Money(-m, c)),
                Value::Duration(d) => Ok(Value::Duration(-d)),
                other => Err(format!("cannot negate {other}")),
            },
            Node::And(a, b) => Ok(Value::Bool(self.truth(a)? && self.truth(b)?)),
            Node::Or(a, b) => Ok(Value::Bool(self.truth(a)? || self.truth(b)?)),
            Node::Compare(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                compare(*op, &a, &b).map(Value::Bool)
            }
            Node::Arith(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                arithmetic(*op, a, b)
            }
            Node::In {
                value,
                set,
                negated,
            } => {
                let value = self.eval(value)?;
                let text = key_text(&value);
                let found = match set {
                    SetRef::Literal(items) => items.contains(text.as_ref()),
                    SetRef::List(name) => self.list(name)?.contains(text.as_ref()),
                };
                Ok(Value::Bool(found != *negated))
            }
            Node::ContainsAny { text, set, label } => {
                let value = self.eval(text)?;
                let text = key_text(&value);
                let found = match set {
                    SetRef::Literal(items) => items.iter().any(|i| text.contains(i.as_str())),
                    SetRef::List(name) => {
                        self.list(name)?.iter().any(|i| text.contains(i.as_str()))
                    }
                };
                let value = Value::Bool(found);
                self.record(label, &value);
                Ok(value)
            }
            Node::Matches { text, regex, label } => {
                let text = self.eval(text)?;
                let value = Value::Bool(regex.is_match(&key_text(&text)));
                self.record(label, &value);
                Ok(value)
            }
            Node::Call { func, args, label } => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    values.push(self.eval(arg)?);
                }
                if let (Func::Classify(class), Some(Value::Str(text))) = (func, values.first())
                    && self.trace.is_some()
                {
                    self.explain_classify(label, *class, text);
                }
                let value = call(*func, values)?;
                if self.trace.is_some() && matches!(value, Value::Bool(_)) {
                    self.record(label, &value);
                }
                Ok(value)
            }
            Node::Has(inner) => {
                let tracing = self.trace.take();
                let result = self.eval(inner);
                self.trace = tracing;
                Ok(Value::Bool(result.is_ok()))
            }
        }
    }

    fn truth(&mut self, node: &'a Node) -> Result<bool, String> {
        match self.eval(node)? {
            Value::Bool(b) => Ok(b),
            other => Err(format!("expected true or false, got {other}")),
        }
    }

    fn list(&self, name: &str) -> Result<&'a std::collections::HashSet<String>, String> {
        self.lists
            .get(name)
            .ok_or_else(|| format!("list {name:?} does not exist"))
    }
}

/// Features borrow from the velocity state; a decision outlives nothing, but the evaluator's
/// lifetime ties to the event, so feature values are copied out (they are small).
fn own(value: Value<'_>) -> Value<'static> {
    match value {
        Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
        Value::Bool(b) => Value::Bool(b),
        Value::Num(n) => Value::Num(n),
        Value::Money(m, c) => Value::Money(m, c),
        Value::NoMoney => Value::NoMoney,
        Value::Time(t) => Value::Time(t),
        Value::Duration(d) => Value::Duration(d),
    }
}

/// Reads a field of the event. A missing field is an error the decision records.
/// Remembers what `facts` contributes to each feature that reads its type: its key, whether
/// it passes the feature's filter, and the value of the field it aggregates.
fn observe(velocity: &mut Velocity, specs: &[FeatureSpec], facts: &Facts<'_>) {
    let event_type = facts.event.event_type.as_str();
    let at = arbiter_model::to_micros(facts.event.occurred_at);
    for (index, spec) in specs.iter().enumerate() {
        if !spec.types.matches(event_type) {
            continue;
        }
        let Ok(key) = field_value(&spec.by, facts) else {
            continue;
        };
        if let Some(filter) = &spec.filter {
            let mut evaluator = Evaluator::without_state(facts);
            if evaluator.eval(filter) != Ok(Value::Bool(true)) {
                continue;
            }
        }
        let value = match &spec.field {
            None => None,
            Some(field) => match field_value(field, facts) {
                Ok(v) => Some(v),
                Err(_) => continue,
            },
        };
        velocity.record(index, spec, &key_text(&key), at, value);
    }
}

pub(crate) fn field_value<'a>(field: &Field, facts: &Facts<'a>) -> Result<Value<'a>, String> {
    let event = facts.event;
    let missing = || format!("{} is missing", field.name());
    Ok(match field {
        Field::Id => Value::Str(Cow::Borrowed(event.id.as_str())),
        Field::Type => Value::Str(Cow::Borrowed(event.event_type.as_str())),
        Field::OccurredAt => Value::Time(arbiter_model::to_micros(event.occurred_at)),
        Field::Market => Value::Str(Cow::Borrowed(event.market.as_str())),
        Field::ActorId => Value::Str(Cow::Borrowed(event.actor.id.as_str())),
        Field::ActorRole => Value::Str(Cow::Borrowed(event.actor.role.as_str())),
        Field::SubjectId => Value::Str(Cow::Borrowed(
            event.subject.as_ref().ok_or_else(missing)?.id.as_str(),
        )),
        Field::SubjectRole => Value::Str(Cow::Borrowed(
            event.subject.as_ref().ok_or_else(missing)?.role.as_str(),
        )),
        Field::TaskId => Value::Str(Cow::Borrowed(event.task_id.as_deref().ok_or_else(missing)?)),
        Field::Amount => {
            let amount = event.amount.ok_or_else(missing)?;
            Value::Money(amount.minor, amount.currency)
        }
        Field::AmountMinor => Value::Num(event.amount.ok_or_else(missing)?.minor as f64),
        Field::AmountCurrency => {
            let currency = event.amount.ok_or_else(missing)?.currency;
            Value::Str(Cow::Owned(currency.as_str().to_owned()))
        }
        Field::Data(path) => {
            let mut value = facts.object.get("data").ok_or_else(missing)?;
            for key in path {
                value = value.get(key.as_str()).ok_or_else(missing)?;
            }
            match value {
                Json::Null => return Err(missing()),
                Json::Bool(b) => Value::Bool(*b),
                Json::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
                Json::String(s) => Value::Str(Cow::Borrowed(s)),
                Json::Array(_) => return Err(format!("{} is a list, not a value", field.name())),
                Json::Object(_) => {
                    return Err(format!("{} is an object, not a value", field.name()));
                }
            }
        }
    })
}

fn compare(op: CmpOp, a: &Value<'_>, b: &Value<'_>) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) | (Value::Duration(x), Value::Duration(y)) => {
            Some(x.cmp(y))
        }
        (Value::Money(x, c), Value::Money(y, d)) => {
            // Amounts in different currencies are neither equal nor ordered.
            if c != d {
                return Ok(op == CmpOp::Ne);
            }
            Some(x.cmp(y))
        }
        (Value::NoMoney, Value::Money(y, _)) => Some(0.cmp(y)),
        (Value::Money(x, _), Value::NoMoney) => Some(x.cmp(&0)),
        (Value::NoMoney, Value::NoMoney) => Some(Ordering::Equal),
        (Value::Time(x), Value::Str(s)) | (Value::Str(s), Value::Time(x)) => {
            let _ = (x, s);
            return Err(format!(
                "cannot compare a time with the text {s}; read it with time(…)"
            ));
        }
        (a, b) => {
            return Err(format!("cannot compare {a} with {b}"));
        }
    };
    let Some(ordering) = ordering else {
        return Ok(op == CmpOp::Ne);
    };
    Ok(match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    })
}

fn arithmetic<'a>(op: ArithOp, a: Value<'a>, b: Value<'a>) -> Eval<'a> {
    use ArithOp::*;
    Ok(match (op, a, b) {
        (Add, Value::Num(x), Value::Num(y)) => Value::Num(x + y),
        (Sub, Value::Num(x), Value::Num(y)) => Value::Num(x - y),
        (Mul, Value::Num(x), Value::Num(y)) => Value::Num(x * y),
        (Div, Value::Num(_), Value::Num(0.0)) => {
            return Err("division by zero".into());
        }
        (Div, Value::Num(x), Value::Num(y)) => Value::Num(x / y),
        (Sub, Value::Time(x), Value::Time(y)) => Value::Duration(x - y),
        (Add, Value::Time(x), Value::Duration(y)) => Value::Time(x + y),
        (Sub, Value::Time(x), Value::Duration(y)) => Value::Time(x - y),
        (Add, Value::Duration(x), Value::Duration(y)) => Value::Duration(x + y),
        (Sub, Value::Duration(x), Value::Duration(y)) => Value::Duration(x - y),
        (Mul, Value::Duration(x), Value::Num(y)) => Value::Duration((x as f64 * y) as i64),
        (Add | Sub, Value::Money(x, c), Value::Money(y, d)) => {
            if c != d {
                return Err(format!("cannot add or subtract {c} and {d}"));
            }
            Value::Money(if op == Add { x + y } else { x - y }, c)
        }
        (Add | Sub, Value::Money(x, c), Value::NoMoney) => Value::Money(x, c),
        (Add, Value::NoMoney, m @ Value::Money(..)) => m,
        (Mul, Value::Money(x, c), Value::Num(y)) => Value::Money((x as f64 * y).round() as i64, c),
        (Div, Value::Money(_, _), Value::Num(0.0)) => {
            return Err("division by zero".into());
        }
        (Div, Value::Money(x, c), Value::Num(y)) => Value::Money((x as f64 / y).round() as i64, c),
        (op, a, b) => {
            let symbol = match op {
                Add => "+",
                Sub => "-",
                Mul => "*",
                Div => "/",
            };
            return Err(format!("cannot compute {a} {symbol} {b}"));
        }
    })
}

fn text<'a>(value: &'a Value<'_>) -> Result<&'a str, String> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(format!("expected text, got {other}")),
    }
}

fn call<'a>(func: Func, args: Vec<Value<'a>>) -> Eval<'a> {
    let first = args.first().ok_or("missing argument")?;
    Ok(match func {
        Func::Lower => Value::Str(Cow::Owned(text(first)?.to_lowercase())),
        Func::Upper => Value::Str(Cow::Owned(text(first)?.to_uppercase())),
        Func::Len => Value::Num(text(first)?.chars().count() as f64),
        Func::Contains => Value::Bool(text(first)?.contains(text(&args[1])?)),
        Func::StartsWith => Value::Bool(text(first)?.starts_with(text(&args[1])?)),
        Func::EndsWith => Value::Bool(text(first)?.ends_with(text(&args[1])?)),
        Func::HasPhone => Value::Bool(contact::scan(text(first)?).phone),
        Func::HasEmail => Value::Bool(contact::scan(text(first)?).email),
        Func::HasPaymentApp => Value::Bool(contact::scan(text(first)?).payment_app),
        Func::HasContact => Value::Bool(contact::scan(text(first)?).contact()),
        Func::Classify(label) => Value::Num(classify::score(label, text(first)?)),
        Func::Time => {
            let raw = text(first)?;
            let at =
                time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| format!("{raw:?} is not an RFC 3339 time"))?;
            Value::Time(arbiter_model::to_micros(at))
        }
        Func::Hours | Func::Days => match first {
            Value::Duration(d) => {
                let unit: Micros = if func == Func::Hours {
                    3_600_000_000
                } else {
                    86_400_000_000
                };
                Value::Num(*d as f64 / unit as f64)
            }
            other => return Err(format!("expected a duration, got {other}")),
        },
    })
}
