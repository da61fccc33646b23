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

    /// Whether cookies must carry `Secure`: browsers reach the server over TLS.
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
    // Pages and answers hold personal data and secrets: never stored by a browser or proxy.
    // Static assets say how long they may be kept.
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
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
}
