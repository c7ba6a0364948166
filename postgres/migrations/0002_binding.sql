-- Users, agreements, challenges, the simulated issuer's cardholder registry
-- and the SMS send log behind the caps. Times are unix milliseconds UTC
-- (0 = unset), as in 0001.

CREATE TABLE users (
	scope       TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	person_fp   TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (scope, user_id)
);
CREATE INDEX users_oid_partner ON users (oid_partner);

CREATE TABLE agreements (
	no_agree    TEXT PRIMARY KEY,
	scope       TEXT NOT NULL,
	oid_partner TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	person_fp   TEXT NOT NULL,
	card_fp     TEXT NOT NULL,
	card_last4  TEXT NOT NULL,
	bank_code   TEXT NOT NULL,
	card_type   TEXT NOT NULL,
	family      TEXT NOT NULL,
	mobile_mask TEXT NOT NULL,
	sealed      BYTEA,
	status      TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	unbound_at  BIGINT NOT NULL
);
-- At most one active agreement per user and card, even between concurrent
-- binds: the index, not a read-then-insert, decides.
CREATE UNIQUE INDEX agreements_active_card ON agreements (scope, user_id, card_fp) WHERE status = 'active';
CREATE INDEX agreements_user ON agreements (scope, user_id, created_at, no_agree);
CREATE INDEX agreements_scope ON agreements (scope, created_at, no_agree);
CREATE INDEX agreements_oid_partner ON agreements (oid_partner);

-- seq orders challenges created in the same millisecond.
CREATE TABLE challenges (
	seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token        TEXT NOT NULL UNIQUE,
	kind         TEXT NOT NULL,
	oid_partner  TEXT NOT NULL,
	scope        TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	ref          TEXT NOT NULL,
	mobile_fp    TEXT NOT NULL,
	code_hash    TEXT NOT NULL,
	code_sent_at BIGINT NOT NULL,
	wrong_count  INTEGER NOT NULL,
	state        TEXT NOT NULL,
	expires_at   BIGINT NOT NULL,
	sealed       BYTEA,
	person_fp    TEXT NOT NULL,
	card_last4   TEXT NOT NULL,
	bank_code    TEXT NOT NULL,
	card_type    TEXT NOT NULL,
	family       TEXT NOT NULL,
	mobile_mask  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX challenges_live ON challenges (kind, oid_partner, user_id, ref, state, expires_at);
CREATE INDEX challenges_oid_partner ON challenges (oid_partner);

CREATE TABLE cardholders (
	card_fp    TEXT PRIMARY KEY,
	person_fp  TEXT NOT NULL,
	name_fp    TEXT NOT NULL,
	mobile_fp  TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

CREATE TABLE sms_sends (
	seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	key         TEXT NOT NULL,
	sent_at     BIGINT NOT NULL,
	oid_partner TEXT NOT NULL
);
CREATE INDEX sms_sends_key ON sms_sends (kind, key, sent_at);
CREATE INDEX sms_sends_oid_partner ON sms_sends (oid_partner);
