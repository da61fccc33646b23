//! A lean open-loop load generator for one HTTP/1.1 endpoint.
//!
//! The server under test shares the machine's cores with the load, so the load must cost as
//! little as possible and add no delay of its own: each of a few dozen threads keeps one
//! connection, sleeps until its next request is due, writes it and reads the answer, with no
//! async runtime and no hand-off between threads. Requests are spread over the threads in turn,
//! and latency counts from when a request was due, so a thread still waiting for a slow answer
//! charges the delay to the requests it starts late (no coordinated omission).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What to send, and how fast.
pub struct Load<'a> {
    pub address: &'a str,
    pub path: &'a str,
    pub token: &'a str,
    pub content_type: &'a str,
    pub bodies: Vec<String>,
    pub rate: u64,
    pub connections: usize,
}

/// One request's outcome: when it was due (from the start) and how long its answer took.
#[derive(Clone, Copy)]
pub struct Sample {
    pub due: Duration,
    pub latency: Duration,
    pub ok: bool,
}

/// Sends every body once, on schedule, and answers each request's outcome and the run's length.
pub fn run(load: Load<'_>) -> Result<(Vec<Sample>, Duration)> {
    let interval = Duration::from_secs_f64(1.0 / load.rate as f64);
    let requests: Vec<Vec<u8>> = load
        .bodies
        .iter()
        .map(|body| {
            format!(
                "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n{}",
                load.path,
                load.address,
                load.token,
                load.content_type,
                body.len(),
                body
            )
            .into_bytes()
        })
        .collect();
    let connections = load.connections.max(1);
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(load.address)
            .with_context(|| format!("connecting to {}", load.address))?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let started = Instant::now() + Duration::from_millis(20);
    let samples = std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(first, stream)| {
                let requests = &requests;
                scope.spawn(move || {
                    let mut connection = Connection::new(stream)?;
                    let mut samples = Vec::with_capacity(requests.len() / connections + 1);
                    for n in (first..requests.len()).step_by(connections) {
                        let due = started + interval * n as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let ok = connection.exchange(&requests[n]).unwrap_or(false);
                        samples.push(Sample {
                            due: due - started,
                            latency: due.elapsed(),
                            ok,
                        });
                    }
                    anyhow::Ok(samples)
                })
            })
            .collect();
        let mut all = Vec::with_capacity(requests.len());
        for worker in workers {
            let samples = worker
                .join()
                .map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
            all.extend(samples);
        }
        anyhow::Ok(all)
    })?;
    Ok((samples, started.elapsed()))
}

/// A kept-alive connection and its read buffer.
struct Connection {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Connection {
    fn new(stream: TcpStream) -> Result<Connection> {
        Ok(Connection {
            writer: stream.try_clone()?,
            reader: BufReader::new(stream),
            line: String::new(),
            body: Vec::new(),
        })
    }

    /// Writes one request and reads its whole answer; true on a 2xx status.
    fn exchange(&mut self, request: &[u8]) -> Result<bool> {
        self.writer.write_all(request)?;
        self.line.clear();
        self.reader.read_line(&mut self.line)?;
        let status: u16 = self
            .line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP status line: {:?}", self.line))?;
        let mut length = None;
        loop {
            self.line.clear();
            if self.reader.read_line(&mut self.line)? == 0 {
                bail!("the connection closed inside an answer's headers");
            }
            let header = self.line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = Some(value.trim().parse::<usize>()?);
            }
        }
        let length = length.context("an answer without Content-Length")?;
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        Ok((200..300).contains(&status))
    }
}
