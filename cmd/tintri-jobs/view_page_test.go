package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// bigPlan has n changes: one task of n-1 VM affinity changes on 20 servers and one of a
// service group change with 40 member details, to exercise the Markdown view's limit.
func bigPlan(n int) *plan.Plan {
	var vms []plan.Change
	for i := range n - 1 {
		vms = append(vms, plan.Change{Server: fmt.Sprintf("tgc-%02d", i%20), Object: fmt.Sprintf("vm vdi-%05d", i), ID: fmt.Sprint(i),
			Action: plan.ActionUpdate, Summary: "affinity none → NEVER"})
	}
	var members []string
	for i := range 40 {
		members = append(members, fmt.Sprintf("+ vdi-%04d", i))
	}
	return &plan.Plan{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ConfigHash: strings.Repeat("f", 64), Jobs: []plan.JobPlan{
		{Name: "groups", Tasks: []plan.TaskEntry{{Name: "vdi", Kind: "service_group_members", TaskPlan: plan.TaskPlan{Changes: []plan.Change{
			{Server: "tgc-00", Object: "service group VDI", ID: "sg", Action: plan.ActionUpdate, Summary: "add 40 members", Details: members, Objects: 40}}}}}},
		{Name: "placement", Tasks: []plan.TaskEntry{{Name: "never", Kind: "vm_affinity", TaskPlan: plan.TaskPlan{Changes: vms}}}},
	}}
}

// TestMarkdownCommentLimit: the Markdown of a 10,000-change plan fits GitHub's comment
// limit, says how many diff lines it leaves out, and is the same every time (golden).
func TestMarkdownCommentLimit(t *testing.T) {
	p := bigPlan(10000)
	var b bytes.Buffer
	if err := newView(&b, viewOptions{format: formatMarkdown}).Plan(p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := length(out); n > markdownLimit || n < markdownLimit-500 {
		t.Errorf("%d characters, want at most %d and not much less", n, markdownLimit)
	}
	// Every diff line is either shown or counted as not shown.
	total := 1 + 40 + 9999 + 1 + 20 // changes, details, server comments of both tasks
	shown := strings.Count(out, "\n~ ") + strings.Count(out, "\n+     ") + strings.Count(out, "\n# server ")
	if want := fmt.Sprintf("_%d of %d diff lines not shown", total-shown, total); !strings.Contains(out, want) {
		t.Errorf("lacks %q", want)
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") || strings.Count(out, "```")%2 != 0 {
		t.Errorf("unbalanced sections or fences")
	}
	var again bytes.Buffer
	if err := newView(&again, viewOptions{format: formatMarkdown}).Plan(bigPlan(10000)); err != nil || again.String() != out {
		t.Errorf("a second rendering differs (%v)", err)
	}
	golden(t, "big.md", out)
}

// TestMarkdownEscapes: names with Markdown and HTML syntax cannot break the comment.
func TestMarkdownEscapes(t *testing.T) {
	if got, want := mdEscape("a|b *c* <x> [l](u) _u_ #h `c` &amp;"), `a\|b \*c\* &lt;x&gt; \[l\](u) \_u\_ \#h `+"\\`c\\`"+` &amp;amp;`; got != want {
		t.Errorf("mdEscape = %q, want %q", got, want)
	}
	if got := mdCode("a`b|c"); got != "`` a`b\\|c ``" {
		t.Errorf("mdCode = %q", got)
	}
	if got := mdFence([]string{"x ```` y", "``"}); got != "`````" {
		t.Errorf("mdFence = %q", got)
	}
}

// parseHTML parses a page, failing the test on a parse error.
func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// nodes returns the elements of doc for which keep is true, in document order.
func nodes(doc *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func tag(name string) func(*html.Node) bool { return func(n *html.Node) bool { return n.Data == name } }

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		c, _ := attr(n, "class")
		return slices.Contains(strings.Fields(c), class)
	}
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// TestHTMLPage parses the HTML of a plan and of a result: one self-contained page (no
// external resource), a summary row per task, one filterable row per change with its
// server and category, the servers in the filter, and the warnings and failures.
func TestHTMLPage(t *testing.T) {
	res := syntheticResult()
	for _, tt := range []struct {
		name   string
		render func(v view) error
		result bool
	}{
		{"plan", func(v view) error { return v.Plan(syntheticPlan()) }, false},
		{"result", func(v view) error { return errors2(v.Plan(syntheticPlan()), v.Result(res)) }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(newView(&b, viewOptions{format: formatHTML, apply: tt.result})); err != nil {
				t.Fatal(err)
			}
			doc := parseHTML(t, b.String())
			for _, n := range nodes(doc, func(*html.Node) bool { return true }) {
				for _, key := range []string{"src", "href", "action", "srcset"} {
					if v, ok := attr(n, key); ok && !strings.HasPrefix(v, "#") {
						t.Errorf("<%s %s=%q>: the page loads or links something outside it", n.Data, key, v)
					}
				}
			}
			if n := len(nodes(doc, tag("link"))) + len(nodes(doc, tag("iframe"))) + len(nodes(doc, tag("img"))); n != 0 {
				t.Errorf("%d link, iframe or img elements", n)
			}
			if s, st := nodes(doc, tag("script")), nodes(doc, tag("style")); len(s) != 1 || len(st) != 1 || !strings.Contains(text(s[0]), "filter()") {
				t.Errorf("want one inline script and one style, got %d and %d", len(s), len(st))
			}
			if rows := nodes(doc, hasClass("task-row")); len(rows) != 4 {
				t.Errorf("%d summary rows, want one per task (4)", len(rows))
			}
			rows := nodes(doc, hasClass("change"))
			if len(rows) != 16 {
				t.Fatalf("%d change rows, want 16", len(rows))
			}
			categories := map[string]int{}
			for _, r := range rows {
				server, _ := attr(r, "data-server")
				cat, _ := attr(r, "data-action")
				_, hasOutcome := attr(r, "data-outcome")
				categories[cat]++
				if server == "" || hasOutcome != tt.result {
					t.Errorf("row %q: server %q, outcome attribute %v", text(r), server, hasOutcome)
				}
			}
			if want := map[string]int{"add": 1, "change": 13, "remove": 1, "run": 1}; fmt.Sprint(categories) != fmt.Sprint(want) {
				t.Errorf("categories %v, want %v", categories, want)
			}
			var options []string
			for _, o := range nodes(doc, tag("option")) {
				options = append(options, text(o))
			}
			if want := []string{"all servers", "tgc", "10.0.0.5"}; !slices.Equal(options, want) {
				t.Errorf("server filter options %q, want %q", options, want)
			}
			if n := len(nodes(doc, func(n *html.Node) bool { v, _ := attr(n, "name"); return v == "outcome" })); (n == 6) != tt.result {
				t.Errorf("%d outcome filters", n)
			}
			for _, id := range []string{"warnings", "failures", "verdict", "shown"} {
				if len(nodes(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == id })) != 1 {
					t.Errorf("no #%s", id)
				}
			}
			if !strings.Contains(b.String(), "add data ip &lt;a&amp;b&gt;") {
				t.Errorf("a summary with markup is not escaped")
			}
		})
	}
}

func errors2(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// TestHTMLInBrowser loads the page of a result in headless Chromium, when it is
// installed, with filters in its address, and checks that the script hid the rows the
// filters leave out: it ran, without error, in a real browser. With
// TINTRI_JOBS_REQUIRE_BROWSER=1 (as .ci/run sets it) a missing browser fails the test.
func TestHTMLInBrowser(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("TINTRI_JOBS_REQUIRE_BROWSER") == "1" {
			t.Fatal("chromium is not installed, and TINTRI_JOBS_REQUIRE_BROWSER=1 requires it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	var b bytes.Buffer
	v := newView(&b, viewOptions{format: formatHTML, apply: true})
	if err := errors2(v.Plan(syntheticPlan()), v.Result(syntheticResult())); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "result.html")
	if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		hash, shown string
		visible     int
	}{
		// Each load takes seconds: two cover server, action and outcome filters.
		{"#action=add,remove&outcome=stale,skipped", "2 of 16 changes shown", 2},
		{"#server=tgc&outcome=unknown", "1 of 16 changes shown", 1},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
			"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page+tt.hash)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("chromium %s: %v\n%s", tt.hash, err, stderr.String())
		}
		doc := parseHTML(t, string(out))
		shown := nodes(doc, func(n *html.Node) bool { v, _ := attr(n, "id"); return v == "shown" })
		if len(shown) != 1 || text(shown[0]) != tt.shown {
			t.Errorf("%s: #shown %q, want %q", tt.hash, text(shown[0]), tt.shown)
		}
		visible := 0
		for _, r := range nodes(doc, hasClass("change")) {
			if _, hidden := attr(r, "hidden"); !hidden {
				visible++
			}
		}
		if visible != tt.visible {
			t.Errorf("%s: %d rows visible, want %d", tt.hash, visible, tt.visible)
		}
	}
}
