package tintri

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// SnapshotFilter selects the snapshots of GET /v310/snapshot (SnapshotFilterSpec).
type SnapshotFilter struct {
	VMUUID string   // "vmUuid": one VM's snapshots; mandatory on a TGC
	Types  []string // "type", e.g. SnapshotUserGenerated
}

// query renders the filter as query parameters.
func (f SnapshotFilter) query() url.Values {
	q := url.Values{}
	if f.VMUUID != "" {
		q.Set("vmUuid", f.VMUUID)
	}
	if len(f.Types) > 0 {
		q.Set("type", strings.Join(f.Types, ","))
	}
	return q
}

// ListSnapshots returns the snapshots matching f (GET /v310/snapshot, paged), oldest first.
// A TGC lists one VM's snapshots only: f.VMUUID is then required.
func (c *Reader) ListSnapshots(ctx context.Context, f SnapshotFilter) ([]Snapshot, error) {
	if f.VMUUID == "" {
		if err := c.RequireVMstore(ctx); err != nil {
			return nil, fmt.Errorf("list snapshots of every vm: %w", err)
		}
	}
	return collect[Snapshot](ctx, c.conn, listing{op: "list snapshots", path: "/v310/snapshot", route: "/v310/snapshot", query: f.query()})
}

// GetSnapshot returns one snapshot by its Tintri uuid (GET /v310/snapshot/{id}; VMstore only).
func (c *Reader) GetSnapshot(ctx context.Context, id string) (*Snapshot, error) {
	if err := c.RequireVMstore(ctx); err != nil {
		return nil, fmt.Errorf("get snapshot %s: %w", id, err)
	}
	var s Snapshot
	err := c.do(ctx, &call{
		method: http.MethodGet, path: "/v310/snapshot/" + url.PathEscape(id), route: "/v310/snapshot/{id}",
		auth: true, idempotent: true, decode: decodeJSON(&s),
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSnapshots takes a manual snapshot per spec (POST /v310/snapshot; VMstore only) and
// returns the new snapshots' uuids, in order. The client fills typeId. The POST is retried
// only when the request never left the client, so no snapshot is taken twice.
func (c *Client) CreateSnapshots(ctx context.Context, specs []SnapshotSpec) ([]string, error) {
	if err := c.RequireVMstore(ctx); err != nil {
		return nil, fmt.Errorf("create snapshots: %w", err)
	}
	for i := range specs {
		specs[i].TypeID = TypeSnapshotSpec
	}
	body, err := c.marshal("create snapshots", specs)
	if err != nil {
		return nil, err
	}
	var ids []string
	err = c.do(ctx, &call{
		method: http.MethodPost, path: "/v310/snapshot", route: "/v310/snapshot",
		body: body, auth: true, decode: decodeJSON(&ids),
	})
	if err != nil {
		return nil, err
	}
	if len(ids) != len(specs) {
		return nil, fmt.Errorf("%s: POST /api/v310/snapshot: %d uuids for %d snapshots", c.host, len(ids), len(specs))
	}
	return ids, nil
}

// DeleteSnapshot deletes one snapshot (DELETE /v310/snapshot/{id}; VMstore only), which
// answers 200 and a message. A VMstore refuses to delete a snapshot that clones still use.
// The DELETE is retried only when the request never left the client: a repeated one would
// answer 404 for a deletion made.
func (c *Client) DeleteSnapshot(ctx context.Context, id string) error {
	if err := c.RequireVMstore(ctx); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", id, err)
	}
	return c.do(ctx, &call{
		method: http.MethodDelete, path: "/v310/snapshot/" + url.PathEscape(id), route: "/v310/snapshot/{id}",
		auth: true, decode: func(resp *http.Response) error {
			var msg json.RawMessage // a JSON string, or text; only its arrival matters
			_ = json.NewDecoder(resp.Body).Decode(&msg)
			return nil
		},
	})
}
