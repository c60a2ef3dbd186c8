//! Counters and marks kept in the `meta` table (e.g. `indexed_through`, `plan_version`).

use rusqlite::{Connection, OptionalExtension, params};

/// The value of `key`; 0 when it was never set.
pub(crate) fn get(conn: &Connection, key: &str) -> rusqlite::Result<i64> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
        r.get(0)
    })
    .optional()
    .map(|v| v.unwrap_or(0))
}

/// Sets `key` (inside the caller's transaction, when there is one).
pub(crate) fn set(conn: &Connection, key: &str, value: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
