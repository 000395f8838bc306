-- Monthly roll-ups for reports over a whole province or nation: every event counts once for
-- its own office AND for each office above it (a national report reads about 11 rows a
-- month instead of one row per event). Kept in the same transaction as every sync, void,
-- event edit, staff change and office time-zone change (src/reports/rollup.rs).

-- What each event last added to month_tallies and month_histogram, so a change of the event
-- (its date, channel, cost, staff hours, counts) is applied as "take the old share out, put
-- the new one in". Staff hours are summed in millionths of an hour, exactly.
CREATE TABLE event_shares (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id),
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    channel_key TEXT NOT NULL,
    cost_idr BIGINT,
    staff_micro_hours BIGINT NOT NULL,
    staff_entries INTEGER NOT NULL,
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    failed_no_smartphone INTEGER NOT NULL,
    failed_phone_no_camera INTEGER NOT NULL,
    failed_no_signal INTEGER NOT NULL,
    failed_ektp_not_recorded INTEGER NOT NULL,
    failed_data_mismatch INTEGER NOT NULL,
    failed_no_email INTEGER NOT NULL,
    failed_declined INTEGER NOT NULL,
    failed_app_error INTEGER NOT NULL,
    failed_other INTEGER NOT NULL
);

-- Per office (its whole subtree), month of the event's local date and channel.
-- cost_events counts the events with a cost (none: the report shows no cost).
CREATE TABLE month_tallies (
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    channel_key TEXT NOT NULL,
    events INTEGER NOT NULL,
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    failed_no_smartphone INTEGER NOT NULL,
    failed_phone_no_camera INTEGER NOT NULL,
    failed_no_signal INTEGER NOT NULL,
    failed_ektp_not_recorded INTEGER NOT NULL,
    failed_data_mismatch INTEGER NOT NULL,
    failed_no_email INTEGER NOT NULL,
    failed_declined INTEGER NOT NULL,
    failed_app_error INTEGER NOT NULL,
    failed_other INTEGER NOT NULL,
    cost_idr BIGINT NOT NULL,
    cost_events INTEGER NOT NULL,
    staff_micro_hours BIGINT NOT NULL,
    staff_entries INTEGER NOT NULL,
    PRIMARY KEY (office_id, month, channel_key)
);

-- How many events of the subtree, month and channel counted how many activations: the
-- channel report's median without reading one row per event.
CREATE TABLE month_histogram (
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    channel_key TEXT NOT NULL,
    activated INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (office_id, month, channel_key, activated)
);

-- A period that starts or ends mid-month reads those partial months per event, by date.
CREATE INDEX events_date_idx ON events (local_date);

-- Events stored before this migration (the same statements as rollup::rebuild).
INSERT INTO event_shares (event_id, office_id, month, channel_key, cost_idr, staff_micro_hours, staff_entries,
    activated, failed, failed_no_smartphone, failed_phone_no_camera, failed_no_signal, failed_ektp_not_recorded,
    failed_data_mismatch, failed_no_email, failed_declined, failed_app_error, failed_other)
SELECT e.id, e.office_id, CAST(date_trunc('month', e.local_date) AS DATE), e.channel_key, e.cost_idr, COALESCE(s.micro, 0), COALESCE(s.n, 0),
    COALESCE(t.activated, 0), COALESCE(t.failed, 0), COALESCE(t.failed_no_smartphone, 0),
    COALESCE(t.failed_phone_no_camera, 0), COALESCE(t.failed_no_signal, 0), COALESCE(t.failed_ektp_not_recorded, 0),
    COALESCE(t.failed_data_mismatch, 0), COALESCE(t.failed_no_email, 0), COALESCE(t.failed_declined, 0),
    COALESCE(t.failed_app_error, 0), COALESCE(t.failed_other, 0)
FROM events e
LEFT JOIN event_tallies t ON t.event_id = e.id
LEFT JOIN (SELECT event_id, SUM(CAST(ROUND(hours * 1000000) AS BIGINT)) AS micro, COUNT(*) AS n
           FROM event_staff GROUP BY event_id) s ON s.event_id = e.id;

INSERT INTO month_tallies (office_id, month, channel_key, events, activated, failed, failed_no_smartphone,
    failed_phone_no_camera, failed_no_signal, failed_ektp_not_recorded, failed_data_mismatch, failed_no_email,
    failed_declined, failed_app_error, failed_other, cost_idr, cost_events, staff_micro_hours, staff_entries)
SELECT a.id, s.month, s.channel_key, COUNT(*), SUM(s.activated), SUM(s.failed), SUM(s.failed_no_smartphone),
    SUM(s.failed_phone_no_camera), SUM(s.failed_no_signal), SUM(s.failed_ektp_not_recorded),
    SUM(s.failed_data_mismatch), SUM(s.failed_no_email), SUM(s.failed_declined), SUM(s.failed_app_error),
    SUM(s.failed_other), COALESCE(SUM(s.cost_idr), 0), COUNT(s.cost_idr), SUM(s.staff_micro_hours), SUM(s.staff_entries)
FROM event_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.month, s.channel_key;

INSERT INTO month_histogram (office_id, month, channel_key, activated, events)
SELECT a.id, s.month, s.channel_key, s.activated, COUNT(*)
FROM event_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.month, s.channel_key, s.activated;
