package drills_test

// Running a schedule: a world (emulator with a witness, a fake clock that
// moves it, the three handlers with one ECS call at a time so the run is
// deterministic), FC's async model (retries with the same or a new request
// id, destination records delivered late, twice or again much later), ECS's
// spot interruption events delivered to release (EventBridge or
// CloudMonitor, once or twice), and the world's changes at their times —
// between invocations, and at the handlers' sleep points while they run.
// A gateway in front of the emulator keeps what each DescribeInstances
// answer said (StoppedMode above all, which the witness does not record).

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/ecs"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// The credentials of every simulated invocation: reserved characters, so
// that each encoding of them differs from the raw form.
const (
	simSecret = "sim/s3cret+key=&~*"
	simToken  = "CAIS/sim+token=with&reserved~chars"
)

// simGate is the gateway in front of the emulator: it kills the current
// attempt (cancels its context) after a number of calls — FC's timeout in
// the middle of whatever the function was doing.
type simGate struct {
	next   http.Handler
	mu     sync.Mutex
	left   int
	cancel context.CancelFunc
	// echo answers that share of calls with a 502 page echoing the signed
	// URL, as proxies do (drawn from rng, so a seed replays).
	echo   float64
	rng    *rand.Rand
	echoed int
	burst  int // calls left in the current burst of echoes
	// seen is what every DescribeInstances answer said of its instances
	// (by the answer's RequestId): ECS's own words, for the judgement of
	// what the functions report (stoppedMode, stopped-still-charging).
	seenMu sync.Mutex
	seen   map[string]map[string]simSeen
}

// simSeen is an instance as a DescribeInstances answer showed it.
type simSeen struct {
	Status, StoppedMode, Charge string
}

// teeWriter passes an answer on and keeps a copy.
type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.buf.Write(p)
	return t.ResponseWriter.Write(p)
}

// record keeps what a DescribeInstances answer said of its instances.
func (g *simGate) record(body []byte) {
	if !bytes.Contains(body, []byte(`"StoppedMode"`)) {
		return
	}
	var ans struct {
		RequestId string
		Instances struct {
			Instance []struct {
				InstanceId, Status, StoppedMode, InstanceChargeType string
			}
		}
	}
	if json.Unmarshal(body, &ans) != nil || ans.RequestId == "" {
		return
	}
	m := make(map[string]simSeen, len(ans.Instances.Instance))
	for _, in := range ans.Instances.Instance {
		m[in.InstanceId] = simSeen{Status: in.Status, StoppedMode: in.StoppedMode, Charge: in.InstanceChargeType}
	}
	g.seenMu.Lock()
	defer g.seenMu.Unlock()
	if g.seen == nil {
		g.seen = map[string]map[string]simSeen{}
	}
	g.seen[ans.RequestId] = m
}

// answered is what the DescribeInstances answer with that RequestId said.
func (g *simGate) answered(requestID string) map[string]simSeen {
	g.seenMu.Lock()
	defer g.seenMu.Unlock()
	return g.seen[requestID]
}

func (g *simGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	// An outage: once it starts, it lasts longer than a call's retries.
	if g.burst == 0 && g.echo > 0 && g.rng.Float64() < g.echo {
		g.burst = 12
	}
	echo := g.burst > 0
	if echo {
		g.burst--
		g.echoed++
	}
	g.mu.Unlock()
	if echo {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html><body>502 Bad Gateway: upstream failed for %s?%s</body></html>", r.URL.Path, r.URL.RawQuery)
	} else {
		tee := &teeWriter{ResponseWriter: w}
		g.next.ServeHTTP(tee, r)
		g.record(tee.buf.Bytes())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cancel == nil {
		return
	}
	if g.left--; g.left <= 0 {
		g.cancel()
		g.cancel = nil
	}
}

func (g *simGate) arm(after int, cancel context.CancelFunc) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.left, g.cancel = after, nil
	if after > 0 {
		g.cancel = cancel
	}
}

// simFigures are what a run did, for the README's reliability table.
type simFigures struct {
	Schedules, Steps, Attempts, Retries, Deliveries, Replays, HardCuts int
	WorldChanges, ECSCalls, MutatingCalls                              int
	// Faults injected: throttling, 5xx, and a gateway's 502 pages that
	// echo the signed URL.
	Throttles, ServerErrors, Echoes   int
	Released, RestartsSkipped, Checks int
	// The world's platforms at work: spot interruptions, their events'
	// deliveries to release, scaling-group members stopped by an
	// operator; and the codes and flags of every outcome the functions
	// gave (what the world made them say).
	SpotInterruptions, SpotDeliveries, MemberStops int
	// MemberActions are the accepted mutating calls on scaling-group
	// members (of requests that included them); SpotSnapshots the
	// accepted CreateSnapshot calls of spot interruptions' answers.
	MemberActions, SpotSnapshots int
	// FoundFurther counts named instances found past the first region of
	// their chain (the request's, DEFAULT_REGION, the function's);
	// NamedElsewhere those named where no region of the chain has them.
	FoundFurther, NamedElsewhere int
	Codes                        map[string]int
}

func (f *simFigures) add(o simFigures) {
	f.SpotInterruptions += o.SpotInterruptions
	f.SpotDeliveries += o.SpotDeliveries
	f.MemberStops += o.MemberStops
	f.MemberActions += o.MemberActions
	f.SpotSnapshots += o.SpotSnapshots
	f.FoundFurther += o.FoundFurther
	f.NamedElsewhere += o.NamedElsewhere
	for k, v := range o.Codes {
		if f.Codes == nil {
			f.Codes = map[string]int{}
		}
		f.Codes[k] += v
	}
	f.Schedules += o.Schedules
	f.Steps += o.Steps
	f.Attempts += o.Attempts
	f.Retries += o.Retries
	f.Deliveries += o.Deliveries
	f.Replays += o.Replays
	f.HardCuts += o.HardCuts
	f.WorldChanges += o.WorldChanges
	f.Throttles += o.Throttles
	f.ServerErrors += o.ServerErrors
	f.Echoes += o.Echoes
	f.ECSCalls += o.ECSCalls
	f.MutatingCalls += o.MutatingCalls
	f.Released += o.Released
	f.RestartsSkipped += o.RestartsSkipped
	f.Checks += o.Checks
}

// simRun is one schedule being run.
type simRun struct {
	s        *simSchedule
	w        *handlertest.World
	gate     *simGate
	handlers map[string]*handler.Handler
	rng      *rand.Rand
	reqN     int
	// stops are the successful async stops: their records and what they
	// knew, for deliveries and replays.
	stops []*simStop
	// toolSet: the auto-release time (as ECS shows it) this tool last set
	// on an instance, while nobody else changed it.
	toolSet    map[string]string
	violations []string
	fig        simFigures
	// trace, if set, receives a line per attempt.
	trace func(string)
	// home is DEFAULT_REGION.
	home string
	// spotEvents are the spot interruption events ECS emitted, the latest
	// per instance.
	spotMu     sync.Mutex
	spotEvents map[string]ecsemu.Event
	spotN      int
	// disks are every disk seen, by ID (a released instance's included).
	disks map[string]ecsemu.Disk
}

// simStop is a successful async stop: its destination record and what its
// requests asked, as the simulation sent them (not as stop reported them).
type simStop struct {
	record string
	meta   *simMeta
	// obs: the stop's last observation of each instance (from the witness).
	obs map[string]simObs
}

// simObs is one witnessed observation of an instance by a function.
type simObs struct {
	at          time.Time
	startIssued time.Time
	startTime   string
	settled     bool // its last start lay more than a minute (+ skew) before
}

// simMeta is what the simulation knows of an invocation's requests.
type simMeta struct {
	fn        string
	dryAll    bool
	dryIDs    map[string]bool
	snapAll   bool
	snapIDs   map[string]bool
	forceIDs  map[string]bool
	explicit  map[string]bool // instances named (or handed over) explicitly
	handOver  *simStop        // release of a destination record
	sweep     bool
	dryDeploy bool
	// reqs are the invocation's requests, in order (a hand-over's: one
	// per request of its next).
	reqs []*simReq
	// spot is the instance a spot interruption's event names ("": not
	// one).
	spot string
}

// simReq is what the simulation knows of one request of an invocation.
type simReq struct {
	// refs are the instances it names (bare ID → the region its ARN
	// names, "" for a bare ID).
	refs map[string]string
	// region is the request's region ("": none).
	region string
	// pool is its selector's pool ("": no selector); whole: a sweep (the
	// whole region).
	pool  string
	whole bool
	// include: "autoScaling": "include"; mode: the StoppedMode it asks a
	// stop for; handsOver: a stop that hands what it stops to release.
	include   bool
	mode      string
	handsOver bool
	// A hand-over's per-instance include and mode: those of the stop's
	// request that stopped it.
	idInclude map[string]bool
	idMode    map[string]string
}

func (q *simReq) includes(id string) bool {
	if v, ok := q.idInclude[id]; ok {
		return v
	}
	return q.include
}

func (q *simReq) modeFor(id string) string {
	if v, ok := q.idMode[id]; ok {
		return v
	}
	return q.mode
}

// reaches reports whether the request names the instance or its
// selector (or sweep) can match it (tags: as the witness saw it).
func (q *simReq) reaches(id string, tags map[string]string) bool {
	if _, ok := q.refs[id]; ok {
		return true
	}
	return q.whole || (q.pool != "" && tags[simPoolKey] == q.pool)
}

// reqOf is the request an outcome belongs to (its 1-based number, when
// the invocation had several), or nil.
func (m *simMeta) reqOf(o handler.InstanceOutcome) *simReq {
	i := max(o.Request-1, 0)
	if i < len(m.reqs) {
		return m.reqs[i]
	}
	return nil
}

// firstReqFor is the first request that names the instance, else the
// first with a selector or a sweep, else nil.
func (m *simMeta) firstReqFor(id string) *simReq {
	for _, q := range m.reqs {
		if _, ok := q.refs[id]; ok {
			return q
		}
	}
	for _, q := range m.reqs {
		if q.pool != "" || q.whole {
			return q
		}
	}
	return nil
}

// runSchedule runs a schedule and returns the invariant violations found
// (none: the run held every invariant) and its figures.
func runSchedule(t testing.TB, s *simSchedule, trace func(string)) ([]string, simFigures) {
	return runScheduleObserved(t, s, nil, trace)
}

// runScheduleObserved is runSchedule, then after(emulator) at the end.
func runScheduleObserved(t testing.TB, s *simSchedule, after func(*ecsemu.Emulator), traces ...func(string)) ([]string, simFigures) {
	var trace func(string)
	if len(traces) > 0 {
		trace = traces[0]
	}
	gate := &simGate{echo: s.Emulator.EchoRate, rng: rand.New(rand.NewSource(s.Seed * 31))}
	w := handlertest.NewWorldWith(t, handlertest.WorldOptions{
		Start: s.Start,
		Emulator: ecsemu.Options{Witness: true, Seed: s.Seed, AccessKeySecret: simSecret,
			StopDelay: s.Emulator.StopDelay, StartDelay: s.Emulator.StartDelay, PendingDelay: 2 * time.Second, SnapshotDelay: s.Emulator.SnapshotDelay,
			Faults: ecsemu.Faults{ThrottleRate: s.Emulator.ThrottleRate, ErrorRate: s.Emulator.ErrorRate}},
		Vars:  s.Vars,
		Front: func(h http.Handler) http.Handler { gate.next = h; return gate },
	})
	w.Token = simToken
	if _, err := w.Env.Emu.AddInstances(s.fleet()); err != nil {
		return []string{"fleet: " + err.Error()}, simFigures{}
	}
	r := &simRun{s: s, w: w, gate: gate, rng: rand.New(rand.NewSource(s.Seed ^ 0x5eed)), toolSet: map[string]string{}, trace: trace,
		home: w.Vars["DEFAULT_REGION"], spotEvents: map[string]ecsemu.Event{}, disks: map[string]ecsemu.Disk{}}
	defer w.Env.Emu.Subscribe(r.noteEvent)()
	r.refreshDisks()
	for _, f := range s.Fleet {
		if f.AutoReleaseIn > 0 {
			delete(r.toolSet, f.ID)
		}
	}
	deps := w.Deps()
	jitter := rand.New(rand.NewSource(s.Seed))
	var jitterMu sync.Mutex
	deps.ECS = ecs.Config{Concurrency: max(1, s.Concurrency), IDsPerRead: s.IDsPerRead, Rand: func() float64 {
		jitterMu.Lock()
		defer jitterMu.Unlock()
		return jitter.Float64()
	}}
	r.handlers = map[string]*handler.Handler{"stop": handler.NewStop(deps), "release": handler.NewRelease(deps), "autorelease": handler.NewAutoRelease(deps)}
	r.fig.Schedules = 1
	for i, st := range s.Steps {
		r.fig.Steps++
		w.Advance(st.After)
		switch {
		case st.World != nil:
			r.apply(*st.World)
		case st.Replay != nil:
			if len(r.stops) > 0 {
				r.fig.Replays++
				stop := r.stops[st.Replay.Of%len(r.stops)]
				r.async("release", stop.record, releaseMeta(stop), nil, 0, r.rng.Intn(3) == 0, fmt.Sprintf("step %d replay", i))
			}
		case st.Invoke != nil:
			r.invoke(*st.Invoke, fmt.Sprintf("step %d", i))
		case st.Spot != nil:
			r.spot(*st.Spot, fmt.Sprintf("step %d", i))
		}
		if len(r.violations) > 0 {
			break
		}
	}
	r.fig.Echoes = gate.echoed
	calls := w.Env.Emu.Calls()
	if after != nil {
		after(w.Env.Emu)
	}
	r.fig.ECSCalls = len(calls)
	for _, c := range calls {
		if c.Injected && strings.HasPrefix(c.Code, "Throttling") {
			r.fig.Throttles++
		}
		if c.Injected && c.Status >= 500 {
			r.fig.ServerErrors++
		}
		if c.Mutating {
			r.fig.MutatingCalls++
		}
	}
	return r.violations, r.fig
}

// apply makes one change of the world (errors — e.g. starting a Running
// instance — leave the world as it is, as the console would).
func (r *simRun) apply(op simWorldOp) {
	emu := r.w.Env.Emu
	id := r.s.Fleet[op.Inst%len(r.s.Fleet)].ID
	var err error
	switch op.Op {
	case "start":
		err = emu.OperatorStart(id)
	case "stop":
		err = emu.OperatorStop(id, false)
	case "cycle":
		// Someone starts it, uses it a little, and stops it again.
		if err = emu.OperatorStart(id); err == nil {
			r.w.At(emu.Now().Add(r.s.Emulator.StartDelay+20*time.Second), func() { _ = emu.OperatorStop(id, false) })
		}
	case "protect":
		err = emu.SetTag(id, simProtectKey, "true")
	case "unprotect":
		err = emu.RemoveTag(id, simProtectKey)
	case "unscope":
		err = emu.RemoveTag(id, simManagedKey)
	case "scope":
		err = emu.SetTag(id, simManagedKey, "true")
	case "dp", "undp":
		if in, ok := emu.Instance(id); ok && in.InstanceChargeType == ecsemu.PostPaid {
			err = emu.SetDeletionProtection(id, op.Op == "dp")
		}
	case "lock":
		err = emu.SetLock(id, op.Arg, true)
	case "unlock":
		reasons := []string{op.Arg}
		if op.Arg == "all" {
			reasons = simLockReasons
		}
		for _, reason := range reasons {
			if err == nil {
				err = emu.SetLock(id, reason, false)
			}
		}
	case "spot":
		if err = emu.SpotInterrupt(id); err == nil {
			r.fig.SpotInterruptions++
		}
	case "memberstop":
		// An operator (or a health check) stops a scaling-group member:
		// the group marks it unhealthy and replaces it.
		if err = emu.OperatorStop(id, false); err == nil && r.s.Fleet[op.Inst%len(r.s.Fleet)].group() != "" {
			r.fig.MemberStops++
		}
	case "ackjoin":
		err = emu.SetTag(id, ecsemu.TagACKCluster, simACKCluster)
	case "autorelease", "noautorelease":
		var at time.Time
		if op.Op == "autorelease" {
			d, _ := time.ParseDuration(op.Arg)
			at = emu.Now().Add(d)
		}
		if in, ok := emu.Instance(id); ok && in.InstanceChargeType == ecsemu.PostPaid {
			err = emu.SetAutoReleaseTime(id, at)
			delete(r.toolSet, id)
		}
	case "release":
		err = emu.OperatorRelease(id)
	case "failsnap", "oksnap":
		emu.FailSnapshotsOf(id, op.Op == "failsnap")
	case "faults":
		var th, er int
		fmt.Sscanf(op.Arg, "%d,%d", &th, &er)
		err = emu.SetFaults(ecsemu.Faults{ThrottleRate: float64(th) / 100, ErrorRate: float64(er) / 100})
	}
	if err == nil {
		r.fig.WorldChanges++
	}
}

// invoke sends one event (FC's way: async with retries and destinations,
// or a synchronous HTTP call).
func (r *simRun) invoke(inv simInvoke, where string) {
	event, meta := r.event(inv)
	if inv.Shape == "fc-http" || inv.Shape == "apigw" || inv.Shape == "funcurl" || inv.Shape == "status" {
		r.attempt(inv.Fn, event, r.newID(), 0, inv.Timeout, inv.CutAfter, inv.During, meta, where)
		return
	}
	res := r.async(inv.Fn, event, meta, inv.During, inv.CutAfter, inv.NewID, where)
	if inv.Fn != "stop" || res == nil || res.answer == nil || len(res.answer.Next) == 0 {
		return
	}
	stop := &simStop{record: destinationRecord(r.w.T, res.answer, r.rng.Intn(2) == 0), meta: meta, obs: res.lastObs}
	r.stops = append(r.stops, stop)
	for i := range inv.Deliver {
		r.w.Advance(inv.DeliverAfter)
		if i == 0 {
			for _, op := range inv.Meanwhile {
				r.apply(op)
				r.w.Advance(time.Duration(1+r.rng.Intn(90)) * time.Second)
			}
		}
		r.fig.Deliveries++
		r.async("release", stop.record, releaseMeta(stop), nil, 0, r.rng.Intn(3) == 0, where+" destination")
	}
}

func (r *simRun) newID() string {
	r.reqN++
	return fmt.Sprintf("sim-%d-%d", r.s.Seed, r.reqN)
}

// async runs an async invocation with FC's retries (3, a few minutes
// apart, the same request id unless newID) and returns the last attempt.
func (r *simRun) async(fn, event string, meta *simMeta, during []simTimedOp, cutAfter int, newID bool, where string) *simAttempt {
	id := r.newID()
	var last *simAttempt
	for retry := 0; retry <= 3; retry++ {
		if retry > 0 {
			r.fig.Retries++
			r.w.Advance(time.Duration(1+r.rng.Intn(5)) * time.Minute)
			if newID {
				id = r.newID()
			}
		}
		timeout := 10 * time.Minute
		if retry == 0 && len(during) > 0 {
			timeout = 15 * time.Minute
		}
		last = r.attempt(fn, event, id, retry, timeout, cutAfter, during, meta, fmt.Sprintf("%s attempt %d", where, retry+1))
		during, cutAfter = nil, 0
		if len(r.violations) > 0 || (last.err == nil && !last.cut) {
			return last
		}
	}
	return last
}

// simAttempt is one invocation attempt and what it left.
type simAttempt struct {
	answer *handler.Response
	// status is an HTTP answer's status (0 for other shapes).
	status  int
	err     error
	cut     bool
	calls   []ecsemu.Call
	logs    string
	lastObs map[string]simObs
}

func (r *simRun) attempt(fn, event, id string, retry int, timeout time.Duration, cutAfter int, during []simTimedOp, meta *simMeta, where string) *simAttempt {
	r.fig.Attempts++
	w := r.w
	if meta.spot != "" {
		r.refreshDisks()
	}
	start := w.Env.Emu.Now()
	for _, d := range during {
		op := d.Op
		w.At(start.Add(d.At), func() { r.apply(op) })
	}
	before := r.snapshotStates()
	callsBefore, logsBefore := len(w.Env.Emu.Calls()), len(w.LogText())
	ctx, cancel := context.WithCancel(w.Ctx(handlertest.Call{RequestID: id, Retry: retry, Timeout: timeout}))
	r.gate.arm(cutAfter, cancel)
	var out any
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
				r.violations = append(r.violations, fmt.Sprintf("%s: %s panicked: %v", where, fn, p))
			}
		}()
		out, err = r.handlers[fn].Handle(ctx, json.RawMessage(event))
	}()
	cut := ctx.Err() != nil
	r.gate.arm(0, nil)
	cancel()
	a := &simAttempt{err: err, cut: cut, calls: w.Env.Emu.Calls()[callsBefore:], logs: w.LogText()[logsBefore:]}
	if cut {
		r.fig.HardCuts++
	}
	if err == nil && !cut {
		a.answer, a.status = decodeAnswer(out)
	}
	a.lastObs = observations(a.calls, false)
	if r.trace != nil {
		summary := "no answer"
		if a.answer != nil {
			summary = fmt.Sprint(a.answer.Summary)
		}
		if err != nil {
			summary = "error: " + err.Error()
		}
		r.trace(fmt.Sprintf("%s %s %s (%d calls, cut %v): %s", where, fn, id, len(a.calls), cut, summary))
	}
	r.check(meta, a, before, where)
	return a
}

// decodeAnswer reads a Response from any answer shape (plain or HTTP),
// with an HTTP answer's status.
func decodeAnswer(out any) (*handler.Response, int) {
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, 0
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil {
		return nil, 0
	}
	status := 0
	if body, ok := probe["body"]; ok {
		_ = json.Unmarshal(probe["statusCode"], &status)
		var text string
		if json.Unmarshal(body, &text) != nil {
			return nil, status
		}
		if b64 := probe["isBase64Encoded"]; string(b64) == "true" {
			dec, err := base64.StdEncoding.DecodeString(text)
			if err != nil {
				return nil, status
			}
			text = string(dec)
		}
		raw = []byte(text)
	}
	var resp handler.Response
	if json.Unmarshal(raw, &resp) != nil || resp.Summary.Counts == nil {
		return nil, status
	}
	return &resp, status
}

// observations collects, from an attempt's witnessed calls, the first (or
// last) observation of each instance.
func observations(calls []ecsemu.Call, first bool) map[string]simObs {
	out := map[string]simObs{}
	for _, c := range calls {
		for _, st := range append(append([]ecsemu.InstanceState(nil), c.Returned...), c.Before...) {
			if _, seen := out[st.InstanceId]; seen && first {
				continue
			}
			out[st.InstanceId] = obsOf(c.Time, st)
		}
	}
	return out
}

func obsOf(at time.Time, st ecsemu.InstanceState) simObs {
	o := simObs{at: at, startIssued: st.StartIssuedAt, startTime: st.StartTime, settled: true}
	if st.StartTime != "" {
		started, err := time.Parse("2006-01-02T15:04Z", st.StartTime)
		o.settled = err == nil && started.Before(at.Add(-5*time.Second).Truncate(time.Minute))
	}
	return o
}

// snapshotStates is the world before an attempt (for the sweep's check).
func (r *simRun) snapshotStates() map[string]ecsemu.Instance {
	out := map[string]ecsemu.Instance{}
	for _, in := range r.w.Env.Emu.Instances() {
		out[in.InstanceId] = in
	}
	return out
}

// event builds an invocation's event and what the simulation knows of it.
func (r *simRun) event(inv simInvoke) (string, *simMeta) {
	m := &simMeta{fn: inv.Fn, dryIDs: map[string]bool{}, snapIDs: map[string]bool{}, forceIDs: map[string]bool{}, explicit: map[string]bool{},
		dryDeploy: r.s.Vars["DRY_RUN"] == "true"}
	m.dryAll = m.dryDeploy
	for _, req := range inv.Requests {
		refs, _ := req["instanceIds"].([]string)
		dry, _ := req["dryRun"].(bool)
		snap, _ := req["snapshot"].(bool)
		force, _ := req["force"].(bool)
		sweep, _ := req["sweep"].(bool)
		m.sweep = m.sweep || sweep
		m.reqs = append(m.reqs, r.simReqOf(req))
		if len(refs) == 0 { // a selector or a sweep: the whole request
			m.dryAll = m.dryAll || dry
			m.snapAll = m.snapAll || snap
		}
		for _, ref := range refs {
			id := bareID(ref)
			m.explicit[id] = true
			if dry {
				m.dryIDs[id] = true
			}
			if snap {
				m.snapIDs[id] = true
			}
			if force {
				m.forceIDs[id] = true
			}
		}
	}
	js := func(v any) []byte {
		raw, _ := json.Marshal(v)
		return raw
	}
	req0 := js(inv.Requests[0])
	switch inv.Shape {
	case "timer":
		return string(obj("triggerTime", str("2030-01-07T03:00:00Z"), "triggerName", str("sim"), "payload", str(string(req0)))), m
	case "fc-http":
		return string(fcHTTP("POST", str(string(req0)), false)), m
	case "apigw":
		return string(apiGateway("POST", str(string(req0)), false)), m
	case "funcurl":
		return string(functionURL("POST", str(base64.StdEncoding.EncodeToString(req0)), true)), m
	case "eventbridge":
		return string(awsEventBridge(req0)), m
	case "direct":
		return string(req0), m
	case "status":
		ids, _ := inv.Requests[0]["instanceIds"].([]string)
		return string(fcHTTPQuery(map[string]string{"instanceId": strings.Join(ids, ",")})), m
	case "cloudevent":
		r.reqN++
		return string(cloudEvent(fmt.Sprintf("evt-%d", r.reqN), req0)), m
	default: // batch: an array of JSON strings, one CloudEvent each
		var parts []string
		for _, req := range inv.Requests {
			r.reqN++
			parts = append(parts, string(str(string(cloudEvent(fmt.Sprintf("evt-%d", r.reqN), js(req))))))
		}
		return "[" + strings.Join(parts, ",") + "]", m
	}
}

// simReqOf is what the simulation knows of a request it sends.
func (r *simRun) simReqOf(req map[string]any) *simReq {
	q := &simReq{refs: map[string]string{}, mode: cmp.Or(r.s.Vars["STOPPED_MODE"], "StopCharging")}
	refs, _ := req["instanceIds"].([]string)
	for _, ref := range refs {
		q.refs[bareID(ref)] = arnRegion(ref)
	}
	q.region, _ = req["region"].(string)
	if sel, ok := req["selector"].(map[string]any); ok {
		tags, _ := sel["tags"].(map[string]string)
		q.pool = tags[simPoolKey]
	}
	q.whole, _ = req["sweep"].(bool)
	q.include = req["autoScaling"] == "include"
	if mode, ok := req["stoppedMode"].(string); ok {
		q.mode = mode
	}
	keep, _ := req["keepOnFailure"].(bool)
	q.handsOver = req["then"] == "release" && !(keep && req["jobStatus"] == "failed")
	return q
}

// chain is where a request looks for an instance it names, in order:
// its ARN's region, the request's, DEFAULT_REGION, the function's.
func (r *simRun) chain(q *simReq, id string) []string {
	var out []string
	for _, region := range []string{q.refs[id], q.region, r.home, simRegion} {
		if region != "" && !slices.Contains(out, region) {
			out = append(out, region)
		}
	}
	return out
}

// listRegion is the one region a selector or a sweep lists.
func (r *simRun) listRegion(q *simReq) string { return cmp.Or(q.region, r.home) }

// releaseMeta is what release of a stop's record is held to: the stop's
// requests' dry run and snapshot, its observations; every handed-over
// instance must be accounted for.
func releaseMeta(stop *simStop) *simMeta {
	m := &simMeta{fn: "release", dryAll: stop.meta.dryAll, dryIDs: stop.meta.dryIDs, snapAll: stop.meta.snapAll, snapIDs: stop.meta.snapIDs,
		forceIDs: map[string]bool{}, explicit: map[string]bool{}, handOver: stop, dryDeploy: stop.meta.dryDeploy}
	var rec struct {
		ResponsePayload json.RawMessage `json:"responsePayload"`
	}
	_ = json.Unmarshal([]byte(stop.record), &rec)
	payload := []byte(rec.ResponsePayload)
	var text string
	if json.Unmarshal(payload, &text) == nil {
		payload = []byte(text)
	}
	var ans handler.Response
	_ = json.Unmarshal(payload, &ans)
	for _, next := range ans.Next {
		q := &simReq{refs: map[string]string{}, region: next.Region, idInclude: map[string]bool{}, idMode: map[string]string{}}
		for _, ref := range next.InstanceIDs {
			id := bareID(ref)
			m.explicit[id] = true
			q.refs[id] = arnRegion(ref)
			if sq := stop.meta.firstReqFor(id); sq != nil {
				q.idInclude[id], q.idMode[id] = sq.includes(id), sq.modeFor(id)
			}
		}
		m.reqs = append(m.reqs, q)
	}
	return m
}

// noteEvent keeps the spot interruption events ECS emits (a subscriber:
// it may run on a handler's goroutine, at a sleep).
func (r *simRun) noteEvent(ev ecsemu.Event) {
	if ev.Type != ecsemu.EventSpotInterruption {
		return
	}
	_, id, _ := strings.Cut(ev.Subject, ":instance/")
	r.spotMu.Lock()
	defer r.spotMu.Unlock()
	// The emulator draws event IDs from crypto/rand; a seed replays
	// exactly only with IDs of its own.
	r.spotN++
	ev.ID = fmt.Sprintf("sim-%d-evt-%d", r.s.Seed, r.spotN)
	r.spotEvents[id] = ev
}

// spot runs a spot interruption step: ECS interrupts the instance (when
// asked), and its event reaches release — EventBridge's CloudEvent or
// CloudMonitor's form — once or twice, each delivery an async invocation
// with FC's retries.
func (r *simRun) spot(sp simSpot, where string) {
	f := r.s.Fleet[sp.Inst%len(r.s.Fleet)]
	if sp.Interrupt {
		r.apply(simWorldOp{Op: "spot", Inst: sp.Inst})
	}
	event := r.spotEvent(f, sp.Form)
	m := &simMeta{fn: "release", dryIDs: map[string]bool{}, snapIDs: map[string]bool{}, forceIDs: map[string]bool{}, explicit: map[string]bool{f.ID: true},
		dryDeploy: r.s.Vars["DRY_RUN"] == "true", spot: f.ID, reqs: []*simReq{{refs: map[string]string{f.ID: f.Region}, region: f.Region}}}
	m.dryAll = m.dryDeploy
	r.w.Advance(sp.Delay)
	for i := range max(1, sp.Deliveries) {
		if i > 0 {
			r.w.Advance(sp.Gap)
		}
		r.fig.SpotDeliveries++
		r.async("release", event, m, nil, 0, sp.NewID, fmt.Sprintf("%s spot event delivery %d", where, i+1))
		if len(r.violations) > 0 {
			return
		}
	}
}

// spotEvent is the event of an instance's spot interruption in a form:
// the one ECS emitted (the latest), else the one it would send (for an
// instance it did not interrupt).
func (r *simRun) spotEvent(f simInstance, form string) string {
	r.spotMu.Lock()
	ev, ok := r.spotEvents[f.ID]
	r.spotMu.Unlock()
	if ok {
		if form == "cloudmonitor" {
			return string(must(json.Marshal(ev.CloudMonitor())))
		}
		return string(must(json.Marshal(ev)))
	}
	now := r.w.Env.Emu.Now()
	arn := ecsemu.InstanceARN(f.Region, ecsemu.DefaultAccountID, f.ID)
	data := must(json.Marshal(map[string]string{"instanceId": f.ID, "action": "delete"}))
	r.reqN++
	id := fmt.Sprintf("sim-spot-%d", r.reqN)
	if form == "cloudmonitor" {
		return string(must(json.Marshal(ecsemu.CloudMonitorEvent{ID: id, Product: "ECS", ResourceID: arn, Level: "WARN", InstanceName: "sim-" + f.ID, RegionID: f.Region,
			Name: strings.TrimPrefix(ecsemu.EventSpotInterruption, "ecs:"), UserID: ecsemu.DefaultAccountID, EventTime: now.Format("20060102T150405.000-0700"), Content: data})))
	}
	return string(must(json.Marshal(ecsemu.Event{ID: id, Source: "acs.ecs", SpecVersion: "1.0", Type: ecsemu.EventSpotInterruption, Subject: arn,
		Time: now.Format(time.RFC3339), DataContentType: "application/json;charset=utf-8", AliyunAccountID: ecsemu.DefaultAccountID,
		AliyunPublishTime: now.Format("2006-01-02T15:04:05.000Z07:00"), AliyunEventBusName: "default", AliyunRegionID: f.Region, Data: data})))
}

func must(raw []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return raw
}

// refreshDisks notes the disks now in the world (a disk keeps the
// instance it was first seen on).
func (r *simRun) refreshDisks() {
	for _, d := range r.w.Env.Emu.Disks() {
		if old, ok := r.disks[d.DiskId]; !ok || old.InstanceId == "" {
			r.disks[d.DiskId] = d
		}
	}
}
