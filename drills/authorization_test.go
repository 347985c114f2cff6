package drills_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// authFleet is the fleet of the authorization drill: two instances outside
// the managed scope (one lacks the scope tag, one has another value), one
// eligible, one protected by tag and one with deletion protection, all
// with team=ci so a team selector reaches for every one of them.
type authFleet struct {
	outside, outsideOther, eligible, protected, deletionProtected string
}

func newAuthWorld(t *testing.T, vars map[string]string) (*world, authFleet) {
	all := map[string]string{"MANAGED_TAG": managedTag, "MAX_INSTANCES": "5"}
	maps.Copy(all, vars)
	w := newWorld(t, ecsemu.Options{StopDelay: 20 * time.Second}, all)
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{InstanceName: "web-1", Status: ecsemu.StatusStopped, Tags: tags("team", "ci")},
		ecsemu.Instance{InstanceName: "web-2", Tags: tags("team", "ci", managedKey, "false")},
		ecsemu.Instance{InstanceName: "ci-1", Status: ecsemu.StatusStopped, Tags: tags("team", "ci", managedKey, "true")},
		ecsemu.Instance{InstanceName: "ci-keep", Tags: tags("team", "ci", managedKey, "true", protectKey, "true")},
		ecsemu.Instance{InstanceName: "ci-db", Status: ecsemu.StatusStopped, DeletionProtection: true, Tags: tags("team", "ci", managedKey, "true")},
	)
	return w, authFleet{ids[0], ids[1], ids[2], ids[3], ids[4]}
}

// httpCall sends body to a function over its FC HTTP trigger (v1) and
// returns the status and body of the answer.
func httpCall(t *testing.T, w *world, h *handler.Handler, method, body string, query map[string]string) (int, string) {
	t.Helper()
	r := w.Handle(h, fcHTTPEvent(t, method, "/fn", body, query), call{})
	require.NoError(t, r.Err, "an HTTP caller always gets an answer")
	return httpAnswer(t, r.Out)
}

func decodeBody(t *testing.T, body string) *handler.Response {
	t.Helper()
	var resp handler.Response
	require.NoError(t, json.Unmarshal([]byte(body), &resp), body)
	return &resp
}

// TestAuthorizationDrill: over the FC HTTP trigger, a caller cannot act
// outside the deployment's configuration. Instances outside MANAGED_TAG
// are refused even when they exist and named, and no selector reaches
// them; dryRun:false under DRY_RUN=true stays dry; maxInstances above
// MAX_INSTANCES is refused; no request field turns a guard off (unknown
// fields are rejected); the protection tag and deletion protection hold
// under force:true.
func TestAuthorizationDrill(t *testing.T) {
	t.Parallel()
	var (
		mu          sync.Mutex
		kept        int
		touched     int
		refused     int
		calls       int
		invocations int
	)
	// finish checks that the refused instances are untouched and adds the
	// subtest's numbers to the drill's figures.
	finish := func(t *testing.T, w *world, untouched []string, before map[string]ecsemu.Instance) {
		t.Helper()
		owners := diskOwners(w.Env.Emu)
		n := 0
		for _, id := range untouched {
			for _, c := range w.Env.Emu.MutatingCalls() {
				if namesInstance(c, id, owners) {
					n++
					t.Errorf("%s got a mutating call: %s", id, c.Action)
				}
			}
			after, exists := w.Env.Emu.Instance(id)
			require.True(t, exists, "%s still exists", id)
			assert.Equal(t, before[id], after, "%s unchanged", id)
		}
		mu.Lock()
		defer mu.Unlock()
		kept += len(untouched)
		touched += n
		calls += len(w.Env.Emu.Calls())
		invocations += int(w.Invocations.Load())
	}
	snapshot := func(w *world, ids ...string) map[string]ecsemu.Instance {
		out := map[string]ecsemu.Instance{}
		for _, id := range ids {
			out[id], _ = w.Env.Emu.Instance(id)
		}
		return out
	}
	fns := func(w *world) map[string]*handler.Handler {
		return map[string]*handler.Handler{"stop": handler.NewStop(w.Deps()), "release": handler.NewRelease(w.Deps()), "autorelease": handler.NewAutoRelease(w.Deps())}
	}

	t.Run("outside the managed scope, named by id", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, nil)
		before := snapshot(w, f.outside, f.outsideOther)
		h := fns(w)
		for fn, body := range map[string]string{
			"stop":        fmt.Sprintf(`{"instanceIds":[%q,%q]}`, f.outside, f.outsideOther),
			"release":     fmt.Sprintf(`{"instanceIds":[%q,%q],"force":true}`, f.outside, f.outsideOther),
			"autorelease": fmt.Sprintf(`{"instanceIds":[%q,%q],"after":"2h"}`, f.outside, f.outsideOther),
		} {
			status, answer := httpCall(t, w, h[fn], "POST", body, nil)
			require.Equal(t, 200, status, answer)
			resp := decodeBody(t, answer)
			for _, id := range []string{f.outside, f.outsideOther} {
				o := outcomeOf(resp, id)
				assert.Equal(t, "skipped", o.Outcome, "%s %s", fn, id)
				assert.Contains(t, o.Reason, "managed scope", "%s %s", fn, id)
			}
		}
		// A status query learns nothing of them either.
		status, answer := httpCall(t, w, h["autorelease"], "GET", "", map[string]string{"instanceId": f.outside})
		require.Equal(t, 200, status, answer)
		o := outcomeOf(decodeBody(t, answer), f.outside)
		assert.Equal(t, "skipped", o.Outcome)
		assert.Empty(t, o.Status)
		assert.Empty(t, w.Env.Emu.MutatingCalls())
		finish(t, w, []string{f.outside, f.outsideOther}, before)
	})

	t.Run("a selector cannot reach outside the scope", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, nil)
		before := snapshot(w, f.outside, f.outsideOther, f.protected, f.deletionProtected)
		h := fns(w)
		for _, sel := range []string{
			`{"selector":{"tags":{"team":"ci"}},"force":true}`,
			`{"selector":{"tags":{"team":"ci","` + managedKey + `":"*"}},"force":true}`,
			`{"selector":{"tags":{"team":"ci","` + managedKey + `":"false"}},"force":true}`,
			`{"selector":{"name":"web-*"},"force":true}`,
			`{"selector":{"status":["Running","Stopped"]},"force":true}`,
		} {
			status, answer := httpCall(t, w, h["release"], "POST", sel, nil)
			require.Equal(t, 200, status, answer)
			for id, o := range outcomes(decodeBody(t, answer)) {
				assert.NotContains(t, []string{f.outside, f.outsideOther}, id, "%s reached %s (%s)", sel, id, o)
			}
		}
		_, exists := w.Env.Emu.Instance(f.eligible)
		assert.False(t, exists, "the one eligible instance in scope was released")
		finish(t, w, []string{f.outside, f.outsideOther, f.protected, f.deletionProtected}, before)
	})

	t.Run("dryRun:false stays dry under DRY_RUN=true", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, map[string]string{"DRY_RUN": "true"})
		before := snapshot(w, f.eligible)
		h := fns(w)
		for fn, body := range map[string]string{
			"stop":        fmt.Sprintf(`{"instanceIds":[%q],"dryRun":false}`, f.eligible),
			"release":     fmt.Sprintf(`{"instanceIds":[%q],"dryRun":false,"force":true}`, f.eligible),
			"autorelease": fmt.Sprintf(`{"instanceIds":[%q],"dryRun":false,"after":"2h"}`, f.eligible),
		} {
			status, answer := httpCall(t, w, h[fn], "POST", body, nil)
			require.Equal(t, 200, status, answer)
			resp := decodeBody(t, answer)
			assert.True(t, resp.DryRun, fn)
			assert.Equal(t, "deployment", resp.DryRunSource, fn)
			assert.Regexp(t, `^(would-|already-stopped)`, outcomeOf(resp, f.eligible).Outcome, fn)
		}
		assert.Empty(t, w.Env.Emu.MutatingCalls(), "the emulator's record: no mutating call")
		finish(t, w, []string{f.eligible}, before)
	})

	t.Run("maxInstances above MAX_INSTANCES is refused", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, nil)
		before := snapshot(w, f.eligible)
		for fn, h := range fns(w) {
			body := `{"selector":{"tags":{"team":"ci"}},"maxInstances":50}`
			if fn == "autorelease" {
				body = `{"selector":{"tags":{"team":"ci"}},"maxInstances":50,"after":"2h"}`
			}
			status, answer := httpCall(t, w, h, "POST", body, nil)
			assert.Equal(t, 400, status, answer)
			assert.Contains(t, answer, `"field":"maxInstances"`, fn)
			assert.Contains(t, answer, "above the deployment's cap of 5", fn)
		}
		assert.Empty(t, w.Env.Emu.MutatingCalls())
		finish(t, w, []string{f.eligible}, before)
	})

	t.Run("no request field turns a guard off", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, nil)
		before := snapshot(w, f.protected, f.deletionProtected, f.outside)
		h := fns(w)
		targets := fmt.Sprintf(`"instanceIds":[%q,%q,%q]`, f.protected, f.deletionProtected, f.outside)
		n := 0
		for _, extra := range []string{
			`"ignoreGuards":true`, `"protect":false`, `"guards":false`, `"skipProtection":true`,
			`"deletionProtection":false`, `"managedTag":""`, `"managedScope":false`, `"protectTag":"none=none"`,
			`"maxInstancesOverride":1000`, `"DryRun":false`, `"Force":true`, `"unsafe":true`,
		} {
			for fn, hh := range h {
				body := "{" + targets + "," + extra + "}"
				status, answer := httpCall(t, w, hh, "POST", body, nil)
				assert.Equal(t, 400, status, "%s %s: %s", fn, extra, answer)
				assert.Contains(t, answer, "unknown field", "%s %s", fn, extra)
				n++
			}
		}
		assert.Empty(t, w.Env.Emu.MutatingCalls())
		mu.Lock()
		refused += n
		mu.Unlock()
		finish(t, w, []string{f.protected, f.deletionProtected, f.outside}, before)
	})

	t.Run("protection tag and deletion protection hold under force", func(t *testing.T) {
		t.Parallel()
		w, f := newAuthWorld(t, nil)
		before := snapshot(w, f.protected, f.deletionProtected)
		h := fns(w)
		status, answer := httpCall(t, w, h["release"], "POST", fmt.Sprintf(`{"instanceIds":[%q,%q],"force":true,"forceStop":true}`, f.protected, f.deletionProtected), nil)
		require.Equal(t, 200, status, answer)
		resp := decodeBody(t, answer)
		assert.Equal(t, "skipped", outcomeOf(resp, f.protected).Outcome)
		assert.Contains(t, outcomeOf(resp, f.protected).Reason, "protected")
		assert.Equal(t, "skipped", outcomeOf(resp, f.deletionProtected).Outcome)
		assert.Contains(t, outcomeOf(resp, f.deletionProtected).Reason, "deletion protection")
		// Not stopped on the way to a release, and no auto-release time
		// (which would release it regardless of deletion protection).
		status, answer = httpCall(t, w, h["stop"], "POST", fmt.Sprintf(`{"instanceIds":[%q,%q],"then":"release","forceStop":true}`, f.protected, f.deletionProtected), nil)
		require.Equal(t, 200, status, answer)
		for id, o := range outcomes(decodeBody(t, answer)) {
			assert.Equal(t, "skipped", o, id)
		}
		status, answer = httpCall(t, w, h["autorelease"], "POST", fmt.Sprintf(`{"instanceIds":[%q,%q],"after":"1h"}`, f.protected, f.deletionProtected), nil)
		require.Equal(t, 200, status, answer)
		for id, o := range outcomes(decodeBody(t, answer)) {
			assert.Equal(t, "skipped", o, id)
		}
		assert.Empty(t, w.Env.Emu.MutatingCalls())
		finish(t, w, []string{f.protected, f.deletionProtected}, before)
	})

	t.Cleanup(func() {
		report(t, figures{
			Drill: "authorization", Invocations: invocations, Kept: kept, ECSCalls: calls, MutatingRefused: touched, Inputs: refused,
			Note: fmt.Sprintf("over the FC HTTP trigger: out-of-scope, protected and deletion-protected instances untouched under ids, selectors and force; %d guard-switching requests refused with 400", refused),
		})
	})
}
