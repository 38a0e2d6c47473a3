//! Clients of the FDSN web services (FDSN Web Service Specifications 1.2).
//!
//! * [`client`]: the HTTP client all of them share (options, credentials, deadlines,
//!   retries, `Retry-After`, capped bodies, the EIDA token exchange);
//! * [`dataselect`]: the fdsnws-dataselect [`Source`](super::Source), [`FdsnDataselect`];
//! * [`availability`]: fdsnws-availability, which times a server has;
//! * [`station`]: fdsnws-station, which streams exist.
//!
//! The modules form a tree: `dataselect` uses `availability` and `client`, `availability`
//! and `station` use `client` only, and `client` uses none of them.

pub mod availability;
pub mod client;
pub mod dataselect;
pub mod station;

pub use client::{AvailabilityMode, Credentials, FdsnOptions};

/// The `tracing` target of the FDSN clients' events (one DEBUG event per dataselect
/// request, a WARN event per retry), whichever module sends them: the name users filter
/// on (`SIQACO_LOG=siqaco::source::fdsn=debug`, the Python logger `siqaco.source.fdsn`,
/// docs/python.md), kept from before the clients were split into modules.
pub(crate) const LOG_TARGET: &str = "siqaco::source::fdsn";
pub use dataselect::FdsnDataselect;
