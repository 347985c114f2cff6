package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	ecs7 "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/ecsemu"
	"github.com/fc-ecs-release/fc-ecs-release/internal/ecssdk"
)

// binPath is the emulator binary, built once by TestMain: no test's
// deadline includes a build (a cold build takes half a minute).
var binPath string

// binary returns the emulator binary built by TestMain.
func binary(t *testing.T) string {
	t.Helper()
	require.NotEmpty(t, binPath, "TestMain builds the binary")
	return binPath
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecs-emulator-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "ecs-emulator")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs the emulator to completion (for --help and bad input).
func runBinary(t *testing.T, args ...string) (exitCode int, stdout, stderr string) {
	t.Helper()
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

// server is a running emulator process.
type server struct {
	host   string
	cmd    *exec.Cmd
	stderr *lockedBuffer
}

// lockedBuffer is a bytes.Buffer that os/exec may write while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listenLine = regexp.MustCompile(`listening on http://(\S+)`)

// startBinary starts the emulator and waits for its "listening on" line.
func startBinary(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	s := &server{cmd: cmd, stderr: stderr}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		require.True(t, ok, "the emulator exited before listening; stderr: %s", stderr.String())
		m := listenLine.FindStringSubmatch(line)
		require.NotNil(t, m, "first line %q", line)
		s.host = m[1]
	case <-time.After(20 * time.Second):
		t.Fatalf("no listening line; stderr: %s", stderr.String())
	}
	return s
}

func (s *server) client(t *testing.T, secret string) *ecs.Client {
	t.Helper()
	c, err := ecssdk.NewClient(ecsemu.DefaultRegion, sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewStaticAKCredentialsProvider(ecsemu.DefaultAccessKeyID, secret))
	require.NoError(t, err)
	c.Domain = s.host
	host, _, _ := strings.Cut(s.host, ":")
	c.SetNoProxy(regexp.QuoteMeta(host))
	return c
}

func writeFleet(t *testing.T, fleet string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fleet.json")
	require.NoError(t, os.WriteFile(path, []byte(fleet), 0o600))
	return path
}

const fleetJSON = `[
  {"InstanceId":"i-ci001","InstanceName":"ci-runner-1","Status":"Running",
   "Tags":{"Tag":[{"TagKey":"team","TagValue":"ci"}]}},
  {"InstanceId":"i-ci002","InstanceName":"ci-runner-2","Status":"Stopped","DeletionProtection":true},
  {"InstanceId":"i-stuck","Status":"Running"}
]`

func TestBinaryServesTheSDK(t *testing.T) {
	t.Parallel()
	s := startBinary(t, "--listen", "127.0.0.1:0", "--fleet", writeFleet(t, fleetJSON),
		"--stop-delay", "0s", "--stuck", "i-stuck", "--seed", "7")
	c := s.client(t, ecsemu.DefaultAccessKeySecret)

	resp, err := c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	require.Equal(t, 3, resp.TotalCount)
	byID := map[string]ecs.Instance{}
	for _, in := range resp.Instances.Instance {
		byID[in.InstanceId] = in
	}
	assert.Equal(t, "ci-runner-1", byID["i-ci001"].InstanceName)
	assert.Equal(t, "Running", byID["i-ci001"].Status)
	assert.Equal(t, "Stopped", byID["i-ci002"].Status)
	assert.True(t, byID["i-ci002"].DeletionProtection)

	// Stop with --stop-delay 0s: Stopped on the next look.
	stop := ecs.CreateStopInstanceRequest()
	stop.InstanceId = "i-ci001"
	_, err = c.StopInstance(stop)
	require.NoError(t, err)
	st := ecs.CreateDescribeInstanceStatusRequest()
	st.InstanceId = &[]string{"i-ci001", "i-stuck"}
	sresp, err := c.DescribeInstanceStatus(st)
	require.NoError(t, err)
	require.Len(t, sresp.InstanceStatuses.InstanceStatus, 2)
	assert.Equal(t, "Stopped", sresp.InstanceStatuses.InstanceStatus[0].Status)

	// --stuck keeps i-stuck in Stopping.
	stop = ecs.CreateStopInstanceRequest()
	stop.InstanceId = "i-stuck"
	_, err = c.StopInstance(stop)
	require.NoError(t, err)
	st = ecs.CreateDescribeInstanceStatusRequest()
	st.InstanceId = &[]string{"i-stuck"}
	sresp, err = c.DescribeInstanceStatus(st)
	require.NoError(t, err)
	assert.Equal(t, "Stopping", sresp.InstanceStatuses.InstanceStatus[0].Status)

	// Documented errors come through as *errors.ServerError.
	del := ecs.CreateDeleteInstanceRequest()
	del.InstanceId = "i-ci002"
	_, err = c.DeleteInstance(del)
	var se *sdkerrors.ServerError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, 403, se.HttpStatus())
	assert.Equal(t, "InvalidOperation.DeletionProtection", se.ErrorCode())

	// The admin API is served too.
	hresp, err := http.Post("http://"+s.host+"/_emulator/advance?by=1h", "", nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	require.Equal(t, 200, hresp.StatusCode, "%s", body)
	var now map[string]string
	require.NoError(t, json.Unmarshal(body, &now))
	assert.NotEmpty(t, now["now"])

	// A wrong secret is rejected with the SDK recognising our string to sign.
	bad := s.client(t, "wrong")
	_, err = bad.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, "SignatureDoesNotMatch", se.ErrorCode())
	assert.Contains(t, se.Recommend(), "InvalidAccessKeySecret")
}

func TestBinaryOptions(t *testing.T) {
	t.Parallel()
	s := startBinary(t, "--listen", "127.0.0.1:0", "--access-key-id", "LTAIother", "--access-key-secret", "other-secret",
		"--region", "eu-central-1", "--throttle-rate", "1", "--log-calls")
	c, err := ecssdk.NewClient("eu-central-1", sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewStaticAKCredentialsProvider("LTAIother", "other-secret"))
	require.NoError(t, err)
	c.Domain = s.host
	c.SetNoProxy(regexp.QuoteMeta(strings.Split(s.host, ":")[0]))
	_, err = c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	var se *sdkerrors.ServerError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, 400, se.HttpStatus())
	assert.Equal(t, "Throttling.User", se.ErrorCode(), "the key was accepted, then throttled")

	// --log-calls writes one JSON record per call to stderr.
	require.NoError(t, s.cmd.Process.Signal(os.Interrupt))
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "an interrupt shuts down cleanly")
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop on interrupt")
	}
	assert.Contains(t, s.stderr.String(), `"action":"DescribeInstances"`)
	assert.Contains(t, s.stderr.String(), `"code":"Throttling.User"`)
}

func TestBinaryHelp(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runBinary(t, "--help")
	assert.Equal(t, 0, code)
	help := stdout + stderr
	for _, flag := range []string{
		"listen", "fleet", "access-key-id", "access-key-secret", "region", "stop-delay", "force-stop-delay",
		"start-delay", "pending-delay", "snapshot-delay", "latency", "throttle-rate", "error-rate", "max-qps",
		"stuck", "seed", "log-calls", "read-timeout", "nodepool-refill-delay", "account-id", "prices",
	} {
		assert.Regexp(t, `(?m)^  -`+regexp.QuoteMeta(flag)+`( |$)`, help, "flag %s", flag)
	}
	for _, endpoint := range adminPaths(t) {
		assert.Contains(t, help, endpoint)
	}
	for _, field := range hazardFields {
		assert.Contains(t, help, field)
	}
	assert.Contains(t, help, "client.Domain")
}

// hazardFields are the fleet-file fields and values of the modelled
// hazards that --help and the README must name.
var hazardFields = []string{
	`"SpotStrategy"`, "SpotAsPriceGo", "SpotWithPriceLimit", `"SpotPriceLimit"`, `"SpotDuration"`, `"SpotInterruptionBehavior"`,
	`"EconomicalMode"`, "stops-keep-charging", "stops-not-applicable", `"NoStockOnStart"`,
	`"AutoScaling"`, `"CreationType"`, `"DesiredCapacity"`, `"GracePeriod"`, "AutoCreated", "Attached", "Managed",
	ecsemu.TagScalingGroup, ecsemu.TagACKCluster, ecsemu.TagACKNodePool,
	"financial", "security", "recycling", "Recycling", "dedicatedhostfinancial", "refunded",
}

// adminPaths are the paths of every admin endpoint ecsemu.AdminEndpoints
// lists.
func adminPaths(t *testing.T) []string {
	t.Helper()
	paths := regexp.MustCompile(`/_emulator/[a-z-]+`).FindAllString(ecsemu.AdminEndpoints, -1)
	require.NotEmpty(t, paths)
	return paths
}

// The README's emulator section names every admin endpoint, flag and
// hazard field --help does.
func TestReadmeListsWhatHelpDoes(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(data)
	start := strings.Index(readme, "## The ECS emulator")
	require.GreaterOrEqual(t, start, 0)
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	for _, p := range adminPaths(t) {
		assert.Contains(t, section, p, "README's emulator section lists %s", p)
	}
	for _, f := range hazardFields {
		assert.Contains(t, section, strings.Trim(f, `"`), "README's emulator section names %s", f)
	}
	for _, flag := range []string{"--nodepool-refill-delay", "--account-id"} {
		assert.Contains(t, section, flag)
	}
}

const hazardFleetJSON = `[
  {"InstanceId":"i-spot","SpotStrategy":"SpotAsPriceGo"},
  {"InstanceId":"i-asg","Tags":{"Tag":[{"TagKey":"acs:autoscaling:scalingGroupId","TagValue":"asg-1"}]},
   "AutoScaling":{"GracePeriod":"1m"}},
  {"InstanceId":"i-local","InstanceType":"ecs.i3.xlarge","RegionId":"cn-shanghai"}
]`

// The binary serves the hazards: a spot interruption by the admin API,
// its event, the release five minutes later; a scaling-group member
// replaced; economical mode refused for a local-disk family.
func TestBinaryHazards(t *testing.T) {
	t.Parallel()
	s := startBinary(t, "--listen", "127.0.0.1:0", "--fleet", writeFleet(t, hazardFleetJSON), "--stop-delay", "0s", "--account-id", "5555")
	post := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Post("http://"+s.host+"/_emulator/"+path, "", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		require.Equal(t, 200, resp.StatusCode, "%s", body)
		var m map[string]any
		require.NoError(t, json.Unmarshal(body, &m))
		return m
	}
	get := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get("http://" + s.host + "/_emulator/" + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return m
	}
	c := s.client(t, ecsemu.DefaultAccessKeySecret)

	post("spot-interrupt?instanceId=i-spot")
	events := get("events")["events"].([]any)
	require.Len(t, events, 1)
	ev := events[0].(map[string]any)
	assert.Equal(t, "ecs:Instance:PreemptibleInstanceInterruption", ev["type"])
	assert.Equal(t, "acs:ecs:cn-hangzhou:5555:instance/i-spot", ev["subject"])
	cm := get("events?format=cloudmonitor")["events"].([]any)[0].(map[string]any)
	assert.Equal(t, "Instance:PreemptibleInstanceInterruption", cm["name"])

	stop := ecs.CreateStopInstanceRequest()
	stop.InstanceId = "i-asg"
	_, err := c.StopInstance(stop)
	require.NoError(t, err)
	groups := get("scaling-groups")["ScalingGroups"].([]any)
	require.Len(t, groups, 1)
	assert.Len(t, groups[0].(map[string]any)["Launched"], 1)

	post("advance?by=5m")
	req := ecs.CreateDescribeInstancesRequest()
	req.InstanceIds = `["i-spot","i-asg"]`
	resp, err := c.DescribeInstances(req)
	require.NoError(t, err)
	assert.Zero(t, resp.TotalCount, "the spot instance reclaimed, the stopped member released by Auto Scaling")

	sh, err := ecssdk.NewClient("cn-shanghai", sdk.NewConfig().WithScheme("HTTP"),
		credentials.NewStaticAKCredentialsProvider(ecsemu.DefaultAccessKeyID, ecsemu.DefaultAccessKeySecret))
	require.NoError(t, err)
	sh.Domain = s.host
	sh.SetNoProxy(regexp.QuoteMeta(strings.Split(s.host, ":")[0]))
	stop = ecs.CreateStopInstanceRequest()
	stop.InstanceId, stop.StoppedMode = "i-local", "StopCharging"
	_, err = sh.StopInstance(stop)
	var se *sdkerrors.ServerError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, "InvalidInstanceId.NotSupport", se.ErrorCode())
}

// The binary prices from its built-in list, a fleet file's Prices and
// --prices (put over the fleet's), through the classic SDK.
func TestBinaryPrices(t *testing.T) {
	t.Parallel()
	fleet := writeFleet(t, `{"Instances":[{"InstanceId":"i-p1"}],
	  "Prices":{"InstanceTypes":{"ecs.g7.large":0.5,"ecs.c7.large":0.3}}}`)
	prices := filepath.Join(t.TempDir(), "prices.json")
	require.NoError(t, os.WriteFile(prices, []byte(`{"InstanceTypes":{"ecs.c7.large":0.2},"Disks":{"cloud_efficiency":0.001}}`), 0o600))
	s := startBinary(t, "--listen", "127.0.0.1:0", "--fleet", fleet, "--prices", prices)
	c := s.client(t, ecsemu.DefaultAccessKeySecret)
	detail := func(resp *ecs.DescribePriceResponse, resource string) float64 {
		for _, d := range resp.PriceInfo.Price.DetailInfos.DetailInfo {
			if d.Resource == resource {
				return d.TradePrice
			}
		}
		return -1
	}
	call := func(instanceType string) *ecs.DescribePriceResponse {
		req := ecs.CreateDescribePriceRequest()
		req.InstanceType = instanceType
		resp, err := c.DescribePrice(req)
		require.NoError(t, err)
		return resp
	}
	resp := call("ecs.g7.large")
	assert.Equal(t, 0.5, detail(resp, "instanceType"), "the fleet file's price")
	assert.Equal(t, 0.04, detail(resp, "systemDisk"), "--prices: 40 GiB × 0.001")
	assert.Equal(t, "CNY", resp.PriceInfo.Price.Currency)
	assert.Equal(t, 0.2, detail(call("ecs.c7.large"), "instanceType"), "--prices over the fleet's")
	assert.Equal(t, 0.64, detail(call("ecs.g7.xlarge"), "instanceType"), "the built-in list: 4 × 0.10 + 16 × 0.015")
}

func TestBinaryBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args func(t *testing.T) []string
		want []string // all must appear on stderr
	}{
		{"bad Status", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--fleet", writeFleet(t, `[{"InstanceId":"i-a","Status":"Sleeping"}]`)}
		}, []string{"--fleet", "fleet[0]", "Status", "Sleeping"}},
		{"unknown field", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--fleet", writeFleet(t, `[{"InstanceId":"i-a","Statuss":"Running"}]`)}
		}, []string{"--fleet", "Statuss"}},
		{"second instance bad time", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--fleet", writeFleet(t, `[{},{"AutoReleaseTime":"soon"}]`)}
		}, []string{"fleet[1]", "AutoReleaseTime"}},
		{"missing fleet file", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--fleet", filepath.Join(t.TempDir(), "none.json")}
		}, []string{"--fleet", "none.json"}},
		{"unknown stuck ID", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--stuck", "i-nosuch"}
		}, []string{"--stuck", "i-nosuch"}},
		{"negative delay", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--stop-delay", "-1s"}
		}, []string{"StopDelay"}},
		{"bad throttle rate", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--throttle-rate", "2"}
		}, []string{"throttle rate"}},
		{"zero read timeout", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--read-timeout", "0s"}
		}, []string{"--read-timeout", "positive"}},
		{"bad prices file", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--prices", writeFleet(t, `{"Disks":{"cloud_essd":0.1}}`)}
		}, []string{"--prices", "cloud_essd"}},
		{"missing prices file", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--prices", filepath.Join(t.TempDir(), "none.json")}
		}, []string{"--prices", "none.json"}},
		{"bad fleet prices", func(t *testing.T) []string {
			return []string{"--listen", "127.0.0.1:0", "--fleet", writeFleet(t, `{"Instances":[],"Prices":{"SpotFactor":2}}`)}
		}, []string{"--fleet", "SpotFactor"}},
		{"unknown flag", func(t *testing.T) []string { return []string{"--no-such-flag"} }, []string{"no-such-flag"}},
		{"stray argument", func(t *testing.T) []string { return []string{"serve"} }, []string{"unexpected arguments"}},
		{"bad listen address", func(t *testing.T) []string { return []string{"--listen", "127.0.0.1:99999"} }, []string{"listen", "99999"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runBinary(t, tc.args(t)...)
			assert.NotEqual(t, 0, code)
			assert.NotContains(t, stdout, "listening on")
			for _, w := range tc.want {
				assert.Contains(t, stderr, w)
			}
		})
	}
}

// The binary cuts off a client that stalls mid-request after --read-timeout,
// and serves the current SDK (signature V3) and others meanwhile.
func TestBinaryReadTimeout(t *testing.T) {
	t.Parallel()
	s := startBinary(t, "--listen", "127.0.0.1:0", "--read-timeout", "300ms")

	conn, err := net.Dial("tcp", s.host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nAction=Describe", s.host)
	require.NoError(t, err)

	// While the trickler stalls, another client is served.
	c := s.client(t, ecsemu.DefaultAccessKeySecret)
	_, err = c.DescribeInstances(ecs.CreateDescribeInstancesRequest())
	require.NoError(t, err)
	v7, err := ecs7.NewClient(&openapi.Config{
		AccessKeyId: tea.String(ecsemu.DefaultAccessKeyID), AccessKeySecret: tea.String(ecsemu.DefaultAccessKeySecret),
		RegionId: tea.String(ecsemu.DefaultRegion), Endpoint: new(s.host), Protocol: new("http"), NoProxy: new(s.host),
	})
	require.NoError(t, err)
	_, err = v7.DescribeInstances(&ecs7.DescribeInstancesRequest{RegionId: tea.String(ecsemu.DefaultRegion)})
	require.NoError(t, err, "the v7 SDK with default settings (signature V3)")

	// The stalled connection is closed by the server; the deadline is a
	// failsafe far beyond --read-timeout.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(time.Minute)))
	got, err := io.ReadAll(conn)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server did not close the stalled connection")
	assert.NotContains(t, string(got), " 200 ")
}
