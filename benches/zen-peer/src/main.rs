//! Three stateless rules, written once in Arbiter's language and once as a GoRules JDM graph,
//! evaluated in one process on the same generated events, from event bytes to verdict.
//!
//! ```text
//! cd benches/zen-peer && cargo run --release -- 1000000
//! ```

use std::sync::Arc;
use std::time::Instant;

use arbiter_model::Event;
use arbiter_rules::{Engine, Facts, Lists, Verdict};
use serde_json::json;
use zen_engine::DecisionEngine;
use zen_engine::model::DecisionContent;

const PAYMENT_WORDS: &str =
    "venmo|zelle|cashapp|paypal|revolut|lydia|bizum|twint|paylib|interac|wero";
const DISPOSABLE: [&str; 4] = [
    "mailinator.com",
    "guerrillamail.com",
    "yopmail.com",
    "tempmail.dev",
];

fn arbiter_rules_text() -> String {
    format!(
        r#"
rule PAY "Payment app named in chat" on message.sent enforces POL-PAYMENTS §2.1
  when matches(lower(data.text), "{PAYMENT_WORDS}") then review("off-platform")
rule BIG "Large booking" on task.booked enforces POL-PAYMENTS §4.1
  when amount.minor >= 40000 and amount.currency == "USD" then review("payments")
rule MAIL "Disposable email domain" on user.signed_up enforces POL-ACCOUNTS §3.1
  when lower(data.email_domain) in [{}] then review("accounts")
"#,
        DISPOSABLE
            .iter()
            .map(|d| format!("{d:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The same three conditions as one expression node: each yields true or false.
fn zen_graph() -> serde_json::Value {
    let domains = DISPOSABLE
        .iter()
        .map(|d| format!("'{d}'"))
        .collect::<Vec<_>>()
        .join(", ");
    json!({
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {"id": "rules", "type": "expressionNode", "name": "Rules", "position": {"x": 1, "y": 0},
             "content": {"expressions": [
                {"id": "1", "key": "pay", "value": format!("type == 'message.sent' and matches(lower(data.text), '{PAYMENT_WORDS}')")},
                {"id": "2", "key": "big", "value": "type == 'task.booked' and amount.minor >= 40000 and amount.currency == 'USD'"},
                {"id": "3", "key": "mail", "value": format!("type == 'user.signed_up' and lower(data.email_domain) in [{domains}]")}
             ]}},
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}}
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}
        ]
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let start = time::macros::date!(2026 - 06 - 01);
    let events: Vec<String> =
        arbiter_synth::Marketplace::new(arbiter_synth::Config::new(1, count, start)).collect();

    let ruleset = Arc::new(
        arbiter_rules::compile(&arbiter_rules_text())
            .expect("the rules check")
            .0,
    );
    let lists = Lists::new();
    let started = Instant::now();
    let mut engine = Engine::new(ruleset);
    let ours: Vec<bool> = events
        .iter()
        .map(|text| {
            let (event, object) = Event::parse_with_object(text).expect("valid");
            engine
                .decide(
                    &Facts {
                        event: &event,
                        object: &object,
                    },
                    &lists,
                )
                .verdict
                == Verdict::Review
        })
        .collect();
    let ours_time = started.elapsed();

    let content: DecisionContent = serde_json::from_value(zen_graph()).expect("a valid JDM graph");
    let zen = DecisionEngine::default();
    let decision = zen
        .create_decision(content.into())
        .expect("zen accepts the graph");
    let started = Instant::now();
    let mut theirs = Vec::with_capacity(events.len());
    for text in &events {
        let input: serde_json::Value = serde_json::from_str(text).expect("valid");
        let response = decision
            .evaluate(input.into())
            .await
            .expect("zen evaluates");
        let result: serde_json::Value = response.result.to_value();
        let fired = ["pay", "big", "mail"]
            .iter()
            .any(|k| result[k] == serde_json::Value::Bool(true));
        theirs.push(fired);
    }
    let zen_time = started.elapsed();

    let reviewed = ours.iter().filter(|r| **r).count();
    let disagreements = ours.iter().zip(&theirs).filter(|(a, b)| a != b).count();
    let rate = |d: std::time::Duration| count as f64 / d.as_secs_f64();
    println!("{count} events, 3 rules, one thread, from event bytes to verdict:");
    println!(
        "  arbiter:     {:.2} s = {:.0} events/s ({:.0} ns per event)",
        ours_time.as_secs_f64(),
        rate(ours_time),
        ours_time.as_nanos() as f64 / count as f64
    );
    println!(
        "  zen-engine:  {:.2} s = {:.0} events/s ({:.0} ns per event)",
        zen_time.as_secs_f64(),
        rate(zen_time),
        zen_time.as_nanos() as f64 / count as f64
    );
    println!(
        "  ratio: arbiter is {:.1}x faster",
        zen_time.as_secs_f64() / ours_time.as_secs_f64()
    );
    println!("  verdicts: {reviewed} reviewed; {disagreements} disagreements");
}
