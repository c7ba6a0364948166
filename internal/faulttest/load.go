package faulttest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/llgate/llgate/client"
	"github.com/llgate/llgate/issuer"
)

// Load is what the workers of one run share.
type Load struct {
	T         *Target
	L         *Ledger
	V         *Violations
	NotifyURL string
	Tag       string  // prefix of user ids, order and refund numbers
	Calls     Counter // every call by endpoint and answer code ("?" = lost)
	cardSeq   atomic.Uint64
}

// Worker is one client running mixed flows until the target closes.
type Worker struct {
	ld    *Load
	id    int
	rng   *rand.Rand
	users []*User
	seq   int
}

// UsersPerWorker is how many users each worker owns.
const UsersPerWorker = 4

// Worker returns the id-th worker, its randomness from seed.
func (ld *Load) Worker(id int, seed uint64) *Worker {
	return &Worker{ld: ld, id: id, rng: rand.New(rand.NewPCG(seed, uint64(id)))}
}

// Run runs flows until the target closes or ctx ends.
func (w *Worker) Run(ctx context.Context) {
	for range UsersPerWorker {
		w.users = append(w.users, w.ld.L.NewUser(fmt.Sprintf("%s%02d", w.ld.Tag, w.id)))
	}
	for ctx.Err() == nil {
		if err := w.step(); errors.Is(err, ErrStopped) {
			return
		}
	}
}

func (w *Worker) step() error {
	u := w.users[w.rng.IntN(len(w.users))]
	active := w.activeCards(u)
	switch r := w.rng.Float64(); {
	case len(active) == 0 || r < 0.12:
		return w.bind(u)
	case len(active) > 3 || r < 0.17:
		return w.unbind(active[0])
	case r < 0.46:
		return w.pay(active[w.rng.IntN(len(active))])
	case r < 0.52:
		return w.preauth(u)
	case r < 0.55:
		return w.checkout(u)
	case r < 0.80:
		return w.refund()
	default:
		return w.query(u)
	}
}

func (w *Worker) activeCards(u *User) []*Card {
	w.ld.L.Mu.Lock()
	defer w.ld.L.Mu.Unlock()
	var out []*Card
	for _, c := range u.Cards {
		if c.Active() {
			out = append(out, c)
		}
	}
	return out
}

// call makes one SDK call, again while its answer is lost (up to retries
// more times, each after the gate lets it through). record sees every
// attempt's answer code, "" when lost, before the call counts as done.
func (w *Worker) call(name string, retries int, fn func(*client.Client) (*client.Response, error),
	record func(res *client.Response, code string)) (*client.Response, string, error) {
	for attempt := 0; ; attempt++ {
		c, _, done, err := w.ld.T.Begin()
		if err != nil {
			return nil, "", err
		}
		res, err := fn(c)
		code := Classify(name, res, err, w.ld.V)
		if code == "" {
			w.ld.L.Unknown.Add(name, 1)
			w.ld.Calls.Add(name+" ?", 1)
		} else {
			w.ld.Calls.Add(name+" "+code, 1)
		}
		if record != nil {
			w.ld.L.Mu.Lock()
			record(res, code)
			w.ld.L.Mu.Unlock()
		}
		done()
		if code != "" || attempt >= retries {
			return res, code, nil
		}
		time.Sleep(time.Duration(20+w.rng.IntN(80)) * time.Millisecond)
	}
}

// Classify returns an answer's ret_code, or "" when the call failed at the
// transport level (its outcome is unknown). An answer that is not a signed
// HTTP 200, and a 9999, are violations (and count as lost).
func Classify(name string, res *client.Response, err error, v *Violations) string {
	var apiErr *client.Error
	var statusErr *client.StatusError
	switch {
	case err == nil:
		return res.Get("ret_code")
	case errors.As(err, &apiErr):
		if apiErr.RetCode == "9999" || apiErr.RetCode == "" {
			v.Add("%s answered %q %s", name, apiErr.RetCode, apiErr.RetMsg)
		}
		return apiErr.RetCode
	case errors.Is(err, client.ErrBadAnswerSignature):
		v.Add("%s: %v", name, err)
	case errors.As(err, &statusErr):
		v.Add("%s: %v", name, err)
	}
	return ""
}

func (w *Worker) next(kind string) string {
	w.seq++
	return fmt.Sprintf("%s%02d%s%d", w.ld.Tag, w.id, kind, w.seq)
}

// outcome picks the test-card outcome: mostly success, some payments that
// settle by the clock, some declines, some cards whose refunds fail.
func (w *Worker) outcome() string {
	switch r := w.rng.IntN(100); {
	case r < 6:
		return "2008"
	case r < 12:
		return "6001"
	case r < 20:
		return "9920"
	default:
		return "0000"
	}
}

func bindFields(u *User, cardNo string) map[string]string {
	p := u.Person
	return map[string]string{
		"user_id": u.ID, "pay_type": "2", "id_type": p.IDType, "id_no": p.IDNo, "acct_name": p.Name,
		"card_no": cardNo, "bind_mob": p.Mobile,
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + u.ID + `","user_info_dt_register":"20250101120000"}`,
	}
}

func (w *Worker) bind(u *User) error {
	outcome := w.outcome()
	no, err := issuer.TestCard("622202", 19, w.ld.cardSeq.Add(1), outcome)
	if err != nil {
		return err
	}
	card := &Card{No: no, Outcome: outcome, User: u}
	w.ld.L.Mu.Lock()
	u.Cards = append(u.Cards, card)
	w.ld.L.Mu.Unlock()
	return w.bindCard(card, 0)
}

// bindCard applies and verifies; after a lost verify answer it applies
// again, which must answer 3009 if the lost verify bound the card.
func (w *Worker) bindCard(card *Card, depth int) error {
	u := card.User
	res, code, err := w.call("bind_apply", 3, func(c *client.Client) (*client.Response, error) {
		return c.BindApply(context.Background(), bindFields(u, card.No))
	}, nil)
	switch {
	case err != nil:
		return err
	case code == "3009" && depth > 0:
		return w.learnAgreement(card)
	case code != "8888":
		return nil // lost (a token at most) or refused: the card is left alone
	}
	token := res.Get("token")
	_, code, err = w.call("bind_verify", 0, func(c *client.Client) (*client.Response, error) {
		return c.BindVerify(context.Background(), map[string]string{"user_id": u.ID, "token": token, "verify_code": SMSCode})
	}, func(res *client.Response, code string) {
		switch code {
		case "0000":
			if card.NoAgree != "" && card.NoAgree != res.Get("no_agree") {
				w.ld.V.Add("card %s of %s: bound as %s, then verified again as %s", card.No, u.ID, card.NoAgree, res.Get("no_agree"))
			}
			card.NoAgree, card.BindAcked, card.BindUnknown = res.Get("no_agree"), true, false
			w.ld.L.Acked.Add("bind", 1)
		case "":
			card.BindUnknown = true
		}
	})
	switch {
	case err != nil:
		return err
	case code == "" && depth < 2:
		return w.bindCard(card, depth+1)
	case code == "1000" && depth > 0:
		return w.learnAgreement(card)
	}
	return nil
}

// learnAgreement reads a card's agreement from the bind list after its
// verify answer was lost: exactly one, or none.
func (w *Worker) learnAgreement(card *Card) error {
	res, code, err := w.call("bind_list", 3, func(c *client.Client) (*client.Response, error) {
		return c.BindList(context.Background(), map[string]string{"user_id": card.User.ID, "card_no": card.No, "offset": "0"})
	}, nil)
	if err != nil || code != "0000" {
		return err
	}
	list, lerr := res.AgreementList()
	if lerr != nil || len(list) != 1 || res.Get("count") != "1" {
		w.ld.V.Add("bind list of %s for card %s: count %s, %d agreements (%v): want exactly one", card.User.ID, card.No, res.Get("count"), len(list), lerr)
		return nil
	}
	w.ld.L.Mu.Lock()
	defer w.ld.L.Mu.Unlock()
	if card.NoAgree != "" && card.NoAgree != list[0]["no_agree"] {
		w.ld.V.Add("card %s of %s: agreement %s, bind list says %s", card.No, card.User.ID, card.NoAgree, list[0]["no_agree"])
		return nil
	}
	if card.NoAgree == "" {
		card.NoAgree, card.BindLearned, card.BindUnknown = list[0]["no_agree"], true, false
	}
	return nil
}

func (w *Worker) unbind(card *Card) error {
	u := card.User
	_, _, err := w.call("unbind", 3, func(c *client.Client) (*client.Response, error) {
		return c.Unbind(context.Background(), map[string]string{"user_id": u.ID, "no_agree": card.NoAgree})
	}, func(_ *client.Response, code string) {
		switch code {
		case "0000":
			card.Unbound, card.UnbindUnknown, card.UnbindAcked = true, false, true
			w.ld.L.Acked.Add("unbind", 1)
		case "":
			card.UnbindUnknown = true
		case "3003":
			if !card.UnbindUnknown {
				w.ld.V.Add("unbind of the active agreement %s of %s answered 3003", card.NoAgree, u.ID)
			}
			card.Unbound, card.UnbindUnknown = true, false // a lost answer unbound it
		}
	})
	return err
}
