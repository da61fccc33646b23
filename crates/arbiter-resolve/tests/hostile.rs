//! Hostile configuration text: whatever nests, checking a resolution configuration ends with
//! a configuration or located errors, on less stack than a server's async worker has.

use arbiter_resolve::parse_config;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_nesting_of_toml_ends(pieces in proptest::collection::vec(
        prop_oneof![Just("["), Just("]"), Just("{a="), Just("}"), Just("1"), Just(","),
                    Just("\"x\""), Just("\n"), Just("x = "), Just("[[markets]]\n"), Just("a.")],
        0..3_000,
    )) {
        let text = pieces.concat();
        let outcome = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || parse_config(&text).map(|_| ()))
            .expect("thread")
            .join();
        prop_assert!(outcome.is_ok(), "no panic, no overflow");
        if let Ok(Err(errors)) = outcome {
            prop_assert!(errors.iter().all(|e| e.line >= 1));
        }
    }
}
