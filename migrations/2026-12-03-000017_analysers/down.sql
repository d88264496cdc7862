DROP TABLE analysis_findings;
DROP TABLE analysers;
