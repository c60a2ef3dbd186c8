//! The embedded store's commit, step by step. A batch is one IMMEDIATE transaction: each
//! envelope is checked against the keys already stored ([`Pass::seen`]), appended
//! ([`Pass::append`]) with its day mark ([`Pass::mark_day`]) and stage transition
//! ([`Pass::note_newest`]), or kept in the quarantine ([`Pass::keep`]); the newest state per site
//! and the quarantine's bound are written last ([`Pass::finish`]). What the batch changes in the
//! writer's memory (keys, each site's newest report and newest day) is changed at once and taken
//! back ([`Undo`]) if the transaction does not commit. Then the upkeep that may fail without harm
//! runs ([`SqliteStore::upkeep`]): the key index with the newest state per site, retention and
//! the write-ahead log's bound.

use super::dedupe::Keys;
use super::outbox::Outbox;
use super::sqlite::{
    CONFLICTING_DUPLICATE, DayMark, Latest, Newest, SqliteStore, day_of_ms, differs_from_stored,
    in_index, ms, quarantine,
};
use super::{Envelope, Outcome, Store, StoreError};
use crate::domain::message::Message;
use crate::wire::{Info, Stage, Status, Supply};
use foldhash::HashMap;
use rusqlite::{CachedStatement, Connection, params};

/// The writer's memory, changed as the batch passes, with what it was before each change.
struct Known<'s> {
    keys: &'s mut Keys,
    latest: &'s mut HashMap<String, Latest>,
    days: &'s mut HashMap<String, DayMark>,
    undo: &'s mut Undo,
    /// The position in the batch of the report being stored.
    at: usize,
}

/// What a batch changed in the writer's memory, to take back if it does not commit. Entries
/// name their report by its position in the batch. Kept by the store and cleared for each
/// batch, so that a batch does not grow fresh buffers.
#[derive(Default)]
pub(super) struct Undo {
    /// Reports whose key was added.
    keys: Vec<usize>,
    /// A site's newest report before the one at this position replaced it.
    latest: Vec<(usize, Option<Latest>)>,
    /// A site's newest day before the report at this position changed it.
    days: Vec<(usize, Option<DayMark>)>,
}

impl Undo {
    fn clear(&mut self) {
        self.keys.clear();
        self.latest.clear();
        self.days.clear();
    }
}

/// The status report at `at` in the batch; only reports that changed the memory are asked for.
fn status_at(batch: &[Envelope], at: usize) -> &Status {
    match &batch[at].decoded {
        Ok(Message::Status { status, .. }) => status,
        _ => unreachable!("undo names a status report"),
    }
}

/// Sets a site's entry, allocating its key only for a site not seen before.
fn put<V>(map: &mut HashMap<String, V>, site: &str, v: V) {
    match map.get_mut(site) {
        Some(old) => *old = v,
        None => {
            map.insert(site.to_string(), v);
        }
    }
}

impl SqliteStore {
    /// Puts the writer's memory back as it was before a batch that did not commit.
    fn undo(&mut self, batch: &[Envelope], undo: &mut Undo) {
        for &at in &undo.keys {
            let s = status_at(batch, at);
            self.keys.remove(&s.site, &s.boot, s.seq);
        }
        for (at, old) in undo.latest.drain(..).rev() {
            let site = &status_at(batch, at).site;
            match old {
                Some(l) => put(&mut self.latest, site, l),
                None => {
                    self.latest.remove(site);
                }
            }
        }
        for (at, old) in undo.days.drain(..).rev() {
            let site = &status_at(batch, at).site;
            match old {
                Some(d) => put(&mut self.days, site, d),
                None => {
                    self.days.remove(site);
                }
            }
        }
    }
}

/// One batch's pass through its transaction: the statements it uses, and its buffers.
struct Pass<'t> {
    tx: &'t Connection,
    ins_status: CachedStatement<'t>,
    ins_info: CachedStatement<'t>,
    ins_quarantine: CachedStatement<'t>,
    ins_change: CachedStatement<'t>,
    put_day: CachedStatement<'t>,
    ins_outbox: Option<CachedStatement<'t>>,
    quarantined: bool,
    /// The stored form of the payload being appended, reused report after report.
    packed: Vec<u8>,
}

impl<'t> Pass<'t> {
    fn new(tx: &'t Connection, outbox: bool) -> rusqlite::Result<Pass<'t>> {
        Ok(Pass {
            tx,
            ins_status: tx.prepare_cached(
                "INSERT INTO status (site, boot, seq, ts, received, stage, skewed, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?,
            ins_info: tx.prepare_cached(
                "INSERT INTO sites (site, info, updated) VALUES (?1, ?2, ?3)
                 ON CONFLICT (site) DO UPDATE SET info = excluded.info, updated = excluded.updated",
            )?,
            ins_quarantine: tx.prepare_cached(
                "INSERT INTO quarantine (received, topic, reason, detail, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            ins_change: tx.prepare_cached(
                "INSERT INTO stage_changes (site, ts, from_stage, to_stage) VALUES (?1, ?2, ?3, ?4)",
            )?,
            put_day: tx.prepare_cached(
                "INSERT INTO site_day (site, day, last_ts, supply, interval_s) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (site, day) DO UPDATE SET
                     supply = CASE WHEN excluded.last_ts >= last_ts THEN excluded.supply ELSE supply END,
                     interval_s = CASE WHEN excluded.last_ts >= last_ts THEN excluded.interval_s ELSE interval_s END,
                     last_ts = max(last_ts, excluded.last_ts)",
            )?,
            ins_outbox: match outbox {
                true => Some(tx.prepare_cached(Outbox::INSERT)?),
                false => None,
            },
            quarantined: false,
            packed: Vec::new(),
        })
    }

    /// A status report: stored once, or recognised as a repeat.
    fn status<'b>(
        &mut self,
        env: &'b Envelope,
        status: &'b Status,
        skewed: bool,
        known: &mut Known<'_>,
        outbox: Option<&mut Outbox>,
    ) -> Result<Outcome, StoreError> {
        let (site, boot, seq) = (status.site.as_str(), status.boot.as_str(), status.seq);
        if let Some(stored) = self.seen(known, site, boot, seq)? {
            return self.repeated(env, stored, site, boot, seq);
        }
        let id = self.append(env, status, skewed)?;
        let ts = ms(status.ts);
        known.keys.insert(site, boot, seq, id, ts);
        known.undo.keys.push(known.at);
        if let (Some(o), Some(ins)) = (outbox, &mut self.ins_outbox) {
            o.push(ins, status, skewed)?;
        }
        self.mark_day(
            known,
            site,
            ts,
            Some(status.power.supply),
            Some(status.interval_s),
        )?;
        self.note_newest(known, site, ts, status.stage, ms(env.received), id)?;
        Ok(Outcome::Stored)
    }

    /// The row already holding `(site, boot, seq)`: stored since the last index (this batch
    /// included), or in the key index.
    fn seen(
        &self,
        known: &mut Known<'_>,
        site: &str,
        boot: &str,
        seq: u64,
    ) -> rusqlite::Result<Option<i64>> {
        if let Some(id) = known.keys.id(site, boot, seq) {
            return Ok(Some(id));
        }
        in_index(self.tx, known.keys, site, boot, seq)
    }

    /// A key stored before: a plain duplicate, or — with other content — kept in the quarantine
    /// while the stored report stays.
    fn repeated(
        &mut self,
        env: &Envelope,
        stored: i64,
        site: &str,
        boot: &str,
        seq: u64,
    ) -> Result<Outcome, StoreError> {
        if !differs_from_stored(self.tx, stored, &env.payload)? {
            return Ok(Outcome::Duplicate);
        }
        self.keep(
            env,
            CONFLICTING_DUPLICATE,
            &format!(
                "site {site} boot {boot} seq {seq} is stored already with other content; the stored report stays"
            ),
        )?;
        Ok(Outcome::Conflicting)
    }

    /// Appends the report to `status`; its row id.
    fn append(&mut self, env: &Envelope, status: &Status, skewed: bool) -> rusqlite::Result<i64> {
        super::payload::pack(&env.payload, &mut self.packed);
        self.ins_status.execute(params![
            status.site,
            status.boot,
            status.seq as i64,
            ms(status.ts),
            ms(env.received),
            status.stage.as_str(),
            skewed as i64,
            &self.packed[..],
        ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Keeps the site's newest day with reports: the day's last report, its supply and declared
    /// interval. A site's
    /// row for a day is written when the day starts and finished when the next one does.
    fn mark_day(
        &mut self,
        known: &mut Known<'_>,
        site: &str,
        ts: i64,
        supply: Option<Supply>,
        interval_s: Option<u32>,
    ) -> rusqlite::Result<()> {
        let day = day_of_ms(ts);
        let mark = known.days.get(site).copied();
        let mut set = |m: DayMark| {
            known.undo.days.push((known.at, mark));
            put(known.days, site, m);
        };
        match mark {
            Some(m) if day == m.day => {
                if ts >= m.last_ts {
                    set(DayMark {
                        last_ts: ts,
                        supply,
                        interval_s,
                        ..m
                    });
                }
            }
            // A late report of an earlier day: that day's row is finished already.
            Some(m) if day < m.day => {}
            _ => {
                if let Some(m) = mark {
                    self.put_day.execute(params![
                        site,
                        m.day,
                        m.last_ts,
                        m.supply.map(Supply::as_str),
                        m.interval_s
                    ])?;
                }
                self.put_day.execute(params![
                    site,
                    day,
                    ts,
                    supply.map(Supply::as_str),
                    interval_s
                ])?;
                set(DayMark {
                    day,
                    last_ts: ts,
                    supply,
                    interval_s,
                });
            }
        }
        Ok(())
    }

    /// A report not older than the site's newest becomes its newest; a change of stage then is
    /// a transition, recorded in `stage_changes`.
    fn note_newest(
        &mut self,
        known: &mut Known<'_>,
        site: &str,
        ts: i64,
        stage: Stage,
        received: i64,
        id: i64,
    ) -> rusqlite::Result<()> {
        let before = known.latest.get(site).copied();
        let prev = before.map(|l| (l.newest.ts, l.newest.stage));
        if prev.is_some_and(|(t, _)| ts < t) {
            return Ok(());
        }
        let from = prev.map(|(_, s)| s);
        if from != Some(stage) {
            self.ins_change
                .execute(params![site, ts, from.map(Stage::as_str), stage.as_str()])?;
        }
        known.undo.latest.push((known.at, before));
        let newest = Newest {
            ts,
            stage,
            received,
            id,
        };
        put(
            known.latest,
            site,
            Latest {
                newest,
                saved: false,
            },
        );
        Ok(())
    }

    /// An agent's description of its site replaces the one stored.
    fn info(
        &mut self,
        env: &Envelope,
        info: &Info,
        outbox: Option<&mut Outbox>,
    ) -> Result<Outcome, StoreError> {
        let json = serde_json::to_string(info).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.ins_info
            .execute(params![info.site, json, ms(env.received)])?;
        if let Some(o) = outbox {
            o.learn(info);
        }
        Ok(Outcome::Stored)
    }

    /// Keeps a message in the quarantine with its reason.
    fn keep(&mut self, env: &Envelope, reason: &str, detail: &str) -> rusqlite::Result<()> {
        quarantine(&mut self.ins_quarantine, env, reason, detail)?;
        self.quarantined = true;
        Ok(())
    }

    /// The last writes of the batch: the buffer's last chunk and the quarantine cut back to its
    /// newest `quarantine_max`. Each site's newest state waits for the key index
    /// ([`SqliteStore::index_tail`]).
    fn finish(
        mut self,
        outbox: Option<&mut Outbox>,
        quarantine_max: u64,
    ) -> Result<(), StoreError> {
        if let (Some(o), Some(ins)) = (outbox, &mut self.ins_outbox) {
            o.flush(ins)?;
        }
        if self.quarantined {
            self.tx.execute(
                "DELETE FROM quarantine WHERE id <= (SELECT max(id) FROM quarantine) - ?1",
                params![quarantine_max as i64],
            )?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// After a commit: keys to the index, old reports deleted, the log kept near its bound. The
    /// batch is committed by then; what fails here is logged and tried again after the next.
    fn upkeep(&mut self, batch: &[Envelope]) {
        if self.keys.len() >= self.index_every
            && let Err(e) = self.index_tail()
        {
            tracing::warn!(error = %e, "adding keys to the index failed");
        }
        if let Some(r) = &mut self.retention
            && let Some(now) = batch.iter().map(|e| ms(e.received)).max()
            && let Err(e) = r.step(&mut self.conn, self.indexed_through, now)
        {
            tracing::warn!(error = %e, "deleting old reports failed");
        }
        self.bound_wal();
    }
}

impl Store for SqliteStore {
    fn commit(&mut self, batch: &[Envelope]) -> Result<Vec<Outcome>, StoreError> {
        let mut undo = std::mem::take(&mut self.undo);
        undo.clear();
        let result = self.try_commit(batch, &mut undo);
        if result.is_err() {
            self.undo(batch, &mut undo);
        }
        self.undo = undo;
        result
    }
}

impl SqliteStore {
    fn try_commit(
        &mut self,
        batch: &[Envelope],
        undo: &mut Undo,
    ) -> Result<Vec<Outcome>, StoreError> {
        if let Some(o) = &mut self.outbox {
            o.begin(&self.conn)?;
        }
        // IMMEDIATE: take the write lock first. A transaction that reads (the key checks) and then
        // writes could otherwise fail at once with "database is locked" when the log was reset
        // under it, instead of waiting for the lock.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut known = Known {
            keys: &mut self.keys,
            latest: &mut self.latest,
            days: &mut self.days,
            undo,
            at: 0,
        };
        let mut pass = Pass::new(&tx, self.outbox.is_some())?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for (at, env) in batch.iter().enumerate() {
            known.at = at;
            let outcome = match &env.decoded {
                Ok(Message::Status { status, skewed }) => {
                    pass.status(env, status, *skewed, &mut known, self.outbox.as_mut())?
                }
                Ok(Message::Info(info)) => pass.info(env, info, self.outbox.as_mut())?,
                Err(reject) => {
                    pass.keep(env, reject.reason(), &reject.to_string())?;
                    Outcome::Quarantined
                }
            };
            outcomes.push(outcome);
        }
        pass.finish(self.outbox.as_mut(), self.quarantine_max)?;
        tx.commit()?;
        if let Some(o) = &mut self.outbox {
            o.committed();
        }
        self.upkeep(batch);
        Ok(outcomes)
    }
}
