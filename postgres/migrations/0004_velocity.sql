-- Velocity caps (CONTRACT.md §5): the merchant's own caps (0 = the server's
-- default), the marks the counters count and one lock row per counter.
-- Times are unix milliseconds UTC, as in 0001.

ALTER TABLE merchants ADD COLUMN velocity_phones INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN velocity_cards INTEGER NOT NULL DEFAULT 0;

-- One mark per counter (a merchant's or a client address's), kind,
-- fingerprint and merchant, holding the latest time it was seen.
CREATE TABLE velocity_marks (
	counter     TEXT NOT NULL,
	kind        TEXT NOT NULL,
	fp          TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	marked_at   BIGINT NOT NULL,
	PRIMARY KEY (counter, kind, fp, oid_partner)
);
-- VelocityCount reads the window of one counter and kind from this alone.
CREATE INDEX velocity_marks_count ON velocity_marks (counter, kind, marked_at, fp);
CREATE INDEX velocity_marks_marked_at ON velocity_marks (marked_at);
CREATE INDEX velocity_marks_oid_partner ON velocity_marks (oid_partner);

-- Locked by LockVelocity; carries nothing but its key.
CREATE TABLE velocity_locks (
	counter TEXT PRIMARY KEY
);
