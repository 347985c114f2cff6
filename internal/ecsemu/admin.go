package ecsemu

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxFleetBytes bounds a fleet posted to the admin API.
const maxFleetBytes = 64 << 20

// AdminEndpoints documents the admin API (also printed by --help).
const AdminEndpoints = `Admin endpoints (no signature; bind the emulator to loopback):
  POST /_emulator/advance?by=DURATION           move the emulator clock forward (e.g. by=10m)
  GET  /_emulator/now                           the emulator clock
  POST /_emulator/stuck?instanceId=ID[,ID]&stuck=true|false
                                                keep instances in Stopping (or let them finish)
  POST /_emulator/security-lock?instanceId=ID&locked=true|false
  POST /_emulator/lock?instanceId=ID[,ID]&reason=R&locked=true|false
                                                add or remove an operation lock; R is financial,
                                                security, recycling, Recycling, dedicatedhostfinancial
                                                or refunded
  POST /_emulator/spot-interrupt?instanceId=ID[,ID]
                                                interrupt spot instances: lock Recycling, emit
                                                ecs:Instance:PreemptibleInstanceInterruption,
                                                release 5 minutes (emulator time) later
  POST /_emulator/no-stock?instanceId=ID[,ID]&noStock=true|false
                                                starting from economical mode (StopCharging) answers
                                                403 OperationDenied.NoStock
  POST /_emulator/economical-mode?instanceId=ID[,ID]&mode=M
                                                what StoppedMode=StopCharging does: supported,
                                                stops-keep-charging, stops-not-applicable, refused
                                                (empty: derived from the instance)
  GET  /_emulator/events?format=eventbridge|cloudmonitor&type=TYPE
                                                the events emitted; POST /_emulator/reset-events
  GET  /_emulator/scaling-groups                Auto Scaling groups: members, replacements launched,
                                                instances released or detached
  POST /_emulator/scaling-group?scalingGroupId=ID&desiredCapacity=N&gracePeriod=DURATION
  GET  /_emulator/node-pools                    ACK node pools: nodes replaced and launched
  POST /_emulator/fail-snapshots?instanceId=ID&fail=true|false
                                                snapshots of the instance's disks end "failed"
  POST /_emulator/faults?throttleRate=F&errorRate=F&maxQps=N&spikeRate=F&spike=DURATION
                                                replace fault injection settings
  POST /_emulator/fleet                         body: a fleet file (array, or object with Prices);
                                                adds instances, sets prices
  POST /_emulator/metrics?instanceId=ID[,ID]    body: a MetricSpec {"Profile":"busy|idle|spiky|no-data",
                                                "CPU":N,"NetworkBps":N,"Points":[{"Metric","At","Value"}]};
                                                replaces the instances' CloudMonitor series
  GET  /_emulator/instances | /disks | /snapshots   the whole store, API field names
  GET  /_emulator/calls?action=NAME             the call record; /stats: counts by action
  POST /_emulator/reset-calls                   clear the call record`

func adminError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// adminHandler is one admin endpoint; e is the emulator it controls.
type adminHandler func(e *Emulator, w http.ResponseWriter, r *http.Request)

// adminRoutes are the admin endpoints as net/http method patterns.
var adminRoutes = map[string]adminHandler{
	"POST /_emulator/advance":         adminAdvance,
	"GET /_emulator/now":              adminNow,
	"POST /_emulator/stuck":           adminInstanceFlag("stuck", func(e *Emulator, on bool, ids []string) error { return e.SetStuck(on, ids...) }),
	"POST /_emulator/security-lock":   adminInstanceFlag("locked", setSecurityLocks),
	"POST /_emulator/fail-snapshots":  adminInstanceFlag("fail", failSnapshots),
	"POST /_emulator/lock":            adminLock,
	"POST /_emulator/spot-interrupt":  adminSpotInterrupt,
	"POST /_emulator/no-stock":        adminInstanceFlag("noStock", setNoStock),
	"POST /_emulator/economical-mode": adminEconomicalMode,
	"GET /_emulator/events":           adminEvents,
	"POST /_emulator/reset-events": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		e.ResetEvents()
		writeJSON(w, http.StatusOK, map[string]string{})
	},
	"GET /_emulator/scaling-groups": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ScalingGroups": e.ScalingGroups()})
	},
	"POST /_emulator/scaling-group": adminScalingGroup,
	"GET /_emulator/node-pools": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"NodePools": e.NodePools()})
	},
	"POST /_emulator/faults":  adminFaults,
	"POST /_emulator/fleet":   adminFleet,
	"POST /_emulator/metrics": adminMetrics,
	"GET /_emulator/instances": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Instances": e.Instances()})
	},
	"GET /_emulator/disks": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Disks": e.Disks()})
	},
	"GET /_emulator/snapshots": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"Snapshots": e.Snapshots()})
	},
	"GET /_emulator/calls": adminCalls,
	"GET /_emulator/stats": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"calls": e.CallCounts()})
	},
	"POST /_emulator/reset-calls": func(e *Emulator, w http.ResponseWriter, _ *http.Request) {
		e.ResetCalls()
		writeJSON(w, http.StatusOK, map[string]string{})
	},
}

// adminMux routes by method and path; adminMethods says which method each
// path wants, for the JSON 405 answer.
var adminMux, adminMethods = func() (*http.ServeMux, map[string]string) {
	mux := http.NewServeMux()
	methods := map[string]string{}
	for pattern := range adminRoutes {
		method, path, _ := strings.Cut(pattern, " ")
		methods[path] = method
		// The handler only marks the pattern as known; serveAdmin calls
		// the route with its emulator.
		mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	}
	return mux, methods
}()

func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	_, pattern := adminMux.Handler(r)
	if h, ok := adminRoutes[pattern]; ok {
		h(e, w, r)
		return
	}
	if method, ok := adminMethods[r.URL.Path]; ok {
		w.Header().Set("Allow", method)
		adminError(w, http.StatusMethodNotAllowed, "%s needs %s", r.URL.Path, method)
		return
	}
	adminError(w, http.StatusNotFound, "unknown admin endpoint %s", r.URL.Path)
}

func adminAdvance(e *Emulator, w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	d, err := time.ParseDuration(by)
	if err != nil || d < 0 {
		adminError(w, http.StatusBadRequest, "by=%q is not a non-negative Go duration such as 90s or 2h", by)
		return
	}
	_ = e.Advance(d)
	adminNow(e, w, r)
}

func adminNow(e *Emulator, w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"now": formatSecond(e.Now())})
}

func setSecurityLocks(e *Emulator, on bool, ids []string) error {
	for _, id := range ids {
		if err := e.SetSecurityLock(id, on); err != nil {
			return err
		}
	}
	return nil
}

func failSnapshots(e *Emulator, on bool, ids []string) error {
	for _, id := range ids {
		e.FailSnapshotsOf(id, on)
	}
	return nil
}

func setNoStock(e *Emulator, on bool, ids []string) error {
	for _, id := range ids {
		if err := e.SetNoStock(id, on); err != nil {
			return err
		}
	}
	return nil
}

// adminIDs reads instanceId=ID[,ID]; it answers 400 itself when none is
// given.
func adminIDs(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	var ids []string
	for id := range strings.SplitSeq(r.URL.Query().Get("instanceId"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		adminError(w, http.StatusBadRequest, "instanceId is required")
		return nil, false
	}
	return ids, true
}

// adminBool reads a true|false parameter (default true); it answers 400
// itself when the value is neither.
func adminBool(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return true, true
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%s=%q is not true or false", name, v)
		return false, false
	}
	return b, true
}

// adminFailed answers a library error: 404 for an unknown instance, 400
// otherwise.
func adminFailed(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrInstanceNotFound) {
		status = http.StatusNotFound
	}
	adminError(w, status, "%v", err)
}

// adminInstanceFlag serves POST ...?instanceId=ID[,ID]&NAME=true|false
// (NAME defaults to true).
func adminInstanceFlag(name string, set func(e *Emulator, on bool, ids []string) error) adminHandler {
	return func(e *Emulator, w http.ResponseWriter, r *http.Request) {
		ids, ok := adminIDs(w, r)
		if !ok {
			return
		}
		on, ok := adminBool(w, r, name)
		if !ok {
			return
		}
		if err := set(e, on, ids); err != nil {
			adminFailed(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, name: on})
	}
}

// adminLock serves POST /_emulator/lock?instanceId=ID[,ID]&reason=R&locked=true|false.
func adminLock(e *Emulator, w http.ResponseWriter, r *http.Request) {
	ids, ok := adminIDs(w, r)
	if !ok {
		return
	}
	reason := r.URL.Query().Get("reason")
	if !validLockReason(reason) {
		adminError(w, http.StatusBadRequest, "reason: %v", errUnknownLock(reason))
		return
	}
	on, ok := adminBool(w, r, "locked")
	if !ok {
		return
	}
	for _, id := range ids {
		if err := e.SetLock(id, reason, on); err != nil {
			adminFailed(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, "reason": reason, "locked": on})
}

// adminSpotInterrupt serves POST /_emulator/spot-interrupt?instanceId=ID[,ID].
func adminSpotInterrupt(e *Emulator, w http.ResponseWriter, r *http.Request) {
	ids, ok := adminIDs(w, r)
	if !ok {
		return
	}
	for _, id := range ids {
		if err := e.SpotInterrupt(id); err != nil {
			adminFailed(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, "releaseAt": formatSecond(e.Now().Add(SpotNoticePeriod))})
}

// adminEconomicalMode serves POST /_emulator/economical-mode?instanceId=ID[,ID]&mode=M.
func adminEconomicalMode(e *Emulator, w http.ResponseWriter, r *http.Request) {
	ids, ok := adminIDs(w, r)
	if !ok {
		return
	}
	mode := r.URL.Query().Get("mode")
	for _, id := range ids {
		if err := e.SetEconomicalMode(id, mode); err != nil {
			adminFailed(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, "mode": mode})
}

// adminEvents serves GET /_emulator/events?format=eventbridge|cloudmonitor&type=T.
func adminEvents(e *Emulator, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	evs := e.Events()
	if typ := q.Get("type"); typ != "" {
		evs = slices.DeleteFunc(evs, func(ev Event) bool { return ev.Type != typ })
	}
	switch f := q.Get("format"); f {
	case "", "eventbridge":
		writeJSON(w, http.StatusOK, map[string]any{"events": nonNil(evs)})
	case "cloudmonitor":
		out := make([]CloudMonitorEvent, len(evs))
		for i, ev := range evs {
			out[i] = ev.CloudMonitor()
		}
		writeJSON(w, http.StatusOK, map[string]any{"events": out})
	default:
		adminError(w, http.StatusBadRequest, "format=%q is not eventbridge or cloudmonitor", f)
	}
}

// adminScalingGroup serves POST /_emulator/scaling-group?scalingGroupId=ID&desiredCapacity=N&gracePeriod=D.
func adminScalingGroup(e *Emulator, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("scalingGroupId")
	if id == "" {
		adminError(w, http.StatusBadRequest, "scalingGroupId is required")
		return
	}
	var cfg ScalingGroupConfig
	if v := q.Get("desiredCapacity"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			adminError(w, http.StatusBadRequest, "desiredCapacity=%q is not a non-negative integer", v)
			return
		}
		cfg.DesiredCapacity = &n
	}
	if v := q.Get("gracePeriod"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			adminError(w, http.StatusBadRequest, "gracePeriod=%q is not a non-negative Go duration such as 5m", v)
			return
		}
		cfg.GracePeriod = &d
	}
	if err := e.ConfigureScalingGroup(id, cfg); err != nil {
		adminError(w, http.StatusNotFound, "%v", err)
		return
	}
	g, _ := e.ScalingGroup(id)
	writeJSON(w, http.StatusOK, g)
}

func adminFaults(e *Emulator, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f Faults
	for name, dst := range map[string]*float64{"throttleRate": &f.ThrottleRate, "errorRate": &f.ErrorRate, "maxQps": &f.MaxQPS, "spikeRate": &f.SpikeRate} {
		if v := q.Get(name); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				adminError(w, http.StatusBadRequest, "%s=%q is not a number", name, v)
				return
			}
			*dst = x
		}
	}
	if v := q.Get("spike"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			adminError(w, http.StatusBadRequest, "spike=%q is not a Go duration such as 15ms", v)
			return
		}
		f.Spike = d
	}
	if err := e.SetFaults(f); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func adminFleet(e *Emulator, w http.ResponseWriter, r *http.Request) {
	fleet, err := ParseFleetFile(http.MaxBytesReader(w, r.Body, maxFleetBytes))
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	added, err := e.LoadFleet(fleet)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceIds": added})
}

func adminCalls(e *Emulator, w http.ResponseWriter, r *http.Request) {
	calls := e.Calls()
	if a := r.URL.Query().Get("action"); a != "" {
		calls = slices.DeleteFunc(calls, func(c Call) bool { return c.Action != a })
	}
	for i := range calls {
		if calls[i].SecurityToken != "" {
			calls[i].SecurityToken = "(redacted)"
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
}

// adminMetrics serves POST /_emulator/metrics?instanceId=ID[,ID] with a
// MetricSpec as the body (unknown fields refused). Every instance is
// checked first; on error none changes.
func adminMetrics(e *Emulator, w http.ResponseWriter, r *http.Request) {
	ids, ok := adminIDs(w, r)
	if !ok {
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFleetBytes))
	if err != nil {
		adminError(w, http.StatusBadRequest, "reading the body: %v", err)
		return
	}
	var spec MetricSpec
	if err := strictJSON(data, &spec); err != nil {
		adminError(w, http.StatusBadRequest, "the body is not a MetricSpec {\"Profile\",\"CPU\",\"NetworkBps\",\"Points\"}: %v", err)
		return
	}
	if err := e.setMetricsAll(ids, spec); err != nil {
		adminFailed(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, "metrics": spec})
}
