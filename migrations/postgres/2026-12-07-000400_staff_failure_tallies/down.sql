DROP TABLE outcome_month_tallies;
DROP TABLE staff_month_tallies;
DROP TABLE staff_shares;
