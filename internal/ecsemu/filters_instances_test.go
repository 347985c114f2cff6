package ecsemu_test

// DescribeInstances never answers wider than ECS: on a seeded random fleet
// of 60 instances in two regions, every filter (and random combinations of
// them, ANDed) is sent through the real classic SDK, all pages are read,
// and the answer must be exactly the subset an independent predicate
// computes over the fleet, in creation order.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu/ecsemutest"
)

var (
	flRegions = []string{"cn-hangzhou", "cn-shanghai"}
	// flFamily is the instance family of each type the fleet uses, written
	// out by hand so the predicate does not share the emulator's rule.
	flFamily = map[string]string{
		"ecs.g7.large": "ecs.g7", "ecs.g7.xlarge": "ecs.g7", "ecs.c6.large": "ecs.c6",
		"ecs.t5-lc1m1.small": "ecs.t5", "ecs.gn6i-c4g1.xlarge": "ecs.gn6i",
	}
	flImages = []string{"ubuntu_22_04_x64_20G_alibase_20240101.vhd", "centos_7_9_x64_20G_alibase_20230101.vhd",
		"win2022_21H2_x64_dtc_en-us_40G_alibase_20240101.vhd", "m-custom0001"}
	flGroups   = []string{"", "rg-aaa", "rg-bbb"}
	flKeyPairs = []string{"", "kp-alpha", "kp-beta"}
	flSGs      = []string{"sg-1", "sg-2", "sg-3", "sg-4", "sg-5"}
	flNames    = []string{"web", "db", "batch"}
	flStatuses = []string{ecsemu.StatusRunning, ecsemu.StatusStopped, ecsemu.StatusStarting, ecsemu.StatusPending}
	flTagPool  = []ecsemu.Tag{{TagKey: "env", TagValue: "prod"}, {TagKey: "env", TagValue: "dev"}, {TagKey: "team", TagValue: "a"},
		{TagKey: "team", TagValue: "b"}, {TagKey: "owner", TagValue: ""}}
)

// flFleet builds the seeded random fleet. Every field a filter reads is
// set explicitly, except MetadataOptions for some instances (documented
// defaults: enabled, optional).
func flFleet(seed uint64) []ecsemu.Instance {
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	var fleet []ecsemu.Instance
	for i := range 60 {
		region := flRegions[r.IntN(2)]
		typ := pick(slices.Sorted(func(yield func(string) bool) {
			for k := range flFamily {
				if !yield(k) {
					return
				}
			}
		}))
		created := ecsemutest.Epoch.Add(-time.Duration(r.IntN(30*24*60)) * time.Minute)
		in := ecsemu.Instance{
			InstanceId:         fmt.Sprintf("i-f%03d", i),
			InstanceName:       fmt.Sprintf("%s-%d", pick(flNames), i%7),
			RegionId:           region,
			ZoneId:             region + "-" + pick([]string{"a", "b"}),
			InstanceType:       typ,
			ImageId:            pick(flImages),
			Status:             pick(flStatuses),
			InstanceChargeType: pick([]string{ecsemu.PostPaid, ecsemu.PrePaid}),
			InternetChargeType: pick([]string{ecsemu.PayByTraffic, ecsemu.PayByBandwidth}),
			ResourceGroupId:    pick(flGroups),
			KeyPairName:        pick(flKeyPairs),
			CreationTime:       created.Format("2006-01-02T15:04Z"),
		}
		if r.IntN(4) == 0 {
			in.InstanceTypeFamily = flFamily[typ] // set explicitly for some
		}
		if in.InstanceChargeType == ecsemu.PrePaid {
			in.ExpiredTime = created.Add(time.Duration(1+r.IntN(400*24*60)) * time.Minute).Format("2006-01-02T15:04Z")
		}
		if r.IntN(7) == 0 {
			in.InstanceNetworkType = ecsemu.NetworkClassic
			in.InnerIpAddress.IpAddress = []string{fmt.Sprintf("10.0.%d.%d", i/10, i%10+1)}
		} else {
			in.InstanceNetworkType = ecsemu.NetworkVPC
			vpc := fmt.Sprintf("vpc-%s-%d", region, 1+r.IntN(3))
			in.VpcAttributes = ecsemu.VpcAttributes{VpcId: vpc, VSwitchId: fmt.Sprintf("vsw-%s-%d", vpc, 1+r.IntN(2))}
			in.VpcAttributes.PrivateIpAddress.IpAddress = []string{fmt.Sprintf("172.16.%d.%d", i/10, i%10+1)}
			if r.IntN(5) == 0 {
				in.EipAddress = ecsemu.EipAddress{AllocationId: fmt.Sprintf("eip-%d", i), IpAddress: fmt.Sprintf("39.0.0.%d", i+1), Bandwidth: 5, InternetChargeType: ecsemu.PayByTraffic}
			}
		}
		if r.IntN(5) < 2 {
			in.PublicIpAddress.IpAddress = []string{fmt.Sprintf("47.0.0.%d", i+1)}
		}
		sgs := slices.Clone(flSGs)
		r.Shuffle(len(sgs), func(a, b int) { sgs[a], sgs[b] = sgs[b], sgs[a] })
		in.SecurityGroupIds.SecurityGroupId = sgs[:1+r.IntN(2)]
		seen := map[string]bool{}
		for range r.IntN(3) {
			tag := flTagPool[r.IntN(len(flTagPool))]
			if !seen[tag.TagKey] {
				seen[tag.TagKey] = true
				in.Tags.Tag = append(in.Tags.Tag, tag)
			}
		}
		switch r.IntN(12) {
		case 0:
			in.OperationLocks.LockReason = []ecsemu.LockReason{{LockReason: "security"}}
		case 1:
			in.OperationLocks.LockReason = []ecsemu.LockReason{{LockReason: "financial"}}
		}
		if r.IntN(10) < 7 {
			in.MetadataOptions = &ecsemu.MetadataOptions{HttpEndpoint: pick([]string{"enabled", "disabled"}), HttpTokens: pick([]string{"optional", "required"})}
		}
		fleet = append(fleet, in)
	}
	return fleet
}

// flFilter is one DescribeInstances filter: how to put it on the classic
// SDK's request and the independent predicate of what it selects.
type flFilter struct {
	name  string
	apply func(*ecs.DescribeInstancesRequest, *flSlots)
	match func(ecsemu.Instance) bool
}

// flSlots hands out the classic request's Filter.N slots (N = 1..4).
type flSlots struct{ next int }

func (s *flSlots) set(r *ecs.DescribeInstancesRequest, key, value string) {
	s.next++
	switch s.next {
	case 1:
		r.Filter1Key, r.Filter1Value = key, value
	case 2:
		r.Filter2Key, r.Filter2Value = key, value
	case 3:
		r.Filter3Key, r.Filter3Value = key, value
	case 4:
		r.Filter4Key, r.Filter4Value = key, value
	default:
		panic("more than 4 time filters")
	}
}

func flJSON(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}

func flGlob(pattern, s string) bool {
	// An independent wildcard matcher: * is any run of characters.
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) || !strings.HasSuffix(s[len(parts[0]):], parts[len(parts)-1]) {
		return false
	}
	rest := s[len(parts[0]) : len(s)-len(parts[len(parts)-1])]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(rest, mid)
		if i < 0 {
			return false
		}
		rest = rest[i+len(mid):]
	}
	return true
}

func flTime(s string) time.Time {
	t, _ := time.Parse("2006-01-02T15:04Z", s)
	return t
}

// flGenerators make a random filter of each kind; values come from what
// the fleet uses plus values that match nothing.
func flGenerators(fleet []ecsemu.Instance) map[string]func(r *rand.Rand) flFilter {
	pick := func(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }
	collect := func(f func(ecsemu.Instance) []string) []string {
		var out []string
		for _, in := range fleet {
			for _, v := range f(in) {
				if v != "" && !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	one := func(f func(ecsemu.Instance) string) func(ecsemu.Instance) []string {
		return func(in ecsemu.Instance) []string { return []string{f(in)} }
	}
	eq := func(name string, values []string, set func(*ecs.DescribeInstancesRequest, string), field func(ecsemu.Instance) string) func(r *rand.Rand) flFilter {
		return func(r *rand.Rand) flFilter {
			v := pick(r, append(slices.Clone(values), "nomatch-"+name))
			return flFilter{name + "=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { set(q, v) }, func(in ecsemu.Instance) bool { return field(in) == v }}
		}
	}
	addrList := func(name string, set func(*ecs.DescribeInstancesRequest, string), field func(ecsemu.Instance) []string) func(r *rand.Rand) flFilter {
		pool := append(collect(field), "192.0.2.1")
		return func(r *rand.Rand) flFilter {
			var list []string
			for range 1 + r.IntN(3) {
				list = append(list, pick(r, pool))
			}
			if r.IntN(4) == 0 { // another kind of address: matches only that kind
				list = append(list, pick(r, collect(func(in ecsemu.Instance) []string { return in.VpcAttributes.PrivateIpAddress.IpAddress })))
			}
			v := flJSON(list)
			return flFilter{name + "=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { set(q, v) }, func(in ecsemu.Instance) bool {
				return slices.ContainsFunc(field(in), func(a string) bool { return slices.Contains(list, a) })
			}}
		}
	}
	metadata := func(in ecsemu.Instance) ecsemu.MetadataOptions {
		if in.MetadataOptions == nil {
			return ecsemu.MetadataOptions{HttpEndpoint: "enabled", HttpTokens: "optional"}
		}
		return *in.MetadataOptions
	}
	timeFilter := func(key string, field func(ecsemu.Instance) string) func(r *rand.Rand) flFilter {
		pool := collect(one(field))
		return func(r *rand.Rand) flFilter {
			var v string
			if r.IntN(3) == 0 || len(pool) == 0 {
				v = ecsemutest.Epoch.Add(time.Duration(r.IntN(800*24*60)-400*24*60) * time.Minute).Format("2006-01-02T15:04Z")
			} else {
				v = pick(r, pool) // an instance's own time: the bound is inclusive
			}
			at := flTime(v)
			return flFilter{"Filter " + key + "=" + v, func(q *ecs.DescribeInstancesRequest, s *flSlots) { s.set(q, key, v) }, func(in ecsemu.Instance) bool {
				if field(in) == "" {
					return false
				}
				t := flTime(field(in))
				if strings.HasSuffix(key, "StartTime") {
					return !t.Before(at)
				}
				return !t.After(at)
			}}
		}
	}
	ids := collect(one(func(in ecsemu.Instance) string { return in.InstanceId }))
	names := collect(one(func(in ecsemu.Instance) string { return in.InstanceName }))
	return map[string]func(r *rand.Rand) flFilter{
		"InstanceIds": func(r *rand.Rand) flFilter {
			var list []string
			for range r.IntN(6) {
				list = append(list, pick(r, ids))
			}
			if r.IntN(3) == 0 {
				list = append(list, "i-nosuch")
			}
			v := flJSON(list)
			if list == nil {
				v = "[]"
			}
			return flFilter{"InstanceIds=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.InstanceIds = v }, func(in ecsemu.Instance) bool { return slices.Contains(list, in.InstanceId) }}
		},
		"Status": func(r *rand.Rand) flFilter {
			v := pick(r, append(slices.Clone(flStatuses), ecsemu.StatusStopping)) // no instance is Stopping
			return flFilter{"Status=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.Status = v }, func(in ecsemu.Instance) bool { return in.Status == v }}
		},
		"InstanceChargeType": func(r *rand.Rand) flFilter {
			v := pick(r, []string{ecsemu.PostPaid, ecsemu.PrePaid})
			return flFilter{"InstanceChargeType=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.InstanceChargeType = v }, func(in ecsemu.Instance) bool { return in.InstanceChargeType == v }}
		},
		"LockReason": func(r *rand.Rand) flFilter {
			v := pick(r, []string{"security", "financial", "recycling"})
			return flFilter{"LockReason=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.LockReason = v }, func(in ecsemu.Instance) bool {
				return slices.ContainsFunc(in.OperationLocks.LockReason, func(l ecsemu.LockReason) bool { return l.LockReason == v })
			}}
		},
		"Tag": func(r *rand.Rand) flFilter {
			var tags []ecs.DescribeInstancesTag
			var desc []string
			for range 1 + r.IntN(2) {
				t := flTagPool[r.IntN(len(flTagPool))]
				if r.IntN(6) == 0 {
					t = ecsemu.Tag{TagKey: "nokey", TagValue: "x"}
				}
				if r.IntN(3) == 0 || t.TagValue == "" { // key only: any value (the SDK never sends an empty value)
					t.TagValue = ""
				}
				tags = append(tags, ecs.DescribeInstancesTag{Key: t.TagKey, Value: t.TagValue})
				desc = append(desc, t.TagKey+":"+t.TagValue)
			}
			return flFilter{"Tag=" + strings.Join(desc, ","), func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.Tag = &tags }, func(in ecsemu.Instance) bool {
				for _, want := range tags {
					if !slices.ContainsFunc(in.Tags.Tag, func(t ecsemu.Tag) bool {
						return t.TagKey == want.Key && (want.Value == "" || t.TagValue == want.Value)
					}) {
						return false
					}
				}
				return true
			}}
		},
		"InstanceName": func(r *rand.Rand) flFilter {
			name := pick(r, names)
			v := []string{name, name[:2] + "*", "*" + name[len(name)-2:], name[:1] + "*" + name[len(name)-1:], "nomatch*"}[r.IntN(5)]
			return flFilter{"InstanceName=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.InstanceName = v }, func(in ecsemu.Instance) bool { return flGlob(v, in.InstanceName) }}
		},
		"ZoneId": eq("ZoneId", collect(one(func(in ecsemu.Instance) string { return in.ZoneId })), func(q *ecs.DescribeInstancesRequest, v string) { q.ZoneId = v }, func(in ecsemu.Instance) string { return in.ZoneId }),
		"VpcId":  eq("VpcId", collect(one(func(in ecsemu.Instance) string { return in.VpcAttributes.VpcId })), func(q *ecs.DescribeInstancesRequest, v string) { q.VpcId = v }, func(in ecsemu.Instance) string { return in.VpcAttributes.VpcId }),
		"VSwitchId": eq("VSwitchId", collect(one(func(in ecsemu.Instance) string { return in.VpcAttributes.VSwitchId })), func(q *ecs.DescribeInstancesRequest, v string) { q.VSwitchId = v },
			func(in ecsemu.Instance) string { return in.VpcAttributes.VSwitchId }),
		"SecurityGroupId": func(r *rand.Rand) flFilter {
			v := pick(r, append(slices.Clone(flSGs), "sg-nomatch"))
			return flFilter{"SecurityGroupId=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.SecurityGroupId = v }, func(in ecsemu.Instance) bool {
				return slices.Contains(in.SecurityGroupIds.SecurityGroupId, v)
			}}
		},
		"InstanceType": eq("InstanceType", collect(one(func(in ecsemu.Instance) string { return in.InstanceType })), func(q *ecs.DescribeInstancesRequest, v string) { q.InstanceType = v },
			func(in ecsemu.Instance) string { return in.InstanceType }),
		"InstanceTypeFamily": eq("InstanceTypeFamily", []string{"ecs.g7", "ecs.c6", "ecs.t5", "ecs.gn6i", "ecs.g7.large"}, func(q *ecs.DescribeInstancesRequest, v string) { q.InstanceTypeFamily = v },
			func(in ecsemu.Instance) string { return flFamily[in.InstanceType] }),
		"ImageId":         eq("ImageId", flImages, func(q *ecs.DescribeInstancesRequest, v string) { q.ImageId = v }, func(in ecsemu.Instance) string { return in.ImageId }),
		"ResourceGroupId": eq("ResourceGroupId", flGroups[1:], func(q *ecs.DescribeInstancesRequest, v string) { q.ResourceGroupId = v }, func(in ecsemu.Instance) string { return in.ResourceGroupId }),
		"KeyPairName":     eq("KeyPairName", flKeyPairs[1:], func(q *ecs.DescribeInstancesRequest, v string) { q.KeyPairName = v }, func(in ecsemu.Instance) string { return in.KeyPairName }),
		"InternetChargeType": func(r *rand.Rand) flFilter {
			v := pick(r, []string{ecsemu.PayByTraffic, ecsemu.PayByBandwidth})
			return flFilter{"InternetChargeType=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.InternetChargeType = v }, func(in ecsemu.Instance) bool { return in.InternetChargeType == v }}
		},
		"InstanceNetworkType": func(r *rand.Rand) flFilter {
			v := pick(r, []string{"vpc", "classic"})
			return flFilter{"InstanceNetworkType=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.InstanceNetworkType = v }, func(in ecsemu.Instance) bool { return in.InstanceNetworkType == v }}
		},
		"IoOptimized": func(r *rand.Rand) flFilter {
			v := r.IntN(2) == 0
			return flFilter{fmt.Sprintf("IoOptimized=%v", v), func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.IoOptimized = requests.NewBoolean(v) }, func(ecsemu.Instance) bool { return v }}
		},
		"HttpEndpoint": func(r *rand.Rand) flFilter {
			v := pick(r, []string{"enabled", "disabled"})
			return flFilter{"HttpEndpoint=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.HttpEndpoint = v }, func(in ecsemu.Instance) bool { return metadata(in).HttpEndpoint == v }}
		},
		"HttpTokens": func(r *rand.Rand) flFilter {
			v := pick(r, []string{"optional", "required"})
			return flFilter{"HttpTokens=" + v, func(q *ecs.DescribeInstancesRequest, _ *flSlots) { q.HttpTokens = v }, func(in ecsemu.Instance) bool { return metadata(in).HttpTokens == v }}
		},
		"PrivateIpAddresses": addrList("PrivateIpAddresses", func(q *ecs.DescribeInstancesRequest, v string) { q.PrivateIpAddresses = v },
			func(in ecsemu.Instance) []string { return in.VpcAttributes.PrivateIpAddress.IpAddress }),
		"InnerIpAddresses": addrList("InnerIpAddresses", func(q *ecs.DescribeInstancesRequest, v string) { q.InnerIpAddresses = v },
			func(in ecsemu.Instance) []string { return in.InnerIpAddress.IpAddress }),
		"PublicIpAddresses": addrList("PublicIpAddresses", func(q *ecs.DescribeInstancesRequest, v string) { q.PublicIpAddresses = v },
			func(in ecsemu.Instance) []string { return in.PublicIpAddress.IpAddress }),
		"EipAddresses": addrList("EipAddresses", func(q *ecs.DescribeInstancesRequest, v string) { q.EipAddresses = v }, func(in ecsemu.Instance) []string {
			if in.EipAddress.IpAddress == "" {
				return nil
			}
			return []string{in.EipAddress.IpAddress}
		}),
		"CreationStartTime": timeFilter("CreationStartTime", func(in ecsemu.Instance) string { return in.CreationTime }),
		"CreationEndTime":   timeFilter("CreationEndTime", func(in ecsemu.Instance) string { return in.CreationTime }),
		"ExpiredStartTime":  timeFilter("ExpiredStartTime", func(in ecsemu.Instance) string { return in.ExpiredTime }),
		"ExpiredEndTime":    timeFilter("ExpiredEndTime", func(in ecsemu.Instance) string { return in.ExpiredTime }),
	}
}

// flDescribeAll reads every page of a DescribeInstances call, in PageNumber
// mode or NextToken mode, checking the paging block of each page, and
// returns the instances in answer order.
func flDescribeAll(t *testing.T, c *ecs.Client, setup func(*ecs.DescribeInstancesRequest), tokenMode bool, size int) []ecs.Instance {
	t.Helper()
	var all []ecs.Instance
	token := ""
	for page := 1; ; page++ {
		req := ecs.CreateDescribeInstancesRequest()
		setup(req)
		if tokenMode {
			req.MaxResults = requests.NewInteger(size)
			req.NextToken = token
		} else {
			req.PageNumber = requests.NewInteger(page)
			req.PageSize = requests.NewInteger(size)
		}
		resp, err := c.DescribeInstances(req)
		require.NoError(t, err)
		all = append(all, resp.Instances.Instance...)
		more := len(all) < resp.TotalCount
		require.LessOrEqual(t, len(all), resp.TotalCount)
		require.Equal(t, more, resp.NextToken != "", "NextToken is set exactly when more results exist (page %d)", page)
		if !tokenMode {
			require.Equal(t, page, resp.PageNumber)
			require.Equal(t, size, resp.PageSize)
		}
		if !more {
			return all
		}
		require.NotEmpty(t, resp.Instances.Instance, "an empty page before the end")
		token = resp.NextToken
	}
}

func TestDescribeInstancesFiltersOnRandomFleet(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{42, 7, 2026} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			flRandomFleetCheck(t, seed)
		})
	}
}

func flRandomFleetCheck(t *testing.T, seed uint64) {
	fleet := flFleet(seed)
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, fleet...)
	clients := map[string]*ecs.Client{}
	for _, region := range flRegions {
		clients[region] = env.NewClient(t, region, "")
		checkBodies(t, clients[region])
	}
	gens := flGenerators(fleet)
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range gens {
			if !yield(k) {
				return
			}
		}
	})
	r := rand.New(rand.NewPCG(seed, 99))
	queries, nonEmpty := 0, 0
	check := func(t *testing.T, region string, filters []flFilter) {
		t.Helper()
		queries++
		var want []string
		for _, in := range fleet {
			ok := in.RegionId == region
			for _, f := range filters {
				ok = ok && f.match(in)
			}
			if ok {
				want = append(want, in.InstanceId)
			}
		}
		setup := func(q *ecs.DescribeInstancesRequest) {
			var slots flSlots
			for _, f := range filters {
				f.apply(q, &slots)
			}
		}
		tokenMode := r.IntN(2) == 0
		size := []int{3, 7, 10, 100}[r.IntN(4)]
		got := flDescribeAll(t, clients[region], setup, tokenMode, size)
		ids := make([]string, len(got))
		for i, in := range got {
			ids[i] = in.InstanceId
		}
		var desc []string
		for _, f := range filters {
			desc = append(desc, f.name)
		}
		require.Equal(t, want, nonNilIDs(ids), "region %s, filters %s (token mode %v, size %d)", region, strings.Join(desc, " AND "), tokenMode, size)
		if len(want) > 0 {
			nonEmpty++
		}
	}
	// Every filter alone, with several random values.
	for _, kind := range kinds {
		for range 8 {
			check(t, flRegions[r.IntN(2)], []flFilter{gens[kind](r)})
		}
	}
	// Random combinations (AND), at most four time filters.
	for range 250 {
		n := 2 + r.IntN(3)
		var filters []flFilter
		used := map[string]bool{}
		for len(filters) < n {
			kind := kinds[r.IntN(len(kinds))]
			if used[kind] {
				continue
			}
			used[kind] = true
			filters = append(filters, gens[kind](r))
		}
		check(t, flRegions[r.IntN(2)], filters)
	}
	// No filter at all: the whole region.
	for _, region := range flRegions {
		check(t, region, nil)
	}
	t.Logf("%d queries, %d with a non-empty answer", queries, nonEmpty)
	require.Greater(t, nonEmpty, queries/4, "the random values select something often enough to test")
}

func nonNilIDs(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// TestDescribeInstancesFilterErrors checks the documented codes for invalid
// filter values, and the emulator's choices where none is documented.
func TestDescribeInstancesFilterErrors(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddRunning(t, 1)
	cases := []struct {
		name   string
		setup  func(r *ecs.DescribeInstancesRequest)
		status int
		code   string
	}{
		{"InternetChargeType", func(r *ecs.DescribeInstancesRequest) { r.InternetChargeType = "PayByMagic" }, 404, "InvalidInternetChargeType.ValueNotSupported"},
		{"InstanceNetworkType", func(r *ecs.DescribeInstancesRequest) { r.InstanceNetworkType = "vlan" }, 404, "InvalidNetworkType.NotFound"},
		{"Filter key", func(r *ecs.DescribeInstancesRequest) { r.Filter1Key, r.Filter1Value = "StartTime", "2026-01-01T00:00Z" }, 404, "InvalidFilterKey.NotFound"},
		{"Filter value without key", func(r *ecs.DescribeInstancesRequest) { r.Filter2Value = "2026-01-01T00:00Z" }, 404, "InvalidFilterKey.NotFound"},
		{"Filter key without value", func(r *ecs.DescribeInstancesRequest) { r.Filter1Key = "CreationStartTime" }, 400, "MissingParameter"},
		{"Filter value malformed", func(r *ecs.DescribeInstancesRequest) { r.Filter1Key, r.Filter1Value = "CreationEndTime", "yesterday" }, 400, "InvalidParameter"},
		{"Tag value without key", func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]ecs.DescribeInstancesTag{{Value: "v"}} }, 400, "InvalidTag.Mismatch"},
		{"PrivateIpAddresses not JSON", func(r *ecs.DescribeInstancesRequest) { r.PrivateIpAddresses = "172.16.0.1" }, 400, "InvalidParameter"},
		{"PublicIpAddresses over 100", func(r *ecs.DescribeInstancesRequest) { r.PublicIpAddresses = flJSON(manyIDs(101)) }, 400, "InvalidParameter"},
		{"HttpEndpoint", func(r *ecs.DescribeInstancesRequest) { r.HttpEndpoint = "on" }, 400, "InvalidParameter"},
		{"HttpTokens", func(r *ecs.DescribeInstancesRequest) { r.HttpTokens = "sometimes" }, 400, "InvalidParameter"},
		{"IoOptimized", func(r *ecs.DescribeInstancesRequest) { r.IoOptimized = "maybe" }, 400, "InvalidParameter"},
		{"documented, not implemented", func(r *ecs.DescribeInstancesRequest) { r.HpcClusterId = "hpc-1" }, 400, "Emulator.UnsupportedParameter"},
		{"DryRun after valid filters", func(r *ecs.DescribeInstancesRequest) { r.VpcId = "vpc-x"; r.DryRun = requests.NewBoolean(true) }, 400, "DryRunOperation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := ecs.CreateDescribeInstancesRequest()
			tc.setup(req)
			_, err := env.Client.DescribeInstances(req)
			requireServerError(t, err, tc.status, tc.code)
		})
	}
}

// TestDescribeInstancesIndexGaps checks that a repeated parameter sent
// after a gap in N is read, never silently dropped.
func TestDescribeInstancesIndexGaps(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	tagged := env.AddRunning(t, 1, ecsemu.Tag{TagKey: "a", TagValue: "1"}, ecsemu.Tag{TagKey: "b", TagValue: "2"})
	env.AddRunning(t, 1, ecsemu.Tag{TagKey: "a", TagValue: "1"})
	p := baseParams(env, "DescribeInstances")
	p["Tag.1.Key"], p["Tag.1.Value"] = "a", "1"
	p["Tag.3.Key"], p["Tag.3.Value"] = "b", "2"
	resp := rawSigned(t, env, "GET", p)
	require.Equal(t, 200, resp.Status, "%s", resp.Body)
	var body struct {
		TotalCount int
		Instances  struct{ Instance []struct{ InstanceId string } }
	}
	require.NoError(t, json.Unmarshal(resp.Body, &body))
	require.Equal(t, 1, body.TotalCount)
	assert.Equal(t, tagged[0], body.Instances.Instance[0].InstanceId)

	p = baseParams(env, "StopInstances")
	p["InstanceId.2"] = tagged[0]
	resp = rawSigned(t, env, "GET", p)
	require.Equal(t, 200, resp.Status, "%s", resp.Body)
	assert.Equal(t, ecsemu.StatusStopped, status(t, env, tagged[0]))
}

// TestLookupWithoutRegion: the actions whose API has no RegionId find the
// instance in any region when none is sent (the v7 SDK sends none); a
// RegionId sent (the classic SDK always sends its client's) narrows the
// lookup; the other actions still require one.
func TestLookupWithoutRegion(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	ids := env.AddFleet(t,
		ecsemu.Instance{RegionId: "cn-shanghai", Status: ecsemu.StatusRunning},
		ecsemu.Instance{RegionId: "cn-shanghai", Status: ecsemu.StatusStopped},
	)
	running, stopped := ids[0], ids[1]

	t.Run("classic SDK, other region: not found", func(t *testing.T) {
		_, err := env.Client.StopInstance(stopReq(running))
		requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
		req := ecs.CreateDescribeInstanceAttributeRequest()
		req.InstanceId = running
		_, err = env.Client.DescribeInstanceAttribute(req)
		requireServerError(t, err, 404, "InvalidInstanceId.NotFound")
	})
	t.Run("classic SDK, the instance's region", func(t *testing.T) {
		c := env.NewClient(t, "cn-shanghai", "")
		req := ecs.CreateDescribeInstanceAttributeRequest()
		req.InstanceId = running
		resp, err := c.DescribeInstanceAttribute(req)
		require.NoError(t, err)
		assert.Equal(t, "cn-shanghai", resp.RegionId)
	})
	t.Run("signature v1 without RegionId", func(t *testing.T) {
		for _, action := range []string{"DescribeInstanceAttribute", "ModifyInstanceAttribute"} {
			p := baseParams(env, action)
			delete(p, "RegionId")
			p["InstanceId"] = running
			resp := rawSigned(t, env, "GET", p)
			assert.Equal(t, 200, resp.Status, "%s %s", action, resp.Body)
		}
		for _, action := range []string{"StopInstances", "StartInstances", "DeleteInstances", "DescribeInstances", "DescribeInstanceStatus", "RunInstances"} {
			p := baseParams(env, action)
			delete(p, "RegionId")
			p["InstanceId.1"] = running
			if action == "DescribeInstances" || action == "DescribeInstanceStatus" || action == "RunInstances" {
				delete(p, "InstanceId.1")
			}
			resp := rawSigned(t, env, "GET", p)
			requireErrorBody(t, resp, 400, "MissingParameter")
		}
	})
	t.Run("v7 SDK (no RegionId sent)", func(t *testing.T) {
		c := env.NewV7Client(t, "cn-hangzhou", "")
		attr, err := c.DescribeInstanceAttribute(new(ecs7.DescribeInstanceAttributeRequest).SetInstanceId(running))
		require.NoError(t, err)
		assert.Equal(t, "cn-shanghai", tea.StringValue(attr.Body.RegionId))
		assert.Equal(t, "optimized", tea.StringValue(attr.Body.IoOptimized))

		_, err = c.ModifyInstanceAttribute(new(ecs7.ModifyInstanceAttributeRequest).SetInstanceId(running).SetDescription("moved"))
		require.NoError(t, err)
		_, err = c.StopInstance(new(ecs7.StopInstanceRequest).SetInstanceId(running).SetStoppedMode("StopCharging"))
		require.NoError(t, err)
		assert.Equal(t, ecsemu.StatusStopped, status(t, env, running))
		_, err = c.StartInstance(new(ecs7.StartInstanceRequest).SetInstanceId(stopped))
		require.NoError(t, err)
		assert.Equal(t, ecsemu.StatusRunning, status(t, env, stopped))
		_, err = c.DeleteInstance(new(ecs7.DeleteInstanceRequest).SetInstanceId(running))
		require.NoError(t, err)
		_, ok := env.Emu.Instance(running)
		assert.False(t, ok, "released")

		// An action with a RegionId in its API still needs it.
		_, err = c.StopInstances(new(ecs7.StopInstancesRequest).SetInstanceId([]*string{new(stopped)}).SetRegionId("cn-hangzhou"))
		var sdkErr *tea.SDKError
		require.ErrorAs(t, err, &sdkErr)
		assert.Equal(t, "InvalidInstanceId.NotFound", tea.StringValue(sdkErr.Code))
	})
}

// TestDescribeInstancesV7Typed reads a DescribeInstances answer through the
// v7 SDK's typed model: the fields the emulator fills decode.
func TestDescribeInstancesV7Typed(t *testing.T) {
	t.Parallel()
	env := start(t, ecsemu.Options{})
	env.AddFleet(t, ecsemu.Instance{InstanceId: "i-typed", InstanceType: "ecs.gn6i-c4g1.xlarge", ResourceGroupId: "rg-x", KeyPairName: "kp",
		VpcAttributes: ecsemu.VpcAttributes{VpcId: "vpc-1", VSwitchId: "vsw-1"}, PublicIpAddress: ecsemu.IPSet{IpAddress: []string{"47.0.0.9"}}})
	c := env.NewV7Client(t, region, "")
	resp, err := c.DescribeInstances(new(ecs7.DescribeInstancesRequest).SetRegionId(region).SetVpcId("vpc-1").
		SetFilter([]*ecs7.DescribeInstancesRequestFilter{new(ecs7.DescribeInstancesRequestFilter).SetKey("CreationEndTime").SetValue("2099-01-01T00:00Z")}))
	require.NoError(t, err)
	require.Len(t, resp.Body.Instances.Instance, 1)
	in := resp.Body.Instances.Instance[0]
	assert.Equal(t, "ecs.gn6i", tea.StringValue(in.InstanceTypeFamily))
	assert.Equal(t, "rg-x", tea.StringValue(in.ResourceGroupId))
	assert.Equal(t, "kp", tea.StringValue(in.KeyPairName))
	assert.Equal(t, "vpc", tea.StringValue(in.InstanceNetworkType))
	assert.Equal(t, "linux", tea.StringValue(in.OSType))
	assert.True(t, tea.BoolValue(in.IoOptimized))
	assert.Equal(t, int32(5), tea.Int32Value(in.InternetMaxBandwidthOut))
	require.Len(t, in.NetworkInterfaces.NetworkInterface, 1)
	assert.Equal(t, tea.StringValue(in.VpcAttributes.PrivateIpAddress.IpAddress[0]), tea.StringValue(in.NetworkInterfaces.NetworkInterface[0].PrimaryIpAddress))
	assert.Equal(t, "enabled", tea.StringValue(in.MetadataOptions.HttpEndpoint))
}
