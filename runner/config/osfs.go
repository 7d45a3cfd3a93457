package config

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// OSFS is the operating system's file system for Load, with names as a person types them
// on the command line: absolute, or relative to the working directory, slash-separated.
// Unlike os.DirFS it accepts absolute paths and "..", so every file name in diagnostics,
// plans and errors is the real path ("/etc/tintri/jobs.hcl", "jobs.hcl"), and a job file
// may name files outside its own directory.
type OSFS struct{}

// Open opens name with os.Open.
func (OSFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }

// joinPath resolves p, slash-separated, against dir; an absolute p is returned as is.
func joinPath(dir, p string) string {
	if path.IsAbs(p) {
		return p
	}
	return path.Join(dir, p)
}

// readRelative reads p, relative to dir, through fsys and returns the path it read (the
// name diagnostics and the hash use) with the contents. Through an fs.FS other than OSFS
// the path must stay inside the file system's tree.
func readRelative(fsys fs.FS, dir, p string) (string, []byte, error) {
	full := joinPath(dir, p)
	if _, isOS := fsys.(OSFS); !isOS && !fs.ValidPath(full) {
		return "", nil, fmt.Errorf("read %s: path must be relative to the job file's directory and stay inside the job files' tree", p)
	}
	b, err := readAtMost(fsys, full, maxDataFileSize)
	switch {
	case err != nil:
		return "", nil, fmt.Errorf("read %s: %w", p, err)
	case len(b) > maxDataFileSize:
		return "", nil, fmt.Errorf("read %s: the file is larger than %s, the limit for a file a job reads", p, mib(maxDataFileSize))
	}
	return full, b, nil
}
