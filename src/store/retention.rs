//! Retention of the raw reports in the embedded store (`store.keep_days`): reports received
//! longer ago than that are deleted, a chunk at a time, by the writer between commits.
//!
//! What stays: each site's latest report (the state is rebuilt from it), every report's key in
//! the key index (so a report repeated after years is still recognised as a duplicate), the
//! stage transitions, the reports per day (`site_day`), the quarantine and everything people
//! wrote. Only reports whose keys are already in the key index are deleted, so the in-memory
//! duplicate check never needs them. Freed pages are reused: the file stops growing rather than
//! shrinking.

use super::meta::{get as meta_get, set as meta_set};
use crate::store::StoreError;
use rusqlite::{Connection, params};

/// Reports examined per step; a step is one short transaction.
const CHUNK: i64 = 10_000;

/// Milliseconds between two steps while there is nothing to catch up.
const EVERY_MS: i64 = 10_000;

pub struct Retention {
    keep_ms: i64,
    /// Reports up to this id have been looked at (and deleted if old enough).
    pruned_through: i64,
    last_step_ms: i64,
    /// The last step found a full chunk to delete: more is waiting.
    behind: bool,
}

impl Retention {
    pub fn open(conn: &Connection, keep_days: u32) -> Result<Retention, StoreError> {
        let pruned_through = meta_get(conn, "pruned_through")?;
        Ok(Retention {
            keep_ms: i64::from(keep_days) * 86_400_000,
            pruned_through,
            last_step_ms: i64::MIN,
            behind: true,
        })
    }

    /// Deletes up to one chunk of reports received before `now_ms - keep`, among those already
    /// in the key index (`id <= indexed_through`); returns how many. Does nothing when the last
    /// step was recent and found nothing to catch up.
    pub fn step(
        &mut self,
        conn: &mut Connection,
        indexed_through: i64,
        now_ms: i64,
    ) -> Result<usize, StoreError> {
        if !self.behind && now_ms - self.last_step_ms < EVERY_MS {
            return Ok(0);
        }
        self.last_step_ms = now_ms;
        let cutoff = now_ms - self.keep_ms;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut old = Vec::new();
        let mut through = self.pruned_through;
        {
            let mut stmt = tx.prepare_cached(
                "SELECT id, received FROM status WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![self.pruned_through, indexed_through, CHUNK])?;
            while let Some(r) = rows.next()? {
                let (id, received): (i64, i64) = (r.get(0)?, r.get(1)?);
                // Reports arrive in id order, so the first recent one ends the old ones.
                if received >= cutoff {
                    break;
                }
                old.push(id);
                through = id;
            }
        }
        let mut deleted = 0;
        if let (Some(&lo), Some(&hi)) = (old.first(), old.last()) {
            deleted = tx.execute(
                "DELETE FROM status WHERE id BETWEEN ?1 AND ?2
                 AND id NOT IN (SELECT id FROM site_state WHERE id BETWEEN ?1 AND ?2)",
                params![lo, hi],
            )?;
            meta_set(&tx, "pruned_through", through)?;
        }
        tx.commit()?;
        self.pruned_through = through;
        self.behind = old.len() as i64 == CHUNK;
        Ok(deleted)
    }
}
