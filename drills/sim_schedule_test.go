package drills_test

// The world simulation's schedules: what happens, in what order, generated
// from a seed. A schedule is plain data (a fleet, a deployment, a list of
// steps), so it can be printed, replayed and shrunk.

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

const (
	simRegion      = "cn-hangzhou"
	simOtherRegion = "cn-shanghai"
	simManagedKey  = "ecs-release:managed"
	simProtectKey  = "ecs-release:protect"
	simTTLKey      = "ecs-release:ttl"
	simPoolKey     = "pool"
)

// simSchedule is one generated world and what happens in it.
type simSchedule struct {
	Seed int64
	// Start is where the clocks stand at first (a fixed instant in the
	// future, so that real contexts never expire; the seconds vary so
	// minute boundaries fall everywhere).
	Start    time.Time
	Vars     map[string]string
	Emulator simEmulator
	Fleet    []simInstance
	Steps    []simStep
	// Concurrency is how many ECS calls a handler makes at once: 0 or 1
	// makes a run deterministic (a seed replays exactly); more exercises
	// the parallel paths (TestSimParallelCalls: invariants only).
	Concurrency int
}

// simEmulator are the emulator's settings of a schedule.
type simEmulator struct {
	StopDelay, StartDelay, SnapshotDelay time.Duration
	ThrottleRate, ErrorRate              float64
	// EchoRate is the share of calls a gateway in front of ECS answers with
	// a 502 page that echoes the signed URL (token and signature in it).
	EchoRate float64
}

// simInstance is one instance of the fleet.
type simInstance struct {
	ID, Region, Status, Charge string
	Age, StartedAgo            time.Duration
	Tags                       map[string]string
	DeletionProtection         bool
	Lock                       string
	Disks                      int
	KeepDisk                   bool // a data disk not deleted with the instance
	AutoReleaseIn              time.Duration
}

// simStep happens After the previous one.
type simStep struct {
	After  time.Duration
	Invoke *simInvoke  `json:",omitempty"`
	Replay *simReplay  `json:",omitempty"`
	World  *simWorldOp `json:",omitempty"`
}

// simInvoke is one event sent to a function (and, if it is asynchronous,
// FC's retries of it and the destination records of its success).
type simInvoke struct {
	Fn    string // stop | release | autorelease
	Shape string // timer | fc-http | cloudevent | batch | eventbridge | direct | apigw | funcurl | status
	// Requests are the request objects (or job-completion records) the
	// event carries: one, or one per batch element.
	Requests []map[string]any
	Timeout  time.Duration
	// CutAfter > 0 kills the first attempt after that many ECS calls (FC's
	// timeout: the answer is lost).
	CutAfter int
	// NewID: FC's retries come with a new request id.
	NewID bool
	// During are world changes while the invocation runs.
	During []simTimedOp `json:",omitempty"`
	// Deliver is how often a successful async stop's destination record
	// reaches release (0, 1, or 2: duplicated), DeliverAfter how late, and
	// Meanwhile what changes before it arrives.
	Deliver      int
	DeliverAfter time.Duration
	Meanwhile    []simWorldOp `json:",omitempty"`
}

// simReplay delivers an earlier stop's destination record again (stale).
type simReplay struct{ Of int }

// simWorldOp is a change of the world by someone else.
type simWorldOp struct {
	// start stop cycle (start, run a while, stop) protect unprotect
	// unscope scope dp undp lock unlock autorelease noautorelease release
	// failsnap oksnap faults
	Op   string
	Inst int
	Arg  string `json:",omitempty"`
}

type simTimedOp struct {
	At time.Duration
	Op simWorldOp
}

// String renders a step on one line, durations as durations.
func (s simStep) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "after %v: ", s.After)
	js := func(v any) string { raw, _ := json.Marshal(v); return string(raw) }
	op := func(o simWorldOp) string { return strings.TrimSpace(fmt.Sprintf("%s i-s%02d %s", o.Op, o.Inst, o.Arg)) }
	switch {
	case s.World != nil:
		b.WriteString("world: " + op(*s.World))
	case s.Replay != nil:
		fmt.Fprintf(&b, "replay the destination record of async stop #%d", s.Replay.Of)
	case s.Invoke != nil:
		i := s.Invoke
		fmt.Fprintf(&b, "invoke %s as %s %s, timeout %v", i.Fn, i.Shape, js(i.Requests), i.Timeout)
		if i.CutAfter > 0 {
			fmt.Fprintf(&b, ", killed after %d calls", i.CutAfter)
		}
		if i.NewID {
			b.WriteString(", FC retries with new request ids")
		}
		for _, d := range i.During {
			fmt.Fprintf(&b, "; at +%v %s", d.At, op(d.Op))
		}
		if i.Deliver > 0 {
			fmt.Fprintf(&b, "; destination record delivered %d× after %v", i.Deliver, i.DeliverAfter)
			for _, m := range i.Meanwhile {
				b.WriteString("; meanwhile " + op(m))
			}
		}
	}
	return b.String()
}

// genSchedule makes the schedule of a seed.
func genSchedule(seed int64) *simSchedule {
	rng := rand.New(rand.NewSource(seed))
	pick := func(p float64) bool { return rng.Float64() < p }
	dur := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int63n(int64(hi-lo)+1)) }
	s := &simSchedule{
		Seed:  seed,
		Start: time.Date(2030, 1, 7, 3, 0, 0, 0, time.UTC).Add(time.Duration(rng.Intn(3600)) * time.Second),
		Vars: map[string]string{
			"MAX_INSTANCES":  fmt.Sprint(4 + rng.Intn(30)),
			"SWEEP_SPREAD":   []string{"0s", "10m"}[rng.Intn(2)],
			"WAIT_MIN_DELAY": "2s", "WAIT_MAX_DELAY": "10s", "DEADLINE_MARGIN": "10s",
		},
		Emulator: simEmulator{
			StopDelay:     dur(5*time.Second, 90*time.Second),
			StartDelay:    dur(5*time.Second, 40*time.Second),
			SnapshotDelay: dur(20*time.Second, 8*time.Minute),
		},
	}
	if pick(0.5) {
		s.Emulator.ThrottleRate = float64(rng.Intn(15)) / 100
		s.Emulator.ErrorRate = float64(rng.Intn(8)) / 100
	}
	if pick(0.2) {
		s.Emulator.EchoRate = float64(1+rng.Intn(4)) / 100
	}
	if pick(0.1) {
		s.Vars["DRY_RUN"] = "true"
	}
	scoped := pick(0.6)
	if scoped {
		s.Vars["MANAGED_TAG"] = simManagedKey + "=true"
	}
	n := 6 + rng.Intn(14)
	for i := range n {
		in := simInstance{ID: fmt.Sprintf("i-s%02d", i), Region: simRegion, Status: ecsemu.StatusRunning, Charge: ecsemu.PostPaid,
			Age: dur(2*time.Hour, 240*time.Hour), Tags: map[string]string{}, Disks: 1 + rng.Intn(3)}
		in.StartedAgo = dur(time.Hour, in.Age)
		if pick(0.15) {
			in.StartedAgo = dur(0, 100*time.Second) // started a moment ago
		}
		if pick(0.15) {
			in.Region = simOtherRegion
		}
		switch r := rng.Float64(); {
		case r < 0.3:
			in.Status = ecsemu.StatusStopped
		case r < 0.35:
			in.Status = ecsemu.StatusStopping
		}
		if scoped && pick(0.85) {
			in.Tags[simManagedKey] = "true"
		}
		in.Tags[simPoolKey] = []string{"a", "b"}[rng.Intn(2)]
		if pick(0.1) {
			in.Tags[simProtectKey] = "true"
		}
		if pick(0.35) {
			in.Tags[simTTLKey] = []string{"4h", "2d", "90m", "30d", "106752d", "bogus"}[rng.Intn(6)]
		}
		in.DeletionProtection = pick(0.1)
		if pick(0.08) {
			in.Charge = ecsemu.PrePaid
		}
		if pick(0.07) {
			in.Lock = []string{"security", "financial"}[rng.Intn(2)]
		}
		in.KeepDisk = pick(0.3)
		if pick(0.06) && in.Charge == ecsemu.PostPaid {
			in.AutoReleaseIn = dur(2*time.Hour, 48*time.Hour)
		}
		s.Fleet = append(s.Fleet, in)
	}
	g := &simGen{rng: rng, s: s}
	steps := 6 + rng.Intn(10)
	for range steps {
		s.Steps = append(s.Steps, g.step())
	}
	return s
}

// simGen draws steps.
type simGen struct {
	rng   *rand.Rand
	s     *simSchedule
	stops int // async stops so far (what a replay can name)
}

func (g *simGen) pick(p float64) bool { return g.rng.Float64() < p }

func (g *simGen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int63n(int64(hi-lo)+1))
}

// ids picks k distinct instance indexes (and, sometimes, one that never
// existed).
func (g *simGen) ids(k int) []string {
	perm := g.rng.Perm(len(g.s.Fleet))
	var out []string
	for _, i := range perm[:min(k, len(perm))] {
		out = append(out, g.s.Fleet[i].ID)
	}
	if g.pick(0.1) {
		out = append(out, "i-snever")
	}
	return out
}

// worldOp draws a change of the world, aimed at one of targets (fleet
// indexes) most of the time.
func (g *simGen) worldOp(targets ...int) simWorldOp {
	ops := []string{"start", "cycle", "cycle", "stop", "protect", "unprotect", "unscope", "scope", "dp", "undp", "lock", "unlock",
		"autorelease", "noautorelease", "release", "failsnap", "oksnap", "faults"}
	op := simWorldOp{Op: ops[g.rng.Intn(len(ops))], Inst: g.rng.Intn(len(g.s.Fleet))}
	if len(targets) > 0 && g.pick(0.8) {
		op.Inst = targets[g.rng.Intn(len(targets))]
	}
	switch op.Op {
	case "lock":
		op.Arg = []string{"security", "financial"}[g.rng.Intn(2)]
	case "autorelease":
		op.Arg = g.dur(time.Hour, 30*time.Hour).String()
	case "faults":
		op.Arg = fmt.Sprintf("%d,%d", g.rng.Intn(20), g.rng.Intn(10))
	}
	return op
}

func (g *simGen) step() simStep {
	st := simStep{After: g.dur(0, 40*time.Minute)}
	switch r := g.rng.Float64(); {
	case r < 0.2:
		op := g.worldOp()
		st.World = &op
	case r < 0.32 && g.stops > 0:
		st.Replay = &simReplay{Of: g.rng.Intn(g.stops)}
	default:
		inv := g.invoke()
		st.Invoke = &inv
	}
	return st
}

func (g *simGen) invoke() simInvoke {
	inv := simInvoke{Timeout: []time.Duration{30 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute}[g.rng.Intn(5)]}
	switch r := g.rng.Float64(); {
	case r < 0.4:
		g.stopInvoke(&inv)
	case r < 0.8:
		g.releaseInvoke(&inv)
	default:
		g.autoreleaseInvoke(&inv)
	}
	if g.pick(0.1) {
		inv.CutAfter = 1 + g.rng.Intn(25)
	}
	inv.NewID = g.pick(0.3)
	targets := g.targets(inv)
	for range g.rng.Intn(5) {
		inv.During = append(inv.During, simTimedOp{At: g.dur(0, 10*time.Minute), Op: g.worldOp(targets...)})
	}
	if inv.Deliver > 0 {
		for range g.rng.Intn(3) {
			inv.Meanwhile = append(inv.Meanwhile, g.worldOp(targets...))
		}
	}
	slices.SortStableFunc(inv.During, func(a, b simTimedOp) int { return int(a.At - b.At) })
	return inv
}

// targets are the fleet indexes an invocation names, or those its
// selector's pool holds.
func (g *simGen) targets(inv simInvoke) []int {
	var out []int
	for i, f := range g.s.Fleet {
		for _, req := range inv.Requests {
			ids, _ := req["instanceIds"].([]string)
			hit := slices.Contains(ids, f.ID)
			if sel, ok := req["selector"].(map[string]any); ok {
				tags, _ := sel["tags"].(map[string]string)
				hit = hit || tags[simPoolKey] == f.Tags[simPoolKey]
			}
			if len(ids) == 0 && req["selector"] == nil {
				hit = true // a sweep
			}
			if hit {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// options adds a request's random options.
func (g *simGen) options(req map[string]any, fn string) {
	if g.pick(0.12) {
		req["dryRun"] = true
	}
	if g.pick(0.1) {
		req["reason"] = []string{"nightly cleanup", strings.Repeat("快照", 140), "job https://ci.example.com/runs/42 done"}[g.rng.Intn(3)]
	}
	if fn == "stop" || fn == "release" {
		if g.pick(0.1) {
			req["forceStop"] = true
		}
		if g.pick(0.1) {
			req["stoppedMode"] = "KeepCharging"
		}
	}
}

func (g *simGen) stopInvoke(inv *simInvoke) {
	inv.Fn = "stop"
	if g.pick(0.5) {
		// The scheduled cleanup: one selector request.
		inv.Shape = []string{"timer", "timer", "direct", "eventbridge", "fc-http"}[g.rng.Intn(5)]
		req := map[string]any{"selector": map[string]any{"tags": map[string]string{simPoolKey: []string{"a", "b"}[g.rng.Intn(2)]}}}
		if g.pick(0.3) {
			req["selector"].(map[string]any)["olderThan"] = "3h"
		}
		if g.pick(0.75) {
			req["then"] = "release"
			if g.pick(0.3) {
				req["snapshot"] = true
			}
		}
		if g.pick(0.1) {
			req["maxInstances"] = 1 + g.rng.Intn(5)
		}
		g.options(req, "stop")
		inv.Requests = []map[string]any{req}
	} else {
		// A batch of events, each with its own instances and options.
		inv.Shape = "batch"
		all := g.ids(2 + g.rng.Intn(6))
		for len(all) > 0 {
			k := 1 + g.rng.Intn(min(3, len(all)))
			req := map[string]any{"instanceIds": all[:k], "then": "release"}
			all = all[k:]
			if g.pick(0.3) {
				req["snapshot"] = true
			}
			if g.pick(0.15) {
				req["keepOnFailure"], req["jobStatus"] = true, "failed"
			}
			if g.pick(0.3) {
				req["region"] = simOtherRegion
			}
			g.options(req, "stop")
			inv.Requests = append(inv.Requests, req)
		}
	}
	if inv.Shape != "fc-http" {
		inv.Deliver = []int{0, 1, 1, 1, 2}[g.rng.Intn(5)]
		inv.DeliverAfter = g.dur(0, 3*time.Minute)
		g.stops++
	}
}

func (g *simGen) releaseInvoke(inv *simInvoke) {
	inv.Fn = "release"
	inv.Shape = []string{"cloudevent", "cloudevent", "batch", "fc-http", "direct", "eventbridge", "apigw", "funcurl"}[g.rng.Intn(8)]
	n := 1
	if inv.Shape == "batch" {
		n = 2 + g.rng.Intn(3)
	}
	all := g.ids(n + g.rng.Intn(3))
	for i := range n {
		if len(all) == 0 {
			break
		}
		k := 1 + g.rng.Intn(len(all))
		if i < n-1 {
			k = max(1, min(k, len(all)-1))
		}
		ids := all[:k]
		all = all[k:]
		var req map[string]any
		if (inv.Shape == "cloudevent" || inv.Shape == "batch") && g.pick(0.6) {
			// A job-completion record.
			req = map[string]any{"instanceIds": ids, "status": []string{"succeeded", "failed", "done"}[g.rng.Intn(3)], "jobId": fmt.Sprintf("job-%d", g.rng.Intn(100))}
			if g.pick(0.3) {
				req["keepOnFailure"] = true
			}
			if g.pick(0.3) {
				req["snapshot"] = true
			}
			if g.pick(0.2) {
				req["region"] = simOtherRegion
			}
			if g.pick(0.1) {
				req["dryRun"] = true
			}
		} else {
			req = map[string]any{"instanceIds": ids}
			if g.pick(0.3) {
				req["snapshot"] = true
			}
			if g.pick(0.2) {
				req["region"] = simOtherRegion
			}
			if (inv.Shape == "fc-http" || inv.Shape == "apigw") && g.pick(0.2) {
				req["force"] = true
			}
			g.options(req, "release")
		}
		inv.Requests = append(inv.Requests, req)
	}
	if len(inv.Requests) == 1 && inv.Shape == "batch" {
		inv.Shape = "cloudevent"
	}
}

func (g *simGen) autoreleaseInvoke(inv *simInvoke) {
	inv.Fn = "autorelease"
	switch r := g.rng.Float64(); {
	case r < 0.5:
		inv.Shape = []string{"timer", "direct"}[g.rng.Intn(2)]
		req := map[string]any{"sweep": true}
		if g.pick(0.1) {
			req["dryRun"] = true
		}
		inv.Requests = []map[string]any{req}
	case r < 0.7:
		inv.Shape = []string{"fc-http", "direct"}[g.rng.Intn(2)]
		inv.Requests = []map[string]any{{"instanceIds": g.ids(1 + g.rng.Intn(3)), "after": []string{"2h", "40m", "30h"}[g.rng.Intn(3)]}}
	case r < 0.9:
		inv.Shape = []string{"fc-http", "direct"}[g.rng.Intn(2)]
		inv.Requests = []map[string]any{{"instanceIds": g.ids(1 + g.rng.Intn(3)), "cancel": true}}
	default:
		inv.Shape = "status"
		inv.Requests = []map[string]any{{"instanceIds": g.ids(1 + g.rng.Intn(2))}}
	}
}

// fleet builds the emulator's fleet of a schedule at its start.
func (s *simSchedule) fleet() []ecsemu.Instance {
	out := make([]ecsemu.Instance, len(s.Fleet))
	no := false
	for i, f := range s.Fleet {
		in := ecsemu.Instance{InstanceId: f.ID, InstanceName: "sim-" + f.ID, RegionId: f.Region, Status: f.Status, InstanceChargeType: f.Charge,
			CreationTime: s.Start.Add(-f.Age).Format(time.RFC3339), StartTime: s.Start.Add(-f.StartedAgo).Format(time.RFC3339),
			DeletionProtection: f.DeletionProtection && f.Charge == ecsemu.PostPaid}
		for k, v := range f.Tags {
			in.Tags.Tag = append(in.Tags.Tag, ecsemu.Tag{TagKey: k, TagValue: v})
		}
		slices.SortFunc(in.Tags.Tag, func(a, b ecsemu.Tag) int { return strings.Compare(a.TagKey, b.TagKey) })
		if f.Lock != "" {
			in.OperationLocks.LockReason = []ecsemu.LockReason{{LockReason: f.Lock}}
		}
		if f.Disks > 1 {
			in.Disks = &ecsemu.FleetDiskSet{}
			for d := 1; d < f.Disks; d++ {
				fd := ecsemu.FleetDisk{Type: "data", Size: 20 * d}
				if f.KeepDisk && d == 1 {
					fd.DeleteWithInstance = &no
				}
				in.Disks.Disk = append(in.Disks.Disk, fd)
			}
		}
		if f.AutoReleaseIn > 0 {
			in.AutoReleaseTime = s.Start.Add(f.AutoReleaseIn).Format(time.RFC3339)
		}
		out[i] = in
	}
	return out
}

// String renders a schedule for a failure report: one line a step.
func (s *simSchedule) String() string {
	var b strings.Builder
	vars, _ := json.Marshal(s.Vars)
	fmt.Fprintf(&b, "seed %d, start %s, deployment %s, emulator %+v\n", s.Seed, s.Start.Format(time.RFC3339), vars, s.Emulator)
	for _, f := range s.Fleet {
		raw, _ := json.Marshal(f)
		fmt.Fprintf(&b, "  fleet %s\n", raw)
	}
	for i, st := range s.Steps {
		fmt.Fprintf(&b, "  step %d: %s\n", i, st)
	}
	return b.String()
}
