-- Nothing to put back: an empty bin counts no event.
SELECT 1;
