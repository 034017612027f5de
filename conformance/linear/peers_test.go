package linear_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/conformance/linear"
	"github.com/contactkit/contactkit/internal/peers"
)

// TestPeersPass: neither server written from the docs alone (internal/peers)
// is flagged, with its own choices or the other's, slow answers included: the
// check holds a server to the docs' effects, not to our mock's timing or order.
func TestPeersPass(t *testing.T) {
	seeds := 10
	if testing.Short() {
		seeds = 2
	}
	for _, kind := range peers.Kinds {
		for _, swapped := range []bool{false, true} {
			opts := peers.Options{Grants: []string{"peer-token-one=app1"}, Seed: 1}
			name := fmt.Sprintf("%s with its own choices", kind)
			if swapped {
				opts.Choices, opts.Slow = peers.ChoicesOf(peers.Other(kind)), true
				name = fmt.Sprintf("%s with the other's choices, slow", kind)
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				url := peers.Start(t, kind, opts)
				var took time.Duration
				var requests int64
				for seed := range int64(seeds) {
					res, err := linear.Run(context.Background(), linear.Config{Target: url, Token: "peer-token-one", App: "app1", Seed: seed})
					require.NoError(t, err, "seed %d", seed)
					assert.Empty(t, res.Findings, "seed %d: a correct server flagged", seed)
					assert.Empty(t, res.Notes, "seed %d", seed)
					assert.Equal(t, res.Rounds, res.Judged, "seed %d: judged rounds", seed)
					took += res.Duration
					requests += res.Requests
				}
				t.Logf("%s: %d runs, %s and %d requests a run", name, seeds, took/time.Duration(seeds), requests/int64(seeds))
			})
		}
	}
}
