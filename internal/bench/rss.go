package bench

import (
	"bytes"
	"os"
	"strconv"

	"github.com/fc-ecs-release/fc-ecs-release/internal/fcruntime"
)

// stopAndPeakRSS stops a function instance and returns its process's own
// peak resident set size: VmHWM of the running process, read before it is
// stopped (Linux). fcruntime's PeakRSS also takes the kernel's ru_maxrss
// once the process has exited, and that figure is not the function's own:
// Go starts a process with vfork, and exec records the parent's high-water
// mark (this benchmark's, holding the emulator's fleet) in the child's
// maxrss. PeakRSS is the answer only where VmHWM cannot be read (another
// system) or the instance restarted its process.
func stopAndPeakRSS(inst *fcruntime.Instance) int64 {
	var hwm int64
	if pid := inst.PID(); pid != 0 && inst.Restarts() == 0 {
		hwm = vmHWM(pid)
	}
	inst.Stop()
	if hwm > 0 {
		return hwm
	}
	return inst.PeakRSS()
}

// vmHWM is the peak resident set size (VmHWM) of pid in bytes, or 0 if it
// cannot be read.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest) // "1234", "kB"
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}
