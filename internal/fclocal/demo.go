package fclocal

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/fc-ecs-release/fc-ecs-release/internal/notifysink"
	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
)

// Demo emulator delays: realistic state changes, but quick.
const (
	DemoStopDelay     = 2 * time.Second
	DemoSnapshotDelay = 3 * time.Second
)

// demoOverrides are what the demo sets on every function (before --set).
// SPOT_SNAPSHOT=true shows release snapshotting the data disk of the spot
// instance ECS reclaims (s.yaml deploys it off).
var demoOverrides = map[string]string{
	"DRY_RUN":        "false",
	"SPOT_SNAPSHOT":  "true",
	"WAIT_MIN_DELAY": "1s",
	"WAIT_MAX_DELAY": "2s",
}

// demoHeadlined are the overrides the report gives a line of their own.
var demoHeadlined = []string{"DRY_RUN", "SPOT_SNAPSHOT"}

// NewSTSToken returns a random STS-like security token for one run.
func NewSTSToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "fclocal-sts-" + hex.EncodeToString(b[:])
}

// EmulatorCredentials are the emulator's key pair with a fresh STS-like
// token: what the functions get, as a function role's credentials.
func EmulatorCredentials(emu *ecsemu.Emulator) fcruntime.Credentials {
	id, secret := ecsemu.DefaultAccessKeyID, ecsemu.DefaultAccessKeySecret
	if emu != nil {
		id, secret = emu.AccessKeyID(), emu.AccessKeySecret()
	}
	return fcruntime.Credentials{AccessKeyID: id, AccessKeySecret: secret, SecurityToken: NewSTSToken()}
}

// LocalEmulator is an in-process ECS emulator served on a TCP port.
type LocalEmulator struct {
	Emu *ecsemu.Emulator
	URL string
	srv *http.Server
}

// StartEmulator serves emu on listen (host:port; port 0 picks one).
func StartEmulator(emu *ecsemu.Emulator, listen string) (*LocalEmulator, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("emulator listener: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &LocalEmulator{Emu: emu, URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops serving.
func (l *LocalEmulator) Close() { _ = l.srv.Close() }

// ---------------------------------------------------------------------------
// The demo fleet

// DemoInstance is one instance of the demo fleet: its spec and what it is
// meant to show.
type DemoInstance struct {
	Spec ecsemu.Instance
	// Role says what the instance is; Fate what a live cycle does with it,
	// DryFate what a dry-run cycle says it would do.
	Role, Fate, DryFate string
	// Interrupt: ECS interrupts this spot instance as the cycle starts
	// (Emulator.SpotInterrupt), and reclaims it once the cycle is over.
	Interrupt bool
	// JobDone: a batch system puts a job:Completed event naming this
	// instance by its ARN as the cycle starts.
	JobDone bool
}

// DemoPolicy is what the fleet is built against: the cleanup timer's
// selector and the functions' guard configuration.
type DemoPolicy struct {
	Region    string
	Tags      map[string]string // the cleanup selector's tags
	OlderThan time.Duration
	Managed   *[2]string // MANAGED_TAG key, value
	Protect   [2]string  // PROTECT_TAG
	TTLTag    string
	ExpireTag string
	// Source names where Tags and OlderThan came from.
	Source string
}

func splitTag(s string) (*[2]string, bool) {
	k, v, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || k == "" {
		return nil, false
	}
	return &[2]string{k, v}, true
}

// DemoPolicyFor derives the policy from the project: the first enabled
// timer whose payload has a selector (the scheduled cleanup), and the
// environment of that timer's function with overrides applied.
func DemoPolicyFor(p *Project, overrides map[string]string) DemoPolicy {
	pol := DemoPolicy{
		Tags:      map[string]string{"lifecycle": "ephemeral"},
		OlderThan: 12 * time.Hour,
		Protect:   [2]string{"ecs-release:protect", "true"},
		TTLTag:    "ecs-release:ttl",
		ExpireTag: "ecs-release:expires",
		Source:    "built-in default (no timer payload with a selector in s.yaml)",
	}
	var env map[string]string
	if len(p.Functions) > 0 {
		pol.Region = p.Functions[0].Region
		env = p.Functions[0].Env
	}
found:
	for _, f := range p.Functions {
		for _, t := range f.Triggers {
			if t.Timer == nil || !t.Timer.Enabled || t.Timer.Payload == "" {
				continue
			}
			var req struct {
				Selector *struct {
					Tags      map[string]string `json:"tags"`
					OlderThan string            `json:"olderThan"`
				} `json:"selector"`
			}
			if json.Unmarshal([]byte(t.Timer.Payload), &req) != nil || req.Selector == nil {
				continue
			}
			pol.Region, env = f.Region, f.Env
			pol.Tags = map[string]string{}
			for k, v := range req.Selector.Tags {
				if v == "*" {
					v = "yes"
				}
				pol.Tags[k] = v
			}
			pol.OlderThan = 0
			if d, err := time.ParseDuration(req.Selector.OlderThan); err == nil {
				pol.OlderThan = d
			}
			pol.Source = fmt.Sprintf("the payload of timer %s on %s", t.Name, f.Name)
			break found
		}
	}
	get := func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		return env[k]
	}
	if m, ok := splitTag(get("MANAGED_TAG")); ok {
		pol.Managed = m
	}
	if pt, ok := splitTag(get("PROTECT_TAG")); ok {
		pol.Protect = *pt
	}
	if v := strings.TrimSpace(get("TTL_TAG")); v != "" {
		pol.TTLTag = v
	}
	if v := strings.TrimSpace(get("EXPIRE_TAG")); v != "" {
		pol.ExpireTag = v
	}
	return pol
}

// DemoSecondRegion is the demo fleet's other region: cn-shanghai, or
// cn-hangzhou when the policy's region is cn-shanghai.
func DemoSecondRegion(pol DemoPolicy) string {
	if pol.Region == "cn-shanghai" {
		return "cn-hangzhou"
	}
	return "cn-shanghai"
}

// DemoFleet builds the demo fleet for the policy: old and expired
// instances the cleanup selects, young, untagged, protected, PrePaid,
// deletion-protected, security-locked and TTL-tagged ones, all inside the
// managed scope, and one outside it; and the real cloud's hazards inside
// the policy's reach: an Auto Scaling member, an ACK node, a local-SSD
// type without economical mode, a spot instance ECS interrupts, one locked
// for an overdue payment, and one in a second region that a job-completion
// event names by ARN.
func DemoFleet(now time.Time, pol DemoPolicy) []DemoInstance {
	older := pol.OlderThan
	ct := func(age time.Duration) string { return now.Add(-age).UTC().Format("2006-01-02T15:04Z") }
	tags := func(policy bool, extra ...string) ecsemu.TagSet {
		m := map[string]string{}
		if policy {
			maps.Copy(m, pol.Tags)
		}
		if pol.Managed != nil {
			m[pol.Managed[0]] = pol.Managed[1]
		}
		for i := 0; i+1 < len(extra); i += 2 {
			if extra[i+1] == "\x00" {
				delete(m, extra[i])
				continue
			}
			m[extra[i]] = extra[i+1]
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ts ecsemu.TagSet
		for _, k := range keys {
			ts.Tag = append(ts.Tag, ecsemu.Tag{TagKey: k, TagValue: m[k]})
		}
		return ts
	}
	policyText := "matches the cleanup policy"
	old := older + 60*time.Hour
	inst := func(id, name, status string, age time.Duration, ts ecsemu.TagSet) ecsemu.Instance {
		return ecsemu.Instance{
			InstanceId: id, InstanceName: name, Status: status, CreationTime: ct(age), RegionId: pol.Region,
			InstanceType: "ecs.g7.large", Tags: ts,
		}
	}
	no := func(k string) []string { return []string{k, "\x00"} }
	var out []DemoInstance
	add := func(in ecsemu.Instance, role, fate, dryFate string) {
		if dryFate == "" {
			dryFate = fate
		}
		out = append(out, DemoInstance{Spec: in, Role: role, Fate: fate, DryFate: dryFate})
	}

	keep := false
	// Owners (OWNER_TAG, "owner" by default): a DingTalk mobile, an
	// email, a user id; notifications group the instances by owner and
	// mention each.
	a := inst("i-demoold01", "ci-runner-old-1", ecsemu.StatusRunning, old, tags(true, "owner", "13800000001"))
	add(a, fmt.Sprintf("%s, created %s ago, Running", policyText, roundAge(old)), "stopped, then released", "would be stopped, then released")

	b := inst("i-demoold02", "ci-runner-old-2", ecsemu.StatusRunning, older+6*time.Hour, tags(true, "owner", "13800000001"))
	b.Disks = &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100, DeleteWithInstance: &keep, DiskName: "ci-cache"}}}
	add(b, fmt.Sprintf("%s, created %s ago, with a data disk not deleted with it", policyText, roundAge(older+6*time.Hour)),
		"stopped, then released; the release receipt in the function log lists the disk as a leftover",
		"would be stopped, then released, leaving the disk behind")

	c := inst("i-demoexpired", "ci-runner-expired", ecsemu.StatusRunning, older+time.Hour,
		tags(true, pol.ExpireTag, now.Add(-20*time.Hour).UTC().Format(time.RFC3339), "owner", "qa-team@example.com"))
	add(c, fmt.Sprintf("%s, created %s ago, its %s tag expired yesterday", policyText, roundAge(older+time.Hour), pol.ExpireTag),
		"stopped, then released", "would be stopped, then released")

	d := inst("i-demostopped", "batch-worker-stopped", ecsemu.StatusStopped, old, tags(true))
	d.StoppedMode = "StopCharging"
	add(d, fmt.Sprintf("%s, already Stopped", policyText), "released without a stop", "would be released without a stop")

	if older > 0 {
		young := older / 6
		add(inst("i-demoyoung", "ci-runner-young", ecsemu.StatusRunning, young, tags(true)),
			fmt.Sprintf("tagged like the others but created %s ago, younger than olderThan %s", roundAge(young), shortDuration(older)), "not selected", "")
	}

	add(inst("i-demountagged", "build-cache", ecsemu.StatusRunning, old, tags(false)),
		"in the managed scope but without the cleanup policy's tags", "not selected", "")

	add(inst("i-demoprotected", "ci-runner-protected", ecsemu.StatusRunning, old,
		tags(true, pol.Protect[0], pol.Protect[1], pol.TTLTag, "4h")),
		fmt.Sprintf("%s and %s, with a TTL tag", policyText, pol.Protect[0]+"="+pol.Protect[1]), "the guards skip it everywhere", "")

	pp := inst("i-demoprepaid", "db-replica-prepaid", ecsemu.StatusRunning, old, tags(true))
	pp.InstanceChargeType = ecsemu.PrePaid
	pp.ExpiredTime = now.Add(90 * 24 * time.Hour).UTC().Format("2006-01-02T15:04Z")
	add(pp, "tagged like the old ones but PrePaid (subscription)", "the policy selects PostPaid only, so it is never released", "")

	dp := inst("i-demodelprot", "ci-runner-deletion-protected", ecsemu.StatusRunning, old, tags(true))
	dp.DeletionProtection = true
	add(dp, fmt.Sprintf("%s, deletion protection on", policyText), "never released", "")

	lk := inst("i-demolocked", "ci-runner-locked", ecsemu.StatusRunning, old, tags(true))
	lk.OperationLocks = ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "security"}}}
	add(lk, fmt.Sprintf("%s, security-locked (OperationLocks: security)", policyText), "skipped", "")

	asg := inst("i-demoasg", "ci-runner-asg", ecsemu.StatusRunning, old, tags(true, "acs:autoscaling:scalingGroupId", "asg-ci"))
	asg.AutoScaling = &ecsemu.AutoScalingMember{CreationType: "AutoCreated"}
	add(asg, fmt.Sprintf("%s, a member of Auto Scaling group asg-ci (system tag acs:autoscaling:scalingGroupId)", policyText),
		"skipped, since a stop would make ESS mark it unhealthy, release it and launch a replacement; scale the group in instead", "")

	node := inst("i-demoacknode", "ack-node-ci", ecsemu.StatusRunning, old,
		tags(true, "ack.aliyun.com", "c-ci", "ack.alibabacloud.com/nodepool-id", "np-ci"))
	add(node, fmt.Sprintf("%s, a node of ACK cluster c-ci, node pool np-ci (tags ack.aliyun.com, ack.alibabacloud.com/nodepool-id)", policyText),
		"skipped, whatever a request says: drain it and scale its node pool in ACK", "")

	ssd := inst("i-demolocalssd", "ci-runner-local-ssd", ecsemu.StatusRunning, old, tags(true))
	ssd.InstanceType = "ecs.i3.xlarge"
	add(ssd, fmt.Sprintf("%s, type ecs.i3.xlarge (local SSD), which ECS will not stop in economical mode (403 InvalidInstanceId.NotSupport)", policyText),
		"the nightly payload allows stoppedModeFallback, so it is stopped in KeepCharging, then released (without the fallback: failed, code economical-mode-unsupported, left Running)",
		"would be stopped, then released (a dry run makes no StopInstances call, so it cannot see ECS refuse economical mode; the live run falls back to KeepCharging)")

	spot := inst("i-demospot", "ci-runner-spot", ecsemu.StatusRunning, old, tags(true))
	spot.SpotStrategy = "SpotAsPriceGo"
	deleted := true
	spot.Disks = &ecsemu.FleetDiskSet{Disk: []ecsemu.FleetDisk{{Type: "data", Size: 100, DeleteWithInstance: &deleted, DiskName: "ci-scratch"}}}
	add(spot, fmt.Sprintf("%s, a spot instance with a data disk deleted with it; ECS interrupts it as the cycle starts (Recycling lock, event ecs:Instance:PreemptibleInstanceInterruption)", policyText),
		"the nightly stop skips it (locked); the event reaches ecs-release through trigger spot-interrupted, which answers with a receipt of what the reclaim takes and, with SPOT_SNAPSHOT=true, starts a snapshot of the data disk; ECS reclaims it 5 minutes later",
		"the nightly stop skips it (locked); the event reaches ecs-release through trigger spot-interrupted, which answers with a receipt of what the reclaim takes and, with SPOT_SNAPSHOT=true, the snapshot it would start; ECS reclaims it 5 minutes later, dry run or not")
	out[len(out)-1].Interrupt = true

	arrears := inst("i-demoarrears", "ci-runner-in-arrears", ecsemu.StatusRunning, old, tags(true))
	arrears.OperationLocks = ecsemu.LockSet{LockReason: []ecsemu.LockReason{{LockReason: "financial"}}}
	add(arrears, fmt.Sprintf("%s, locked for an overdue payment (OperationLocks: financial)", policyText), "skipped", "")

	other := DemoSecondRegion(pol)
	far := inst("i-demoregion2", "batch-worker-"+strings.TrimPrefix(other, "cn-"), ecsemu.StatusRunning, old, tags(true))
	far.RegionId = other
	add(far, fmt.Sprintf("tagged like the old ones but in %s, where the nightly selector (the function's region, %s) does not look; its batch job is done, and the batch system puts a job:Completed event naming it by ARN", other, pol.Region),
		fmt.Sprintf("the event reaches ecs-release through trigger job-completed, which finds it in %s (the ARN's region), stops it, then releases it", other),
		fmt.Sprintf("the event reaches ecs-release through trigger job-completed, which finds it in %s (the ARN's region) and would stop, then release it", other))
	out[len(out)-1].JobDone = true

	if pol.Managed != nil {
		add(inst("i-demooutside", "ephemeral-unmanaged", ecsemu.StatusRunning, old, tags(true, no(pol.Managed[0])...)),
			fmt.Sprintf("the cleanup tags but outside the managed scope (no %s=%s)", pol.Managed[0], pol.Managed[1]), "never touched", "")
	}

	add(inst("i-demottl", "dev-box-ttl", ecsemu.StatusRunning, time.Hour, tags(false)),
		fmt.Sprintf("%s=4h, created 1h ago", pol.TTLTag), "the sweep gives it a native auto-release time at creation+4h",
		"the sweep would give it a native auto-release time at creation+4h")
	out[len(out)-1].Spec.Tags = addTag(out[len(out)-1].Spec.Tags, pol.TTLTag, "4h")

	add(inst("i-demottlpast", "dev-box-ttl-past", ecsemu.StatusRunning, 10*time.Hour, tags(false, "owner", "dev_lin")),
		fmt.Sprintf("%s=4h, created 10h ago (past its TTL)", pol.TTLTag), "the sweep sets a release time about 30 min from now",
		"the sweep would set a release time about 30 min from now")
	out[len(out)-1].Spec.Tags = addTag(out[len(out)-1].Spec.Tags, pol.TTLTag, "4h")
	return out
}

func addTag(ts ecsemu.TagSet, k, v string) ecsemu.TagSet {
	ts.Tag = append(ts.Tag, ecsemu.Tag{TagKey: k, TagValue: v})
	return ts
}

func roundAge(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return fmt.Sprintf("%dh", int(d/time.Hour))
}

// DemoSpecs returns the fleet specs alone (for the emulator).
func DemoSpecs(fleet []DemoInstance) []ecsemu.Instance {
	out := make([]ecsemu.Instance, len(fleet))
	for i, d := range fleet {
		out[i] = d.Spec
	}
	return out
}

// ---------------------------------------------------------------------------
// The demo run

// DemoOptions configure RunDemo.
type DemoOptions struct {
	// File is the s.yaml (default ./s.yaml).
	File string
	// LookupEnv supplies ${env(...)} (nil: nothing set).
	LookupEnv LookupEnv
	// Set are user overrides of the functions' environment (--set).
	Set map[string]string
	// Binaries, SkipBuild, BuildEnv, FunctionLog: as in Options.
	Binaries    map[string]string
	SkipBuild   bool
	BuildEnv    []string
	FunctionLog io.Writer
	// StopDelay and SnapshotDelay of the emulator (defaults
	// DemoStopDelay, DemoSnapshotDelay).
	StopDelay, SnapshotDelay time.Duration
	// CycleTimeout bounds the cycle after the build (default 50s).
	CycleTimeout time.Duration
	// Progress, if set, receives one line per invocation as it happens.
	Progress io.Writer
	// BuildProgress, if set, receives a line per function built, with its
	// time, and one as the cycle starts.
	BuildProgress io.Writer
	// NotifySink are the chat channels a local sink stands in for, besides
	// those the functions are configured with (see StartNotifySink).
	NotifySink []string
}

// DemoResult is what the demo did.
type DemoResult struct {
	Project   *Project
	Policy    DemoPolicy
	Fleet     []DemoInstance
	Endpoint  string
	Overrides map[string]string
	Timers    []string // "function/trigger" fired
	// Events are the events put on the local bus during the cycle (the
	// spot interruption the emulator emitted, the job-completion event),
	// with where each went; Interrupted the spot instances ECS
	// interrupted; JobDone the instances a job-completion event named;
	// Advanced how far the emulator clock moved after the cycle (so that
	// ECS reclaims the interrupted instances).
	Events      []EventRouting
	Interrupted []string
	JobDone     []string
	Advanced    time.Duration
	// EventErrors are events that could not be put on the bus.
	EventErrors []string
	Invocations []Invocation
	// Outcomes are the per-instance outcomes of every successful answer,
	// by instance id, in invocation order.
	Outcomes map[string][]FunctionOutcome
	// Final is each fleet instance's state at the end (nil: released).
	Final map[string]*ecsemu.Instance
	// Snapshots are the emulator's snapshots at the end, by id.
	Snapshots map[string]ecsemu.Snapshot
	Calls     map[string]int
	BuildTime time.Duration
	CycleTime time.Duration
	Total     time.Duration
	// Failed counts invocations that ended in an error (after retries).
	Failed int
	// Notify is the local chat sink (nil: no channel), Notifications the
	// messages it took.
	Notify        *NotifySink
	Notifications []notifysink.Message
}

// FunctionOutcome is one instance outcome in one function's answer.
type FunctionOutcome struct {
	Function string
	InstanceOutcome
}

// RunDemo runs one scheduled cleanup cycle end to end against an
// in-process emulator holding the demo fleet: as the cycle starts, ECS
// interrupts the fleet's spot instance (its event goes to the functions
// whose EventBridge triggers match it, as on the default bus); every
// enabled timer of the s.yaml fires once (its payload from the file),
// asynchronously; a batch system puts a job-completion event naming the
// second region's instance by ARN; and the chain runs as the file wires it
// (onSuccess destinations, retries), until nothing is left in flight. Then
// the emulator clock moves on by ecsemu.SpotNoticePeriod, and ECS reclaims
// the interrupted instance. DRY_RUN is forced to false (the emulator is
// the demo's own) and SPOT_SNAPSHOT to true, unless Set says otherwise.
func RunDemo(ctx context.Context, opts DemoOptions) (*DemoResult, error) {
	t0 := time.Now()
	if opts.File == "" {
		opts.File = "s.yaml"
	}
	if opts.StopDelay == 0 {
		opts.StopDelay = DemoStopDelay
	}
	if opts.SnapshotDelay == 0 {
		opts.SnapshotDelay = DemoSnapshotDelay
	}
	if opts.CycleTimeout == 0 {
		opts.CycleTimeout = 50 * time.Second
	}
	p, err := LoadFile(opts.File, opts.LookupEnv)
	if err != nil {
		return nil, err
	}
	res := &DemoResult{Project: p, Outcomes: map[string][]FunctionOutcome{}, Final: map[string]*ecsemu.Instance{}, Snapshots: map[string]ecsemu.Snapshot{}}
	overrides := map[string]string{}
	maps.Copy(overrides, demoOverrides)
	maps.Copy(overrides, opts.Set)
	res.Policy = DemoPolicyFor(p, overrides)
	// The functions and the instances belong to one account (ARNs, events).
	emu, err := ecsemu.New(ecsemu.Options{
		Region: res.Policy.Region, StopDelay: opts.StopDelay, SnapshotDelay: opts.SnapshotDelay,
		StartDelay: opts.StopDelay, PendingDelay: time.Second, AccountID: DefaultAccountID,
	})
	if err != nil {
		return nil, err
	}
	res.Fleet = DemoFleet(time.Now(), res.Policy)
	if _, err := emu.AddInstances(DemoSpecs(res.Fleet)); err != nil {
		return nil, fmt.Errorf("demo fleet: %w", err)
	}
	le, err := StartEmulator(emu, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer le.Close()
	res.Endpoint = le.URL
	env := map[string]string{"ECS_ENDPOINT": le.URL}
	maps.Copy(env, overrides)
	res.Overrides = env
	ns, err := StartNotifySink(p, env, opts.NotifySink)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	res.Notify = ns
	if ns != nil {
		env = maps.Clone(env)
		maps.Copy(env, ns.Env)
	}

	var mu sync.Mutex
	r, err := Start(ctx, p, Options{
		Env:         env,
		Credentials: EmulatorCredentials(emu),
		Binaries:    opts.Binaries,
		SkipBuild:   opts.SkipBuild,
		BuildEnv:    opts.BuildEnv,
		FunctionLog: opts.FunctionLog,
		Progress:    opts.BuildProgress,
		OnInvocation: func(inv Invocation) {
			mu.Lock()
			defer mu.Unlock()
			res.Invocations = append(res.Invocations, inv)
			if opts.Progress != nil {
				fmt.Fprintln(opts.Progress, inv.Line())
			}
		},
		OnEvent: func(ev EventRouting) {
			mu.Lock()
			defer mu.Unlock()
			res.Events = append(res.Events, ev)
			if opts.Progress != nil {
				fmt.Fprintln(opts.Progress, ev.Line())
			}
		},
	})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	res.BuildTime = r.BuildTime
	if opts.BuildProgress != nil {
		fmt.Fprintf(opts.BuildProgress, "fclocal: functions started; running the cycle against the emulator at %s ...\n", le.URL)
	}
	t1 := time.Now()
	cctx, cancel := context.WithTimeout(ctx, opts.CycleTimeout)
	defer cancel()
	stopEvents := r.DeliverEmulatorEvents(emu, func(err error) {
		mu.Lock()
		defer mu.Unlock()
		res.EventErrors = append(res.EventErrors, err.Error())
	})
	defer stopEvents()
	// ECS interrupts the spot instance first: the nightly stop finds it
	// locked, and ecs-release gets the interruption event.
	for _, d := range res.Fleet {
		if d.Interrupt {
			if err := emu.SpotInterrupt(d.Spec.InstanceId); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			res.Interrupted = append(res.Interrupted, d.Spec.InstanceId)
		}
	}
	for _, f := range p.Functions {
		for _, t := range f.Triggers {
			if t.Timer == nil || !t.Timer.Enabled {
				continue
			}
			if _, err := r.FireTimer(f.Name, t.Name, time.Now()); err != nil {
				return nil, err
			}
			res.Timers = append(res.Timers, f.Name+"/"+t.Name)
		}
	}
	if len(res.Timers) == 0 {
		return nil, errors.New("the s.yaml has no enabled timer trigger: there is no scheduled cycle to run")
	}
	for _, d := range res.Fleet {
		if d.JobDone {
			if _, err := r.PutEvent(jobCompletedEvent(emu, d.Spec, time.Now())); err != nil {
				return nil, fmt.Errorf("demo: %w", err)
			}
			res.JobDone = append(res.JobDone, d.Spec.InstanceId)
		}
	}
	if err := r.Wait(cctx); err != nil {
		return nil, fmt.Errorf("the cycle did not finish within %s: %w", opts.CycleTimeout, err)
	}
	res.CycleTime = time.Since(t1)
	// ECS reclaims an interrupted spot instance SpotNoticePeriod later.
	if len(res.Interrupted) > 0 {
		if err := emu.Advance(ecsemu.SpotNoticePeriod); err != nil {
			return nil, err
		}
		res.Advanced = ecsemu.SpotNoticePeriod
	}
	mu.Lock()
	defer mu.Unlock()
	sort.SliceStable(res.Invocations, func(i, j int) bool { return res.Invocations[i].Start.Before(res.Invocations[j].Start) })
	for _, inv := range res.Invocations {
		if !inv.OK() && !strings.HasPrefix(inv.Next, "retry ") {
			res.Failed++
		}
		if !inv.OK() {
			continue
		}
		if ans, _, ok := Answer(inv.Payload); ok {
			for _, o := range ans.Instances {
				res.Outcomes[o.InstanceID] = append(res.Outcomes[o.InstanceID], FunctionOutcome{Function: inv.Function, InstanceOutcome: o})
			}
		}
	}
	for _, d := range res.Fleet {
		if in, ok := emu.Instance(d.Spec.InstanceId); ok {
			res.Final[d.Spec.InstanceId] = &in
		} else {
			res.Final[d.Spec.InstanceId] = nil
		}
	}
	for _, sn := range emu.Snapshots() {
		res.Snapshots[sn.SnapshotId] = sn
	}
	res.Calls = emu.CallCounts()
	if ns != nil {
		// In a stable order (the functions answer concurrently).
		res.Notifications = ns.Sink.Messages()
		slices.SortStableFunc(res.Notifications, func(a, b notifysink.Message) int { return strings.Compare(a.Text, b.Text) })
	}
	res.Total = time.Since(t0)
	return res, nil
}

// jobCompletedEvent is the event a batch system puts on the default bus
// when the job of an instance succeeded, naming the instance by ARN: the
// shape s.yaml's job-completed trigger takes (docs/deploy.md).
func jobCompletedEvent(emu *ecsemu.Emulator, in ecsemu.Instance, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"specversion": "1.0", "id": "job-" + in.InstanceId + "-done", "source": "batch.jobs", "type": "job:Completed",
		"time": at.UTC().Format(time.RFC3339), "datacontenttype": "application/json",
		"data": map[string]any{
			"instanceId": ecsemu.InstanceARN(in.RegionId, emu.AccountID(), in.InstanceId),
			"status":     "succeeded", "jobId": "nightly-etl-42",
		},
	})
	return b
}

// Report renders the demo result for people.
func (res *DemoResult) Report() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	head := func(label, format string, args ...any) { w("  %-13s %s\n", label, fmt.Sprintf(format, args...)) }
	p := res.Project
	w("fclocal demo: one scheduled cleanup cycle of %s, wired as %s says\n\n", p.Name, relOrAbs(p.Path))
	var fns []string
	for _, f := range p.Functions {
		fns = append(fns, fmt.Sprintf("%s (%s)", f.Name, f.Resource))
	}
	head("functions", "%s", strings.Join(fns, ", "))
	head("", "built with their pre-deploy actions in %s, run under the local go1 runtime", res.BuildTime.Round(10*time.Millisecond))
	var regions []string
	for _, d := range res.Fleet {
		if r := cmp.Or(d.Spec.RegionId, res.Policy.Region); !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	regionWord := "region"
	if len(regions) > 1 {
		regionWord = "regions"
	}
	head("ECS", "in-process emulator at %s, %s %s, %d instances (stop takes %s, snapshot %s)",
		res.Endpoint, regionWord, strings.Join(regions, " and "), len(res.Fleet), DemoStopDelay, DemoSnapshotDelay)
	syamlEnv := func(k string) string {
		for _, f := range p.Functions {
			if v, ok := f.Env[k]; ok {
				return v
			}
		}
		return ""
	}
	dry := res.Overrides["DRY_RUN"]
	if dry == "false" {
		head("DRY_RUN", "false: forced by the demo (s.yaml says %q); it acts on its own emulator only", syamlEnv("DRY_RUN"))
	} else {
		head("DRY_RUN", "%s (from --set; s.yaml says %q)", dry, syamlEnv("DRY_RUN"))
	}
	if spot, ok := res.Overrides["SPOT_SNAPSHOT"]; ok {
		if spot == demoOverrides["SPOT_SNAPSHOT"] {
			head("SPOT_SNAPSHOT", "%s: set by the demo, so that ecs-release snapshots the interrupted spot instance's data disk (s.yaml says %q)", spot, syamlEnv("SPOT_SNAPSHOT"))
		} else {
			head("SPOT_SNAPSHOT", "%s (from --set; s.yaml says %q)", spot, syamlEnv("SPOT_SNAPSHOT"))
		}
	}
	var ov []string
	for k, v := range res.Overrides {
		if slices.Contains(demoHeadlined, k) {
			continue
		}
		ov = append(ov, k+"="+displayValue(k, v))
	}
	sort.Strings(ov)
	head("overrides", "%s", strings.Join(ov, " "))
	head("credentials", "the emulator's key pair with a per-run STS token (not shown)")
	head("policy", "selector tags %s, olderThan %s (from %s)", tagsText(res.Policy.Tags), shortDuration(res.Policy.OlderThan), res.Policy.Source)
	if len(res.Interrupted) > 0 {
		head("spot", "ECS interrupts %s as the cycle starts (Recycling lock, then its event)", strings.Join(res.Interrupted, ", "))
	}
	head("timers", "fired once each, now: %s", strings.Join(res.Timers, ", "))
	if len(res.JobDone) > 0 {
		head("job events", "a batch system puts job:Completed naming %s by ARN", strings.Join(res.JobDone, ", "))
	}
	if res.Advanced > 0 {
		head("afterwards", "the emulator clock moves %s on: ECS reclaims what it interrupted", shortDuration(res.Advanced))
	}
	w("\n")

	w("Invocations (in start order)\n")
	for _, inv := range res.Invocations {
		w("  %s\n", inv.Line())
	}
	if len(res.Events)+len(res.EventErrors) > 0 {
		w("\nEvents (on the local default bus, to the EventBridge triggers they match)\n")
		for _, ev := range res.Events {
			w("  %s %s\n", ev.At.Format("15:04:05.000"), ev.Line())
		}
		for _, e := range res.EventErrors {
			w("  NOT DELIVERED: %s\n", e)
		}
	}
	w("\nInstances\n")
	dryRun := dry != "false"
	// Columns as wide as their longest entry.
	fnWidth, outWidth := 0, 0
	for _, outs := range res.Outcomes {
		for _, o := range outs {
			fnWidth, outWidth = max(fnWidth, len(o.Function)), max(outWidth, len(o.Outcome))
		}
	}
	fnOrder := map[string]int{}
	for i, f := range p.Functions {
		fnOrder[f.Name] = i
	}
	counts := map[string]int{}
	for _, d := range res.Fleet {
		id := d.Spec.InstanceId
		final := res.Final[id]
		state := "RELEASED"
		switch {
		case final == nil && slices.Contains(res.Interrupted, id):
			state = "RECLAIMED by ECS"
		case final != nil:
			state = final.Status
			if final.AutoReleaseTime != "" {
				state += ", auto-release " + final.AutoReleaseTime
			}
		}
		w("  %-15s %-29s %s\n", id, d.Spec.InstanceName, state)
		fate := d.Fate
		if dryRun {
			fate = d.DryFate
		}
		w("      %s: %s\n", d.Role, fate)
		// In s.yaml's order of functions: timers that fire at once answer
		// in either order.
		outs := slices.Clone(res.Outcomes[id])
		slices.SortStableFunc(outs, func(a, b FunctionOutcome) int { return fnOrder[a.Function] - fnOrder[b.Function] })
		if len(outs) == 0 {
			w("      (in no function's answer: no policy selected it)\n")
		}
		for _, o := range outs {
			for _, l := range outcomeLines(o, fnWidth, outWidth, res.Snapshots) {
				w("      %s\n", l)
			}
		}
		counts[instanceFate(final, outs)]++
	}
	w("\nTotals\n")
	var parts []string
	for _, f := range fates {
		label := f.live
		if dryRun {
			label = f.dry
		}
		if n := counts[f.key]; n > 0 || f.always {
			parts = append(parts, fmt.Sprintf("%d %s", n, label))
		}
	}
	w("  instances       %d, each counted once: %s\n", len(res.Fleet), strings.Join(parts, ", "))
	byFn := map[string]map[string]int{}
	var order []string
	for _, inv := range res.Invocations {
		if !inv.OK() {
			continue
		}
		if ans, _, ok := Answer(inv.Payload); ok {
			if byFn[inv.Function] == nil {
				byFn[inv.Function] = map[string]int{}
				order = append(order, inv.Function)
			}
			for k, v := range ans.Summary.Counts {
				byFn[inv.Function][k] += v
			}
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return fnOrder[a] - fnOrder[b] })
	for _, f := range order {
		w("  %-*s %s\n", max(15, fnWidth+1), f+":", SummaryText(byFn[f]))
	}
	var calls []string
	total := 0
	keys := make([]string, 0, len(res.Calls))
	for k := range res.Calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		calls = append(calls, fmt.Sprintf("%s=%d", k, res.Calls[k]))
		total += res.Calls[k]
	}
	var answers []*answer.Response
	for _, inv := range res.Invocations {
		if ans, _, ok := Answer(inv.Payload); ok && inv.OK() {
			answers = append(answers, ans)
		}
	}
	if m := moneyText(answers); m != "" {
		w("  money           %s\n", m)
	}
	w("  ECS API calls   %d: %s\n", total, strings.Join(calls, " "))
	retries := 0
	for _, inv := range res.Invocations {
		if inv.Retry > 0 {
			retries++
		}
	}
	w("  events          %d put on the bus, %d invocations started by them\n", len(res.Events), eventInvocations(res.Events))
	w("  invocations     %d (%d retries, %d failed)\n", len(res.Invocations), retries, res.Failed)
	w("  time            %s total: build %s, cycle %s\n", res.Total.Round(10*time.Millisecond), res.BuildTime.Round(10*time.Millisecond), res.CycleTime.Round(10*time.Millisecond))
	b.WriteString(notificationsText(res.Notify, res.Notifications))
	return b.String()
}

// eventInvocations counts the invocations the events started.
func eventInvocations(evs []EventRouting) int {
	n := 0
	for _, ev := range evs {
		for _, d := range ev.Deliveries {
			if d.Err == nil {
				n++
			}
		}
	}
	return n
}

// outcomeLines are one function's outcome for an instance, in columns of
// the given widths: the outcome, its code in brackets and its reason, then
// what the outcome carries beside them (error, stop mode, flags,
// auto-release time, snapshots), and a spot interruption's receipt on
// lines of their own. snapshots, if known, are the snapshots' states at
// the end.
func outcomeLines(o FunctionOutcome, fnWidth, outWidth int, snapshots map[string]ecsemu.Snapshot) []string {
	reason := o.Reason
	if o.Code != "" {
		reason = "[" + o.Code + "] " + reason
	}
	line := fmt.Sprintf("%-*s %-*s %s", fnWidth, o.Function, outWidth, o.Outcome, reason)
	if o.Error != nil {
		line += fmt.Sprintf(" [error %s: %s]", o.Error.Code, o.Error.Message)
	}
	if o.StoppedMode != "" && !strings.Contains(o.Reason, o.StoppedMode) {
		line += " (stoppedMode " + o.StoppedMode + ")"
	}
	if len(o.Flags) > 0 {
		line += " {" + strings.Join(o.Flags, ", ") + "}"
	}
	if o.AutoReleaseTime != "" && !strings.Contains(o.Reason, o.AutoReleaseTime) {
		line += " (auto-release " + o.AutoReleaseTime + ")"
	}
	if len(o.SnapshotIDs) > 0 && o.Receipt == nil {
		line += " (snapshots " + strings.Join(o.SnapshotIDs, ", ") + ")"
	}
	out := []string{strings.TrimRight(line, " ")}
	return append(out, receiptLines(o.Receipt, fnWidth+outWidth+2, snapshots)...)
}

// receiptLines render a spot interruption's receipt, indented by indent:
// what the reclaim takes, what survives it, and the snapshots started
// before it (with their state at the end, when known).
func receiptLines(rc *answer.Receipt, indent int, snapshots map[string]ecsemu.Snapshot) []string {
	if rc == nil {
		return nil
	}
	pad := strings.Repeat(" ", indent)
	var out []string
	for _, l := range rc.Lost {
		out = append(out, pad+"receipt: lost: "+l)
	}
	for _, l := range rc.Leftovers {
		out = append(out, pad+"receipt: left: "+l)
	}
	for _, sn := range rc.Snapshots {
		if sn.SnapshotID == "" {
			out = append(out, fmt.Sprintf("%sreceipt: snapshot of disk %s: %s", pad, sn.DiskID, sn.Status))
			continue
		}
		l := fmt.Sprintf("%sreceipt: snapshot %s of disk %s: %s when answered", pad, sn.SnapshotID, sn.DiskID, sn.Status)
		if end, ok := snapshots[sn.SnapshotID]; ok {
			l += "; " + end.Status + " at the end, and kept"
		}
		out = append(out, l)
	}
	return out
}

// codeSpotInterruption is release's code for its answer to a spot
// interruption (shared/handler.CodeSpotInterruption).
const codeSpotInterruption = "spot-interruption"

// emptyInstance stands for an instance whose final state is not known
// (a preview does not read the fleet itself).
var emptyInstance ecsemu.Instance

// fates are what the totals count, in order: each instance once, by what
// happened to it (or, in a dry run, what would have).
var fates = []struct {
	key, live, dry string
	always         bool
}{
	{"released", "released", "would be released", true},
	{"reclaimed", "reclaimed by ECS (spot interruption)", "reclaimed by ECS (spot interruption)", false},
	{"kept", "stopped and kept", "would be stopped and kept", false},
	{"auto-release", "given an auto-release time", "would be given an auto-release time", true},
	{"failed", "failed (retryable or not)", "failed", false},
	{"skipped", "skipped with a reason", "skipped with a reason", true},
	{"not selected", "not selected", "not selected", true},
}

// instanceFate is what happened to one instance, from its final state and
// its outcomes (would-* counting as what would have happened).
func instanceFate(final *ecsemu.Instance, outs []FunctionOutcome) string {
	has := func(outcomes ...string) bool {
		for _, o := range outs {
			if slices.Contains(outcomes, o.Outcome) {
				return true
			}
		}
		return false
	}
	switch {
	case len(outs) == 0:
		return "not selected"
	case final == nil && slices.ContainsFunc(outs, func(o FunctionOutcome) bool { return o.Code == codeSpotInterruption }):
		return "reclaimed"
	case final == nil || has("released", "already-released", "would-release"):
		return "released"
	case has("auto-release-set", "would-set-auto-release"):
		return "auto-release"
	case has("failed"):
		return "failed"
	case has("stopping", "already-stopped", "would-stop"):
		return "kept"
	default:
		return "skipped"
	}
}

func tagsText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// displayValue hides values of variables whose names suggest secrets.
func displayValue(k, v string) string {
	u := strings.ToUpper(k)
	for _, s := range []string{"SECRET", "TOKEN", "PASSWORD", "ACCESS_KEY", "CREDENTIAL", "PRIVATE"} {
		if strings.Contains(u, s) {
			return "(hidden)"
		}
	}
	return v
}

// relOrAbs shows path relative to the working directory when it is below it.
func relOrAbs(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return path
}

// shortDuration renders 12h0m0s as 12h and 1h30m0s as 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
