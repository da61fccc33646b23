//! `arbiter policy`: the policy library from the command line — import and export a directory of
//! Markdown files, list, show and compare versions.

use anyhow::{Context, Result};
use arbiter_policy::{Change, Document, FileError, Status, check_library, parse_document};
use arbiter_store::Store;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Read every Markdown file under DIR (front matter and body) into the library: each
    /// document that changed becomes a new version. Nothing is stored unless every file checks.
    Import {
        dir: PathBuf,
        /// Who wrote the changes [default: cli:$USER].
        #[arg(long)]
        author: Option<String>,
        /// Who reviewed them: needed, and someone other than the author, for published documents.
        #[arg(long, value_name = "NAME")]
        reviewed_by: Option<String>,
        /// Why the documents changed.
        #[arg(long, default_value = "imported")]
        summary: String,
    },
    /// Check every Markdown file under DIR as an import would, storing nothing.
    Check { dir: PathBuf },
    /// Write the newest version of every document to DIR, one ID.md file each.
    Export { dir: PathBuf },
    /// Every document: id, kind, status, version, title.
    List,
    /// Print a document's file: its newest version, or the version named.
    Show {
        id: String,
        #[arg(value_name = "VERSION")]
        number: Option<i64>,
    },
    /// Every version of a document: who, when, why.
    Versions { id: String },
    /// A training packet: the chosen documents (newest versions) as one self-contained HTML
    /// file with a table of contents, and a PDF of it when Chromium is installed.
    Packet {
        /// Where to write the HTML.
        #[arg(long, short)]
        output: PathBuf,
        #[arg(long, default_value = "Policy training packet")]
        title: String,
        /// Only documents of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Only documents with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only documents changed since this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        changed_since: Option<String>,
        /// Also print the packet to this PDF with headless Chromium.
        #[arg(long)]
        pdf: Option<PathBuf>,
    },
    /// The policy bulletin for a period, as HTML: each document changed, clause by clause.
    Bulletin {
        /// First day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        from: String,
        /// Last day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        to: String,
        /// Where to write it [default: standard output].
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The words that changed between two versions: [-removed-]{+added+}.
    Diff { id: String, from: i64, to: i64 },
    /// Full-text search, clause by clause: words, "quoted phrases", typos forgiven.
    Search {
        query: String,
        /// policy, procedure, standard, guarantee_terms, help_article, message_template or
        /// terms_section.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        locale: Option<String>,
        /// Documents for this market, or for every market.
        #[arg(long)]
        market: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}

fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".into())
    )
}

/// Runs a policy command; false when it found problems (exit status 1).
pub async fn run(command: PolicyCommand, store: &Store) -> Result<bool> {
    match command {
        PolicyCommand::Import {
            dir,
            author,
            reviewed_by,
            summary,
        } => {
            let author = author.unwrap_or_else(operator);
            import(store, &dir, &author, reviewed_by.as_deref(), &summary).await
        }
        PolicyCommand::Check { dir } => {
            let files = read_dir(&dir)?;
            let known = stored_documents(store).await?;
            match check_library(&files, &known) {
                Ok(documents) => {
                    println!("{} documents check", documents.len());
                    Ok(true)
                }
                Err(errors) => {
                    report(&errors);
                    Ok(false)
                }
            }
        }
        PolicyCommand::Export { dir } => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let versions = store.current_policy_versions().await?;
            for version in &versions {
                let path = dir.join(format!("{}.md", version.document_id));
                std::fs::write(&path, &version.source)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            println!("{} documents written to {}", versions.len(), dir.display());
            Ok(true)
        }
        PolicyCommand::List => {
            for d in store.policy_documents().await? {
                println!(
                    "{:<28} {:<16} {:<10} v{:<4} {}",
                    d.id, d.kind, d.status, d.version, d.title
                );
            }
            Ok(true)
        }
        PolicyCommand::Show {
            id,
            number: version,
        } => {
            let versions = store.policy_versions(&id).await?;
            let chosen = match version {
                Some(n) => versions.iter().find(|v| v.version == n),
                None => versions.last(),
            };
            match chosen {
                Some(v) => {
                    print!("{}", v.source);
                    Ok(true)
                }
                None => {
                    eprintln!("error: {}", missing(&id, version, versions.len()));
                    Ok(false)
                }
            }
        }
        PolicyCommand::Versions { id } => {
            let versions = store.policy_versions(&id).await?;
            if versions.is_empty() {
                eprintln!("error: no document {id}");
                return Ok(false);
            }
            for v in versions.iter().rev() {
                println!(
                    "v{:<4} {} {:<10} by {}{}: {}",
                    v.version,
                    arbiter_model::from_micros(v.created_at)
                        .map(arbiter_model::format_rfc3339)
                        .unwrap_or_default(),
                    v.status,
                    v.author,
                    v.reviewed_by
                        .as_deref()
                        .map(|r| format!(", reviewed by {r}"))
                        .unwrap_or_default(),
                    v.summary
                );
            }
            Ok(true)
        }
        PolicyCommand::Search {
            query,
            kind,
            locale,
            market,
            limit,
        } => {
            let kind = match kind {
                Some(name) => match arbiter_policy::Kind::parse(&name) {
                    Some(kind) => Some(kind),
                    None => {
                        let names: Vec<&str> = arbiter_policy::Kind::ALL
                            .iter()
                            .map(|k| k.as_str())
                            .collect();
                        eprintln!("error: --kind {name:?} is not one of {}", names.join(", "));
                        return Ok(false);
                    }
                },
                None => None,
            };
            let filter = arbiter_policy::SearchFilter {
                kind,
                locale,
                market,
                ..Default::default()
            };
            let index = arbiter_policy::SearchIndex::build(stored_documents(store).await?);
            match index.search(&query, &filter, limit.clamp(1, 100)) {
                Ok(hits) if hits.is_empty() => println!("no document matches"),
                Ok(hits) => {
                    for hit in hits {
                        let clause = hit
                            .clause
                            .map(|c| format!(" §{c} {}", hit.clause_title.unwrap_or_default()))
                            .unwrap_or_default();
                        println!("{}{clause} — {}", hit.document, hit.title);
                        println!("    {}", plain_snippet(&hit.snippet));
                    }
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    return Ok(false);
                }
            }
            Ok(true)
        }
        PolicyCommand::Packet {
            output,
            title,
            kind,
            tag,
            changed_since,
            pdf,
        } => {
            let since = match changed_since.as_deref() {
                Some(day) => match time::Date::parse(
                    day,
                    time::macros::format_description!("[year]-[month]-[day]"),
                ) {
                    Ok(date) => Some(arbiter_model::to_micros(date.midnight().assume_utc())),
                    Err(_) => {
                        eprintln!("error: --changed-since {day:?} is not a date like 2026-10-01");
                        return Ok(false);
                    }
                },
                None => None,
            };
            let current = store.current_policy_versions().await?;
            let mut chosen = Vec::new();
            for version in &current {
                let Ok(document) = parse_document(&version.source) else {
                    continue;
                };
                let keep = kind.as_deref().is_none_or(|k| document.kind.as_str() == k)
                    && tag.as_ref().is_none_or(|t| document.tags.contains(t))
                    && since.is_none_or(|s| version.created_at >= s);
                if keep {
                    chosen.push(document);
                }
            }
            if chosen.is_empty() {
                eprintln!("error: no document matches; nothing written");
                return Ok(false);
            }
            std::fs::write(&output, arbiter_policy::packet_html(&title, &chosen))
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("{} documents written to {}", chosen.len(), output.display());
            if let Some(pdf) = pdf {
                let printed = std::process::Command::new("chromium")
                    .args([
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--no-pdf-header-footer",
                    ])
                    .arg(format!("--print-to-pdf={}", pdf.display()))
                    .arg(format!(
                        "file://{}",
                        std::fs::canonicalize(&output)?.display()
                    ))
                    .output();
                match printed {
                    Ok(out) if out.status.success() && pdf.exists() => {
                        println!("PDF written to {}", pdf.display());
                    }
                    _ => {
                        eprintln!(
                            "error: no PDF: headless Chromium is needed for --pdf (the HTML is written)"
                        );
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        }
        PolicyCommand::Bulletin { from, to, output } => {
            let day = |name: &str, text: &str| {
                time::Date::parse(
                    text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map_err(|_| format!("--{name} {text:?} is not a date like 2026-10-01"))
            };
            let (start, end) = match (day("from", &from), day("to", &to)) {
                (Ok(start), Ok(end)) if end >= start => (start, end),
                (Ok(_), Ok(_)) => {
                    eprintln!("error: --to is before --from");
                    return Ok(false);
                }
                (Err(e), _) | (_, Err(e)) => {
                    eprintln!("error: {e}");
                    return Ok(false);
                }
            };
            let micros = |d: time::Date| arbiter_model::to_micros(d.midnight().assume_utc());
            let end_exclusive = end.next_day().map_or(i64::MAX, micros);
            let html = arbiter_app::policies::bulletin(
                store,
                micros(start),
                end_exclusive,
                &format!("Policy bulletin, {from} to {to}"),
            )
            .await?;
            match output {
                Some(path) => {
                    std::fs::write(&path, html)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!("bulletin written to {}", path.display());
                }
                None => print!("{html}"),
            }
            Ok(true)
        }
        PolicyCommand::Diff { id, from, to } => {
            let versions = store.policy_versions(&id).await?;
            let find = |n: i64| versions.iter().find(|v| v.version == n);
            let (Some(old), Some(new)) = (find(from), find(to)) else {
                let absent = if find(from).is_none() { from } else { to };
                eprintln!("error: {}", missing(&id, Some(absent), versions.len()));
                return Ok(false);
            };
            for change in arbiter_policy::word_diff(&old.source, &new.source) {
                match change {
                    Change::Same(text) => print!("{text}"),
                    Change::Removed(text) => print!("[-{text}-]"),
                    Change::Added(text) => print!("{{+{text}+}}"),
                }
            }
            Ok(true)
        }
    }
}

/// A search snippet for a terminal: matched words in *stars*, entities decoded.
fn plain_snippet(html: &str) -> String {
    html.replace("<mark>", "*")
        .replace("</mark>", "*")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn missing(id: &str, version: Option<i64>, count: usize) -> String {
    match (version, count) {
        (_, 0) => format!("no document {id}"),
        (Some(n), count) => format!("{id} has no version {n}: its versions are 1 to {count}"),
        (None, _) => format!("no document {id}"),
    }
}

async fn import(
    store: &Store,
    dir: &Path,
    author: &str,
    reviewed_by: Option<&str>,
    summary: &str,
) -> Result<bool> {
    let files = read_dir(dir)?;
    let stored = store.current_policy_versions().await?;
    let known = stored_documents(store).await?;
    let documents = match check_library(&files, &known) {
        Ok(documents) => documents,
        Err(errors) => {
            report(&errors);
            eprintln!("nothing was imported: fix the files above and import again");
            return Ok(false);
        }
    };
    let changed: Vec<&Document> = documents
        .iter()
        .filter(|d| {
            stored
                .iter()
                .find(|s| s.document_id == d.id)
                .is_none_or(|s| s.source != d.to_file())
        })
        .collect();
    let unreviewed: Vec<&str> = changed
        .iter()
        .filter(|d| d.status == Status::Published)
        .map(|d| d.id.as_str())
        .collect();
    match reviewed_by {
        Some(reviewer) if reviewer == author => {
            eprintln!(
                "error: the reviewer must be someone other than the author ({author}) to publish {}",
                unreviewed.join(", ")
            );
            return Ok(false);
        }
        None if !unreviewed.is_empty() => {
            eprintln!(
                "error: {} published document(s) changed ({}): publishing needs a reviewer other than the author; name them with --reviewed-by",
                unreviewed.len(),
                unreviewed.join(", ")
            );
            return Ok(false);
        }
        _ => {}
    }
    let versions: Vec<arbiter_store::NewPolicyVersion> = changed
        .iter()
        .map(|d| arbiter_app::policies::new_version(d, author, reviewed_by, summary))
        .collect();
    let saved = store
        .save_policy_versions(
            &versions,
            arbiter_model::to_micros(time::OffsetDateTime::now_utc()),
        )
        .await?;
    let created = saved.iter().flatten().count();
    println!(
        "{} documents read: {created} new version(s), {} unchanged",
        documents.len(),
        documents.len() - created
    );
    Ok(true)
}

async fn stored_documents(store: &Store) -> Result<Vec<Document>> {
    store
        .current_policy_versions()
        .await?
        .iter()
        .map(|v| {
            parse_document(&v.source).map_err(|errors| {
                anyhow::anyhow!(
                    "stored document {} v{} no longer reads: {}",
                    v.document_id,
                    v.version,
                    errors.first().map(ToString::to_string).unwrap_or_default()
                )
            })
        })
        .collect()
}

fn report(errors: &[FileError]) {
    for error in errors {
        eprintln!("{error}");
    }
    eprintln!("{} problem(s)", errors.len());
}

/// Every `.md` file under `dir`, by path, as `(path relative to dir, text)`.
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, found)?;
            } else if path.extension().is_some_and(|e| e == "md") {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
            let shown = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .display()
                .to_string();
            Ok((shown, text))
        })
        .collect()
}
