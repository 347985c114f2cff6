package ecsemu

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/fc-ecs-release/fc-ecs-release/shared/clock"
)

// Defaults. The key pair is what the emulator accepts when Options leave it
// empty; it is a test credential, not a secret.
const (
	DefaultAccessKeyID     = "LTAIemulatorAccessKey"
	DefaultAccessKeySecret = "emulator-secret"
	DefaultRegion          = "cn-hangzhou"
	// DefaultMaxRecordedCalls bounds the call record; CallCounts keeps counting past it.
	DefaultMaxRecordedCalls = 200_000
	// APIVersion is the only ECS API version served.
	APIVersion = "2014-05-26"
	// timestampSkew is how far a request's Timestamp may be from the wall clock.
	timestampSkew = 15 * time.Minute
)

// Options configure an Emulator. The zero value is usable: default key pair,
// wall clock, no delays, no faults.
type Options struct {
	AccessKeyID     string
	AccessKeySecret string
	// Region is given to fleet instances that name none.
	Region string
	// Clock is the emulator's time source (default: the wall clock).
	Clock Clock
	// PendingDelay is how long RunInstances leaves an instance Pending;
	// StartDelay how long Starting lasts; StopDelay how long Stopping lasts
	// (ForceStopDelay for ForceStop=true, default StopDelay/4);
	// SnapshotDelay how long a snapshot stays progressing.
	PendingDelay, StartDelay, StopDelay, ForceStopDelay, SnapshotDelay time.Duration
	// Latency is added (in real time) to every API call.
	Latency time.Duration
	// Faults inject throttling and server errors at random.
	Faults Faults
	// Seed makes IDs and fault injection repeatable (0 means 1).
	Seed int64
	// SkipTimestampCheck turns off the ±15 min check of the request time
	// (V1's Timestamp, V3's x-acs-date) against the wall clock.
	SkipTimestampCheck bool
	// MaxRecordedCalls bounds Calls() (default DefaultMaxRecordedCalls).
	MaxRecordedCalls int
	// Logger, if set, gets one record per API call.
	Logger *slog.Logger
	// Witness makes the call record carry instance states (Call.Before,
	// Call.Returned): what a test needs to judge each call against the
	// world as it was at that call.
	Witness bool
	// NodePoolRefillDelay is how long an ACK node pool takes to launch a
	// node in place of one stopped or released (0 means
	// DefaultNodePoolRefillDelay, two minutes).
	NodePoolRefillDelay time.Duration
	// AccountID is the account in ARNs and events (default
	// DefaultAccountID).
	AccountID string
	// Prices, if set, is put over the built-in price list DescribePrice
	// answers from (DefaultPrices; see PriceTable).
	Prices *PriceTable
}

// Faults are injected on API calls (not on admin endpoints), after the
// signature check.
type Faults struct {
	// ThrottleRate is the fraction of calls answered 400 Throttling.User.
	ThrottleRate float64
	// ErrorRate is the fraction of calls answered 500 InternalError.
	ErrorRate float64
	// MaxQPS, if > 0, is a token bucket per (AccessKeyId, Action); calls
	// over it are answered 400 Throttling.User.
	MaxQPS float64
	// SpikeRate is the fraction of calls delayed by Spike (in real time, on
	// top of Options.Latency, outside the emulator lock) before they are
	// handled: latency spikes. A spiked call is otherwise answered as usual
	// and recorded with Call.Spike set.
	SpikeRate float64
	// Spike is the extra delay of a spiked call.
	Spike time.Duration
}

func (f Faults) validate() error {
	// Written so that NaN fails too.
	if !(f.ThrottleRate >= 0 && f.ThrottleRate <= 1) {
		return fmt.Errorf("throttle rate %v is not a fraction in [0,1]", f.ThrottleRate)
	}
	if !(f.ErrorRate >= 0 && f.ErrorRate <= 1) {
		return fmt.Errorf("error rate %v is not a fraction in [0,1]", f.ErrorRate)
	}
	if f.ThrottleRate+f.ErrorRate > 1 {
		return errors.New("throttle rate plus error rate exceed 1")
	}
	if !(f.MaxQPS >= 0 && f.MaxQPS <= 1e9) {
		return fmt.Errorf("max QPS %v is negative, too large or not a number (want 0 to 1e9)", f.MaxQPS)
	}
	if !(f.SpikeRate >= 0 && f.SpikeRate <= 1) {
		return fmt.Errorf("spike rate %v is not a fraction in [0,1]", f.SpikeRate)
	}
	if f.Spike < 0 {
		return fmt.Errorf("spike %v is negative", f.Spike)
	}
	return nil
}

// Call is one API call as the emulator saw it.
type Call struct {
	// Time is the emulator clock when the call was handled.
	Time          time.Time         `json:"time"`
	RequestID     string            `json:"requestId"`
	Action        string            `json:"action"`
	Method        string            `json:"method"`
	Params        map[string]string `json:"params"` // every parameter except Signature and SecurityToken
	AccessKeyID   string            `json:"accessKeyId"`
	SecurityToken string            `json:"securityToken,omitempty"`
	Status        int               `json:"status"`
	Code          string            `json:"code,omitempty"` // error code; "" on success
	DryRun        bool              `json:"dryRun,omitempty"`
	// Mutating is true for an action that changes state, sent without DryRun.
	Mutating bool `json:"mutating"`
	// Injected is true when the answer was an injected fault.
	Injected bool `json:"injected,omitempty"`
	// Spike is the extra delay of an injected latency spike (Faults.Spike),
	// 0 when the call was not spiked.
	Spike time.Duration `json:"spike,omitempty"`
	// Before is, with Options.Witness, the state just before the action of
	// every instance the call names (by InstanceId, InstanceId.N,
	// InstanceIds, ResourceId.N or through a DiskId), for calls that
	// reached their action (not refused at the gateway or by a fault).
	Before []InstanceState `json:"before,omitempty"`
	// Returned is, with Options.Witness, the state of every instance a
	// DescribeInstances call returned.
	Returned []InstanceState `json:"returned,omitempty"`
}

// Emulator is the ECS API emulator: an http.Handler.
type Emulator struct {
	opts Options

	// mu guards everything below; its Unlock delivers the events emitted
	// meanwhile (events.go).
	mu       emuMutex
	bus      *eventBus
	events   []Event
	st       *store
	offset   time.Duration
	faults   Faults
	inject   []injectedError
	limiters map[string]*rate.Limiter
	nonces   map[string]time.Time
	calls    []Call
	counts   map[string]int
	dropped  int
	faultRNG *rand.Rand
	// spikeRNG draws latency spikes; apart from faultRNG so that turning
	// spikes on does not change which calls the other faults hit.
	spikeRNG *rand.Rand
	// nonceMu guards nonces and nonceScan (not mu: the gateway checks
	// nonces before it takes mu; gateway.go).
	nonceMu   sync.Mutex
	nonceScan time.Time
	// prices is the price list in force (prices.go).
	prices PriceTable
}

type injectedError struct {
	action string
	err    *apiError
	left   int
}

// New returns an Emulator. It fails only on invalid Options.
func New(opts Options) (*Emulator, error) {
	if opts.AccessKeyID == "" {
		opts.AccessKeyID = DefaultAccessKeyID
	}
	if opts.AccessKeySecret == "" {
		opts.AccessKeySecret = DefaultAccessKeySecret
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.ForceStopDelay == 0 {
		opts.ForceStopDelay = opts.StopDelay / 4
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.MaxRecordedCalls == 0 {
		opts.MaxRecordedCalls = DefaultMaxRecordedCalls
	}
	if opts.NodePoolRefillDelay == 0 {
		opts.NodePoolRefillDelay = DefaultNodePoolRefillDelay
	}
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	for name, d := range map[string]time.Duration{
		"PendingDelay": opts.PendingDelay, "StartDelay": opts.StartDelay, "StopDelay": opts.StopDelay,
		"ForceStopDelay": opts.ForceStopDelay, "SnapshotDelay": opts.SnapshotDelay, "Latency": opts.Latency,
		"NodePoolRefillDelay": opts.NodePoolRefillDelay,
	} {
		if d < 0 {
			return nil, fmt.Errorf("ecsemu: %s %v is negative", name, d)
		}
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, fmt.Errorf("ecsemu: %w", err)
	}
	prices := DefaultPrices()
	if opts.Prices != nil {
		if err := opts.Prices.Validate(); err != nil {
			return nil, fmt.Errorf("ecsemu: prices: %w", err)
		}
		prices = prices.merged(*opts.Prices)
	}
	e := &Emulator{
		opts:     opts,
		bus:      &eventBus{},
		st:       newStore(opts.Seed),
		faults:   opts.Faults,
		limiters: map[string]*rate.Limiter{},
		nonces:   map[string]time.Time{},
		counts:   map[string]int{},
		faultRNG: rand.New(rand.NewSource(opts.Seed + 7919)),
		spikeRNG: rand.New(rand.NewSource(opts.Seed + 104729)),
		prices:   prices,
	}
	e.mu.bus, e.mu.st = e.bus, e.st
	e.st.emu = e
	return e, nil
}

// AccountID returns the account ID of the emulator's resources.
func (e *Emulator) AccountID() string { return e.opts.AccountID }

// AccessKeyID returns the key id the emulator accepts.
func (e *Emulator) AccessKeyID() string { return e.opts.AccessKeyID }

// AccessKeySecret returns the secret the emulator accepts.
func (e *Emulator) AccessKeySecret() string { return e.opts.AccessKeySecret }

// Region returns the default region.
func (e *Emulator) Region() string { return e.opts.Region }

// now is the emulator time; callers hold e.mu.
func (e *Emulator) now() time.Time { return e.opts.Clock.Now().Add(e.offset).UTC() }

// Now returns the emulator's current time.
func (e *Emulator) Now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now()
}

// Advance moves the emulator clock forward by d; status changes, snapshot
// completions and auto-release timers due in that span happen at once.
func (e *Emulator) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("ecsemu: cannot advance by negative %v", d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.offset += d
	e.st.tick(e.now())
	return nil
}

// SetFaults replaces the random fault settings.
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("ecsemu: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = f
	e.limiters = map[string]*rate.Limiter{}
	return nil
}

// drawSpike decides whether the next call is spiked and returns its extra
// delay (0: not spiked).
func (e *Emulator) drawSpike() time.Duration {
	e.mu.lockCall() // every API call comes here: it leaves the store alone
	defer e.mu.Unlock()
	if e.faults.SpikeRate <= 0 || e.faults.Spike <= 0 {
		return 0
	}
	if e.spikeRNG.Float64() < e.faults.SpikeRate {
		return e.faults.Spike
	}
	return 0
}

// InjectError makes the next n calls of action (any action if "") fail with
// code (its HTTP status from the error table) and message.
func (e *Emulator) InjectError(action, code, message string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inject = append(e.inject, injectedError{action: action, err: errf(code, "%s", message), left: n})
}

// SetStuck makes instances stay in Stopping (stuck=true) until released
// from it (stuck=false). Unknown IDs are an error and change nothing.
func (e *Emulator) SetStuck(stuck bool, ids ...string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		if e.st.instances[id] == nil {
			return fmt.Errorf("ecsemu: instance %q %w", id, ErrInstanceNotFound)
		}
	}
	for _, id := range ids {
		e.st.instances[id].stuck = stuck
	}
	e.st.rescan()
	e.st.tick(e.now())
	return nil
}

// FailSnapshotsOf makes every snapshot created from now on from a disk of
// the given instance end in status failed (fail=false undoes it).
func (e *Emulator) FailSnapshotsOf(instanceID string, fail bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if fail {
		e.st.failSnapshotsOf[instanceID] = true
	} else {
		delete(e.st.failSnapshotsOf, instanceID)
	}
}

// SetSecurityLock adds or removes the "security" operation lock.
func (e *Emulator) SetSecurityLock(id string, locked bool) error {
	return e.SetLock(id, LockSecurity, locked)
}

// Instance returns one instance as DescribeInstances would show it.
func (e *Emulator) Instance(id string) (Instance, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	in := e.st.instances[id]
	if in == nil {
		return Instance{}, false
	}
	return in.view(), true
}

// Instances returns every instance in creation order.
func (e *Emulator) Instances() []Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	list := e.st.sortedInstances(nil)
	out := make([]Instance, len(list))
	for i, in := range list {
		out[i] = in.view()
	}
	return out
}

// Disks returns every disk (attached or not) in creation order.
func (e *Emulator) Disks() []Disk {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.tick(e.now())
	list := e.st.sortedDisks(nil)
	out := make([]Disk, len(list))
	for i, d := range list {
		out[i] = d.viewIn(e.st)
	}
	return out
}

// Snapshots returns every snapshot in creation order.
func (e *Emulator) Snapshots() []Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	e.st.tick(now)
	list := e.st.sortedSnapshots(nil)
	out := make([]Snapshot, len(list))
	for i, s := range list {
		out[i] = s.view(now)
	}
	return out
}

// Calls returns a copy of the call record (at most MaxRecordedCalls).
func (e *Emulator) Calls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Call(nil), e.calls...)
}

// CallCounts returns the number of calls per action (all calls, including
// ones past the record limit and failed ones).
func (e *Emulator) CallCounts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.counts))
	maps.Copy(out, e.counts)
	return out
}

// MutatingCalls returns the recorded calls that changed or could have
// changed state (mutating action, no DryRun), successful or not.
func (e *Emulator) MutatingCalls() []Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Call
	for _, c := range e.calls {
		if c.Mutating {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls clears the call record and counts.
func (e *Emulator) ResetCalls() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = nil
	e.counts = map[string]int{}
	e.dropped = 0
}

func (e *Emulator) record(c Call) {
	e.counts[c.Action]++
	if len(e.calls) >= e.opts.MaxRecordedCalls {
		e.dropped++
		return
	}
	e.calls = append(e.calls, c)
}
