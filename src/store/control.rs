//! The control store: what people write — the site plan, milestones, obstacles, closed months —
//! and the audit trail of every such write. Same SQLite file as the telemetry, its own
//! connection: writes here are few and small, and SQLite serializes them with the ingest
//! writer's batches.
//!
//! Every write and its audit entry commit in one transaction: a change is never without its
//! record, nor a record without its change.

use super::sqlite::{from_ms, ms};
use super::{StoreError, unreadable};
use crate::domain::actor::Actor;
use crate::domain::area::{Area, AreaClass};
use crate::domain::boundary::Boundary;
use crate::domain::calendar::Month;
use crate::domain::milestone::Milestone;
use crate::domain::objection::Objection;
use crate::domain::obstacle::{Obstacle, ObstacleKind};
use crate::domain::pilot::Pilot;
use crate::domain::site::PlannedSite;
use crate::wire::{Gps, Stage, Supply};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The token's name (or the console user for `cli`).
    pub actor: String,
    pub origin: String,
    /// The person the writer said it acted for, if any.
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A stored geometry (GeoJSON text) as a MultiPolygon; none if it cannot be read.
fn multipolygon(text: &str) -> Option<geo::MultiPolygon<f64>> {
    text.parse::<geojson::Geometry>()
        .ok()
        .and_then(|g| geo::MultiPolygon::<f64>::try_from(g).ok())
}

const OBJECTION_COLUMNS: &str =
    "id, site, field, proposed, reason, by_whom, at, status, decided_by, decided_at, decision";

fn objection_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Objection> {
    Ok(Objection {
        id: r.get(0)?,
        site: r.get(1)?,
        field: r.get(2)?,
        proposed: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
        reason: r.get(4)?,
        by: r.get(5)?,
        at: from_ms(r.get(6)?),
        status: r.get(7)?,
        decided_by: r.get(8)?,
        decided_at: r.get::<_, Option<i64>>(9)?.map(from_ms),
        decision: r.get(10)?,
    })
}

/// An API token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    /// `admin`, `operator`, `tower` or `viewer`.
    pub role: String,
    /// For the `operator` role: the carrier (`cmcc`, …).
    pub operator: Option<String>,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "id, name, role, operator, created, expires, revoked";

fn token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        operator: r.get(3)?,
        created: from_ms(r.get(4)?),
        expires: r.get::<_, Option<i64>>(5)?.map(from_ms),
        revoked: r.get::<_, Option<i64>>(6)?.map(from_ms),
    })
}

/// A site's last report up to some day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastReport {
    /// Agent time.
    pub ts: DateTime<Utc>,
    pub supply: Option<Supply>,
    /// The interval it declared; `None` when not recorded (stores from before it was kept).
    pub interval_s: Option<u32>,
}

/// The plan's sites, in id order. A row that cannot be read is an error naming it, or —
/// `skip_unreadable`, for uses that only label — logged and left out.
pub(crate) fn plan_rows(
    c: &Connection,
    skip_unreadable: bool,
) -> rusqlite::Result<Vec<PlannedSite>> {
    super::json_rows(
        c,
        "SELECT id, site FROM plan ORDER BY id",
        "plan",
        "site",
        skip_unreadable,
    )
}

/// A closed month as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedMonth {
    pub month: String,
    pub closed_at: DateTime<Utc>,
    pub closed_by: String,
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A stored value that cannot be read back: an error that names where it is, never a default
/// (an unknown obstacle kind read as `access`, a bad date as 1970-01-01, would be printed in an
/// official monthly checklist as if true).
/// A date column of row `key` in `table`.
fn date(
    table: &'static str,
    key: i64,
    column: &'static str,
    s: &str,
) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|_| unreadable(table, key, column, s))
}

pub struct ControlStore {
    conn: Mutex<Connection>,
}

/// Adds one to a counter in `meta`, inside the caller's transaction.
fn bump(tx: &Transaction<'_>, key: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, 1)
         ON CONFLICT (key) DO UPDATE SET value = value + 1",
        params![key],
    )?;
    Ok(())
}

/// Appends to the audit trail inside the caller's transaction.
fn audit(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    target: &str,
    before: Option<String>,
    after: Option<String>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit (at, actor, origin, action, target, before, after, on_behalf)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            ms(at),
            actor.who,
            actor.origin,
            action,
            target,
            before,
            after,
            actor.on_behalf,
        ],
    )?;
    Ok(())
}

/// Adds or updates rows `(id, value)` of `table`, each kept as JSON in `column`, counting in
/// `report` what was added, changed or left as it was. Returns the ids added and, for each
/// change, `{id, before, after}`.
fn upsert_json<'a, T: serde::Serialize + 'a>(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    rows: impl ExactSizeIterator<Item = (&'a str, &'a T)>,
    at: DateTime<Utc>,
    report: &mut ImportReport,
    progress: &dyn Fn(u64, u64),
) -> rusqlite::Result<(Vec<&'a str>, Vec<serde_json::Value>)> {
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut get = tx.prepare_cached(&format!("SELECT {column} FROM {table} WHERE id = ?1"))?;
    let mut put = tx.prepare_cached(&format!(
        "INSERT INTO {table} (id, {column}, updated) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}, updated = excluded.updated"
    ))?;
    let total = rows.len() as u64;
    for (i, (id, value)) in rows.enumerate() {
        let new = json(value);
        let old: Option<String> = get.query_row(params![id], |r| r.get(0)).optional()?;
        match old {
            Some(o) if o == new => report.unchanged += 1,
            Some(o) => {
                report.updated += 1;
                put.execute(params![id, new, ms(at)])?;
                changed.push(serde_json::json!({
                    "id": id,
                    "before": serde_json::from_str::<serde_json::Value>(&o).unwrap_or_default(),
                    "after": value,
                }));
            }
            None => {
                report.added += 1;
                put.execute(params![id, new, ms(at)])?;
                added.push(id);
            }
        }
        if i % 1000 == 999 {
            progress(i as u64 + 1, total);
        }
    }
    progress(total, total);
    Ok((added, changed))
}

/// Keeps a client's idempotency key with the row its request made.
fn remember_request(
    tx: &Transaction<'_>,
    key: Option<&str>,
    what: &str,
    id: i64,
    at: DateTime<Utc>,
) -> rusqlite::Result<()> {
    if let Some(key) = key {
        tx.execute(
            "INSERT INTO requests (key, what, ref, at) VALUES (?1, ?2, ?3, ?4)",
            params![key, what, id, ms(at)],
        )?;
    }
    Ok(())
}

/// Inserts an obstacle (its `id` is ignored) and returns the id it got.
fn insert_obstacle(tx: &Transaction<'_>, o: &Obstacle) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO obstacles (site, kind, description, responsible_unit, opened, due, resolved, resolution, reporter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        o.site,
        o.kind.as_str(),
        o.description,
        o.responsible_unit,
        o.opened.to_string(),
        o.due.to_string(),
        o.resolved.map(|d| d.to_string()),
        o.resolution,
        o.reporter
    ])?;
    Ok(tx.last_insert_rowid())
}

fn obstacle_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Obstacle> {
    let id: i64 = r.get(0)?;
    let kind: String = r.get(2)?;
    let day = |column, s: &str| date("obstacles", id, column, s);
    Ok(Obstacle {
        id,
        site: r.get(1)?,
        kind: ObstacleKind::parse(&kind)
            .ok_or_else(|| unreadable("obstacles", id, "kind", &kind))?,
        description: r.get(3)?,
        responsible_unit: r.get(4)?,
        opened: day("opened", &r.get::<_, String>(5)?)?,
        due: day("due", &r.get::<_, String>(6)?)?,
        resolved: r
            .get::<_, Option<String>>(7)?
            .map(|s| day("resolved", &s))
            .transpose()?,
        resolution: r.get(8)?,
        reporter: r.get(9)?,
    })
}

const OBSTACLE_COLUMNS: &str =
    "id, site, kind, description, responsible_unit, opened, due, resolved, resolution, reporter";

fn milestone_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Milestone> {
    let id: i64 = r.get(0)?;
    let stage: String = r.get(2)?;
    let lat: Option<f64> = r.get(6)?;
    let lon: Option<f64> = r.get(7)?;
    Ok(Milestone {
        id,
        site: r.get(1)?,
        stage: Stage::parse(&stage).ok_or_else(|| unreadable("milestones", id, "stage", &stage))?,
        at: from_ms(r.get(3)?),
        note: r.get(4)?,
        reporter: r.get(5)?,
        position: lat.zip(lon).map(|(lat, lon)| Gps { lat, lon }),
        distance_m: r.get(8)?,
        flagged: r.get::<_, i64>(9)? != 0,
        reason: r.get(10)?,
        recorded: from_ms(r.get(11)?),
    })
}

const MILESTONE_COLUMNS: &str =
    "id, site, stage, at, note, reporter, lat, lon, distance_m, flagged, reason, recorded";

impl ControlStore {
    pub fn open(path: &Path) -> Result<ControlStore, StoreError> {
        let conn = super::schema::open(path)?;
        Ok(ControlStore {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        // A poisoned lock means a panic between statements; SQLite rolled back what was open.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut conn)?)
    }

    /// A counter in `meta`; 0 before it is first bumped.
    fn counter(&self, key: &str) -> Result<i64, StoreError> {
        self.with(|c| super::meta::get(c, key))
    }

    /// Bumped by every plan import, so that a running collector notices imports made by
    /// another process.
    pub fn plan_version(&self) -> Result<i64, StoreError> {
        self.counter("plan_version")
    }

    pub fn plan(&self) -> Result<Vec<PlannedSite>, StoreError> {
        self.with(|c| plan_rows(c, false))
    }

    pub fn add_objection(&self, o: &Objection, actor: &Actor) -> Result<Objection, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO objections (site, field, proposed, reason, by_whom, at, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open')",
                params![
                    o.site,
                    o.field,
                    o.proposed.to_string(),
                    o.reason,
                    o.by,
                    ms(o.at)
                ],
            )?;
            let stored = Objection {
                id: tx.last_insert_rowid(),
                ..o.clone()
            };
            audit(
                &tx,
                o.at,
                actor,
                "objection.open",
                &format!("{}#{}", o.site, stored.id),
                None,
                Some(json(&stored)),
            )?;
            tx.commit()?;
            Ok(stored)
        })
    }

    /// Objections of one site, or all, by id.
    pub fn objections(&self, site: Option<&str>) -> Result<Vec<Objection>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {OBJECTION_COLUMNS} FROM objections WHERE ?1 IS NULL OR site = ?1 ORDER BY id"
            ))?;
            let rows = stmt.query_map(params![site], objection_row)?;
            rows.collect()
        })
    }

    pub fn objection(&self, id: i64) -> Result<Option<Objection>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {OBJECTION_COLUMNS} FROM objections WHERE id = ?1"),
                params![id],
                objection_row,
            )
            .optional()
        })
    }

    /// Records a decision, and with an accepted plan correction the site's new plan entry, in
    /// one transaction with their audit entries.
    pub fn decide_objection(
        &self,
        decided: &Objection,
        plan_before: Option<&PlannedSite>,
        plan_after: Option<&PlannedSite>,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE objections SET status = ?2, decided_by = ?3, decided_at = ?4, decision = ?5
                 WHERE id = ?1 AND status = 'open'",
                params![
                    decided.id,
                    decided.status,
                    decided.decided_by,
                    decided.decided_at.map(ms),
                    decided.decision
                ],
            )?;
            if let Some(after) = plan_after {
                tx.execute(
                    "UPDATE plan SET site = ?2, updated = ?3 WHERE id = ?1",
                    params![after.id, json(after), ms(at)],
                )?;
                bump(&tx, "plan_version")?;
                audit(
                    &tx,
                    at,
                    actor,
                    "plan.correct",
                    &after.id,
                    plan_before.map(json),
                    Some(json(after)),
                )?;
            }
            audit(
                &tx,
                at,
                actor,
                &format!(
                    "objection.{}",
                    if decided.status == "accepted" {
                        "accept"
                    } else {
                        "reject"
                    }
                ),
                &format!("{}#{}", decided.site, decided.id),
                Some(json(&serde_json::json!({ "status": "open" }))),
                Some(json(decided)),
            )?;
            tx.commit()
        })
    }

    /// Creates an API token and returns its id; only its hash is stored.
    pub fn create_token(
        &self,
        t: &TokenRecord,
        hash: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO tokens (name, role, operator, hash, created, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.name, t.role, t.operator, hash, ms(at), t.expires.map(ms)],
            )?;
            let id = tx.last_insert_rowid();
            let after = TokenRecord { id, ..t.clone() };
            audit(&tx, at, actor, "token.create", &format!("token#{id}"), None, Some(json(&after)))?;
            tx.commit()?;
            Ok(id)
        })
    }

    /// Revokes a token; `false` if there is no such token or it was revoked already.
    pub fn revoke_token(
        &self,
        id: i64,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                params![id, ms(at)],
            )?;
            if n == 1 {
                audit(
                    &tx,
                    at,
                    actor,
                    "token.revoke",
                    &format!("token#{id}"),
                    Some(json(&serde_json::json!({ "revoked": false }))),
                    Some(json(&serde_json::json!({ "revoked": true }))),
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// Every token, without hashes.
    pub fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY id"))?;
            let rows = stmt.query_map([], token_row)?;
            rows.collect()
        })
    }

    /// The token with this hash, if it exists (revoked or expired ones too: the caller decides).
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = ?1"),
                params![hash],
                token_row,
            )
            .optional()
        })
    }

    /// Issues a new signing key for a site (replacing any earlier one) and returns it. The audit
    /// entry names the site, never the key.
    pub fn issue_key(
        &self,
        site: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<crate::wire::signature::Key, StoreError> {
        let key: crate::wire::signature::Key = rand::random();
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let replaced = tx.execute(
                "INSERT INTO agent_keys (site, key, issued) VALUES (?1, ?2, ?3)
                 ON CONFLICT (site) DO UPDATE SET key = excluded.key, issued = excluded.issued",
                params![site, hex::encode(key), ms(at)],
            )?;
            bump(&tx, "keys_version")?;
            audit(
                &tx,
                at,
                actor,
                "key.issue",
                site,
                None,
                Some(json(
                    &serde_json::json!({ "site": site, "replaced": replaced > 0 }),
                )),
            )?;
            tx.commit()?;
            Ok(key)
        })
    }

    /// Every site's signing key.
    pub fn agent_keys(&self) -> Result<Vec<(String, crate::wire::signature::Key)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT site, key FROM agent_keys")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (site, key) = row?;
                let k = crate::wire::signature::parse_key(&key).ok_or_else(|| {
                    unreadable("agent_keys", &site, "key", "(not 32 bytes of hex)")
                })?;
                out.push((site, k));
            }
            Ok(out)
        })
    }

    /// Bumped whenever a key is issued.
    pub fn keys_version(&self) -> Result<i64, StoreError> {
        self.counter("keys_version")
    }

    /// Bumped by every areas import.
    pub fn areas_version(&self) -> Result<i64, StoreError> {
        self.counter("areas_version")
    }

    /// Target areas, by name.
    pub fn areas(&self) -> Result<Vec<Area>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT name, class, county, geometry FROM areas ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (name, class, county, geometry) = row?;
                if let (Some(class), Some(geometry)) =
                    (AreaClass::parse(&class), multipolygon(&geometry))
                {
                    out.push(Area {
                        name,
                        class,
                        county,
                        geometry,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Adds or replaces areas by name in one transaction, with one audit entry.
    pub fn import_areas(
        &self,
        areas: &[Area],
        source: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut report = ImportReport {
                rows: areas.len(),
                ..ImportReport::default()
            };
            let mut before = Vec::new();
            for a in areas {
                let geometry = geojson::Geometry::from(&a.geometry).to_string();
                let old: Option<(String, String, String)> = tx
                    .query_row(
                        "SELECT class, county, geometry FROM areas WHERE name = ?1",
                        params![a.name],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let new = (a.class.as_str().to_string(), a.county.clone(), geometry);
                match old {
                    Some(o) if o == new => {
                        report.unchanged += 1;
                        continue;
                    }
                    Some(o) => {
                        report.updated += 1;
                        before.push(serde_json::json!({"name": a.name, "class": o.0, "county": o.1}));
                    }
                    None => report.added += 1,
                }
                tx.execute(
                    "INSERT INTO areas (name, class, county, geometry, updated) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (name) DO UPDATE SET class = excluded.class, county = excluded.county,
                         geometry = excluded.geometry, updated = excluded.updated",
                    params![a.name, new.0, new.1, new.2, ms(at)],
                )?;
            }
            bump(&tx, "areas_version")?;
            let names: Vec<&str> = areas.iter().map(|a| a.name.as_str()).collect();
            audit(
                &tx,
                at,
                actor,
                "areas.import",
                source,
                Some(json(&before)),
                Some(json(&serde_json::json!({ "report": report, "areas": names }))),
            )?;
            tx.commit()?;
            Ok(report)
        })
    }

    /// The county boundaries a city imported, by code; empty while the shipped ones serve.
    pub fn boundaries(&self) -> Result<Vec<Boundary>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT county, name, geometry FROM boundaries ORDER BY county")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (county, name, geometry) = row?;
                if let Some(geometry) = multipolygon(&geometry) {
                    out.push(Boundary {
                        county,
                        name,
                        geometry,
                    });
                }
            }
            Ok(out)
        })
    }

    /// Replaces every county boundary by the file's, in one transaction with an audit entry.
    pub fn replace_boundaries(
        &self,
        boundaries: &[Boundary],
        source: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let before: Vec<String> = {
                let mut stmt = tx.prepare("SELECT county FROM boundaries ORDER BY county")?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            tx.execute("DELETE FROM boundaries", [])?;
            for b in boundaries {
                tx.execute(
                    "INSERT INTO boundaries (county, name, geometry, updated) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        b.county,
                        b.name,
                        geojson::Geometry::from(&b.geometry).to_string(),
                        ms(at)
                    ],
                )?;
            }
            let report = ImportReport {
                rows: boundaries.len(),
                added: boundaries
                    .iter()
                    .filter(|b| !before.contains(&b.county))
                    .count(),
                updated: boundaries
                    .iter()
                    .filter(|b| before.contains(&b.county))
                    .count(),
                ..ImportReport::default()
            };
            let counties: Vec<&str> = boundaries.iter().map(|b| b.county.as_str()).collect();
            audit(
                &tx,
                at,
                actor,
                "boundaries.import",
                source,
                Some(json(&serde_json::json!({ "counties": before }))),
                Some(json(&serde_json::json!({ "report": report, "counties": counties }))),
            )?;
            tx.commit()?;
            Ok(report)
        })
    }

    /// The register of 5G+ application pilots, by code.
    pub fn pilots(&self) -> Result<Vec<Pilot>, StoreError> {
        self.with(|c| {
            super::json_rows(
                c,
                "SELECT id, record FROM pilots ORDER BY id",
                "pilots",
                "record",
                false,
            )
        })
    }

    /// Adds or updates every project in one transaction, with one audit entry that lists what
    /// was added and what changed (before and after).
    pub fn put_pilots(
        &self,
        pilots: &[Pilot],
        action: &str,
        source: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<ImportReport, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut report = ImportReport {
                rows: pilots.len(),
                ..ImportReport::default()
            };
            let (added, changed) = upsert_json(
                &tx,
                "pilots",
                "record",
                pilots.iter().map(|p| (p.id.as_str(), p)),
                at,
                &mut report,
                &|_, _| {},
            )?;
            if report.added + report.updated > 0 {
                audit(
                    &tx,
                    at,
                    actor,
                    action,
                    source,
                    None,
                    Some(
                        serde_json::json!({ "added": added, "changed": changed, "report": report })
                            .to_string(),
                    ),
                )?;
            }
            tx.commit()?;
            Ok(report)
        })
    }

    /// Adds or updates every site in one transaction, with one audit entry that lists what was
    /// added and what changed (before and after).
    pub fn import_plan(
        &self,
        sites: &[PlannedSite],
        source: &str,
        actor: &Actor,
        at: DateTime<Utc>,
        progress: &dyn Fn(u64, u64),
    ) -> Result<ImportReport, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut report = ImportReport {
                rows: sites.len(),
                ..ImportReport::default()
            };
            let (added, changed) = upsert_json(
                &tx,
                "plan",
                "site",
                sites.iter().map(|s| (s.id.as_str(), s)),
                at,
                &mut report,
                progress,
            )?;
            bump(&tx, "plan_version")?;
            audit(
                &tx,
                at,
                actor,
                "plan.import",
                source,
                Some(json(&serde_json::json!({ "changed": changed.iter().map(|c| &c["before"]).collect::<Vec<_>>() }))),
                Some(json(&serde_json::json!({
                    "report": report,
                    "added": added,
                    "changed": changed.iter().map(|c| &c["after"]).collect::<Vec<_>>(),
                }))),
            )?;
            tx.commit()?;
            Ok(report)
        })
    }

    /// The row a client's earlier write with this idempotency key made: `(what, id)`.
    pub fn request(&self, key: &str) -> Result<Option<(String, i64)>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT what, ref FROM requests WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    pub fn add_milestone(&self, m: &Milestone, actor: &Actor) -> Result<Milestone, StoreError> {
        self.add_milestone_once(m, actor, None)
    }

    /// [`Self::add_milestone`], keeping the client's idempotency key with it in the same
    /// transaction: the key is there exactly when the milestone is.
    pub fn add_milestone_once(
        &self,
        m: &Milestone,
        actor: &Actor,
        request: Option<&str>,
    ) -> Result<Milestone, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO milestones (site, stage, at, note, reporter, lat, lon, distance_m, flagged, reason, recorded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    m.site,
                    m.stage.as_str(),
                    ms(m.at),
                    m.note,
                    m.reporter,
                    m.position.map(|p| p.lat),
                    m.position.map(|p| p.lon),
                    m.distance_m,
                    m.flagged as i64,
                    m.reason,
                    ms(m.recorded)
                ],
            )?;
            let stored = Milestone {
                id: tx.last_insert_rowid(),
                ..m.clone()
            };
            remember_request(&tx, request, "milestone", stored.id, m.recorded)?;
            audit(
                &tx,
                m.recorded,
                actor,
                "milestone.add",
                &m.site,
                None,
                Some(json(&stored)),
            )?;
            tx.commit()?;
            Ok(stored)
        })
    }

    /// Milestones of one site, or of every site, in time order.
    pub fn milestones(&self, site: Option<&str>) -> Result<Vec<Milestone>, StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {MILESTONE_COLUMNS} FROM milestones WHERE ?1 IS NULL OR site = ?1 ORDER BY site, at, id"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![site], milestone_row)?;
            rows.collect()
        })
    }

    pub fn add_obstacle(
        &self,
        o: &Obstacle,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Obstacle, StoreError> {
        self.add_obstacle_once(o, actor, at, None)
    }

    /// [`Self::add_obstacle`] with the client's idempotency key kept in the same transaction.
    pub fn add_obstacle_once(
        &self,
        o: &Obstacle,
        actor: &Actor,
        at: DateTime<Utc>,
        request: Option<&str>,
    ) -> Result<Obstacle, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let stored = Obstacle {
                id: insert_obstacle(&tx, o)?,
                ..o.clone()
            };
            remember_request(&tx, request, "obstacle", stored.id, at)?;
            audit(
                &tx,
                at,
                actor,
                "obstacle.open",
                &format!("{}#{}", o.site, stored.id),
                None,
                Some(json(&stored)),
            )?;
            tx.commit()?;
            Ok(stored)
        })
    }

    /// Adds many obstacles in one transaction (an existing ledger carried over), with one audit
    /// entry that lists them.
    pub fn add_obstacles(
        &self,
        list: &[Obstacle],
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for o in list {
                insert_obstacle(&tx, o)?;
            }
            audit(
                &tx,
                at,
                actor,
                "obstacle.import",
                "obstacles",
                None,
                Some(json(&list)),
            )?;
            tx.commit()?;
            Ok(list.len())
        })
    }

    pub fn obstacle(&self, id: i64) -> Result<Option<Obstacle>, StoreError> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {OBSTACLE_COLUMNS} FROM obstacles WHERE id = ?1"),
                params![id],
                obstacle_row,
            )
            .optional()
        })
    }

    /// Replaces an obstacle by its new version, recording both.
    pub fn update_obstacle(
        &self,
        before: &Obstacle,
        after: &Obstacle,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "UPDATE obstacles SET description = ?2, responsible_unit = ?3, due = ?4, resolved = ?5, resolution = ?6
                 WHERE id = ?1",
                params![
                    after.id,
                    after.description,
                    after.responsible_unit,
                    after.due.to_string(),
                    after.resolved.map(|d| d.to_string()),
                    after.resolution
                ],
            )?;
            let action = if before.resolved.is_none() && after.resolved.is_some() {
                "obstacle.resolve"
            } else {
                "obstacle.update"
            };
            audit(
                &tx,
                at,
                actor,
                action,
                &format!("{}#{}", after.site, after.id),
                Some(json(before)),
                Some(json(after)),
            )?;
            tx.commit()
        })
    }

    /// Obstacles of one site, or all, by id.
    pub fn obstacles(&self, site: Option<&str>) -> Result<Vec<Obstacle>, StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {OBSTACLE_COLUMNS} FROM obstacles WHERE ?1 IS NULL OR site = ?1 ORDER BY id"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![site], obstacle_row)?;
            rows.collect()
        })
    }

    /// The checklist JSON of a closed month.
    pub fn closed(&self, month: Month) -> Result<Option<String>, StoreError> {
        self.with(|c| {
            c.query_row(
                "SELECT checklist FROM checklist_closed WHERE month = ?1",
                params![month.to_string()],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Freezes a month. `false` when it was closed already (nothing changes then).
    pub fn close_month(
        &self,
        month: Month,
        checklist_json: &str,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "INSERT INTO checklist_closed (month, closed_at, closed_by, checklist) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (month) DO NOTHING",
                // The person who closed it, as printed on the checklist; the audit entry below
                // names the token beside them.
                params![
                    month.to_string(),
                    ms(at),
                    actor.on_behalf.as_deref().unwrap_or(&actor.who),
                    checklist_json
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            audit(
                &tx,
                at,
                actor,
                "checklist.close",
                &month.to_string(),
                None,
                Some(checklist_json.to_string()),
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    pub fn closed_months(&self) -> Result<Vec<ClosedMonth>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT month, closed_at, closed_by FROM checklist_closed ORDER BY month",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(ClosedMonth {
                    month: r.get(0)?,
                    closed_at: from_ms(r.get(1)?),
                    closed_by: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    /// The newest audit entries, newest first.
    pub fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_before(i64::MAX, limit)
    }

    /// Audit entries with ids below `before`, newest first (paging back through the trail).
    pub fn audit_before(&self, before: i64, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, origin, action, target, before, after, on_behalf FROM audit
                 WHERE id < ?2 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map(params![limit, before], |r| {
                let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: from_ms(r.get(1)?),
                    actor: r.get(2)?,
                    origin: r.get(3)?,
                    on_behalf_of: r.get(8)?,
                    action: r.get(4)?,
                    target: r.get(5)?,
                    before: parse(r.get(6)?),
                    after: parse(r.get(7)?),
                })
            })?;
            rows.collect()
        })
    }

    /// Each site's last report on or before local day `day` (see `site_day` in the telemetry
    /// store): its agent time and power supply.
    pub fn last_reports(&self, day: NaiveDate) -> Result<HashMap<String, LastReport>, StoreError> {
        let day_no = super::sqlite::day_number(day);
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT site, max(day), last_ts, supply, interval_s FROM site_day WHERE day <= ?1 GROUP BY site",
            )?;
            let rows = stmt.query_map(params![day_no], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<u32>>(4)?,
                ))
            })?;
            let mut out = HashMap::new();
            for row in rows {
                let (site, ts, supply, interval_s) = row?;
                let supply = super::sqlite::supply_of(supply.as_deref());
                out.insert(
                    site,
                    LastReport {
                        ts: from_ms(ts),
                        supply,
                        interval_s,
                    },
                );
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored row that cannot be read is an error naming its table, key and column — never a
    /// default that an official document would print as if true.
    #[test]
    fn an_unreadable_row_is_an_error_that_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let control = ControlStore::open(&path).unwrap();
        let now = Utc::now();
        let today = now.date_naive().to_string();
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute(
                &format!(
                    "INSERT INTO obstacles ({OBSTACLE_COLUMNS}) VALUES (7, 'A01', 'access', 'd', 'u', ?1, ?1, NULL, NULL, 'r')"
                ),
                params![today],
            )
            .unwrap();
        }
        assert_eq!(control.obstacles(Some("A01")).unwrap().len(), 1);
        for (column, value) in [("kind", "flood"), ("due", "2020-13-45")] {
            let conn = Connection::open(&path).unwrap();
            conn.execute(
                &format!(
                    "UPDATE obstacles SET kind = 'access', due = ?1, {column} = ?2 WHERE id = 7"
                ),
                params![today, value],
            )
            .unwrap();
            let e = control.obstacles(Some("A01")).unwrap_err().to_string();
            assert!(
                e.contains("obstacles row 7") && e.contains(column) && e.contains(value),
                "{e}"
            );
        }
    }
}
