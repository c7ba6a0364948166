-- Times are unix milliseconds UTC (0 = unset), as on SQLite; lists are JSON
-- arrays in text.

CREATE TABLE merchants (
	oid_partner         TEXT PRIMARY KEY,
	name                TEXT NOT NULL,
	public_keys         TEXT NOT NULL,
	sign_types          TEXT NOT NULL,
	ip_allowlist        TEXT NOT NULL,
	live                BOOLEAN NOT NULL,
	platform            TEXT NOT NULL,
	limit_per_txn       BIGINT NOT NULL,
	limit_per_day       BIGINT NOT NULL,
	limit_per_month     BIGINT NOT NULL,
	notify_extra_fields BOOLEAN NOT NULL,
	sms_code            TEXT NOT NULL,
	md5_key             BYTEA,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL
);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BYTEA
);

CREATE TABLE data_keys (
	owner      TEXT NOT NULL,
	version    INTEGER NOT NULL,
	wrapped    BYTEA,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (owner, version)
);

CREATE TABLE request_log (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	logged_at   BIGINT NOT NULL,
	path        TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	ret_code    TEXT NOT NULL,
	reason      TEXT NOT NULL
);
CREATE INDEX request_log_oid_partner ON request_log (oid_partner, id);
CREATE INDEX request_log_logged_at ON request_log (logged_at);

-- seq orders rows inserted in the same millisecond.
CREATE TABLE sms_messages (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	oid_partner TEXT NOT NULL,
	mobile_fp   TEXT NOT NULL,
	sealed      BYTEA,
	sent_at     BIGINT NOT NULL
);
CREATE INDEX sms_messages_mobile_fp ON sms_messages (mobile_fp, sent_at, seq);
CREATE INDEX sms_messages_sent_at ON sms_messages (sent_at, seq);
CREATE INDEX sms_messages_oid_partner ON sms_messages (oid_partner);

CREATE TABLE notifications (
	seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	oid_partner     TEXT NOT NULL,
	kind            TEXT NOT NULL,
	no_order        TEXT NOT NULL,
	no_refund       TEXT NOT NULL,
	url             TEXT NOT NULL,
	body            BYTEA,
	status          TEXT NOT NULL,
	attempt_count   INTEGER NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	lease_until     BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE INDEX notifications_oid_partner ON notifications (oid_partner, created_at);
CREATE INDEX notifications_no_order ON notifications (no_order);
CREATE INDEX notifications_no_refund ON notifications (no_refund);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_created_at ON notifications (created_at, seq);

CREATE TABLE notification_attempts (
	seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	attempted_at    BIGINT NOT NULL,
	http_status     INTEGER NOT NULL,
	latency_ms      BIGINT NOT NULL,
	answer          TEXT NOT NULL
);
CREATE INDEX notification_attempts_notification_id ON notification_attempts (notification_id, attempted_at, seq);

CREATE TABLE reports (
	name        TEXT PRIMARY KEY,
	oid_partner TEXT NOT NULL,
	size        BIGINT NOT NULL,
	content     BYTEA,
	created_at  BIGINT NOT NULL
);
CREATE INDEX reports_oid_partner ON reports (oid_partner, name);
