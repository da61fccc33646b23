//! Browser safety for every answer: the cross-site request check in front of every handler
//! that changes something, and the headers that keep pages out of frames, caches and other
//! sites' reach.
//!
//! A request that changes something (any method but GET, HEAD and OPTIONS) is refused when a
//! browser says it came from another site: `Sec-Fetch-Site` other than `same-origin` or `none`,
//! or, from browsers that do not send that header, an `Origin` that is neither this server's
//! host nor the configured public URL. Requests with neither header do not come from a
//! browser page (API clients, scripts) and pass: they carry no cookie a page could borrow.
//! This covers every console form, sign-in included, without a token in each form.

use crate::AppState;
use crate::problem::Problem;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Scripts and styles only from this server (no inline script, style element or `style=`
/// attribute runs), no plugins, no framing, forms only to this server.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' https:; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// How the server is reached by browsers.
#[derive(Debug, Clone, Default)]
pub struct BrowserSettings {
    /// `scheme://host[:port]` of the configured public URL, lower case.
    public_origin: Option<String>,
}

impl BrowserSettings {
    /// From the public URL browsers use (`https://arbiter.example.com`), e.g. that of a
    /// TLS-terminating proxy in front of this server; `None` when browsers reach it directly.
    pub fn new(public_url: Option<&str>) -> Result<BrowserSettings, String> {
        let Some(url) = public_url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(BrowserSettings::default());
        };
        let uri: axum::http::Uri = url
            .parse()
            .map_err(|e| format!("public URL {url:?}: {e}"))?;
        let scheme = uri.scheme_str().unwrap_or("");
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "public URL {url:?}: give an http:// or https:// address"
            ));
        }
        let Some(authority) = uri.authority() else {
            return Err(format!("public URL {url:?}: no host"));
        };
        if authority.as_str().contains('@') || !matches!(uri.path(), "" | "/") {
            return Err(format!(
                "public URL {url:?}: give only the scheme, host and port, e.g. https://arbiter.example.com"
            ));
        }
        Ok(BrowserSettings {
            public_origin: Some(format!("{scheme}://{}", authority.as_str()).to_lowercase()),
        })
    }

    /// Whether browsers reach the server over TLS: cookies carry `Secure`, answers HSTS.
    pub fn secure_cookies(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|o| o.starts_with("https://"))
    }

    /// The attributes of the session cookie after its value.
    pub(crate) fn cookie_attributes(&self) -> &'static str {
        if self.secure_cookies() {
            "Path=/; HttpOnly; Secure; SameSite=Strict"
        } else {
            "Path=/; HttpOnly; SameSite=Strict"
        }
    }
}

/// Why a request is treated as coming from another site, if it is.
fn cross_site(method: &Method, headers: &HeaderMap, browser: &BrowserSettings) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("?"));
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => None,
            other => Some(format!(
                "the browser says it was sent from {other} (Sec-Fetch-Site)"
            )),
        };
    }
    let origin = text("origin")?;
    let host = text("host").unwrap_or("");
    let authority = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .to_ascii_lowercase();
    if (!host.is_empty() && authority == host.to_ascii_lowercase())
        || browser.public_origin.as_deref() == Some(origin.to_ascii_lowercase().as_str())
    {
        None
    } else {
        Some(format!(
            "it was sent from the page of another site ({origin})"
        ))
    }
}

/// The layer around every route: refuses cross-site changes, then adds the browser headers.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = match cross_site(request.method(), request.headers(), state.browser()) {
        Some(why) => {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), %why, "cross-site request refused");
            Problem::new(
                StatusCode::FORBIDDEN,
                "cross-site-request",
                "Cross-site request refused",
                format!(
                    "this request was refused and nothing was changed: {why}. Open the console at its own address and try again."
                ),
            )
            .into_response()
        }
        None => next.run(request).await,
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Same-origin keeps the Origin header on the console's own forms (no-referrer would
        // turn it into `null`) and sends nothing to other sites.
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Browsers that reached the server over TLS keep to TLS for a year.
    if state.browser().secure_cookies() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    // Pages and answers hold personal data and secrets: never stored by a browser or proxy.
    // Static assets say how long they may be kept.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The bidirectional-text controls that can make text read differently from how it is stored
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Writes `text` with every bidirectional control replaced by a visible `[U+202E]`.
pub fn write_neutral<W: std::fmt::Write>(mut out: W, text: &str) -> std::fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(is_bidi_control) {
        out.write_str(&rest[..at])?;
        let c = rest[at..].chars().next().unwrap_or_default();
        write!(out, "[U+{:04X}]", c as u32)?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

/// `text` with its bidirectional controls made visible (see [`write_neutral`]).
pub fn neutralise_bidi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let _ = write_neutral(&mut out, text);
    out
}

/// The escaper of every HTML template: askama's HTML escaping, then bidirectional controls
/// made visible, so that no value shown in the console or help center can reorder what a
/// reader sees (`askama.toml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: std::fmt::Write>(&self, dest: W, string: &str) -> std::fmt::Result {
        if string.contains(is_bidi_control) {
            askama::filters::Html.write_escaped_str(dest, &neutralise_bidi(string))
        } else {
            askama::filters::Html.write_escaped_str(dest, string)
        }
    }

    fn write_escaped_char<W: std::fmt::Write>(&self, dest: W, c: char) -> std::fmt::Result {
        if is_bidi_control(c) {
            write_neutral(dest, c.encode_utf8(&mut [0; 4]))
        } else {
            askama::filters::Html.write_escaped_char(dest, c)
        }
    }
}

/// Template filters: `{{ html|neutral|safe }}` for markup rendered elsewhere (policy documents),
/// which the escaper does not see.
pub(crate) mod filters {
    #[askama::filter_fn]
    pub fn neutral(
        value: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(super::neutralise_bidi(&value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn cross_site_changes_are_told_apart() {
        let plain = BrowserSettings::default();
        let post = Method::POST;
        assert!(
            cross_site(
                &Method::GET,
                &headers(&[("sec-fetch-site", "cross-site")]),
                &plain
            )
            .is_none()
        );
        assert!(cross_site(&post, &headers(&[("sec-fetch-site", "cross-site")]), &plain).is_some());
        assert!(cross_site(&post, &headers(&[("sec-fetch-site", "same-site")]), &plain).is_some());
        assert!(
            cross_site(
                &post,
                &headers(&[("sec-fetch-site", "same-origin")]),
                &plain
            )
            .is_none()
        );
        // No browser header at all: an API client or script.
        assert!(cross_site(&post, &headers(&[("host", "a.example")]), &plain).is_none());
        let from = |origin: &str| headers(&[("host", "a.example:8080"), ("origin", origin)]);
        assert!(cross_site(&post, &from("http://a.example:8080"), &plain).is_none());
        assert!(cross_site(&post, &from("https://evil.example"), &plain).is_some());
        assert!(cross_site(&post, &from("null"), &plain).is_some());
        // Behind a proxy that rewrites Host, the public URL is this server's origin.
        let proxied = BrowserSettings::new(Some("https://Arbiter.example.com/")).unwrap();
        let behind = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://arbiter.example.com"),
        ]);
        assert!(cross_site(&post, &behind, &proxied).is_none());
        assert!(cross_site(&post, &behind, &plain).is_some());
    }

    #[test]
    fn the_public_url_decides_secure_cookies() {
        assert!(!BrowserSettings::default().secure_cookies());
        assert!(
            !BrowserSettings::new(Some("http://10.0.0.5:8080"))
                .unwrap()
                .secure_cookies()
        );
        let tls = BrowserSettings::new(Some("https://arbiter.example.com")).unwrap();
        assert!(tls.secure_cookies());
        assert!(tls.cookie_attributes().contains("; Secure;"));
        for bad in [
            "ftp://x",
            "https://a.example/console",
            "https://u:p@a.example",
            "nohost",
        ] {
            assert!(BrowserSettings::new(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bidi_controls_are_made_visible() {
        assert_eq!(
            neutralise_bidi("invoice\u{202E}fdp.exe \u{2066}x\u{2069} \u{200F}\u{061C}"),
            "invoice[U+202E]fdp.exe [U+2066]x[U+2069] [U+200F][U+061C]"
        );
        assert_eq!(neutralise_bidi("plain — é"), "plain — é");
        let mut escaped = String::new();
        askama::filters::Escaper::write_escaped_str(&Html, &mut escaped, "<b>\u{202E}").unwrap();
        assert_eq!(escaped, "&#60;b&#62;[U+202E]");
    }
}
