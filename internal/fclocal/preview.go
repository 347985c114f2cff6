package fclocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// previewTimeout bounds a preview: the chain's dry-run invocations only
// read, but FC retries a failed one.
const previewTimeout = 15 * time.Minute

// timerRef is one timer trigger of a function.
type timerRef struct{ function, trigger string }

// selectTimers picks the enabled timers a preview fires: the one named
// (its trigger name, or function/trigger), or all of them.
func selectTimers(p *Project, name string) ([]timerRef, error) {
	var all, picked []timerRef
	for _, f := range p.Functions {
		for _, t := range f.Triggers {
			if t.Timer == nil || !t.Timer.Enabled {
				continue
			}
			ref := timerRef{f.Name, t.Name}
			all = append(all, ref)
			if name == "" || name == t.Name || name == f.Name+"/"+t.Name || name == f.Resource+"/"+t.Name {
				picked = append(picked, ref)
			}
		}
	}
	switch {
	case len(all) == 0:
		return nil, errors.New("the s.yaml has no enabled timer trigger: nothing to preview")
	case len(picked) == 0:
		var names []string
		for _, r := range all {
			names = append(names, r.function+"/"+r.trigger)
		}
		return nil, fmt.Errorf("--timer %q names no enabled timer (there are: %s)", name, strings.Join(names, ", "))
	}
	return picked, nil
}

// cmdPreview fires s.yaml's timers (or one of them) once, with dry run
// forced on, through the same chain as in the cloud, and reports exactly
// what would be stopped, released, given an auto-release time, and why
// each other instance is skipped. With --real it reads the real account;
// without, the emulator (--fleet, or the demo fleet; or --endpoint).
func cmdPreview(ctx context.Context, f *cliFlags, stdout, stderr io.Writer, lookup LookupEnv) (int, error) {
	if err := extraArgs(f, 1); err != nil {
		return 2, err
	}
	if f.event != "" || f.async {
		return 2, errors.New("--event and --async are for invoke")
	}
	if v, ok := f.set["DRY_RUN"]; ok && v != "true" {
		return 2, fmt.Errorf("--set DRY_RUN=%s: a preview is always a dry run", v)
	}
	if _, ok := f.set["DRY_RUN"]; !ok {
		f.setOrder = append(f.setOrder, "DRY_RUN")
	}
	f.set["DRY_RUN"] = "true"
	p, err := LoadFile(f.file, lookup)
	if err != nil {
		return 2, err
	}
	timers, err := selectTimers(p, f.timer)
	if err != nil {
		return 2, err
	}
	var mu sync.Mutex
	var invs []Invocation
	s, err := openSession(ctx, f, stderr, lookup, func(inv Invocation) {
		mu.Lock()
		invs = append(invs, inv)
		mu.Unlock()
		fmt.Fprintln(stderr, inv.Line())
	}, func(ev EventRouting) { fmt.Fprintln(stderr, "fclocal:", ev.Line()) })
	if err != nil {
		return 2, err
	}
	defer s.close()
	fmt.Fprintf(stderr, "fclocal: previewing against %s ...\n", s.backend)
	now := time.Now()
	var fired []string
	for _, t := range timers {
		if _, err := s.runner.FireTimer(t.function, t.trigger, now); err != nil {
			return 2, err
		}
		fired = append(fired, t.function+"/"+t.trigger)
	}
	wctx, cancel := context.WithTimeout(ctx, previewTimeout)
	defer cancel()
	if err := s.runner.Wait(wctx); err != nil {
		return 2, fmt.Errorf("the preview did not finish within %s: %w", previewTimeout, err)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortStableFunc(invs, func(a, b Invocation) int { return a.Start.Compare(b.Start) })
	rep := previewReport(p, s.backend, fired, invs)
	fmt.Fprint(stdout, rep.text)
	if rep.failed > 0 {
		return 1, fmt.Errorf("%s failed", Plural(rep.failed, "invocation"))
	}
	if rep.live > 0 {
		return 1, fmt.Errorf("%s answered as a live run: check DRY_RUN", Plural(rep.live, "invocation"))
	}
	return 0, nil
}

type preview struct {
	text         string
	failed, live int
}

// previewReport renders what the fired timers would do: per instance (in
// the order the answers named them), every function's outcome and reason,
// then each instance counted once by what would happen to it.
func previewReport(p *Project, backend string, fired []string, invs []Invocation) preview {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	var out preview
	w("fclocal preview: what %s would do, in dry run (nothing is changed)\n", strings.Join(fired, " and "))
	w("  s.yaml   %s\n  ECS      %s\n\n", relOrAbs(p.Path), backend)
	w("Invocations (in start order)\n")
	for _, inv := range invs {
		w("  %s\n", inv.Line())
	}
	fnOrder := map[string]int{}
	for i, f := range p.Functions {
		fnOrder[f.Name] = i
	}
	// Instances are listed in the order the functions' answers name them,
	// the functions taken in s.yaml's order (timers fired together start
	// in either order).
	byFunction := slices.Clone(invs)
	slices.SortStableFunc(byFunction, func(a, b Invocation) int { return fnOrder[a.Function] - fnOrder[b.Function] })
	byInstance := map[string][]FunctionOutcome{}
	var order []string
	for _, inv := range byFunction {
		if !inv.OK() {
			if !strings.HasPrefix(inv.Next, "retry ") {
				out.failed++
			}
			continue
		}
		ans, _, ok := Answer(inv.Payload)
		if !ok {
			continue
		}
		if !ans.DryRun {
			out.live++
		}
		for _, o := range ans.Instances {
			if byInstance[o.InstanceID] == nil {
				order = append(order, o.InstanceID)
			}
			byInstance[o.InstanceID] = append(byInstance[o.InstanceID], FunctionOutcome{Function: inv.Function, InstanceOutcome: o})
		}
	}
	fnWidth, outWidth := 0, 0
	for _, outs := range byInstance {
		for _, o := range outs {
			fnWidth, outWidth = max(fnWidth, len(o.Function)), max(outWidth, len(o.Outcome))
		}
	}
	w("\nInstances the policies reached (%d)\n", len(order))
	counts := map[string]int{}
	for _, id := range order {
		outs := slices.Clone(byInstance[id])
		slices.SortStableFunc(outs, func(a, b FunctionOutcome) int { return fnOrder[a.Function] - fnOrder[b.Function] })
		fate := instanceFate(&emptyInstance, outs)
		counts[fate]++
		w("  %s  %s\n", id, strings.ToUpper(strings.TrimSuffix(fateLabel(fate, true), " with a reason")))
		for _, o := range outs {
			for _, l := range outcomeLines(o, fnWidth, outWidth, nil) {
				w("      %s\n", l)
			}
		}
	}
	if len(order) == 0 {
		w("  (none: no policy selected an instance)\n")
	} else {
		w("  (instances no policy selected are not listed: nothing would happen to them)\n")
	}
	w("\nTotals\n")
	var parts []string
	for _, f := range fates {
		if f.key == "not selected" {
			continue
		}
		if n := counts[f.key]; n > 0 || f.always {
			parts = append(parts, fmt.Sprintf("%d %s", n, f.dry))
		}
	}
	w("  instances  %d, each counted once: %s\n", len(order), strings.Join(parts, ", "))
	w("  invocations %d (%d failed)\n", len(invs), out.failed)
	out.text = b.String()
	return out
}

// cmdFire asks a running `fclocal up` to fire one timer now.
func cmdFire(ctx context.Context, f *cliFlags, stdout io.Writer) (int, error) {
	if len(f.args) != 2 {
		return 2, errors.New("fire needs one TIMER (its trigger name, or function/trigger)")
	}
	u := url.URL{Scheme: "http", Host: f.httpAddr, Path: firePath, RawQuery: url.Values{"timer": {f.args[1]}}.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return 2, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 2, fmt.Errorf("no fclocal up answering on %s (--http): %w", f.httpAddr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return 1, fmt.Errorf("fclocal up refused: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return 0, nil
}

// firePath and eventPath are where `fclocal up` takes fire and put-event
// requests.
const (
	firePath  = "/_fclocal/fire"
	eventPath = "/_fclocal/event"
)

// controlHandler serves firePath and eventPath in front of the HTTP
// triggers.
func controlHandler(p *Project, r *Runner, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch req.URL.Path {
		case firePath:
			serveFire(p, r, w, req)
		case eventPath:
			servePutEvent(r, w, req)
		default:
			next.ServeHTTP(w, req)
		}
	})
}

func serveFire(p *Project, r *Runner, w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST "+firePath+"?timer=NAME", http.StatusMethodNotAllowed)
		return
	}
	timers, err := selectTimers(p, req.URL.Query().Get("timer"))
	if err == nil && req.URL.Query().Get("timer") == "" {
		err = errors.New("timer is required")
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	var ids []string
	for _, t := range timers {
		id, err := r.FireTimer(t.function, t.trigger, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		ids = append(ids, fmt.Sprintf("fired %s/%s: async request %s", t.function, t.trigger, id))
	}
	fmt.Fprintln(w, strings.Join(ids, "\n"))
}

// servePutEvent puts the body, one event, on the runner's local bus and
// answers with its routing in one line.
func servePutEvent(r *Runner, w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		http.Error(w, "POST "+eventPath+" with one event (JSON) as the body", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxSyncPayloadBytes+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	er, err := r.PutEvent(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, er.Line())
}

// cmdPutEvent sends one event (--event FILE, or - for stdin) to a running
// `fclocal up`, which puts it on its local bus.
func cmdPutEvent(ctx context.Context, f *cliFlags, stdin io.Reader, stdout io.Writer) (int, error) {
	if err := extraArgs(f, 1); err != nil {
		return 2, err
	}
	if f.event == "" {
		return 2, errors.New("put-event needs --event FILE (or - for stdin): the event, as EventBridge delivers it")
	}
	payload, err := readEvent(f, stdin)
	if err != nil {
		return 2, err
	}
	u := url.URL{Scheme: "http", Host: f.httpAddr, Path: eventPath}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return 2, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 2, fmt.Errorf("no fclocal up answering on %s (--http): %w", f.httpAddr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return 1, fmt.Errorf("fclocal up refused: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return 0, nil
}

// fateLabel is how a report names a fate (dry: what would happen).
func fateLabel(key string, dry bool) string {
	for _, f := range fates {
		if f.key == key {
			if dry {
				return f.dry
			}
			return f.live
		}
	}
	return key
}
