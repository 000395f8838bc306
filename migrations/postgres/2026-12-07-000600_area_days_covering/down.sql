ALTER TABLE area_days DROP CONSTRAINT area_days_pkey;
ALTER TABLE area_days ADD PRIMARY KEY (office_id, area_code, local_date);
