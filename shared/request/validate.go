package request

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits enforced by Decode and Validate.
const (
	// MaxPayloadBytes bounds a whole event; checked before any parsing. It
	// is above FC's own async and timer limit (128 KB) because a
	// destination record carries stop's whole answer, about 200 bytes per
	// instance: 16 MiB keeps a hand-over of the 50,000 IDs a request may
	// name decodable (FC itself delivers about 1,000 per hand-over; see
	// docs/deploy.md), while a hostile payload stays bounded.
	MaxPayloadBytes = 16 << 20
	// MaxInstanceIDs bounds instanceIds as sent (before duplicates are
	// removed); it matches the largest MAX_INSTANCES.
	MaxInstanceIDs = 50_000
	// MaxInstanceIDSuffix bounds the part after "i-". Real ECS IDs carry about
	// 20 characters; 62 leaves room for other formats while keeping IDs short.
	MaxInstanceIDSuffix = 62
	MaxReasonLength     = 1024 // characters (runes)
	MaxTags             = 20   // ECS accepts at most 20 Tag.N filters
	MaxTagKeyLength     = 128  // characters (runes), ECS tag key limit
	MaxTagValueLength   = 128  // characters (runes), ECS tag value limit
	MaxNameLength       = 256  // characters (runes) of a name glob
	MaxRegionLength     = 64
	MaxRequestIDLength  = 256 // originRequestId
	MaxJobStatusLength  = 64
)

var errNotUTC = errors.New("not UTC")

// Hand-written matchers instead of regular expressions: compiling these at
// package init cost a cold start a measurable part of a millisecond.

// isLowerAlnum reports whether b is a-z or 0-9.
func isLowerAlnum(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') }

// ValidRegion reports whether s is lowercase letters and digits in
// dash-separated groups (cn-hangzhou, ap-southeast-1), at most
// MaxRegionLength characters.
func ValidRegion(s string) bool {
	if s == "" || len(s) > MaxRegionLength || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			if s[i-1] == '-' {
				return false
			}
			continue
		}
		if !isLowerAlnum(s[i]) {
			return false
		}
	}
	return true
}

// Function names the function a request is validated for.
type Function string

const (
	Stop        Function = "stop"
	Release     Function = "release"
	AutoRelease Function = "autorelease"
)

// ValidInstanceID reports whether id has the form "i-" + 1..62 lowercase
// letters and digits.
func ValidInstanceID(id string) bool {
	if len(id) < 3 || len(id) > 2+MaxInstanceIDSuffix || id[:2] != "i-" {
		return false
	}
	for i := 2; i < len(id); i++ {
		if !isLowerAlnum(id[i]) {
			return false
		}
	}
	return true
}

// Validate checks every field on its own (formats, enumerations, bounds,
// at most one of autoReleaseTime/after/cancel). It needs no knowledge of the
// function; ValidateFor adds that. Errors are *Error with Field relative to
// the request object.
func (r Request) Validate() error {
	if r.Region != "" && !ValidRegion(r.Region) {
		return invalid("region", fmt.Sprintf("%s is not a region ID (want e.g. \"cn-hangzhou\")", quote(r.Region)))
	}
	if len(r.InstanceIDs) > MaxInstanceIDs {
		return invalid("instanceIds", fmt.Sprintf("%d instance IDs; at most %d per request", len(r.InstanceIDs), MaxInstanceIDs))
	}
	if err := r.validateInstanceRefs(); err != nil {
		return err
	}
	if err := r.validateSpot(); err != nil {
		return err
	}
	if r.Selector != nil {
		if err := r.Selector.validate(); err != nil {
			return within("selector", err)
		}
	}
	switch r.StoppedMode {
	case "", StoppedModeStopCharging, StoppedModeKeepCharging:
	default:
		return invalid("stoppedMode", fmt.Sprintf("%s is not a stopped mode (want %q or %q)", quote(r.StoppedMode), StoppedModeStopCharging, StoppedModeKeepCharging))
	}
	if r.Then != "" && r.Then != ThenRelease {
		return invalid("then", fmt.Sprintf("%s is not supported (want %q or nothing)", quote(r.Then), ThenRelease))
	}
	if r.AutoReleaseTime != "" {
		if _, err := parseUTC(r.AutoReleaseTime); err != nil {
			return invalid("autoReleaseTime", fmt.Sprintf("%s is not an RFC 3339 UTC time (want e.g. \"2026-12-01T08:00:00Z\")", quote(r.AutoReleaseTime)))
		}
	}
	if err := checkDuration("after", r.After); err != nil {
		return err
	}
	if set := r.scheduleFields(); len(set) > 1 {
		return invalid(set[1], "give at most one of autoReleaseTime, after and cancel")
	}
	if r.MaxInstances < 0 {
		return invalid("maxInstances", fmt.Sprintf("%d is negative", r.MaxInstances))
	}
	if n := utf8.RuneCountInString(r.Reason); n > MaxReasonLength {
		return invalid("reason", fmt.Sprintf("%d characters; at most %d", n, MaxReasonLength))
	}
	if n := utf8.RuneCountInString(r.OriginRequestID); n > MaxRequestIDLength {
		return invalid("originRequestId", fmt.Sprintf("%d characters; at most %d", n, MaxRequestIDLength))
	}
	if err := checkJobStatus("jobStatus", r.JobStatus); err != nil {
		return err
	}
	if r.StoppedAt != "" {
		if _, err := parseUTC(r.StoppedAt); err != nil {
			return invalid("stoppedAt", fmt.Sprintf("%s is not an RFC 3339 UTC time (want e.g. \"2026-12-01T08:00:00Z\")", quote(r.StoppedAt)))
		}
	}
	return r.validateHazards()
}

// ValidateFor runs Validate and then the rules of function fn:
//   - stop: no autoReleaseTime/after/cancel/sweep; no force (use forceStop);
//     snapshot only together with then="release".
//   - release: no autoReleaseTime/after/cancel/sweep; no then.
//   - autorelease: exactly one of autoReleaseTime/after/cancel, or sweep with
//     none of them; stop/release options (stoppedMode, forceStop, force,
//     snapshot, then, keepOnFailure) are refused.
//   - all: something to act on (instanceIds or selector; sweep counts for
//     autorelease).
//
// A status query (Invocation.Query) is checked by Invocation.ValidateFor.
func (r Request) ValidateFor(fn Function) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if err := r.validateSpotFor(fn); err != nil {
		return err
	}
	sched := r.scheduleFields()
	switch fn {
	case Stop, Release:
		if len(sched) > 0 {
			return invalid(sched[0], "only the autorelease function sets or cancels auto-release times")
		}
		if r.Sweep {
			return invalid("sweep", "only the autorelease function sweeps")
		}
		if fn == Stop && r.Force {
			return invalid("force", "stop has no force option (it applies to release); use forceStop for a power-off stop")
		}
		if fn == Stop && r.Snapshot && r.Then != ThenRelease {
			return invalid("snapshot", "on stop, snapshot only applies together with then=\"release\"")
		}
		if fn == Release && r.Then != "" {
			return invalid("then", "only the stop function hands off to release")
		}
		if fn == Stop && r.StoppedAt != "" {
			return invalid("stoppedAt", "marks stop's hand-over to release; stop itself does not take it")
		}
	case AutoRelease:
		if r.Selector != nil && r.Selector.Idle != nil {
			return invalid("selector.idle", "idle selectors choose what stop and release act on; the autorelease function does not take one")
		}
		switch {
		case r.Sweep && len(sched) > 0:
			return invalid(sched[0], "sweep derives the time from the TTL tag; do not combine it with autoReleaseTime, after or cancel")
		case !r.Sweep && len(sched) == 0:
			return invalid("autoReleaseTime", "autorelease needs exactly one of autoReleaseTime, after and cancel (or sweep)")
		}
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"stoppedMode", r.StoppedMode != ""}, {"forceStop", r.ForceStop}, {"force", r.Force},
			{"snapshot", r.Snapshot}, {"then", r.Then != ""}, {"keepOnFailure", r.KeepOnFailure}, {"stoppedAt", r.StoppedAt != ""},
		} {
			if f.set {
				return invalid(f.name, "not used by the autorelease function")
			}
		}
	default:
		return fmt.Errorf("request: unknown function %q", string(fn))
	}
	if err := r.validateHazardsFor(fn); err != nil {
		return err
	}
	if !r.HasTargets() && !(fn == AutoRelease && r.Sweep) {
		return invalid("instanceIds", "nothing to act on: give instanceIds or a selector")
	}
	return nil
}

// scheduleFields lists which of autoReleaseTime, after, cancel are set, in that order.
func (r Request) scheduleFields() []string {
	var set []string
	if r.AutoReleaseTime != "" {
		set = append(set, "autoReleaseTime")
	}
	if r.After != "" {
		set = append(set, "after")
	}
	if r.Cancel {
		set = append(set, "cancel")
	}
	return set
}

func (s Selector) validate() error {
	if len(s.Tags) == 0 && s.Name == "" && len(s.Status) == 0 && s.OlderThan == "" && !s.Expired && s.Idle == nil {
		return invalid("", "an empty selector matches every instance; give at least one of tags, name, status, olderThan, expired, idle")
	}
	if len(s.Tags) > MaxTags {
		return invalid("tags", fmt.Sprintf("%d tags; at most %d", len(s.Tags), MaxTags))
	}
	keys := make([]string, 0, len(s.Tags))
	for k := range s.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := fmt.Sprintf("tags[%s]", quote(k))
		v := s.Tags[k]
		switch n := utf8.RuneCountInString(k); {
		case strings.TrimSpace(k) == "":
			return invalid(field, "empty tag key")
		case n > MaxTagKeyLength:
			return invalid(field, fmt.Sprintf("tag key has %d characters; at most %d", n, MaxTagKeyLength))
		case hasControl(k):
			return invalid(field, "tag key has control characters")
		case hasReservedPrefix(k, reservedTagKeyPrefixes):
			return invalid(field, "tag keys starting with acs: or aliyun are reserved; no instance can carry one")
		}
		switch n := utf8.RuneCountInString(v); {
		case n > MaxTagValueLength:
			return invalid(field, fmt.Sprintf("tag value has %d characters; at most %d", n, MaxTagValueLength))
		case hasControl(v):
			return invalid(field, "tag value has control characters")
		case hasReservedPrefix(v, reservedTagValuePrefixes):
			return invalid(field, "tag values starting with acs: are reserved; no instance can carry one")
		}
	}
	if n := utf8.RuneCountInString(s.Name); n > MaxNameLength {
		return invalid("name", fmt.Sprintf("%d characters; at most %d", n, MaxNameLength))
	}
	if hasControl(s.Name) {
		return invalid("name", "has control characters")
	}
	for i, st := range s.Status {
		if !slices.Contains(instanceStatuses, st) {
			return invalid(fmt.Sprintf("status[%d]", i), fmt.Sprintf("%s is not a selectable ECS status (want one of %s)", quote(st), strings.Join(instanceStatuses, ", ")))
		}
	}
	if err := checkDuration("olderThan", s.OlderThan); err != nil {
		return err
	}
	switch s.ChargeType {
	case "", ChargeTypePostPaid, ChargeTypePrePaid:
	default:
		return invalid("chargeType", fmt.Sprintf("%s is not a charge type (want %q or %q)", quote(s.ChargeType), ChargeTypePostPaid, ChargeTypePrePaid))
	}
	if s.Idle != nil {
		if err := s.Idle.validate(); err != nil {
			return within("idle", err)
		}
	}
	return nil
}

// ECS tag rules: keys must not start with acs: or aliyun, values must not
// start with acs: (ECS TagResources rules). A selector naming
// such a tag could never match; it is refused rather than run.
var (
	reservedTagKeyPrefixes   = []string{"acs:", "aliyun"}
	reservedTagValuePrefixes = []string{"acs:"}
)

func hasReservedPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// hasControl reports whether s has a control character (C0, DEL or C1).
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func checkInstanceID(field, id string) error {
	if !ValidInstanceID(id) {
		return invalid(field, fmt.Sprintf("%s is not a valid instance ID (want \"i-\" followed by lowercase letters and digits)", quote(id)))
	}
	return nil
}

func checkDuration(field, s string) error {
	if s == "" {
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return invalid(field, fmt.Sprintf("%s is not a Go duration (want e.g. \"90m\" or \"4h\")", quote(s)))
	}
	if d <= 0 {
		return invalid(field, fmt.Sprintf("%s is not positive", quote(s)))
	}
	return nil
}

// checkJobStatus accepts 1..64 printable ASCII characters (or nothing).
func checkJobStatus(field, s string) error {
	if len(s) > MaxJobStatusLength {
		return invalid(field, fmt.Sprintf("%d characters; at most %d", len(s), MaxJobStatusLength))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return invalid(field, fmt.Sprintf("%s: want printable ASCII", quote(s)))
		}
	}
	return nil
}

// normalize puts a structurally decoded request into canonical form:
// empty lists and maps become nil, the job status is trimmed and lower-cased.
// It runs before Validate so that errors point at positions as sent.
func (r *Request) normalize() {
	if len(r.InstanceIDs) == 0 {
		r.InstanceIDs = nil
	}
	if s := r.Selector; s != nil {
		if len(s.Tags) == 0 {
			s.Tags = nil
		}
		if len(s.Status) == 0 {
			s.Status = nil
		}
	}
	r.JobStatus = normalizeJobStatus(r.JobStatus)
}

// dedupe removes repeated instances, keeping the first occurrence (named
// bare and by ARN: the ARN, see dedupeInstanceRefs).
func (r *Request) dedupe() { r.InstanceIDs = dedupeInstanceRefs(r.InstanceIDs) }

// prepare is the common tail of every decoder: normalize, validate, dedupe.
func prepare(r *Request) error {
	r.normalize()
	if err := r.Validate(); err != nil {
		return err
	}
	r.dedupe()
	return nil
}

func normalizeJobStatus(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// quote renders a user value for an error message, shortened to 64 runes.
func quote(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:max]))
}
