-- Product lines (CONTRACT-easypay-payouts.md, "Where parts 2 and 3 meet" 1;
-- §4.15; Decision 11): the merchant's products (a JSON list of canonical
-- names, [] = all), the easypay no-SMS flag and the notifications' content
-- type ('' = text/json;charset=utf-8); and the product line of each order,
-- the JYMX pay_product.

ALTER TABLE merchants ADD COLUMN products TEXT NOT NULL DEFAULT '[]';
ALTER TABLE merchants ADD COLUMN easypay_no_sms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE merchants ADD COLUMN notify_content_type TEXT NOT NULL DEFAULT '';

ALTER TABLE orders ADD COLUMN product TEXT NOT NULL DEFAULT 'MPAY';
