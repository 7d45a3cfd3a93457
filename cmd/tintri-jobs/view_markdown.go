package main

import (
	"fmt"
	"html"
	"io"
	"strings"
	"unicode/utf16"
)

// markdownLimit is GitHub's limit on the length of a comment, in characters (UTF-16 code
// units): the Markdown view never writes more.
const markdownLimit = 65536

// markdownListed bounds the warnings and failures the Markdown view lists; the rest are
// counted.
const markdownListed = 20

// renderMarkdown writes m as GitHub-flavoured Markdown for a pull-request or chat comment:
// the verdict, a summary table of the tasks, the warnings and failures, then each task's
// changes in a collapsed <details> section as a diff block (+ green, - red). The output is
// a function of m alone and fits markdownLimit: when the diff blocks do not, the lines
// that do not fit are left out and counted.
func renderMarkdown(w io.Writer, m *pageModel) error {
	var b mdBuffer
	markdownHead(&b, m)
	// Room for the note on what is left out, with the longest counts it may have.
	limit := markdownLimit - length(markdownNote(m, 0, 1<<40))
	shown, total := 0, 0
	for _, t := range m.Tasks {
		lines := markdownLines(&t, m.Result)
		total += len(lines)
		if len(lines) > 0 {
			shown += b.section(&t, lines, limit-b.size)
		}
	}
	if shown < total {
		b.add(markdownNote(m, shown, total))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdBuffer is the Markdown being written and its length in UTF-16 code units.
type mdBuffer struct {
	strings.Builder
	size int
}

func (b *mdBuffer) add(s string) {
	b.WriteString(s)
	b.size += length(s)
}

// length is the length of s in UTF-16 code units, as GitHub counts characters.
func length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// markdownHead writes the title, the verdict, the summary table, and the warnings and
// failures (the first markdownListed of each). The table stops at half the limit.
func markdownHead(b *mdBuffer, m *pageModel) {
	b.add("### " + m.Title + "\n\n**" + mdEscape(m.Verdict) + ".**\n\n")
	if m.CreatedAt != "" {
		b.add(fmt.Sprintf("Planned %s from configuration `%s`.\n\n", m.CreatedAt, m.ConfigHash))
	}
	if len(m.Tasks) > 0 {
		cols := m.Columns()
		b.add("| Job | Task | Kind | " + strings.Join(cols, " | ") + " |\n|---|---|---|" + strings.Repeat("--:|", len(cols)) + "\n")
		for i, t := range m.Tasks {
			row := "| " + mdCode(t.Job) + " | " + mdCode(t.Task) + " | " + mdCode(t.Kind) + " |"
			for _, n := range t.Cells {
				row += fmt.Sprintf(" %d |", n)
			}
			if b.size+length(row) > markdownLimit/2 {
				b.add(fmt.Sprintf("| … and %d more tasks |||%s\n", len(m.Tasks)-i, strings.Repeat("|", len(cols))))
				break
			}
			b.add(row + "\n")
		}
		b.add("\n")
	}
	var warnings []string
	for _, w := range m.Warnings {
		item := mdEscape(w.Message) + " (`" + w.Code + "`"
		if at := where(w); at != "" {
			item += ", " + mdCode(at)
		}
		if w.Job != "" {
			item += ", " + mdCode(strings.TrimSuffix(w.Job+"."+w.Task, "."))
		}
		warnings = append(warnings, item+")")
	}
	markdownList(b, "Warnings", warnings)
	var failures []string
	for _, f := range m.Failures() {
		failures = append(failures, mdEscape(f))
	}
	markdownList(b, "Failures", failures)
}

// markdownList writes a titled list of the first markdownListed items.
func markdownList(b *mdBuffer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	b.add(fmt.Sprintf("**%s (%d)**\n\n", title, len(items)))
	for i, it := range items {
		if i == markdownListed {
			b.add(fmt.Sprintf("- … and %d more\n", len(items)-i))
			break
		}
		b.add("- " + it + "\n")
	}
	b.add("\n")
}

// markdownLines are the lines of a task's diff block: its info as comments, then per
// server a comment and its changes, each with its details. The symbol of a line (that
// of a change or detail) comes first for GitHub's diff colours.
func markdownLines(t *pageTask, result bool) []string {
	var lines []string
	for _, in := range t.Info {
		lines = append(lines, "# "+in)
	}
	servers, groups := byServer(t.Changes, func(c *pageChange) string { return c.Server })
	for _, s := range servers {
		lines = append(lines, "# server "+s)
		for _, c := range groups[s] {
			line := c.Symbol + " " + c.Object + ": " + c.Summary
			if result {
				// "[applied]", "[failed: why]"; "[stale: …]" rather than "[stale: stale: …]".
				line += " [" + c.Outcome
				if c.Error != "" {
					line += ": " + strings.TrimPrefix(c.Error, c.Outcome+": ")
				}
				line += "]"
			}
			lines = append(lines, line)
			for _, d := range c.Details {
				sym, rest := " ", d
				if len(d) > 1 && strings.ContainsRune("+~-", rune(d[0])) && d[1] == ' ' {
					sym, rest = d[:1], d[2:]
				}
				lines = append(lines, sym+"     "+rest)
			}
		}
	}
	return lines
}

// section writes a task's <details> section with as many of its lines as fit in budget
// and returns how many it wrote; none, and no section, when not even one fits.
func (b *mdBuffer) section(t *pageTask, lines []string, budget int) int {
	fence := mdFence(lines)
	open := fmt.Sprintf("<details><summary><code>%s.%s</code> (%s): %s</summary>\n\n%sdiff\n",
		html.EscapeString(t.Job), html.EscapeString(t.Task), html.EscapeString(t.Kind), html.EscapeString(t.Counts), fence)
	closing := fence + "\n\n</details>\n\n"
	cut := fmt.Sprintf("# … and %d more lines not shown\n", len(lines))
	budget -= length(open) + length(closing)
	n, used := 0, 0
	for _, l := range lines {
		size := length(l) + 1
		rest := 0
		if n+1 < len(lines) {
			rest = length(cut)
		}
		if used+size+rest > budget {
			break
		}
		used += size
		n++
	}
	if n == 0 {
		return 0
	}
	b.add(open)
	for _, l := range lines[:n] {
		b.add(l + "\n")
	}
	if n < len(lines) {
		b.add(fmt.Sprintf("# … and %d more lines not shown\n", len(lines)-n))
	}
	b.add(closing)
	return n
}

// markdownNote says how much of the diff the comment leaves out.
func markdownNote(m *pageModel, shown, total int) string {
	what := "`tintri-jobs show PLANFILE` shows the whole plan"
	if m.Result {
		what = "`tintri-jobs apply -json` lists every outcome"
	}
	return fmt.Sprintf("_%d of %d diff lines not shown to fit GitHub's comment limit (%d characters): %s._\n", total-shown, total, markdownLimit, what)
}

// mdFence is a code fence longer than any run of backticks in lines.
func mdFence(lines []string) string {
	longest := 0
	for _, l := range lines {
		run := 0
		for _, r := range l {
			if r == '`' {
				run++
				longest = max(longest, run)
			} else {
				run = 0
			}
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// mdReplacer escapes text for Markdown paragraphs, list items and table cells.
var mdReplacer = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "#", `\#`, "\n", " ")

func mdEscape(s string) string { return mdReplacer.Replace(s) }

// mdCode is s as an inline code span, safe in a table cell.
func mdCode(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}
