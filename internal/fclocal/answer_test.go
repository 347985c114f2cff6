package fclocal

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/shared/answer"
	"github.com/fc-ecs-release/fc-ecs-release/shared/handler"
	"github.com/fc-ecs-release/fc-ecs-release/shared/request"
)

// fclocal reads the functions' answers through the one wire contract
// (package answer): an answer survives a round trip whole, bare or inside
// an HTTP trigger answer.
func TestAnswerDecodesTheWireContract(t *testing.T) {
	t.Parallel()
	per := 0.25
	want := handler.Response{
		RequestID: "1-a", Function: "stop", Region: "cn-hangzhou", Trigger: "timer", DryRun: true, DryRunSource: "deployment",
		Instances: []handler.InstanceOutcome{{
			InstanceID: "i-1", Name: "ci-1", Owner: "alice@example.com", Outcome: handler.OutcomeSkipped, Code: handler.CodeProtected, Reason: "r", Request: 2,
			Error:       &handler.ErrorInfo{Code: "C", Message: "m", Retryable: true},
			SnapshotIDs: []string{"s-1"}, AutoReleaseTime: "2026-11-26T12:00:00Z", Status: "Running",
			StoppedMode: "KeepCharging", Flags: []string{handler.FlagStoppedStillCharging},
			Receipt: &handler.Receipt{SpotInterruption: "delete", Lost: []string{"disk d-1"}},
		}},
		Summary: answer.Summary{Counts: map[string]int{handler.OutcomeSkipped: 1},
			EstimatedSavings: &answer.Money{PerHour: 1.5, Currency: "CNY", Compute: 1, Disks: 0.5, Instances: 1}},
		Warnings: []answer.Warning{{Code: answer.WarningStillBilling, InstanceID: "i-1", Message: "m", Resources: []string{"d-1"}, PerHour: &per, Currency: "CNY"}},
		Failure:  &answer.FailureReport{Function: "ecs-stop", Condition: "HandledInvocationError", Advice: "a"},
		Next:     []request.Request{{InstanceIDs: []string{"i-1"}}, {InstanceIDs: []string{"i-2", "i-3"}}},
	}
	b, err := json.Marshal(want)
	require.NoError(t, err)
	got, status, ok := Answer(b)
	require.True(t, ok)
	assert.Zero(t, status)
	assert.Equal(t, 3, got.HandedOver())
	gb, _ := json.Marshal(got)
	assert.JSONEq(t, string(b), string(gb))

	// Inside an HTTP trigger answer.
	h, _ := json.Marshal(HTTPResponse{StatusCode: 400, Body: string(b)})
	got, status, ok = Answer(h)
	require.True(t, ok)
	assert.Equal(t, 400, status)
	assert.Equal(t, "i-1", got.Instances[0].InstanceID)
	_, _, ok = Answer([]byte(`{"hello":1}`))
	assert.False(t, ok)
}

// The wire contract links no SDK: fclocal (which reads answers) and the
// answer package itself build without the Alibaba Cloud SDK.
func TestWireContractLinksNoSDK(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/fc-ecs-release/fc-ecs-release/shared/answer", "github.com/fc-ecs-release/fc-ecs-release/internal/fclocal").CombinedOutput()
	require.NoError(t, err, string(out))
	for dep := range strings.FieldsSeq(string(out)) {
		assert.False(t, strings.HasPrefix(dep, "github.com/aliyun/alibaba-cloud-sdk-go"), "links %s", dep)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[string]string{
		"1 instance": Plural(1, "instance"), "0 instances": Plural(0, "instance"), "4 instances": Plural(4, "instance"),
		"2 deliveries": Plural(2, "delivery"), "3 days": Plural(3, "day"), "2 batches": Plural(2, "batch"),
		"5 extra snapshots": Plural(5, "extra snapshot"), "1 effective release": Plural(1, "effective release"),
	} {
		assert.Equal(t, n, want)
	}
}

func TestCheckJSONNamesThePosition(t *testing.T) {
	for in, want := range map[string]string{
		"{\"a\": [1,\n  oops]}": "not JSON at line 2, column 3: invalid character 'o'",
		`{"a":1} x`:             "not one JSON value: more follows at line 1, column 9",
		`{"a":`:                 "not JSON: it ends at line 1, column 6 before the value does",
		" \n ":                  "empty",
		"[1,2,,]":               "not JSON at line 1, column 6",
	} {
		err := checkJSON([]byte(in))
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want, in)
		}
	}
	assert.NoError(t, checkJSON([]byte("{\"a\":1}\n\n")))
}

// A local run builds for this machine: forHost rewrites only the leading
// GOOS/GOARCH assignments of a pre-deploy command.
func TestForHost(t *testing.T) {
	for _, tc := range []struct{ run, goos, goarch, want, target string }{
		{"GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o dist/stop/main ./functions/stop", "darwin", "arm64",
			"GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build -o dist/stop/main ./functions/stop", "linux/amd64"},
		{"GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build ./functions/stop", "linux", "amd64",
			"GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build ./functions/stop", ""},
		{"GOARCH=amd64 go build .", "linux", "arm64", "GOARCH=arm64 go build .", "linux/amd64"},
		{"go build -ldflags '-X  main.GOOS=linux' .", "darwin", "arm64", "go build -ldflags '-X  main.GOOS=linux' .", ""},
		{"CGO_ENABLED=0  GOOS=linux   go build  -o 'a  b' .", "darwin", "arm64", "CGO_ENABLED=0  GOOS=darwin   go build  -o 'a  b' .", "linux/arm64"},
		{"make build GOOS=linux", "darwin", "arm64", "make build GOOS=linux", ""},
	} {
		got, target := forHost(tc.run, tc.goos, tc.goarch)
		assert.Equal(t, tc.want, got, tc.run)
		assert.Equal(t, tc.target, target, tc.run)
	}
}
