//! Who may do what on the HTTP API. People hold bearer tokens created with
//! `sitepulse token create`; the store keeps only their SHA-256. Four roles:
//!
//! - `admin` (the IT bureau): everything — imports, closing months, tokens, the audit trail.
//! - `operator` (a carrier's engineers, bound to one carrier): milestones and obstacles for the
//!   sites that carrier is on.
//! - `tower` (the tower company): the `built` and `powered` stages, and obstacles, on every site.
//! - `viewer` (the task force): reading only.
//!
//! Every token may read and may object to a site's data. Without a token, only the pages, the
//! health checks, the open-data export and — if `http.public_read` is on — reading are allowed.
//! A missing or bad token gets 401, a token without the right 403, each with what to do; each
//! token is limited to `http.rate_per_s` requests per second (429 beyond).

use super::AppState;
use super::error::ApiError;
use crate::access::AccessError;
pub use crate::access::Role;
use crate::domain::actor::Actor;
use crate::wire::{Operator, Stage};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    pub operator: Option<Operator>,
    /// Client address.
    pub origin: String,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            who: self.name.clone(),
            origin: self.origin.clone(),
            on_behalf: None,
        }
    }

    fn forbidden(&self, what: &str) -> ApiError {
        ApiError::Forbidden(format!(
            "token `{}` (role {}) may not {what}",
            self.name,
            self.role.as_str()
        ))
    }

    /// Imports, closing months, the audit trail, tokens.
    pub fn require_admin(&self, what: &str) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(self.forbidden(what))
        }
    }

    /// Milestones on a site with these operators, for this stage.
    pub fn may_report_stage(&self, operators: &[Operator], stage: Stage) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Operator if self.operator.is_some_and(|o| operators.contains(&o)) => Ok(()),
            Role::Operator => Err(self.forbidden("report for a site its carrier is not on")),
            Role::Tower if matches!(stage, Stage::Built | Stage::Powered) => Ok(()),
            Role::Tower => Err(self.forbidden("report stages other than built and powered")),
            Role::Viewer => Err(self.forbidden("write")),
        }
    }

    /// Obstacles on a site with these operators.
    pub fn may_handle_obstacles(&self, operators: &[Operator]) -> Result<(), ApiError> {
        match self.role {
            Role::Admin | Role::Tower => Ok(()),
            Role::Operator if self.operator.is_some_and(|o| operators.contains(&o)) => Ok(()),
            Role::Operator => {
                Err(self.forbidden("handle obstacles of a site its carrier is not on"))
            }
            Role::Viewer => Err(self.forbidden("write")),
        }
    }
}

/// Requests per second allowed to each token, with bursts of twice that.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
}

impl RateLimiter {
    fn allow(&self, token: i64, rate: f64) -> bool {
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tokens, last) = b.entry(token).or_insert((rate * 2.0, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate * 2.0);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Paths anyone may use without a token.
fn open_path(path: &str, method: &Method) -> bool {
    method == Method::GET
        && (path == "/"
            || path == "/field"
            || path == "/screen"
            || path.starts_with("/assets/")
            || matches!(path, "/healthz" | "/readyz" | "/metrics")
            || path.starts_with("/api/v1/open/")
            || path == "/api/v1/map/config")
}

fn unauthorized(m: &str) -> ApiError {
    ApiError::Unauthorized(format!(
        "{m}; send `Authorization: Bearer <token>` (an administrator creates tokens with `sitepulse token create`)"
    ))
}

/// Checks the token, if any, and puts the [`Principal`] into the request for the handlers.
pub async fn layer(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().map(str::to_string));
    let principal = match header {
        None => None,
        Some(Err(_)) => return Err(unauthorized("the Authorization header is not text")),
        Some(Ok(v)) => {
            let token = v
                .strip_prefix("Bearer ")
                .map(str::trim)
                .ok_or_else(|| unauthorized("the token is malformed"))?;
            let access = s.access.clone();
            let secret = token.to_string();
            let t = tokio::task::spawn_blocking(move || access.authenticate(&secret))
                .await?
                .map_err(|e| match e {
                    AccessError::Store(crate::store::StoreError::Unreadable(u)) => {
                        tracing::error!(error = %u, "a token's stored record cannot be read");
                        unauthorized(
                            "the token's stored record cannot be read; ask an administrator for a new token",
                        )
                    }
                    AccessError::Store(e) => ApiError::from(e),
                    e => unauthorized(&e.to_string()),
                })?;
            if !s.limiter.allow(t.token_id, s.config.http.rate_per_s) {
                return Err(ApiError::TooMany(format!(
                    "token `{}` sent more than {} requests per second; slow down",
                    t.name, s.config.http.rate_per_s
                )));
            }
            Some(Principal {
                token_id: t.token_id,
                name: t.name,
                role: t.role,
                operator: t.operator,
                origin: client_address(&s.config.http.trusted_proxies, addr.ip(), req.headers()),
            })
        }
    };
    let path = req.uri().path().to_string();
    if principal.is_none() && !open_path(&path, req.method()) {
        let read = req.method() == Method::GET;
        if !(read && s.config.http.public_read) {
            return Err(unauthorized(if read {
                "reading needs a token here"
            } else {
                "writing needs a token"
            }));
        }
    }
    if let Some(p) = principal {
        req.extensions_mut().insert(p);
    }
    Ok(next.run(req).await)
}

/// The client's address for the audit trail: the peer's, or — when the peer is a trusted reverse
/// proxy — the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. The header
/// is ignored from any other peer, since a client can write whatever it likes there.
pub fn client_address(
    trusted: &[std::net::IpAddr],
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
) -> String {
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .or(forwarded.first())
        .unwrap_or(&peer)
        .to_string()
}

/// The request's principal, for handlers that write.
pub fn principal(p: Option<axum::Extension<Principal>>) -> Result<Principal, ApiError> {
    p.map(|axum::Extension(p)| p)
        .ok_or_else(|| unauthorized("writing needs a token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, operator: Option<Operator>) -> Principal {
        Principal {
            token_id: 1,
            name: "t".into(),
            role,
            operator,
            origin: "127.0.0.1".into(),
        }
    }

    #[test]
    fn roles_allow_what_the_design_says() {
        use Operator::*;
        let site = [Cmcc, Cucc];
        assert!(
            p(Role::Admin, None)
                .may_report_stage(&site, Stage::OnAir)
                .is_ok()
        );
        assert!(
            p(Role::Operator, Some(Cucc))
                .may_report_stage(&site, Stage::OnAir)
                .is_ok()
        );
        assert!(
            p(Role::Operator, Some(Ctcc))
                .may_report_stage(&site, Stage::OnAir)
                .is_err()
        );
        assert!(
            p(Role::Tower, None)
                .may_report_stage(&site, Stage::Powered)
                .is_ok()
        );
        assert!(
            p(Role::Tower, None)
                .may_report_stage(&site, Stage::OnAir)
                .is_err()
        );
        assert!(
            p(Role::Viewer, None)
                .may_report_stage(&site, Stage::Built)
                .is_err()
        );
        assert!(p(Role::Viewer, None).may_handle_obstacles(&site).is_err());
        assert!(p(Role::Tower, None).may_handle_obstacles(&site).is_ok());
        assert!(p(Role::Operator, Some(Ctcc)).require_admin("x").is_err());
        // X-Forwarded-For counts only from a trusted proxy, and a client cannot hide behind a
        // forged first entry.
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 10.1.2.3".parse().unwrap());
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_address(&[], proxy, &h), "127.0.0.1");
        assert_eq!(client_address(&[proxy], proxy, &h), "10.1.2.3");
        assert_eq!(
            client_address(&[proxy], proxy, &axum::http::HeaderMap::new()),
            "127.0.0.1"
        );
    }
}
