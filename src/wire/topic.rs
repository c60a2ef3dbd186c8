//! MQTT topics of protocol v1.
//!
//! ```text
//! sitepulse/v1/sites/{site_id}/status   periodic telemetry (QoS 1)
//! sitepulse/v1/sites/{site_id}/info     the agent's description of its site, at boot (QoS 1, retained)
//! ```
//!
//! A site id is 1–64 characters of `A–Z a–z 0–9 - _ .`, not made of dots only; it never holds
//! `/`, `+` or `#`, so it can stand in a topic level, a URL path segment and a broker ACL pattern
//! (`sitepulse/v1/sites/%u/#`).

use std::fmt;

/// Prefix shared by every v1 topic.
pub const PREFIX: &str = "sitepulse/v1/sites/";

/// The filter the collector subscribes to: everything under `sitepulse/`, so that a message on a
/// topic of another protocol version or with extra levels reaches the collector and is counted
/// and quarantined with its reason, instead of being dropped by the broker unseen.
pub const SUBSCRIPTION: &str = "sitepulse/#";

/// The root every sitepulse topic starts with, whatever its version.
const ROOT: &str = "sitepulse/";

/// Longest accepted site id.
pub const MAX_SITE_ID_LEN: usize = 64;

/// What a message on a v1 topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Periodic telemetry, see [`crate::wire::Status`].
    Status,
    /// The site as the agent knows it, see [`crate::wire::Info`].
    Info,
}

impl Kind {
    /// The last topic level for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Info => "info",
        }
    }
}

/// A parsed v1 topic, borrowing the site id from the topic string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic<'a> {
    pub site: &'a str,
    pub kind: Kind,
}

/// Why a topic is not a v1 site topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("topic does not start with `{PREFIX}`")]
    Prefix,
    #[error("topic is of another protocol version; this collector speaks `{PREFIX}`")]
    Version,
    #[error(
        "site id in topic is empty, longer than {MAX_SITE_ID_LEN}, made of dots only or holds characters outside A-Z a-z 0-9 - _ ."
    )]
    SiteId,
    #[error("unknown message kind in topic; expected `status` or `info`")]
    Kind,
}

impl<'a> Topic<'a> {
    /// Parses `sitepulse/v1/sites/{site}/{kind}`.
    pub fn parse(topic: &'a str) -> Result<Self, TopicError> {
        let Some(rest) = topic.strip_prefix(PREFIX) else {
            return Err(match topic.strip_prefix(ROOT) {
                Some(r) if !r.starts_with("v1/") && r.starts_with('v') => TopicError::Version,
                _ => TopicError::Prefix,
            });
        };
        let (site, kind) = rest.split_once('/').ok_or(TopicError::Kind)?;
        if !is_valid_site_id(site) {
            return Err(TopicError::SiteId);
        }
        let kind = match kind {
            "status" => Kind::Status,
            "info" => Kind::Info,
            _ => return Err(TopicError::Kind),
        };
        Ok(Topic { site, kind })
    }
}

impl fmt::Display for Topic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}/{}", self.site, self.kind.as_str())
    }
}

/// The topic an agent publishes `kind` messages on.
pub fn topic_for(site: &str, kind: Kind) -> String {
    Topic { site, kind }.to_string()
}

/// Filters earlier collectors subscribed to. A persistent session keeps them beside the current
/// one, and a broker sends a message once per matching filter (in a shared group, possibly to two
/// collectors), so the collector unsubscribes them.
pub const LEGACY_SUBSCRIPTIONS: [&str; 1] = ["sitepulse/v1/sites/+/+"];

/// `filter`, optionally inside a shared-subscription group (`$share/{group}/…`).
fn shared(filter: &str, share_group: Option<&str>) -> String {
    match share_group {
        Some(group) => format!("$share/{group}/{filter}"),
        None => filter.to_string(),
    }
}

/// The subscription filter, optionally inside a shared-subscription group (`$share/{group}/…`).
pub fn subscription(share_group: Option<&str>) -> String {
    shared(SUBSCRIPTION, share_group)
}

/// The filters of earlier versions to drop from a persistent session, in the same group.
pub fn legacy_subscriptions(share_group: Option<&str>) -> Vec<String> {
    LEGACY_SUBSCRIPTIONS
        .iter()
        .map(|f| shared(f, share_group))
        .collect()
}

/// True when `id` may be used as a site id. Ids of dots only (`.`, `..`) are refused: in a URL
/// path they mean "this" and "the parent" level.
pub fn is_valid_site_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_SITE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id.bytes().any(|b| b != b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_status_and_info() {
        let t = Topic::parse("sitepulse/v1/sites/LC-371502-0001/status").unwrap();
        assert_eq!(t.site, "LC-371502-0001");
        assert_eq!(t.kind, Kind::Status);
        let t = Topic::parse("sitepulse/v1/sites/a.b_c/info").unwrap();
        assert_eq!((t.site, t.kind), ("a.b_c", Kind::Info));
    }

    #[test]
    fn rejects_what_is_not_a_site_topic() {
        assert_eq!(
            Topic::parse("sitepulse/v2/sites/x/status"),
            Err(TopicError::Version)
        );
        assert_eq!(
            Topic::parse("other/v1/sites/x/status"),
            Err(TopicError::Prefix)
        );
        assert_eq!(
            Topic::parse("sitepulse/v1/other/x"),
            Err(TopicError::Prefix)
        );
        assert_eq!(
            Topic::parse("sitepulse/v1/sites/../status"),
            Err(TopicError::SiteId)
        );
        assert_eq!(Topic::parse("sitepulse/v1/sites/x"), Err(TopicError::Kind));
        assert_eq!(
            Topic::parse("sitepulse/v1/sites/x/status/extra"),
            Err(TopicError::Kind)
        );
        assert_eq!(
            Topic::parse("sitepulse/v1/sites//status"),
            Err(TopicError::SiteId)
        );
        assert_eq!(
            Topic::parse("sitepulse/v1/sites/a b/status"),
            Err(TopicError::SiteId)
        );
        let long = format!("sitepulse/v1/sites/{}/status", "x".repeat(65));
        assert_eq!(Topic::parse(&long), Err(TopicError::SiteId));
    }

    #[test]
    fn shared_subscription_wraps_the_filter() {
        assert_eq!(subscription(None), "sitepulse/#");
        assert_eq!(subscription(Some("ingest")), "$share/ingest/sitepulse/#");
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = Topic::parse(&s);
        }

        #[test]
        fn display_round_trips(site in "[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", info in any::<bool>()) {
            let kind = if info { Kind::Info } else { Kind::Status };
            let s = topic_for(&site, kind);
            let t = Topic::parse(&s).unwrap();
            prop_assert_eq!(t.site, site.as_str());
            prop_assert_eq!(t.kind, kind);
        }
    }
}
