//! What keeps the console safe in a browser: cross-site forms refused, the headers on every
//! answer, cookies, the sign-in redirect, and text that cannot reorder itself on screen.

use crate::common::{TestApp, event};
use arbiter_store::Backend;

fn form(app: &TestApp, path: &str, session: &str, body: &str) -> reqwest::RequestBuilder {
    app.client
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", session)
        .body(body.to_owned())
}

async fn list_exists(app: &TestApp, name: &str) -> bool {
    app.get(&format!("/v1/lists/{name}"))
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

#[tokio::test]
async fn a_cross_site_form_with_a_valid_session_changes_nothing() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let session = app.console_session().await;
    let body = "name=blocked_users&entries=u_1&mode=append&description=&note=";

    // A page of another site posting the form: the browser marks it, the server refuses it.
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        let response = form(&app, "/console/protect/lists", &session, body)
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{header}: {value}");
        // A page for the person in the browser, with the security headers.
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert!(response.headers().get("content-security-policy").is_some());
        let page = response.text().await.unwrap();
        assert!(
            page.contains("<h1>Cross-site request refused</h1>"),
            "{page}"
        );
        assert!(page.contains("came from another site"), "{page}");
        assert!(page.contains("nothing was changed"), "{page}");
        assert!(!list_exists(&app, "blocked_users").await);
    }
    // Signing in from another site (login CSRF) and signing out are refused too.
    let response = app
        .client
        .post(app.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(format!("token={}", app.admin_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("set-cookie").is_none());
    let response = form(&app, "/console/sign-out", &session, "")
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);

    // The console's own form, as a browser sends it, works.
    let host = app.address.to_string();
    let response = form(&app, "/console/protect/lists", &session, body)
        .header("sec-fetch-site", "same-origin")
        .header("origin", format!("http://{host}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(list_exists(&app, "blocked_users").await);
    // A browser without Sec-Fetch-Site but with this server's origin works too.
    let response = form(&app, "/console/protect/lists", &session, body)
        .header("origin", format!("http://{host}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn every_answer_carries_the_browser_headers() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let session = app.console_session().await;
    let token = app
        .post_json(
            "/v1/tokens",
            &serde_json::json!({"role": "viewer", "label": "headers"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 201);
    let pages = [
        app.client
            .get(app.url("/console/events"))
            .header("cookie", &session),
        app.client.get(app.url("/console/sign-in")),
        app.get("/v1/events"),
        app.client.get(app.url("/help")),
        app.client.get(app.url("/no/such/route")),
    ];
    let mut answers = vec![token];
    for page in pages {
        answers.push(page.send().await.unwrap());
    }
    for answer in &answers {
        let headers = answer.headers();
        let what = answer.url().path().to_owned();
        let csp = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(directive), "{what}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
        // Pages with personal data and the answer holding a new token's secret are never stored.
        assert_eq!(headers["cache-control"], "no-store", "{what}");
    }
    // The stylesheet may be cached: it holds nothing of anyone's.
    let css = app
        .client
        .get(app.url("/console/assets/arbiter.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["cache-control"], "public, max-age=3600");
    assert_eq!(css.headers()["x-content-type-options"], "nosniff");
    app.stop().await;
}

#[tokio::test]
async fn no_template_needs_inline_script_or_style() {
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    for entry in std::fs::read_dir(templates).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!text.contains(" style="), "{name} has a style attribute");
        let handler = text.match_indices(" on").any(|(at, _)| {
            let rest = &text[at + 3..];
            let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
            name_len > 0 && rest[name_len..].starts_with('=')
        });
        assert!(
            !text.contains("<script>") && !handler,
            "{name} has an inline script or handler"
        );
        // The backtest report is a standalone file written by `arbiter backtest --html`,
        // never served: its styles travel inside it.
        if name != "backtest_report.html" {
            assert!(!text.contains("<style"), "{name} has a style element");
        }
    }
}

#[tokio::test]
async fn secure_cookies_behind_a_tls_proxy() {
    let plain = TestApp::start(Backend::Sqlite).await.unwrap();
    let cookie = plain.console_session_cookie().await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    let page = plain
        .client
        .get(plain.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert!(page.headers().get("strict-transport-security").is_none());
    plain.stop().await;

    let browser =
        arbiter_server::security::BrowserSettings::new(Some("https://arbiter.example.com"))
            .unwrap();
    let app = TestApp::start_with(Backend::Sqlite, browser).await.unwrap();
    let cookie = app.console_session_cookie().await;
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let page = app
        .client
        .get(app.url("/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    // The proxy passes its own Host; the public URL is the origin forms come from.
    let response = form(
        &app,
        "/console/protect/lists",
        &session,
        "name=via_proxy&entries=x&mode=append",
    )
    .header("origin", "https://arbiter.example.com")
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 303);
    let signed_out = form(&app, "/console/sign-out", &session, "")
        .send()
        .await
        .unwrap();
    let cleared = signed_out.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.contains("; Secure") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sign_in_next_with_a_line_break_falls_back_before_any_session() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    for next in [
        "%2Fconsole%0D%0ASet-Cookie%3A%20x%3D1",
        "%2Fconsole%0A",
        "%2Fconsole%2F%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%2Fevil.example",
    ] {
        let response = app
            .client
            .post(app.url("/console/sign-in"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("token={}&next={next}", app.admin_token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(response.headers()["location"], "/console", "{next}");
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 1);
        let page = app
            .client
            .get(app.url(&format!("/console/sign-in?next={next}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"name="next" value="/console""#), "{next}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bidirectional_controls_are_shown_not_obeyed() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let session = app.console_session().await;
    let line = event("evt_bidi\u{202E}gpj.exe", "claim.filed", 1, "FR").replace(
        r#""data":{"category":"cleaning"}"#,
        "\"data\":{\"kind\":\"theft\",\"description\":\"refund \u{2067}to\u{2069} \u{200F}me\u{061C}\"}",
    );
    let report: serde_json::Value = app
        .post_ndjson(line)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    for path in [
        "/console/events".to_owned(),
        format!(
            "/console/events/{}",
            common_percent("evt_bidi\u{202E}gpj.exe")
        ),
    ] {
        let page = app
            .client
            .get(app.url(&path))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("evt_bidi[U+202E]gpj.exe"), "{path}");
        for control in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            assert!(
                !html.contains(control),
                "{path} shows U+{:04X} raw",
                control as u32
            );
        }
    }
    let page = app
        .client
        .get(app.url(&format!(
            "/console/events/{}",
            common_percent("evt_bidi\u{202E}gpj.exe")
        )))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("refund [U+2067]to[U+2069] [U+200F]me[U+061C]"),
        "{page}"
    );
    // A policy document's rendered Markdown is inserted as markup, past the escaper: it is
    // neutralised too.
    let source = "+++\nid = \"POL-BIDI\"\nkind = \"policy\"\ntitle = \"Refunds \u{202E}syad 03\"\naudience = [\"public\"]\nlocale = \"en\"\nowner = \"o\"\nstatus = \"draft\"\n+++\n# Refunds\n\n## 1. Window\n\nWithin \u{2066}30\u{2069} days \u{202D}always.\n";
    let saved = app
        .client
        .put(app.url("/v1/policies/POL-BIDI"))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({"source": source, "summary": "bidi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let html = app
        .client
        .get(app.url("/console/policy/POL-BIDI"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Refunds [U+202E]syad 03"), "{html}");
    assert!(
        html.contains("Within [U+2066]30[U+2069] days [U+202D]always."),
        "{html}"
    );
    assert!(!html.contains(['\u{202E}', '\u{2066}', '\u{2069}', '\u{202D}']));
    app.stop().await;
}

fn common_percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
