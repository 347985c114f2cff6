package fcruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// echofnBinary is testdata/echofn built once for the whole run (TestMain).
var echofnBinary string

const pollerEnv = "FCRUNTIME_TEST_POLLER"

func TestMain(m *testing.M) {
	switch os.Getenv(pollerEnv) {
	case "":
	case "hang": // a process that never polls
		time.Sleep(time.Minute)
		return
	case "crashy": // first run: poll, exit on the first invocation; later runs: exit at start
		marker := os.Getenv("FCRUNTIME_TEST_MARKER")
		if _, err := os.Stat(marker); err == nil {
			os.Exit(7)
		}
		_ = os.WriteFile(marker, nil, 0o600)
		resp, err := http.Get("http://" + os.Getenv("FC_RUNTIME_API") + "/" + APIVersion + "/runtime/invocation/next")
		if err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	default:
		runPoller()
		return
	}
	dir, err := os.MkdirTemp("", "fcruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	echofnBinary = filepath.Join(dir, "main") // go1 handler name
	build := exec.Command("go", "build", "-o", echofnBinary, "./testdata/echofn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/echofn: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Test credentials: fake, but treated as secrets.
var testCreds = Credentials{
	AccessKeyID:     "STS.test-ak-id",
	AccessKeySecret: "test-secret-do-not-leak",
	SecurityToken:   "test-token-do-not-leak",
}

// lockedBuffer collects process output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func echoFunction() Function {
	return Function{
		Name:        "ecs-stop",
		Binary:      echofnBinary,
		MemoryMB:    256,
		Timeout:     2500 * time.Millisecond,
		Region:      "cn-hangzhou",
		AccountID:   "1234567890",
		Credentials: testCreds,
	}
}

// start starts fn, stops it at cleanup and logs its output if the test failed.
func start(t *testing.T, fn Function) *Instance {
	t.Helper()
	out := &lockedBuffer{}
	fn.Stdout, fn.Stderr = out, out
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	inst, err := Start(ctx, fn)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		inst.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	return inst
}

// reply mirrors testdata/echofn's Reply.
type reply struct {
	Event           json.RawMessage   `json:"event"`
	HasFcContext    bool              `json:"hasFcContext"`
	RequestID       string            `json:"requestId"`
	AccessKeyID     string            `json:"accessKeyId"`
	AccessKeySecret string            `json:"accessKeySecret"`
	SecurityToken   string            `json:"securityToken"`
	FunctionName    string            `json:"functionName"`
	Handler         string            `json:"handler"`
	Memory          string            `json:"memory"`
	Timeout         int               `json:"timeout"`
	Region          string            `json:"region"`
	AccountID       string            `json:"accountId"`
	RetryCount      int               `json:"retryCount"`
	Qualifier       string            `json:"qualifier"`
	HasDeadline     bool              `json:"hasDeadline"`
	DeadlineMS      int64             `json:"deadlineMs"`
	PID             int               `json:"pid"`
	Cwd             string            `json:"cwd"`
	Env             map[string]string `json:"env"`
}

// invokeOK invokes and requires success, returning the decoded echo reply.
func invokeOK(t *testing.T, inst *Instance, payload string, opts InvokeOptions) (Result, reply) {
	t.Helper()
	res, err := inst.Invoke(context.Background(), []byte(payload), opts)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	if res.Err != nil {
		t.Fatalf("Invoke(%s): function error %+v", payload, *res.Err)
	}
	var r reply
	if err := json.Unmarshal(res.Payload, &r); err != nil {
		t.Fatalf("decoding reply %q: %v", res.Payload, err)
	}
	return res, r
}

func TestRoundTripDeliversEveryHeader(t *testing.T) {
	t.Parallel()
	fn := echoFunction()
	fn.Env = []string{"ECHOFN_EXTRA=1", "FC_REGION=overridden-by-fc"}
	inst := start(t, fn)
	if inst.ColdStart() <= 0 {
		t.Errorf("ColdStart = %v, want > 0", inst.ColdStart())
	}
	if inst.PID() <= 0 {
		t.Errorf("PID = %d", inst.PID())
	}

	deadline := time.Now().Add(5 * time.Second)
	payload := `{"action":"echo","instanceIds":["i-1"]}`
	res, r := invokeOK(t, inst, payload, InvokeOptions{RequestID: "req-1", RetryCount: 2, Deadline: deadline})

	if res.RequestID != "req-1" || r.RequestID != "req-1" {
		t.Errorf("request id: result %q, fccontext %q", res.RequestID, r.RequestID)
	}
	if string(r.Event) != payload {
		t.Errorf("event = %s, want %s", r.Event, payload)
	}
	if !r.HasFcContext {
		t.Fatal("no FcContext in the handler's context")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"AccessKeyId", r.AccessKeyID, testCreds.AccessKeyID},
		{"AccessKeySecret", r.AccessKeySecret, testCreds.AccessKeySecret},
		{"SecurityToken", r.SecurityToken, testCreds.SecurityToken},
		{"Function.Name", r.FunctionName, "ecs-stop"},
		{"Function.Handler", r.Handler, "main"},
		{"Function.Memory", r.Memory, "256"},
		{"Function.Timeout", r.Timeout, 3}, // 2.5 s rounded up
		{"Region", r.Region, "cn-hangzhou"},
		{"AccountId", r.AccountID, "1234567890"},
		{"RetryCount", r.RetryCount, 2},
		{"Service.Qualifier", r.Qualifier, "LATEST"},
		{"PID", r.PID, inst.PID()},
		{"cwd", r.Cwd, filepath.Dir(echofnBinary)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !r.HasDeadline {
		t.Error("handler context has no deadline")
	} else if diff := time.UnixMilli(r.DeadlineMS).Sub(deadline); diff < -time.Second || diff > time.Second {
		t.Errorf("ctx deadline off by %v", diff)
	}

	env := r.Env
	wantEnv := map[string]string{
		"FC_FUNCTION_NAME":                "ecs-stop",
		"FC_FUNCTION_HANDLER":             "main",
		"FC_FUNCTION_MEMORY_SIZE":         "256",
		"FC_REGION":                       "cn-hangzhou", // FC's value wins over Env
		"FC_ACCOUNT_ID":                   "1234567890",
		"FC_FUNC_CODE_PATH":               filepath.Dir(echofnBinary),
		"ALIBABA_CLOUD_ACCESS_KEY_ID":     testCreds.AccessKeyID,
		"ALIBABA_CLOUD_ACCESS_KEY_SECRET": testCreds.AccessKeySecret,
		"ALIBABA_CLOUD_SECURITY_TOKEN":    testCreds.SecurityToken,
		"ECHOFN_EXTRA":                    "1",
	}
	for k, v := range wantEnv {
		if env[k] != v {
			t.Errorf("env %s = %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env["FC_RUNTIME_API"], "127.0.0.1:") {
		t.Errorf("FC_RUNTIME_API = %q", env["FC_RUNTIME_API"])
	}
	if env["FC_INSTANCE_ID"] == "" {
		t.Error("FC_INSTANCE_ID not set")
	}
	if res.Duration <= 0 || res.Latency < res.Duration {
		t.Errorf("Duration %v, Latency %v", res.Duration, res.Latency)
	}

	// Defaults: generated request id, deadline now + Timeout, retry 0.
	before := time.Now()
	res, r = invokeOK(t, inst, `"just a string"`, InvokeOptions{})
	if res.RequestID == "" || r.RequestID != res.RequestID {
		t.Errorf("generated request id: result %q, fccontext %q", res.RequestID, r.RequestID)
	}
	if string(r.Event) != `"just a string"` || r.RetryCount != 0 {
		t.Errorf("event %s, retry %d", r.Event, r.RetryCount)
	}
	want := before.Add(fn.Timeout)
	if diff := time.UnixMilli(r.DeadlineMS).Sub(want); diff < -time.Second || diff > time.Second {
		t.Errorf("default deadline off by %v", diff)
	}
}

func TestHandlerErrorIsReported(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	res, err := inst.Invoke(context.Background(), []byte(`{"action":"error","message":"instance i-1 is locked"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil {
		t.Fatalf("no error; payload %s", res.Payload)
	}
	if res.Err.ErrorMessage != "instance i-1 is locked" || res.Err.ErrorType != "errorString" {
		t.Errorf("Err = %+v", *res.Err)
	}
	if len(res.Err.StackTrace) != 0 || res.Synthesized || res.Payload != nil {
		t.Errorf("unexpected stack %v, synthesized %v, payload %q", res.Err.StackTrace, res.Synthesized, res.Payload)
	}
	// The instance keeps serving.
	invokeOK(t, inst, `{}`, InvokeOptions{})
	if inst.Restarts() != 0 {
		t.Errorf("Restarts = %d", inst.Restarts())
	}
}

func TestPanicIsReportedWithStackTrace(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	pid := inst.PID()
	res, err := inst.Invoke(context.Background(), []byte(`{"action":"panic","message":"kaboom"}`), InvokeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || res.Err.ErrorMessage != "kaboom" || res.Err.ErrorType != "string" || res.Synthesized {
		t.Fatalf("result %+v, Err %+v", res, res.Err)
	}
	if len(res.Err.StackTrace) == 0 {
		t.Fatal("no stack trace")
	}
	found := false
	for _, f := range res.Err.StackTrace {
		if f.Label == "handle" && strings.HasSuffix(f.Path, "main.go") && f.Line > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("stack trace does not name the handler: %+v", res.Err.StackTrace)
	}

	// The next invocation works. fc-runtime-go-sdk v0.3.1 recovers the
	// panic, posts it and keeps polling (handleInvoke's error is only
	// logged), so the process survives; were it to exit, the next Invoke
	// would restart it (TestCrashRestartsProcess).
	_, r := invokeOK(t, inst, `{}`, InvokeOptions{})
	if r.PID != pid || inst.Restarts() != 0 {
		t.Errorf("after a handler panic: pid %d -> %d, restarts %d; SDK behaviour changed?", pid, r.PID, inst.Restarts())
	}
}

func TestCrashRestartsProcess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, event, wantMsg string }{
		{"exit", `{"action":"exit","code":3}`, "exit status 3"},
		{"goroutine panic", `{"action":"crash","message":"boom"}`, "exit status 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inst := start(t, echoFunction())
			pid := inst.PID()
			res, err := inst.Invoke(context.Background(), []byte(tc.event), InvokeOptions{RequestID: "crash-1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Err == nil || res.Err.ErrorType != ErrorTypeProcessExited || !res.Synthesized {
				t.Fatalf("result %+v, Err %+v", res, res.Err)
			}
			if !strings.Contains(res.Err.ErrorMessage, tc.wantMsg) {
				t.Errorf("message %q does not contain %q", res.Err.ErrorMessage, tc.wantMsg)
			}
			if res.RequestID != "crash-1" {
				t.Errorf("RequestID = %q", res.RequestID)
			}
			// Restarted lazily by the next Invoke.
			_, r := invokeOK(t, inst, `{}`, InvokeOptions{})
			if r.PID == pid || inst.Restarts() != 1 || inst.PID() != r.PID {
				t.Errorf("pid %d -> %d (PID() %d), restarts %d", pid, r.PID, inst.PID(), inst.Restarts())
			}
		})
	}
}

func TestTimeoutDiscardsInstance(t *testing.T) {
	t.Parallel()
	fn := echoFunction()
	fn.Timeout = time.Second
	inst := start(t, fn)
	pid := inst.PID()

	// A bystander on the same process with a later deadline: the process
	// is killed under it.
	type outcome struct {
		res Result
		err error
	}
	bystander := make(chan outcome, 1)
	go func() {
		res, err := inst.Invoke(context.Background(), []byte(`{"action":"sleep","sleepMs":3000}`),
			InvokeOptions{RequestID: "bystander", Deadline: time.Now().Add(5 * time.Second)})
		bystander <- outcome{res, err}
	}()

	begin := time.Now()
	res, err := inst.Invoke(context.Background(), []byte(`{"action":"sleep","sleepMs":10000}`), InvokeOptions{RequestID: "slow"})
	elapsed := time.Since(begin)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || res.Err.ErrorType != ErrorTypeTimeout || !res.Synthesized || res.RequestID != "slow" {
		t.Fatalf("result %+v, Err %+v", res, res.Err)
	}
	if !strings.Contains(res.Err.ErrorMessage, "timed out") {
		t.Errorf("message %q", res.Err.ErrorMessage)
	}
	if elapsed < 900*time.Millisecond || elapsed > 2*time.Second {
		t.Errorf("timed out after %v, want about 1s", elapsed)
	}

	b := <-bystander
	if b.err != nil || b.res.Err == nil || b.res.Err.ErrorType != ErrorTypeProcessExited ||
		!strings.Contains(b.res.Err.ErrorMessage, "request slow timed out") {
		t.Errorf("bystander: err %v, result %+v, Err %+v", b.err, b.res, b.res.Err)
	}

	_, r := invokeOK(t, inst, `{}`, InvokeOptions{})
	if r.PID == pid || inst.Restarts() != 1 {
		t.Errorf("after timeout: pid %d -> %d, restarts %d", pid, r.PID, inst.Restarts())
	}
}

func TestRestartThatDiesAtStartupDoesNotLoop(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "started")
	inst := start(t, Function{Binary: self, Env: []string{pollerEnv + "=crashy", "FCRUNTIME_TEST_MARKER=" + marker}})
	res, err := inst.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
	if err != nil || res.Err == nil || !strings.Contains(res.Err.ErrorMessage, "exit status 1") {
		t.Fatalf("first: err %v, Err %+v", err, res.Err)
	}
	for n := 1; n <= 2; n++ {
		res, err = inst.Invoke(context.Background(), []byte(`{}`), InvokeOptions{})
		if err != nil || res.Err == nil || res.Err.ErrorType != ErrorTypeProcessExited ||
			!strings.Contains(res.Err.ErrorMessage, "before polling") || !strings.Contains(res.Err.ErrorMessage, "exit status 7") {
			t.Fatalf("restart %d: err %v, Err %+v", n, err, res.Err)
		}
		// One start attempt per Invoke, no loop.
		if got := inst.Restarts(); got != n {
			t.Errorf("Restarts = %d, want %d", got, n)
		}
	}
}

func TestConcurrentInvokes(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	begin := time.Now()
	for k := range n {
		wg.Go(func() {
			id := fmt.Sprintf("conc-%d", k)
			payload := fmt.Sprintf(`{"action":"sleep","sleepMs":300,"k":%d}`, k)
			res, err := inst.Invoke(context.Background(), []byte(payload), InvokeOptions{RequestID: id})
			if err != nil || res.Err != nil {
				errs <- fmt.Errorf("%s: err %v, function error %v", id, err, res.Err)
				return
			}
			var r reply
			if err := json.Unmarshal(res.Payload, &r); err != nil {
				errs <- err
				return
			}
			if res.RequestID != id || r.RequestID != id || string(r.Event) != payload {
				errs <- fmt.Errorf("%s: got result id %q, fccontext id %q, event %s", id, res.RequestID, r.RequestID, r.Event)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The SDK runs each invocation in its own goroutine: they overlap.
	if elapsed := time.Since(begin); elapsed > 4*300*time.Millisecond {
		t.Errorf("%d concurrent 300ms invocations took %v", n, elapsed)
	}
}

// runPoller is a raw runtime API client (not the SDK) with several GET
// .../next outstanding at once. Each answer names the poller that took it.
func runPoller() {
	base := "http://" + os.Getenv("FC_RUNTIME_API") + "/" + APIVersion + "/runtime/invocation/"
	var wg sync.WaitGroup
	for k := range 4 {
		wg.Go(func() {
			for {
				resp, err := http.Get(base + "next")
				if err != nil {
					os.Exit(1)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				id := resp.Header.Get("x-fc-request-id")
				time.Sleep(200 * time.Millisecond)
				out, _ := json.Marshal(map[string]any{"id": id, "poller": k, "body": string(body)})
				r, err := http.Post(base+id+"/response", "application/json", bytes.NewReader(out))
				if err != nil {
					os.Exit(1)
				}
				r.Body.Close()
			}
		})
	}
	wg.Wait()
}

func TestMultipleOutstandingPolls(t *testing.T) {
	t.Parallel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	inst := start(t, Function{Binary: self, Env: []string{pollerEnv + "=1"}})
	const n = 8
	var mu sync.Mutex
	pollers := map[int]bool{}
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			id := fmt.Sprintf("poll-%d", k)
			res, err := inst.Invoke(context.Background(), []byte(id), InvokeOptions{RequestID: id})
			if err != nil || res.Err != nil {
				t.Errorf("%s: %v %v", id, err, res.Err)
				return
			}
			var got struct {
				ID     string
				Poller int
				Body   string
			}
			if err := json.Unmarshal(res.Payload, &got); err != nil || got.ID != id || got.Body != id {
				t.Errorf("%s: answer %s (%v)", id, res.Payload, err)
				return
			}
			mu.Lock()
			pollers[got.Poller] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(pollers) < 2 {
		t.Errorf("only pollers %v took invocations", pollers)
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := inst.Invoke(ctx, []byte(`{"action":"sleep","sleepMs":500}`), InvokeOptions{RequestID: "cancelled"})
	if !errors.Is(err, context.DeadlineExceeded) || res.RequestID != "cancelled" {
		t.Fatalf("res %+v, err %v", res, err)
	}
	// The process still runs the abandoned invocation: its id stays
	// reserved until the late answer arrives (and is dropped).
	if _, err := inst.Invoke(context.Background(), []byte(`{}`), InvokeOptions{RequestID: "cancelled"}); err == nil || !strings.Contains(err.Error(), "in flight") {
		t.Errorf("reusing an abandoned id while it runs: %v", err)
	}
	invokeOK(t, inst, `{}`, InvokeOptions{}) // other invocations proceed
	time.Sleep(600 * time.Millisecond)
	_, r := invokeOK(t, inst, `{"second":true}`, InvokeOptions{RequestID: "cancelled"})
	if r.RequestID != "cancelled" || string(r.Event) != `{"second":true}` || inst.Restarts() != 0 {
		t.Errorf("reply id %q, event %s, restarts %d", r.RequestID, r.Event, inst.Restarts())
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	pending := make(chan error, 1)
	go func() {
		_, err := inst.Invoke(context.Background(), []byte(`{"action":"sleep","sleepMs":2000}`), InvokeOptions{})
		pending <- err
	}()
	time.Sleep(200 * time.Millisecond)
	inst.Stop()
	if err := <-pending; !errors.Is(err, ErrStopped) {
		t.Errorf("pending invocation: %v, want ErrStopped", err)
	}
	if _, err := inst.Invoke(context.Background(), []byte(`{}`), InvokeOptions{}); !errors.Is(err, ErrStopped) {
		t.Errorf("Invoke after Stop: %v", err)
	}
	if inst.PID() != 0 {
		t.Errorf("PID after Stop = %d", inst.PID())
	}
	inst.Stop() // idempotent
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fn := echoFunction()
	fn.Env = []string{"ECHOFN_EXIT_AT_START=1"}
	_, err := Start(ctx, fn)
	if err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("exiting binary: %v", err)
	}
	checkNoSecrets(t, err)

	fn = echoFunction()
	fn.Binary = filepath.Join(t.TempDir(), "missing")
	_, err = Start(ctx, fn)
	if err == nil {
		t.Error("missing binary: no error")
	}
	checkNoSecrets(t, err)

	fn = echoFunction()
	fn.Env = []string{"NOT_A_PAIR"}
	if _, err := Start(ctx, fn); err == nil {
		t.Error("bad Env: no error")
	}

	// ctx bounds the readiness wait: a process that never polls.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fn = echoFunction()
	fn.Binary = self
	fn.Env = []string{pollerEnv + "=hang"}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := Start(short, fn); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("never-ready process: %v", err)
	}
}

func checkNoSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{testCreds.AccessKeySecret, testCreds.SecurityToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a credential: %v", err)
		}
	}
}

func TestCredentialsRedactedWhenPrinted(t *testing.T) {
	t.Parallel()
	fn := echoFunction()
	for _, s := range []string{fmt.Sprint(fn), fmt.Sprintf("%+v", fn), fmt.Sprintf("%#v", fn), fmt.Sprint(fn.Credentials)} {
		if strings.Contains(s, testCreds.AccessKeySecret) || strings.Contains(s, testCreds.SecurityToken) || strings.Contains(s, testCreds.AccessKeyID) {
			t.Errorf("credentials printed: %s", s)
		}
	}
}

func TestPeakRSS(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	invokeOK(t, inst, `{"action":"alloc","allocMb":64}`, InvokeOptions{})
	if got := inst.PeakRSS(); got < 64<<20 {
		t.Errorf("PeakRSS while running = %d, want >= 64 MiB", got)
	}
	inst.Stop()
	if got := inst.PeakRSS(); got < 64<<20 {
		t.Errorf("PeakRSS after Stop = %d, want >= 64 MiB", got)
	}
}

// A small function started by a large parent reports its own peak, not
// the parent's: the kernel's ru_maxrss carries the parent's high-water mark
// across exec, so it is used only for a process never read while it ran.
func TestPeakRSSIsTheFunctionsOwn(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	big := make([]byte, 400<<20)
	for i := range big {
		big[i] = 1
	}
	inst := start(t, echoFunction())
	invokeOK(t, inst, `{"action":"echo"}`, InvokeOptions{})
	inst.Stop()
	runtime.KeepAlive(big)
	if got := inst.PeakRSS(); got <= 0 || got > 200<<20 {
		t.Errorf("PeakRSS = %d MiB; want the small function's own (the parent holds 400 MiB)", got>>20)
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	inst := start(t, echoFunction())
	for _, id := range []string{"a/b", "x?y", "has space", "-lead"} {
		if _, err := inst.Invoke(context.Background(), nil, InvokeOptions{RequestID: id}); err == nil {
			t.Errorf("request id %q accepted", id)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		inst.Invoke(context.Background(), []byte(`{"action":"sleep","sleepMs":500}`), InvokeOptions{RequestID: "dup"})
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := inst.Invoke(context.Background(), nil, InvokeOptions{RequestID: "dup"}); err == nil || !strings.Contains(err.Error(), "in flight") {
		t.Errorf("duplicate in-flight id: %v", err)
	}
	<-done
}
