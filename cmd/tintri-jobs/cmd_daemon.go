package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // job time zones must resolve in minimal containers without /usr/share/zoneinfo

	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/daemon"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

func init() {
	register(command{name: "daemon", synopsis: "run jobs on their schedules, with health, metrics and run history over HTTP", run: runDaemon})
}

func runDaemon(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("daemon", "[-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-state-dir DIR] [-listen ADDRESS] [-token-file FILE] [-shutdown-grace DURATION] [-parallelism N] [-timeout DURATION] [-attempts N] [-notify-command COMMAND] [-audit-max-size SIZE] [-audit-keep N]")
	cf := addConfigFlags(fs)
	cf.limits = addRequestFlags(fs)
	stateDir := fs.String("state-dir", engine.DefaultStateDir, "state directory `DIR`: daemon.lock, history.jsonl and audit.jsonl (one daemon per directory)")
	listen := fs.String("listen", "127.0.0.1:9273", "`ADDRESS` serving /healthz, /readyz, /metrics and /runs (empty: no HTTP)")
	tokenFile := fs.String("token-file", "", "`FILE` (mode 0600) holding the bearer token POST /runs requires (default: a new token written to <state-dir>/"+daemon.TokenFile+" at each start)")
	grace := fs.Duration("shutdown-grace", 60*time.Second, "on SIGTERM or SIGINT, let runs in progress finish within `DURATION` before they are cancelled")
	parallelism := fs.Int("parallelism", runner.DefaultParallelism(), "`N` targets read or changed at once within a task: a fleet's appliances all at once, up to this many (by default fewer when the open-file limit is low)")
	rot := addAuditFlags(fs)
	notify := fs.String("notify-command", "", "shell `COMMAND` run after a plan-mode job finds drift, with the drift summary JSON on stdin")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := checkDaemonFlags(*parallelism, *grace); err != nil {
		return err
	}
	if err := checkAuditFlags(rot); err != nil {
		return err
	}
	log, err := c.logger()
	if err != nil {
		return err
	}
	// SIGHUP must not kill the daemon from here on; it reloads once the daemon runs.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	cfg, err := c.loadConfig(cf)
	if err != nil {
		return err
	}
	opts := daemon.Options{
		Load:          c.configLoader(cf),
		StateDir:      *stateDir,
		Parallelism:   *parallelism,
		AuditRotation: *rot,
		NotifyCommand: *notify,
		Environ:       c.environ,
		ShutdownGrace: *grace,
		Log:           log,
		ListenAddr:    *listen,
		TokenFile:     *tokenFile,
	}
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("-listen: %w", err)
		}
		opts.Listener = ln
	}
	d, err := daemon.New(cfg, opts)
	if err != nil {
		if opts.Listener != nil {
			err = errors.Join(err, opts.Listener.Close())
		}
		return err
	}
	go reloadOnHangup(ctx, d, hup, log)
	return d.Run(ctx)
}

// checkDaemonFlags refuses values of -parallelism and -shutdown-grace that mean nothing.
func checkDaemonFlags(parallelism int, grace time.Duration) error {
	if parallelism < 1 {
		return fmt.Errorf("-parallelism %d: want at least 1", parallelism)
	}
	if grace < 0 {
		return fmt.Errorf("-shutdown-grace %s: want zero or more", grace)
	}
	return nil
}

// reloadOnHangup reloads the daemon's configuration on each SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, d *daemon.Daemon, hup <-chan os.Signal, log zerolog.Logger) {
	for {
		select {
		case <-hup:
			log.Info().Msg("SIGHUP: reloading the configuration")
			_ = d.Reload() // logs its own outcome; a failed reload keeps the running configuration
		case <-ctx.Done():
			return
		}
	}
}
