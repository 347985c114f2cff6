package fcruntime

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// readVmHWM returns the peak resident set size (VmHWM) of pid in bytes, or
// 0 if it cannot be read (the process is gone or a zombie).
func readVmHWM(pid int) int64 {
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

// rusageMaxRSS returns the kernel's ru_maxrss of an exited process in bytes.
func rusageMaxRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru != nil {
		return ru.Maxrss << 10 // kilobytes on Linux
	}
	return 0
}
