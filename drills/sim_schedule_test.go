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
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

const (
	// simRegion is the function's region (FC's context) and the
	// emulator's default; simOtherRegion holds some of the fleet;
	// simNoRegion holds none (an ARN may name it).
	simRegion      = "cn-hangzhou"
	simOtherRegion = "cn-shanghai"
	simNoRegion    = "cn-beijing"
	simManagedKey  = "ecs-release:managed"
	simProtectKey  = "ecs-release:protect"
	simTTLKey      = "ecs-release:ttl"
	simPoolKey     = "pool"
	simACKCluster  = "c-simcluster"
	simACKPool     = "np-simpool"
)

// simLockReasons are the lock reasons the world puts on and takes off:
// every reason ECS documents, recycling in both spellings.
var simLockReasons = ecsemu.LockReasons

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
	// IDsPerRead is how many instances a read by ID asks for at once (0:
	// ECS's 100): fewer makes a small fleet's reads several pages, so the
	// parallel runs take the paths a fleet takes (release acting on each
	// page of a hand-over's read as it arrives).
	IDsPerRead int `json:",omitempty"`
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
	// Tags include the platforms' (an ACK node's, a scaling group's).
	Tags               map[string]string
	DeletionProtection bool
	Lock               string
	Disks              int
	KeepDisk           bool // a data disk not deleted with the instance
	AutoReleaseIn      time.Duration
	// Type is the instance type ("": ecs.g7.large); ecs.i3.* has local
	// SSDs (no economical mode).
	Type string `json:",omitempty"`
	// Classic: classic network (a StopCharging stop is Not-applicable);
	// Spot: a spot instance (SpotAsPriceGo; no economical mode, may be
	// interrupted).
	Classic bool `json:",omitempty"`
	Spot    bool `json:",omitempty"`
	// Creation and Grace: a scaling-group member's CreationType and its
	// group's grace period (the group is its tag).
	Creation string `json:",omitempty"`
	Grace    string `json:",omitempty"`
}

// group is the scaling group the instance is a member of ("": none).
func (f simInstance) group() string { return f.Tags[ecsemu.TagScalingGroup] }

// simStep happens After the previous one.
type simStep struct {
	After  time.Duration
	Invoke *simInvoke  `json:",omitempty"`
	Replay *simReplay  `json:",omitempty"`
	World  *simWorldOp `json:",omitempty"`
	Spot   *simSpot    `json:",omitempty"`
}

// simSpot is a spot interruption and its event's deliveries to release
// (EventBridge, or a CloudMonitor subscription): ECS interrupts the
// instance (Interrupt; else the event it emitted earlier is delivered
// again, or — never interrupted — one ECS would send), and the event
// reaches release Delay later, Deliveries times (at least once: twice is
// EventBridge delivering again), Gap apart, under a new FC request id or
// the same.
type simSpot struct {
	Inst       int
	Interrupt  bool
	Form       string // eventbridge | cloudmonitor
	Delay, Gap time.Duration
	Deliveries int
	NewID      bool
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
	// unscope scope dp undp lock unlock (Arg: a reason, or all)
	// autorelease noautorelease release failsnap oksnap faults; spot (ECS
	// interrupts a spot instance), memberstop (an operator stops a
	// scaling-group member: the group replaces it), ackjoin (the instance
	// joins an ACK cluster)
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
	case s.Spot != nil:
		sp := s.Spot
		if sp.Interrupt {
			fmt.Fprintf(&b, "ECS interrupts spot instance i-s%02d; its event", sp.Inst)
		} else {
			fmt.Fprintf(&b, "the event of i-s%02d's spot interruption", sp.Inst)
		}
		fmt.Fprintf(&b, " reaches release (%s) after %v, %d× %v apart", sp.Form, sp.Delay, sp.Deliveries, sp.Gap)
		if sp.NewID {
			b.WriteString(", new request ids")
		}
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
	// The function's own region stays simRegion (FC's context);
	// DEFAULT_REGION may name the other one: bare IDs are then looked
	// for there first, and selectors list it.
	if pick(0.25) {
		s.Vars["DEFAULT_REGION"] = simOtherRegion
	}
	switch r := rng.Float64(); {
	case r < 0.5:
		s.Vars["SPOT_SNAPSHOT"] = "true"
	case r < 0.65:
		s.Vars["SPOT_SNAPSHOT"] = "false"
	}
	if pick(0.1) {
		s.Vars["STOPPED_MODE"] = "KeepCharging"
	}
	// Scaling groups (each in one region, with its grace period) and an
	// ACK node pool, in some worlds.
	groups := map[string]string{} // group → grace period
	var groupIDs []string
	if pick(0.6) {
		for _, id := range []string{"asg-sim1", "asg-sim2", "asg-simack"}[:1+rng.Intn(3)] {
			groups[id] = dur(time.Minute, 10*time.Minute).Truncate(time.Second).String()
			groupIDs = append(groupIDs, id)
		}
	}
	ack := pick(0.5)
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
			in.Lock = simLockReasons[rng.Intn(len(simLockReasons))]
		}
		in.KeepDisk = pick(0.3)
		if pick(0.06) && in.Charge == ecsemu.PostPaid {
			in.AutoReleaseIn = dur(2*time.Hour, 48*time.Hour)
		}
		// What the instance is: a local-SSD type, the classic network, spot.
		if pick(0.08) {
			in.Type = []string{"ecs.i3.xlarge", "ecs.i3.2xlarge"}[rng.Intn(2)]
		}
		in.Classic = pick(0.05)
		in.Spot = in.Charge == ecsemu.PostPaid && pick(0.15)
		// Who owns it: a scaling group (an in-service member, launched by
		// the group or attached to it), an ACK node pool, or both (a node
		// pool runs on a scaling group).
		node := ack && pick(0.12)
		var group string
		if len(groupIDs) > 0 && pick(0.2) {
			group = groupIDs[rng.Intn(len(groupIDs))]
		}
		if node && len(groupIDs) > 0 && pick(0.4) {
			group = "asg-simack"
			if groups[group] == "" {
				groups[group] = "3m0s"
			}
		}
		if node {
			in.Tags[ecsemu.TagACKCluster] = simACKCluster
			in.Tags[ecsemu.TagACKNodePool] = simACKPool
		}
		if group != "" {
			in.Tags[ecsemu.TagScalingGroup] = group
			in.Creation, in.Grace = []string{ecsemu.CreationAutoCreated, ecsemu.CreationAutoCreated, ecsemu.CreationAttached}[rng.Intn(3)], groups[group]
			in.Region = simRegion
			if group == "asg-sim2" {
				in.Region = simOtherRegion
			}
			in.Status, in.Charge, in.Lock, in.AutoReleaseIn = ecsemu.StatusRunning, ecsemu.PostPaid, "", 0
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

// ids picks k distinct instances (and, sometimes, one that never
// existed), each named by its ID or by an ARN — of its own region, or of
// one it is not in.
func (g *simGen) ids(k int) []string {
	perm := g.rng.Perm(len(g.s.Fleet))
	var out []string
	for _, i := range perm[:min(k, len(perm))] {
		out = append(out, g.ref(g.s.Fleet[i].ID, g.s.Fleet[i].Region))
	}
	if g.pick(0.1) {
		out = append(out, g.ref("i-snever", simRegion))
	}
	return out
}

// ref names an instance of a region: its bare ID, or an ARN (mostly of
// that region, sometimes of another).
func (g *simGen) ref(id, region string) string {
	if !g.pick(0.3) {
		return id
	}
	if g.pick(0.35) {
		region = []string{simRegion, simOtherRegion, simNoRegion}[g.rng.Intn(3)]
	}
	return ecsemu.InstanceARN(region, ecsemu.DefaultAccountID, id)
}

// someOf picks a fleet index among those keep accepts (-1: none).
func (g *simGen) someOf(keep func(simInstance) bool) int {
	var idx []int
	for i, f := range g.s.Fleet {
		if keep(f) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[g.rng.Intn(len(idx))]
}

func isSpot(f simInstance) bool   { return f.Spot }
func isMember(f simInstance) bool { return f.group() != "" }

// worldOp draws a change of the world, aimed at one of targets (fleet
// indexes) most of the time.
func (g *simGen) worldOp(targets ...int) simWorldOp {
	ops := []string{"start", "cycle", "cycle", "stop", "protect", "unprotect", "unscope", "scope", "dp", "undp", "lock", "lock", "unlock", "unlock",
		"autorelease", "noautorelease", "release", "failsnap", "oksnap", "faults", "spot", "memberstop", "ackjoin"}
	op := simWorldOp{Op: ops[g.rng.Intn(len(ops))], Inst: g.rng.Intn(len(g.s.Fleet))}
	if len(targets) > 0 && g.pick(0.8) {
		op.Inst = targets[g.rng.Intn(len(targets))]
	}
	switch op.Op {
	case "lock":
		op.Arg = simLockReasons[g.rng.Intn(len(simLockReasons))]
	case "unlock":
		op.Arg = "all"
		if g.pick(0.5) {
			op.Arg = simLockReasons[g.rng.Intn(len(simLockReasons))]
		}
	case "autorelease":
		op.Arg = g.dur(time.Hour, 30*time.Hour).String()
	case "faults":
		op.Arg = fmt.Sprintf("%d,%d", g.rng.Intn(20), g.rng.Intn(10))
	case "spot":
		if i := g.someOf(isSpot); i >= 0 && g.pick(0.9) {
			op.Inst = i
		}
	case "memberstop":
		if i := g.someOf(isMember); i >= 0 {
			op.Inst = i
		}
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
	case r < 0.44 && g.someOf(isSpot) >= 0:
		st.Spot = g.spot()
	default:
		inv := g.invoke()
		st.Invoke = &inv
	}
	return st
}

// spot draws a spot interruption and its deliveries.
func (g *simGen) spot() *simSpot {
	sp := &simSpot{Inst: g.someOf(isSpot), Interrupt: g.pick(0.75), Form: []string{"eventbridge", "cloudmonitor"}[g.rng.Intn(2)],
		Delay: g.dur(0, time.Minute), Deliveries: []int{1, 1, 2}[g.rng.Intn(3)], Gap: g.dur(0, 4*time.Minute), NewID: g.pick(0.5)}
	if g.pick(0.1) {
		sp.Inst = g.rng.Intn(len(g.s.Fleet)) // not a spot instance
	}
	if g.pick(0.15) {
		sp.Delay = g.dur(4*time.Minute, 8*time.Minute) // late: around the reclaim
	}
	return sp
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
			hit := slices.ContainsFunc(ids, func(ref string) bool { return bareID(ref) == f.ID })
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
		switch r := g.rng.Float64(); {
		case r < 0.1:
			req["stoppedMode"] = "KeepCharging"
		case r < 0.15:
			req["stoppedMode"] = "StopCharging"
		}
		if g.pick(0.15) {
			req["autoScaling"] = "include"
		} else if g.pick(0.05) {
			req["autoScaling"] = "skip"
		}
		if g.pick(0.2) {
			req["stoppedModeFallback"] = "KeepCharging"
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
			if g.pick(0.2) {
				delete(req, "then") // stopped and kept
				delete(req, "snapshot")
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
	no, yes := false, true
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
				fd := ecsemu.FleetDisk{Type: "data", Size: 20 * d, DeleteWithInstance: &yes}
				if f.KeepDisk && d == 1 {
					fd.DeleteWithInstance = &no
				}
				in.Disks.Disk = append(in.Disks.Disk, fd)
			}
		}
		if f.AutoReleaseIn > 0 {
			in.AutoReleaseTime = s.Start.Add(f.AutoReleaseIn).Format(time.RFC3339)
		}
		in.InstanceType = f.Type
		if f.Classic {
			in.InstanceNetworkType = ecsemu.NetworkClassic
		}
		if f.Spot {
			in.SpotStrategy = ecsemu.SpotAsPriceGo
		}
		if f.group() != "" {
			in.AutoScaling = &ecsemu.AutoScalingMember{CreationType: f.Creation, GracePeriod: f.Grace}
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

// bareID is the instance ID of a reference (an ID or an ARN).
func bareID(ref string) string {
	if id, _, ok := request.ParseInstanceRef(ref); ok {
		return id
	}
	return ref
}

// arnRegion is the region a reference's ARN names ("" for a bare ID).
func arnRegion(ref string) string {
	_, region, _ := request.ParseInstanceRef(ref)
	return region
}
