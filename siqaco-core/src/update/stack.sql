CREATE TABLE IF NOT EXISTS siqaco_runs (
  id INTEGER PRIMARY KEY, started_ns INTEGER NOT NULL, finished_ns INTEGER,
  window_start_ns INTEGER NOT NULL, window_end_ns INTEGER NOT NULL, summary TEXT
);
CREATE TABLE IF NOT EXISTS siqaco_gaps (
  id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL,
  network TEXT NOT NULL, station TEXT NOT NULL, location TEXT NOT NULL, channel TEXT NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS siqaco_gaps_run ON siqaco_gaps (run_id);
CREATE TABLE IF NOT EXISTS siqaco_requests (
  id INTEGER PRIMARY KEY,
  network TEXT NOT NULL, station TEXT NOT NULL, location TEXT NOT NULL, channel TEXT NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  state TEXT NOT NULL, reason TEXT, sources TEXT,
  created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL,
  attempts INTEGER NOT NULL, samples_added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS siqaco_requests_state ON siqaco_requests (state);
CREATE INDEX IF NOT EXISTS siqaco_requests_nslc ON siqaco_requests (network,station,location,channel,start_ns);
CREATE TABLE IF NOT EXISTS siqaco_attempts (
  id INTEGER PRIMARY KEY, request_id INTEGER NOT NULL, run_id INTEGER NOT NULL,
  source TEXT NOT NULL, started_ns INTEGER NOT NULL, finished_ns INTEGER NOT NULL,
  lines TEXT NOT NULL, bytes INTEGER NOT NULL, samples_added INTEGER NOT NULL,
  outcome TEXT NOT NULL, message TEXT
);
CREATE INDEX IF NOT EXISTS siqaco_attempts_request ON siqaco_attempts (request_id);
