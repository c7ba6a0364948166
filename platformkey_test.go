package llgate_test

import (
	"context"
	"sync"
	"testing"

	"github.com/llgate/llgate/sqlite/sqlitetest"

	llgate "github.com/llgate/llgate"
	"github.com/llgate/llgate/vault"
)

// Replicas starting together on one database end up with one platform key.
func TestPlatformKeyCreatedOnce(t *testing.T) {
	ctx := context.Background()
	store := sqlitetest.Open(t)
	master := vault.GenerateMasterKey()
	keys := make([]string, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := vault.New(store, master)
			if err != nil {
				t.Error(err)
				return
			}
			k, err := llgate.PlatformKey(ctx, store, v)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k.N.String()
		}()
	}
	wg.Wait()
	for i := range keys {
		if keys[i] != keys[0] {
			t.Fatalf("replica %d got another platform key", i)
		}
	}
	wrong, _ := vault.New(store, vault.GenerateMasterKey())
	if _, err := llgate.PlatformKey(ctx, store, wrong); err == nil {
		t.Fatal("a wrong master key opened the platform key")
	}
}
