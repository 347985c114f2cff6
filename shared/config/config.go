// Package config reads the deployment's configuration from the
// environment, validates it once, and merges it with a request:
// a request may make a run narrower or safer (dry run, a smaller cap) but
// never wider.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fc-ecs-release/fc-ecs-release/shared/notify"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// Environment variables.
const (
	EnvEndpoint       = "ECS_ENDPOINT"
	EnvDryRun         = "DRY_RUN"
	EnvProtectTag     = "PROTECT_TAG"
	EnvManagedTag     = "MANAGED_TAG"
	EnvMaxInstances   = "MAX_INSTANCES"
	EnvStoppedMode    = "STOPPED_MODE"
	EnvTTLTag         = "TTL_TAG"
	EnvExpireTag      = "EXPIRE_TAG"
	EnvMaxQPS         = "ECS_MAX_QPS"
	EnvDefaultRegion  = "DEFAULT_REGION"
	EnvWaitMinDelay   = "WAIT_MIN_DELAY"
	EnvWaitMaxDelay   = "WAIT_MAX_DELAY"
	EnvDeadlineMargin = "DEADLINE_MARGIN"
	EnvSweepSpread    = "SWEEP_SPREAD"
	// EnvSpotSnapshot: "true" makes release snapshot the data disks of a
	// spot instance ECS is about to reclaim (the interruption event's
	// answer); "false" (the default) only reports what the reclaim takes.
	EnvSpotSnapshot = "SPOT_SNAPSHOT"
	// EnvCMSMaxQPS limits the CloudMonitor calls an invocation makes a
	// second (idle selectors); CMS_ENDPOINT is read by the ECS layer.
	EnvCMSMaxQPS   = "CMS_MAX_QPS"
	EnvCMSEndpoint = "CMS_ENDPOINT"
)

// Defaults, used when a variable is unset or empty.
const (
	DefaultProtectTag   = "ecs-release:protect=true"
	DefaultMaxInstances = 100
	DefaultStoppedMode  = "StopCharging"
	DefaultTTLTag       = "ecs-release:ttl"
	DefaultExpireTag    = "ecs-release:expires"
	DefaultMaxQPS       = 50
	// DefaultCMSMaxQPS stays well under CloudMonitor's documented 50 calls
	// a second per account (shared by every caller of the account).
	DefaultCMSMaxQPS      = 10
	DefaultWaitMinDelay   = 5 * time.Second
	DefaultWaitMaxDelay   = 30 * time.Second
	DefaultDeadlineMargin = 30 * time.Second
	DefaultSweepSpread    = 10 * time.Minute
	// HardMaxInstances bounds MAX_INSTANCES itself: the largest fleet one
	// invocation takes on (measured by the benchmark at 50,000).
	HardMaxInstances = 50_000
)

// Tag is a key=value pair.
type Tag struct {
	Key, Value string
}

func (t Tag) String() string { return t.Key + "=" + t.Value }

// Config is the validated deployment configuration.
type Config struct {
	Endpoint     string // raw ECS_ENDPOINT; parsed by the ECS layer
	DryRun       bool
	ProtectTag   Tag
	ManagedTag   *Tag // nil: no managed scope
	MaxInstances int
	StoppedMode  string
	TTLTag       string
	ExpireTag    string
	MaxQPS       float64
	// CMSMaxQPS limits CloudMonitor calls (CMS_MAX_QPS).
	CMSMaxQPS float64
	// CMSEndpoint is the raw CMS_ENDPOINT (parsed by the ECS layer).
	CMSEndpoint   string
	DefaultRegion string
	WaitMinDelay  time.Duration
	WaitMaxDelay  time.Duration
	// DeadlineMargin is kept free before the invocation deadline to report
	// and return.
	DeadlineMargin time.Duration
	// SweepSpread spreads sweep-set release times so instances created
	// together do not all go at once.
	SweepSpread time.Duration
	// SpotSnapshot: snapshot the data disks of a spot instance being
	// reclaimed (SPOT_SNAPSHOT).
	SpotSnapshot bool
	// OwnerTag is the tag key naming an instance's owner (OWNER_TAG):
	// answers and notifications carry its value beside the instance.
	OwnerTag string
	// Notify is the chat notification configuration (NOTIFY_*, OWNER_TAG,
	// WARN_BEFORE; see package notify).
	Notify *notify.Config
}

// Error is an invalid configuration; it names the variable.
type Error struct {
	Variable, Value, Problem string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid configuration: %s=%q: %s", e.Variable, e.Value, e.Problem)
}

// validTagKey: 1-128 characters, no '=', not starting with a space.
func validTagKey(s string) bool {
	return s != "" && len(s) <= 128 && !strings.Contains(s, "=") && !unicode.IsSpace(rune(s[0]))
}

// Load reads and validates the configuration; every problem is reported
// (joined), each naming its variable.
func Load(getenv func(string) string) (*Config, error) {
	c := &Config{
		Endpoint:       strings.TrimSpace(getenv(EnvEndpoint)),
		MaxInstances:   DefaultMaxInstances,
		StoppedMode:    DefaultStoppedMode,
		TTLTag:         DefaultTTLTag,
		ExpireTag:      DefaultExpireTag,
		MaxQPS:         DefaultMaxQPS,
		CMSMaxQPS:      DefaultCMSMaxQPS,
		WaitMinDelay:   DefaultWaitMinDelay,
		WaitMaxDelay:   DefaultWaitMaxDelay,
		DeadlineMargin: DefaultDeadlineMargin,
		SweepSpread:    DefaultSweepSpread,
	}
	var errs []error
	bad := func(name, value, problem string) {
		errs = append(errs, &Error{Variable: name, Value: value, Problem: problem})
	}
	get := func(name string) (string, bool) {
		v := strings.TrimSpace(getenv(name))
		return v, v != ""
	}
	if v, ok := get(EnvDryRun); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(EnvDryRun, v, "want true or false")
		}
		c.DryRun = b
	}
	if v, ok := get(EnvSpotSnapshot); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(EnvSpotSnapshot, v, "want true or false")
		}
		c.SpotSnapshot = b
	}
	protect := DefaultProtectTag
	if v, ok := get(EnvProtectTag); ok {
		protect = v
	}
	if t, err := parseTag(protect); err != nil {
		bad(EnvProtectTag, protect, err.Error())
	} else {
		c.ProtectTag = t
	}
	if v, ok := get(EnvManagedTag); ok {
		if t, err := parseTag(v); err != nil {
			bad(EnvManagedTag, v, err.Error())
		} else {
			c.ManagedTag = &t
		}
	}
	if v, ok := get(EnvMaxInstances); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > HardMaxInstances {
			bad(EnvMaxInstances, v, fmt.Sprintf("want an integer from 1 to %d", HardMaxInstances))
		}
		c.MaxInstances = n
	}
	if v, ok := get(EnvStoppedMode); ok {
		if v != "StopCharging" && v != "KeepCharging" {
			bad(EnvStoppedMode, v, "want StopCharging or KeepCharging")
		}
		c.StoppedMode = v
	}
	for name, dst := range map[string]*string{EnvTTLTag: &c.TTLTag, EnvExpireTag: &c.ExpireTag} {
		if v, ok := get(name); ok {
			if !validTagKey(v) {
				bad(name, v, "want a tag key (1-128 characters, no '=')")
			}
			*dst = v
		}
	}
	if v, ok := get(EnvMaxQPS); ok {
		q, err := strconv.ParseFloat(v, 64)
		// Written so that NaN fails too.
		if err != nil || !(q > 0 && q <= 10_000) {
			bad(EnvMaxQPS, v, "want a number of calls per second above 0 and at most 10000")
		}
		c.MaxQPS = q
	}
	if v, ok := get(EnvCMSMaxQPS); ok {
		q, err := strconv.ParseFloat(v, 64)
		if err != nil || !(q > 0 && q <= 1000) {
			bad(EnvCMSMaxQPS, v, "want a number of calls per second above 0 and at most 1000")
		}
		c.CMSMaxQPS = q
	}
	if v, ok := get(EnvDefaultRegion); ok {
		if !request.ValidRegion(v) {
			bad(EnvDefaultRegion, v, "want a region ID such as cn-hangzhou")
		}
		c.DefaultRegion = v
	}
	durations := []struct {
		name string
		dst  *time.Duration
		min  time.Duration
	}{
		{EnvWaitMinDelay, &c.WaitMinDelay, 100 * time.Millisecond},
		{EnvWaitMaxDelay, &c.WaitMaxDelay, 100 * time.Millisecond},
		{EnvDeadlineMargin, &c.DeadlineMargin, time.Second},
		{EnvSweepSpread, &c.SweepSpread, 0},
	}
	for _, d := range durations {
		if v, ok := get(d.name); ok {
			x, err := time.ParseDuration(v)
			if err != nil || x < d.min || x > 24*time.Hour {
				bad(d.name, v, fmt.Sprintf("want a Go duration from %v to 24h, e.g. 30s", d.min))
			}
			*d.dst = x
		}
	}
	if n, err := notify.Load(getenv); err != nil {
		errs = append(errs, err)
	} else {
		c.Notify, c.OwnerTag = n, n.OwnerTag
		n.ProtectTag = c.ProtectTag.String()
	}
	if c.WaitMaxDelay < c.WaitMinDelay {
		bad(EnvWaitMaxDelay, c.WaitMaxDelay.String(), "must not be below "+EnvWaitMinDelay+" ("+c.WaitMinDelay.String()+")")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func parseTag(s string) (Tag, error) {
	k, v, ok := strings.Cut(s, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" || !validTagKey(k) || len(v) > 128 {
		return Tag{}, errors.New("want key=value, e.g. ecs-release:protect=true")
	}
	return Tag{Key: k, Value: v}, nil
}
