package ecs

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of ECS tags (TagResources): keys 1–128 characters, values up to
// 128, neither starting with "acs:" (keys not with "aliyun" either), no
// "http://" or "https://" in them; 20 tags a resource; 50 resources a call.
const (
	MaxTagValue       = 128
	MaxTagResourceIDs = 50
)

// TagValue makes any text a valid ECS tag value: "http://" and "https://"
// lose their slashes, a leading "acs:" is dropped, and the result is cut to
// MaxTagValue on a rune boundary. Use it for values composed from input
// (event ids, reasons).
func TagValue(s string) string {
	s = strings.NewReplacer("http://", "http:", "https://", "https:").Replace(s)
	for strings.HasPrefix(s, "acs:") {
		s = strings.TrimPrefix(s, "acs:")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	return CutRunes(s, MaxTagValue)
}

// CutRunes cuts s to at most n characters and n bytes, on a rune boundary:
// within ECS's limit whether it counts characters or bytes.
func CutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Tag sets tags on instances, 50 per call. It is a mutating call: see
// Config.MutationAttempts. One result per instance, in input order.
func (c *Client) Tag(ctx context.Context, ids []string, tags map[string]string) []Result {
	params := tagParams(tags)
	return c.perBatch(ids, MaxTagResourceIDs, func(batch []string) (string, error) {
		req := newTagResourcesRequest()
		req.ResourceType = "instance"
		req.ResourceId = &batch
		req.Tag = params
		resp, err := mutate(ctx, c, "TagResources", req, API.TagResources)
		if err != nil {
			return "", err
		}
		return resp.RequestId, nil
	})
}

// Untag removes tag keys from instances, 50 per call (a mutating call).
func (c *Client) Untag(ctx context.Context, ids []string, keys ...string) []Result {
	keys = slices.Clone(keys)
	return c.perBatch(ids, MaxTagResourceIDs, func(batch []string) (string, error) {
		req := newUntagResourcesRequest()
		req.ResourceType = "instance"
		req.ResourceId = &batch
		req.TagKey = &keys
		resp, err := mutate(ctx, c, "UntagResources", req, API.UntagResources)
		if err != nil {
			return "", err
		}
		return resp.RequestId, nil
	})
}

// tagParams are tags as Tag.N parameters, in key order.
func tagParams(tags map[string]string) *[]tagParam {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	params := make([]tagParam, len(keys))
	for i, k := range keys {
		params[i] = tagParam{Key: k, Value: tags[k]}
	}
	return &params
}

// perBatch runs one all-or-nothing call per batch of ids (in parallel) and
// gives every instance of a batch its call's result.
func (c *Client) perBatch(ids []string, size int, call func(batch []string) (string, error)) []Result {
	parts := chunks(ids, size)
	results := make([][]Result, len(parts))
	c.parallel(len(parts), func(i int) {
		batch := slices.Clone(parts[i])
		rid, err := call(batch)
		out := make([]Result, len(batch))
		for j, id := range batch {
			out[j] = Result{InstanceID: id, RequestID: rid}
			if err != nil {
				out[j].Err = forInstance(err, id)
			}
		}
		results[i] = out
	})
	var out []Result
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}
