-- Velocity caps (CONTRACT.md §5): the merchant's own caps (0 = the server's
-- default), and the counters: per counter (a merchant's or a client
-- address's) and kind, one mark per fingerprint with the latest time it was
-- seen, and how many marks there are. Times are unix milliseconds UTC, as
-- in 0001.

ALTER TABLE merchants ADD COLUMN velocity_phones INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN velocity_cards INTEGER NOT NULL DEFAULT 0;

-- oid_partner is the merchant whose request marked it last.
CREATE TABLE velocity_marks (
	counter     TEXT NOT NULL,
	kind        TEXT NOT NULL,
	fp          TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	marked_at   BIGINT NOT NULL,
	PRIMARY KEY (counter, kind, fp)
);
-- Expiry of a counter's old marks, and PruneVelocity's idle test.
CREATE INDEX velocity_marks_marked_at ON velocity_marks (counter, kind, marked_at);
CREATE INDEX velocity_marks_oid_partner ON velocity_marks (oid_partner);

-- n is the number of the counter's marks of that kind; the row is also
-- what LockVelocity locks.
CREATE TABLE velocity_counts (
	counter TEXT NOT NULL,
	kind    TEXT NOT NULL,
	n       BIGINT NOT NULL,
	PRIMARY KEY (counter, kind)
);
