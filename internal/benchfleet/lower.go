//go:build unix

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// lowerBound is the measured lower bound of a listing: a minimal client that asks for the
// product (/api/info), logs in and fetches every page of path?query (2000 items each, the
// default page size) at the appliance's concurrency, discarding the bodies undecoded as
// curl would. It runs in this process, beside the simulator.
func (b *bench) lowerBound(ctx context.Context, path, query string) (result, error) {
	c, err := b.minimalClient(b.o.capacity)
	if err != nil {
		return result{}, err
	}
	defer c.CloseIdleConnections()
	base := b.sim.TGCURL() + "/api"
	b.sim.ResetCounters()
	start := time.Now()
	cookie, err := b.login(ctx, c, base)
	if err != nil {
		return result{}, err
	}
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

// chainBound is the measured lower bound of a change on every VMstore of the fleet: a
// minimal client that sends, to all of them at once, the chain of requests tintri-jobs'
// appliance_dns sends to each (product, login, appliance, DNS read, read before the write,
// write, read back, logout), each waiting for the one before. On this machine it pays the
// same TLS handshakes and HTTPS exchanges, so it says what the machine allows.
func (b *bench) chainBound(ctx context.Context, primary string) (result, error) {
	urls := b.sim.VMstoreURLs()
	c, err := b.minimalClient(1)
	if err != nil {
		return result{}, err
	}
	defer c.CloseIdleConnections()
	b.sim.ResetCounters()
	start := time.Now()
	g, ctx := errgroup.WithContext(ctx)
	for _, u := range urls {
		g.Go(func() error { return b.dnsChain(ctx, c, u+"/api", primary) })
	}
	if err := g.Wait(); err != nil {
		return result{}, err
	}
	r := b.result("minimal client, same requests (lower bound)", chain, proc{wall: since(start)})
	r.bound = r.wall
	return r, nil
}

// dnsChain sends appliance_dns' requests to one VMstore, one after the other.
func (b *bench) dnsChain(ctx context.Context, c *http.Client, base, primary string) error {
	cookie, err := b.login(ctx, c, base)
	if err != nil {
		return err
	}
	for _, p := range []string{"/v310/appliance/default", "/v310/appliance/default/dns", "/v310/appliance/default/dns"} {
		if _, err := get(ctx, c, base+p, cookie, false); err != nil {
			return err
		}
	}
	body := fmt.Sprintf(`{"typeId":"com.tintri.api.rest.v310.dto.Request","propertiesToBeUpdated":["dnsConfig"],`+
		`"objectsWithNewValues":{"typeId":"com.tintri.api.rest.v310.dto.domain.Appliance","dnsConfig":`+
		`{"typeId":"com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceDns","dnsPrimary":%q}}}`, primary)
	if err := send(ctx, c, http.MethodPut, base+"/v310/appliance/default", cookie, body, http.StatusNoContent); err != nil {
		return err
	}
	if _, err := get(ctx, c, base+"/v310/appliance/default/dns", cookie, false); err != nil {
		return err
	}
	return send(ctx, c, http.MethodPost, base+"/v310/session/logout", cookie, "", http.StatusNoContent)
}

// minimalClient is an HTTP client trusting the simulator's CA, keeping perHost
// connections to each server.
func (b *bench) minimalClient(perHost int) (*http.Client, error) {
	pem, err := os.ReadFile(b.sim.CAFile())
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: perHost}}, nil
}

// login asks the server at base (".../api") for its product, logs in and returns the
// session cookie.
func (b *bench) login(ctx context.Context, c *http.Client, base string) (string, error) {
	if _, err := get(ctx, c, base+"/info", "", false); err != nil {
		return "", err
	}
	body := fmt.Sprintf(`{"typeId":"com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials","username":%q,"password":%q}`, b.sim.Username(), b.sim.Password())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v310/session/login", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login %s: %s", base, resp.Status)
	}
	return resp.Header.Get("Set-Cookie"), nil
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
	return do(ctx, c, http.MethodGet, url, cookie, "", http.StatusOK, keep)
}

// send sends method url with the session cookie and a JSON body, and checks the status.
func send(ctx context.Context, c *http.Client, method, url, cookie, body string, want int) error {
	_, err := do(ctx, c, method, url, cookie, body, want, false)
	return err
}

// do sends method url with the session cookie ("" for none) and a JSON body ("" for none),
// checks that the answer's status is want and returns its body when keep is set (else it
// is read and discarded).
func do(ctx context.Context, c *http.Client, method, url, cookie, body string, want int, keep bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	if !keep {
		_, err = io.Copy(io.Discard, resp.Body)
		return nil, err
	}
	return io.ReadAll(resp.Body)
}
