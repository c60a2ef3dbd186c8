//! Who may do what: people's API tokens and agents' signing keys, kept in the control store.
//! The HTTP API checks tokens here; the command line and the demo create them here, by the same
//! rules (a role, a carrier for the `operator` role only, an expiry date as people write it).

use crate::clock::SharedClock;
use crate::domain::actor::Actor;
use crate::domain::calendar::{end_of_day, parse_date};
use crate::store::StoreError;
use crate::store::control::{ControlStore, TokenRecord};
use crate::wire::Operator;
use crate::wire::signature::Key;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// What a token's holder may do (see [`crate::api::auth`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Operator,
    Tower,
    Viewer,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "operator" => Role::Operator,
            "tower" => Role::Tower,
            "viewer" => Role::Viewer,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Tower => "tower",
            Role::Viewer => "viewer",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("role `{0}` is unknown; use admin, operator, tower or viewer")]
    UnknownRole(String),
    #[error("the operator role needs a carrier: cmcc, cucc, ctcc or cbn")]
    CarrierNeeded,
    #[error("a carrier goes with the operator role only")]
    CarrierWithoutOperatorRole,
    #[error("{0}")]
    Carrier(#[from] crate::wire::domain::UnknownOperator),
    #[error("expiry: {0}")]
    Expiry(String),
    #[error("the token's name must not be empty")]
    EmptyName,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not known")]
    UnknownToken,
    #[error("the token was revoked")]
    Revoked,
    #[error("the token has expired")]
    Expired,
    #[error("there is no active token {0}")]
    NoActiveToken(i64),
    #[error("`{0}` is not a site id")]
    BadSite(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A token to create, as people ask for it.
#[derive(Debug, Clone, Default)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: &'a str,
    /// The carrier of an `operator` token, in any spelling.
    pub operator: Option<&'a str>,
    /// The last day it is valid (Liaocheng), as people write dates.
    pub expires: Option<&'a str>,
}

/// A created token: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub role: Role,
    pub secret: String,
}

/// The holder of a valid token.
#[derive(Debug, Clone)]
pub struct Holder {
    pub token_id: i64,
    pub name: String,
    pub role: Role,
    pub operator: Option<Operator>,
}

/// `sp_` and 64 hex digits: 256 random bits.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("sp_{}", hex::encode(bytes))
}

/// What the store keeps of a token: its SHA-256.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[derive(Clone)]
pub struct Access {
    control: Arc<ControlStore>,
    clock: SharedClock,
}

impl Access {
    pub fn new(control: Arc<ControlStore>, clock: SharedClock) -> Access {
        Access { control, clock }
    }

    /// For commands run beside (or without) a collector.
    pub fn open(path: &Path, clock: SharedClock) -> Result<Access, StoreError> {
        Ok(Access::new(Arc::new(ControlStore::open(path)?), clock))
    }

    pub fn create_token(&self, t: NewToken<'_>, by: &Actor) -> Result<Created, AccessError> {
        let role = Role::parse(t.role).ok_or_else(|| AccessError::UnknownRole(t.role.into()))?;
        let operator = match (role, t.operator) {
            (Role::Operator, Some(o)) => Some(o.parse::<Operator>()?),
            (Role::Operator, None) => return Err(AccessError::CarrierNeeded),
            (_, Some(_)) => return Err(AccessError::CarrierWithoutOperatorRole),
            (_, None) => None,
        };
        let expires = t
            .expires
            .map(|d| parse_date(d).map(end_of_day).map_err(AccessError::Expiry))
            .transpose()?;
        let name = t.name.trim();
        if name.is_empty() {
            return Err(AccessError::EmptyName);
        }
        let secret = new_secret();
        let now = self.clock.now();
        let id = self.control.create_token(
            &TokenRecord {
                id: 0,
                name: name.to_string(),
                role: role.as_str().to_string(),
                operator: operator.map(|o| o.as_str().to_string()),
                created: now,
                expires,
                revoked: None,
            },
            &hash(&secret),
            by,
            now,
        )?;
        Ok(Created { id, role, secret })
    }

    /// Every token, without hashes.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, AccessError> {
        Ok(self.control.tokens()?)
    }

    pub fn revoke(&self, id: i64, by: &Actor) -> Result<(), AccessError> {
        if self.control.revoke_token(id, by, self.clock.now())? {
            Ok(())
        } else {
            Err(AccessError::NoActiveToken(id))
        }
    }

    /// The holder of `secret`, if it is a known token, not revoked and not expired.
    pub fn authenticate(&self, secret: &str) -> Result<Holder, AccessError> {
        if !(secret.len() == 67 && secret.starts_with("sp_")) {
            return Err(AccessError::Malformed);
        }
        let t = self
            .control
            .token_by_hash(&hash(secret))?
            .ok_or(AccessError::UnknownToken)?;
        if t.revoked.is_some() {
            return Err(AccessError::Revoked);
        }
        if t.expires.is_some_and(|e| e <= self.clock.now()) {
            return Err(AccessError::Expired);
        }
        let stored = |column: &'static str, value: &str| {
            StoreError::Unreadable(Box::new(crate::store::Unreadable {
                table: "tokens",
                key: t.id.to_string(),
                column,
                value: value.to_string(),
            }))
        };
        let role = Role::parse(&t.role).ok_or_else(|| stored("role", &t.role))?;
        let operator = t
            .operator
            .as_deref()
            .map(|o| o.parse::<Operator>().map_err(|_| stored("operator", o)))
            .transpose()?;
        Ok(Holder {
            token_id: t.id,
            name: t.name,
            role,
            operator,
        })
    }

    /// A new signing key for `site`, replacing any earlier one.
    pub fn issue_key(&self, site: &str, by: &Actor) -> Result<Key, AccessError> {
        if !crate::wire::topic::is_valid_site_id(site) {
            return Err(AccessError::BadSite(site.into()));
        }
        Ok(self.control.issue_key(site, by, self.clock.now())?)
    }

    /// Every site's signing key.
    pub fn agent_keys(&self) -> Result<Vec<(String, Key)>, StoreError> {
        self.control.agent_keys()
    }

    /// Changes whenever a key is issued.
    pub fn keys_version(&self) -> Result<i64, StoreError> {
        self.control.keys_version()
    }

    /// The time by this service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    #[test]
    fn tokens_follow_the_role_rules_and_expire_at_the_end_of_their_day() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock("2020-09-30T15:00:00Z".parse().unwrap()));
        let a = Access::open(&dir.path().join("s.db"), clock).unwrap();
        let by = Actor::cli("test");
        let new = |role, operator, expires| NewToken {
            name: "张工",
            role,
            operator,
            expires,
        };
        assert!(matches!(
            a.create_token(new("root", None, None), &by),
            Err(AccessError::UnknownRole(_))
        ));
        assert!(matches!(
            a.create_token(new("operator", None, None), &by),
            Err(AccessError::CarrierNeeded)
        ));
        assert!(matches!(
            a.create_token(new("viewer", Some("cmcc"), None), &by),
            Err(AccessError::CarrierWithoutOperatorRole)
        ));
        let t = a
            .create_token(new("operator", Some("中国移动"), Some("2020-09-30")), &by)
            .unwrap();
        assert_eq!(t.secret.len(), 67);
        assert_ne!(hash(&t.secret), hash(&new_secret()));
        let h = a.authenticate(&t.secret).unwrap();
        assert_eq!((h.role, h.operator), (Role::Operator, Some(Operator::Cmcc)));
        assert_eq!(a.tokens().unwrap()[0].operator.as_deref(), Some("cmcc"));
        // Valid to the end of 30 September in Liaocheng (15:59:59.999 UTC).
        let later = Access::open(
            &dir.path().join("s.db"),
            Arc::new(FixedClock("2020-09-30T16:00:00Z".parse().unwrap())),
        )
        .unwrap();
        assert!(matches!(
            later.authenticate(&t.secret),
            Err(AccessError::Expired)
        ));
        assert!(matches!(
            a.authenticate("sp_x"),
            Err(AccessError::Malformed)
        ));
        a.revoke(t.id, &by).unwrap();
        assert!(matches!(
            a.authenticate(&t.secret),
            Err(AccessError::Revoked)
        ));
        assert!(matches!(
            a.revoke(t.id, &by),
            Err(AccessError::NoActiveToken(_))
        ));
    }
}
