// Command image assembles the tintri-jobs container image without a container daemon:
// from static binaries built beforehand (one per platform), it writes a multi-platform OCI
// image layout packed as one tar file. `make image` builds the binaries and runs it; the
// Dockerfile at the repository root describes the same image for those who build with Docker.
//
// It is its own Go module so that go-containerregistry stays out of tintri-jobs' build.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

// run parses the flags, builds the index, writes the archive and reports it on stdout.
func run(args []string, stdout io.Writer) error {
	flags := flag.NewFlagSet("image", flag.ContinueOnError)
	out := flags.String("out", "bin/tintri-jobs-image.tar", "OCI archive to write")
	ref := flags.String("ref", "", "image name with tag, e.g. ghcr.io/tintri-jobs/tintri-jobs:v1.2.3 (required)")
	caFile := flags.String("ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates to ship")
	created := flags.String("created", os.Getenv("SOURCE_DATE_EPOCH"), "creation time in Unix seconds, for every time stamp (default $SOURCE_DATE_EPOCH, else 0)")
	var s spec
	flags.StringVar(&s.version, "version", "", "version label; the binaries' -X main.version (required)")
	flags.StringVar(&s.revision, "revision", "", "revision label; the binaries' -X main.commit (required)")
	flags.StringVar(&s.source, "source", "https://github.com/tintri-jobs/tintri-jobs", "source label")
	var bins []platformBinary
	flags.Func("binary", "`os/arch=path` of a static tintri-jobs binary; repeat per platform (at least one)", func(v string) error {
		b, err := parseBinary(v)
		if err != nil {
			return err
		}
		for _, o := range bins {
			if o.platform.Equals(b.platform) {
				return fmt.Errorf("platform %s given twice", b.platform)
			}
		}
		bins = append(bins, b)
		return nil
	})
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *ref == "" || s.version == "" || s.revision == "" || len(bins) == 0 {
		return fmt.Errorf("-ref, -version, -revision and -binary are required")
	}
	tag, err := name.NewTag(*ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-ref %q: %w (it needs an explicit tag)", *ref, err)
	}
	if s.created, err = parseEpoch(*created); err != nil {
		return err
	}
	if s.caCerts, err = readCACerts(*caFile); err != nil {
		return err
	}
	idx, err := buildIndex(s, bins)
	if err != nil {
		return err
	}
	if err := writeArchive(idx, tag, *out, s.created); err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s@%s\n", *out, tag, digest)
	return nil
}

// parseBinary parses one -binary value, "linux/amd64=bin/image/linux/amd64/tintri-jobs".
func parseBinary(v string) (platformBinary, error) {
	plat, path, ok := strings.Cut(v, "=")
	if !ok || path == "" {
		return platformBinary{}, fmt.Errorf("want os/arch=path, got %q", v)
	}
	p, err := v1.ParsePlatform(plat)
	if err != nil {
		return platformBinary{}, fmt.Errorf("platform %q: %w", plat, err)
	}
	if p.OS != "linux" || p.Architecture == "" {
		return platformBinary{}, fmt.Errorf("platform %q: want linux/<arch>", plat)
	}
	return platformBinary{platform: *p, path: path}, nil
}

// parseEpoch parses Unix seconds; empty means the epoch itself.
func parseEpoch(v string) (time.Time, error) {
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("-created %q: want Unix seconds: %w", v, err)
	}
	return time.Unix(n, 0).UTC(), nil
}
