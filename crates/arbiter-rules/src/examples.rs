//! Runs the examples a rule file carries (`test "…" given {…} expect …`).

use std::sync::Arc;

use arbiter_model::Event;

use crate::eval::{Decision, Engine, Facts};
use crate::program::{Expected, Ruleset};

/// The outcome of one example.
#[derive(Debug, Clone)]
pub struct ExampleOutcome {
    pub name: String,
    pub line: usize,
    /// One line per expectation that did not hold: what was expected and what came out.
    pub failures: Vec<String>,
    pub decision: Decision,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every example of the ruleset, each on a fresh engine: the events before the last build
/// the history, the last is decided.
pub fn run_examples(ruleset: &Arc<Ruleset>) -> Vec<ExampleOutcome> {
    ruleset
        .examples
        .iter()
        .map(|example| {
            let mut engine = Engine::new(ruleset.clone());
            let parsed: Vec<_> = example
                .events
                .iter()
                .map(|text| {
                    Event::parse_with_object(text).expect("examples are validated when compiled")
                })
                .collect();
            let (last, history) = parsed
                .split_last()
                .expect("an example has at least one event");
            for (event, object) in history {
                engine.observe(&Facts { event, object });
            }
            let decision = engine.decide(
                &Facts {
                    event: &last.0,
                    object: &last.1,
                },
                &example.lists,
            );
            let failures = example
                .expect
                .iter()
                .filter_map(|expected| check(expected, &decision))
                .collect();
            ExampleOutcome {
                name: example.name.clone(),
                line: example.line,
                failures,
                decision,
            }
        })
        .collect()
}

fn check(expected: &Expected, decision: &Decision) -> Option<String> {
    let fired: Vec<&str> = decision
        .hits
        .iter()
        .filter(|h| h.fired)
        .map(|h| h.rule_id.as_str())
        .collect();
    let got = match expected {
        Expected::Verdict(v) if *v == decision.verdict => return None,
        Expected::Verdict(_) => format!("verdict {}", decision.verdict.as_str()),
        Expected::Score(s) if (*s - decision.score).abs() < 1e-9 => return None,
        Expected::Score(_) => format!("score {}", decision.score),
        Expected::Fires(id) if fired.contains(&id.as_str()) => return None,
        Expected::Fires(id) => match decision.hits.iter().find(|h| &h.rule_id == id) {
            Some(hit) => format!(
                "{id} failed: {}",
                hit.error.as_deref().unwrap_or("no reason given")
            ),
            None if fired.is_empty() => "no rule fired".to_owned(),
            None => format!("fired: {}", fired.join(", ")),
        },
        Expected::DoesNotFire(id) if !fired.contains(&id.as_str()) => return None,
        Expected::DoesNotFire(id) => {
            let hit = decision.hits.iter().find(|h| &h.rule_id == id)?;
            let evidence: Vec<String> = hit
                .evidence
                .iter()
                .map(|e| format!("{} = {}", e.expression, e.value))
                .collect();
            format!("{id} fired ({})", evidence.join(", "))
        }
        Expected::Action(a) if decision.actions.contains(a) => return None,
        Expected::Action(_) if decision.actions.is_empty() => "no actions".to_owned(),
        Expected::Action(_) => format!(
            "actions {}",
            decision
                .actions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(format!("expected {expected}\n     got {got}"))
}
