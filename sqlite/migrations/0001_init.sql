-- Times are unix milliseconds UTC (0 = unset); lists are JSON arrays;
-- booleans are 0/1. STRICT makes SQLite refuse a value of the wrong type, as
-- PostgreSQL does.

CREATE TABLE merchants (
	oid_partner         TEXT PRIMARY KEY,
	name                TEXT NOT NULL,
	public_keys         TEXT NOT NULL,
	sign_types          TEXT NOT NULL,
	ip_allowlist        TEXT NOT NULL,
	live                INTEGER NOT NULL,
	platform            TEXT NOT NULL,
	limit_per_txn       INTEGER NOT NULL,
	limit_per_day       INTEGER NOT NULL,
	limit_per_month     INTEGER NOT NULL,
	notify_extra_fields INTEGER NOT NULL,
	sms_code            TEXT NOT NULL,
	md5_key             BLOB,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB
) STRICT;

CREATE TABLE data_keys (
	owner      TEXT NOT NULL,
	version    INTEGER NOT NULL,
	wrapped    BLOB,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (owner, version)
) STRICT;

-- AUTOINCREMENT: an ID shown to operators is never reused, even after a reset.
CREATE TABLE request_log (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	logged_at   INTEGER NOT NULL,
	path        TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	ret_code    TEXT NOT NULL,
	reason      TEXT NOT NULL
) STRICT;
CREATE INDEX request_log_oid_partner ON request_log (oid_partner, id);
CREATE INDEX request_log_logged_at ON request_log (logged_at);

-- seq orders rows inserted in the same millisecond.
CREATE TABLE sms_messages (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	oid_partner TEXT NOT NULL,
	mobile_fp   TEXT NOT NULL,
	sealed      BLOB,
	sent_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX sms_messages_mobile_fp ON sms_messages (mobile_fp, sent_at, seq);
CREATE INDEX sms_messages_sent_at ON sms_messages (sent_at, seq);
CREATE INDEX sms_messages_oid_partner ON sms_messages (oid_partner);

CREATE TABLE notifications (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	oid_partner     TEXT NOT NULL,
	kind            TEXT NOT NULL,
	no_order        TEXT NOT NULL,
	no_refund       TEXT NOT NULL,
	url             TEXT NOT NULL,
	body            BLOB,
	status          TEXT NOT NULL,
	attempt_count   INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	lease_until     INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX notifications_oid_partner ON notifications (oid_partner, created_at);
CREATE INDEX notifications_no_order ON notifications (no_order);
CREATE INDEX notifications_no_refund ON notifications (no_refund);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_created_at ON notifications (created_at, seq);

CREATE TABLE notification_attempts (
	seq             INTEGER PRIMARY KEY,
	notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	attempted_at    INTEGER NOT NULL,
	http_status     INTEGER NOT NULL,
	latency_ms      INTEGER NOT NULL,
	answer          TEXT NOT NULL
) STRICT;
CREATE INDEX notification_attempts_notification_id ON notification_attempts (notification_id, attempted_at, seq);

CREATE TABLE reports (
	name        TEXT PRIMARY KEY,
	oid_partner TEXT NOT NULL,
	size        INTEGER NOT NULL,
	content     BLOB,
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX reports_oid_partner ON reports (oid_partner, name);
