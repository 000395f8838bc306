DROP INDEX events_start_idx;
