//! The language end to end: text in, diagnostics or decisions out.

use std::sync::Arc;

use arbiter_model::Event;

use crate::{Action, Decision, Engine, Facts, Lists, Severity, Verdict, compile, run_examples};

fn ruleset(source: &str) -> Arc<crate::Ruleset> {
    match compile(source) {
        Ok((ruleset, _)) => Arc::new(ruleset),
        Err(errors) => panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.render("test.rules", source))
                .collect::<String>()
        ),
    }
}

fn errors(source: &str) -> Vec<String> {
    let diagnostics = compile(source).expect_err("the rules should not check");
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.render("test.rules", source))
        .collect()
}

fn warnings(source: &str) -> Vec<String> {
    let (_, diagnostics) = compile(source).expect("the rules should check");
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.render("test.rules", source))
        .collect()
}

/// Feeds events in order; returns the decision of each.
fn run(ruleset: &Arc<crate::Ruleset>, events: &[String], lists: &Lists) -> Vec<Decision> {
    let mut engine = Engine::new(ruleset.clone());
    events
        .iter()
        .map(|text| {
            let (event, object) = Event::parse_with_object(text).unwrap();
            engine.decide(
                &Facts {
                    event: &event,
                    object: &object,
                },
                lists,
            )
        })
        .collect()
}

/// An event of `kind` on day `day` of March 2026 by `actor`, with what its type requires filled
/// in; `extra` (a JSON object's members) replaces top-level fields and adds to `data`.
fn event(kind: &str, day: u32, actor: &str, extra: &str) -> String {
    use serde_json::{Value, json};
    let mut object = json!({
        "id": format!("e_{kind}_{day}_{actor}"),
        "type": kind,
        "occurred_at": format!("2026-03-{day:02}T10:00:00Z"),
        "market": "US",
        "actor": {"id": actor, "role": "client"},
        "subject": {"id": "u_other", "role": "tasker"},
        "task_id": "t_1",
        "amount": {"minor": 1000, "currency": "USD"},
        "data": match kind {
            "message.sent" => json!({"text": "hello"}),
            "review.posted" => json!({"rating": 5}),
            "claim.filed" => json!({"kind": "other"}),
            "task.cancelled" => json!({"by": "client"}),
            _ => json!({}),
        },
    });
    let extra: Value =
        serde_json::from_str(&format!("{{{}}}", extra.trim_start_matches(','))).unwrap();
    for (key, value) in extra.as_object().unwrap() {
        if key == "data" {
            for (k, v) in value.as_object().unwrap() {
                object["data"][k] = v.clone();
            }
        } else {
            object[key] = value.clone();
        }
    }
    object.to_string()
}

#[test]
fn unknown_names_suggest_the_nearest() {
    let source = "rule A \"a\" on claim.filed enforces POL-X when acter.id == \"u\" score 1\n\
                  rule B \"b\" on claim.filed enforces POL-X when has_phon(data.description) score 1\n\
                  rule C \"c\" on claim.filed enforces POL-X when true then reveiw(\"q\")\n";
    let rendered = errors(source);
    assert_eq!(rendered.len(), 3, "{rendered:?}");
    assert!(
        rendered[0].contains("unknown field `acter.id`"),
        "{}",
        rendered[0]
    );
    assert!(rendered[0].contains("did you mean `actor.id`?"));
    assert!(rendered[0].contains("test.rules:1:"));
    assert!(rendered[1].contains("unknown function `has_phon`"));
    assert!(rendered[1].contains("did you mean `has_phone`?"));
    assert!(rendered[2].contains("`reveiw` is not an action"));
    assert!(rendered[2].contains("did you mean `review`?"));
}

#[test]
fn type_errors_explain_the_fix() {
    let money = errors("rule A \"a\" on claim.filed enforces POL-X when amount > 500 score 1");
    assert!(
        money[0].contains("cannot compare money with a number"),
        "{}",
        money[0]
    );
    assert!(money[0].contains("500 USD"));
    let time = errors(
        "rule A \"a\" on claim.filed enforces POL-X when occurred_at > data.incident_at score 1",
    );
    assert!(time[0].contains("time(data.incident_at)"), "{}", time[0]);
    let not_bool = errors("rule A \"a\" on claim.filed enforces POL-X when amount.minor score 1");
    assert!(not_bool[0].contains("must be true or false"));
    let window = errors(
        "let n = count(claim.filed by actor.id)\nrule A \"a\" on claim.filed enforces POL-X when n > 1 score 1",
    );
    assert!(window[0].contains("needs a window"), "{}", window[0]);
    let decimals =
        errors("rule A \"a\" on claim.filed enforces POL-X when amount > 5.001 USD score 1");
    assert!(decimals[0].contains("USD has 2 decimal places"));
}

#[test]
fn a_rule_must_name_its_events_condition_and_policy() {
    let rendered = errors(
        "rule A \"a\" when true score 1\nrule B \"b\" on x enforces P when true\nrule C \"c\" on x when true",
    );
    assert_eq!(rendered.len(), 2, "{rendered:?}");
    assert!(rendered[0].contains("does not say which events"));
    assert!(rendered[1].contains("does not say which policy"));
}

#[test]
fn regular_expressions_are_checked_and_bounded() {
    let bad = errors(
        r#"rule A "a" on message.sent enforces POL-X when matches(data.text, "(unclosed") score 1"#,
    );
    assert!(bad[0].contains("invalid pattern"), "{}", bad[0]);
    let huge = errors(
        r#"rule A "a" on message.sent enforces POL-X when matches(data.text, "\\w{500}\\w{500}\\w{500}") score 1"#,
    );
    assert!(huge[0].contains("too large"), "{}", huge[0]);
    let computed = errors(
        r#"rule A "a" on message.sent enforces POL-X when matches(data.text, lower("x")) score 1"#,
    );
    assert!(computed[0].contains("written out in quotes"));
}

#[test]
fn data_typos_on_core_events_are_warned() {
    let w = warnings(
        "rule A \"a\" on message.sent enforces POL-X when contains(data.txt, \"x\") score 1",
    );
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("did you mean `data.text`?"), "{}", w[0]);
    assert!(
        warnings("rule A \"a\" on custom.event enforces POL-X when data.anything == 1 score 1")
            .is_empty()
    );
}

#[test]
fn velocity_counts_the_event_itself_and_forgets_after_the_window() {
    let rules = ruleset(
        "let claims_30d = count(claim.filed by actor.id within 30d)\n\
         rule SERIAL \"Serial\" on claim.filed enforces POL-G §6 when claims_30d >= 3 score 50 then review(\"claims\")",
    );
    let events: Vec<String> = [1, 5, 9, 28, 31]
        .iter()
        .map(|d| event("claim.filed", *d, "c_1", ""))
        .chain([event("claim.filed", 10, "c_2", "")])
        .collect();
    // Out of order on purpose for the last one: another actor.
    let decisions = run(&rules, &events, &Lists::new());
    let fired: Vec<bool> = decisions.iter().map(|d| d.fired("SERIAL")).collect();
    // Day 31 looks back to day 1 exclusive: days 5, 9, 28, 31 = 4.
    assert_eq!(fired, vec![false, false, true, true, true, false]);
    assert_eq!(decisions[2].verdict, Verdict::Review);
    assert_eq!(decisions[2].score, 50.0);
    let evidence = &decisions[4].hits[0].evidence;
    assert_eq!(evidence[0].expression, "claims_30d");
    assert_eq!(evidence[0].value, "4");
}

#[test]
fn distinct_and_latest_join_accounts_through_their_devices() {
    let rules = ruleset(
        "let accounts_on_device = distinct(actor.id of user.signed_up by data.device_id within 365d)\n\
         let rater_device = latest(data.device_id of user.signed_up by actor.id)\n\
         let rated_device = latest(data.device_id of user.signed_up by actor.id = subject.id)\n\
         rule RING \"Many accounts on one device\" on user.signed_up enforces STD-ACCOUNTS §1 when accounts_on_device >= 3 score 40\n\
         rule SELF-REVIEW \"Review between accounts on one device\" on review.posted enforces STD-REVIEWS §2\n\
           when has(rated_device) and rater_device == rated_device score 60 then block",
    );
    let signup = |day, user: &str, device: &str| {
        event(
            "user.signed_up",
            day,
            user,
            &format!(r#","data":{{"device_id":"{device}"}}"#),
        )
    };
    let review = |day, from: &str, to: &str| {
        event(
            "review.posted",
            day,
            from,
            &format!(r#","subject":{{"id":"{to}","role":"tasker"}},"data":{{"rating":5}}"#),
        )
    };
    let events = vec![
        signup(1, "a", "dev_1"),
        signup(2, "b", "dev_1"),
        signup(3, "c", "dev_2"),
        signup(4, "d", "dev_1"),
        review(5, "a", "b"),
        review(6, "a", "c"),
        review(7, "a", "nobody"),
    ];
    let d = run(&rules, &events, &Lists::new());
    assert!(!d[1].fired("RING"));
    assert!(d[3].fired("RING"));
    assert!(d[4].fired("SELF-REVIEW"));
    assert_eq!(d[4].verdict, Verdict::Block);
    assert!(!d[5].fired("SELF-REVIEW"));
    assert!(!d[6].fired("SELF-REVIEW"), "no device known: has() guards");
    assert!(d[6].hits.iter().all(|h| h.error.is_none()));
}

#[test]
fn money_compares_only_within_its_currency() {
    let rules = ruleset(
        "rule BIG \"Big first booking\" on task.booked enforces POL-P when amount >= 500 USD or amount >= 450 EUR score 30",
    );
    let booked = |minor: i64, currency: &str| {
        event(
            "task.booked",
            1,
            "c",
            &format!(r#","amount":{{"minor":{minor},"currency":"{currency}"}}"#),
        )
    };
    let d = run(
        &rules,
        &[
            booked(50_000, "USD"),
            booked(49_999, "USD"),
            booked(46_000, "EUR"),
            booked(90_000, "GBP"),
        ],
        &Lists::new(),
    );
    let fired: Vec<bool> = d.iter().map(|d| d.fired("BIG")).collect();
    assert_eq!(fired, vec![true, false, true, false]);
}

#[test]
fn an_error_in_one_rule_is_recorded_and_the_others_still_decide() {
    let rules = ruleset(
        "rule TEXT \"Needs a thread\" on message.sent enforces POL-X when contains(data.thread_id, \"x\") score 10\n\
         rule ALWAYS \"Always\" on message.sent enforces POL-X when true then tag(\"seen\")",
    );
    let d = run(&rules, &[event("message.sent", 1, "c", "")], &Lists::new());
    let failed = d[0].hits.iter().find(|h| h.rule_id == "TEXT").unwrap();
    assert!(!failed.fired);
    assert_eq!(failed.error.as_deref(), Some("data.thread_id is missing"));
    assert!(d[0].fired("ALWAYS"));
}

#[test]
fn shadow_rules_are_recorded_without_effect() {
    let rules = ruleset(
        "rule NEW \"Candidate\" on message.sent enforces POL-X when true score 90 then block mode shadow",
    );
    let d = run(
        &rules,
        &[event("message.sent", 1, "c", r#","data":{"text":"hi"}"#)],
        &Lists::new(),
    );
    assert!(d[0].fired("NEW"));
    assert_eq!(d[0].verdict, Verdict::Allow);
    assert_eq!(d[0].score, 0.0);
    assert!(d[0].actions.is_empty());
}

#[test]
fn scores_add_up_to_thresholds_and_allow_overrides_review_but_not_block() {
    let rules = ruleset(
        "threshold review 50\nthreshold block 100\n\
         rule A \"a\" on x.y enforces P when true score 30\n\
         rule B \"b\" on x.y enforces P when data.n >= 1 score 30\n\
         rule C \"c\" on x.y enforces P when data.n >= 2 score 40\n\
         rule TRUSTED \"trusted\" on x.y enforces P when actor.id in list(\"trusted\") then allow",
    );
    let with = |n: u32, actor: &str| event("x.y", 1, actor, &format!(r#","data":{{"n":{n}}}"#));
    let trusted: Lists = [("trusted".to_owned(), ["vip".to_owned()].into())].into();
    let d = run(
        &rules,
        &[
            with(0, "c"),
            with(1, "c"),
            with(2, "c"),
            with(1, "vip"),
            with(2, "vip"),
        ],
        &trusted,
    );
    let verdicts: Vec<Verdict> = d.iter().map(|d| d.verdict).collect();
    assert_eq!(
        verdicts,
        vec![
            Verdict::Allow,
            Verdict::Review,
            Verdict::Block,
            Verdict::Allow,
            Verdict::Block
        ]
    );
    assert_eq!(d[2].score, 100.0);
}

#[test]
fn lists_and_text_functions() {
    let rules = ruleset(
        "rule DISPOSABLE \"Disposable email\" on user.signed_up enforces POL-A when lower(data.email_domain) in list(\"disposable_domains\") score 20\n\
         rule OFF \"Off-platform\" on message.sent enforces POL-PAY §3 when has_payment_app(data.text) or has_contact(data.text) or contains_any(lower(data.text), [\"cash\", \"liquide\"]) score 40 then review(\"off-platform\")",
    );
    let lists: Lists = [(
        "disposable_domains".to_owned(),
        ["mailinator.com".to_owned()].into(),
    )]
    .into();
    let signup = event(
        "user.signed_up",
        1,
        "c",
        r#","data":{"email_domain":"Mailinator.COM"}"#,
    );
    let message = |text: &str| {
        event(
            "message.sent",
            2,
            "c",
            &format!(r#","data":{{"text":{text:?}}}"#),
        )
    };
    let d = run(
        &rules,
        &[
            signup,
            message("Paie-moi en liquide"),
            message("marie point dupont arobase gmail point com"),
            message("See you at 10"),
        ],
        &lists,
    );
    assert!(d[0].fired("DISPOSABLE"));
    assert!(d[1].fired("OFF"));
    assert!(d[2].fired("OFF"));
    assert!(!d[3].fired("OFF"));
    let evidence: Vec<String> = d[2].hits[0]
        .evidence
        .iter()
        .map(|e| format!("{} = {}", e.expression, e.value))
        .collect();
    assert!(
        evidence.contains(&"has_contact(data.text) = true".to_owned()),
        "{evidence:?}"
    );
    // A list that is not there is an error on the rule, not a lost event.
    let d = run(
        &rules,
        &[event(
            "user.signed_up",
            1,
            "c",
            r#","data":{"email_domain":"x"}"#,
        )],
        &Lists::new(),
    );
    assert_eq!(
        d[0].hits[0].error.as_deref(),
        Some("list \"disposable_domains\" does not exist")
    );
}

#[test]
fn time_arithmetic_reads_claims_soon_after_sign_up() {
    let rules = ruleset(
        "let signed_up_at = latest(occurred_at of user.signed_up by actor.id)\n\
         rule EARLY \"Claim soon after sign-up\" on claim.filed enforces POL-G §2 when has(signed_up_at) and occurred_at - signed_up_at < 7d score 30",
    );
    let d = run(
        &rules,
        &[
            event("user.signed_up", 1, "c", ""),
            event("claim.filed", 5, "c", ""),
            event("claim.filed", 20, "c", ""),
        ],
        &Lists::new(),
    );
    assert!(d[1].fired("EARLY"));
    assert!(!d[2].fired("EARLY"));
}

#[test]
fn examples_pass_and_fail_with_a_readable_difference() {
    let rules = ruleset(
        "let claims = count(claim.filed by actor.id within 90d)\n\
         rule SERIAL \"Serial\" on claim.filed enforces POL-G when claims >= 2 score 50 then review(\"claims\")\n\
         test \"second claim reviewed\" given {\"type\":\"claim.filed\",\"amount\":{\"minor\":100,\"currency\":\"USD\"},\"data\":{\"kind\":\"theft\"}} {\"type\":\"claim.filed\",\"amount\":{\"minor\":100,\"currency\":\"USD\"},\"data\":{\"kind\":\"theft\"}} expect verdict review, fires SERIAL, action review(\"claims\"), score 50\n\
         test \"wrong on purpose\" given {\"type\":\"claim.filed\",\"amount\":{\"minor\":100,\"currency\":\"USD\"},\"data\":{\"kind\":\"theft\"}} expect verdict block, fires SERIAL",
    );
    let outcomes = run_examples(&rules);
    assert!(outcomes[0].passed(), "{:?}", outcomes[0].failures);
    assert_eq!(outcomes[1].failures.len(), 2);
    assert_eq!(
        outcomes[1].failures[0],
        "expected verdict block\n     got verdict allow"
    );
    assert_eq!(
        outcomes[1].failures[1],
        "expected fires SERIAL\n     got no rule fired"
    );
    assert_eq!(outcomes[1].line, 4);
}

#[test]
fn example_events_are_validated_where_written() {
    let source = "rule A \"a\" on x enforces P when true score 1\ntest \"t\" given {\"type\": \"x\", \"market\": \"ZZ\"} expect score 1";
    let e = errors(source);
    assert!(e[0].contains("market"), "{}", e[0]);
    assert!(e[0].contains(":2:"));
    let e = errors(
        "rule A \"a\" on x enforces P when true score 1\ntest \"t\" given {\"type\": } expect score 1",
    );
    assert!(e[0].contains("malformed JSON"), "{}", e[0]);
}

#[test]
fn nothing_in_the_language_panics_on_odd_input() {
    for source in [
        "",
        "rule",
        "rule A",
        "rule A \"",
        "let",
        "let x =",
        "let x = count(",
        "test",
        "test \"t\" given",
        "rule A \"a\" on",
        "rule A \"a\" on claim. when",
        "§",
        "rule A \"a\" enforces X §",
        "rule A-",
        "rule A \"a\" on x enforces P when ((((((",
        "threshold",
        "threshold review x",
        "{",
        "\"\\q\"",
        "rule A \"a\" on x enforces P when 1 < 2 < 3",
        "rule A \"a\" on x enforces P when -",
        "let a = a",
        "rule A \"a\" on x enforces P when latest(x of y by z) == 1",
    ] {
        let _ = compile(source);
    }
}

#[test]
fn the_starter_pack_checks_and_its_examples_pass() {
    let (ruleset, warnings) = match compile(crate::STARTER_PACK) {
        Ok(ok) => ok,
        Err(errors) => panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.render("home-services.rules", crate::STARTER_PACK))
                .collect::<String>()
        ),
    };
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(ruleset.rules.len(), 11);
    assert!(ruleset.rules.iter().all(|r| r.enforces.is_some()));
    let ruleset = Arc::new(ruleset);
    let outcomes = run_examples(&ruleset);
    assert_eq!(outcomes.len(), 23);
    for outcome in &outcomes {
        assert!(
            outcome.passed(),
            "{} (line {}): {:?}",
            outcome.name,
            outcome.line,
            outcome.failures
        );
    }
}

#[test]
fn the_starter_pack_fires_where_it_should_on_the_demo_marketplace() {
    let ruleset = ruleset(crate::STARTER_PACK);
    // Every off-platform message of the generator, in every language, is caught; no everyday
    // message is.
    let (off_platform, everyday) = arbiter_synth::message_samples();
    let decide_text = |text: &str| {
        let event = event(
            "message.sent",
            1,
            "k_1",
            &format!(
                r#","data":{{"text":{}}}"#,
                serde_json::to_string(text).unwrap()
            ),
        );
        run(&ruleset, &[event], &Lists::new()).remove(0)
    };
    for text in off_platform {
        let d = decide_text(text);
        assert!(
            d.fired("OFFPLATFORM-PAYMENT") || d.fired("OFFPLATFORM-CONTACT"),
            "missed: {text}"
        );
    }
    for text in everyday {
        let d = decide_text(text);
        assert!(d.hits.is_empty(), "false alarm on {text:?}: {:?}", d.hits);
    }

    // Over a generated history every rule fires, and blocks stay rare. (Seed 11 is one whose
    // 60,000 events hold reviews between accounts on one device: rings are rare.)
    let lists: Lists = crate::STARTER_LISTS
        .iter()
        .map(|(name, _, entries)| {
            (
                name.to_string(),
                entries.lines().map(str::to_owned).collect(),
            )
        })
        .collect();
    let start = time::macros::date!(2026 - 06 - 01);
    let events: Vec<String> =
        arbiter_synth::Marketplace::new(arbiter_synth::Config::new(11, 60_000, start)).collect();
    let decisions = run(&ruleset, &events, &lists);
    for rule in &ruleset.rules {
        let hits = decisions.iter().filter(|d| d.fired(&rule.id)).count();
        assert!(hits > 0, "{} never fires on the demo marketplace", rule.id);
    }
    // Reviews between accounts on one device: exactly those the history holds.
    let mut device: std::collections::HashMap<String, String> = Default::default();
    let mut expected = Vec::new();
    for (n, text) in events.iter().enumerate() {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let actor = value["actor"]["id"].as_str().unwrap().to_owned();
        match value["type"].as_str().unwrap() {
            "user.signed_up" => {
                device.insert(
                    actor,
                    value["data"]["device_id"].as_str().unwrap().to_owned(),
                );
            }
            "review.posted" => {
                let subject = value["subject"]["id"].as_str().unwrap();
                if device
                    .get(&actor)
                    .is_some_and(|d| device.get(subject) == Some(d))
                {
                    expected.push(n);
                }
            }
            _ => {}
        }
    }
    let fired: Vec<usize> = (0..decisions.len())
        .filter(|n| decisions[*n].fired("REVIEW-SHARED-DEVICE"))
        .collect();
    assert_eq!(fired, expected);
    let errors: Vec<_> = decisions
        .iter()
        .flat_map(|d| d.hits.iter())
        .filter_map(|h| h.error.as_ref())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let blocked = decisions
        .iter()
        .filter(|d| d.verdict == Verdict::Block)
        .count();
    assert!(
        blocked * 200 < decisions.len(),
        "{blocked} of {} blocked",
        decisions.len()
    );
}

/// Hostile rule text: whatever nests or multiplies, compiling ends with a located error or a
/// ruleset, and deciding with that ruleset ends with a decision. Compiling is given the stack a
/// server gives it (`arbiter-server`'s CPU pool); deciding runs on less stack than an async
/// worker has (2 MiB), as the decider does. Both figures hold for unoptimised builds, whose
/// frames are several times larger than a release build's.
mod limits {
    use super::*;
    use proptest::prelude::*;

    const COMPILE_STACK: usize = 4 * 1024 * 1024;
    const DECIDE_STACK: usize = 1024 * 1024;

    fn on_stack<T: Send + 'static>(stack: usize, work: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn(work)
            .expect("thread")
            .join()
            .expect("no panic")
    }

    /// Compiles `condition` as a rule's and decides one event with it; the errors, if it does
    /// not compile.
    fn compile_and_decide(lets: &str, condition: &str) -> Result<(), Vec<String>> {
        let source = format!(
            "{lets}\nrule A \"a\" on message.sent enforces POL-X when {condition} score 1\n"
        );
        let ruleset = on_stack(COMPILE_STACK, move || match compile(&source) {
            Ok((ruleset, _)) => Ok(Arc::new(ruleset)),
            Err(errors) => Err(errors
                .iter()
                .map(|e| e.render("test.rules", &source))
                .collect::<Vec<_>>()),
        })?;
        on_stack(DECIDE_STACK, move || {
            run(
                &ruleset,
                &[event("message.sent", 1, "u_1", "")],
                &Lists::default(),
            );
            // The last reference goes here: dropping the tree recurses too.
            drop(ruleset);
        });
        Ok(())
    }

    fn refused(lets: &str, condition: &str, wanted: &str) {
        let errors = compile_and_decide(lets, condition).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.contains(wanted)),
            "expected `{wanted}` in {errors:?}"
        );
    }

    #[test]
    fn deep_nesting_is_a_located_error() {
        let deep = 5_000;
        refused(
            "",
            &format!("{}true{}", "(".repeat(deep), ")".repeat(deep)),
            "nests more than 64 levels",
        );
        refused(
            "",
            &format!("{}true", "not ".repeat(deep)),
            "nests more than",
        );
        refused("", &format!("{}1 > 0", "-".repeat(deep)), "nests more than");
        refused(
            "",
            &format!("1 {} > 0", "+ 1 ".repeat(20_000)),
            "nests more than",
        );
        refused(
            "",
            &format!("{}true", "true or ".repeat(20_000)),
            "nests more than",
        );
        refused(
            "",
            &format!("\"a\" in {}\"a\"{}", "[".repeat(deep), "]".repeat(deep)),
            "nests more than",
        );
        refused(
            "",
            &format!(
                "{}\"a\"{} == \"a\"",
                "lower(".repeat(deep),
                ")".repeat(deep)
            ),
            "nests more than",
        );
        // The error points at the place where the limit was passed.
        let errors = compile_and_decide("", &format!("{}true{}", "(".repeat(100), ")".repeat(100)))
            .unwrap_err();
        assert!(errors[0].contains("test.rules:2:"), "{errors:?}");
    }

    #[test]
    fn nesting_within_the_limit_compiles_and_decides() {
        compile_and_decide("", &format!("{}true{}", "(".repeat(60), ")".repeat(60))).unwrap();
        compile_and_decide("", &format!("1 {} > 0", "+ 1 ".repeat(60))).unwrap();
        compile_and_decide("", &format!("{}true", "not not ".repeat(30))).unwrap();
        // Features reading features, to near the deepest tree allowed.
        let mut lets = String::from("let g0 = 1\n");
        for i in 1..=60 {
            lets.push_str(&format!("let g{i} = g{} + 1\n", i - 1));
        }
        compile_and_decide(&lets, "g60 > 0").unwrap();
    }

    #[test]
    fn features_that_multiply_are_refused_early() {
        // Each feature reads the one before twice: 2^40 nodes if written out.
        let mut lets = String::from("let f0 = actor.id == \"u_1\"\n");
        for i in 1..40 {
            lets.push_str(&format!("let f{i} = f{} and f{}\n", i - 1, i - 1));
        }
        refused(&lets, "f39", "too large");
        // A chain of features, each one level deeper than the last.
        let mut lets = String::from("let g0 = 1\n");
        for i in 1..2_000 {
            lets.push_str(&format!("let g{i} = g{} + 1\n", i - 1));
        }
        refused(&lets, "g1999 > 0", "too large");
        // Many reads of one large feature in one condition.
        let mut lets = String::from("let h0 = 1\n");
        for i in 1..12 {
            lets.push_str(&format!("let h{i} = h{} + h{}\n", i - 1, i - 1));
        }
        refused(
            &lets,
            &format!("{} > 0", vec!["h11"; 60].join(" + ")),
            "too large",
        );
    }

    /// One piece of an expression's nesting: opened before the innermost value, closed after.
    #[derive(Debug, Clone)]
    enum Layer {
        Parens,
        Not,
        Minus,
        List,
        Call,
        Plus(usize),
        Or(usize),
    }

    fn layer() -> impl Strategy<Value = Layer> {
        prop_oneof![
            Just(Layer::Parens),
            Just(Layer::Not),
            Just(Layer::Minus),
            Just(Layer::List),
            Just(Layer::Call),
            (1..50usize).prop_map(Layer::Plus),
            (1..50usize).prop_map(Layer::Or),
        ]
    }

    fn text(layers: &[Layer]) -> String {
        let mut open = String::new();
        let mut close = String::new();
        for layer in layers {
            let (before, after) = match layer {
                Layer::Parens => ("(".to_owned(), ")".to_owned()),
                Layer::Not => ("not ".to_owned(), String::new()),
                Layer::Minus => ("-".to_owned(), String::new()),
                Layer::List => ("[".to_owned(), "]".to_owned()),
                Layer::Call => ("lower(".to_owned(), ")".to_owned()),
                Layer::Plus(n) => ("(".to_owned(), format!("{})", " + 1".repeat(*n))),
                Layer::Or(n) => ("(".to_owned(), format!("{})", " or true".repeat(*n))),
            };
            open.push_str(&before);
            close.insert_str(0, &after);
        }
        format!("{open}1{close} == 1")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_nesting_ends_in_a_decision_or_an_error(
            layers in proptest::collection::vec(layer(), 0..400),
            feature_layers in proptest::collection::vec(layer(), 0..100),
        ) {
            let lets = format!("let f = {}", text(&feature_layers).trim_end_matches(" == 1"));
            let _ = compile_and_decide(&lets, &text(&layers));
            let _ = compile_and_decide("", &format!("f == 1 and {}", text(&layers)));
        }
    }
}

#[test]
fn each_hit_names_the_member_the_rule_is_about() {
    let ruleset = ruleset(crate::STARTER_PACK);
    let last = |events: &[String]| run(&ruleset, events, &Lists::new()).pop().unwrap();
    let member = |decision: &Decision, rule: &str| {
        let hit = decision
            .hits
            .iter()
            .find(|h| h.rule_id == rule && h.fired)
            .unwrap_or_else(|| panic!("{rule} did not fire: {:?}", decision.hits));
        hit.member.clone()
    };
    // A Client reports the no-shows; the rule counts the Tasker's: the Tasker is the member,
    // and its case and violation address the Tasker.
    let no_shows: Vec<String> = (1..=3)
        .map(|d| {
            event(
                "task.no_show",
                d,
                "c_1",
                r#""subject": {"id": "k_5", "role": "tasker"}"#,
            )
        })
        .collect();
    let decision = last(&no_shows);
    assert_eq!(member(&decision, "TASKER-NO-SHOWS").as_deref(), Some("k_5"));
    let violation = Action::Violation {
        standard: "POL-CANCELLATION §4.1".into(),
    };
    assert_eq!(decision.member_for(&violation), Some("k_5"));
    assert_eq!(decision.members(), ["k_5"]);

    // A chargeback as SPEC.md §1 sends it (the Client as actor, no subject) and as a card
    // network sends it (the network as actor, the Client as subject): the Client either way.
    let chargeback = |d: u32, party: &str| {
        format!(
            r#"{{"id":"cb_{d}","type":"payment.chargeback","occurred_at":"2026-03-{d:02}T10:00:00Z","market":"US",{party},"amount":{{"minor":1000,"currency":"USD"}},"data":{{"reason_code":"10.4"}}}}"#
        )
    };
    let spec = r#""actor":{"id":"c_9","role":"client"}"#;
    let decision = last(&[chargeback(1, spec), chargeback(2, spec)]);
    assert_eq!(
        member(&decision, "CHARGEBACK-VELOCITY").as_deref(),
        Some("c_9")
    );
    let network =
        r#""actor":{"id":"card_network","role":"system"},"subject":{"id":"c_9","role":"client"}"#;
    let decision = last(&[chargeback(1, network), chargeback(2, network)]);
    assert_eq!(
        member(&decision, "CHARGEBACK-VELOCITY").as_deref(),
        Some("c_9")
    );
    assert_eq!(decision.members(), ["c_9"]);

    // A rule that reads no one's history is about the event's party: the sender.
    let message = event(
        "message.sent",
        1,
        "k_1",
        r#""actor": {"id": "k_1", "role": "tasker"}, "subject": {"id": "c_1", "role": "client"}, "data": {"text": "Pay me on Venmo"}"#,
    );
    let decision = last(&[message]);
    assert_eq!(
        member(&decision, "OFFPLATFORM-PAYMENT").as_deref(),
        Some("k_1")
    );
}

#[test]
fn classify_checks_its_label_and_explains_a_hit() {
    let rule = |condition: &str| {
        format!("rule OFF \"Off\" on message.sent enforces POL-PAY §2 when {condition} score 50")
    };
    let unknown = errors(&rule("classify(data.text, \"off_platform_paymnt\") >= 0.5"));
    assert!(
        unknown[0].contains("unknown classifier label `off_platform_paymnt`"),
        "{}",
        unknown[0]
    );
    assert!(unknown[0].contains("did you mean `off_platform_payment`?"));
    assert!(unknown[0].contains("test.rules:1:"));
    let far = errors(&rule("classify(data.text, \"spam\") >= 0.5"));
    assert!(far[0].contains("contact_sharing"), "{}", far[0]);
    let computed = errors(&rule("classify(data.text, lower(\"X\")) >= 0.5"));
    assert!(
        computed[0].contains("written out in quotes"),
        "{}",
        computed[0]
    );
    let arity = errors(&rule("classify(data.text) >= 0.5"));
    assert!(arity[0].contains("takes text and a label"), "{}", arity[0]);
    let not_text = errors(&rule("classify(amount, \"contact_sharing\") >= 0.5"));
    assert!(
        not_text[0].contains("argument 1 of `classify`"),
        "{}",
        not_text[0]
    );
    let not_bool = errors(&rule("classify(data.text, \"contact_sharing\")"));
    assert!(
        not_bool[0].contains("must be true or false"),
        "{}",
        not_bool[0]
    );

    // A hit records the score and the words that weighed most.
    let ruleset = ruleset(&rule(
        "classify(data.text, \"off_platform_payment\") >= 0.5",
    ));
    let message = |text: &str| {
        event(
            "message.sent",
            1,
            "k_1",
            &format!(
                r#","data":{{"text":{}}}"#,
                serde_json::to_string(text).unwrap()
            ),
        )
    };
    let decision = run(
        &ruleset,
        &[message("whatsapp me, pay directly, no fees")],
        &Lists::new(),
    )
    .remove(0);
    assert!(decision.fired("OFF"), "{decision:?}");
    let evidence = &decision.hits[0].evidence;
    let score = evidence
        .iter()
        .find(|e| e.expression == "classify(data.text, \"off_platform_payment\")")
        .expect("the score is evidence");
    let value: f64 = score.value.parse().unwrap();
    assert!((0.5..=1.0).contains(&value), "{score:?}");
    let words = evidence
        .iter()
        .find(|e| e.expression.ends_with("weighed most"))
        .expect("the words are evidence");
    assert!(words.value.contains('+'), "{words:?}");
    assert!(
        words.value.contains("\"directly\"") || words.value.contains("fees"),
        "{words:?}"
    );

    let quiet = run(
        &ruleset,
        &[message("please pay through the app as usual")],
        &Lists::new(),
    )
    .remove(0);
    assert!(!quiet.fired("OFF"), "{quiet:?}");
}

/// An action of `kind` as a rule writes it, and as the checker makes it.
fn written(kind: crate::ActionKind) -> (String, Action) {
    use crate::ActionKind;
    match kind {
        ActionKind::Allow => (format!("{kind}"), Action::Allow),
        ActionKind::Review => (
            format!("{kind}(\"fraud\")"),
            Action::Review {
                queue: "fraud".into(),
            },
        ),
        ActionKind::Block => (format!("{kind}"), Action::Block),
        ActionKind::HoldPayout => (format!("{kind}"), Action::HoldPayout),
        ActionKind::RequireVerification => (
            format!("{kind}(id_document)"),
            Action::RequireVerification {
                method: "id_document".into(),
            },
        ),
        ActionKind::OpenCase => (
            format!("{kind}(fraud, high)"),
            Action::OpenCase {
                case_type: "fraud".into(),
                priority: "high".into(),
            },
        ),
        ActionKind::Violation => (
            format!("{kind}(\"POL-X §1\")"),
            Action::Violation {
                standard: "POL-X §1".into(),
            },
        ),
        ActionKind::Tag => (
            format!("{kind}(\"serial\")"),
            Action::Tag {
                name: "serial".into(),
            },
        ),
    }
}

#[test]
fn every_action_kind_is_named_once_and_written_stored_and_shown_by_that_name() {
    use crate::ActionKind;
    let names: Vec<&str> = ActionKind::names().collect();
    let mut distinct = names.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    for &kind in ActionKind::ALL {
        assert_eq!(ActionKind::parse(kind.as_str()), Some(kind));
        let (text, action) = written(kind);
        assert_eq!(action.kind(), kind);
        // Rules write it by that name, and it is shown by it.
        let source =
            format!("rule A \"a\" on claim.filed enforces POL-X when true score 1 then {text}\n");
        assert_eq!(
            ruleset(&source).rules[0].actions,
            std::slice::from_ref(&action),
            "{text}"
        );
        assert!(action.to_string().starts_with(kind.as_str()), "{action}");
        // Effects store and send it with that name as its type.
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["type"], kind.as_str(), "{json}");
        assert_eq!(serde_json::from_value::<Action>(json).unwrap(), action);
    }
    assert_eq!(ActionKind::parse("reveiw"), None);
}
