//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
)

// lowerBound is the measured lower bound of a listing: a minimal client that asks for the
// product (/api/info), logs in and fetches every page of path?query (2000 items each, the
// default page size) at the appliance's concurrency, discarding the bodies undecoded as
// curl would. It runs in this process, beside the simulator.
func (b *bench) lowerBound(ctx context.Context, path, query string) (result, error) {
	pem, err := os.ReadFile(b.sim.CAFile())
	if err != nil {
		return result{}, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: b.o.capacity}}
	defer c.CloseIdleConnections()
	base := b.sim.TGCURL() + "/api"
	b.sim.ResetCounters()
	start := time.Now()
	if _, err := get(ctx, c, base+"/info", "", false); err != nil {
		return result{}, err
	}
	body := fmt.Sprintf(`{"typeId":"com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials","username":%q,"password":%q}`, b.sim.Username(), b.sim.Password())
	resp, err := c.Post(base+"/v310/session/login", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		return result{}, err
	}
	_ = resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	first, err := get(ctx, c, base+path+"?offset=0&limit=2000&"+query, cookie, true)
	if err != nil {
		return result{}, err
	}
	var head struct {
		FilteredTotal int `json:"filteredTotal"`
	}
	if err := json.Unmarshal(first, &head); err != nil {
		return result{}, err
	}
	if err := fetchPages(ctx, c, base+path, query, cookie, head.FilteredTotal, b.o.capacity); err != nil {
		return result{}, err
	}
	r := b.result("minimal client, same pages (lower bound)", bulk, proc{wall: since(start)})
	r.bound = r.wall
	return r, nil
}

// fetchPages GETs the pages after the first of a listing of total items, workers at once.
func fetchPages(ctx context.Context, c *http.Client, url, query, cookie string, total, workers int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for off := 2000; off < total; off += 2000 {
		g.Go(func() error {
			_, err := get(ctx, c, url+"?offset="+strconv.Itoa(off)+"&limit=2000&"+query, cookie, false)
			return err
		})
	}
	return g.Wait()
}

// get fetches url with the session cookie and returns the body when keep is set (else it
// is read and discarded).
func get(ctx context.Context, c *http.Client, url, cookie string, keep bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if !keep {
		_, err = io.Copy(io.Discard, resp.Body)
		return nil, err
	}
	return io.ReadAll(resp.Body)
}
