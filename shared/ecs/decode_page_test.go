package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

// pageBodies returns the raw bodies of a DescribeInstances page and a
// DescribeDisks page from the emulator, over instances that use every
// field the package reads.
func pageBodies(t testing.TB, n int) (instances, disks []byte) {
	env := ecsemutest.Start(t, ecsemu.Options{})
	fleet := make([]ecsemu.Instance, n)
	for i := range fleet {
		fleet[i] = ecsemu.Instance{
			InstanceName:    fmt.Sprintf("ci-runner \"%d\" ✓", i),
			Tags:            ecsemu.TagSet{Tag: []ecsemu.Tag{{TagKey: "ecs-release:managed", TagValue: "true"}, {TagKey: "owner", TagValue: fmt.Sprintf("team-%d", i%3)}}},
			OperationLocks:  ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}},
			EipAddress:      ecsemu.EipAddress{AllocationId: fmt.Sprintf("eip-%d", i), IpAddress: fmt.Sprintf("47.0.0.%d", i)},
			PublicIpAddress: ecsemu.IPSet{IpAddress: []string{fmt.Sprintf("8.8.0.%d", i)}},
		}
	}
	env.AddFleet(t, fleet...)
	api, err := NewAPI(emulatorConfig(env, 1))
	require.NoError(t, err)
	c := api.(sdkAPI).c
	ir := newDescribeInstancesRequest()
	ir.PageSize = requests.NewInteger(BatchSize)
	raw := responses.NewCommonResponse()
	require.NoError(t, c.DoAction(ir, raw))
	instances = raw.GetHttpContentBytes()
	dr := newDescribeDisksRequest()
	dr.PageSize = requests.NewInteger(BatchSize)
	raw = responses.NewCommonResponse()
	require.NoError(t, c.DoAction(dr, raw))
	return instances, raw.GetHttpContentBytes()
}

// sdkDecode is how the SDK decodes an answer into a typed response.
func sdkDecode(body []byte, resp responses.AcsResponse) error {
	hr := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
	return responses.Unmarshal(resp, hr, "JSON")
}

// decodedFields are the fields of a decoded page (the SDK's BaseResponse
// keeps the raw body, which decodePage does not fill in).
func decodedFields(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(b)
}

// TestPagesDecodeAsTheSDKDecodesThem: for real pages and for seeded
// mutations of them (numbers written as strings and the reverse, nulls,
// floats, missing and unknown fields), decodePage accepts what the SDK's
// parser accepts, refuses what it refuses, and decodes the same values.
// (Keys are written in ECS's own case: a key in another case is matched
// by go-json, as encoding/json does, and not by the SDK.)
func TestPagesDecodeAsTheSDKDecodesThem(t *testing.T) {
	t.Parallel()
	instancesBody, disksBody := pageBodies(t, 12)
	type page struct {
		name string
		body []byte
		new  func() responses.AcsResponse
	}
	pages := []page{
		{"DescribeInstances", instancesBody, func() responses.AcsResponse { return new(describeInstancesResponse) }},
		{"DescribeDisks", disksBody, func() responses.AcsResponse { return new(describeDisksResponse) }},
	}
	check := func(t *testing.T, p page, body []byte) (fellBack bool) {
		want, got := p.new(), p.new()
		wantErr := sdkDecode(body, want)
		gotErr := decodePage(body, got, maxPageRoom)
		if wantErr != nil {
			require.Error(t, gotErr, "the SDK refuses %.300s", body)
			return true
		}
		require.NoError(t, gotErr, "the SDK reads %.300s", body)
		require.Equal(t, decodedFields(want), decodedFields(got))
		return gojsonRefuses(body, p.new())
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			require.False(t, check(t, p, p.body), "a real page is decoded by the fast decoder")
			rng := rand.New(rand.NewPCG(17, uint64(len(p.name))))
			fellBack := 0
			for i := range 400 {
				body := mutateJSON(t, rng, p.body, 1+rng.IntN(3))
				if check(t, p, body) {
					fellBack++
				}
				if t.Failed() {
					t.Fatalf("mutation %d", i)
				}
			}
			// The mutations reach both decoders.
			require.Greater(t, fellBack, 20)
			require.Less(t, fellBack, 380)
		})
	}
}

// gojsonRefuses reports whether the fast decoder alone refuses body.
func gojsonRefuses(body []byte, resp responses.AcsResponse) bool {
	return fastDecode(body, resp) != nil
}

// mutateJSON changes n leaves (or members) of the JSON body at random.
func mutateJSON(t *testing.T, rng *rand.Rand, body []byte, n int) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	require.NoError(t, dec.Decode(&root))
	for range n {
		var paths [][]any
		walk(root, nil, &paths)
		path := paths[rng.IntN(len(paths))]
		root = change(rng, root, path)
	}
	out, err := json.Marshal(root)
	require.NoError(t, err)
	return out
}

// walk lists the paths (keys and indexes) of every value under v.
func walk(v any, path []any, out *[][]any) {
	if len(path) > 0 {
		*out = append(*out, slices.Clone(path))
	}
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walk(x[k], append(path, k), out)
		}
	case []any:
		for i, e := range x {
			walk(e, append(path, i), out)
		}
	}
}

// change replaces the value at path with a mutation of it.
func change(rng *rand.Rand, root any, path []any) any {
	if len(path) == 0 {
		return mutation(rng, root)
	}
	switch x := root.(type) {
	case map[string]any:
		k := path[0].(string)
		if len(path) == 1 && rng.IntN(6) == 0 {
			delete(x, k)
			return x
		}
		x[k] = change(rng, x[k], path[1:])
	case []any:
		i := path[0].(int)
		x[i] = change(rng, x[i], path[1:])
	}
	return root
}

func mutation(rng *rand.Rand, v any) any {
	switch x := v.(type) {
	case json.Number:
		switch rng.IntN(4) {
		case 0:
			return x.String() // a number written as a string
		case 1:
			return json.Number(x.String() + ".5")
		case 2:
			return nil
		default:
			return json.Number("-" + x.String())
		}
	case string:
		switch rng.IntN(4) {
		case 0:
			return json.Number("42") // a string written as a number
		case 1:
			return nil
		case 2:
			return true
		default:
			return x + "\u00e9\\\"" // escapes and non-ASCII
		}
	case bool:
		switch rng.IntN(3) {
		case 0:
			return fmt.Sprint(x)
		case 1:
			return nil
		default:
			return json.Number("1")
		}
	case map[string]any:
		if rng.IntN(2) == 0 {
			x["Unknown"] = map[string]any{"Nested": []any{json.Number("1"), "two"}}
			return x
		}
		return []any{}
	case []any:
		if rng.IntN(2) == 0 {
			return map[string]any{}
		}
		return append(x, nil)
	}
	return "null was here"
}

// TestDecodedPagesAreNotKept: what a run keeps of a page (one instance of
// it, say) does not keep the page's body alive: every string is a copy.
// A decoder that handed out strings pointing into its input would keep
// every page of a listing in memory.
func TestDecodedPagesAreNotKept(t *testing.T) {
	body, disksBody := pageBodies(t, BatchSize)
	const pages = 40
	live := func() uint64 {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	kept := make([]Instance, 0, pages)
	keptDisks := make([]Disk, 0, pages)
	before := live()
	for range pages {
		var r describeInstancesResponse
		require.NoError(t, decodePage(slices.Clone(body), &r, maxPageRoom))
		kept = append(kept, fromSDK(r.Instances.Instance[len(r.Instances.Instance)-1]))
		var d describeDisksResponse
		require.NoError(t, decodePage(slices.Clone(disksBody), &d, maxPageRoom))
		keptDisks = append(keptDisks, d.Disks.Disk[0].disk())
	}
	grew := int64(live()) - int64(before)
	runtime.KeepAlive(kept)
	runtime.KeepAlive(keptDisks)
	// 40 pages are about 40 × len(body) bytes; what is kept is a few KB.
	require.Less(t, grew, int64(len(body))*pages/10, "the kept instances hold on to their pages (page %d bytes)", len(body))
}

// A page's list is given its room before it is decoded and filled in
// place (no growing by doubling); a small body gets a small list; an empty
// list is left nil, as the SDK's parser leaves it.
func TestPagesAreFilledInPlace(t *testing.T) {
	t.Parallel()
	body, disksBody := pageBodies(t, BatchSize)
	var r describeInstancesResponse
	require.NoError(t, decodePage(body, &r, maxPageRoom))
	require.Len(t, r.Instances.Instance, BatchSize)
	assert.Equal(t, BatchSize, cap(r.Instances.Instance), "filled in the room made for it")
	var d describeDisksResponse
	require.NoError(t, decodePage(disksBody, &d, maxPageRoom))
	assert.Equal(t, len(d.Disks.Disk), cap(d.Disks.Disk))

	small, _ := pageBodies(t, 3)
	var s describeInstancesResponse
	require.NoError(t, decodePage(small, &s, maxPageRoom))
	require.Len(t, s.Instances.Instance, 3)
	assert.Less(t, cap(s.Instances.Instance), maxPageRoom, "room after the body's size")

	var e describeInstancesResponse
	require.NoError(t, decodePage([]byte(`{"RequestId":"r","TotalCount":0,"Instances":{"Instance":[]}}`), &e, maxPageRoom))
	assert.Nil(t, e.Instances.Instance)
	assert.Equal(t, maxPageRoom, roomFor(&describeInstancesRequest{PageSize: "100"}))
	assert.Zero(t, roomFor(newDescribeDisksRequest()), "no size asked: no room made")
}
