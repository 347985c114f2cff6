package drills_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// Tags and settings the drills share.
const (
	managedKey = "ecs-release:managed"
	managedTag = managedKey + "=true"
	protectKey = "ecs-release:protect"
)

// world is handlertest's World with the drills' own readings of it.
type world struct{ *handlertest.World }

// newWorld starts an emulator whose clock and the handlers' fake clock
// stand at the same instant and move together (see handlertest).
func newWorld(t testing.TB, opts ecsemu.Options, vars map[string]string) *world {
	return &world{handlertest.NewWorld(t, opts, vars)}
}

type (
	call   = handlertest.Call
	result = handlertest.Result
)

var (
	response          = handlertest.Response
	httpAnswer        = handlertest.HTTPAnswer
	httpResponse      = handlertest.HTTPResponse
	outcomes          = handlertest.Outcomes
	outcomeOf         = handlertest.OutcomeOf
	tags              = handlertest.Tags
	mustJSON          = handlertest.MustJSON
	destinationRecord = handlertest.DestinationRecord
	timerEvent        = handlertest.TimerEvent
	fcHTTPEvent       = handlertest.FCHTTPEvent
	handedOver        = handlertest.HandedOver
)

// releasedOrNotSeen: the outcome a retry gives an instance — released (by
// it), or not found (released by an earlier attempt; only a release this
// invocation saw is claimed).
func releasedOrNotSeen(o handler.InstanceOutcome) bool {
	switch o.Outcome {
	case handler.OutcomeReleased, handler.OutcomeAlreadyReleased:
		return true
	case handler.OutcomeSkipped:
		return o.Code == handler.CodeNotFound
	}
	return false
}

// --- the emulator's call record ---------------------------------------------

// namesInstance reports whether a call names the instance: by ID (one,
// numbered, a JSON list, a tag resource) or through one of its disks.
func namesInstance(c ecsemu.Call, id string, diskOwner map[string]string) bool {
	for k, v := range c.Params {
		switch {
		case (k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") || strings.HasPrefix(k, "ResourceId.")) && v == id:
			return true
		case k == "InstanceIds" && strings.Contains(v, `"`+id+`"`):
			return true
		case k == "DiskId" && diskOwner[v] == id:
			return true
		}
	}
	return false
}

// diskOwners maps every disk now in the emulator to its instance.
func diskOwners(emu *ecsemu.Emulator) map[string]string {
	out := map[string]string{}
	for _, d := range emu.Disks() {
		out[d.DiskId] = d.InstanceId
	}
	return out
}

// deletesOf counts, per instance, the distinct successful DeleteInstances
// or DeleteInstance calls that named it. Calls with the same ClientToken
// count once: a replayed token is answered from the first call's result
// and releases nothing.
func deletesOf(calls []ecsemu.Call) map[string]int {
	seen := map[string]bool{}
	out := map[string]int{}
	for i, c := range calls {
		if c.Status != 200 || !c.Mutating || (c.Action != "DeleteInstances" && c.Action != "DeleteInstance") {
			continue
		}
		key := c.Params["ClientToken"]
		if key == "" {
			key = fmt.Sprintf("call-%d", i)
		}
		if seen[c.Action+"/"+key] {
			continue
		}
		seen[c.Action+"/"+key] = true
		for k, v := range c.Params {
			if k == "InstanceId" || strings.HasPrefix(k, "InstanceId.") {
				out[v]++
			}
		}
	}
	return out
}

// faultCounts counts the injected faults in a call record.
type faultCounts struct {
	Throttles, ServerErrors, Spikes, Calls int
}

func countFaults(calls []ecsemu.Call) faultCounts {
	var f faultCounts
	for _, c := range calls {
		f.Calls++
		if c.Injected && strings.HasPrefix(c.Code, "Throttling") {
			f.Throttles++
		}
		if c.Injected && c.Status >= 500 {
			f.ServerErrors++
		}
		if c.Spike > 0 {
			f.Spikes++
		}
	}
	return f
}

// retryStats sums the handlers' summary records: retries, throttled
// retries and API calls (attempts). Invocations counts every Handle call
// (an invocation refused before acting writes no summary).
type retryStats struct {
	Invocations, Retries, Throttled, APICalls int
}

func (w *world) retryStats() retryStats {
	s := retryStats{Invocations: int(w.Invocations.Load())}
	for _, rec := range w.LogRecords("summary") {
		s.Retries += intOf(rec["retries"])
		s.Throttled += intOf(rec["throttled"])
		s.APICalls += intOf(rec["apiCallsTotal"])
	}
	return s
}

func intOf(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// --- figures ------------------------------------------------------------------

// figures are one drill's numbers for the README: what was injected, what
// the handlers retried, what happened to the instances, and that nothing
// was lost.
type figures struct {
	Drill            string `json:"drill"`
	Invocations      int    `json:"invocations,omitempty"`
	Instances        int    `json:"instances,omitempty"` // eligible for the action
	Released         int    `json:"released"`
	Kept             int    `json:"kept"` // guarded, out of scope or refused: untouched
	Throttles        int    `json:"throttlesInjected"`
	ServerErrors     int    `json:"serverErrorsInjected"`
	Spikes           int    `json:"latencySpikes"`
	ECSCalls         int    `json:"ecsCalls"`
	Retries          int    `json:"callsRetried"`
	ThrottledRetries int    `json:"throttledRetries"`
	Inputs           int    `json:"inputsTried,omitempty"`
	Snapshots        int    `json:"snapshots,omitempty"`
	Lost             int    `json:"lost"`              // eligible but neither released nor reported
	DoubleActions    int    `json:"releasedTwice"`     // instances with more than one effective delete
	MutatingRefused  int    `json:"mutatingOnRefused"` // mutating calls on refused input or guarded instances
	Note             string `json:"note,omitempty"`
}

var reportMu sync.Mutex

// report logs the figures on one line and, when DRILLS_REPORT names a file,
// appends them to it as one JSON object per line.
func report(t testing.TB, f figures) {
	t.Helper()
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	t.Logf("figures %s", raw)
	path := os.Getenv("DRILLS_REPORT")
	if path == "" {
		return
	}
	reportMu.Lock()
	defer reportMu.Unlock()
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(t, err)
	defer file.Close()
	_, err = file.Write(append(raw, '\n'))
	require.NoError(t, err)
}
