package show

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// Resolve finds the server a person names: a server block's name, or a fleet member by
// its host[:port], its host, or its host's first label ("tintri-001" for
// tintri-001.example.com). It returns the key runner.Clients takes. Members of
// discover_from fleets are looked up through their TGC.
func Resolve(ctx context.Context, cfg *config.Config, clients *runner.Clients, name string) (string, error) {
	if _, ok := cfg.Servers[name]; ok {
		return name, nil
	}
	known := cfg.ServerNames()
	for _, f := range cfg.FleetNames() {
		keys, err := clients.Members(ctx, runner.Targets{Fleet: f})
		if err != nil {
			return "", err
		}
		for _, key := range keys {
			host := key
			if h, _, err := net.SplitHostPort(key); err == nil {
				host = h
			}
			label, _, _ := strings.Cut(host, ".")
			if strings.EqualFold(name, key) || strings.EqualFold(name, host) || (net.ParseIP(host) == nil && strings.EqualFold(name, label)) {
				return key, nil
			}
			known = append(known, host)
		}
	}
	return "", fmt.Errorf("no server block or fleet member is named %q%s", name, decode.DidYouMean(name, known))
}
