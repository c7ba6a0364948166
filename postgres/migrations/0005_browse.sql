-- What the web console reads: each payment's history, what the request log
-- keeps of a request beyond its line, and indexes that give each list's
-- rows in its order (newest first), of one merchant or of all. Times are
-- unix milliseconds UTC, as in 0001.

-- An order's events in the order they happened: seq counts them per order
-- (they are written under the order's lock). Clustered by order, so that an
-- event costs one more page in its commit and a history one range; a reset
-- finds a merchant's through its orders.
CREATE TABLE order_events (
	oid_paybill TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	oid_partner TEXT NOT NULL,
	at          BIGINT NOT NULL,
	status      TEXT NOT NULL,
	note        TEXT NOT NULL,
	PRIMARY KEY (oid_paybill, seq)
);

-- detail is the JSON of a RequestDetail, masked; '' when none was kept.
ALTER TABLE request_log ADD COLUMN latency_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE request_log ADD COLUMN detail TEXT NOT NULL DEFAULT '';
-- RequestCodes reads this index alone, never the rows (details are large).
CREATE INDEX request_log_codes ON request_log (oid_partner, path, ret_code, logged_at);

-- The lists. agreements_list also serves what agreements_oid_partner did.
DROP INDEX agreements_oid_partner;
CREATE INDEX agreements_list ON agreements (oid_partner, created_at, no_agree);
CREATE INDEX agreements_list_user ON agreements (user_id, created_at, no_agree);
CREATE INDEX agreements_list_all ON agreements (created_at, no_agree);
CREATE INDEX orders_list ON orders (oid_partner, created_at, oid_paybill);
CREATE INDEX orders_list_all ON orders (created_at, oid_paybill);
-- One state of every merchant's (the other indexes would sort them all).
CREATE INDEX orders_list_status ON orders (status, created_at, oid_paybill);
CREATE INDEX refunds_list ON refunds (oid_partner, created_at, oid_refundno);
CREATE INDEX refunds_list_all ON refunds (created_at, oid_refundno);
