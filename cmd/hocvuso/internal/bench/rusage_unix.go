//go:build unix

package bench

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// rusage returns the process's CPU time (user + system) and its peak resident set size.
func rusage() (cpuNanos, maxRSSKB int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	maxRSS := int64(ru.Maxrss)
	if runtime.GOOS == "darwin" {
		maxRSS /= 1024 // bytes there, kilobytes on Linux
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), maxRSS
}

// currentRSS reads VmRSS from /proc (Linux); 0 elsewhere.
func currentRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	return 0
}

// syscalls reads the process's read and write system call counts from /proc (Linux); 0
// elsewhere. Unlike CPU time, they do not depend on how busy the machine is.
func syscalls() (reads, writes int64) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0
	}
	for line := range bytes.Lines(b) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		switch string(k) {
		case "syscr":
			reads = n
		case "syscw":
			writes = n
		}
	}
	return reads, writes
}
