DROP INDEX events_status_start_idx;
