//! Serving the API over HTTP/1.1 with limits that a slow or hostile client cannot get around:
//! a client must send its request headers within `http.header_timeout_s`; a request must be
//! answered within `http.request_timeout_s` (its body included, 408 beyond); at most
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

/// 408 (as JSON, see [`super::error::json_errors`]) for a request that is not answered in time,
/// e.g. a body sent slower than its `Content-Length` promises.
async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<Duration>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => super::error::ApiError::Timeout(format!(
            "the request was not complete within {} s (http.request_timeout_s); send the whole body without pausing",
            limit.as_secs()
        ))
        .into_response(),
    }
}
