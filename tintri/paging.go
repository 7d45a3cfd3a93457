package tintri

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// maxPageWindow bounds the pages of one listing fetched ahead of the one being delivered,
// which bounds its memory; within it the window follows the client's in-flight limit.
const maxPageWindow = 16

// pageOf is a Page whose items decode straight into T, keeping only T's fields.
type pageOf[T any] struct {
	FilteredTotal int64  `json:"filteredTotal"`
	Offset        int    `json:"offset"`
	Limit         int    `json:"limit"`
	Next          string `json:"next,omitempty"`
	Items         []T    `json:"items"`
}

// listing names a paged collection for requests and errors.
type listing struct {
	op    string // "list vms", for errors
	path  string // below /api
	route string
	query url.Values // filters; offset and limit are managed here
}

// eachItem calls fn for every item of the paged collection, in order. After the first page
// the remaining ones are fetched concurrently by offset when filteredTotal is known, and
// by following `next` otherwise (and after the planned pages, should the collection have grown).
func eachItem[T any](ctx context.Context, c *conn, l listing, fn func(*T) error) error {
	q := cloneValues(l.query)
	q.Set("offset", "0")
	first, err := getPage[T](ctx, c, l, q)
	if err != nil {
		return err
	}
	if err := deliver(ctx, c, l, first.Items, fn); err != nil {
		return err
	}
	cur := first
	size := len(first.Items)
	if first.Next != "" && first.FilteredTotal > int64(size) && size > 0 {
		var offsets []int
		for off := first.Offset + size; int64(off) < first.FilteredTotal; off += size {
			offsets = append(offsets, off)
		}
		last, err := fetchOrdered(ctx, c, l, q, offsets, size, fn)
		if err != nil {
			return err
		}
		if last.Next == "" {
			return nil
		}
		cur = last
	}
	for cur.Next != "" {
		nq, err := mergeNext(q, cur.Next)
		if err != nil {
			return fmt.Errorf("%s: %s: page next %q: %w", c.host, l.op, cur.Next, err)
		}
		if nq.Encode() == q.Encode() {
			return fmt.Errorf("%s: %s: page next %q does not advance", c.host, l.op, cur.Next)
		}
		q = nq
		if cur, err = getPage[T](ctx, c, l, q); err != nil {
			return err
		}
		if err := deliver(ctx, c, l, cur.Items, fn); err != nil {
			return err
		}
	}
	return nil
}

// pageWindow is how many pages of a listing may be fetched at once now.
func (c *conn) pageWindow() int { return min(maxPageWindow, c.lim.current()) }

// fetchOrdered fetches the pages at offsets, up to the page window ahead of the one being
// delivered, and delivers them strictly in order: at most maxPageWindow + 1 pages are held
// in memory. It returns the last page.
func fetchOrdered[T any](ctx context.Context, c *conn, l listing, q url.Values, offsets []int, size int, fn func(*T) error) (*pageOf[T], error) {
	type result struct {
		page *pageOf[T]
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	results := make([]chan result, len(offsets))
	launched := 0
	// launch starts the pages after the first `done` ones up to the page window.
	launch := func(done int) {
		for ; launched < len(offsets) && launched-done < max(1, c.pageWindow()); launched++ {
			pq := cloneValues(q)
			pq.Set("offset", strconv.Itoa(offsets[launched]))
			pq.Set("limit", strconv.Itoa(size))
			ch := make(chan result, 1)
			results[launched] = ch
			wg.Go(func() {
				p, err := getPage[T](ctx, c, l, pq)
				ch <- result{p, err}
			})
		}
	}
	launch(0)
	var last *pageOf[T]
	for i := range offsets {
		r := <-results[i]
		results[i] = nil
		if r.err != nil {
			return nil, r.err
		}
		launch(i + 1)
		if err := deliver(ctx, c, l, r.page.Items, fn); err != nil {
			return nil, err
		}
		last = r.page
	}
	return last, nil
}

// getPage fetches one page.
func getPage[T any](ctx context.Context, c *conn, l listing, q url.Values) (*pageOf[T], error) {
	var p pageOf[T]
	err := c.do(ctx, &call{
		method: http.MethodGet, path: l.path, route: l.route, query: q, auth: true, idempotent: true,
		decode: func(resp *http.Response) error {
			p = pageOf[T]{}
			return decodeJSON(&p)(resp)
		},
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// deliver hands items to fn in order, stopping at the first error or when ctx ends.
func deliver[T any](ctx context.Context, c *conn, l listing, items []T, fn func(*T) error) error {
	for i := range items {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %s: %w", c.host, l.op, err)
		}
		if err := fn(&items[i]); err != nil {
			return err
		}
	}
	return nil
}

// mergeNext applies a page's `next` query string (possibly a full URL or "?…") over the
// request's own query, so filters such as includeFields survive even when next omits them.
func mergeNext(q url.Values, next string) (url.Values, error) {
	if i := strings.IndexByte(next, '?'); i >= 0 {
		next = next[i+1:]
	}
	nv, err := url.ParseQuery(next)
	if err != nil {
		return nil, err
	}
	out := cloneValues(q)
	for k, v := range nv {
		out[k] = v
	}
	return out, nil
}

func cloneValues(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// collect gathers a paged collection into a slice.
func collect[T any](ctx context.Context, c *conn, l listing) ([]T, error) {
	var out []T
	err := eachItem(ctx, c, l, func(v *T) error {
		out = append(out, *v)
		return nil
	})
	return out, err
}
