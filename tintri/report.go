package tintri

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxReportURL bounds the text answer of vmListDownloadable.
const maxReportURL = 8 << 10

// RequestVMReport asks the TGC to build a VM list report (POST /v310/vm/vmListDownloadable)
// and returns the URL to download it from. The client fills typeId. The POST is retried only
// when the request never left the client, so a report is never requested twice.
func (c *Client) RequestVMReport(ctx context.Context, f VirtualMachineDownloadableReportFilter) (string, error) {
	if err := c.RequireTGC(ctx); err != nil {
		return "", fmt.Errorf("request vm report: %w", err)
	}
	f.TypeID = TypeVMReportFilter
	body, err := c.marshal("request vm report", f)
	if err != nil {
		return "", err
	}
	var answer string
	err = c.do(ctx, &call{
		method: http.MethodPost, path: "/v310/vm/vmListDownloadable", route: "/v310/vm/vmListDownloadable",
		body: body, auth: true, accept: "text/plain, application/json",
		decode: func(resp *http.Response) error {
			b, err := io.ReadAll(io.LimitReader(resp.Body, maxReportURL))
			answer = string(b)
			return err
		},
	})
	if err != nil {
		return "", err
	}
	u := strings.TrimSpace(answer)
	if uq, err := strconv.Unquote(u); err == nil { // a JSON string answer
		u = uq
	}
	if u == "" {
		return "", fmt.Errorf("%s: POST /api/v310/vm/vmListDownloadable: empty answer, want a url", c.host)
	}
	return u, nil
}

// Download GETs rawURL (absolute, or relative to the server) and streams the body to w,
// returning the bytes written. The session cookie is sent only to this client's server;
// errors name only the URL's last path segment, since report URLs carry access tokens.
// Failures before the body starts are retried; the timeout covers the answer's headers only.
func (c *Reader) Download(ctx context.Context, rawURL string, w io.Writer) (int64, error) {
	ref, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return 0, fmt.Errorf("%s: download: malformed report url", c.host)
	}
	target := c.base.ResolveReference(ref)
	if target.Scheme != "https" && target.Scheme != "http" {
		return 0, fmt.Errorf("%s: download: unsupported url scheme %q", c.host, target.Scheme)
	}
	var n int64
	err = c.do(ctx, &call{
		method: http.MethodGet, target: target, route: "(report download)",
		auth: target.Host == c.base.Host && target.Scheme == "https", idempotent: true, stream: true, accept: "*/*",
		decode: func(resp *http.Response) error {
			var err error
			n, err = io.Copy(w, resp.Body)
			return err
		},
	})
	return n, err
}
