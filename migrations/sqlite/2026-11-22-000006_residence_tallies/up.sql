-- Counted activations by the citizen's home district (the NIK's first six digits, "DD.DD.DD";
-- '' when no NIK came), per office and year of the activation's local date, kept in the same
-- transaction as every sync and void. The progress and offices reports compare the district
-- with the office's region at read time, so each regency is credited with its own residents
-- (and an office's code may change without a recount).
CREATE TABLE residence_tallies (
    office_id TEXT NOT NULL REFERENCES offices (id),
    year INTEGER NOT NULL,
    home_district TEXT NOT NULL,
    activated INTEGER NOT NULL,
    PRIMARY KEY (office_id, year, home_district)
);

-- Activations stored before this migration.
INSERT INTO residence_tallies (office_id, year, home_district, activated)
SELECT office_id, CAST(substr(local_date, 1, 4) AS INTEGER), COALESCE(home_district, ''), COUNT(*)
FROM activations
WHERE outcome = 'activated' AND NOT repeat_citizen AND voided_at IS NULL
GROUP BY office_id, CAST(substr(local_date, 1, 4) AS INTEGER), COALESCE(home_district, '');
