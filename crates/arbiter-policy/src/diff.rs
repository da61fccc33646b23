//! Word-level differences between two versions of a text.

use similar::{ChangeTag, TextDiff};

/// A run of text that is in both versions, only the old one, or only the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Same(String),
    Removed(String),
    Added(String),
}

/// The changes that turn `old` into `new`, word by word (whitespace kept), with adjacent
/// runs of the same kind joined.
pub fn word_diff(old: &str, new: &str) -> Vec<Change> {
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_words(old, new);
    let mut changes: Vec<Change> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (change.tag(), changes.last_mut()) {
            (ChangeTag::Equal, Some(Change::Same(run)))
            | (ChangeTag::Delete, Some(Change::Removed(run)))
            | (ChangeTag::Insert, Some(Change::Added(run))) => run.push_str(text),
            (ChangeTag::Equal, _) => changes.push(Change::Same(text.to_owned())),
            (ChangeTag::Delete, _) => changes.push(Change::Removed(text.to_owned())),
            (ChangeTag::Insert, _) => changes.push(Change::Added(text.to_owned())),
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_that_changed_are_marked_and_the_rest_kept() {
        let changes = word_diff(
            "Claims must be filed within 14 days.",
            "Claims must be filed within 30 days.",
        );
        assert_eq!(
            changes,
            [
                Change::Same("Claims must be filed within ".into()),
                Change::Removed("14".into()),
                Change::Added("30".into()),
                Change::Same(" days.".into()),
            ]
        );
        let rebuilt_new: String = changes
            .iter()
            .filter_map(|c| match c {
                Change::Same(t) | Change::Added(t) => Some(t.as_str()),
                Change::Removed(_) => None,
            })
            .collect();
        assert_eq!(rebuilt_new, "Claims must be filed within 30 days.");
        assert_eq!(word_diff("same", "same"), [Change::Same("same".into())]);
    }
}
