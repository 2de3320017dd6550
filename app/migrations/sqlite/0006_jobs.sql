-- Scheduled jobs: each run of a job (its name and the start of its period) is claimed by one
-- replica, the first to insert it.
CREATE TABLE job_runs (
    name        TEXT NOT NULL,
    period      BIGINT NOT NULL,
    claimed_at  BIGINT NOT NULL,
    finished_at BIGINT,
    outcome     TEXT,
    PRIMARY KEY (name, period)
);
CREATE INDEX job_runs_claimed ON job_runs (claimed_at);
