package tintri

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// ListServiceGroups returns every service group (GET /v310/servicegroup, paged).
func (c *Reader) ListServiceGroups(ctx context.Context) ([]ServiceGroup, error) {
	return collect[ServiceGroup](ctx, c.conn, listing{op: "list service groups", path: "/v310/servicegroup", route: "/v310/servicegroup"})
}

// GetServiceGroup returns one service group by uuid.
func (c *Reader) GetServiceGroup(ctx context.Context, id string) (*ServiceGroup, error) {
	var g ServiceGroup
	err := c.do(ctx, &call{
		method: http.MethodGet, path: svgPath(id, ""), route: "/v310/servicegroup/{id}",
		auth: true, idempotent: true, decode: decodeJSON(&g),
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// ServiceGroupMembers returns a service group's members (GET /v310/servicegroup/{id}/members, paged).
func (c *Reader) ServiceGroupMembers(ctx context.Context, id string) ([]ServiceGroupMember, error) {
	return collect[ServiceGroupMember](ctx, c.conn, listing{
		op: "list members of service group " + id, path: svgPath(id, "/members"), route: "/v310/servicegroup/{id}/members",
	})
}

// UpdateServiceGroupStaticMembers adds and removes static members (PUT
// /v310/servicegroup/{id}/members/static; TGC only). The client fills typeId and sends
// absent lists as []. The PUT is idempotent and retried.
func (c *Client) UpdateServiceGroupStaticMembers(ctx context.Context, id string, req CollectionChangeRequest) error {
	if err := c.RequireTGC(ctx); err != nil {
		return fmt.Errorf("update static members of service group %s: %w", id, err)
	}
	req.TypeID = TypeCollectionChangeRequest
	req.ObjectIdsAdded = nonNil(req.ObjectIdsAdded)
	req.ObjectIdsRemoved = nonNil(req.ObjectIdsRemoved)
	body, err := c.marshal("update service group static members", req)
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		method: http.MethodPut, path: svgPath(id, "/members/static"), route: "/v310/servicegroup/{id}/members/static",
		body: body, auth: true, idempotent: true,
	})
}

// ServiceGroupQoS returns a service group's QoS configuration (TGC only).
func (c *Reader) ServiceGroupQoS(ctx context.Context, id string) (*VirtualMachineQoSConfig, error) {
	if err := c.RequireTGC(ctx); err != nil {
		return nil, fmt.Errorf("get qos of service group %s: %w", id, err)
	}
	var q VirtualMachineQoSConfig
	err := c.do(ctx, &call{
		method: http.MethodGet, path: svgPath(id, "/qosConfig"), route: "/v310/servicegroup/{id}/qosConfig",
		auth: true, idempotent: true, decode: decodeJSON(&q),
	})
	if err != nil {
		return nil, err
	}
	return &q, nil
}

// SetServiceGroupQoS replaces a service group's QoS configuration (PUT
// /v310/servicegroup/{id}/qosConfig; TGC only). It does not apply it to the members: see
// ApplyServiceGroupQoS. The PUT is idempotent and retried.
func (c *Client) SetServiceGroupQoS(ctx context.Context, id string, q VirtualMachineQoSConfig) error {
	if err := c.RequireTGC(ctx); err != nil {
		return fmt.Errorf("set qos of service group %s: %w", id, err)
	}
	q.TypeID = TypeQoSConfig
	body, err := c.marshal("set service group qos", q)
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		method: http.MethodPut, path: svgPath(id, "/qosConfig"), route: "/v310/servicegroup/{id}/qosConfig",
		body: body, auth: true, idempotent: true,
	})
}

// ApplyServiceGroupQoS applies the group's QoS configuration to all its members (POST
// /v310/servicegroup/{id}/qos; TGC only). It is retried only when the request never left
// the client: after an ambiguous failure the caller must re-read and decide.
func (c *Client) ApplyServiceGroupQoS(ctx context.Context, id string) error {
	if err := c.RequireTGC(ctx); err != nil {
		return fmt.Errorf("apply qos of service group %s: %w", id, err)
	}
	return c.do(ctx, &call{
		method: http.MethodPost, path: svgPath(id, "/qos"), route: "/v310/servicegroup/{id}/qos", auth: true,
	})
}

func svgPath(id, sub string) string { return "/v310/servicegroup/" + url.PathEscape(id) + sub }
