-- The event list of a scope that holds every office (the national office's), newest start
-- first: read in order from this index instead of sorting the nation's events (SQLite at
-- 10M activations: 330 ms for 200,000 events).
CREATE INDEX events_start_idx ON events (starts_at, id);
