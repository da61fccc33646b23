//! `arbiter`: the one binary. It serves the API and console, ingests files, manages access,
//! generates synthetic marketplaces and runs the demo. Each command wires the library crates
//! together; none holds business logic.

mod backtest;
mod config;
mod demo;
mod demo_cases;
mod ingest;
mod policy;
mod rules;

use anyhow::{Context, Result};
use arbiter_model::Role;
use arbiter_store::{Store, TokenKind};
use clap::{Args, Parser, Subcommand};
use config::{FileConfig, LogFormat, Settings};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arbiter: Trust & Safety for managed marketplaces.
///
/// Settings come from flags, then ARBITER_* environment variables, then the configuration
/// file (--config), then defaults.
#[derive(Parser)]
#[command(name = "arbiter", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// TOML file with any of: db, listen, log, log_format, resolution, public_url, webhook_allow,
    /// max_connections, idle_timeout.
    #[arg(long, env = "ARBITER_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (embedded, the default: sqlite://arbiter.db) or postgres://USER@HOST/DB.
    #[arg(long, env = "ARBITER_DB", global = true, value_name = "URL")]
    db: Option<String>,
    /// Log filter, e.g. info, debug or arbiter_server=debug,info [default: info].
    #[arg(long, env = "ARBITER_LOG", global = true, value_name = "FILTER")]
    log: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "ARBITER_LOG_FORMAT", global = true, value_name = "FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API and the web console.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "ARBITER_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
        /// The resolution center's configuration (markets' Guarantee terms, queues, SLAs,
        /// automatic resolution, playbooks) [default: the built-in one, `arbiter resolution default`].
        #[arg(long, env = "ARBITER_RESOLUTION", value_name = "FILE")]
        resolution: Option<PathBuf>,
        /// The address browsers use, e.g. https://arbiter.example.com behind a TLS-terminating
        /// proxy: with https, session cookies are marked Secure; its origin is accepted for
        /// console forms [default: none, the server's own address].
        #[arg(long, env = "ARBITER_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
        /// Internal networks webhooks may be sent to, comma-separated (e.g. 10.1.0.0/16,127.0.0.1)
        /// [default: none, public addresses only].
        #[arg(
            long,
            env = "ARBITER_WEBHOOK_ALLOW",
            value_name = "NETWORKS",
            value_delimiter = ','
        )]
        webhook_allow: Option<Vec<String>>,
        /// Most connections open at once; past it a connection is answered 503 and closed
        /// [default: a quarter of the process's file descriptor limit, at most 10,000].
        #[arg(long, env = "ARBITER_MAX_CONNECTIONS", value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        max_connections: Option<u64>,
        /// Seconds a client has to send a request's headers, counted from the connection's
        /// opening and from the end of each answer, so also how long an idle connection is kept.
        /// Behind a load balancer, set it above the balancer's own idle timeout [default: 15].
        #[arg(long, env = "ARBITER_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        idle_timeout: Option<u64>,
    },
    /// Store events from a JSON Lines file (or - for standard input). Exits 1 if any line is refused.
    Ingest {
        /// The file, or - for standard input.
        file: String,
        /// How many refused lines to list.
        #[arg(long, default_value_t = 20)]
        show: usize,
    },
    /// Write a synthetic marketplace history as JSON Lines.
    Generate {
        /// Number of events.
        #[arg(long, default_value_t = 10_000)]
        events: u64,
        /// Random seed: the same seed and start give the same history.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// First day of the history (YYYY-MM-DD) [default: 2026-08-01].
        #[arg(long, value_name = "DATE")]
        start: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Run a demo: a fresh embedded database filled with a synthetic marketplace, the server and console.
    Demo(demo::DemoArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage staff accounts for the console.
    #[command(subcommand)]
    User(UserCommand),
    /// Check, test, publish and roll back rules.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Replay stored history through a candidate rule file beside the ruleset in force.
    Backtest(backtest::BacktestArgs),
    /// Manage the lists rules read (`in list("disposable_domains")`).
    #[command(subcommand)]
    Lists(rules::ListsCommand),
    /// The policy library: import and export Markdown files, list, show and compare versions.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// The resolution center's configuration: check a file, or print the built-in one.
    #[command(subcommand)]
    Resolution(ResolutionCommand),
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
}

#[derive(Subcommand)]
enum ResolutionCommand {
    /// Check a configuration file: every problem with its line and column. Exits 1 if any.
    Check {
        /// The TOML file.
        file: PathBuf,
    },
    /// Print the built-in configuration, a starting point for your own.
    Default,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; its secret is the last word printed.
    Create {
        /// admin, policy_editor, analyst, agent or viewer.
        #[arg(long)]
        role: Role,
        /// What the token is for.
        #[arg(long, default_value = "created with arbiter token create")]
        label: String,
    },
    /// List API tokens.
    List,
    /// Revoke a token by its id (tok_…), and every console session made from it.
    Revoke { id: String },
    /// List the live console sessions made from a token.
    Sessions { id: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account; the password is read from standard input (one line).
    Create {
        #[arg(long)]
        username: String,
        /// admin, policy_editor, analyst, agent or viewer.
        #[arg(long)]
        role: Role,
    },
    /// List staff accounts: name, role, enabled or disabled, live sessions.
    List,
    /// Disable an account: it cannot sign in, and its sessions end.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set an account's password, read from standard input (one line); its sessions end.
    ResetPassword { username: String },
    /// List an account's live console sessions.
    Sessions { username: String },
    /// End every console session of an account (it may sign in again).
    EndSessions { username: String },
    /// List console sign-in attempts, newest first.
    SignIns {
        /// Most attempts to list.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// Whether output to `stream` may carry colour codes: a terminal, and `NO_COLOR` unset.
pub(crate) fn colours(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn init_logs(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: never escape codes in a file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(crate::colours(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let file = match &cli.global.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let (listen, resolution, serve_flags) = match &cli.command {
        Command::Serve {
            listen,
            resolution,
            public_url,
            webhook_allow,
            max_connections,
            idle_timeout,
        } => (
            listen.clone(),
            resolution.clone(),
            config::ServeFlags {
                public_url: public_url.clone(),
                webhook_allow: webhook_allow.clone(),
                max_connections: max_connections.map(|n| n as usize),
                idle_timeout: *idle_timeout,
            },
        ),
        _ => (None, None, config::ServeFlags::default()),
    };
    let settings = Settings::resolve(
        file,
        cli.global.db.clone(),
        listen,
        cli.global.log.clone(),
        cli.global.log_format.clone(),
        resolution,
        serve_flags,
    )?;
    match cli.command {
        Command::Resolution(ResolutionCommand::Default) => {
            print!("{}", arbiter_resolve::DEFAULT_CONFIG);
        }
        Command::Resolution(ResolutionCommand::Check { file }) => {
            return match load_resolution(&file) {
                Ok(config) => {
                    println!(
                        "ok — {} markets, {} queues, {} SLA targets, {} automatic rules, {} playbooks",
                        config.markets.len(),
                        config.queues.len(),
                        config.slas.len(),
                        config.auto_rules.len(),
                        config.playbooks.len()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::from(1))
                }
            };
        }
        Command::Serve { .. } => {
            init_logs(&settings);
            serve(&settings).await?;
        }
        Command::Ingest { file, show } => {
            let store = open(&settings.db).await?;
            let report = if file == "-" {
                let stdin = std::io::BufReader::with_capacity(1 << 20, std::io::stdin());
                ingest::ingest_lines(&store, stdin, ingest::Source::Stream).await?
            } else {
                let handle =
                    std::fs::File::open(&file).with_context(|| format!("cannot open {file}"))?;
                let size = handle.metadata().map(|m| m.len()).unwrap_or(0);
                let reader = std::io::BufReader::with_capacity(1 << 20, handle);
                ingest::ingest_lines(&store, reader, ingest::Source::File(size)).await?
            };
            store.close().await;
            ingest::print_summary(&report, show);
            if !report.rejected.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Generate {
            events,
            seed,
            start,
            output,
        } => {
            let start = demo::parse_date(start.as_deref().unwrap_or("2026-08-01"))?;
            generate(events, seed, start, output)?;
        }
        Command::Demo(args) => {
            init_logs(&settings);
            demo::run(args).await?;
        }
        Command::Token(command) => token(&settings, command).await?,
        Command::User(UserCommand::Create { username, role }) => {
            create_user(&settings, &username, role).await?;
        }
        Command::User(command) => user(&settings, command).await?,
        Command::Rules(command) => {
            let ok = if rules::needs_store(&command) {
                let store = open(&settings.db).await?;
                let ok = rules::run_stored(command, &store).await?;
                store.close().await;
                ok
            } else {
                rules::run(command)?
            };
            if !ok {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Backtest(args) => {
            let store = open(&settings.db).await?;
            let ok = backtest::run(args, &store).await?;
            store.close().await;
            if !ok {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Lists(command) => {
            let store = open(&settings.db).await?;
            let ok = rules::run_lists(command, &store).await?;
            store.close().await;
            if !ok {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Policy(command) => {
            let store = open(&settings.db).await?;
            let ok = policy::run(command, &store).await?;
            store.close().await;
            if !ok {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Openapi => {
            println!("{}", arbiter_server::openapi_json());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn open(db: &str) -> Result<Store> {
    Store::open(db)
        .await
        .with_context(|| format!("cannot open the database {db}"))
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
}

/// Reads and checks a resolution configuration; the error lists every problem as
/// `FILE:LINE:COLUMN: message`.
fn load_resolution(path: &std::path::Path) -> Result<arbiter_resolve::Config> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the resolution configuration {}",
            path.display()
        )
    })?;
    arbiter_resolve::parse_config(&text).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message))
            .collect();
        anyhow::anyhow!(
            "{}\n{} problem(s) in the resolution configuration",
            lines.join("\n"),
            errors.len()
        )
    })
}

async fn serve(settings: &Settings) -> Result<()> {
    let resolution = match &settings.resolution {
        Some(path) => load_resolution(path)?,
        None => arbiter_resolve::Config::default_config(),
    };
    let browser = arbiter_server::security::BrowserSettings::new(settings.public_url.as_deref())
        .map_err(anyhow::Error::msg)?;
    let webhooks = arbiter_app::webhooks::WebhookSettings {
        allow: arbiter_app::webhooks::AllowList::parse(&settings.webhook_allow)
            .map_err(anyhow::Error::msg)?,
        ..Default::default()
    };
    let store = open(&settings.db).await?;
    arbiter_app::intake::register_playbooks(&store, &resolution)
        .await
        .context("the resolution configuration's playbooks")?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, database = store.backend().as_str(), "arbiter is serving");
    eprintln!("Arbiter is serving on http://{address} (console: http://{address}/console)");
    let defaults = arbiter_server::Limits::default();
    let limits = arbiter_server::Limits {
        max_connections: settings.max_connections.unwrap_or(defaults.max_connections),
        header_timeout: settings
            .idle_timeout
            .map_or(defaults.header_timeout, std::time::Duration::from_secs),
    };
    arbiter_server::serve_with(
        listener,
        arbiter_server::AppState::new(
            arbiter_app::App::start(
                store.clone(),
                arbiter_app::Settings {
                    webhooks,
                    resolution,
                },
            ),
            browser,
        ),
        limits,
        shutdown_signal(),
    )
    .await
    .context("serving")?;
    store.close().await;
    Ok(())
}

fn generate(events: u64, seed: u64, start: time::Date, output: Option<PathBuf>) -> Result<()> {
    let marketplace =
        arbiter_synth::Marketplace::new(arbiter_synth::Config::new(seed, events, start));
    let (mut out, bar): (Box<dyn Write>, _) = match &output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let bar = indicatif::ProgressBar::new(events).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} events ({per_sec}, {eta})",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            (
                Box::new(std::io::BufWriter::with_capacity(1 << 20, file)),
                Some(bar),
            )
        }
        None => (
            Box::new(std::io::BufWriter::with_capacity(
                1 << 20,
                std::io::stdout().lock(),
            )),
            None,
        ),
    };
    for (n, line) in marketplace.enumerate() {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        if let Some(bar) = &bar
            && n % 10_000 == 0
        {
            bar.set_position(n as u64);
        }
    }
    out.flush()?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(path) = output {
        eprintln!("wrote {events} events to {}", path.display());
    }
    Ok(())
}

async fn token(settings: &Settings, command: TokenCommand) -> Result<()> {
    let store = open(&settings.db).await?;
    let now = arbiter_model::to_micros(time::OffsetDateTime::now_utc());
    match command {
        TokenCommand::Create { role, label } => {
            if label.trim().is_empty() {
                anyhow::bail!("--label must say what the token is for");
            }
            let issued =
                arbiter_app::access::issue_token(&store, TokenKind::Api, role, label.trim(), now)
                    .await?;
            eprintln!(
                "Created token {} with role {role}. Its secret is shown once; keep it safe:",
                issued.id
            );
            println!("{}", issued.secret);
        }
        TokenCommand::List => {
            for t in store.api_tokens().await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!("{}\t{}\t{}\t{}", t.id, t.role, state, t.label);
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(&id, now).await? {
                anyhow::bail!("no live token has the id {id:?}");
            }
            eprintln!("revoked {id} and the console sessions made from it");
        }
        TokenCommand::Sessions { id } => {
            print_sessions(&store.live_sessions(&format!("token:{id}"), now).await?);
        }
    }
    store.close().await;
    Ok(())
}

/// One line of standard input: a password, asked for when a person is typing.
fn read_password(username: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for {username} (at least 12 characters): ");
    }
    let mut password = String::new();
    stdin
        .lock()
        .read_line(&mut password)
        .context("reading the password")?;
    Ok(password.trim_end_matches(['\r', '\n']).to_owned())
}

fn print_sessions(sessions: &[arbiter_store::TokenRecord]) {
    for s in sessions {
        println!(
            "{}\t{}\t{}\tstarted {}\texpires {}",
            s.id,
            s.principal,
            s.role,
            arbiter_model::format_micros(s.created_at),
            s.expires_at
                .map_or_else(|| "never".to_owned(), arbiter_model::format_micros)
        );
    }
}

/// Staff accounts. Sessions end in the database at once; a running server that checked one
/// in the last five seconds may still let it in until then.
async fn user(settings: &Settings, command: UserCommand) -> Result<()> {
    let now = arbiter_model::to_micros(time::OffsetDateTime::now_utc());
    let new_password = match &command {
        UserCommand::ResetPassword { username } => {
            let password = read_password(username)?;
            arbiter_app::access::check_new_account(username, &password)
                .map_err(anyhow::Error::msg)?;
            Some(arbiter_app::access::hash_password(&password).map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    let store = open(&settings.db).await?;
    let known = |found: bool, username: &str| {
        if found {
            Ok(())
        } else {
            Err(anyhow::anyhow!("no staff account is named {username:?}"))
        }
    };
    let result = async {
        match command {
            UserCommand::Create { .. } => unreachable!("handled by create_user"),
            UserCommand::List => {
                for a in store.staff_accounts(now).await? {
                    let state = match a.disabled_at {
                        Some(at) => format!("disabled {}", arbiter_model::format_micros(at)),
                        None => "enabled".to_owned(),
                    };
                    println!(
                        "{}\t{}\t{state}\t{} live session(s)",
                        a.username, a.role, a.live_sessions
                    );
                }
            }
            UserCommand::Disable { username } => {
                known(
                    store.set_staff_disabled(&username, true, now).await?,
                    &username,
                )?;
                eprintln!("disabled {username} and ended its sessions");
            }
            UserCommand::Enable { username } => {
                known(
                    store.set_staff_disabled(&username, false, now).await?,
                    &username,
                )?;
                eprintln!("enabled {username}");
            }
            UserCommand::ResetPassword { username } => {
                let hash = new_password.unwrap_or_default();
                known(
                    store.set_staff_password(&username, &hash, now).await?,
                    &username,
                )?;
                eprintln!("set a new password for {username} and ended its sessions");
            }
            UserCommand::Sessions { username } => {
                known(
                    store.staff_account(&username, now).await?.is_some(),
                    &username,
                )?;
                print_sessions(
                    &store
                        .live_sessions(&format!("user:{username}"), now)
                        .await?,
                );
            }
            UserCommand::EndSessions { username } => {
                known(
                    store.staff_account(&username, now).await?.is_some(),
                    &username,
                )?;
                let ended = store.end_sessions(&format!("user:{username}"), now).await?;
                eprintln!("ended {ended} session(s) of {username}");
            }
            UserCommand::SignIns { limit } => {
                for a in store.sign_ins(limit).await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        arbiter_model::format_micros(a.at),
                        a.outcome,
                        a.principal
                            .or(a.username)
                            .unwrap_or_else(|| "(token)".to_owned()),
                        a.address,
                        a.method
                    );
                }
            }
        }
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

async fn create_user(settings: &Settings, username: &str, role: Role) -> Result<()> {
    let password = read_password(username)?;
    let password = password.as_str();
    arbiter_app::access::check_new_account(username, password).map_err(anyhow::Error::msg)?;
    let store = open(&settings.db).await?;
    let hash = arbiter_app::access::hash_password(password).map_err(anyhow::Error::msg)?;
    let user = arbiter_store::StaffUser {
        username: username.to_owned(),
        password_hash: hash,
        role,
    };
    store
        .create_staff_user(
            &user,
            arbiter_model::to_micros(time::OffsetDateTime::now_utc()),
        )
        .await?;
    store.close().await;
    eprintln!("created {username} with role {role}");
    Ok(())
}
