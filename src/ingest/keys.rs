//! The agents' signing keys, as the ingest pipeline checks them: loaded from the control store
//! at start and whenever keys are issued (`sitepulse keys issue`).

use crate::wire::Topic;
use crate::wire::signature::{self, Key, SignatureError};
use std::collections::HashMap;
use std::sync::RwLock;

#[derive(Debug, Default)]
pub struct AgentKeys {
    keys: RwLock<HashMap<String, Key>>,
}

impl AgentKeys {
    pub fn set_all(&self, keys: impl IntoIterator<Item = (String, Key)>) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys.into_iter().collect();
    }

    /// Checks the payload's signature with the key of the topic's site. A topic that is not
    /// a site topic passes here and is rejected by decoding.
    pub fn check(&self, topic: &str, payload: &[u8]) -> Result<(), SignatureError> {
        let Ok(t) = Topic::parse(topic) else {
            return Ok(());
        };
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        let key = keys
            .get(t.site)
            .ok_or_else(|| SignatureError::NoKey(t.site.to_string()))?;
        signature::verify(payload, key)
    }
}
