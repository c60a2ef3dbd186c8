//! Who makes a write.

use serde::Serialize;

/// Who made a write, and from where. Over HTTP `who` is always the token's name: what a request
/// body says about a person goes to `on_behalf`, beside it, never in its place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actor {
    pub who: String,
    /// Client address, or `cli`.
    pub origin: String,
    /// The person the writer names as acting for, free text (e.g. who closes a month).
    pub on_behalf: Option<String>,
}

impl Actor {
    pub fn cli(who: impl Into<String>) -> Actor {
        Actor {
            who: who.into(),
            origin: "cli".into(),
            on_behalf: None,
        }
    }

    /// The same writer, acting for `person` (ignored when blank).
    pub fn on_behalf_of(mut self, person: Option<&str>) -> Actor {
        self.on_behalf = person
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        self
    }
}
