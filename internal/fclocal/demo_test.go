package fclocal

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func assertNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		assert.NotContains(t, out, ecsemu.DefaultAccessKeySecret, "the secret key is never printed")
		assert.NotContains(t, out, "fclocal-sts-", "the STS token is never printed")
	}
}

// The demo end to end, through the same code as `fclocal` with no
// arguments (only --file, since the test runs in internal/fclocal): the
// real pre-deploy builds, the emulator and the whole cycle.
func TestDemoEndToEnd(t *testing.T) {
	start := time.Now()
	var stdout, stderr syncBuffer
	code := Main(context.Background(), []string{"--file", repoSYAML}, strings.NewReader(""), &stdout, &stderr, noEnv)
	elapsed := time.Since(start)
	out := stdout.String()
	t.Log("\n" + out)
	require.Equal(t, 0, code, "stderr: %s", stderr.String())
	// How long the demo takes is a figure (the report prints it; the
	// README gives it), not something a unit test should time.
	t.Logf("demo took %v", elapsed.Round(time.Millisecond))
	assertNoSecrets(t, out, stderr.String())

	assert.Regexp(t, `\n  DRY_RUN +false: forced by the demo`, out)
	assert.Regexp(t, `\n  SPOT_SNAPSHOT +true: set by the demo`, out)
	assert.Regexp(t, `\n  timers +fired once each, now: ecs-stop/nightly-cleanup, ecs-autorelease/hourly-sweep\n`, out)
	assert.Regexp(t, `ecs-stop +timer:nightly-cleanup +async .* ok .*stopping=4.*\[onSuccess -> ecs-release\]`, out)
	assert.Regexp(t, `ecs-release +destination:onSuccess:ecs-stop +async .* ok released=5`, out)
	// The emulator's spot interruption and the job-completion event went
	// through the local bus to release's EventBridge triggers.
	assert.Regexp(t, `ecs-release +eventbridge:spot-interrupted +async .* ok skipped=1`, out)
	assert.Regexp(t, `ecs-release +eventbridge:job-completed +async .* ok released=1`, out)
	assert.Regexp(t, `event ecs:Instance:PreemptibleInstanceInterruption from acs\.ecs about acs:ecs:cn-hangzhou:\d+:instance/i-demospot -> ecs-release \(trigger spot-interrupted, async`, out)
	assert.Regexp(t, `event job:Completed from batch\.jobs about acs:ecs:cn-shanghai:\d+:instance/i-demoregion2 -> ecs-release \(trigger job-completed, async`, out)
	assert.Regexp(t, `ecs-autorelease +timer:hourly-sweep +async .* ok auto-release-set=2 skipped=1`, out)
	// Stopped then released, with the reasons from the answers.
	assert.Regexp(t, `(?s)i-demoold01 +ci-runner-old-1 +RELEASED\n.*?ecs-stop +stopping +stop requested.*?\n +ecs-release +released +released and verified gone`, out)
	assert.Regexp(t, `(?s)i-demostopped .*?RELEASED\n.*?ecs-stop +already-stopped.*?ecs-release +released`, out)
	// Skipped, each with its reason.
	assert.Regexp(t, `(?s)i-demoprotected .*?ecs-stop +skipped +\[protected\] protected by tag ecs-release:protect=true`, out)
	assert.Regexp(t, `(?s)i-demolocked .*?ecs-stop +skipped +\[locked:security\] locked \(OperationLocks: security\)`, out)
	assert.Regexp(t, `(?s)i-demodelprot .*?Running\n.*?ecs-stop +skipped +\[deletion-protection\] deletion protection is on`, out)
	// The real cloud's hazards, each with its code.
	assert.Regexp(t, `(?s)i-demoasg .*?Running\n.*?ecs-stop +skipped +\[auto-scaling\] a member of Auto Scaling group asg-ci`, out)
	assert.Regexp(t, `(?s)i-demoacknode .*?Running\n.*?ecs-stop +skipped +\[kubernetes-node\]`, out)
	assert.Regexp(t, `(?s)i-demoarrears .*?Running\n.*?ecs-stop +skipped +\[locked:financial\]`, out)
	assert.Regexp(t, `(?s)i-demolocalssd .*?RELEASED\n.*?ecs-stop +stopping +stop requested \(KeepCharging\): ECS refused economical mode .*?\n +ecs-release +released `, out)
	assert.Regexp(t, `(?s)i-demospot .*?RECLAIMED by ECS\n.*?ecs-stop +skipped +\[locked:recycling\].*?\n +ecs-release +skipped +\[spot-interruption\] ECS is reclaiming .*?snapshots of 1 data disk started`+
		`.*?receipt: lost: disk d-\S+ \(data, cloud_essd, 100 GiB\) is deleted with the instance`+
		`.*?receipt: snapshot s-\S+ of disk d-\S+: progressing when answered; accomplished at the end, and kept`, out)
	assert.Regexp(t, `(?s)i-demoregion2 +batch-worker-shanghai +RELEASED\n.*?\n +ecs-release +released +released and verified gone`, out)
	// Not selected, and TTL sweeps.
	assert.Regexp(t, `(?s)i-demoyoung .*?Running\n.*?no policy selected it`, out)
	assert.Regexp(t, `(?s)i-demooutside .*?Running\n.*?no policy selected it`, out)
	assert.Regexp(t, `(?s)i-demottl +dev-box-ttl +Running, auto-release \S+\n.*?ecs-autorelease +auto-release-set`, out)
	assert.Contains(t, out, "19, each counted once: 6 released, 1 reclaimed by ECS (spot interruption), 2 given an auto-release time, 6 skipped with a reason, 4 not selected")
	assert.Regexp(t, `ECS API calls +\d+: CreateSnapshot=1 DeleteInstances=2 .*StopInstances=3`, out)
	assert.Contains(t, out, "events          2 put on the bus, 2 invocations started by them")
	assert.Contains(t, out, "invocations     5 (0 retries, 0 failed)")
	m := regexp.MustCompile(`time +([0-9.]+m?s) total`).FindStringSubmatch(out)
	require.NotNil(t, m)
	// The money, from DescribePrice: what the cycle saves an hour, and the
	// data disk kept after its instance that still bills.
	assert.Regexp(t, `money +[0-9.]+ CNY/hour estimated savings, 0\.14 CNY/hour still billing`, out)
	// What the team sees in DingTalk (the local sink stands in for it):
	// stop's and release's messages mention the owner of the old runners,
	// with the saving; the sweep warns dev_lin of the release due soon.
	assert.Contains(t, out, "Notifications (4 messages received by the local sink standing in for dingtalk)")
	assert.Regexp(t, `(?s)── dingtalk \(mentions 13800000001\) ──\n.*?stop \(cn-hangzhou\): 4 stopping.*?Estimated savings: CNY 0\.96/hour \(3 instances\).*?Owner: @13800000001\n +- ci-runner-old-1 \(i-demoold01\)`, out)
	assert.Regexp(t, `(?s)Owner: @13800000001\n +- ci-runner-old-2 \(i-demoold02\): released: released and verified gone; still-billing: d-\S+ \(CNY 0\.14/hour\)`, out)
	assert.Regexp(t, `(?s)── dingtalk \(mentions dev_lin\) ──.*?Owner: @dev_lin\n +- dev-box-ttl-past \(i-demottlpast\): auto-release-set.*?release-soon`, out)
	golden(t, "demo-live.txt", out)

	// The demo built the functions into the code directories: the other
	// commands can now run with --no-build.
	t.Run("dry run", func(t *testing.T) { testDryRunReport(t) })
	t.Run("invoke", func(t *testing.T) { testInvokeCommand(t) })
	t.Run("up", func(t *testing.T) { testUpCommand(t) })
	t.Run("preview", func(t *testing.T) { testPreviewCommand(t) })
}

func testInvokeCommand(t *testing.T) {
	// Synchronous: the answer on stdout.
	var stdout, stderr syncBuffer
	code := Main(context.Background(), []string{"invoke", "ecs-autorelease", "--file", repoSYAML, "--no-build", "--event", "-"},
		strings.NewReader(`{"instanceIds":["i-demottl"],"after":"2h"}`), &stdout, &stderr, noEnv)
	require.Equal(t, 0, code, stderr.String())
	var ans handler.Response
	require.NoError(t, json.Unmarshal([]byte(stdout.String()), &ans), stdout.String())
	assert.Equal(t, "autorelease", ans.Function)
	assert.True(t, ans.DryRun, "s.yaml's DRY_RUN=true applies outside the demo")
	require.Len(t, ans.Instances, 1)
	assert.Equal(t, handler.OutcomeWouldSetAutoRelease, ans.Instances[0].Outcome)
	assert.Contains(t, stderr.String(), "ecs-autorelease")

	// A function error: exit 1, the error on stderr.
	stdout, stderr = syncBuffer{}, syncBuffer{}
	code = Main(context.Background(), []string{"invoke", "stop", "--file", repoSYAML, "--no-build", "--event", "-"},
		strings.NewReader(`{"instanceIds":["not-an-id"]}`), &stdout, &stderr, noEnv)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "function error")
	assert.Contains(t, stderr.String(), "instanceIds")

	// Async: 202 and the request id on stdout, progress on stderr; the
	// stop hands over to release through the destination.
	stdout, stderr = syncBuffer{}, syncBuffer{}
	code = Main(context.Background(), []string{"invoke", "ecs-stop", "--async", "--file", repoSYAML, "--no-build", "--set", "DRY_RUN=false", "--set", "WAIT_MIN_DELAY=200ms", "--event", "-"},
		strings.NewReader(`{"instanceIds":["i-demoold01"],"then":"release"}`), &stdout, &stderr, noEnv)
	require.Equal(t, 0, code, stderr.String())
	var accepted struct {
		RequestID string `json:"requestId"`
		Status    int    `json:"status"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout.String()), &accepted))
	assert.Equal(t, 202, accepted.Status)
	assert.Contains(t, stderr.String(), accepted.RequestID)
	assert.Regexp(t, `ecs-release +destination:onSuccess:ecs-stop .* ok released=1`, stderr.String())
	assertNoSecrets(t, stdout.String(), stderr.String())

	// Usage errors.
	for _, args := range [][]string{{"invoke"}, {"invoke", "ghost", "--file", repoSYAML, "--no-build"}, {"bogus"}, {"--real", "--endpoint", "http://x"}} {
		stderr = syncBuffer{}
		assert.Equal(t, 2, Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr, noEnv), args)
		assert.NotEmpty(t, stderr.String())
	}
	// A non-JSON event file is refused before anything runs, naming the
	// file and where it goes wrong.
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("{\"instanceIds\": [\"i-a\",\n  oops]}"), 0o644))
	stderr = syncBuffer{}
	assert.Equal(t, 2, Main(context.Background(), []string{"invoke", "ecs-stop", "--file", repoSYAML, "--no-build", "--event", bad}, strings.NewReader(""), &stdout, &stderr, noEnv))
	assert.Contains(t, stderr.String(), "--event "+bad+": not JSON at line 2, column 3: invalid character 'o'")
	assert.NotContains(t, stderr.String(), "ecs-stop ", "no invocation ran")

	// --real without credentials is refused before anything runs.
	stderr = syncBuffer{}
	assert.Equal(t, 2, Main(context.Background(), []string{"invoke", "stop", "--real", "--file", repoSYAML, "--no-build"}, strings.NewReader(""), &stdout, &stderr, noEnv))
	assert.Contains(t, stderr.String(), "ALIBABA_CLOUD_ACCESS_KEY_ID")
}

func testUpCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"up", "--file", repoSYAML, "--no-build", "--http", "127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr, noEnv)
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`http +http +POST (http://127\.0\.0\.1:\d+)/ecs-stop/`).FindStringSubmatch(stdout.String())
		if m != nil && strings.Contains(stdout.String(), "serving") {
			base = m[1]
			return true
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "up did not start: %s %s", stdout.String(), stderr.String())
	out := stdout.String()
	assert.Regexp(t, `timer nightly-cleanup +"CRON_TZ=Asia/Shanghai 0 0 2 \* \* \*" next \d{4}-\d\d-\d\dT18:00:00Z`, out)
	assert.Contains(t, out, `eventbridge job-completed {"source":["batch.jobs"],"type":["job:Completed"]}, async: events that match it (the emulator's events; fclocal put-event) invoke ecs-release`)
	assert.Contains(t, out, `eventbridge spot-interrupted {"source":["acs.ecs"],"type":["ecs:Instance:PreemptibleInstanceInterruption"]}, async`)
	assert.NotContains(t, out, "listed only")
	assert.Contains(t, out, "signature not checked locally")
	assert.Contains(t, out, "DRY_RUN=true")

	// A 4xx is logged as method, path, status and the error, unescaped.
	resp4, body4 := do(t, http.MethodPost, base+"/ecs-stop/", []byte(`{"instanceIds":["i-BAD"]}`), map[string]string{"Content-Type": "application/json"})
	require.Equal(t, http.StatusBadRequest, resp4.StatusCode, string(body4))
	require.Eventually(t, func() bool {
		return strings.Contains(stdout.String(), resp4.Header.Get("X-Fc-Request-Id"))
	}, 5*time.Second, 20*time.Millisecond)
	line4 := regexp.MustCompile(`.*` + resp4.Header.Get("X-Fc-Request-Id") + `.*`).FindString(stdout.String())
	assert.Regexp(t, `HTTP 400 POST /ecs-stop/: InvalidRequest: body\.instanceIds\[0\]: "i-BAD" is not a valid instance ID`, line4)
	assert.NotContains(t, line4, `\"`, "no escaped JSON")

	// fclocal fire: one timer now, through the running up.
	var fout, ferr syncBuffer
	addr := strings.TrimPrefix(base, "http://")
	require.Equal(t, 0, Main(ctx, []string{"fire", "hourly-sweep", "--http", addr}, strings.NewReader(""), &fout, &ferr, noEnv), ferr.String())
	assert.Regexp(t, `^fired ecs-autorelease/hourly-sweep: async request 1-\S+\n$`, fout.String())
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`ecs-autorelease +timer:hourly-sweep +async .* ok skipped=1 would-set-auto-release=2 \(dry run\)`).MatchString(stdout.String())
	}, 10*time.Second, 20*time.Millisecond, "the fired timer ran: %s", stdout.String())
	fout, ferr = syncBuffer{}, syncBuffer{}
	assert.Equal(t, 1, Main(ctx, []string{"fire", "ghost", "--http", addr}, strings.NewReader(""), &fout, &ferr, noEnv))
	assert.Contains(t, ferr.String(), `names no enabled timer (there are: ecs-stop/nightly-cleanup, ecs-autorelease/hourly-sweep)`)

	// An emulator event reaches the trigger it matches: a spot
	// interruption through the emulator's admin API goes to ecs-release.
	emuURL := regexp.MustCompile(`ECS: in-process ECS emulator at (http://127\.0\.0\.1:\d+),`).FindStringSubmatch(out)
	require.NotNil(t, emuURL, out)
	respI, bodyI := do(t, http.MethodPost, emuURL[1]+"/_emulator/spot-interrupt?instanceId=i-demospot", nil, nil)
	require.Equal(t, http.StatusOK, respI.StatusCode, string(bodyI))
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`event ecs:Instance:PreemptibleInstanceInterruption from acs\.ecs about acs:ecs:cn-hangzhou:\d+:instance/i-demospot -> ecs-release \(trigger spot-interrupted, async request 1-`).MatchString(stdout.String()) &&
			regexp.MustCompile(`ecs-release +eventbridge:spot-interrupted +async .* ok skipped=1 \(dry run\)`).MatchString(stdout.String())
	}, 10*time.Second, 20*time.Millisecond, "the interruption reached ecs-release: %s", stdout.String())
	// fclocal put-event: a job-completion event, through the running up.
	fout, ferr = syncBuffer{}, syncBuffer{}
	job := `{"specversion":"1.0","id":"j-1","source":"batch.jobs","type":"job:Completed","data":{"instanceId":"acs:ecs:cn-shanghai:123456789012:instance/i-demoregion2","status":"succeeded"}}`
	require.Equal(t, 0, Main(ctx, []string{"put-event", "--event", "-", "--http", addr}, strings.NewReader(job), &fout, &ferr, noEnv), ferr.String())
	assert.Regexp(t, `^event job:Completed from batch\.jobs about acs:ecs:cn-shanghai:123456789012:instance/i-demoregion2 -> ecs-release \(trigger job-completed, async request 1-\S+\)\n$`, fout.String())
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`ecs-release +eventbridge:job-completed +async .* ok would-release=1 \(dry run\)`).MatchString(stdout.String())
	}, 10*time.Second, 20*time.Millisecond, "the job event reached ecs-release: %s", stdout.String())
	fout, ferr = syncBuffer{}, syncBuffer{}
	assert.Equal(t, 1, Main(ctx, []string{"put-event", "--event", "-", "--http", addr}, strings.NewReader(`[1]`), &fout, &ferr, noEnv))
	assert.Contains(t, ferr.String(), "an event is one JSON object")
	assert.Equal(t, 2, Main(ctx, []string{"put-event", "--http", addr}, strings.NewReader(""), &fout, &ferr, noEnv), "--event is required")

	resp, body := do(t, http.MethodPost, base+"/ecs-stop/", []byte(`{"instanceIds":["i-demoold02"]}`), map[string]string{"Content-Type": "application/json"})
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`ecs-stop +http:http +sync +` + resp.Header.Get("X-Fc-Request-Id") + ` .* HTTP 200 would-stop=1 \(dry run\)`).MatchString(stdout.String())
	}, 5*time.Second, 20*time.Millisecond, "one progress line per invocation: %s", stdout.String())
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("up did not stop")
	}
	assertNoSecrets(t, stdout.String(), stderr.String())
}

// The dry-run report, which an operator reads before going live, speaks of
// what would happen: its descriptions and totals count would-*, each
// instance once.
func testDryRunReport(t *testing.T) {
	var stdout, stderr syncBuffer
	code := Main(context.Background(), []string{"--file", repoSYAML, "--no-build", "--set", "DRY_RUN=true"}, strings.NewReader(""), &stdout, &stderr, noEnv)
	require.Equal(t, 0, code, stderr.String())
	out := stdout.String()
	t.Log("\n" + out)
	assert.Contains(t, out, "19, each counted once: 6 would be released, 1 reclaimed by ECS (spot interruption), 2 would be given an auto-release time, 6 skipped with a reason, 4 not selected")
	assert.Contains(t, out, "dry run: would snapshot 1 data disk")
	assert.Regexp(t, `ECS API calls +\d+: DescribeDisks=\d+ DescribeInstances=\d+ DescribePrice=\d+\n`, out, "a dry run only reads")
	assert.Contains(t, out, "Notifications (0 messages received by the local sink standing in for dingtalk)", "previews are not notified by default (NOTIFY_ON)")
	assert.NotRegexp(t, `would-release.*\n.*stopped, then released`, out)
	assert.NotContains(t, out, "would TTL")
	assert.Contains(t, out, "would be stopped, then released")
	golden(t, "demo-dry.txt", out)
}

// fclocal preview: s.yaml's timers fired once with dry run forced on,
// through the chain, and a report of what would happen to each instance.
func testPreviewCommand(t *testing.T) {
	var stdout, stderr syncBuffer
	code := Main(context.Background(), []string{"preview", "--file", repoSYAML, "--no-build"}, strings.NewReader(""), &stdout, &stderr, noEnv)
	require.Equal(t, 0, code, stderr.String())
	out := stdout.String()
	t.Log("\n" + out)
	assert.Contains(t, out, "what ecs-stop/nightly-cleanup and ecs-autorelease/hourly-sweep would do, in dry run")
	assert.Regexp(t, `ecs-release +destination:onSuccess:ecs-stop .* ok would-release=6 \(dry run\)`, out)
	assert.Regexp(t, `(?s)i-demoold01  WOULD BE RELEASED\n +ecs-stop +would-stop .*\n +ecs-release +would-release `, out)
	assert.Regexp(t, `(?s)i-demolocked  SKIPPED\n +ecs-stop +skipped +\[locked:security\] locked`, out)
	assert.Regexp(t, `(?s)i-demoasg  SKIPPED\n +ecs-stop +skipped +\[auto-scaling\]`, out)
	assert.Contains(t, out, "14, each counted once: 6 would be released, 2 would be given an auto-release time, 6 skipped with a reason")
	assertNoSecrets(t, out, stderr.String())
	golden(t, "preview.txt", out)

	// One timer only.
	stdout, stderr = syncBuffer{}, syncBuffer{}
	code = Main(context.Background(), []string{"preview", "--timer", "hourly-sweep", "--file", repoSYAML, "--no-build"}, strings.NewReader(""), &stdout, &stderr, noEnv)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "what ecs-autorelease/hourly-sweep would do")
	assert.NotContains(t, stdout.String(), "ecs-stop")
	assert.Contains(t, stdout.String(), "3, each counted once: 0 would be released, 2 would be given an auto-release time, 1 skipped with a reason")

	// --real reads the account with dry run forced, and says so. The
	// endpoint is an emulator here (ECS_ENDPOINT, as in s.yaml), its
	// demo fleet, its key pair given as a user's would be.
	emu, err := ecsemu.New(ecsemu.Options{Region: "cn-hangzhou"})
	require.NoError(t, err)
	p, err := LoadFile(repoSYAML, noEnv)
	require.NoError(t, err)
	_, err = emu.AddInstances(DemoSpecs(DemoFleet(time.Now(), DemoPolicyFor(p, nil))))
	require.NoError(t, err)
	le, err := StartEmulator(emu, "127.0.0.1:0")
	require.NoError(t, err)
	defer le.Close()
	creds := map[string]string{"ALIBABA_CLOUD_ACCESS_KEY_ID": ecsemu.DefaultAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ecsemu.DefaultAccessKeySecret}
	env := func(k string) (string, bool) { v, ok := creds[k]; return v, ok }
	stdout, stderr = syncBuffer{}, syncBuffer{}
	code = Main(context.Background(), []string{"preview", "--real", "--region", "cn-hangzhou", "--set", "ECS_ENDPOINT=" + le.URL, "--file", repoSYAML, "--no-build"}, strings.NewReader(""), &stdout, &stderr, env)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stderr.String(), "fclocal: --real: dry run applies (DRY_RUN=true for every function)")
	assert.Contains(t, stdout.String(), "REAL ECS in cn-hangzhou")
	assert.Contains(t, stdout.String(), "14, each counted once: 6 would be released")
	assertNoSecrets(t, stdout.String(), stderr.String())
	for _, c := range emu.Calls() {
		assert.False(t, c.Mutating, "a preview changes nothing: %s", c.Action)
	}

	// Refused before anything runs.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"preview", "--set", "DRY_RUN=false"}, "a preview is always a dry run"},
		{[]string{"preview", "--timer", "ghost"}, `--timer "ghost" names no enabled timer (there are: ecs-stop/nightly-cleanup, ecs-autorelease/hourly-sweep)`},
		{[]string{"preview", "--real"}, "ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{[]string{"preview", "--event", "x.json"}, "--event and --async are for invoke"},
	} {
		stdout, stderr = syncBuffer{}, syncBuffer{}
		args := append(tc.args, "--file", repoSYAML, "--no-build")
		assert.Equal(t, 2, Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr, noEnv), args)
		assert.Contains(t, stderr.String(), tc.want, args)
	}
}
