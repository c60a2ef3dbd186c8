//! The simulated city and its agents. The engine lives in the library so that `sitepulse demo`
//! runs it in-process; `firmware-sim` is its command line.
//!
//! - [`scenario`] — Liaocheng's sites over eight counties with a date for every stage.
//! - [`agent`] — one agent's telemetry for its site's stage at a given time.
//! - [`runner`] — agents on MQTT, one connection each, with fault injection.
//! - [`load`] — publish as fast as the broker accepts and measure the rate.
//! - [`office`] — the plan, yearly tasks and field engineers' reports of the simulated city.
//! - [`pilots`] — the simulated city's 5G+ application pilot projects and their stages.

pub mod agent;
pub mod load;
pub mod office;
pub mod pilots;
pub mod runner;
pub mod scenario;
