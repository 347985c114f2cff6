package ecsemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// instanceIDs reads InstanceId.N for a batch action: required, at most 100,
// de-duplicated in order.
func (c *rpc) instanceIDs() ([]string, *apiError) {
	raw, err := c.indexedList("InstanceId")
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errMissing("InstanceId")
	}
	if len(raw) > 100 {
		return nil, errf("InvalidParameter.ToManyInstanceIds", msgTooManyIDs)
	}
	return dedupe(raw), nil
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0:0]
	for _, v := range list {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// stringSet is an optional filter on one value: nil means "not given".
type stringSet map[string]bool

// jsonSet parses a JSON array of strings (InstanceIds, PrivateIpAddresses,
// ...) of at most limit items. An empty array is a filter that matches
// nothing.
func (c *rpc) jsonSet(name string, limit int) (stringSet, *apiError) {
	raw, ok := c.p[name]
	if !ok {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, errf("InvalidParameter", "The specified parameter \"%s\" is not a JSON array of strings.", name)
	}
	if len(list) > limit {
		return nil, errf("InvalidParameter", "The specified parameter \"%s\" has %d items; at most %d are allowed.", name, len(list), limit)
	}
	set := make(stringSet, len(list))
	for _, v := range list {
		set[v] = true
	}
	return set, nil
}

// any reports whether one of values is in the set.
func (s stringSet) any(values ...string) bool {
	for _, v := range values {
		if s[v] {
			return true
		}
	}
	return false
}

// instanceFilter is the parsed filter of a DescribeInstances call: every
// condition must hold (AND).
type instanceFilter struct {
	region string
	conds  []func(*instance) bool
	// ids is InstanceIds when given: the store is then read by ID.
	ids stringSet
}

func (f *instanceFilter) add(cond func(*instance) bool) { f.conds = append(f.conds, cond) }

func (f *instanceFilter) match(in *instance) bool {
	if in.region != f.region {
		return false
	}
	for _, cond := range f.conds {
		if !cond(in) {
			return false
		}
	}
	return true
}

var (
	validLockReasons     = map[string]bool{"financial": true, "security": true, "recycling": true, "dedicatedhostfinancial": true, "refunded": true}
	filterTimeKeys       = []string{"CreationStartTime", "CreationEndTime", "ExpiredStartTime", "ExpiredEndTime"}
	validHTTPEndpoint    = map[string]bool{"enabled": true, "disabled": true}
	validHTTPTokens      = map[string]bool{"optional": true, "required": true}
	validInternetCharges = map[string]bool{PayByTraffic: true, PayByBandwidth: true}
	validNetworkTypes    = map[string]bool{NetworkVPC: true, NetworkClassic: true}
)

// describeInstancesFilter parses and validates every filter parameter of
// DescribeInstances. A parameter given with an empty value filters on the
// empty value (the SDKs never send empty values).
func (c *rpc) describeInstancesFilter() (*instanceFilter, *apiError) {
	f := &instanceFilter{region: c.region}
	ids, err := c.jsonSet("InstanceIds", 100)
	if err != nil {
		return nil, err
	}
	if ids != nil {
		f.ids = ids
		f.add(func(in *instance) bool { return ids[in.id] })
	}

	// Enumerated values: an unknown value is an error, as documented.
	enums := []struct {
		name  string
		valid map[string]bool
		code  string
		msg   string
		field func(*instance) string
	}{
		{"Status", validStatus, "InvalidStatus.NotFound", "The specified Status is not found", func(in *instance) string { return in.status }},
		{"InstanceChargeType", map[string]bool{PostPaid: true, PrePaid: true}, "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records", func(in *instance) string { return in.chargeType }},
		{"InternetChargeType", validInternetCharges, "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not supported.", func(in *instance) string { return in.internetChargeType }},
		{"InstanceNetworkType", validNetworkTypes, "InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found.", func(in *instance) string { return in.networkType }},
		// UNCONFIRMED codes: none documented for these two.
		{"HttpEndpoint", validHTTPEndpoint, "InvalidParameter", `The specified parameter "HttpEndpoint" is not valid.`, func(in *instance) string { return in.metadata.HttpEndpoint }},
		{"HttpTokens", validHTTPTokens, "InvalidParameter", `The specified parameter "HttpTokens" is not valid.`, func(in *instance) string { return in.metadata.HttpTokens }},
	}
	for _, e := range enums {
		v, ok := c.p[e.name]
		if !ok {
			continue
		}
		if !e.valid[v] {
			return nil, errf(e.code, "%s", e.msg)
		}
		field := e.field
		f.add(func(in *instance) bool { return field(in) == v })
	}
	if v, ok := c.p["LockReason"]; ok {
		if !validLockReasons[v] {
			return nil, errf("InvalidLockReason.NotFound", "The specified LockReason is not found")
		}
		f.add(func(in *instance) bool {
			return in.hasLock(v)
		})
	}

	// Exact values.
	exact := []struct {
		name  string
		field func(*instance) string
	}{
		{"ZoneId", func(in *instance) string { return in.zone }},
		{"VpcId", func(in *instance) string { return in.vpc.VpcId }},
		{"VSwitchId", func(in *instance) string { return in.vpc.VSwitchId }},
		{"InstanceType", func(in *instance) string { return in.instanceType }},
		{"InstanceTypeFamily", func(in *instance) string { return in.family }},
		{"ImageId", func(in *instance) string { return in.imageID }},
		// UNCONFIRMED: instances of the default resource group ("") never
		// match a ResourceGroupId; the docs say filtering by the default
		// group is not supported.
		{"ResourceGroupId", func(in *instance) string { return in.resourceGroupID }},
		{"KeyPairName", func(in *instance) string { return in.keyPairName }},
	}
	for _, x := range exact {
		v, ok := c.p[x.name]
		if !ok {
			continue
		}
		field := x.field
		f.add(func(in *instance) bool { return field(in) == v })
	}
	if v, ok := c.p["SecurityGroupId"]; ok {
		f.add(func(in *instance) bool { return slices.Contains(in.securityGroups, v) })
	}
	if v, ok := c.p["InstanceName"]; ok {
		f.add(func(in *instance) bool { return glob(v, in.name) })
	}
	if _, ok := c.p["IoOptimized"]; ok {
		want, err := c.boolParam("IoOptimized")
		if err != nil {
			return nil, err
		}
		// Every emulated instance is I/O optimized.
		f.add(func(*instance) bool { return want })
	}

	// Address lists (JSON arrays, at most 100): an instance matches when
	// one of its addresses of that kind is listed. UNCONFIRMED: the filter
	// applies whether or not InstanceNetworkType is given (the docs say
	// which network type each list is "valid" for); an instance of the
	// other network type has no address of that kind and never matches.
	addrs := []struct {
		name  string
		field func(*instance) []string
	}{
		{"PrivateIpAddresses", func(in *instance) []string { return in.vpc.PrivateIpAddress.IpAddress }},
		{"InnerIpAddresses", func(in *instance) []string { return in.innerIPs }},
		{"PublicIpAddresses", func(in *instance) []string { return in.publicIPs }},
		{"EipAddresses", func(in *instance) []string {
			if in.eip.IpAddress == "" {
				return nil
			}
			return []string{in.eip.IpAddress}
		}},
	}
	for _, a := range addrs {
		set, err := c.jsonSet(a.name, 100)
		if err != nil {
			return nil, err
		}
		if set == nil {
			continue
		}
		field := a.field
		f.add(func(in *instance) bool { return set.any(field(in)...) })
	}

	tags, err := c.tagConds()
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		f.add(func(in *instance) bool { return matchTags(in.tags, tags) })
	}

	if err := c.timeFilters(f); err != nil {
		return nil, err
	}
	return f, nil
}

// timeFilters reads Filter.N.Key / Filter.N.Value. The documented keys are
// CreationStartTime, CreationEndTime, ExpiredStartTime and ExpiredEndTime,
// each with a UTC time yyyy-MM-ddTHH:mmZ. UNCONFIRMED: bounds are inclusive
// and compared at minute precision (the precision of the times in the
// answer); an instance without an expiry time (pay-as-you-go, ExpiredTime
// "") matches no Expired* bound; a Key without its Value is 400
// MissingParameter and a malformed time 400 InvalidParameter.
func (c *rpc) timeFilters(f *instanceFilter) *apiError {
	entries, err := c.indexed("Filter")
	if err != nil {
		return err
	}
	for _, x := range entries {
		key, hasKey := x.get("Key")
		value, hasValue := x.get("Value")
		if !hasKey || !slices.Contains(filterTimeKeys, key) {
			return errf("InvalidFilterKey.NotFound", "The specified Filter.%d.Key %q is not found; valid keys: %s.", x.n, key, strings.Join(filterTimeKeys, ", "))
		}
		if !hasValue {
			return errMissing(fmt.Sprintf("Filter.%d.Value", x.n))
		}
		t, err := parseECSTime(value)
		if err != nil {
			return errInvalid(fmt.Sprintf("Filter.%d.Value", x.n))
		}
		t = t.Truncate(time.Minute)
		field := func(in *instance) time.Time { return in.created }
		if strings.HasPrefix(key, "Expired") {
			field = func(in *instance) time.Time { return in.expired }
		}
		start := strings.HasSuffix(key, "StartTime")
		f.add(func(in *instance) bool {
			at := field(in)
			if at.IsZero() {
				return false
			}
			at = at.Truncate(time.Minute)
			if start {
				return !at.Before(t)
			}
			return !at.After(t)
		})
	}
	return nil
}
