-- The nation's coverage report reads every (area, day) row of its office in the period and
-- sums them per area. With the counts in the primary key's index that is an index-only scan
-- in area order: no visit of the table and no hashing (190 -> 85-95 ms for the nation's
-- 200,000 rows at 10M activations). SQLite needs no change (migration of the same name).
ALTER TABLE area_days DROP CONSTRAINT area_days_pkey;
ALTER TABLE area_days ADD PRIMARY KEY (office_id, area_code, local_date)
    INCLUDE (events, activated, failed);
