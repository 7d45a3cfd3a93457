//go:build !windows

package atomicfile

import (
	"errors"
	"syscall"
)

// syncUnsupported reports a file system that cannot fsync a directory.
func syncUnsupported(err error) bool { return errors.Is(err, syscall.EINVAL) }
