-- Payments and refunds, and the per-person lock rows that serialize limit
-- checks. Times are unix milliseconds UTC (0 = unset), amounts are fen, as in
-- 0001 and 0002.

CREATE TABLE orders (
	oid_paybill  TEXT PRIMARY KEY,
	oid_partner  TEXT NOT NULL,
	no_order     TEXT NOT NULL,
	dt_order     TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	scope        TEXT NOT NULL,
	person_fp    TEXT NOT NULL,
	no_agree     TEXT NOT NULL,
	card_fp      TEXT NOT NULL,
	card_mask    TEXT NOT NULL,
	bank_code    TEXT NOT NULL,
	card_type    TEXT NOT NULL,
	pay_type     TEXT NOT NULL,
	busi_partner TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	money_order  TEXT NOT NULL,
	sign_type    TEXT NOT NULL,
	notify_url   TEXT NOT NULL,
	status       TEXT NOT NULL,
	memo         TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	token        TEXT NOT NULL,
	sealed       BLOB,
	valid_until  INTEGER NOT NULL,
	settle_at    INTEGER NOT NULL,
	settle_date  TEXT NOT NULL,
	counted_at   INTEGER NOT NULL,
	paid_at      INTEGER NOT NULL,
	refunded     INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (oid_partner, no_order)
) STRICT;
-- Spent: one person's counted orders with one merchant.
CREATE INDEX orders_spent ON orders (oid_partner, person_fp, counted_at);
-- DueOrders: one index per arm of its UNION ALL, in the order it returns.
CREATE INDEX orders_valid_until ON orders (status, valid_until, oid_paybill);
CREATE INDEX orders_settle_at ON orders (status, settle_at, oid_paybill);
-- SettledOrders.
CREATE INDEX orders_paid_at ON orders (oid_partner, status, paid_at, oid_paybill);

CREATE TABLE refunds (
	oid_refundno TEXT PRIMARY KEY,
	oid_partner  TEXT NOT NULL,
	no_refund    TEXT NOT NULL,
	dt_refund    TEXT NOT NULL,
	oid_paybill  TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	money_refund TEXT NOT NULL,
	sign_type    TEXT NOT NULL,
	notify_url   TEXT NOT NULL,
	status       TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	settle_at    INTEGER NOT NULL,
	settle_date  TEXT NOT NULL,
	settled_at   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (oid_partner, no_refund)
) STRICT;
-- RefundsOf.
CREATE INDEX refunds_oid_paybill ON refunds (oid_paybill, created_at, oid_refundno);
-- DueRefunds.
CREATE INDEX refunds_settle_at ON refunds (status, settle_at, oid_refundno);
-- SettledRefunds.
CREATE INDEX refunds_settled_at ON refunds (oid_partner, status, settled_at, oid_refundno);

-- One row per person and merchant, created on first use and locked by
-- LockPerson; it carries nothing but its key.
CREATE TABLE person_locks (
	oid_partner TEXT NOT NULL,
	person_fp   TEXT NOT NULL,
	PRIMARY KEY (oid_partner, person_fp)
) STRICT, WITHOUT ROWID;
