//! How a report's payload is kept in `status.payload`: the bytes the agent sent, LZ4-compressed
//! against a fixed dictionary of typical reports, so that a report costs the log and the file
//! about a third of its size and each one still reads back on its own.
//!
//! Stored forms, told apart by the first byte (a JSON text never starts with 0x01):
//! - `{…` — the JSON itself: rows written before compression, and payloads it would not shrink.
//! - `0x01`, the length as u32 little-endian, an LZ4 block against [`DICTIONARY_V1`].
//!
//! A dictionary is never changed once shipped: the rows written with it need it to be read. A
//! better one would be `0x02` with a file of its own.

use std::borrow::Cow;

/// Typical reports, one per line: the field names and common values every report repeats.
pub const DICTIONARY_V1: &[u8] = include_bytes!("status-dictionary-v1.jsonl");

const LZ4_V1: u8 = 0x01;
const HEADER: usize = 5;

/// Writes the stored form of `json` into `out` (cleared first; reused across reports, so a
/// batch compresses without allocating).
pub fn pack(json: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.resize(
        HEADER + lz4_flex::block::get_maximum_output_size(json.len()),
        0,
    );
    match lz4_flex::block::compress_into_with_dict(json, &mut out[HEADER..], DICTIONARY_V1) {
        // Bytes that start like the compressed form are kept in it, even when not smaller.
        Ok(n) if HEADER + n < json.len() || json.first() == Some(&LZ4_V1) => {
            out[0] = LZ4_V1;
            out[1..HEADER].copy_from_slice(&(json.len() as u32).to_le_bytes());
            out.truncate(HEADER + n);
        }
        _ => {
            out.clear();
            out.extend_from_slice(json);
        }
    }
}

/// The JSON back from its stored form.
pub fn unpack(stored: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    match stored.first() {
        Some(&LZ4_V1) => {
            let len = stored
                .get(1..HEADER)
                .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
                .ok_or("compressed payload cut short")?;
            let json = lz4_flex::block::decompress_with_dict(&stored[HEADER..], len, DICTIONARY_V1)
                .map_err(|e| format!("compressed payload unreadable: {e}"))?;
            match json.len() == len {
                true => Ok(Cow::Owned(json)),
                false => Err(format!(
                    "compressed payload is {} bytes, not {len}",
                    json.len()
                )),
            }
        }
        _ => Ok(Cow::Borrowed(stored)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha2::Digest;

    /// Rows on disk were written against these exact bytes.
    #[test]
    fn the_shipped_dictionary_is_the_one_rows_were_written_with() {
        assert_eq!(
            hex::encode(sha2::Sha256::digest(DICTIONARY_V1)),
            "1ba13638f71e5d4600d45c1475381577fa4322e4287f8f0a00991364a41dbdb2",
            "status-dictionary-v1.jsonl changed: stored reports would not read back; add a v2 instead"
        );
    }

    #[test]
    fn a_report_is_stored_in_a_third_of_its_size_and_reads_back_whole() {
        let status = crate::wire::status::fixtures::status(
            "LC371502-00042",
            crate::wire::Stage::OnAir,
            chrono::Utc::now(),
        );
        let json = serde_json::to_vec(&status).unwrap();
        let mut out = Vec::new();
        pack(&json, &mut out);
        assert_eq!(out[0], LZ4_V1);
        assert!(
            out.len() * 3 < json.len() + 100,
            "{} of {}",
            out.len(),
            json.len()
        );
        assert_eq!(unpack(&out).unwrap(), &json[..]);
        // A row written before compression reads as it is.
        assert!(matches!(unpack(&json).unwrap(), Cow::Borrowed(b) if b == &json[..]));
        // A damaged row is an error, not a panic or other bytes.
        assert!(unpack(&out[..3]).is_err());
        out[1] ^= 0x40;
        assert!(unpack(&out).is_err());
    }

    proptest! {
        /// Whatever the bytes, they come back as they went in.
        #[test]
        fn any_payload_round_trips(json in proptest::collection::vec(any::<u8>(), 0..2000), text in "\\PC{0,300}") {
            for bytes in [json, text.into_bytes()] {
                let mut out = Vec::new();
                pack(&bytes, &mut out);
                prop_assert_eq!(unpack(&out).unwrap(), &bytes[..]);
            }
        }
    }
}
