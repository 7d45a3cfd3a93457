package sim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// defaultLimit is the reference's default page size.
const defaultLimit = 2000

// pageReq is the paging part of a collection query.
type pageReq struct {
	offset, limit int
	query         url.Values // the whole query, to carry filters into next
}

// parsePage reads offset and limit; it answers 400 and returns false when they are invalid.
// Repeated parameters (a client adding its filter to a next query string) use the first value.
func parsePage(w http.ResponseWriter, r *http.Request) (pageReq, bool) {
	q := r.URL.Query()
	pr := pageReq{limit: defaultLimit, query: q}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"offset", &pr.offset}, {"limit", &pr.limit}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			badRequest(w, "%s=%q is not a non-negative integer", p.name, s)
			return pr, false
		}
		*p.dst = n
	}
	if pr.limit == 0 {
		pr.limit = defaultLimit
	}
	return pr, true
}

// multi returns the values of a multi-valued parameter: repeated and/or comma separated,
// trimmed, deduplicated, in first-seen order.
func multi(q url.Values, name string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// queryValueEscaper undoes url.QueryEscape for the characters a query value may hold as
// they are: sub-delimiters such as "," (includeFields=uuid,vmware) and ":", "/", "@". A
// client that re-sends next without decoding it, as the vendor's SDK does, must get the same
// filters on every page; "&", "=", "+", ";", "#" and "%" stay escaped.
var queryValueEscaper = strings.NewReplacer("%2C", ",", "%3A", ":", "%2F", "/", "%40", "@",
	"%21", "!", "%24", "$", "%27", "'", "%28", "(", "%29", ")", "%2A", "*")

// escapeQueryValue escapes a query key or value for next and prev.
func escapeQueryValue(v string) string { return queryValueEscaper.Replace(url.QueryEscape(v)) }

// sortSpec is a collection request's sortedBy ("" = the collection's default order) and
// sortOrder.
type sortSpec struct {
	by   string
	desc bool
}

// parseSort reads sortedBy, which must be one of allowed, and sortOrder, ASC (the default)
// or DESC. It answers 400 ERR-API-4003 and returns false for any other value, rather than
// serving the default order as if the request had been honoured.
func parseSort(w http.ResponseWriter, q url.Values, allowed []string) (sortSpec, bool) {
	var sp sortSpec
	if sp.by = q.Get("sortedBy"); sp.by != "" && !slices.Contains(allowed, sp.by) {
		badQuery(w, "sortedBy=%q is not supported; supported: %s", sp.by, strings.Join(allowed, ", "))
		return sp, false
	}
	switch o := q.Get("sortOrder"); strings.ToUpper(o) {
	case "", "ASC":
	case "DESC":
		sp.desc = true
	default:
		badQuery(w, "sortOrder=%q is not ASC or DESC", o)
		return sp, false
	}
	return sp, true
}

// parseList reads the paging and sorting of a collection request (sortKeys as parseSort
// says); it answers 400 and returns false when they are invalid.
func parseList(w http.ResponseWriter, r *http.Request, sortKeys []string) (pageReq, sortSpec, bool) {
	pr, ok := parsePage(w, r)
	if !ok {
		return pr, sortSpec{}, false
	}
	sp, ok := parseSort(w, pr.query, sortKeys)
	return pr, sp, ok
}

// nextQuery is the query string of the page after offset: offset and limit first, then the
// request's other parameters (deduplicated) so filters survive.
func (pr pageReq) nextQuery(offset int) string {
	var b strings.Builder
	b.WriteString("offset=" + strconv.Itoa(offset) + "&limit=" + strconv.Itoa(pr.limit))
	keys := make([]string, 0, len(pr.query))
	for k := range pr.query {
		if k != "offset" && k != "limit" && k != "page" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		seen := map[string]bool{}
		for _, v := range pr.query[k] {
			if !seen[v] {
				seen[v] = true
				b.WriteString("&" + escapeQueryValue(k) + "=" + escapeQueryValue(v))
			}
		}
	}
	return b.String()
}

// pageOf is a Page whose items are I, which the answer encodes as they are.
type pageOf[I any] struct {
	tintri.Page
	Items []I `json:"items"` // shadows Page.Items
}

// page cuts one page out of the filtered records and renders only the records on it, so
// that a page of a large inventory costs its own size. absolute is the count before filtering.
func page[T, I any](pr pageReq, filtered []T, absolute int, render func(T) I) pageOf[I] {
	n := len(filtered)
	start := min(pr.offset, n)
	end := min(start+pr.limit, n)
	items := make([]I, 0, end-start)
	for _, rec := range filtered[start:end] {
		items = append(items, render(rec))
	}
	p := pageOf[I]{Page: tintri.Page{
		TypeID:        tintri.TypePage,
		AbsoluteTotal: int64(absolute),
		FilteredTotal: int64(n),
		Total:         int64(absolute),
		Offset:        pr.offset,
		Limit:         pr.limit,
		Page:          pr.offset/pr.limit + 1,
		PageTotal:     max(1, (n+pr.limit-1)/pr.limit),
	}, Items: items}
	if end < n {
		p.Next = pr.nextQuery(end)
	}
	if pr.offset > 0 {
		p.Prev = pr.nextQuery(max(0, pr.offset-pr.limit))
	}
	return p
}

// mustRaw marshals v; the simulator's DTOs always marshal.
func mustRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sim: marshal: " + err.Error())
	}
	return b
}

// trimFields returns v, a DTO struct, with only the fields named (by their JSON names)
// and typeId; the others are zeroed, which the DTOs' omitempty leaves out of the answer.
func trimFields[T any](v T, fields []string) T {
	var out T
	src, dst := reflect.ValueOf(&v).Elem(), reflect.ValueOf(&out).Elem()
	byName := jsonFields(src.Type())
	keep := func(name string) {
		if i, ok := byName[name]; ok {
			dst.Field(i).Set(src.Field(i))
		}
	}
	keep("typeId")
	for _, f := range fields {
		keep(f)
	}
	return out
}

// fieldIndexes caches jsonFields by struct type.
var fieldIndexes sync.Map // reflect.Type -> map[string]int

// jsonFields maps the JSON names of struct type t's fields to their indexes.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldIndexes.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	fieldIndexes.Store(t, m)
	return m
}
