package tintri

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// applianceDefault is the appliance path a VMstore answers for itself.
const applianceDefault = "/v310/appliance/default"

// Appliance returns the VMstore's own appliance (GET /v310/appliance/default). The
// reference documents a list answer; a single object is accepted too.
func (c *Reader) Appliance(ctx context.Context) (*Appliance, error) {
	var list []Appliance
	if err := c.getList(ctx, applianceDefault, applianceDefault, &list); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: GET /api%s: answer holds no appliance", c.host, applianceDefault)
	}
	return &list[0], nil
}

// ApplianceAlias returns the appliance's localAlias, the name people know it by ("" when it
// has none), for messages. It reads the appliance (Appliance) once per client.
func (c *Reader) ApplianceAlias(ctx context.Context) (string, error) {
	c.infoMu.Lock()
	cached := c.alias
	c.infoMu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	a, err := c.Appliance(ctx)
	if err != nil {
		return "", err
	}
	c.infoMu.Lock()
	c.alias = &a.LocalAlias
	c.infoMu.Unlock()
	return a.LocalAlias, nil
}

// ApplianceDNS returns the DNS configuration (GET /v310/appliance/default/dns).
func (c *Reader) ApplianceDNS(ctx context.Context) (*ApplianceDns, error) {
	var v ApplianceDns
	if err := c.getJSON(ctx, applianceDefault+"/dns", "/v310/appliance/default/dns", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ApplianceIPs returns the configured IPs (GET /v310/appliance/default/ips).
func (c *Reader) ApplianceIPs(ctx context.Context) ([]ApplianceIp, error) {
	var v []ApplianceIp
	if err := c.getList(ctx, applianceDefault+"/ips", "/v310/appliance/default/ips", &v); err != nil {
		return nil, err
	}
	return v, nil
}

// ApplianceMaintenanceMode returns the maintenance mode (VMstore only).
func (c *Reader) ApplianceMaintenanceMode(ctx context.Context) (*ApplianceMaintenanceMode, error) {
	if err := c.RequireVMstore(ctx); err != nil {
		return nil, fmt.Errorf("get maintenance mode: %w", err)
	}
	var v ApplianceMaintenanceMode
	if err := c.getJSON(ctx, applianceDefault+"/maintenanceMode", "/v310/appliance/default/maintenanceMode", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ApplianceInfo returns model, OS version and serial number (GET /v310/appliance/default/info).
func (c *Reader) ApplianceInfo(ctx context.Context) (*ApplianceInfo, error) {
	var v ApplianceInfo
	if err := c.getJSON(ctx, applianceDefault+"/info", "/v310/appliance/default/info", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ApplianceFailedComponents returns the hardware parts to replace (VMstore only).
func (c *Reader) ApplianceFailedComponents(ctx context.Context) (*ApplianceFailedComponents, error) {
	if err := c.RequireVMstore(ctx); err != nil {
		return nil, fmt.Errorf("get failed components: %w", err)
	}
	var v ApplianceFailedComponents
	if err := c.getJSON(ctx, applianceDefault+"/failedComponents", "/v310/appliance/default/failedComponents", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// UpdateAppliance updates the properties props (PropDNSConfig, PropConfigIPs,
// PropMaintenanceMode …) of the VMstore's appliance from a (PUT /v310/appliance/default with
// a Request). VMstore only: a TGC accepts this PUT solely to add a sync-replication IP under
// a VMstore's uuid. The PUT is idempotent and retried.
func (c *Client) UpdateAppliance(ctx context.Context, a Appliance, props ...string) error {
	if len(props) == 0 {
		return fmt.Errorf("%s: update appliance: no property to update", c.host)
	}
	if err := c.RequireVMstore(ctx); err != nil {
		return fmt.Errorf("update appliance: %w", err)
	}
	a.TypeID = TypeAppliance
	obj, err := c.marshal("update appliance", a)
	if err != nil {
		return err
	}
	body, err := c.marshal("update appliance", Request{
		TypeID: TypeRequest, ObjectsWithNewValues: []json.RawMessage{obj}, PropertiesToBeUpdated: props,
	})
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		method: http.MethodPut, path: applianceDefault, route: applianceDefault, body: body, auth: true, idempotent: true,
	})
}

// ListVMstores returns the VMstores a TGC manages (GET /v310/vmstore; TGC only).
func (c *Reader) ListVMstores(ctx context.Context) ([]VmStore, error) {
	if err := c.RequireTGC(ctx); err != nil {
		return nil, fmt.Errorf("list vmstores: %w", err)
	}
	var v []VmStore
	if err := c.getList(ctx, "/v310/vmstore", "/v310/vmstore", &v); err != nil {
		return nil, err
	}
	return v, nil
}

// getJSON GETs path (below /api) with the session and decodes the JSON answer into v.
func (c *conn) getJSON(ctx context.Context, path, route string, v any) error {
	return c.do(ctx, &call{method: http.MethodGet, path: path, route: route, auth: true, idempotent: true, decode: decodeJSON(v)})
}

// getList GETs a List<T> answer into *out, also accepting a single object or a Page.
func (c *conn) getList(ctx context.Context, path, route string, out any) error {
	return c.do(ctx, &call{
		method: http.MethodGet, path: path, route: route, auth: true, idempotent: true,
		decode: func(resp *http.Response) error { return decodeList(resp, out) },
	})
}

// decodeList decodes a JSON array into out (a pointer to a slice); a single object is
// decoded as a one-element list, a Page object by its items.
func decodeList(resp *http.Response, out any) error {
	br := bufio.NewReader(resp.Body)
	first, err := peekNonSpace(br)
	if err != nil {
		return err
	}
	if first == '[' {
		return json.NewDecoder(br).Decode(out)
	}
	var raw json.RawMessage
	if err := json.NewDecoder(br).Decode(&raw); err != nil {
		return err
	}
	var page struct {
		TypeID string          `json:"typeId"`
		Items  json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err == nil && page.TypeID == TypePage {
		if len(page.Items) == 0 || string(page.Items) == "null" {
			return nil
		}
		return json.Unmarshal(page.Items, out)
	}
	return json.Unmarshal(append(append([]byte{'['}, raw...), ']'), out)
}

// peekNonSpace returns the first non-space byte without consuming it.
func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			_, _ = br.ReadByte()
		default:
			return b[0], nil
		}
	}
}
