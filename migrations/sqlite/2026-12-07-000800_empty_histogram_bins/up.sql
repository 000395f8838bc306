-- The median histograms kept a bin after its last event moved on to a higher count, so a
-- database held a row for every count each event had passed through, all but the current
-- one empty, and the channel report's median read them all. The writes now delete a bin
-- they empty; this clears the ones left before.
DELETE FROM month_histogram WHERE events = 0;
DELETE FROM channel_day_histogram WHERE events = 0;
