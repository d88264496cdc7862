DROP TABLE insight_segments;
