package ecsemu_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFunctionBinariesDoNotLinkTheV7SDK keeps the current official SDK
// (github.com/alibabacloud-go/..., used by the conformance tests) a
// test-only dependency: the function binaries under ./functions must link
// the classic SDK only, so they do not grow.
func TestFunctionBinariesDoNotLinkTheV7SDK(t *testing.T) {
	t.Parallel()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go is not on PATH: %v", err)
	}
	// Run the go binary of the toolchain in use (go env GOROOT), not
	// whatever wrapper PATH names first.
	goroot, err := exec.Command(goCmd, "env", "GOROOT").Output()
	require.NoError(t, err, "go env GOROOT")
	goBin := filepath.Join(strings.TrimSpace(string(goroot)), "bin", "go")

	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"), "the module root is two levels up")

	cmd := exec.Command(goBin, "list", "-deps", "./functions/...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps ./functions/...: %s", stderr.String())

	pkgs := strings.Fields(string(out))
	// Sanity: the pattern matched the functions, and they use the classic SDK.
	require.Contains(t, pkgs, "github.com/fc-ecs-release/fc-ecs-release/functions/stop")
	require.Contains(t, pkgs, "github.com/aliyun/alibaba-cloud-sdk-go/sdk", "the functions call ECS through the classic SDK")
	var v7 []string
	for _, p := range pkgs {
		if strings.HasPrefix(p, "github.com/alibabacloud-go/") {
			v7 = append(v7, p)
		}
	}
	assert.Empty(t, v7, "the function binaries depend on the v7 SDK's packages; keep them test-only")
}
