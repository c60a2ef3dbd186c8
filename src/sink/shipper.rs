//! Sends the buffered lines to the InfluxDB v2 write API, oldest first, and deletes them once
//! the server answered 2xx.
//!
//! Retries back off (with jitter) up to `retry_max_s`; a 429 or 503 with `Retry-After` waits as
//! the server says. A 413 halves the batch. A 400 or 422 (the server refuses the data itself) is
//! narrowed down by halving to the row it refuses (lines of one commit, at most `batch_lines`),
//! which is moved to `outbox_dead`, counted and logged as an alarm: nothing is dropped silently. At shutdown the shipper tries for a few
//! seconds more; what is left stays on disk and goes out after the next start.

use crate::config::InfluxConfig;
use crate::metrics::Metrics;
use crate::store::StoreError;
use crate::store::outbox::{Buffer, Queue};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{error, info, warn};

/// How long the shipper keeps trying after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Longest `Retry-After` honoured; a longer one is waited in steps of this.
const RETRY_AFTER_MAX: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("influxdb.ca_file {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("http client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("influxdb.url: {0}")]
    Url(#[from] url::ParseError),
}

/// What to do after one write request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The server has the lines: delete them.
    Sent,
    /// Try the same lines again after this long.
    Retry(Duration),
    /// The batch is too large for the server: send half.
    Smaller,
    /// The server refuses these lines as data: narrow down, then set the row aside.
    Refused,
}

/// The decision for an HTTP status (and its `Retry-After`, if any), given the current backoff.
pub fn decide(status: u16, retry_after: Option<&str>, backoff: Duration) -> Decision {
    match status {
        200..=299 => Decision::Sent,
        413 => Decision::Smaller,
        400 | 422 => Decision::Refused,
        429 | 503 => Decision::Retry(
            retry_after
                .and_then(parse_retry_after)
                .map_or(backoff, |d| d.min(RETRY_AFTER_MAX)),
        ),
        _ => Decision::Retry(backoff),
    }
}

/// `Retry-After`: delay in seconds, or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Rows read from the buffer for one request.
struct Batch {
    last_id: i64,
    rows: usize,
    lines: u64,
    /// Shared, so that a retried request does not copy it.
    body: bytes::Bytes,
}

pub struct Shipper {
    queue: Arc<dyn Queue>,
    client: reqwest::Client,
    write_url: String,
    token: String,
    buffer: Arc<Buffer>,
    config: InfluxConfig,
    metrics: Metrics,
}

impl Shipper {
    pub fn new(
        queue: Arc<dyn Queue>,
        config: &InfluxConfig,
        token: String,
        buffer: Arc<Buffer>,
        metrics: Metrics,
    ) -> Result<Shipper, SinkError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_s))
            .connect_timeout(Duration::from_secs(config.timeout_s.min(5)))
            .no_proxy();
        if let Some(ca) = &config.ca_file {
            let ca_err = |detail: String| SinkError::Ca {
                path: ca.display().to_string(),
                detail,
            };
            let pem = std::fs::read(ca).map_err(|e| ca_err(e.to_string()))?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_err(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_err("no certificate in the file".into()));
            }
            for c in certs {
                client = client.add_root_certificate(c);
            }
        }
        let mut write_url = url::Url::parse(&config.url)?;
        {
            let path = format!("{}/api/v2/write", write_url.path().trim_end_matches('/'));
            write_url.set_path(&path);
        }
        write_url
            .query_pairs_mut()
            .append_pair("org", &config.org)
            .append_pair("bucket", &config.bucket)
            .append_pair("precision", "ms");
        Ok(Shipper {
            queue,
            client: client.build()?,
            write_url: write_url.to_string(),
            token,
            buffer,
            config: config.clone(),
            metrics,
        })
    }

    /// Sends until `stop` turns true and the buffer is empty (or the grace time is over).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let flush = Duration::from_millis(self.config.flush_ms);
        let max_backoff = Duration::from_secs(self.config.retry_max_s.max(1));
        let mut limit = self.config.batch_lines;
        let mut backoff = Duration::from_millis(250);
        let mut stopping_since: Option<Instant> = None;
        let mut failing = false;
        loop {
            if stopping_since.is_none() {
                tokio::select! {
                    _ = self.buffer.ready.notified() => {}
                    _ = tokio::time::sleep(flush) => {}
                    r = stop.changed() => if r.is_err() || *stop.borrow() {
                        stopping_since = Some(Instant::now());
                    },
                }
            }
            // Send everything buffered.
            loop {
                let batch = match self.read(limit).await {
                    Ok(Some(b)) => b,
                    Ok(None) => break,
                    Err(e) => {
                        error!(error = %e, "reading the time-series buffer failed");
                        tokio::time::sleep(backoff).await;
                        break;
                    }
                };
                let started = Instant::now();
                let (decision, answer) = self.send(&batch, backoff).await;
                match decision {
                    Decision::Sent => {
                        self.metrics
                            .sink_write_seconds
                            .observe(started.elapsed().as_secs_f64());
                        self.metrics.sink_lines_written.inc_by(batch.lines);
                        self.metrics.sink_up.set(1);
                        if failing {
                            info!(
                                buffered = self.buffer.lines(),
                                "time-series server takes writes again; replaying the buffer"
                            );
                            failing = false;
                        }
                        self.remove(&batch, None).await;
                        backoff = Duration::from_millis(250);
                        limit = (limit * 2).min(self.config.batch_lines);
                    }
                    Decision::Smaller if batch.rows > 1 => {
                        limit = (batch.lines / 2).max(1);
                        warn!(
                            lines = batch.lines,
                            next = limit,
                            "batch too large for the server; halving"
                        );
                    }
                    Decision::Refused if batch.rows > 1 => {
                        // Narrow down to the refused row; the rows before it go out meanwhile.
                        limit = (batch.lines / 2).max(1);
                    }
                    Decision::Smaller | Decision::Refused => {
                        self.remove(&batch, Some(answer.unwrap_or_default())).await;
                        limit = self.config.batch_lines;
                    }
                    Decision::Retry(wait) => {
                        self.metrics.sink_write_failures.inc();
                        self.metrics.sink_up.set(0);
                        failing = true;
                        if let Some(t) = stopping_since
                            && t.elapsed() + wait > SHUTDOWN_GRACE
                        {
                            warn!(
                                buffered = self.buffer.lines(),
                                "stopping with lines still buffered; they are sent after the next start"
                            );
                            return;
                        }
                        // Jitter only lengthens: a server's Retry-After is a lower bound.
                        let jittered = wait.mul_f64(1.0 + rand::random::<f64>() * 0.25);
                        tokio::select! {
                            _ = tokio::time::sleep(jittered) => {}
                            r = stop.changed(), if stopping_since.is_none() => if r.is_err() || *stop.borrow() {
                                stopping_since = Some(Instant::now());
                            },
                        }
                        backoff = (backoff * 2).min(max_backoff);
                    }
                }
            }
            if stopping_since.is_some() {
                return;
            }
        }
    }

    /// Deletes the batch's rows from the buffer once sent; with `refused`, moves them to
    /// `outbox_dead` with the server's answer instead and raises the alarm. Retried until the
    /// store takes it: a row deleted late is only sent twice, which the server takes as one point.
    async fn remove(&self, batch: &Batch, refused: Option<(u16, String)>) {
        let dead = refused.is_some();
        loop {
            let queue = self.queue.clone();
            let (last_id, refused) = (batch.last_id, refused.clone());
            let done = tokio::task::spawn_blocking(move || {
                let refused = refused.as_ref().map(|(s, t)| (*s, t.as_str()));
                queue.remove(last_id, refused, chrono::Utc::now())
            })
            .await;
            let Ok(done) = done else {
                // The runtime is shutting down; the rows stay and are sent again after the
                // next start, which the server takes as the same points.
                return;
            };
            match done {
                Ok(()) => break,
                Err(e) => {
                    error!(error = %e, "removing sent lines from the buffer failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        self.buffer.removed(batch.lines, batch.body.len() as u64);
        if dead {
            self.metrics.sink_lines_dead.inc_by(batch.lines);
            error!(
                lines = batch.lines,
                "ALARM: the time-series server refused lines as invalid; they are kept in the outbox_dead table"
            );
        }
    }

    /// The oldest rows holding up to `limit` lines (at least one row).
    async fn read(&self, limit: u64) -> Result<Option<Batch>, StoreError> {
        let queue = self.queue.clone();
        tokio::task::spawn_blocking(move || {
            Ok(queue.oldest(limit)?.map(|p| Batch {
                last_id: p.last_id,
                rows: p.rows,
                lines: p.lines,
                body: p.body.into(),
            }))
        })
        .await
        .unwrap_or_else(|e| Err(StoreError::Io(std::io::Error::other(e))))
    }

    /// One write request; with the server's status and answer when it did not take the lines.
    async fn send(&self, batch: &Batch, backoff: Duration) -> (Decision, Option<(u16, String)>) {
        let response = self
            .client
            .post(&self.write_url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("Token {}", self.token),
            )
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(batch.body.clone())
            .send()
            .await;
        match response {
            Ok(r) => {
                let status = r.status().as_u16();
                let retry_after = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let decision = decide(status, retry_after.as_deref(), backoff);
                if decision != Decision::Sent {
                    let text = r.text().await.unwrap_or_default();
                    let text: String = text.chars().take(500).collect();
                    match &decision {
                        Decision::Retry(wait) => warn!(
                            status,
                            retry_in = ?wait,
                            buffered = self.buffer.lines(),
                            answer = %text,
                            "time-series write failed; lines stay buffered"
                        ),
                        _ => {
                            warn!(status, lines = batch.lines, answer = %text, "time-series server refused a batch")
                        }
                    }
                    return (decision, Some((status, text)));
                }
                (decision, None)
            }
            Err(e) => {
                warn!(error = %e, retry_in = ?backoff, buffered = self.buffer.lines(), "time-series server unreachable; lines stay buffered");
                (Decision::Retry(backoff), None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_decide_what_happens_to_a_batch() {
        let b = Duration::from_secs(2);
        assert_eq!(decide(204, None, b), Decision::Sent);
        assert_eq!(decide(200, None, b), Decision::Sent);
        assert_eq!(decide(413, None, b), Decision::Smaller);
        assert_eq!(decide(400, None, b), Decision::Refused);
        assert_eq!(decide(422, None, b), Decision::Refused);
        // Not the data's fault: kept and retried, whatever the server says.
        for s in [401, 403, 404, 500, 502, 504] {
            assert_eq!(decide(s, Some("60"), b), Decision::Retry(b), "{s}");
        }
        assert_eq!(
            decide(429, Some("7"), b),
            Decision::Retry(Duration::from_secs(7))
        );
        assert_eq!(decide(503, Some(" 0 "), b), Decision::Retry(Duration::ZERO));
        assert_eq!(decide(503, Some("soon"), b), Decision::Retry(b));
        assert_eq!(
            decide(429, Some("999999"), b),
            Decision::Retry(RETRY_AFTER_MAX)
        );
    }

    #[test]
    fn retry_after_takes_an_http_date() {
        let at = chrono::Utc::now() + chrono::Duration::seconds(30);
        let d = parse_retry_after(&at.to_rfc2822()).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let past = parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(past, Duration::ZERO);
        assert_eq!(parse_retry_after("tomorrow"), None);
    }
}
