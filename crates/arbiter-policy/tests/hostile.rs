//! Hostile document text: whatever nests, reading, rendering, diffing and indexing a document
//! end in a value or in located errors, on less stack than a server's async worker has.

use arbiter_policy::{SearchIndex, parse_document, render_html, word_diff};
use proptest::prelude::*;

const STACK: usize = 1024 * 1024;

fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(work)
        .expect("thread")
        .join()
        .expect("no panic")
}

fn document(front_extra: &str, body: &str) -> String {
    format!(
        "+++\nid = \"POL-X\"\nkind = \"policy\"\ntitle = \"X\"\naudience = [\"public\"]\nmarkets = [\"FR\"]\nlocale = \"en\"\nowner = \"policy-team\"\nstatus = \"draft\"\neffective = \"2026-01-15\"\n{front_extra}+++\n{body}"
    )
}

/// Reads, renders, indexes and diffs the text; the errors when it is not a document.
fn every_stage(text: String) -> Result<(), Vec<String>> {
    on_small_stack(move || {
        let document = parse_document(&text)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
        let _ = render_html(&document.body);
        let _ = word_diff(&document.body, "something else");
        let index = SearchIndex::build(vec![document]);
        let _ = index.search("payment", &Default::default(), 10);
        Ok(())
    })
}

#[test]
fn deep_front_matter_is_a_located_error() {
    for extra in [
        format!(
            "tags = {}\"a\"{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        format!("tags = {}{}\n", "{a=".repeat(50_000), "}".repeat(50_000)),
        format!("{} = 1\n", vec!["a"; 50_000].join(".")),
    ] {
        let errors = every_stage(document(&extra, "## 1. A\nText.\n")).unwrap_err();
        // `LINE:COLUMN: message`, pointing into the front matter (lines 2 to 11).
        let (line, _) = errors[0].split_once(':').expect("a located error");
        let line: usize = line.parse().expect("a line number");
        assert!((2..=11).contains(&line), "{errors:?}");
    }
}

#[test]
fn deep_markdown_renders() {
    for body in [
        ">".repeat(100_000),
        "- ".repeat(50_000),
        "  ".repeat(20_000) + "- a",
        "*".repeat(100_000) + "a" + &"*".repeat(100_000),
        "[".repeat(50_000) + "a" + &"](b)".repeat(50_000),
        "1. ".repeat(30_000),
        "> - 1. ".repeat(20_000),
    ] {
        every_stage(document("", &body)).expect("a document");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_nesting_of_markdown_ends(pieces in proptest::collection::vec(
        prop_oneof![Just("> "), Just("- "), Just("1. "), Just("*"), Just("["), Just("]("),
                    Just(")"), Just("`"), Just("    "), Just("\n"), Just("## 2.1 "), Just("|a|\n|-|\n")],
        0..3_000,
    )) {
        let _ = every_stage(document("", &pieces.concat()));
    }

    #[test]
    fn any_nesting_of_front_matter_ends(pieces in proptest::collection::vec(
        prop_oneof![Just("["), Just("]"), Just("{a="), Just("}"), Just("\"x\""), Just(","),
                    Just("a."), Just("\n"), Just("tags = ")],
        0..3_000,
    )) {
        let _ = every_stage(document(&format!("{}\n", pieces.concat()), "## 1. A\n"));
    }
}
