-- Report roll-ups, kept in the same transaction as every sync and void, so reports over a
-- nation's tens of millions of activations read thousands of rows instead.
-- Counted activations exclude voided and repeat-citizen rows; failed excludes voided rows.

CREATE TABLE event_tallies (
    event_id TEXT PRIMARY KEY NOT NULL REFERENCES events (id),
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    -- Failures by reason, so comparing channels never reads per-reason rows.
    failed_no_smartphone INTEGER NOT NULL DEFAULT 0,
    failed_phone_no_camera INTEGER NOT NULL DEFAULT 0,
    failed_no_signal INTEGER NOT NULL DEFAULT 0,
    failed_ektp_not_recorded INTEGER NOT NULL DEFAULT 0,
    failed_data_mismatch INTEGER NOT NULL DEFAULT 0,
    failed_no_email INTEGER NOT NULL DEFAULT 0,
    failed_declined INTEGER NOT NULL DEFAULT 0,
    failed_app_error INTEGER NOT NULL DEFAULT 0,
    failed_other INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE daily_tallies (
    office_id TEXT NOT NULL REFERENCES offices (id),
    local_date DATE NOT NULL,
    activated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    PRIMARY KEY (office_id, local_date)
);
CREATE INDEX daily_tallies_date_idx ON daily_tallies (local_date);

-- Outcome x failure reason x age band per event, for the failures report.
-- failure_reason is '' for activations; age_band is 'unknown' when not recorded.
CREATE TABLE event_outcome_tallies (
    event_id TEXT NOT NULL REFERENCES events (id),
    outcome TEXT NOT NULL,
    failure_reason TEXT NOT NULL,
    age_band TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (event_id, outcome, failure_reason, age_band)
);

CREATE INDEX events_office_channel_idx ON events (office_id, channel_key, local_date);
