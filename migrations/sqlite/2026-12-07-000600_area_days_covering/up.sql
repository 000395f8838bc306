-- PostgreSQL only: its area_days primary key now carries the counts (see the migration of the
-- same name there). SQLite answers the nation's coverage within the goal from its own index.
SELECT 1;
