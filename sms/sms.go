// Package sms holds llgate's SMS senders: Outbox, the sandbox inbox that
// GET /admin/sms reads back; Log, for dry runs; and HTTP, for real
// providers. The rules about codes (length, expiry, caps, resends) stay in
// the root package; a sender only delivers.
package sms
