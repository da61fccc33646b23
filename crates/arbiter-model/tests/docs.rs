//! The event format's documentation is held to the code: its examples are events the log
//! accepts, and it describes every core type.

const EVENTS_MD: &str = include_str!("../../../docs/events.md");

#[test]
fn every_example_in_the_event_docs_is_accepted() {
    let mut examples = 0;
    let mut in_json = false;
    let mut block = String::new();
    for line in EVENTS_MD.lines() {
        if line.starts_with("```json") {
            in_json = true;
            block.clear();
        } else if in_json && line.starts_with("```") {
            in_json = false;
            // A block is one event laid out over lines, or one event a line.
            if block.trim_start().starts_with("{\n") {
                arbiter_model::Event::parse(&block).unwrap_or_else(|e| panic!("{e:?}\n{block}"));
                examples += 1;
            } else {
                for event in block.lines().filter(|l| !l.trim().is_empty()) {
                    arbiter_model::Event::parse(event).unwrap_or_else(|e| panic!("{e:?}\n{event}"));
                    examples += 1;
                }
            }
        } else if in_json {
            block.push_str(line);
            block.push('\n');
        }
    }
    assert!(examples >= 6, "{examples} examples");
}

#[test]
fn the_event_docs_describe_every_core_type() {
    for core in [
        "user.signed_up",
        "user.verified",
        "task.posted",
        "task.booked",
        "task.completed",
        "task.cancelled",
        "task.no_show",
        "message.sent",
        "payment.captured",
        "payment.refunded",
        "payment.chargeback",
        "review.posted",
        "report.filed",
        "claim.filed",
    ] {
        assert!(
            EVENTS_MD.contains(&format!("| `{core}` |")),
            "docs/events.md does not describe {core}"
        );
    }
}
