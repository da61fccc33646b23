//! Configuration: flags, then `ARBITER_*` environment variables, then a TOML file, then
//! defaults — the first that says something wins.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

pub const DEFAULT_DB: &str = "sqlite://arbiter.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The keys a configuration file may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    pub db: Option<String>,
    /// Address the server listens on.
    pub listen: Option<String>,
    /// Log filter, e.g. `info` or `arbiter=debug,info`.
    pub log: Option<String>,
    /// `text` or `json`.
    pub log_format: Option<String>,
    /// The resolution center's configuration file (markets, queues, SLAs, playbooks).
    pub resolution: Option<std::path::PathBuf>,
    /// The address browsers use, e.g. `https://arbiter.example.com` behind a TLS proxy.
    pub public_url: Option<String>,
    /// Internal networks webhooks may be sent to, e.g. `["10.1.0.0/16"]`.
    pub webhook_allow: Option<Vec<String>>,
    /// Most connections open at once.
    pub max_connections: Option<usize>,
    /// Seconds a client has to send a request's headers, and an idle connection is kept.
    pub idle_timeout: Option<u64>,
}

impl FileConfig {
    /// Reads a file; a missing file named explicitly is an error, as is any unknown key.
    pub fn load(path: &Path) -> Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("configuration file {}: {e}", path.display()))
    }
}

/// The settings in force after layering.
#[derive(Debug, Clone)]
pub struct Settings {
    pub db: String,
    pub listen: String,
    pub log: String,
    pub log_format: LogFormat,
    /// `None` for the built-in configuration.
    pub resolution: Option<std::path::PathBuf>,
    /// `None` when browsers reach the server at its own address.
    pub public_url: Option<String>,
    /// Empty: webhooks go to public addresses only.
    pub webhook_allow: Vec<String>,
    /// `None`: a quarter of the process's descriptor limit.
    pub max_connections: Option<usize>,
    /// Seconds; `None`: 15.
    pub idle_timeout: Option<u64>,
}

/// What `serve` was told on its command line about how browsers reach it, where webhooks may
/// go, and how many connections it holds for how long.
#[derive(Debug, Clone, Default)]
pub struct ServeFlags {
    pub public_url: Option<String>,
    pub webhook_allow: Option<Vec<String>>,
    pub max_connections: Option<usize>,
    pub idle_timeout: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Settings {
    /// Layers flags and environment (already merged by clap) over the file over defaults.
    pub fn resolve(
        file: FileConfig,
        db: Option<String>,
        listen: Option<String>,
        log: Option<String>,
        log_format: Option<String>,
        resolution: Option<std::path::PathBuf>,
        browser: ServeFlags,
    ) -> Result<Settings> {
        let log_format = match log_format.or(file.log_format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => anyhow::bail!("log format {other:?}: use \"text\" or \"json\""),
        };
        let max_connections = browser.max_connections.or(file.max_connections);
        if let Some(n) = max_connections
            && !(1..=1_000_000).contains(&n)
        {
            anyhow::bail!("max_connections {n}: use a number from 1 to 1000000");
        }
        let idle_timeout = browser.idle_timeout.or(file.idle_timeout);
        if let Some(seconds) = idle_timeout
            && !(1..=3600).contains(&seconds)
        {
            anyhow::bail!("idle_timeout {seconds}: use a number of seconds from 1 to 3600");
        }
        Ok(Settings {
            db: db.or(file.db).unwrap_or_else(|| DEFAULT_DB.to_owned()),
            listen: listen
                .or(file.listen)
                .unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            log: log.or(file.log).unwrap_or_else(|| "info".to_owned()),
            log_format,
            resolution: resolution.or(file.resolution),
            public_url: browser.public_url.or(file.public_url),
            webhook_allow: browser
                .webhook_allow
                .or(file.webhook_allow)
                .unwrap_or_default(),
            max_connections,
            idle_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let file: FileConfig =
            toml::from_str("db = \"postgres://x/y\"\nlisten = \"0.0.0.0:9\"").unwrap();
        let s = Settings::resolve(
            file,
            None,
            Some("127.0.0.1:1".into()),
            None,
            None,
            None,
            ServeFlags::default(),
        )
        .unwrap();
        assert_eq!(s.db, "postgres://x/y");
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.log, "info");
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.public_url, None);
        assert!(s.webhook_allow.is_empty());
    }

    #[test]
    fn connection_limits_layer_and_are_checked() {
        let file: FileConfig = toml::from_str("max_connections = 200\nidle_timeout = 90").unwrap();
        let s = Settings::resolve(
            file,
            None,
            None,
            None,
            None,
            None,
            ServeFlags {
                idle_timeout: Some(30),
                ..ServeFlags::default()
            },
        )
        .unwrap();
        assert_eq!(s.max_connections, Some(200));
        assert_eq!(s.idle_timeout, Some(30));
        let file: FileConfig = toml::from_str("max_connections = 0").unwrap();
        let error = Settings::resolve(file, None, None, None, None, None, ServeFlags::default())
            .unwrap_err();
        assert!(error.to_string().contains("max_connections 0"), "{error}");
    }

    #[test]
    fn browser_and_webhook_settings_layer_too() {
        let file: FileConfig = toml::from_str(
            "public_url = \"https://arbiter.example.com\"\nwebhook_allow = [\"10.1.0.0/16\"]",
        )
        .unwrap();
        let s =
            Settings::resolve(file, None, None, None, None, None, ServeFlags::default()).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://arbiter.example.com"));
        assert_eq!(s.webhook_allow, ["10.1.0.0/16"]);
        let file: FileConfig = toml::from_str("webhook_allow = [\"10.1.0.0/16\"]").unwrap();
        let s = Settings::resolve(
            file,
            None,
            None,
            None,
            None,
            None,
            ServeFlags {
                public_url: Some("http://x".into()),
                webhook_allow: Some(vec!["127.0.0.1".into()]),
                ..ServeFlags::default()
            },
        )
        .unwrap();
        assert_eq!(s.public_url.as_deref(), Some("http://x"));
        assert_eq!(s.webhook_allow, ["127.0.0.1"]);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let err = toml::from_str::<FileConfig>("dbb = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("dbb"), "{err}");
        let err = Settings::resolve(
            FileConfig::default(),
            None,
            None,
            None,
            Some("xml".into()),
            None,
            ServeFlags::default(),
        );
        assert!(err.unwrap_err().to_string().contains("xml"));
    }
}
