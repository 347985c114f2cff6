package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
	"github.com/fc-ecs-release/fc-ecs-release/internal/handlertest"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
)

// binaries maps function name → path of its binary, built once.
var binaries = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fc-ecs-release-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, fn := range []string{"stop", "release", "autorelease"} {
		out := filepath.Join(dir, fn, "main")
		cmd := exec.Command("go", "build", "-o", out, "./functions/"+fn)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building functions/%s: %v\n%s", fn, err, b)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		binaries[fn] = out
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	stsToken = "e2e-sts-token-9c1d2e" // must never appear in logs or answers
	region   = "cn-hangzhou"
)

// syncBuffer collects a process's output.
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

// stack is an emulator plus the three functions running under the local
// runtime, configured as s.yaml would configure them.
type stack struct {
	t    *testing.T
	emu  *ecsemu.Emulator
	fns  map[string]*fcruntime.Instance
	logs map[string]*syncBuffer
	n    int
}

func newStack(t *testing.T, emuOpts ecsemu.Options, env map[string]string) *stack {
	t.Helper()
	emu, err := ecsemu.New(emuOpts)
	require.NoError(t, err)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	vars := map[string]string{
		"ECS_ENDPOINT": srv.URL, "DRY_RUN": "false", "DEFAULT_REGION": region,
		"MANAGED_TAG": "ecs-release:managed=true", "MAX_INSTANCES": "100",
		"WAIT_MIN_DELAY": "100ms", "WAIT_MAX_DELAY": "400ms", "DEADLINE_MARGIN": "2s",
	}
	maps.Copy(vars, env)
	var list []string
	for k, v := range vars {
		list = append(list, k+"="+v)
	}
	s := &stack{t: t, emu: emu, fns: map[string]*fcruntime.Instance{}, logs: map[string]*syncBuffer{}}
	for fn, bin := range binaries {
		logs := &syncBuffer{}
		inst, err := fcruntime.Start(context.Background(), fcruntime.Function{
			Name: "ecs-" + fn, Handler: "main", Binary: bin, Env: list, MemoryMB: 128, Timeout: 60 * time.Second,
			Region: region, AccountID: "123456789012",
			Credentials: fcruntime.Credentials{AccessKeyID: emu.AccessKeyID(), AccessKeySecret: emu.AccessKeySecret(), SecurityToken: stsToken},
			Stdout:      logs, Stderr: logs,
		})
		require.NoError(t, err)
		t.Cleanup(inst.Stop)
		s.fns[fn], s.logs[fn] = inst, logs
	}
	t.Cleanup(func() { s.assertNoSecrets() })
	return s
}

// invoke runs one invocation of fn and returns its raw answer; a function
// error is returned as an error.
func (s *stack) invoke(fn, event string) ([]byte, error) {
	s.t.Helper()
	s.n++
	id := fmt.Sprintf("e2e-%s-%d-%d", fn, s.n, time.Now().UnixNano())
	res, err := s.fns[fn].Invoke(context.Background(), []byte(event), fcruntime.InvokeOptions{RequestID: id})
	require.NoError(s.t, err)
	// The answer comes through the runtime API; the log through a pipe the
	// process's output is copied from. Wait for the invocation's last line
	// before anyone reads the log.
	require.Eventually(s.t, func() bool { return strings.Contains(s.logs[fn].String(), "FC Invoke End RequestId: "+id) }, 10*time.Second, 5*time.Millisecond,
		"the log of %s shows the end of invocation %s", fn, id)
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Payload, nil
}

func (s *stack) response(fn, event string) *handler.Response {
	s.t.Helper()
	raw, err := s.invoke(fn, event)
	require.NoError(s.t, err)
	var r handler.Response
	require.NoError(s.t, json.Unmarshal(raw, &r), string(raw))
	return &r
}

// records returns the JSON log records of fn with the given msg.
func (s *stack) records(fn, msg string) []map[string]any {
	var out []map[string]any
	for line := range strings.SplitSeq(s.logs[fn].String(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func (s *stack) assertNoSecrets() {
	for fn, l := range s.logs {
		if found := handlertest.FindSecrets(l.String(), stsToken, s.emu.AccessKeySecret()); len(found) > 0 {
			s.t.Errorf("a secret appears in the logs of %s: %v", fn, found)
		}
	}
}

func (s *stack) mutating() []ecsemu.Call { return s.emu.MutatingCalls() }

func outcomes(r *handler.Response) map[string]string {
	out := map[string]string{}
	for _, o := range r.Instances {
		out[o.InstanceID] = o.Outcome
	}
	return out
}

func reasonOf(r *handler.Response, id string) string {
	for _, o := range r.Instances {
		if o.InstanceID == id {
			return o.Reason
		}
	}
	return ""
}

func codeOf(r *handler.Response, id string) string {
	for _, o := range r.Instances {
		if o.InstanceID == id {
			return o.Code
		}
	}
	return ""
}

func tags(kv ...string) ecsemu.TagSet {
	var ts ecsemu.TagSet
	for i := 0; i+1 < len(kv); i += 2 {
		ts.Tag = append(ts.Tag, ecsemu.Tag{TagKey: kv[i], TagValue: kv[i+1]})
	}
	return ts
}

func managed(kv ...string) ecsemu.TagSet {
	return tags(append([]string{"ecs-release:managed", "true"}, kv...)...)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// add adds instances to the emulator. One that names no CreationTime was
// created (and started) two hours ago: the functions wait out the minute
// of an instance started less than a minute ago (ECS shows start times to
// the minute), and these tests run on the wall clock.
func (s *stack) add(fleet []ecsemu.Instance) ([]string, error) {
	for i := range fleet {
		if fleet[i].CreationTime == "" {
			fleet[i].CreationTime = time.Now().UTC().Add(-2 * time.Hour).Format("2006-01-02T15:04Z")
		}
	}
	return s.emu.AddInstances(fleet)
}
