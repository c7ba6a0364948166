package httpapi

import (
	"context"
	"errors"
	"net/http"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/protocol"
)

// balanceAPI answers /traderAcctQuery.htm (CONTRACT-easypay-payouts §4.12).
type balanceAPI struct {
	l *llgate.Ledger
}

func (api *balanceAPI) endpoints() map[string]Endpoint {
	return map[string]Endpoint{protocol.EPBalanceQuery: api.query}
}

func (api *balanceAPI) query(ctx context.Context, r *Request) (*Answer, error) {
	b, _, err := api.l.Balance(ctx, r.Merchant.Merchant.OidPartner, 1)
	if err != nil {
		return nil, err
	}
	a := NewAnswer(llgate.CodeOK, nil)
	a.Fields["amt_balance"] = protocol.FormatAmount(b.Available)
	a.Fields["amt_unsettle"] = protocol.FormatAmount(b.Unsettled)
	return a, nil
}

// balanceJSON is the admin balance object (§4.15).
type balanceJSON struct {
	AmtBalance  string       `json:"amt_balance"`
	AmtUnsettle string       `json:"amt_unsettle"`
	Ledger      []ledgerJSON `json:"ledger"`
}

type ledgerJSON struct {
	At       string `json:"at"`
	Kind     string `json:"kind"`
	Amount   string `json:"amount"`
	Unsettle string `json:"unsettle"` // the change of amt_unsettle
	Balance  string `json:"balance"`  // the change of amt_balance
	Ref      string `json:"ref"`
}

// signedAmount formats a signed amount of fen as the wire's decimal.
func signedAmount(a llgate.Amount) string {
	if a < 0 {
		return "-" + protocol.FormatAmount(-a)
	}
	return protocol.FormatAmount(a)
}

func (s *Server) writeBalance(w http.ResponseWriter, r *http.Request, status int) {
	b, es, err := s.cfg.Ledger.Balance(r.Context(), r.PathValue("oid"), queryLimit(r, 100, 1000))
	if err != nil {
		s.storeError(w, err)
		return
	}
	out := balanceJSON{AmtBalance: protocol.FormatAmount(b.Available), AmtUnsettle: protocol.FormatAmount(b.Unsettled),
		Ledger: []ledgerJSON{}}
	for _, e := range es {
		out.Ledger = append(out.Ledger, ledgerJSON{
			At: e.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Kind: e.Kind, Amount: signedAmount(e.Amount),
			Unsettle: signedAmount(e.Unsettled), Balance: signedAmount(e.Available), Ref: e.Ref,
		})
	}
	writeJSON(w, status, out)
}

func (s *Server) handleBalanceGet(w http.ResponseWriter, r *http.Request) {
	s.writeBalance(w, r, http.StatusOK)
}

// handleBalanceTopUp adds {"amount":"100.00"} (negative allowed) to
// amt_balance; 409 when it would go below zero.
func (s *Server) handleBalanceTopUp(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Amount string `json:"amount"`
	}
	if err := decodeAdmin(r, &j); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	neg := len(j.Amount) > 0 && j.Amount[0] == '-'
	text := j.Amount
	if neg {
		text = text[1:]
	}
	amount, err := protocol.ParseAmount("amount", text)
	if err != nil || amount == 0 {
		writeError(w, http.StatusBadRequest, "amount: a non-zero amount like 100.00 or -20.00")
		return
	}
	if neg {
		amount = -amount
	}
	oid := r.PathValue("oid")
	if _, err := s.cfg.Ledger.TopUp(r.Context(), oid, amount); err != nil {
		if errors.Is(err, llgate.ErrBalanceShort) {
			writeError(w, http.StatusConflict, "amt_balance would go below zero")
			return
		}
		s.storeError(w, err)
		return
	}
	s.audit(r, "balance.topup", "oid_partner", oid, "amount", signedAmount(amount))
	s.writeBalance(w, r, http.StatusOK)
}
