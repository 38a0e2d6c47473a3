//! The state every handler shares: the settings and a pool of open catalogues.

use crate::error::FdsnError;
use crate::ServeSettings;
use siqaco::index::Catalogue;
use siqaco::ops::fdsnws::station::StationInventory;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Most open catalogues kept idle between requests (each a SQLite handle or a PostgreSQL
/// connection); one more is opened while more requests run at once and closed after.
pub const MAX_IDLE_CATALOGUES: usize = 8;

/// The shared state of the server (cheap to clone: one `Arc`).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// The settings served.
    pub settings: ServeSettings,
    /// When the server started.
    pub started: Instant,
    /// The StationXML files of the settings, read once at start (fdsnws-station).
    pub stations: Arc<StationInventory>,
    /// Open read-only catalogues not in use (a [`Catalogue`] is used by one thread at a
    /// time; each blocking task takes one and gives it back).
    idle: Mutex<Vec<Catalogue>>,
}

impl Drop for Shared {
    /// Closes the idle catalogues on a thread of their own: a PostgreSQL connection closes
    /// by blocking on its own runtime, which cannot happen on one of tokio's (the last
    /// [`AppState`] is dropped there when the server stops).
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl AppState {
    /// The state for `settings`: opens the catalogue once to check it can be read and
    /// reads the StationXML files.
    ///
    /// # Errors
    /// [`siqaco::Error::Database`] when the catalogue cannot be opened; the error of
    /// [`StationInventory::load`] (the file, line and column) for a StationXML file that
    /// cannot be read.
    pub fn new(settings: ServeSettings) -> siqaco::Result<AppState> {
        let first = Catalogue::open_read_only(&settings.catalogue)?;
        let stations = Arc::new(StationInventory::load(&settings.stationxml)?);
        Ok(AppState(Arc::new(Shared {
            settings,
            started: Instant::now(),
            stations,
            idle: Mutex::new(vec![first]),
        })))
    }

    /// The shared state.
    pub fn shared(&self) -> &Shared {
        &self.0
    }

    /// The settings served.
    pub fn settings(&self) -> &ServeSettings {
        &self.0.settings
    }

    /// How many open catalogues wait idle (at most [`MAX_IDLE_CATALOGUES`]).
    pub fn idle_catalogues(&self) -> usize {
        self.0.idle.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The StationXML inventory served by fdsnws-station.
    pub fn stations(&self) -> &Arc<StationInventory> {
        &self.0.stations
    }

    /// Runs `f` with a catalogue on tokio's blocking pool (SQLite and PostgreSQL calls
    /// block), and returns its result; a catalogue is opened when none is idle and given
    /// back to the pool afterwards, unless [`MAX_IDLE_CATALOGUES`] are idle already.
    ///
    /// # Errors
    /// [`FdsnError`] from `f`'s error, from opening a catalogue (500), or when the task
    /// panicked (500).
    pub async fn with_catalogue<T, F>(&self, f: F) -> Result<T, FdsnError>
    where
        T: Send + 'static,
        F: FnOnce(&Catalogue) -> siqaco::Result<T> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let taken = state.0.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let cat = match taken {
                Some(c) => c,
                None => Catalogue::open_read_only(&state.0.settings.catalogue)?,
            };
            let out = f(&cat);
            let mut idle = state.0.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < MAX_IDLE_CATALOGUES {
                idle.push(cat);
            }
            out
        })
        .await
        .map_err(|e| FdsnError::internal(format!("task failed: {e}")))?
        .map_err(FdsnError::from)
    }
}
