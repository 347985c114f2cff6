package drills_test

// Running a schedule: a world (emulator with a witness, a fake clock that
// moves it, the three handlers with one ECS call at a time so the run is
// deterministic), FC's async model (retries with the same or a new request
// id, destination records delivered late, twice or again much later), and
// the world's changes at their times — between invocations, and at the
// handlers' sleep points while they run.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
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
		g.next.ServeHTTP(w, r)
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
}

func (f *simFigures) add(o simFigures) {
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
	r := &simRun{s: s, w: w, gate: gate, rng: rand.New(rand.NewSource(s.Seed ^ 0x5eed)), toolSet: map[string]string{}, trace: trace}
	for _, f := range s.Fleet {
		if f.AutoReleaseIn > 0 {
			delete(r.toolSet, f.ID)
		}
	}
	deps := w.Deps()
	jitter := rand.New(rand.NewSource(s.Seed))
	var jitterMu sync.Mutex
	deps.ECS = ecs.Config{Concurrency: max(1, s.Concurrency), Rand: func() float64 {
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
		err = emu.SetLock(id, "security", false)
		if err == nil {
			err = emu.SetLock(id, "financial", false)
		}
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
	if json.Unmarshal(raw, &resp) != nil || resp.Summary == nil {
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
		ids, _ := req["instanceIds"].([]string)
		dry, _ := req["dryRun"].(bool)
		snap, _ := req["snapshot"].(bool)
		force, _ := req["force"].(bool)
		sweep, _ := req["sweep"].(bool)
		m.sweep = m.sweep || sweep
		if len(ids) == 0 { // a selector or a sweep: the whole request
			m.dryAll = m.dryAll || dry
			m.snapAll = m.snapAll || snap
		}
		for _, id := range ids {
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
		for _, id := range next.InstanceIDs {
			m.explicit[id] = true
		}
	}
	return m
}
