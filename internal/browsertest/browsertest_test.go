package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/llgate/llgate/internal/browsertest"
)

func TestBrowserPostsAForm(t *testing.T) {
	posted := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posted <- r.PostFormValue("x")
			fmt.Fprint(w, `<!doctype html><p id="done">thanks</p>`)
			return
		}
		// A page without a doctype stalls chromedp's element queries (quirks
		// mode); every llgate page has one.
		fmt.Fprint(w, `<!doctype html><form method="post"><input name="x" value="1"><button id="go">go</button></form>`)
	}))
	defer srv.Close()
	ctx := browsertest.New(t, 30*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.SetValue(chromedp.CSS(`input[name=x]`), "42"),
		chromedp.Click(chromedp.CSS("#go")),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#done")))
	if err != nil {
		t.Fatal(err)
	}
	if got := <-posted; got != "42" || text != "thanks" {
		t.Fatalf("posted %q, page %q", got, text)
	}
}
