//go:build !unix

package bench

// rusage is not measured on this system.
func rusage() (cpuNanos, maxRSSKB int64) { return 0, 0 }

func currentRSS() int64 { return 0 }

func syscalls() (reads, writes int64) { return 0, 0 }
