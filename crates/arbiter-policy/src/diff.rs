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

/// What a version did to one clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseChangeKind {
    Added,
    Changed,
    Removed,
}

impl ClauseChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClauseChangeKind::Added => "added",
            ClauseChangeKind::Changed => "changed",
            ClauseChangeKind::Removed => "removed",
        }
    }
}

/// A clause that a version added, changed or removed, with its words' changes (a changed
/// clause's title counts as its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseChange {
    /// `3.1`.
    pub number: String,
    /// The title it has now; a removed clause's last title.
    pub title: String,
    pub kind: ClauseChangeKind,
    /// The clause's text, word by word: all added, all removed, or the changes between.
    pub words: Vec<Change>,
}

/// The clauses `new` adds, changes or removes against `old` (document bodies), in the order
/// of `new`, removed clauses last. Clauses are matched by number.
pub fn clause_changes(old: &str, new: &str) -> Vec<ClauseChange> {
    let before = crate::clauses(old);
    let after = crate::clauses(new);
    let mut changes = Vec::new();
    for clause in &after {
        match before.iter().find(|c| c.number == clause.number) {
            None => changes.push(ClauseChange {
                number: clause.number.clone(),
                title: clause.title.clone(),
                kind: ClauseChangeKind::Added,
                words: vec![Change::Added(clause.text.clone())],
            }),
            Some(was) if was.text != clause.text || was.title != clause.title => {
                let mut words = Vec::new();
                if was.title != clause.title {
                    words.extend(word_diff(&was.title, &clause.title));
                    words.push(Change::Same("\n".into()));
                }
                words.extend(word_diff(&was.text, &clause.text));
                changes.push(ClauseChange {
                    number: clause.number.clone(),
                    title: clause.title.clone(),
                    kind: ClauseChangeKind::Changed,
                    words,
                });
            }
            Some(_) => {}
        }
    }
    for clause in before
        .iter()
        .filter(|c| !after.iter().any(|n| n.number == c.number))
    {
        changes.push(ClauseChange {
            number: clause.number.clone(),
            title: clause.title.clone(),
            kind: ClauseChangeKind::Removed,
            words: vec![Change::Removed(clause.text.clone())],
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clauses_are_compared_by_number() {
        let old = "## 1. Scope\nAll tasks.\n\n## 2. Window\nWithin 14 days.\n\n## 3. Gone\nOld.\n";
        let new = "## 1. Scope\nAll tasks.\n\n## 2. Window\nWithin 30 days.\n\n## 4. New\nFresh.\n";
        let changes = clause_changes(old, new);
        let summary: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| (c.number.as_str(), c.kind.as_str()))
            .collect();
        assert_eq!(
            summary,
            [("2", "changed"), ("4", "added"), ("3", "removed")]
        );
        assert!(changes[0].words.contains(&Change::Removed("14".into())));
        assert!(changes[0].words.contains(&Change::Added("30".into())));
        assert!(clause_changes(old, old).is_empty());
    }

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
