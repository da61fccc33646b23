//! A minimal W3C WebDriver client over HTTP, enough to drive the console in real headless
//! Chromium through Debian's `chromedriver`.

use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The key WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The browser and its driver for a test, or `None` after saying why the test is skipped; when
/// `ARBITER_REQUIRE_BROWSER` is set (as `.ci/run` sets it) a missing browser fails the test.
pub fn browser_or_skip() -> Option<(String, String)> {
    match locate() {
        Ok(found) => Some(found),
        Err(why) if std::env::var_os("ARBITER_REQUIRE_BROWSER").is_some() => {
            panic!("ARBITER_REQUIRE_BROWSER is set but {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// Where to find the browser and its driver, or why not.
pub fn locate() -> Result<(String, String), String> {
    let find = |var: &str, names: &[&str]| -> Option<String> {
        if let Ok(path) = std::env::var(var) {
            return Some(path);
        }
        let path = std::env::var("PATH").unwrap_or_default();
        names.iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    };
    let driver = find("ARBITER_CHROMEDRIVER", &["chromedriver"])
        .ok_or("chromedriver not found (install Debian's chromium-driver)")?;
    let browser = find(
        "ARBITER_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    )
    .ok_or("chromium not found (install Debian's chromium)")?;
    Ok((driver, browser))
}

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn launch(driver: &str, browser: &str) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile directory");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": browser,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let session = response["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {response}"))
            .to_owned();
        Browser {
            driver: child,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_command(method, path, body).await {
            Ok(value) => value,
            Err(error) => panic!("webdriver {path}: {error}"),
        }
    }

    /// A command whose failure the caller handles: a page that is navigating makes elements
    /// found a moment ago stale.
    async fn try_command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let value: Value = request
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver JSON");
        if value["value"].get("error").is_some() {
            return Err(value["value"].clone());
        }
        Ok(value["value"].clone())
    }

    pub async fn go(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The element matching `css`, waiting up to five seconds for it to appear.
    pub async fn find(&self, css: &str) -> String {
        let query = json!({"using": "css selector", "value": css});
        for _ in 0..50 {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let value: Value = self
                .http
                .post(url)
                .json(&query)
                .send()
                .await
                .expect("find")
                .json()
                .await
                .expect("find JSON");
            if let Some(id) = value["value"][ELEMENT].as_str() {
                return id.to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no element matches {css} on {}", self.url().await)
    }

    /// Waits up to five seconds for the address to contain `part` (a click may still be
    /// navigating when it returns).
    pub async fn wait_for_url(&self, part: &str) {
        for _ in 0..50 {
            if self.url().await.contains(part) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the address never contained {part}: {}", self.url().await)
    }

    /// Waits up to five seconds for the first element matching `css` to read `expected`.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let mut last = None;
        for _ in 0..50 {
            last = self
                .try_texts(css)
                .await
                .and_then(|texts| texts.into_iter().next());
            if last.as_deref() == Some(expected) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never read {expected:?}; last {last:?}")
    }

    /// Waits up to five seconds for the first element matching `css` to contain `part`.
    pub async fn wait_for_text_containing(&self, css: &str, part: &str) {
        let mut last = None;
        for _ in 0..50 {
            last = self
                .try_texts(css)
                .await
                .and_then(|texts| texts.into_iter().next());
            if last.as_deref().is_some_and(|text| text.contains(part)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never contained {part:?}; last {last:?}")
    }

    pub async fn find_all_texts(&self, css: &str) -> Vec<String> {
        let found = self
            .command(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        let mut texts = Vec::new();
        for element in found.as_array().cloned().unwrap_or_default() {
            if let Some(id) = element[ELEMENT].as_str() {
                texts.push(self.text_of(id).await);
            }
        }
        texts
    }

    /// The texts of the elements matching `css`, or `None` when the page changed under us.
    async fn try_texts(&self, css: &str) -> Option<Vec<String>> {
        let found = self
            .try_command(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .ok()?;
        let mut texts = Vec::new();
        for element in found.as_array().cloned().unwrap_or_default() {
            if let Some(id) = element[ELEMENT].as_str() {
                let text = self
                    .try_command(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                    .await
                    .ok()?;
                texts.push(text.as_str().unwrap_or_default().to_owned());
            }
        }
        Some(texts)
    }

    pub async fn text_of(&self, element: &str) -> String {
        self.command(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.text_of(&element).await
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Empties a text field or text area.
    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
    }

    /// Presses one key on the page, as a keyboard user would.
    pub async fn press_key(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}
        ]}]});
        self.command(reqwest::Method::POST, "/actions", Some(actions))
            .await;
    }

    /// Whether the checkbox matching `css` is checked.
    pub async fn checked(&self, css: &str) -> bool {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::GET,
            &format!("/element/{element}/selected"),
            None,
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// The computed value of a CSS property of the element matching `css`.
    pub async fn css_value(&self, css: &str, property: &str) -> String {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::GET,
            &format!("/element/{element}/css/{property}"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::GET,
            &format!("/element/{element}/property/value"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Runs `script` in the page with `args` (`arguments[0]`, …) and returns what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Moves the keyboard focus to the element matching `css`, or off every element with
    /// `None` (the page's body has it).
    pub async fn focus(&self, css: Option<&str>) {
        self.find(css.unwrap_or("body")).await;
        self.execute(
            "if (arguments[0]) { document.querySelector(arguments[0]).focus(); } else if (document.activeElement) { document.activeElement.blur(); }",
            json!([css]),
        )
        .await;
    }

    /// Presses Tab on the page, as a keyboard user would.
    pub async fn press_tab(&self) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": "\u{E004}"}, {"type": "keyUp", "value": "\u{E004}"}
        ]}]});
        self.command(reqwest::Method::POST, "/actions", Some(actions))
            .await;
    }

    /// The text of the element that has the keyboard focus.
    pub async fn focused_text(&self) -> String {
        let active = self
            .command(reqwest::Method::GET, "/element/active", None)
            .await;
        let id = active[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no focused element: {active}"))
            .to_owned();
        self.text_of(&id).await
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let bytes = decode_base64(data.as_str().unwrap_or_default());
        let _ = std::fs::write(path, bytes);
    }

    /// Ends the session (closing Chromium); dropping stops the driver.
    pub async fn close(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

/// A failed assertion must not leave a browser behind.
impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0);
    for byte in text.bytes() {
        let Some(value) = ALPHABET.iter().position(|c| *c == byte) else {
            continue;
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
