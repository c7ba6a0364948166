-- The hosted cashier (CONTRACT-easypay-payouts.md §4.2-4.4): one session per
-- checkout entry, found by its token (the page's only capability) or by the
-- merchant's no_order (a refreshed merchant page resumes it). The request's
-- free text and preset card are sealed; times are unix milliseconds UTC.
CREATE TABLE checkouts (
	token        TEXT PRIMARY KEY,
	oid_partner  TEXT NOT NULL,
	no_order     TEXT NOT NULL,
	flavour      TEXT NOT NULL,
	route        TEXT NOT NULL,
	user_id      TEXT NOT NULL,
	scope        TEXT NOT NULL,
	dt_order     TEXT NOT NULL,
	busi_partner TEXT NOT NULL,
	amount       BIGINT NOT NULL,
	money_order  TEXT NOT NULL,
	notify_url   TEXT NOT NULL,
	url_return   TEXT NOT NULL,
	back_url     TEXT NOT NULL,
	pay_type     TEXT NOT NULL,
	sign_type    TEXT NOT NULL,
	bg_color     TEXT NOT NULL,
	font_color   TEXT NOT NULL,
	sync_notify  BOOLEAN NOT NULL,
	flag_modify  BOOLEAN NOT NULL,
	no_agree     TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	valid_order  BIGINT NOT NULL,
	oid_paybill  TEXT NOT NULL,
	fail_code    TEXT NOT NULL,
	returned_at  BIGINT NOT NULL,
	sealed       BYTEA,
	expires_at   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	UNIQUE (oid_partner, no_order)
);
-- The admin lists: newest first, of one merchant or of all; returns by when.
CREATE INDEX checkouts_list ON checkouts (created_at, token);
CREATE INDEX checkouts_returned ON checkouts (returned_at, token);
