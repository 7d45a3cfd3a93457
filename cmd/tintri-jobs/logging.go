package main

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// Durations in log lines carry their unit, as time.Duration.String writes them
// ("grace":"1m0s", "delay":"250ms", "step":"48h0m0s"), never a bare number whose unit the
// reader must guess. The rule for all code: log a time.Duration with zerolog's Dur (never
// as a number of seconds or nanoseconds); its format is set once here for the process.
func init() {
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
}

// logger builds the process's logger on stderr from -log-format and -log-level: JSON lines,
// or human console lines (the default when stderr is a terminal).
func (c *cli) logger() (zerolog.Logger, error) {
	level, err := zerolog.ParseLevel(c.logLevel)
	if err != nil || c.logLevel == "" {
		return zerolog.Nop(), fmt.Errorf("-log-level %q: want debug, info, warn or error", c.logLevel)
	}
	format := c.logFormat
	if format == "auto" {
		format = "json"
		if c.stderrTerminal {
			format = "console"
		}
	}
	var log zerolog.Logger
	switch format {
	case "json":
		log = zerolog.New(c.stderr)
	case "console":
		log = zerolog.New(zerolog.ConsoleWriter{Out: c.stderr, TimeFormat: time.TimeOnly, NoColor: !c.colorOn(c.stderrTerminal)})
	default:
		return zerolog.Nop(), fmt.Errorf("-log-format %q: want auto, console or json", c.logFormat)
	}
	return log.Level(level).With().Timestamp().Logger(), nil
}
