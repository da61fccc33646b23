//! Prometheus metrics: one recorder per process, HTTP request counts and latency histograms.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Upper bounds, in seconds, of the buckets of every latency histogram. Buckets, unlike a
/// summary's quantiles computed in the process, can be summed across instances and give any
/// quantile over any window in Prometheus; these cover a commit's fraction of a millisecond up
/// to a slow backtest request.
const LATENCY_BUCKETS: [f64; 15] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder, installed on first use.
pub(crate) fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder was installed first; ours then just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        metrics::describe_counter!("arbiter_http_requests_total", "HTTP requests answered");
        metrics::describe_histogram!(
            "arbiter_http_request_duration_seconds",
            "Time to answer HTTP requests"
        );
        metrics::describe_counter!(
            "arbiter_events_total",
            "Events received, by outcome (accepted, duplicate, rejected)"
        );
        metrics::describe_histogram!(
            "arbiter_store_commit_seconds",
            "Time of each group commit of the store's writer, from its start to the disk's answer"
        );
        metrics::describe_counter!(
            "arbiter_store_committed_writes_total",
            "Writes (event appends, decided batches) that shared the group commits"
        );
        handle
    })
}

/// Counts and times every request by route template, method and status.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    handle();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method.to_owned()),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("arbiter_http_requests_total", &labels).increment(1);
    metrics::histogram!("arbiter_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The `method` label: the standard methods by name, any other as `other`. A label takes its
/// values from a closed set, or a client inventing methods grows the metrics without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Records what became of received events.
pub(crate) fn count_events(report: &arbiter_model::IngestReport) {
    handle();
    metrics::counter!("arbiter_events_total", "outcome" => "accepted").increment(report.accepted);
    metrics::counter!("arbiter_events_total", "outcome" => "duplicate")
        .increment(report.duplicates);
    metrics::counter!("arbiter_events_total", "outcome" => "rejected")
        .increment(report.rejected.len() as u64);
}
