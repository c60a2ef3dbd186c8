//! A message from an agent as the collector takes it in: decoded, or rejected with the reason.

use crate::wire::topic::TopicError;
use crate::wire::validate::FieldError;
use crate::wire::{Info, Status};
use chrono::{DateTime, Utc};

/// A message that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Status {
        status: Box<Status>,
        /// Stamped more than `flag_future_s` ahead of the collector's clock.
        skewed: bool,
    },
    Info(Box<Info>),
}

impl Message {
    pub fn site(&self) -> &str {
        match self {
            Message::Status { status, .. } => &status.site,
            Message::Info(i) => &i.site,
        }
    }
}

/// Why a message was rejected. [`Reject::reason`] is the low-cardinality label used in metrics
/// and in the quarantine; `Display` is the sentence that says what to fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reject {
    #[error("topic: {0}")]
    Topic(#[from] TopicError),
    #[error("payload is {len} bytes; the limit is {limit}")]
    TooLarge { len: usize, limit: usize },
    #[error("payload is not valid UTF-8 JSON: {0}")]
    Json(String),
    #[error(
        "payload nests objects or arrays more than {limit} levels deep; v1 needs four, so flatten unknown fields"
    )]
    TooDeep { limit: usize },
    #[error(
        "unsupported schema `{0}`; this collector speaks sitepulse.status/1 and sitepulse.info/1"
    )]
    Schema(String),
    #[error("site `{payload}` in payload differs from site `{topic}` in topic")]
    SiteMismatch { topic: String, payload: String },
    #[error("{0}")]
    Field(#[from] FieldError),
    #[error("{0}")]
    Unauthenticated(#[from] crate::wire::signature::SignatureError),
    #[error("timestamp {ts} is {what} the collector's clock ({now}); fix the agent's clock")]
    Timestamp {
        ts: DateTime<Utc>,
        now: DateTime<Utc>,
        what: &'static str,
    },
}

impl Reject {
    /// Stable label: `invalid_topic`, `too_large`, `invalid_json`, `too_deep`,
    /// `unsupported_schema`, `site_mismatch`, `invalid_field`, `timestamp_out_of_range`,
    /// `unauthenticated`.
    pub fn reason(&self) -> &'static str {
        match self {
            // A topic of another protocol version is a schema this collector does not speak.
            Reject::Topic(TopicError::Version) => "unsupported_schema",
            Reject::Topic(_) => "invalid_topic",
            Reject::TooLarge { .. } => "too_large",
            Reject::Json(_) => "invalid_json",
            Reject::TooDeep { .. } => "too_deep",
            Reject::Schema(_) => "unsupported_schema",
            Reject::SiteMismatch { .. } => "site_mismatch",
            Reject::Field(_) => "invalid_field",
            Reject::Timestamp { .. } => "timestamp_out_of_range",
            Reject::Unauthenticated(_) => "unauthenticated",
        }
    }

    /// Every label [`Reject::reason`] can return, for metrics that start at zero.
    pub const REASONS: [&'static str; 9] = [
        "invalid_topic",
        "too_large",
        "invalid_json",
        "too_deep",
        "unsupported_schema",
        "site_mismatch",
        "invalid_field",
        "timestamp_out_of_range",
        "unauthenticated",
    ];
}
