package ecsemu

import (
	"fmt"
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
  POST /_emulator/fail-snapshots?instanceId=ID&fail=true|false
                                                snapshots of the instance's disks end "failed"
  POST /_emulator/faults?throttleRate=F&errorRate=F&maxQps=N&spikeRate=F&spike=DURATION
                                                replace fault injection settings
  POST /_emulator/fleet                         body: fleet JSON array; adds instances
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
	"POST /_emulator/advance":        adminAdvance,
	"GET /_emulator/now":             adminNow,
	"POST /_emulator/stuck":          adminInstanceFlag("stuck", func(e *Emulator, on bool, ids []string) error { return e.SetStuck(on, ids...) }),
	"POST /_emulator/security-lock":  adminInstanceFlag("locked", setSecurityLocks),
	"POST /_emulator/fail-snapshots": adminInstanceFlag("fail", failSnapshots),
	"POST /_emulator/faults":         adminFaults,
	"POST /_emulator/fleet":          adminFleet,
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

// adminInstanceFlag serves POST ...?instanceId=ID[,ID]&NAME=true|false
// (NAME defaults to true).
func adminInstanceFlag(name string, set func(e *Emulator, on bool, ids []string) error) adminHandler {
	return func(e *Emulator, w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var ids []string
		for id := range strings.SplitSeq(q.Get("instanceId"), ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			adminError(w, http.StatusBadRequest, "instanceId is required")
			return
		}
		on := true
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				adminError(w, http.StatusBadRequest, "%s=%q is not true or false", name, v)
				return
			}
			on = b
		}
		if err := set(e, on, ids); err != nil {
			adminError(w, http.StatusNotFound, "%v", err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"instanceIds": ids, name: on})
	}
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
	fleet, err := ParseFleet(http.MaxBytesReader(w, r.Body, maxFleetBytes))
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	added, err := e.AddInstances(fleet)
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
