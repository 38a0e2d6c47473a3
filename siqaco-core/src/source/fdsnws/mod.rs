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
pub use dataselect::FdsnDataselect;
