package main

import (
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Colour: the plan and result views, diagnostics and console logs are coloured on a
// terminal, unless -no-color is given or the NO_COLOR environment variable is set to
// anything but the empty string (https://no-color.org). Output that is not a terminal
// never gets escape codes.

// envNoColor turns colour off when set and not empty.
const envNoColor = "NO_COLOR"

// colorOn reports whether output to a terminal (terminal set) is coloured.
func (c *cli) colorOn(terminal bool) bool {
	if !terminal || c.noColor {
		return false
	}
	return c.getenv == nil || c.getenv(envNoColor) == ""
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ANSI escape codes of the views.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// palette colours the parts of a view; its zero value colours nothing.
type palette struct{ on bool }

func (p palette) paint(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return code + s + ansiReset
}

// symbol colours a change's symbol: green +, yellow ~, red -.
func (p palette) symbol(sym string) string {
	switch sym {
	case "+":
		return p.paint(ansiGreen, sym)
	case "-":
		return p.paint(ansiRed, sym)
	case "~":
		return p.paint(ansiYellow, sym)
	}
	return sym
}

// detail colours the leading symbol of a detail line ("+ vdi-0001", "~ secondary: …").
func (p palette) detail(line string) string {
	for _, sym := range []string{"+", "~", "-"} {
		if rest, ok := strings.CutPrefix(line, sym+" "); ok {
			return p.symbol(sym) + " " + rest
		}
	}
	return line
}

func (p palette) bad(s string) string  { return p.paint(ansiRed, s) }
func (p palette) warn(s string) string { return p.paint(ansiYellow, s) }
func (p palette) good(s string) string { return p.paint(ansiGreen, s) }
func (p palette) bold(s string) string { return p.paint(ansiBold, s) }
