package ecs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
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
// so memory stays bounded whatever the fleet size, and each instance once.
// See listPages for how pages are read in parallel and kept consistent.
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

func (c *Client) listRequest(sel Selector, ids []string) *describeInstancesRequest {
	req := newDescribeInstancesRequest()
	if ids != nil {
		raw, _ := json.Marshal(ids)
		req.InstanceIds = string(raw)
	}
	if len(sel.Statuses) == 1 {
		req.Status = sel.Statuses[0]
	}
	req.InstanceChargeType = sel.ChargeType
	req.InstanceName = sel.Name
	var tags []tagParam
	keys := make([]string, 0, len(sel.Tags))
	for k := range sel.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t := tagParam{Key: k}
		if v := sel.Tags[k]; v != AnyValue {
			t.Value = v
		}
		tags = append(tags, t)
	}
	if _, ok := sel.Tags[sel.ExpireTag]; sel.ExpireTag != "" && !ok {
		tags = append(tags, tagParam{Key: sel.ExpireTag})
	}
	if len(tags) > 0 {
		req.Tag = &tags
	}
	return req
}

// lister delivers matching instances once each, however many times ECS
// returns them.
type lister struct {
	sel  Selector
	fn   func([]Instance) error
	seen map[string]bool // every instance ECS returned, matching or not
}

func (l *lister) deliver(raw []apiInstance) error {
	page := make([]Instance, 0, len(raw))
	for _, r := range raw {
		if l.seen[r.InstanceId] {
			continue
		}
		l.seen[r.InstanceId] = true
		if in := fromSDK(r); l.sel.Match(in) {
			page = append(page, in)
		}
	}
	if len(page) == 0 {
		return nil
	}
	return l.fn(page)
}

// listPages lists one server-side query. It reads page 1, then the other
// pages by number, Concurrency at a time, delivering them in order. Page
// numbers shift when instances are created or released during the listing;
// that shows as a changed TotalCount or as fewer distinct instances than
// TotalCount, and then a NextToken pass (whose tokens do not shift) picks
// up whatever was missed. Memory holds at most Concurrency pages plus the
// IDs seen.
func (c *Client) listPages(ctx context.Context, sel Selector, ids []string, fn func([]Instance) error) error {
	l := &lister{sel: sel, fn: fn, seen: map[string]bool{}}
	req := c.listRequest(sel, ids)
	req.PageNumber = requests.NewInteger(1)
	req.PageSize = requests.NewInteger(BatchSize)
	first, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
	if err != nil {
		return err
	}
	total := first.TotalCount
	if err := l.deliver(first.Instances.Instance); err != nil {
		return err
	}
	pages := (total + BatchSize - 1) / BatchSize
	var shifted atomic.Bool
	err = inOrder(ctx, "DescribeInstances", c.readWorkers(), 2, pages, func(ctx context.Context, n int) ([]apiInstance, error) {
		r := c.listRequest(sel, ids)
		r.PageNumber = requests.NewInteger(n)
		r.PageSize = requests.NewInteger(BatchSize)
		resp, err := do(ctx, c, "DescribeInstances", r, API.DescribeInstances)
		if err != nil {
			return nil, err
		}
		if resp.TotalCount != total {
			shifted.Store(true)
		}
		return resp.Instances.Instance, nil
	}, l.deliver)
	if err != nil {
		return err
	}
	if !shifted.Load() && len(l.seen) >= total {
		return nil
	}
	return c.listByToken(ctx, sel, ids, l)
}

// listByToken pages with NextToken, delivering what l has not seen yet.
func (c *Client) listByToken(ctx context.Context, sel Selector, ids []string, l *lister) error {
	req := c.listRequest(sel, ids)
	req.MaxResults = requests.NewInteger(BatchSize)
	tokens := map[string]bool{}
	for {
		resp, err := do(ctx, c, "DescribeInstances", req, API.DescribeInstances)
		if err != nil {
			return err
		}
		if err := l.deliver(resp.Instances.Instance); err != nil {
			return err
		}
		if resp.NextToken == "" {
			return nil
		}
		if tokens[resp.NextToken] {
			return fmt.Errorf("ecs DescribeInstances: NextToken %q came back twice; stopping to avoid a loop", resp.NextToken)
		}
		tokens[resp.NextToken] = true
		req.NextToken = resp.NextToken
	}
}

// inOrder fetches items first..last with a window of workers in flight
// and hands each result to deliver in order: item n+workers is asked for
// once item n has been delivered, so calls stay in flight while earlier
// results are handed over, and at most workers results are held. The
// first error (of a fetch or of deliver) ends it, and so does the end of
// ctx (an error of action, ErrDeadline), even before an item was fetched.
func inOrder[R any](ctx context.Context, action string, workers, first, last int, fetch func(context.Context, int) (R, error), deliver func(R) error) error {
	if last < first {
		return nil
	}
	type result struct {
		v   R
		err error
	}
	slots := make([]chan result, last-first+1)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	window := make(chan struct{}, max(1, workers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for n := first; n <= last; n++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(n int, slot chan<- result) {
				v, err := fetch(ctx, n)
				slot <- result{v, err}
			}(n, slots[n-first])
		}
	}()
	for i := range slots {
		var got result
		select {
		case got = <-slots[i]:
		case <-ctx.Done():
			// The items not asked for yet never will be: their slots stay
			// empty.
			return &APIError{Action: action, Message: ctx.Err().Error(), class: ErrDeadline, cause: ctx.Err()}
		}
		<-window
		if got.err != nil {
			return got.err
		}
		if err := deliver(got.v); err != nil {
			return err
		}
	}
	return nil
}
