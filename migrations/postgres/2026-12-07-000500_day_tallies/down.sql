DROP TABLE area_days;
DROP TABLE channel_day_histogram;
DROP TABLE channel_days;
DROP TABLE subtree_days;
ALTER TABLE event_shares DROP COLUMN area_code;
ALTER TABLE event_shares DROP COLUMN local_date;
