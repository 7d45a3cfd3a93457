package decode

import (
	"fmt"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
)

// maxSuggestions is how many close names a suggestion lists.
const maxSuggestions = 3

// Suggest returns up to three of candidates closest to given by Levenshtein distance
// (case-insensitive), closest first and then by name. Candidates more than half of given's
// length away (at least one edit) are left out, so unrelated names are never suggested;
// a candidate that contains given, or that given contains, qualifies when the shorter of
// the two has at least three characters.
func Suggest(given string, candidates []string) []string {
	type scored struct {
		name string
		dist int
	}
	g := strings.ToLower(given)
	limit := max(len(g)/2, 1)
	seen := map[string]bool{}
	var out []scored
	for _, c := range candidates {
		if seen[c] || c == "" {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := levenshtein.Distance(g, lc, nil)
		if d <= limit || (min(len(g), len(lc)) >= 3 && (strings.Contains(lc, g) || strings.Contains(g, lc))) {
			out = append(out, scored{c, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].dist != out[j].dist {
			return out[i].dist < out[j].dist
		}
		return out[i].name < out[j].name
	})
	names := make([]string, 0, maxSuggestions)
	for i := 0; i < len(out) && i < maxSuggestions; i++ {
		names = append(names, out[i].name)
	}
	return names
}

// DidYouMean returns ` (did you mean "a", "b"?)` for the names closest to given, or "".
func DidYouMean(given string, candidates []string) string {
	names := Suggest(given, candidates)
	if len(names) == 0 {
		return ""
	}
	return " (did you mean " + QuoteList(names, ", ") + "?)"
}

// QuoteList quotes each name and joins them with sep.
func QuoteList(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, sep)
}
