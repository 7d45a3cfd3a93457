//go:build !unix

package daemon

import "os"

// fileOwner returns -1: the owner is not known here (ReadTokenFile checks no mode).
func fileOwner(os.FileInfo) int { return -1 }
