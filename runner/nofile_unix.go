//go:build unix

package runner

import "syscall"

// openFileLimit is the process's soft RLIMIT_NOFILE (Go raises it to the hard limit at
// start), 0 when it cannot be read or is unlimited.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if cur := uint64(rl.Cur); cur < 1<<62 { // larger: RLIM_INFINITY, whatever its type
		return cur
	}
	return 0
}
