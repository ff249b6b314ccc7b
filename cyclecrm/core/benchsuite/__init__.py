"""The scale benchmark suite (`cyclecrm bench`, `make bench`): a realistic data set at scale on
SQLite and PostgreSQL, measured through the real stack (a production HTTP server, real jobs,
a real SMTP sink), written to bench/results/latest.json and a markdown table."""
