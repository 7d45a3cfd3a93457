//go:build !unix

package runner

// openFileLimit is 0 (none known) where the process has no RLIMIT_NOFILE.
func openFileLimit() uint64 { return 0 }
