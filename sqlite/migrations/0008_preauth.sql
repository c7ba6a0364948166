-- Pre-authorisation (CONTRACT-easypay-payouts §4.6): the one capture or
-- cancel of an authorisation (an easypay order with pay_type F). Times are
-- unix milliseconds UTC, amounts fen, as in 0003. The authorisation itself
-- is its order; its state before any capture or cancel follows the order.

CREATE TABLE preauths (
	oid_paybill  TEXT PRIMARY KEY,
	oid_partner  TEXT NOT NULL,
	kind         TEXT NOT NULL,
	state        TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	money_order  TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	sealed       BLOB,
	settle_date  TEXT NOT NULL,
	done_at      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;
-- SettledCaptures, and Reset by merchant.
CREATE INDEX preauths_done_at ON preauths (oid_partner, kind, done_at, oid_paybill);
