DROP INDEX events_office_channel_idx;
DROP TABLE event_outcome_tallies;
DROP TABLE daily_tallies;
DROP TABLE event_tallies;
