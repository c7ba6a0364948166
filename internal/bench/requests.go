package bench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llgate/llgate/issuer"
)

// cardSpace is how many distinct 19-digit ICBC debit test cards
// issuer.TestCard makes: 8 filler digits between the BIN and the outcome.
const cardSpace = 100_000_000

// identities draws distinct test cards and the users that bind them.
type identities struct {
	run  string // random, inside every user_id of this run
	next atomic.Uint64
}

func newIdentities() (*identities, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	start, err := rand.Int(rand.Reader, big.NewInt(cardSpace))
	if err != nil {
		return nil, err
	}
	id := &identities{run: hex.EncodeToString(b)}
	id.next.Store(start.Uint64())
	return id, nil
}

// user returns the user_id of the i-th user of a kind ('a' applies, 'l'
// lists): at most 32 characters, as the API requires.
func (id *identities) user(kind byte, i int) string {
	return fmt.Sprintf("b%s%c%d", id.run, kind, i)
}

// card draws the next successful ICBC debit test card (outcome digits 0000)
// whose number the BIN table files under ICBC debit, and returns its seed.
func (id *identities) card() (uint64, string) {
	for {
		seed := id.next.Add(1) % cardSpace
		no, err := issuer.TestCard("622202", 19, seed, "0000")
		if err != nil {
			panic(err) // constant arguments: cannot fail
		}
		if c, err := issuer.Lookup(no); err == nil && c.Type == issuer.Debit {
			return seed, no
		}
	}
}

// holder is the cardholder of a card. It is a function of the card's seed
// so a card drawn again (another run against the same database) comes with
// the holder the simulated issuer remembers.
type holder struct{ name, idNo, mobile string }

var names = []string{"张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十"}

func holderOf(seed uint64) holder {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(seed/1000%15000))
	body := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), seed%1000)
	return holder{
		name:   names[seed%uint64(len(names))],
		idNo:   body + string(idCheckChar(body)),
		mobile: fmt.Sprintf("139%08d", seed%cardSpace),
	}
}

// idCheckChar is the GB 11643 (ISO 7064 MOD 11-2) check character of 17
// digits.
func idCheckChar(d string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(d[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// bindFields is an MPAY debit bind apply for user with the card of seed.
func bindFields(user string, seed uint64, cardNo string) map[string]string {
	h := holderOf(seed)
	return map[string]string{
		"user_id": user, "pay_type": "2", "id_type": "0", "id_no": h.idNo, "acct_name": h.name,
		"card_no": cardNo, "bind_mob": h.mobile,
		"risk_item": `{"frms_ware_category":"4007","user_info_mercht_userno":"` + user +
			`","user_info_dt_register":"20250101120000"}`,
	}
}

// signed returns the JSON body of a plain signed request, as client.Call
// posts it.
func (m *merchant) signed(fields map[string]string) ([]byte, error) { return m.sdk.Body(fields) }

// sealed returns the body of an encrypted request, as client.CallEncrypted
// posts it: fresh random HMAC and AES keys every time.
func (m *merchant) sealed(fields map[string]string) ([]byte, error) {
	return m.sdk.EncryptedBody(fields)
}

// prebuild makes the bodies of requests from to from+n-1 on every CPU:
// the signing happens here, before any clock starts.
func prebuild(from, n int, build func(i int) ([]byte, error)) ([][]byte, error) {
	bodies := make([][]byte, n)
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b, err := build(from + i)
				if err != nil {
					once.Do(func() { firstErr = err })
					next.Store(int64(n))
					return
				}
				bodies[i] = b
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return bodies, nil
}
