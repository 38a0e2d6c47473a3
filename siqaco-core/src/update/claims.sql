-- Schema version 3, the many-workers part (`crate::update::claims`): who holds a request
-- of the stack and until when, how often it was claimed, and the workers with their lease.
-- Nullable columns, an index and a new table only: nothing of siqaco_requests is
-- rewritten. The partial index gives a claim the oldest pending request without
-- scanning past the others (claims.rs, `claim`).
ALTER TABLE siqaco_requests ADD COLUMN holder TEXT;
ALTER TABLE siqaco_requests ADD COLUMN lease_until_ns INTEGER;
ALTER TABLE siqaco_requests ADD COLUMN claims INTEGER;
CREATE TABLE IF NOT EXISTS siqaco_workers (
  worker TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL,
  started_ns INTEGER NOT NULL, lease_until_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS siqaco_requests_pending ON siqaco_requests (id)
  WHERE state IN ('new','retry','failed');
