-- The events waiting for review (the overview's list, the events page filtered by status),
-- newest first: read in order from this index instead of gathering every event of the scope
-- and sorting them (SQLite at 10M activations: 354 ms for the nation's overview, a sort of
-- 200,000 events, against about a millisecond for this range).
CREATE INDEX events_status_start_idx ON events (status, starts_at, id);
