package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time:
//
//	go build -ldflags "-X main.version=1.2.3 -X main.commit=$(git rev-parse HEAD)"
//
// Without them, the module version and VCS revision of the build info are shown.
var (
	version string
	commit  string
)

func init() {
	register(command{name: "version", synopsis: "print the version and commit", run: runVersion})
}

func runVersion(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("version", "")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	v, rev := buildVersion()
	fmt.Fprintf(c.stdout, "tintri-jobs %s (commit %s, %s)\n", v, rev, runtime.Version())
	return nil
}

// buildVersion returns the -ldflags version and commit, falling back to the build info.
func buildVersion() (string, string) {
	v, rev := version, commit
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		var vcsRev, dirty string
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				vcsRev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
		if rev == "" && vcsRev != "" {
			rev = vcsRev + dirty
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if rev == "" {
		rev = "unknown"
	}
	return v, rev
}
