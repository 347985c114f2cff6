package request

import (
	"fmt"
	"strings"
)

// An instance reference, as instanceIds (and a job record's instanceId,
// and a status query's instanceId) may give it: a bare ID ("i-…") or an
// ECS instance ARN, acs:ecs:REGION:ACCOUNT:instance/ID. The ARN names the
// region to look the instance up in first (see the functions' region rule
// in shared/handler/regions.go); a bare ID is looked up in the request's
// region, then the function's.
//
// Choices where the references are vague (UNCONFIRMED):
//   - ACCOUNT: 1..32 ASCII digits (an Alibaba Cloud account ID is a
//     number of about 16 digits); "*" and an empty account, which RAM
//     policies allow, name no one instance and are refused.
//   - The same instance named twice with two different regions is refused
//     (naming the second); named bare and by ARN, it counts once, with the
//     ARN's region.

// MaxAccountIDLength bounds the ACCOUNT part of an instance ARN.
const MaxAccountIDLength = 32

const (
	arnPrefix         = "acs:ecs:"
	arnResourcePrefix = "instance/"
	arnShape          = "acs:ecs:REGION:ACCOUNT:instance/i-…"
)

// splitARN splits acs:ecs:REGION:ACCOUNT:instance/ID into its parts
// without checking them; ok is false when the shape is not that.
func splitARN(s string) (region, account, id string, ok bool) {
	rest, found := strings.CutPrefix(s, arnPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	id, found = strings.CutPrefix(parts[2], arnResourcePrefix)
	if !found {
		return "", "", "", false
	}
	return parts[0], parts[1], id, true
}

func validAccountID(s string) bool {
	if s == "" || len(s) > MaxAccountIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseInstanceRef splits a valid instance reference into its instance ID
// and the region its ARN names ("" for a bare ID). ok is false when ref
// is neither a valid instance ID nor a valid instance ARN.
func ParseInstanceRef(ref string) (id, region string, ok bool) {
	if ValidInstanceID(ref) {
		return ref, "", true
	}
	region, account, id, found := splitARN(ref)
	if !found || !ValidRegion(region) || !validAccountID(account) || !ValidInstanceID(id) {
		return "", "", false
	}
	return id, region, true
}

// InstanceARN is the ARN of an instance: acs:ecs:REGION:ACCOUNT:instance/ID.
func InstanceARN(region, account, id string) string {
	return arnPrefix + region + ":" + account + ":" + arnResourcePrefix + id
}

// checkInstanceRef accepts a bare instance ID or an instance ARN, and says
// which part of an ARN is wrong.
func checkInstanceRef(field, ref string) error {
	if ValidInstanceID(ref) {
		return nil
	}
	if !strings.HasPrefix(ref, "acs:") {
		return invalid(field, fmt.Sprintf("%s is not a valid instance ID (want \"i-\" followed by lowercase letters and digits), nor an instance ARN (%s)", quote(ref), arnShape))
	}
	region, account, id, ok := splitARN(ref)
	switch {
	case !ok:
		return invalid(field, fmt.Sprintf("%s is not an ECS instance ARN (want %s)", quote(ref), arnShape))
	case !ValidRegion(region):
		return invalid(field, fmt.Sprintf("%s: the region %s is not a region ID (want e.g. \"cn-hangzhou\")", quote(ref), quote(region)))
	case !validAccountID(account):
		return invalid(field, fmt.Sprintf("%s: the account %s is not an account ID (want 1 to %d digits)", quote(ref), quote(account), MaxAccountIDLength))
	case !ValidInstanceID(id):
		return invalid(field, fmt.Sprintf("%s: %s is not a valid instance ID (want \"i-\" followed by lowercase letters and digits)", quote(ref), quote(id)))
	}
	return nil
}

// validateInstanceRefs checks every entry of instanceIds, and that no
// instance is named in two different regions.
func (r Request) validateInstanceRefs() error {
	type named struct {
		region string
		at     int
	}
	var byID map[string]named
	for i, ref := range r.InstanceIDs {
		field := fmt.Sprintf("instanceIds[%d]", i)
		if err := checkInstanceRef(field, ref); err != nil {
			return err
		}
		id, region, _ := ParseInstanceRef(ref)
		if region == "" {
			continue
		}
		if byID == nil {
			byID = map[string]named{}
		}
		if prev, ok := byID[id]; ok && prev.region != region {
			return invalid(field, fmt.Sprintf("names %s in region %s, but instanceIds[%d] names it in region %s", id, region, prev.at, prev.region))
		}
		byID[id] = named{region, i}
	}
	return nil
}

// dedupeInstanceRefs drops repeated instances (by ID), keeping the first
// occurrence's place; an ARN later in the list replaces a bare ID, so the
// instance keeps the region its ARN names.
func dedupeInstanceRefs(refs []string) []string {
	if len(refs) < 2 {
		return refs
	}
	at := make(map[string]int, len(refs))
	out := refs[:0:0]
	for _, ref := range refs {
		id, region, ok := ParseInstanceRef(ref)
		if !ok {
			id = ref
		}
		j, dup := at[id]
		if !dup {
			at[id] = len(out)
			out = append(out, ref)
			continue
		}
		if _, was, _ := ParseInstanceRef(out[j]); was == "" && region != "" {
			out[j] = ref
		}
	}
	return out
}
