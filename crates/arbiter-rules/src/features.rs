//! Velocity state: for each feature, the recent events of each key (an actor, a device, a task)
//! kept in time order and pruned to the feature's window. Everything is in memory; an engine
//! rebuilds it by replaying the event log over the longest window when it starts.

use std::collections::{HashMap, HashSet, VecDeque};

use arbiter_model::{Currency, Micros};

use crate::ast::AggFunc;
use crate::program::{FeatureSpec, Value};

/// One remembered value.
#[derive(Debug, Clone, PartialEq)]
enum Stored {
    None,
    Num(f64),
    Str(Box<str>),
    Money(i64, Currency),
    Time(Micros),
}

impl Stored {
    fn from_value(value: Value<'_>) -> Stored {
        match value {
            Value::Num(n) => Stored::Num(n),
            Value::Str(s) => Stored::Str(s.into()),
            Value::Money(m, c) => Stored::Money(m, c),
            Value::Time(t) => Stored::Time(t),
            Value::Bool(b) => Stored::Str(if b { "true" } else { "false" }.into()),
            Value::Duration(d) => Stored::Num(d as f64),
            Value::NoMoney => Stored::None,
        }
    }

    fn to_value(&self) -> Option<Value<'_>> {
        Some(match self {
            Stored::None => return None,
            Stored::Num(n) => Value::Num(*n),
            Stored::Str(s) => Value::Str(std::borrow::Cow::Borrowed(s)),
            Stored::Money(m, c) => Value::Money(*m, *c),
            Stored::Time(t) => Value::Time(*t),
        })
    }
}

/// The events of one key for one feature, oldest first.
#[derive(Debug, Default)]
struct Series {
    entries: VecDeque<(Micros, Stored)>,
}

impl Series {
    fn insert(&mut self, at: Micros, value: Stored, window: Option<Micros>, keep_one: bool) {
        if keep_one {
            if self.entries.back().is_none_or(|(t, _)| *t <= at) {
                self.entries.clear();
                self.entries.push_back((at, value));
            }
            return;
        }
        // Events mostly arrive in order: find the place from the back.
        let position = self
            .entries
            .iter()
            .rposition(|(t, _)| *t <= at)
            .map_or(0, |p| p + 1);
        self.entries.insert(position, (at, value));
        if let (Some(window), Some((newest, _))) = (window, self.entries.back()) {
            let horizon = newest - window;
            while self.entries.front().is_some_and(|(t, _)| *t <= horizon) {
                self.entries.pop_front();
            }
        }
    }

    /// Entries in `(now - window, now]`.
    fn in_window(&self, now: Micros, window: Option<Micros>) -> impl Iterator<Item = &Stored> {
        let start = window.map_or(i64::MIN, |w| now - w);
        self.entries
            .iter()
            .filter(move |(t, _)| *t > start && *t <= now)
            .map(|(_, v)| v)
    }
}

/// Keys are user, device and task ids hashed on every event: a fast hash (not SipHash) is
/// most of the saving; the keys come from validated events, not from an attacker's choice of
/// a whole table.
type Keyed<V> = HashMap<Box<str>, V, foldhash::fast::RandomState>;

/// The velocity state of every feature of a ruleset.
#[derive(Debug, Default)]
pub struct Velocity {
    states: Vec<Keyed<Series>>,
}

impl Velocity {
    pub(crate) fn new(features: usize) -> Velocity {
        Velocity {
            states: (0..features).map(|_| Keyed::default()).collect(),
        }
    }

    /// Adds to feature `index` (defined by `spec`) the event of `key` at `at`, with the
    /// value its field read (`None` for a feature that counts events).
    pub(crate) fn record(
        &mut self,
        index: usize,
        spec: &FeatureSpec,
        key: &str,
        at: Micros,
        value: Option<Value<'_>>,
    ) {
        let value = value.map_or(Stored::None, Stored::from_value);
        let state = &mut self.states[index];
        let series = match state.get_mut(key) {
            Some(series) => series,
            None => state.entry(key.into()).or_default(),
        };
        series.insert(at, value, spec.window, spec.func == AggFunc::Latest);
    }

    /// The feature's value for `key` as of `now`.
    pub(crate) fn value(
        &self,
        specs: &[FeatureSpec],
        index: usize,
        key: &str,
        now: Micros,
    ) -> Result<Value<'_>, String> {
        let spec = &specs[index];
        let series = self.states[index].get(key);
        let values = series
            .into_iter()
            .flat_map(|s| s.in_window(now, spec.window));
        match spec.func {
            AggFunc::Count => Ok(Value::Num(values.count() as f64)),
            AggFunc::Distinct => {
                let mut seen: HashSet<&Stored, foldhash::fast::RandomState> = HashSet::default();
                for v in values {
                    seen.insert(v);
                }
                Ok(Value::Num(seen.len() as f64))
            }
            AggFunc::Sum => {
                let mut total = Value::NoMoney;
                for v in values {
                    total = match (total, v) {
                        (Value::NoMoney, Stored::Money(m, c)) => Value::Money(*m, *c),
                        (Value::Money(t, c), Stored::Money(m, d)) if c == *d => {
                            Value::Money(t.saturating_add(*m), c)
                        }
                        (Value::Money(_, c), Stored::Money(_, d)) => {
                            return Err(format!("{} adds amounts in {c} and {d}", spec.canonical));
                        }
                        (Value::NoMoney, Stored::Num(n)) => Value::Num(*n),
                        (Value::Num(t), Stored::Num(n)) => Value::Num(t + n),
                        (total, _) => total,
                    };
                }
                Ok(match total {
                    Value::NoMoney if spec.field.as_ref().is_some_and(|f| !is_money(f)) => {
                        Value::Num(0.0)
                    }
                    total => total,
                })
            }
            AggFunc::Latest => values
                .last()
                .and_then(Stored::to_value)
                .ok_or_else(|| format!("{} has no value yet for {key:?}", spec.canonical)),
        }
    }

    /// How many keys the state holds, over all features.
    pub fn keys(&self) -> usize {
        self.states.iter().map(|s| s.len()).sum()
    }
}

fn is_money(field: &crate::program::Field) -> bool {
    matches!(field, crate::program::Field::Amount)
}

impl std::hash::Hash for Stored {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Stored::None => 0u8.hash(state),
            Stored::Num(n) => n.to_bits().hash(state),
            Stored::Str(s) => s.hash(state),
            Stored::Money(m, c) => (m, c).hash(state),
            Stored::Time(t) => t.hash(state),
        }
    }
}

impl Eq for Stored {}
