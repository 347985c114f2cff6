package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary plays the command when FCLOCAL_TEST_MAIN is set, so the
// tests run the real main (flag parsing, exit status) in a subprocess.
func TestMain(m *testing.M) {
	if os.Getenv("FCLOCAL_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "FCLOCAL_TEST_MAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func TestHelpDocumentsEverything(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		code, out, _ := run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		for _, want := range []string{
			"fclocal [flags]", "fclocal up", "fclocal invoke FUNCTION", "demo",
			"-file", "-set", "-endpoint", "-real", "-region", "-http", "-emulator-listen",
			"-event", "-async", "-no-build", "-fleet", "-logs", "-retry-delay",
			"/<functionName>/", "X-Fc-Invocation-Type: Async", "405", "CRON_TZ",
			"maxAsyncRetryAttempts", "onSuccess/onFailure", "JSON strings",
			"fclocal put-event", "EventBridge triggers", "eventRuleFilterPattern", "asyncInvocationType",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"--nope"}, {"--set", "novalue"}, {"invoke"}, {"--file", "/nonexistent/s.yaml"}} {
		code, _, stderr := run(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if !strings.HasPrefix(stderr, "fclocal:") {
			t.Errorf("%v: stderr %q", args, stderr)
		}
	}
}
