package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkecs "github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
)

// AnyValue as a selector tag value matches any value of the key.
const AnyValue = "*"

// maxFilterTags is the most Tag.N filters DescribeInstances takes.
const maxFilterTags = 20

// Selector chooses instances. ECS filters IDs, tags, a single status,
// charge type and name server-side; age, several statuses and the expiry
// tag are checked here as pages arrive.
type Selector struct {
	IDs        []string
	Tags       map[string]string // all must match; AnyValue = key present
	Name       string            // glob, * = any run of characters
	Statuses   []string
	ChargeType string // "" = any
	// CreatedBefore keeps instances created before it (olderThan).
	CreatedBefore time.Time
	// ExpireTag and ExpiredAt keep instances whose ExpireTag value, an
	// RFC 3339 time, is before ExpiredAt.
	ExpireTag string
	ExpiredAt time.Time
}

// Validate reports a selector ECS cannot serve.
func (s Selector) Validate() error {
	n := len(s.Tags)
	if s.ExpireTag != "" {
		if _, ok := s.Tags[s.ExpireTag]; !ok {
			n++
		}
	}
	if n > maxFilterTags {
		return fmt.Errorf("%w: selector has %d tags; ECS filters at most %d", ErrInvalidParameter, n, maxFilterTags)
	}
	return nil
}

// Match is the client-side check of every selector condition (the
// server-side filters are checked again, so a lax server cannot widen the
// selection).
func (s Selector) Match(in Instance) bool {
	if len(s.IDs) > 0 && !slices.Contains(s.IDs, in.ID) {
		return false
	}
	for k, v := range s.Tags {
		got, ok := in.Tags[k]
		if !ok || (v != AnyValue && got != v) {
			return false
		}
	}
	if s.Name != "" && !Glob(s.Name, in.Name) {
		return false
	}
	if len(s.Statuses) > 0 && !slices.Contains(s.Statuses, in.Status) {
		return false
	}
	if s.ChargeType != "" && in.ChargeType != s.ChargeType {
		return false
	}
	if !s.CreatedBefore.IsZero() && (in.CreationTime.IsZero() || !in.CreationTime.Before(s.CreatedBefore)) {
		return false
	}
	if s.ExpireTag != "" {
		v, ok := in.Tags[s.ExpireTag]
		if !ok {
			return false
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil || !t.Before(s.ExpiredAt) {
			return false
		}
	}
	return true
}

// Glob matches s against a pattern in which * is any run of characters.
func Glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// List calls fn with each page of matching instances (at most 100 each),
// so memory stays bounded whatever the fleet size. It pages with
// NextToken, which stays valid while instances change between pages.
func (c *Client) List(ctx context.Context, sel Selector, fn func(page []Instance) error) error {
	if err := sel.Validate(); err != nil {
		return err
	}
	if len(sel.IDs) > 0 {
		for _, ids := range chunks(sel.IDs, BatchSize) {
			if err := c.listPages(ctx, sel, ids, fn); err != nil {
				return err
			}
		}
		return nil
	}
	return c.listPages(ctx, sel, nil, fn)
}

// ListAll collects List's pages.
func (c *Client) ListAll(ctx context.Context, sel Selector) ([]Instance, error) {
	var out []Instance
	err := c.List(ctx, sel, func(page []Instance) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

func (c *Client) listPages(ctx context.Context, sel Selector, ids []string, fn func([]Instance) error) error {
	req := sdkecs.CreateDescribeInstancesRequest()
	req.MaxResults = requests.NewInteger(BatchSize)
	if ids != nil {
		raw, _ := json.Marshal(ids)
		req.InstanceIds = string(raw)
	}
	if len(sel.Statuses) == 1 {
		req.Status = sel.Statuses[0]
	}
	req.InstanceChargeType = sel.ChargeType
	req.InstanceName = sel.Name
	var tags []sdkecs.DescribeInstancesTag
	keys := make([]string, 0, len(sel.Tags))
	for k := range sel.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t := sdkecs.DescribeInstancesTag{Key: k}
		if v := sel.Tags[k]; v != AnyValue {
			t.Value = v
		}
		tags = append(tags, t)
	}
	if _, ok := sel.Tags[sel.ExpireTag]; sel.ExpireTag != "" && !ok {
		tags = append(tags, sdkecs.DescribeInstancesTag{Key: sel.ExpireTag})
	}
	if len(tags) > 0 {
		req.Tag = &tags
	}
	seen := map[string]bool{}
	for {
		resp, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
		if err != nil {
			return err
		}
		page := make([]Instance, 0, len(resp.Instances.Instance))
		for _, raw := range resp.Instances.Instance {
			in := fromSDK(raw)
			if sel.Match(in) {
				page = append(page, in)
			}
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if resp.NextToken == "" {
			return nil
		}
		if seen[resp.NextToken] {
			return fmt.Errorf("ecs DescribeInstances: NextToken %q came back twice; stopping to avoid a loop", resp.NextToken)
		}
		seen[resp.NextToken] = true
		req.NextToken = resp.NextToken
	}
}
