//! Training packets: a chosen set of documents as one self-contained HTML file with a table of
//! contents, for Training & Development and Risk Operations.

use crate::{Document, render_html};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The documents, in the order given, as one HTML file: styles inline, no outside resources,
/// a table of contents linking to each document and clause. Bodies are rendered safely
/// ([`render_html`]); clause anchors are made unique per document (`POL-A-s3.1`).
pub fn packet_html(title: &str, documents: &[Document]) -> String {
    let mut toc = String::new();
    let mut sections = String::new();
    for document in documents {
        let id = escape(&document.id);
        toc.push_str(&format!(
            "<li><a href=\"#{id}\">{id} — {}</a>",
            escape(&document.title)
        ));
        let clauses = crate::clauses(&document.body);
        if !clauses.is_empty() {
            toc.push_str("<ul>");
            for clause in &clauses {
                toc.push_str(&format!(
                    "<li><a href=\"#{id}-s{n}\">§{n} {}</a></li>",
                    escape(&clause.title),
                    n = escape(&clause.number)
                ));
            }
            toc.push_str("</ul>");
        }
        toc.push_str("</li>\n");
        let body = render_html(&document.body).replace(" id=\"s", &format!(" id=\"{id}-s"));
        sections.push_str(&format!(
            "<section id=\"{id}\">\n<p class=\"meta\">{id} · {} · {} · {} · version as of this packet</p>\n{body}</section>\n",
            document.kind,
            document.status,
            escape(&document.locale),
        ));
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>\n\
         body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}\n\
         nav ul {{ list-style: none; padding-left: 1rem; }} section {{ border-top: 1px solid #ccc; margin-top: 2rem; page-break-before: always; }}\n\
         .meta {{ color: #555; font-size: .9rem; }} table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .25rem .5rem; }}\n\
         </style>\n</head>\n<body>\n<h1>{title}</h1>\n<nav aria-label=\"Contents\"><h2>Contents</h2>\n<ul>\n{toc}</ul></nav>\n{sections}</body>\n</html>\n",
        title = escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_holds_every_document_with_a_linked_contents() {
        let documents: Vec<Document> = crate::STARTER_LIBRARY
            .iter()
            .map(|(_, text)| crate::parse_document(text).unwrap())
            .collect();
        let html = packet_html("Claims <training>", &documents);
        assert!(html.contains("<title>Claims &lt;training&gt;</title>"));
        for document in &documents {
            assert!(html.contains(&format!("<section id=\"{}\">", document.id)));
        }
        assert!(
            html.contains(r##"<a href="#POL-GUARANTEE-s3.1">§3.1 Fourteen days</a>"##),
            "{html}"
        );
        assert!(html.contains(r#"<h3 id="POL-GUARANTEE-s3.1">"#));
        // Self-contained: nothing fetched from elsewhere.
        assert!(
            !html.contains("<link") && !html.contains("<script") && !html.contains("src=\"http")
        );
    }
}
