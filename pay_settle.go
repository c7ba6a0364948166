package llgate

import (
	"context"
	"errors"
	"time"
)

// settleLease keeps other replicas off an order this one is settling.
const settleLease = time.Minute

// Settle does the payment work that comes due by the clock: it closes
// WAITING orders past valid_order and asks the issuer again about
// PROCESSING orders past SettleAt (the 2008 test card, or a verify that
// crashed before recording the issuer's answer). It returns how many orders
// it handled; the serve loop calls it continually.
func (p *Payments) Settle(ctx context.Context) (int, error) {
	now := p.Clock.Now()
	var processing []*Order
	n, closed := 0, 0
	err := p.Store.Update(ctx, func(tx Tx) error {
		processing, n, closed = processing[:0], 0, 0
		due, err := tx.DueOrders(ctx, now, 100)
		if err != nil {
			return err
		}
		var events []*OrderEvent
		for _, o := range due {
			switch o.Status {
			case OrderWaiting:
				o.Status = OrderClosed
				closed++
				events = append(events, newEvent(o, now, noteClosed))
			case OrderProcessing:
				o.SettleAt = now.Add(settleLease)
				processing = append(processing, o)
			default:
				continue
			}
			o.UpdatedAt = now
			if err := tx.UpdateOrder(ctx, o); err != nil {
				return err
			}
			n++
		}
		if len(events) == 0 {
			return nil
		}
		return tx.InsertOrderEvent(ctx, events...)
	})
	if err != nil {
		return 0, err
	}
	for range closed {
		p.observe(OrderClosed)
	}
	for _, o := range processing {
		secret, err := p.openOrder(ctx, o)
		if err != nil {
			return n, err
		}
		card, err := p.cardOf(ctx, o, secret)
		if err != nil {
			return n, err
		}
		if _, err := p.charge(ctx, o, card, secret, o.CountedAt, nil, true); err != nil {
			if ErrorCode(err) == CodeSystem {
				return n, err
			}
		}
	}
	return n, nil
}

// Query finds a merchant's order by oid_paybill, or by no_order (and
// dt_order when given). Anything else, another merchant's order included,
// answers 8901.
func (p *Payments) Query(ctx context.Context, oid, noOrder, dtOrder, oidPaybill string) (*Order, *OrderSecret, error) {
	o, err := view(ctx, p.Store, func(tx Tx) (*Order, error) {
		if oidPaybill != "" {
			return tx.Order(ctx, oidPaybill)
		}
		return tx.OrderByNo(ctx, oid, noOrder)
	})
	if errors.Is(err, ErrNotFound) || err == nil && (o.OidPartner != oid ||
		noOrder != "" && o.NoOrder != noOrder || dtOrder != "" && o.DtOrder != dtOrder) {
		return nil, nil, Errorf(CodeNoRecord, "no such order")
	}
	if err != nil {
		return nil, nil, err
	}
	// An order past valid_order reads CLOSED even before the clock's
	// worker has closed it.
	if o.Status == OrderWaiting && !p.Clock.Now().Before(o.ValidUntil) {
		o.Status = OrderClosed
	}
	s, err := p.openOrder(ctx, o)
	return o, s, err
}
