//go:build !linux

package fcruntime

import "os"

// readVmHWM is only implemented on Linux.
func readVmHWM(pid int) int64 { return 0 }

// rusageMaxRSS is only implemented on Linux (ru_maxrss units differ).
func rusageMaxRSS(ps *os.ProcessState) int64 { return 0 }
