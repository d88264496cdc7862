DROP TABLE correlations;
