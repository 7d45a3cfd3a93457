package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// The non-root account the image runs as, the same numbers as distroless's "nonroot".
const (
	nonrootUID  = 65532
	nonrootName = "nonroot"
)

// Paths inside the image. The Dockerfile creates the same ones.
const (
	binaryPath  = "tintri-jobs"
	caCertsPath = "etc/ssl/certs/ca-certificates.crt"
	homeDir     = "home/nonroot"
	stateDir    = "var/lib/tintri-jobs"
)

// passwd and group name root and nonroot with no login shell: the image has no shell.
var (
	passwd = fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n"+
		"%[1]s:x:%[2]d:%[2]d:%[1]s:/%[3]s:/sbin/nologin\n", nonrootName, nonrootUID, homeDir)
	group = fmt.Sprintf("root:x:0:\n%s:x:%d:\n", nonrootName, nonrootUID)
)

// entry is one file or directory of the image's only layer.
type entry struct {
	name string
	mode int64 // permission bits, sticky bit included
	dir  bool
	uid  int
	data []byte
}

// rootfs returns the entries of the layer, parents before children: the binary, CA
// certificates, the nonroot account, /tmp, and the nonroot-owned home and state directories.
func rootfs(binary, caCerts []byte) []entry {
	return []entry{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/", dir: true, mode: 0o755},
		{name: caCertsPath, mode: 0o644, data: caCerts},
		{name: "home/", dir: true, mode: 0o755},
		{name: homeDir + "/", dir: true, mode: 0o755, uid: nonrootUID},
		{name: binaryPath, mode: 0o755, data: binary},
		{name: "tmp/", dir: true, mode: 0o1777},
		{name: "var/", dir: true, mode: 0o755},
		{name: "var/lib/", dir: true, mode: 0o755},
		{name: stateDir + "/", dir: true, mode: 0o755, uid: nonrootUID},
	}
}

// layerTar writes entries as an uncompressed tar stream, every time stamp set to mtime so
// that the same inputs give the same layer digest.
func layerTar(entries []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.uid,
			ModTime: mtime,
		}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return buf.Bytes(), nil
}

// readCACerts reads a PEM bundle and refuses one without a single parsable certificate, so
// an image never ships that cannot verify the appliances' TLS.
func readCACerts(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca certificates: %w (on Debian: apt-get install ca-certificates)", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca certificates %s: no PEM certificate in it", path)
	}
	return b, nil
}
