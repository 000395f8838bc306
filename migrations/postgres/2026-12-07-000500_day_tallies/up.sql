-- Per-day roll-ups per office subtree (issue 13), so the nation's series, a period cut
-- mid-month and the coverage report read a row per day (or per area and day) instead of one
-- per office and day or per event. Like month_tallies, every row counts for its own office
-- AND each office above it. Kept in the same transaction as the rows they count
-- (src/tallies/days.rs).

-- The event's day and area, so the share an event last added can be taken out of them.
ALTER TABLE event_shares ADD COLUMN local_date DATE NOT NULL DEFAULT '2000-01-01';
ALTER TABLE event_shares ADD COLUMN area_code TEXT NOT NULL DEFAULT '';

-- daily_tallies summed per office subtree: counted activations and failures per local day
-- of the activation (the daily, weekly and monthly series).
CREATE TABLE subtree_days (
    office_id TEXT NOT NULL REFERENCES offices (id),
    local_date DATE NOT NULL,
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    PRIMARY KEY (office_id, local_date)
);

-- month_tallies per day of the event's local date: the partial months of a channel report.
CREATE TABLE channel_days (
    office_id TEXT NOT NULL REFERENCES offices (id),
    local_date DATE NOT NULL,
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
    PRIMARY KEY (office_id, local_date, channel_key)
);

-- month_histogram per day: the exact median over a partial month.
CREATE TABLE channel_day_histogram (
    office_id TEXT NOT NULL REFERENCES offices (id),
    local_date DATE NOT NULL,
    channel_key TEXT NOT NULL,
    activated INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (office_id, local_date, channel_key, activated)
);

-- Events per office subtree, area ('' without one) and local day: the coverage report
-- (a day kept, so the last visit of a period is exact and survives an event moving away).
CREATE TABLE area_days (
    office_id TEXT NOT NULL REFERENCES offices (id),
    area_code TEXT NOT NULL,
    local_date DATE NOT NULL,
    events INTEGER NOT NULL,
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    PRIMARY KEY (office_id, area_code, local_date)
);

-- Rows stored before this migration (the statements of tallies::rebuild_days).
UPDATE event_shares SET local_date = e.local_date, area_code = COALESCE(e.area_code, '')
FROM events e WHERE e.id = event_shares.event_id;

INSERT INTO subtree_days (office_id, local_date, activated, failed)
SELECT a.id, d.local_date, SUM(d.activated), SUM(d.failed)
FROM daily_tallies d
JOIN offices o ON o.id = d.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, d.local_date;

INSERT INTO channel_days (office_id, local_date, channel_key, events, activated, failed,
    failed_no_smartphone, failed_phone_no_camera, failed_no_signal, failed_ektp_not_recorded, failed_data_mismatch, failed_no_email, failed_declined, failed_app_error, failed_other,
    cost_idr, cost_events, staff_micro_hours, staff_entries)
SELECT a.id, s.local_date, s.channel_key, COUNT(*), SUM(s.activated), SUM(s.failed),
    SUM(s.failed_no_smartphone), SUM(s.failed_phone_no_camera), SUM(s.failed_no_signal), SUM(s.failed_ektp_not_recorded), SUM(s.failed_data_mismatch), SUM(s.failed_no_email), SUM(s.failed_declined), SUM(s.failed_app_error), SUM(s.failed_other),
    COALESCE(SUM(s.cost_idr), 0), COUNT(s.cost_idr), SUM(s.staff_micro_hours), SUM(s.staff_entries)
FROM event_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.local_date, s.channel_key;

INSERT INTO channel_day_histogram (office_id, local_date, channel_key, activated, events)
SELECT a.id, s.local_date, s.channel_key, s.activated, COUNT(*)
FROM event_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.local_date, s.channel_key, s.activated;

INSERT INTO area_days (office_id, area_code, local_date, events, activated, failed)
SELECT a.id, s.area_code, s.local_date, COUNT(*), SUM(s.activated), SUM(s.failed)
FROM event_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.area_code, s.local_date;
