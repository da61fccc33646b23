//! Backtest: replays history through a candidate ruleset beside the baseline (the one in
//! force) and compares what each would have decided. Pure: the caller feeds events in time
//! order and says which users later turned out bad.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arbiter_model::Micros;
use serde::Serialize;

use crate::eval::{Decision, Engine, Facts, Verdict};
use crate::program::{Lists, Ruleset};

const DAY: Micros = 86_400_000_000;

/// Replays events through two rulesets.
pub struct Backtest {
    candidate: Engine,
    baseline: Baseline,
    from: Micros,
    to: Micros,
    report: Accumulator,
}

/// The rules in force, beside the candidate.
enum Baseline {
    None,
    /// Its velocity features differ from the candidate's: it keeps its own state.
    Own(Engine),
    /// Same features as the candidate (the usual case: a threshold or an action changed): it
    /// reads the candidate's velocity state, which halves the work of each event.
    Shared(Arc<Ruleset>),
}

#[derive(Default)]
struct Accumulator {
    events: u64,
    changed: u64,
    transitions: BTreeMap<(Verdict, Verdict), u64>,
    changed_users: FastSet<String>,
    changed_money: BTreeMap<String, i64>,
    rules: BTreeMap<(Side, String), RuleTally>,
    days: BTreeMap<i64, DayTally>,
    evaluated_users: FastSet<String>,
}

type FastSet<T> = HashSet<T, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Candidate,
    Baseline,
}

/// One day of one side: active rule hits, and events sent to review or blocked.
#[derive(Default, Clone, Copy)]
struct SideDay {
    hits: u64,
    reviews: u64,
    blocks: u64,
}

#[derive(Default)]
struct DayTally {
    candidate: SideDay,
    baseline: SideDay,
}

#[derive(Default)]
struct RuleTally {
    name: String,
    hits: u64,
    errors: u64,
    /// Each user it fired on, with the time of the first hit.
    users: HashMap<String, Micros, foldhash::fast::RandomState>,
    money: BTreeMap<String, i64>,
}

/// One rule's figures on one side.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RuleReport {
    pub side: Side,
    pub rule_id: String,
    pub rule_name: String,
    pub hits: u64,
    /// Evaluations that failed (a missing field); the event was still decided.
    pub errors: u64,
    pub users: u64,
    /// Sum of the amounts of the events it fired on, per currency, in minor units. A sum past
    /// the 64-bit range stops at its bound rather than wrapping around.
    pub money_at_stake: BTreeMap<String, i64>,
    /// Flagged users with a bad outcome after the first hit ÷ flagged users; `None` when
    /// none were flagged.
    pub precision: Option<f64>,
    /// Users with a bad outcome flagged before it ÷ users with a bad outcome seen in the range.
    pub recall: Option<f64>,
}

/// The comparison, as the CLI, the API and the console show it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BacktestReport {
    pub from: String,
    pub to: String,
    pub events: u64,
    /// Events whose verdict differs between the two rulesets.
    pub decisions_changed: u64,
    /// `allow→review: 12`, …
    pub transitions: BTreeMap<String, u64>,
    pub users_affected: u64,
    /// Amounts of the events whose decision changed, per currency, in minor units; a sum past
    /// the 64-bit range stops at its bound rather than wrapping around.
    pub money_at_stake: BTreeMap<String, i64>,
    pub rules: Vec<RuleReport>,
    /// Per day: hits of the candidate's and the baseline's active rules.
    pub days: Vec<DayReport>,
    /// Users with a known bad outcome among those seen in the range.
    pub bad_outcomes: u64,
    /// Where the outcomes come from.
    pub outcome_source: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DayReport {
    pub day: String,
    /// Active rule hits of the candidate.
    pub candidate: u64,
    /// Active rule hits of the ruleset in force.
    pub baseline: u64,
    /// Events the candidate sends to review.
    pub candidate_reviews: u64,
    /// Events the candidate blocks.
    pub candidate_blocks: u64,
    /// Events the ruleset in force sends to review.
    pub baseline_reviews: u64,
    /// Events the ruleset in force blocks.
    pub baseline_blocks: u64,
}

impl Backtest {
    /// `[from, to)` is the range decided; earlier events fed to [`Backtest::feed`] only build
    /// velocity state.
    pub fn new(
        candidate: Arc<Ruleset>,
        baseline: Option<Arc<Ruleset>>,
        from: Micros,
        to: Micros,
    ) -> Backtest {
        let baseline = match baseline {
            None => Baseline::None,
            Some(b) if b.feature_names().eq(candidate.feature_names()) => Baseline::Shared(b),
            Some(b) => Baseline::Own(Engine::new(b)),
        };
        Backtest {
            candidate: Engine::new(candidate),
            baseline,
            from,
            to,
            report: Accumulator::default(),
        }
    }

    /// How far back before `from` history must be fed: the longest window of either ruleset.
    pub fn lookback(&self) -> Option<Micros> {
        let a = self.candidate.ruleset().lookback();
        match &self.baseline {
            Baseline::None | Baseline::Shared(_) => a,
            Baseline::Own(b) => a.zip(b.ruleset().lookback()).map(|(a, b)| a.max(b)),
        }
    }

    /// Feeds one event, in time order.
    pub fn feed(&mut self, facts: &Facts<'_>, lists: &Lists) {
        let at = arbiter_model::to_micros(facts.event.occurred_at);
        if at < self.from {
            self.candidate.observe(facts);
            if let Baseline::Own(b) = &mut self.baseline {
                b.observe(facts);
            }
            return;
        }
        if at >= self.to {
            return;
        }
        let candidate = self.candidate.decide(facts, lists);
        let baseline = match &mut self.baseline {
            Baseline::Own(b) => b.decide(facts, lists),
            Baseline::Shared(ruleset) => {
                crate::eval::decide(ruleset, self.candidate.velocity(), facts, lists)
            }
            Baseline::None => Decision {
                verdict: Verdict::Allow,
                score: 0.0,
                actions: Vec::new(),
                hits: Vec::new(),
            },
        };
        self.report.tally(facts, &candidate, &baseline, at);
    }

    /// The report, given each user's latest bad outcome (a chargeback, a claim decided as
    /// fraud, a confirmed violation): a hit counts as confirmed when an outcome came after it.
    pub fn finish(
        self,
        outcomes: &HashMap<String, Micros>,
        outcome_source: &str,
    ) -> BacktestReport {
        let r = self.report;
        let bad_seen = r
            .evaluated_users
            .iter()
            .filter(|u| outcomes.contains_key(*u))
            .count();
        let mut rules = Vec::new();
        for ((side, rule_id), tally) in &r.rules {
            let flagged = &tally.users;
            let confirmed = flagged
                .iter()
                .filter(|(user, first_hit)| {
                    outcomes
                        .get(*user)
                        .is_some_and(|outcome| outcome > *first_hit)
                })
                .count();
            rules.push(RuleReport {
                side: *side,
                rule_id: rule_id.clone(),
                rule_name: tally.name.clone(),
                hits: tally.hits,
                errors: tally.errors,
                users: flagged.len() as u64,
                money_at_stake: tally.money.clone(),
                precision: (!flagged.is_empty()).then(|| confirmed as f64 / flagged.len() as f64),
                recall: (bad_seen > 0).then(|| confirmed as f64 / bad_seen as f64),
            });
        }
        // Each rule's two sides side by side.
        rules.sort_by(|a, b| (&a.rule_id, a.side).cmp(&(&b.rule_id, b.side)));
        BacktestReport {
            from: arbiter_model::format_micros(self.from),
            to: arbiter_model::format_micros(self.to),
            events: r.events,
            decisions_changed: r.changed,
            transitions: r
                .transitions
                .iter()
                .map(|((a, b), n)| (format!("{}→{}", a.as_str(), b.as_str()), *n))
                .collect(),
            users_affected: r.changed_users.len() as u64,
            money_at_stake: r.changed_money,
            rules,
            days: r
                .days
                .iter()
                .map(|(day, t)| DayReport {
                    day: arbiter_model::format_micros(day * DAY)[..10].to_owned(),
                    candidate: t.candidate.hits,
                    baseline: t.baseline.hits,
                    candidate_reviews: t.candidate.reviews,
                    candidate_blocks: t.candidate.blocks,
                    baseline_reviews: t.baseline.reviews,
                    baseline_blocks: t.baseline.blocks,
                })
                .collect(),
            bad_outcomes: bad_seen as u64,
            outcome_source: outcome_source.to_owned(),
        }
    }
}

impl Accumulator {
    fn tally(&mut self, facts: &Facts<'_>, candidate: &Decision, baseline: &Decision, at: Micros) {
        let event = facts.event;
        self.events += 1;
        let user = crate::party(event);
        if let Some(user) = user
            && !self.evaluated_users.contains(user)
        {
            self.evaluated_users.insert(user.to_owned());
        }
        let money = event
            .amount
            .map(|m| (m.currency.as_str().to_owned(), m.minor));
        if candidate.verdict != baseline.verdict {
            self.changed += 1;
            *self
                .transitions
                .entry((baseline.verdict, candidate.verdict))
                .or_default() += 1;
            // The member the rules that changed it are about (the Tasker of a no-show a
            // Client reported), else the event's party.
            let affected = candidate
                .members()
                .first()
                .or(baseline.members().first())
                .copied()
                .or(user);
            if let Some(user) = affected {
                self.changed_users.insert(user.to_owned());
            }
            if let Some((currency, minor)) = &money {
                let total = self.changed_money.entry(currency.clone()).or_default();
                *total = total.saturating_add(*minor);
            }
        }
        let day = at.div_euclid(DAY);
        for (side, decision) in
            [(Side::Candidate, candidate), (Side::Baseline, baseline)].into_iter()
        {
            let mut active_hits = 0;
            for hit in &decision.hits {
                let tally = self.rules.entry((side, hit.rule_id.clone())).or_default();
                if tally.name.is_empty() {
                    tally.name = hit.rule_name.clone();
                }
                if !hit.fired {
                    tally.errors += 1;
                    continue;
                }
                tally.hits += 1;
                if hit.mode == crate::Mode::Active {
                    active_hits += 1;
                }
                if let Some(user) = hit.member.as_deref().or(user) {
                    tally.users.entry(user.to_owned()).or_insert(at);
                }
                if let Some((currency, minor)) = &money {
                    let total = tally.money.entry(currency.clone()).or_default();
                    *total = total.saturating_add(*minor);
                }
            }
            let entry = self.days.entry(day).or_default();
            let tally = match side {
                Side::Candidate => &mut entry.candidate,
                Side::Baseline => &mut entry.baseline,
            };
            tally.hits += active_hits;
            match decision.verdict {
                Verdict::Review => tally.reviews += 1,
                Verdict::Block => tally.blocks += 1,
                Verdict::Allow => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_model::Event;

    fn facts_of(text: &str) -> (Event, serde_json::Map<String, serde_json::Value>) {
        Event::parse_with_object(text).unwrap()
    }

    #[test]
    fn compares_two_rulesets_and_estimates_precision() {
        let compile = |s: &str| Arc::new(crate::compile(s).unwrap().0);
        let baseline = compile(
            "rule BIG \"Big\" on task.booked enforces P when amount >= 100 USD then review(\"q\")",
        );
        let candidate = compile(
            "rule BIG \"Big\" on task.booked enforces P when amount >= 50 USD then review(\"q\")\n\
             rule NEW \"New\" on task.booked enforces P when amount >= 10 USD score 1 mode shadow",
        );
        let day = |d: u32| {
            arbiter_model::to_micros(
                time::OffsetDateTime::parse(
                    &format!("2026-03-{d:02}T00:00:00Z"),
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap(),
            )
        };
        let mut backtest = Backtest::new(candidate, Some(baseline), day(2), day(5));
        let booking = |id: &str, d: u32, user: &str, minor: i64| {
            format!(
                r#"{{"id":"{id}","type":"task.booked","occurred_at":"2026-03-{d:02}T10:00:00Z","market":"US","actor":{{"id":"{user}","role":"client"}},"subject":{{"id":"k","role":"tasker"}},"task_id":"t_{id}","amount":{{"minor":{minor},"currency":"USD"}}}}"#
            )
        };
        for text in [
            booking("a", 1, "u1", 20_000),
            booking("b", 2, "u1", 7_000),
            booking("c", 3, "u2", 20_000),
            booking("d", 4, "u3", 6_000),
            booking("e", 6, "u4", 90_000),
        ] {
            let (event, object) = facts_of(&text);
            backtest.feed(
                &Facts {
                    event: &event,
                    object: &object,
                },
                &Lists::new(),
            );
        }
        // u1's chargeback comes after its hits; u2's came before the rule fired on it.
        let bad: HashMap<String, Micros> =
            [("u1".to_owned(), day(9)), ("u2".to_owned(), day(1))].into();
        let report = backtest.finish(&bad, "chargebacks");
        assert_eq!(report.events, 3);
        assert_eq!(report.decisions_changed, 2);
        assert_eq!(report.transitions["allow→review"], 2);
        assert_eq!(report.users_affected, 2);
        assert_eq!(report.money_at_stake["USD"], 13_000);
        let rule = |side, id: &str| {
            report
                .rules
                .iter()
                .find(|r| r.side == side && r.rule_id == id)
                .unwrap()
        };
        assert_eq!(rule(Side::Candidate, "BIG").hits, 3);
        assert_eq!(rule(Side::Baseline, "BIG").hits, 1);
        assert_eq!(rule(Side::Candidate, "BIG").precision, Some(1.0 / 3.0));
        assert_eq!(rule(Side::Candidate, "BIG").recall, Some(0.5));
        assert_eq!(rule(Side::Baseline, "BIG").recall, Some(0.0));
        assert_eq!(rule(Side::Candidate, "NEW").hits, 3);
        assert_eq!(report.bad_outcomes, 2);
        assert_eq!(report.days.len(), 3);
        assert_eq!(report.days[0].candidate, 1);
    }

    /// Huge amounts cannot wrap a total around to a small or negative one.
    #[test]
    fn money_totals_stop_at_the_64_bit_bound() {
        let compile = |s: &str| Arc::new(crate::compile(s).unwrap().0);
        let candidate = compile(
            "rule ANY \"Any\" on task.booked enforces P when amount >= 1 USD then review(\"q\")",
        );
        let mut backtest = Backtest::new(candidate, None, i64::MIN + 1, i64::MAX);
        for id in ["a", "b", "c"] {
            let text = format!(
                r#"{{"id":"{id}","type":"task.booked","occurred_at":"2026-03-02T10:00:00Z","market":"US","actor":{{"id":"u","role":"client"}},"subject":{{"id":"k","role":"tasker"}},"task_id":"t_{id}","amount":{{"minor":{},"currency":"USD"}}}}"#,
                i64::MAX / 2
            );
            let (event, object) = facts_of(&text);
            backtest.feed(
                &Facts {
                    event: &event,
                    object: &object,
                },
                &Lists::new(),
            );
        }
        let report = backtest.finish(&HashMap::new(), "chargebacks");
        assert_eq!(report.decisions_changed, 3);
        assert_eq!(report.money_at_stake["USD"], i64::MAX);
        let any = report.rules.iter().find(|r| r.rule_id == "ANY").unwrap();
        assert_eq!(any.money_at_stake["USD"], i64::MAX);
    }

    #[test]
    fn hits_count_against_the_member_the_rule_is_about() {
        let candidate = Arc::new(
            crate::compile(
                "let no_shows = count(task.no_show by subject.id within 30d)\n\
                 rule NS \"No-shows\" on task.no_show enforces P when no_shows >= 2 then review(\"q\")",
            )
            .unwrap()
            .0,
        );
        let mut backtest = Backtest::new(candidate, None, 0, i64::MAX);
        // Two Clients report the same Tasker's no-shows: the rule is about the Tasker.
        for (id, client) in [("a", "c_1"), ("b", "c_2")] {
            let (event, object) = facts_of(&format!(
                r#"{{"id":"{id}","type":"task.no_show","occurred_at":"2026-03-0{}T10:00:00Z","market":"US","actor":{{"id":"{client}","role":"client"}},"subject":{{"id":"k_5","role":"tasker"}},"task_id":"t_{id}"}}"#,
                if id == "a" { 1 } else { 2 }
            ));
            backtest.feed(
                &Facts {
                    event: &event,
                    object: &object,
                },
                &Lists::new(),
            );
        }
        let bad: HashMap<String, Micros> = [("k_5".to_owned(), i64::MAX)].into();
        let report = backtest.finish(&bad, "violations");
        assert_eq!(report.users_affected, 1);
        let rule = report.rules.iter().find(|r| r.rule_id == "NS").unwrap();
        assert_eq!(rule.hits, 1);
        assert_eq!(
            rule.precision,
            Some(1.0),
            "the Tasker, not the reporting Client"
        );
    }
}

#[cfg(test)]
mod shared_state {
    use super::*;
    use arbiter_model::Event;

    /// Sharing the velocity state changes nothing in the outcome: the same history through a
    /// baseline with its own state and one that shares the candidate's.
    #[test]
    fn a_baseline_with_the_same_features_decides_as_one_with_its_own_state() {
        let pack = Arc::new(crate::compile(crate::STARTER_PACK).unwrap().0);
        let stricter = Arc::new(
            crate::compile(&crate::STARTER_PACK.replace("claims_90d >= 3", "claims_90d >= 2"))
                .unwrap()
                .0,
        );
        // A copy of the pack with one more feature keeps its own state.
        let extra = format!(
            "{}\nlet unused = count(task.posted by actor.id within 1d)\n",
            crate::STARTER_PACK
        );
        let own = Arc::new(crate::compile(&extra).unwrap().0);
        let lists = Lists::new();
        let events: Vec<String> = arbiter_synth::Marketplace::new(arbiter_synth::Config::new(
            5,
            20_000,
            time::macros::date!(2026 - 03 - 01),
        ))
        .collect();
        let run = |baseline: Arc<Ruleset>| {
            let mut backtest =
                Backtest::new(stricter.clone(), Some(baseline), i64::MIN + 1, i64::MAX);
            let sharing = matches!(backtest.baseline, Baseline::Shared(_));
            for text in &events {
                let (event, object) = Event::parse_with_object(text).unwrap();
                backtest.feed(
                    &Facts {
                        event: &event,
                        object: &object,
                    },
                    &lists,
                );
            }
            (sharing, backtest.finish(&HashMap::new(), ""))
        };
        let (sharing, shared) = run(pack.clone());
        assert!(sharing);
        let (sharing, separate) = run(own);
        assert!(!sharing);
        assert!(shared.decisions_changed > 0);
        assert_eq!(shared.decisions_changed, separate.decisions_changed);
        assert_eq!(shared.transitions, separate.transitions);
    }
}
