package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noEnv(string) (string, bool) { return "", false }

// runCmd runs the command in-process: no build, no deadline.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb, noEnv)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"render", "--help"}} {
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, 0, code, args)
		assert.Contains(t, stdout, "syaml render [--file s.yaml]", args)
		assert.Empty(t, stderr, args)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"bogus"}, {"render", "--nope"}, {"render", "extra"}} {
		code, stdout, stderr := runCmd(args...)
		assert.Equal(t, 2, code, args)
		assert.Empty(t, stdout, args)
		assert.Contains(t, stderr, "Usage:", args)
	}
}

// render prints the resolved s.yaml as JSON, the shape s preview prints.
func TestRender(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCmd("render", "--file", filepath.Join("..", "..", "s.yaml"))
	require.Equal(t, 0, code, stderr)
	var got, want any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	golden, err := os.ReadFile(filepath.Join("..", "..", "internal", "syaml", "testdata", "s.preview.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(golden, &want))
	assert.Equal(t, want, got)
}

// A file that cannot be read, resolved or decoded fails with exit status 1,
// every problem on a line of its own with its position.
func TestRenderErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("edition: 3.0.0\nresources:\n  f:\n    component: fc3\n    props:\n      timeout: abc\n      timout: 3\n"), 0o644))
	code, stdout, stderr := runCmd("render", "--file", bad)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout)
	assert.Equal(t, `syaml: s.yaml:6:7: resources.f.props.timeout: want an integer, got "abc"`+"\n"+
		"syaml: s.yaml:7:7: resources.f.props.timout: unknown key (did you mean timeout?)\n", stderr)

	code, _, stderr = runCmd("render", "--file", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr, "syaml: "), stderr)
	assert.Contains(t, stderr, "missing.yaml")
}
