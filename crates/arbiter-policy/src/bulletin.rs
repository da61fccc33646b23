//! The policy bulletin: what changed in the library over a period, clause by clause, short
//! enough for Training and Risk Operations to read in five minutes.

use crate::{Change, ClauseChangeKind, Document, clause_changes};

/// One document's change over the period.
pub struct BulletinEntry {
    /// The document as it stood before the period; `None` when it is new.
    pub before: Option<Document>,
    /// The document at the end of the period.
    pub after: Document,
    /// Why, as its versions say, newest last.
    pub summaries: Vec<String>,
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The bulletin as one self-contained HTML page.
pub fn bulletin_html(title: &str, entries: &[BulletinEntry]) -> String {
    let mut body = String::new();
    if entries.is_empty() {
        body.push_str("<p>Nothing in the library changed in this period.</p>\n");
    }
    for entry in entries {
        let after = &entry.after;
        let what = match (&entry.before, after.status) {
            (None, _) => "new",
            (Some(b), s) if b.status != s => s.as_str(),
            _ => "changed",
        };
        body.push_str(&format!(
            "<section>\n<h2>{} — {} <small>({what}, now {})</small></h2>\n<p>{}</p>\n<p class=\"meta\">By {}{}</p>\n<ul>\n",
            escape(&after.id),
            escape(&after.title),
            after.status,
            escape(&entry.summaries.join("; ")),
            escape(&entry.authors.join(", ")),
            if entry.reviewers.is_empty() {
                String::new()
            } else {
                format!("; reviewed by {}", escape(&entry.reviewers.join(", ")))
            }
        ));
        let old_body = entry.before.as_ref().map_or("", |d| d.body.as_str());
        for change in clause_changes(old_body, &after.body) {
            let what = match change.kind {
                ClauseChangeKind::Added => "<ins>added</ins>".to_owned(),
                ClauseChangeKind::Removed => "<del>removed</del>".to_owned(),
                ClauseChangeKind::Changed => {
                    let mut diff = String::new();
                    for words in &change.words {
                        match words {
                            Change::Same(t) => diff.push_str(&escape(t)),
                            Change::Removed(t) => {
                                diff.push_str(&format!("<del>{}</del>", escape(t)))
                            }
                            Change::Added(t) => diff.push_str(&format!("<ins>{}</ins>", escape(t))),
                        }
                    }
                    format!("changed: <blockquote>{diff}</blockquote>")
                }
            };
            body.push_str(&format!(
                "<li>§{} {} — {what}</li>\n",
                escape(&change.number),
                escape(&change.title)
            ));
        }
        body.push_str("</ul>\n</section>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }}\n\
         del {{ background: #fde2e1; }} ins {{ background: #dcf5dc; text-decoration: none; }} .meta {{ color: #555; }}\n\
         blockquote {{ margin: .25rem 0 .5rem 1rem; }}\n</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>{} document(s) changed.</p>\n{body}</body>\n</html>\n",
        entries.len(),
        title = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulletin_names_each_clause_that_changed() {
        let text = crate::STARTER_LIBRARY
            .iter()
            .find(|(n, _)| *n == "POL-GUARANTEE.md")
            .unwrap()
            .1;
        let before = crate::parse_document(text).unwrap();
        let after = crate::parse_document(
            &text
                .replace("within 14 days", "within 30 days")
                .replace("### 5.2 Excluded items", "### 5.3 Excluded items"),
        )
        .unwrap();
        let html = bulletin_html(
            "Bulletin <Q4>",
            &[BulletinEntry {
                before: Some(before),
                after,
                summaries: vec!["Longer window".into()],
                authors: vec!["ann".into()],
                reviewers: vec!["lee".into()],
            }],
        );
        assert!(html.contains("<title>Bulletin &lt;Q4&gt;</title>"));
        assert!(html.contains("§3.1 Fourteen days — changed"), "{html}");
        assert!(html.contains("<del>14</del><ins>30</ins>"), "{html}");
        assert!(
            html.contains("§5.3 Excluded items — <ins>added</ins>"),
            "{html}"
        );
        assert!(
            html.contains("§5.2 Excluded items — <del>removed</del>"),
            "{html}"
        );
        assert!(!html.contains("§6.1"), "unchanged clauses are left out");
        assert!(bulletin_html("Empty", &[]).contains("Nothing in the library changed"));
    }
}
