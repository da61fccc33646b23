//! Markdown to HTML that is safe to serve to anyone: raw HTML in the source is shown as text,
//! never interpreted, and links and images keep only web, mail and relative addresses.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Renders a document body as HTML. Clause headings get an anchor (`id="s3.2"`), so that
/// `POL-GUARANTEE §3.2` can link to `…#s3.2`.
pub fn render_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut heading: Option<(HeadingLevel, Vec<Event<'_>>)> = None;
    for event in Parser::new_ext(markdown, options) {
        let event = safe(event);
        match event {
            Event::Start(Tag::Heading { level, .. }) => heading = Some((level, Vec::new())),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, inner)) = heading.take() {
                    let text: String = inner
                        .iter()
                        .filter_map(|e| match e {
                            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect();
                    let id = crate::clauses(&format!("# {text}"))
                        .first()
                        .map(|c| CowStr::from(format!("s{}", c.number)));
                    events.push(Event::Start(Tag::Heading {
                        level,
                        id,
                        classes: Vec::new(),
                        attrs: Vec::new(),
                    }));
                    events.extend(inner);
                    events.push(Event::End(TagEnd::Heading(level)));
                }
            }
            event => match &mut heading {
                Some((_, inner)) => inner.push(event),
                None => events.push(event),
            },
        }
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

/// Raw HTML becomes text; a link or image to anything but http(s), mailto or a relative
/// address goes nowhere.
fn safe(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: safe_url(dest_url),
            title,
            id,
        }),
        event => event,
    }
}

fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let trimmed: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_end = trimmed.find([':', '/', '?', '#']);
    let allowed = match scheme_end {
        Some(end) if trimmed.as_bytes()[end] == b':' => {
            matches!(&trimmed[..end], "http" | "https" | "mailto")
        }
        // No scheme: a relative address or a fragment.
        _ => true,
    };
    if allowed { url } else { CowStr::from("#") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_dangerous_links_do_not_survive() {
        let html = render_html(
            "## 3.2 Refunds\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> and <b onclick=\"x()\">bold</b>\n\n[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [ok](https://example.com/a) [mail](mailto:help@example.com) [local](/help/POL-A#s1) [tricky](JaVa\tScRiPt:alert(1))\n\n![x](vbscript:msgbox)",
        );
        assert!(html.contains(r#"<h2 id="s3.2">3.2 Refunds</h2>"#), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(!html.to_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        assert!(!html.contains("vbscript"), "{html}");
        assert!(html.contains(r#"href="https://example.com/a""#), "{html}");
        assert!(html.contains(r#"href="mailto:help@example.com""#), "{html}");
        assert!(html.contains(r##"href="/help/POL-A#s1""##), "{html}");
    }

    #[test]
    fn ordinary_markdown_renders() {
        let html = render_html(
            "# Title\n\nSome *emphasis* and a list:\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<li>one</li>"));
        assert!(html.contains("<table>"));
    }
}
