package main

import (
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

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
		log = zerolog.New(zerolog.ConsoleWriter{Out: c.stderr, TimeFormat: time.TimeOnly, NoColor: !c.stderrTerminal})
	default:
		return zerolog.Nop(), fmt.Errorf("-log-format %q: want auto, console or json", c.logFormat)
	}
	return log.Level(level).With().Timestamp().Logger(), nil
}
