//go:build unix

package huaweicloud

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used so
// far, every goroutine included: in-process simulators count too.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
