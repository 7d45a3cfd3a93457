//go:build unix

package daemon

import (
	"os"
	"syscall"
)

// fileOwner returns the user id owning the file fi describes, or -1.
func fileOwner(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
