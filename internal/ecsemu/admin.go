package ecsemu

import (
	"fmt"
	"net/http"
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

func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	route := strings.TrimPrefix(r.URL.Path, "/_emulator/")
	post := map[string]bool{"advance": true, "stuck": true, "security-lock": true, "fail-snapshots": true, "faults": true, "fleet": true, "reset-calls": true}
	if post[route] && r.Method != http.MethodPost {
		adminError(w, http.StatusMethodNotAllowed, "%s needs POST", r.URL.Path)
		return
	}
	if !post[route] && r.Method != http.MethodGet {
		adminError(w, http.StatusMethodNotAllowed, "%s needs GET", r.URL.Path)
		return
	}
	ids := func() []string {
		var out []string
		for id := range strings.SplitSeq(q.Get("instanceId"), ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
		return out
	}
	flag := func(name string) (bool, error) {
		v := q.Get(name)
		if v == "" {
			return true, nil
		}
		return strconv.ParseBool(v)
	}
	switch route {
	case "advance":
		d, err := time.ParseDuration(q.Get("by"))
		if err != nil || d < 0 {
			adminError(w, http.StatusBadRequest, "by=%q is not a non-negative Go duration such as 90s or 2h", q.Get("by"))
			return
		}
		_ = e.Advance(d)
		writeJSON(w, http.StatusOK, map[string]string{"now": formatSecond(e.Now())})
	case "now":
		writeJSON(w, http.StatusOK, map[string]string{"now": formatSecond(e.Now())})
	case "stuck", "security-lock", "fail-snapshots":
		list := ids()
		if len(list) == 0 {
			adminError(w, http.StatusBadRequest, "instanceId is required")
			return
		}
		name := map[string]string{"stuck": "stuck", "security-lock": "locked", "fail-snapshots": "fail"}[route]
		on, err := flag(name)
		if err != nil {
			adminError(w, http.StatusBadRequest, "%s=%q is not true or false", name, q.Get(name))
			return
		}
		switch route {
		case "stuck":
			err = e.SetStuck(on, list...)
		case "security-lock":
			for _, id := range list {
				if err = e.SetSecurityLock(id, on); err != nil {
					break
				}
			}
		case "fail-snapshots":
			for _, id := range list {
				e.FailSnapshotsOf(id, on)
			}
		}
		if err != nil {
			adminError(w, http.StatusNotFound, "%v", err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"instanceIds": list, name: on})
	case "faults":
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
	case "fleet":
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
	case "instances":
		writeJSON(w, http.StatusOK, map[string]any{"Instances": e.Instances()})
	case "disks":
		writeJSON(w, http.StatusOK, map[string]any{"Disks": e.Disks()})
	case "snapshots":
		writeJSON(w, http.StatusOK, map[string]any{"Snapshots": e.Snapshots()})
	case "calls":
		calls := e.Calls()
		if a := q.Get("action"); a != "" {
			kept := calls[:0]
			for _, c := range calls {
				if c.Action == a {
					kept = append(kept, c)
				}
			}
			calls = kept
		}
		for i := range calls {
			if calls[i].SecurityToken != "" {
				calls[i].SecurityToken = "(redacted)"
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"calls": calls})
	case "stats":
		writeJSON(w, http.StatusOK, map[string]any{"calls": e.CallCounts()})
	case "reset-calls":
		e.ResetCalls()
		writeJSON(w, http.StatusOK, map[string]string{})
	default:
		adminError(w, http.StatusNotFound, "unknown admin endpoint %s", r.URL.Path)
	}
}
