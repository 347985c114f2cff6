package fclocal

import (
	"context"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
)

// Binaries built once for the whole test run (TestMain): the real
// functions (the product) and testdata/flakyfn.
var (
	binDir    string
	realBins  map[string]string // resource name -> executable
	flakyBin  string
	repoSYAML = filepath.Join("..", "..", "s.yaml")
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fclocal-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	// One go build for all four: packages compile in parallel, and the
	// executables are named after their directories.
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"../../functions/stop", "../../functions/release", "../../functions/autorelease", "./testdata/flakyfn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the test functions: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(2)
	}
	realBins = map[string]string{
		"stop":        filepath.Join(dir, "stop"),
		"release":     filepath.Join(dir, "release"),
		"autorelease": filepath.Join(dir, "autorelease"),
	}
	flakyBin = filepath.Join(dir, "flakyfn")
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func noEnv(string) (string, bool) { return "", false }

// recorder collects the runner's invocation records.
type recorder struct {
	mu   sync.Mutex
	invs []Invocation
}

func (r *recorder) add(inv Invocation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.invs = append(r.invs, inv)
}

func (r *recorder) of(function string) []Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Invocation
	for _, inv := range r.invs {
		if inv.Function == function {
			out = append(out, inv)
		}
	}
	return out
}

func (r *recorder) all() []Invocation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Invocation(nil), r.invs...)
}

// testSYAML is a project of test functions, all run by flakyfn.
const testSYAML = `
edition: 3.0.0
name: fclocal-test
vars:
  region: cn-hangzhou
  account: '123456789012'
template:
  fn:
    region: ${vars.region}
    runtime: go1
    handler: main
    code: ./code
    timeout: 10
resources:
  flaky:
    component: fc3
    extend:
      name: fn
    props:
      functionName: flaky
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 3
        destinationConfig:
          onSuccess:
            destination: 'acs:fc:${vars.region}:${vars.account}:functions/sink-ok'
          onFailure:
            destination: 'acs:fc:${vars.region}:${vars.account}:functions/sink-failed'
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST]
        - triggerName: tick
          triggerType: timer
          triggerConfig:
            cronExpression: '@every 1s'
            enable: false
            payload: '{"from":"tick"}'
  stale:
    component: fc3
    extend:
      name: fn
    props:
      functionName: stale
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 8
        maxAsyncEventAgeInSeconds: 1
        destinationConfig:
          onFailure:
            destination: 'acs:fc:${vars.region}:${vars.account}:functions/sink-failed'
  slow:
    component: fc3
    extend:
      name: fn
    props:
      functionName: slow
      timeout: 1
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 0
        destinationConfig:
          onFailure:
            destination: 'acs:fc:${vars.region}:${vars.account}:functions/sink-failed'
  sink-ok:
    component: fc3
    extend:
      name: fn
    props:
      functionName: sink-ok
  sink-failed:
    component: fc3
    extend:
      name: fn
    props:
      functionName: sink-failed
`

// startTestRunner runs testSYAML (or another test file) with every
// function played by flakyfn.
func startTestRunner(t *testing.T, yml string, backoff time.Duration) (*Runner, *recorder) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yml), 0o644))
	p, err := LoadFile(path, noEnv)
	require.NoError(t, err)
	bins := map[string]string{}
	for _, f := range p.Functions {
		bins[f.Name] = flakyBin
	}
	rec := &recorder{}
	r, err := Start(context.Background(), p, Options{
		Binaries:     bins,
		RetryBackoff: func(int) time.Duration { return backoff },
		OnInvocation: rec.add,
	})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r, rec
}

// startRealRunner runs the repository's s.yaml (the real functions, built
// in TestMain) against an in-process emulator holding fleet.
func startRealRunner(t *testing.T, fleet []ecsemu.Instance, stopDelay time.Duration, env map[string]string) (*Runner, *recorder, *ecsemu.Emulator) {
	t.Helper()
	p, err := LoadFile(repoSYAML, noEnv)
	require.NoError(t, err)
	emu, err := ecsemu.New(ecsemu.Options{StopDelay: stopDelay})
	require.NoError(t, err)
	_, err = emu.AddInstances(fleet)
	require.NoError(t, err)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	all := map[string]string{
		"ECS_ENDPOINT":   srv.URL,
		"WAIT_MIN_DELAY": "100ms",
		"WAIT_MAX_DELAY": "200ms",
	}
	maps.Copy(all, env)
	rec := &recorder{}
	r, err := Start(context.Background(), p, Options{
		Env:          all,
		Credentials:  EmulatorCredentials(emu),
		Binaries:     realBins,
		RetryBackoff: func(int) time.Duration { return 50 * time.Millisecond },
		OnInvocation: rec.add,
	})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r, rec, emu
}

func waitIdle(t *testing.T, r *Runner, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	require.NoError(t, r.Wait(ctx), "async work still in flight")
}
