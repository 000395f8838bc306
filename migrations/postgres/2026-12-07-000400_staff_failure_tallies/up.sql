-- Roll-ups for the staff and failure reports over a whole province or nation (issue 13):
-- like month_tallies, every row counts for its own office AND each office above it, so a
-- nation's year reads a few thousand rows instead of every activation. Kept in the same
-- transaction as every sync, void, event edit, staff change and time-zone change
-- (src/reports/rollup.rs, src/reports/staff_tallies.rs).

-- What each (event, staff member) last added to staff_month_tallies: the member recorded
-- activations at the event or logged hours on it (records counts every stored, not voided
-- activation, repeat citizens included: they make the member part of the event).
CREATE TABLE staff_shares (
    event_id TEXT NOT NULL REFERENCES events (id),
    user_id TEXT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    records INTEGER NOT NULL,
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
    staff_micro_hours BIGINT NOT NULL,
    staff_entries INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
);

-- Per office (its whole subtree), month of the event's local date and staff member.
-- events: the events the member worked (staff_shares rows).
CREATE TABLE staff_month_tallies (
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    user_id TEXT NOT NULL,
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
    staff_micro_hours BIGINT NOT NULL,
    staff_entries INTEGER NOT NULL,
    PRIMARY KEY (office_id, month, user_id)
);

-- event_outcome_tallies summed per office (its whole subtree), month of the event's local
-- date and the event's channel: the failure report's figures.
CREATE TABLE outcome_month_tallies (
    office_id TEXT NOT NULL REFERENCES offices (id),
    month DATE NOT NULL,
    channel_key TEXT NOT NULL,
    outcome TEXT NOT NULL,
    failure_reason TEXT NOT NULL,
    age_band TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (office_id, month, channel_key, outcome, failure_reason, age_band)
);

-- Events and activations stored before this migration (the same statements as
-- rollup::rebuild_months).
INSERT INTO staff_shares (event_id, user_id, office_id, month, records, activated, failed,
    failed_no_smartphone, failed_phone_no_camera, failed_no_signal, failed_ektp_not_recorded, failed_data_mismatch, failed_no_email, failed_declined, failed_app_error, failed_other, staff_micro_hours, staff_entries)
SELECT x.event_id, x.user_id, e.office_id, CAST(date_trunc('month', e.local_date) AS DATE), SUM(x.records), SUM(x.activated), SUM(x.failed),
    SUM(x.failed_no_smartphone), SUM(x.failed_phone_no_camera), SUM(x.failed_no_signal), SUM(x.failed_ektp_not_recorded), SUM(x.failed_data_mismatch), SUM(x.failed_no_email), SUM(x.failed_declined), SUM(x.failed_app_error), SUM(x.failed_other), SUM(x.micro), SUM(x.entries)
FROM (
    SELECT event_id, staff_id AS user_id, COUNT(*) AS records,
        SUM(CASE WHEN outcome = 'activated' AND NOT repeat_citizen THEN 1 ELSE 0 END) AS activated,
        SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'no_smartphone' THEN 1 ELSE 0 END) AS failed_no_smartphone,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'phone_no_camera' THEN 1 ELSE 0 END) AS failed_phone_no_camera,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'no_signal' THEN 1 ELSE 0 END) AS failed_no_signal,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'ektp_not_recorded' THEN 1 ELSE 0 END) AS failed_ektp_not_recorded,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'data_mismatch' THEN 1 ELSE 0 END) AS failed_data_mismatch,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'no_email' THEN 1 ELSE 0 END) AS failed_no_email,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'declined' THEN 1 ELSE 0 END) AS failed_declined,
        SUM(CASE WHEN outcome = 'failed' AND failure_reason = 'app_error' THEN 1 ELSE 0 END) AS failed_app_error,
        SUM(CASE WHEN outcome = 'failed' AND (failure_reason IS NULL OR failure_reason NOT IN ('no_smartphone', 'phone_no_camera', 'no_signal', 'ektp_not_recorded', 'data_mismatch', 'no_email', 'declined', 'app_error')) THEN 1 ELSE 0 END) AS failed_other,
        CAST(0 AS BIGINT) AS micro, 0 AS entries
    FROM activations WHERE voided_at IS NULL GROUP BY event_id, staff_id
    UNION ALL
    SELECT event_id, user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        CAST(ROUND(hours * 1000000) AS BIGINT), 1
    FROM event_staff
) x
JOIN events e ON e.id = x.event_id
GROUP BY x.event_id, x.user_id, e.office_id, e.local_date;

INSERT INTO staff_month_tallies (office_id, month, user_id, events, activated, failed,
    failed_no_smartphone, failed_phone_no_camera, failed_no_signal, failed_ektp_not_recorded, failed_data_mismatch, failed_no_email, failed_declined, failed_app_error, failed_other, staff_micro_hours, staff_entries)
SELECT a.id, s.month, s.user_id, COUNT(*), SUM(s.activated), SUM(s.failed),
    SUM(s.failed_no_smartphone), SUM(s.failed_phone_no_camera), SUM(s.failed_no_signal), SUM(s.failed_ektp_not_recorded), SUM(s.failed_data_mismatch), SUM(s.failed_no_email), SUM(s.failed_declined), SUM(s.failed_app_error), SUM(s.failed_other), SUM(s.staff_micro_hours), SUM(s.staff_entries)
FROM staff_shares s
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.month, s.user_id;

INSERT INTO outcome_month_tallies (office_id, month, channel_key, outcome, failure_reason, age_band, n)
SELECT a.id, s.month, s.channel_key, t.outcome, t.failure_reason, t.age_band, SUM(t.n)
FROM event_outcome_tallies t
JOIN event_shares s ON s.event_id = t.event_id
JOIN offices o ON o.id = s.office_id
JOIN offices a ON substr(o.path, 1, length(a.path)) = a.path
GROUP BY a.id, s.month, s.channel_key, t.outcome, t.failure_reason, t.age_band;
