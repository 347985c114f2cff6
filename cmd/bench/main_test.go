package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fc-ecs-release/fc-ecs-release/internal/bench"
)

// --help prints the usage and succeeds; a bad flag or argument fails.
func TestHelpAndBadArguments(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		var out, errOut bytes.Buffer
		require.NoError(t, run(context.Background(), args, &out, &errOut), args)
		assert.Contains(t, errOut.String(), "Usage: go run ./cmd/bench")
		assert.Contains(t, errOut.String(), "-instances")
	}
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--instances", "0"}} {
		var out, errOut bytes.Buffer
		assert.Error(t, run(context.Background(), args, &out, &errOut), args)
	}
}

// The table prints counts and sizes as text, never as Go maps.
func TestTableHasNoGoMaps(t *testing.T) {
	var out bytes.Buffer
	printTable(&out, &bench.Report{
		Instances:         10,
		CallsByAction:     map[string]int{"StopInstances": 1, "DeleteInstances": 1, "DescribeInstances": 3},
		PeakRSSByFunction: map[string]int64{"stop": 12 << 20, "release": 14 << 20},
	})
	text := out.String()
	assert.NotContains(t, text, "map[")
	assert.Contains(t, text, "calls by action: DeleteInstances=1 DescribeInstances=3 StopInstances=1")
	assert.Contains(t, text, "peak RSS by function: release 14.0 MiB, stop 12.0 MiB")
	assert.False(t, strings.Contains(text, "%!"), text)
}
