DROP INDEX events_date_idx;
DROP TABLE month_histogram;
DROP TABLE month_tallies;
DROP TABLE event_shares;
