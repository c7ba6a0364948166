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
	amount       INTEGER NOT NULL,
	money_order  TEXT NOT NULL,
	notify_url   TEXT NOT NULL,
	url_return   TEXT NOT NULL,
	back_url     TEXT NOT NULL,
	pay_type     TEXT NOT NULL,
	sign_type    TEXT NOT NULL,
	bg_color     TEXT NOT NULL,
	font_color   TEXT NOT NULL,
	sync_notify  INTEGER NOT NULL,
	flag_modify  INTEGER NOT NULL,
	no_agree     TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	valid_order  INTEGER NOT NULL,
	oid_paybill  TEXT NOT NULL,
	fail_code    TEXT NOT NULL,
	returned_at  INTEGER NOT NULL,
	sealed       BLOB,
	expires_at   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (oid_partner, no_order)
) STRICT;
-- The admin lists: newest first, of one merchant or of all; returns by when.
CREATE INDEX checkouts_list ON checkouts (created_at, token);
CREATE INDEX checkouts_returned ON checkouts (returned_at, token);
