package bench

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVmHWM(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("VmHWM is Linux's")
	}
	assert.Positive(t, vmHWM(os.Getpid()))
	assert.Zero(t, vmHWM(-1), "no such process")
}
