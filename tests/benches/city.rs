//! A simulated city written into a store the way ingest and people would: reports for every
//! stage reached and one recent report per site, then the plan. Shared by the benchmarks.

use chrono::{DateTime, Duration, Utc};
use sitepulse::config::Config;
use sitepulse::domain::actor::Actor;
use sitepulse::domain::message::Message;
use sitepulse::sim::agent::Agent;
use sitepulse::sim::office;
use sitepulse::sim::scenario::SitePlan;
use sitepulse::store::control::ControlStore;
use sitepulse::store::sqlite::SqliteStore;
use sitepulse::store::{Envelope, Store};

/// Fills the store at `config.store.path`; returns the number of reports written.
pub fn fill_store(config: &Config, plans: &[SitePlan], now: DateTime<Utc>) -> usize {
    let mut store = SqliteStore::open(&config.store.path, 1000).unwrap();
    let mut batch = Vec::with_capacity(5000);
    let mut n = 0;
    for (i, p) in plans.iter().enumerate() {
        let mut agent = Agent::new(p.clone(), i as u64, 300);
        let mut times: Vec<DateTime<Utc>> =
            p.reached.iter().copied().filter(|t| *t <= now).collect();
        times.push(now - Duration::minutes((i % 4000) as i64));
        for t in times {
            let status = agent.next_status(t);
            batch.push(Envelope {
                topic: format!("sitepulse/v1/sites/{}/status", status.site),
                payload: serde_json::to_vec(&status).unwrap().into(),
                received: t,
                decoded: Ok(Message::Status {
                    status: Box::new(status),
                    skewed: false,
                }),
            });
            if batch.len() == 5000 {
                n += batch.len();
                store.commit(&batch).unwrap();
                batch.clear();
            }
        }
    }
    n += batch.len();
    store.commit(&batch).unwrap();
    drop(store);
    let control = ControlStore::open(&config.store.path).unwrap();
    let planned: Vec<_> = plans.iter().map(office::planned).collect();
    control
        .import_plan(&planned, "bench", &Actor::cli("bench"), now, &|_, _| {})
        .unwrap();
    n
}
