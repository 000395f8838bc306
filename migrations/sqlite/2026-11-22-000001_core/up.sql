-- Core schema. Mirrored in migrations/sqlite and migrations/postgres with only the column
-- types both backends share: ids are UUID text, times naive UTC TIMESTAMP, local dates DATE.

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE offices (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id TEXT REFERENCES offices (id),
    timezone TEXT NOT NULL,
    -- '/<root id>/.../<own id>/': an office's scope is every office whose path starts with its own.
    path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX offices_code_key ON offices (code);
CREATE INDEX offices_parent_idx ON offices (parent_id);
CREATE INDEX offices_path_idx ON offices (path);

CREATE TABLE targets (
    office_id TEXT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    eligible_population BIGINT NOT NULL,
    target_percent DOUBLE PRECISION NOT NULL,
    baseline_activations BIGINT NOT NULL,
    baseline_date DATE,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (office_id, year)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices (id),
    active BOOLEAN NOT NULL,
    -- Bumped on deactivation and password change; access tokens carry it, so both stop every
    -- token on the very next request.
    auth_epoch INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE INDEX users_office_idx ON users (office_id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE login_throttle (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    window_start TIMESTAMP NOT NULL,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    office_id TEXT,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT,
    detail TEXT,
    client_addr TEXT
);
CREATE INDEX audit_log_office_idx ON audit_log (office_id, id);

CREATE TABLE channels (
    id TEXT PRIMARY KEY NOT NULL,
    office_id TEXT REFERENCES offices (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    name_id TEXT NOT NULL,
    builtin BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX channels_office_key ON channels (office_id, key);
CREATE INDEX channels_key_idx ON channels (key);

CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices (id),
    channel_key TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    -- Local date of starts_at in the office's time zone, computed on write: reports group by it.
    local_date DATE NOT NULL,
    area_code TEXT,
    venue TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    cost_idr BIGINT,
    notes TEXT,
    status TEXT NOT NULL,
    review_comment TEXT,
    reviewed_by TEXT,
    reviewed_at TIMESTAMP,
    content_hash TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX events_office_date_idx ON events (office_id, local_date);
CREATE INDEX events_updated_idx ON events (updated_at, id);

CREATE TABLE event_staff (
    event_id TEXT NOT NULL REFERENCES events (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    hours DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_staff_user_idx ON event_staff (user_id);

CREATE TABLE activations (
    id TEXT PRIMARY KEY NOT NULL,
    event_id TEXT NOT NULL REFERENCES events (id),
    office_id TEXT NOT NULL REFERENCES offices (id),
    channel_key TEXT NOT NULL,
    staff_id TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL,
    -- Local date of recorded_at in the event office's time zone, computed on write.
    local_date DATE NOT NULL,
    outcome TEXT NOT NULL,
    failure_reason TEXT,
    age_band TEXT,
    sex TEXT,
    area_code TEXT,
    nik_hash TEXT,
    home_district TEXT,
    repeat_citizen BOOLEAN NOT NULL,
    content_hash TEXT NOT NULL,
    voided_at TIMESTAMP,
    voided_by TEXT,
    void_reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX activations_event_idx ON activations (event_id);
CREATE INDEX activations_office_date_idx ON activations (office_id, local_date);
CREATE INDEX activations_staff_idx ON activations (staff_id);

-- First counted activation of a citizen (keyed NIK hash) per office: the primary key makes
-- repeat detection race-free across concurrent syncs and servers.
CREATE TABLE citizens (
    office_id TEXT NOT NULL REFERENCES offices (id),
    nik_hash TEXT NOT NULL,
    first_activation_id TEXT NOT NULL,
    PRIMARY KEY (office_id, nik_hash)
);
