//! Hostile event batches: whatever nests, parsing ends with events or refusals that name the
//! line, on less stack than a server's async worker has.

use arbiter_model::{parse_json_array, parse_ndjson};
use proptest::prelude::*;

fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(work)
        .expect("thread")
        .join()
        .expect("no panic")
}

fn event_with_data(data: &str) -> String {
    format!(
        r#"{{"id":"e1","type":"marketplace.note","occurred_at":"2026-10-01T10:00:00Z","market":"US","actor":{{"id":"u_1","role":"client"}},"subject":{{"id":"u_2","role":"tasker"}},"data":{data}}}"#
    )
}

#[test]
fn deep_data_is_refused_with_its_line() {
    let deep = event_with_data(&format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000)));
    let body = format!("{}\n{deep}\n", event_with_data("{}"));
    let parsed = on_small_stack(move || parse_ndjson(&body));
    assert!(parsed[0].is_ok(), "{:?}", parsed[0]);
    let refused = parsed[1].as_ref().expect_err("refused");
    assert_eq!(refused.line, 2, "{refused:?}");
    assert!(refused.error.contains("recursion"), "{refused:?}");

    let array = format!("[{}]", "[".repeat(100_000));
    let parsed = on_small_stack(move || parse_json_array(&array));
    assert!(parsed.is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_nesting_of_data_ends(pieces in proptest::collection::vec(
        prop_oneof![Just("["), Just("]"), Just("{\"a\":"), Just("}"), Just("1"), Just(","),
                    Just("\"x\""), Just("null")],
        0..2_000,
    )) {
        let body = event_with_data(&pieces.concat());
        let parsed = on_small_stack(move || parse_ndjson(&body));
        prop_assert_eq!(parsed.len(), 1);
    }
}
