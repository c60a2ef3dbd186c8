//! Message signatures: where the broker cannot restrict an agent to its own site's topics (the
//! embedded broker has no ACLs), each payload carries an HMAC-SHA256 made with its site's key.
//!
//! The signature is the payload's last member, `"sig": "<64 hex digits>"`, written exactly as
//! `,"sig":"…"` just before the closing brace. What is signed is the payload without those
//! bytes — the JSON as the agent serialized it, byte for byte, so no canonical form is needed.
//! A replayed message carries a sequence number already stored and is kept once.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A site's key: 32 random bytes, written as 64 hex digits.
pub type Key = [u8; 32];

const PREFIX: &[u8] = b",\"sig\":\"";
/// `,"sig":"` + 64 hex + `"}`.
const TRAILER_LEN: usize = PREFIX.len() + 64 + 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the payload carries no signature; end it with ,\"sig\":\"<HMAC-SHA256, 64 hex>\"}}")]
    Missing,
    #[error("the signature does not match: wrong key for this site, or the payload was changed")]
    Mismatch,
    #[error("no key is issued for site `{0}`; issue one with `sitepulse keys issue --site {0}`")]
    NoKey(String),
}

fn mac(key: &Key, bytes: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(bytes);
    m
}

/// Appends the signature to a JSON object's bytes (as the agent sends them).
pub fn sign(json: &[u8], key: &Key) -> Vec<u8> {
    let body = json.strip_suffix(b"}").unwrap_or(json);
    let mut signed_bytes = body.to_vec();
    signed_bytes.push(b'}');
    let tag = hex::encode(mac(key, &signed_bytes).finalize().into_bytes());
    let mut out = body.to_vec();
    out.extend_from_slice(PREFIX);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

/// Checks a signed payload with the site's key.
pub fn verify(payload: &[u8], key: &Key) -> Result<(), SignatureError> {
    let payload = payload.trim_ascii_end();
    if payload.len() < TRAILER_LEN + 1 || !payload.ends_with(b"\"}") {
        return Err(SignatureError::Missing);
    }
    let (body, trailer) = payload.split_at(payload.len() - TRAILER_LEN);
    if !trailer.starts_with(PREFIX) {
        return Err(SignatureError::Missing);
    }
    let tag = hex::decode(&trailer[PREFIX.len()..PREFIX.len() + 64])
        .map_err(|_| SignatureError::Mismatch)?;
    let mut signed_bytes = body.to_vec();
    signed_bytes.push(b'}');
    mac(key, &signed_bytes)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

/// A key from its 64 hex digits.
pub fn parse_key(hex_key: &str) -> Option<Key> {
    let v = hex::decode(hex_key.trim()).ok()?;
    v.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_payloads_verify_and_changed_ones_do_not() {
        let key = [7u8; 32];
        let other = [8u8; 32];
        let json = br#"{"schema":"sitepulse.status/1","site":"A","seq":1}"#;
        let signed = sign(json, &key);
        assert!(signed.ends_with(b"\"}"));
        // Still JSON, with the signature as one more member.
        let v: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        assert_eq!(v["sig"].as_str().unwrap().len(), 64);
        assert_eq!(verify(&signed, &key), Ok(()));
        assert_eq!(verify(&signed, &other), Err(SignatureError::Mismatch));
        let tampered = String::from_utf8(signed.clone())
            .unwrap()
            .replace("\"seq\":1", "\"seq\":2");
        assert_eq!(
            verify(tampered.as_bytes(), &key),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(json, &key), Err(SignatureError::Missing));
        assert_eq!(verify(b"", &key), Err(SignatureError::Missing));
        assert_eq!(parse_key(&hex::encode(key)), Some(key));
        assert_eq!(parse_key("abc"), None);
    }
}
