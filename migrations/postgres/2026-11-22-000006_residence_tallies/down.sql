DROP TABLE residence_tallies;
