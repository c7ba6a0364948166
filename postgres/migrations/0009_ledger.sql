-- The merchant's money (CONTRACT-easypay-payouts §4.12, Decisions 10, 19):
-- one balance row per merchant (its money lock), the append-only ledger
-- whose sums recompute it, and the payments waiting for settlement.
-- Amounts fen, times unix milliseconds UTC, as in 0003.

ALTER TABLE merchants ADD COLUMN settle_days INTEGER NOT NULL DEFAULT 1;

CREATE TABLE balances (
	oid_partner  TEXT PRIMARY KEY,
	amt_unsettle BIGINT NOT NULL,
	amt_balance  BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

CREATE TABLE ledger (
	id          BIGSERIAL PRIMARY KEY,
	oid_partner TEXT NOT NULL,
	at          BIGINT NOT NULL,
	kind        TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	d_unsettle  BIGINT NOT NULL,
	d_balance   BIGINT NOT NULL,
	ref         TEXT NOT NULL
);
-- The balance view (newest first), LedgerRef, LedgerSums, and Reset.
CREATE INDEX ledger_merchant ON ledger (oid_partner, id);
CREATE INDEX ledger_ref ON ledger (oid_partner, ref);

CREATE TABLE settle_due (
	oid_partner TEXT NOT NULL,
	ref         TEXT NOT NULL,
	amount      BIGINT NOT NULL,
	due_at      BIGINT NOT NULL,
	PRIMARY KEY (oid_partner, ref, due_at)
);
CREATE INDEX settle_due_at ON settle_due (due_at, oid_partner);

-- Instant Payment (§4.8-4.11): payouts, and the merchant's payout limits.
ALTER TABLE merchants ADD COLUMN payout_limit_per_txn BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN payout_limit_per_day BIGINT NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN payout_limit_per_month BIGINT NOT NULL DEFAULT 0;

CREATE TABLE payouts (
	id              TEXT NOT NULL,
	oid_partner     TEXT NOT NULL,
	no_order        TEXT NOT NULL,
	dt_order        TEXT NOT NULL,
	oid_paybill     TEXT,
	amount          BIGINT NOT NULL,
	money_order     TEXT NOT NULL,
	flag_card       TEXT NOT NULL,
	card_fp         TEXT NOT NULL,
	card_last4      TEXT NOT NULL,
	state           TEXT NOT NULL,
	sign_type       TEXT NOT NULL,
	notify_url      TEXT NOT NULL,
	apply_code      TEXT NOT NULL,
	request_hash    TEXT NOT NULL,
	confirm_hash    TEXT NOT NULL,
	confirm_request TEXT NOT NULL,
	wrong_count     BIGINT NOT NULL,
	sealed          BYTEA,
	result          TEXT NOT NULL,
	reason          TEXT NOT NULL,
	done_at         BIGINT NOT NULL,
	cancel_at       BIGINT NOT NULL,
	settle_date     TEXT NOT NULL,
	next_at         BIGINT NOT NULL,
	accepted_at     BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	PRIMARY KEY (oid_partner, no_order)
);
CREATE UNIQUE INDEX payouts_paybill ON payouts (oid_paybill);
-- The sealed secret's row (key rotation walks payouts by it).
CREATE UNIQUE INDEX payouts_id ON payouts (id);
-- DuePayouts; PayoutSpent; PayoutDuplicates; ListPayouts.
CREATE INDEX payouts_next_at ON payouts (next_at);
CREATE INDEX payouts_accepted ON payouts (oid_partner, accepted_at);
CREATE INDEX payouts_card ON payouts (oid_partner, card_fp, created_at);
CREATE INDEX payouts_created ON payouts (created_at);
