package drills_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// TestSecretsDrill: a full cycle (stop → release with snapshots,
// autorelease set / cancel / sweep / status) plus failing invocations (a
// wrong secret, persistent throttling) run with distinctive credentials in
// the FC context. No log line and no answer (body or error) contains the
// AccessKey secret, the wrong secret or the STS token.
func TestSecretsDrill(t *testing.T) {
	t.Parallel()
	const (
		secret      = "drill-SECRET-9f8e7d6c5b4a3210-must-not-leak"
		wrongSecret = "drill-WRONG-SECRET-0123456789ab-must-not-leak"
		token       = "drill-STS-TOKEN-CAIS1a2b3c4d5e6f7g8h-must-not-leak"
	)
	w := newWorld(t, ecsemu.Options{AccessKeySecret: secret, StopDelay: 20 * time.Second, SnapshotDelay: time.Minute}, map[string]string{"SWEEP_SPREAD": "0s"})
	w.Token = token
	ids := w.Env.AddFleet(t,
		ecsemu.Instance{InstanceName: "cycle-1", Tags: tags("pool", "cycle")},
		ecsemu.Instance{InstanceName: "cycle-2", Status: ecsemu.StatusStopped, Tags: tags("pool", "cycle")},
		ecsemu.Instance{InstanceName: "keeper", Tags: tags("pool", "keep", "ecs-release:ttl", "6h")},
		ecsemu.Instance{InstanceName: "tenant", Tags: tags("pool", "keep")},
	)
	var answers []string // every answer and error, as the caller sees it
	keep := func(r result) result {
		t.Helper()
		if r.Out != nil {
			raw, err := json.Marshal(r.Out)
			require.NoError(t, err)
			answers = append(answers, string(raw))
		}
		if r.Err != nil {
			answers = append(answers, r.Err.Error())
		}
		return r
	}
	stopH, releaseH, arH := handler.NewStop(w.Deps()), handler.NewRelease(w.Deps()), handler.NewAutoRelease(w.Deps())

	t.Run("full cycle", func(t *testing.T) {
		stop := keep(w.Handle(stopH, timerEvent(t, "cycle", `{"selector":{"tags":{"pool":"cycle"}},"then":"release","snapshot":true,"reason":"secrets drill"}`), call{}))
		require.NoError(t, stop.Err)
		stopAnswer := response(t, stop.Out)
		rel := keep(w.Handle(releaseH, destinationRecord(t, stopAnswer, false), call{}))
		require.NoError(t, rel.Err)
		assert.Equal(t, map[string]string{ids[0]: "released", ids[1]: "released"}, outcomes(response(t, rel.Out)))

		set := keep(w.Handle(arH, fcHTTPEvent(t, "POST", "/autorelease", fmt.Sprintf(`{"instanceIds":[%q],"after":"2h"}`, ids[3]), nil), call{}))
		require.NoError(t, set.Err)
		assert.Equal(t, "auto-release-set", outcomeOf(httpResponse(t, set.Out), ids[3]).Outcome)
		status := keep(w.Handle(arH, fcHTTPEvent(t, "GET", "/autorelease", "", map[string]string{"instanceId": ids[3]}), call{}))
		require.NoError(t, status.Err)
		assert.NotEmpty(t, outcomeOf(httpResponse(t, status.Out), ids[3]).AutoReleaseTime)
		cancel := keep(w.Handle(arH, fmt.Sprintf(`{"instanceIds":[%q],"cancel":true}`, ids[3]), call{}))
		require.NoError(t, cancel.Err)
		assert.Equal(t, "auto-release-cancelled", outcomeOf(response(t, cancel.Out), ids[3]).Outcome)
		sweep := keep(w.Handle(arH, timerEvent(t, "sweep", `{"sweep":true}`), call{}))
		require.NoError(t, sweep.Err)
		assert.Equal(t, "auto-release-set", outcomeOf(response(t, sweep.Out), ids[2]).Outcome)
	})

	t.Run("wrong secret", func(t *testing.T) {
		for _, ev := range []struct {
			h    *handler.Handler
			body string
			http bool
		}{
			{releaseH, fmt.Sprintf(`{"instanceIds":[%q]}`, ids[3]), false},
			{stopH, fcHTTPEvent(t, "POST", "/stop", fmt.Sprintf(`{"instanceIds":[%q]}`, ids[3]), nil), true},
			{arH, fcHTTPEvent(t, "GET", "/autorelease", "", map[string]string{"instanceId": ids[3]}), true},
		} {
			r := keep(w.Handle(ev.h, ev.body, call{Secret: wrongSecret}))
			if ev.http {
				require.NoError(t, r.Err)
				status, body := httpAnswer(t, r.Out)
				assert.GreaterOrEqual(t, status, 500, body)
				assert.Contains(t, body, "SignatureDoesNotMatch")
				continue
			}
			require.Error(t, r.Err)
			assert.Contains(t, r.Err.Error(), "SignatureDoesNotMatch", "the caller learns it is an authentication failure")
		}
	})

	t.Run("throttling", func(t *testing.T) {
		w.Env.Emu.InjectError("", "Throttling.User", "Request was denied due to user flow control.", 1000)
		r := keep(w.Handle(releaseH, fmt.Sprintf(`{"instanceIds":[%q]}`, ids[3]), call{RequestID: "drill-throttled", Timeout: 2 * time.Minute}))
		require.Error(t, r.Err)
		assert.Contains(t, r.Err.Error(), "Throttling")
		// The refused invocation still writes its summary: the retries it
		// spent before giving up are counted.
		var summary map[string]any
		for _, rec := range w.LogRecords("summary") {
			if rec["requestId"] == "drill-throttled" {
				summary = rec
			}
		}
		require.NotNil(t, summary, "a summary record for the refused invocation")
		assert.Positive(t, intOf(summary["retries"]))
		assert.Equal(t, intOf(summary["retries"]), intOf(summary["throttled"]))
		w.Env.Emu.InjectError("", "Throttling.User", "", 0)
	})

	// The credentials were really in play: every call carried the token.
	calls := w.Env.Emu.Calls()
	require.NotEmpty(t, calls)
	for _, c := range calls {
		assert.Equal(t, token, c.SecurityToken)
	}
	lines := strings.Split(strings.TrimSpace(w.LogText()), "\n")
	leaks := 0
	for _, s := range []string{secret, wrongSecret, token} {
		for i, line := range lines {
			if strings.Contains(line, s) {
				leaks++
				t.Errorf("log line %d leaks %.12s…: %s", i, s, line)
			}
		}
		for i, a := range answers {
			if strings.Contains(a, s) {
				leaks++
				t.Errorf("answer %d leaks %.12s…: %.500s", i, s, a)
			}
		}
	}
	assert.NotEmpty(t, w.LogRecords("release receipt"))

	faults, stats := countFaults(calls), w.retryStats()
	report(t, figures{
		Drill: "secrets", Invocations: stats.Invocations, Released: 2, ECSCalls: faults.Calls,
		Throttles: faults.Throttles, Retries: stats.Retries, ThrottledRetries: stats.Throttled,
		Note: fmt.Sprintf("%d log lines and %d answers scanned for the secret, a wrong secret and the STS token: %d leaks", len(lines), len(answers), leaks),
	})
}
