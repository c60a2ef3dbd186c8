//! Serving the API over HTTP/1.1 with limits that a slow or hostile client cannot get around:
//! a client must send its request headers within `http.header_timeout_s`, and the whole body
//! within `http.request_timeout_s` of the request's start (408 beyond; handlers are not timed);
//! at most
//! `http.max_connections` connections are open at once (more wait in the kernel's listen queue,
//! so file descriptors stay free for the broker connection and the store). On shutdown, open
//! requests get until the deadline the caller gives, then their connections are closed.

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Limits of the HTTP server, from `[http]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn from_config(c: &crate::config::HttpConfig) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(c.header_timeout_s),
            request_timeout: Duration::from_secs(c.request_timeout_s),
            max_connections: c.max_connections,
        }
    }
}

/// File descriptors kept free beyond the HTTP connections: the MQTT connection and its
/// reconnects, the store's files (database, WAL, shared memory, one per reader), the embedded
/// broker's listener and clients, logs.
pub const FD_RESERVE: u64 = 256;

/// Raises the soft limit on open files as far as the hard limit allows and returns the number of
/// HTTP connections that fit beside [`FD_RESERVE`] (at most `wanted`).
pub fn connections_that_fit(wanted: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let fit = limit.saturating_sub(FD_RESERVE).max(1) as usize;
    if fit < wanted {
        tracing::warn!(
            nofile = limit,
            wanted,
            allowed = fit,
            "http.max_connections lowered to leave file descriptors for ingest and the store; raise LimitNOFILE"
        );
    }
    wanted.min(fit)
}

/// Serves `app` on `listener` until `shutdown` completes; then waits for open requests until
/// `drain` completes, and closes what is still open.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
    drain: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = app.layer(axum::middleware::from_fn_with_state(
        limits.request_timeout,
        request_timeout,
    ));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        // A permit first: beyond the cap, new connections wait in the listen queue and use no
        // descriptor of ours.
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and the like: wait for descriptors to come free rather than spin.
                    tracing::warn!(error = %e, "http accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that vanishes or times out ends here; nothing to report.
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = drain => tracing::warn!("http requests still open at the shutdown deadline; closing them"),
    }
    Ok(())
}

/// Gives the request body a deadline of `limit` from the request's start: a body sent slower
/// than its `Content-Length` promises fails to read, which [`super::error::json_errors`] answers
/// with 408. Only the body is timed, never the handler: a write the store has begun is finished
/// and answered, never cut off with a 408 after it committed.
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(DeadlineBody {
        inner: body,
        deadline: Box::pin(tokio::time::sleep(limit)),
        limit,
    });
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// Marks the error of a body that missed its deadline, so that the answer is 408.
pub const BODY_TIMEOUT: &str = "http.request_timeout_s";

/// A request body that fails once its deadline has passed.
struct DeadlineBody {
    inner: axum::body::Body,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl http_body::Body for DeadlineBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Some(Err(axum::Error::new(format!(
                "the request body was not complete within {} s ({BODY_TIMEOUT}); send the whole body without pausing",
                this.limit.as_secs()
            )))));
        }
        std::pin::Pin::new(&mut this.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
