-- Indonesia's administrative regions (Kepmendagri codes), loaded from seeds/wilayah by
-- `jemput seed wilayah` and `jemput init`. Reference data: no foreign keys point here, so a
-- newer data set can replace it wholesale.

CREATE TABLE areas (
    -- Dotted Kemendagri code: 63, 63.01, 63.01.01, 63.01.01.2001.
    code TEXT PRIMARY KEY NOT NULL,
    -- NULL for provinces.
    parent_code TEXT,
    -- province, regency, district or village.
    level TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE INDEX areas_parent_idx ON areas (parent_code);
CREATE INDEX areas_level_idx ON areas (level);
