-- The development clock (BC_DEV_CLOCK=1 only): how far the server's time runs ahead of the
-- system's, so that what waits for time (arrears periods, rating after midnight, expiry,
-- reminders) can be tried in minutes. One row, kept in the database so that every replica
-- reads the same time; it only ever moves forward.
CREATE TABLE dev_clock (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    lead_ms  BIGINT NOT NULL CHECK (lead_ms >= 0),
    moved_at BIGINT NOT NULL
);
