//! The `info` payload: the site as its agent knows it, published at boot (retained).
//!
//! The site plan imported by the IT bureau is authoritative where it exists; until then the
//! collector's registry is filled from these messages so progress can be grouped by county and
//! operator.

use super::domain::{Band, Operator, SiteKind};
use super::status::Gps;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Schema tag of a v1 info message.
pub const INFO_SCHEMA: &str = "sitepulse.info/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Info {
    /// Always `sitepulse.info/1`.
    pub schema: String,
    /// Site id; must equal the site id in the topic.
    pub site: String,
    /// Site name (站址名称), at most 128 characters.
    pub name: String,
    /// County or district admin code (6 digits), e.g. `371502` for 东昌府区.
    pub county: String,
    /// Carriers with equipment on this site (a shared tower hosts several).
    pub operators: Vec<Operator>,
    /// Tower owner, e.g. `china_tower`.
    pub tower_owner: String,
    pub kind: SiteKind,
    pub bands: Vec<Band>,
    /// Surveyed position (WGS-84).
    pub position: Gps,
}
