package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 for that interface whatever the kernel's HZ
// (sysconf(_SC_CLK_TCK), not reachable from Go without cgo).
const clockTick = 10 * time.Millisecond

// ProcessCPU returns a function reading the CPU time (user + system, all
// threads) that process pid has used so far, from /proc/<pid>/stat. It is
// Linux only, and counts in 10 ms ticks: time a timed phase long enough for
// the ticks not to matter (a second of CPU is 100 of them).
func ProcessCPU(pid int) func() (time.Duration, error) {
	file := "/proc/" + strconv.Itoa(pid) + "/stat"
	return func() (time.Duration, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return 0, err
		}
		return parseStat(string(b))
	}
}

// parseStat reads utime and stime, fields 14 and 15 of a stat line. The
// command name (field 2) is in parentheses and may hold spaces or ')', so
// fields are counted from the last ')'.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("stat: %d fields", len(f)+2)
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("stat: utime %q stime %q", f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// selfCPU is this process's CPU time (user + system), in microseconds'
// resolution.
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// loadAvg is the 1-minute load average, "" when unknown.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
}
