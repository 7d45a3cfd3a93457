//go:build windows

package atomicfile

// syncUnsupported: Windows cannot fsync a directory handle; renames are durable there
// through the file system's own journal.
func syncUnsupported(error) bool { return true }
