package fclocal

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// What changes from run to run in a report: clock times, request ids,
// durations, the emulator's port, auto-release times (relative to now),
// and the counts of status reads (the waiter polls on the wall clock).
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d\.\d{3}\b`), "HH:MM:SS.mmm"},
	{regexp.MustCompile(`\b1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}\b`), "REQUEST-ID"},
	{regexp.MustCompile(` *\b\d+(\.\d+)?(ms|µs|s)\b`), " DURATION"},
	{regexp.MustCompile(`wired as \S+ says`), "wired as S.YAML says"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`(s\.yaml +)\S*s\.yaml\n`), "${1}PATH/s.yaml\n"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z`), "TIME"},
	{regexp.MustCompile(`(ECS API calls +)\d+(: )`), "${1}N${2}"},
	{regexp.MustCompile(`(DescribeInstances|DescribeDisks)=\d+`), "$1=N"},
	{regexp.MustCompile(` +\n`), "\n"},
}

// normalize masks what changes from run to run, and sorts the invocation
// lines (timers fired at the same instant start in either order).
func normalize(report string) string {
	for _, v := range volatile {
		report = v.re.ReplaceAllString(report, v.with)
	}
	lines := strings.Split(report, "\n")
	start := -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "Invocations"):
			start = i + 1
		case start >= 0 && strings.TrimSpace(l) == "":
			sort.Strings(lines[start:i])
			start = -1
		}
	}
	return strings.Join(lines, "\n")
}

// golden compares a report with testdata/golden/name (go test -run
// TestDemoEndToEnd ./internal/fclocal -update rewrites it).
func golden(t *testing.T, name, report string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	got := normalize(report)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden report yet: run go test ./internal/fclocal -run TestDemoEndToEnd -update")
	assert.Equal(t, string(want), got, "the report differs from %s (if the change is intended: -update)", path)
}

func TestNormalizeMasksOnlyWhatVaries(t *testing.T) {
	t.Parallel()
	in := "Invocations (in start order)\n  22:54:58.729 ecs-stop  b 3ms\n  22:54:58.724 ecs-auto a 1-d2e5e397-6f1c48af-2bc3a76e7035  2.008s\n\n" +
		"  i-demottl  would set auto-release at 2026-12-01T02:01:00Z (+6m0s spread)\n  ECS API calls   18: DescribeInstances=8 StopInstances=1\n"
	assert.Equal(t, "Invocations (in start order)\n  HH:MM:SS.mmm ecs-auto a REQUEST-ID DURATION\n  HH:MM:SS.mmm ecs-stop  b DURATION\n\n"+
		"  i-demottl  would set auto-release at TIME (+6m0s spread)\n  ECS API calls   N: DescribeInstances=N StopInstances=1\n", normalize(in))
}
