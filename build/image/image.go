package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platformBinary is the static tintri-jobs binary built for one platform.
type platformBinary struct {
	platform v1.Platform
	path     string
}

// spec is what one image build needs besides the binaries.
type spec struct {
	version  string
	revision string
	source   string
	caCerts  []byte
	created  time.Time
}

// labels returns the image's OCI labels; the index carries them as annotations too.
func (s spec) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "tintri-jobs",
		"org.opencontainers.image.description": "Declarative batch job runner for Tintri storage",
		"org.opencontainers.image.version":     s.version,
		"org.opencontainers.image.revision":    s.revision,
		"org.opencontainers.image.source":      s.source,
		"org.opencontainers.image.created":     s.created.UTC().Format(time.RFC3339),
	}
}

// buildIndex returns an OCI image index with one image per binary, in the given order.
func buildIndex(s spec, bins []platformBinary) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, 0, len(bins))
	for _, b := range bins {
		img, err := buildImage(s, b)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", b.platform, err)
		}
		p := b.platform
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	withAnnotations := mutate.Annotations(idx, s.labels())
	annotated, ok := withAnnotations.(v1.ImageIndex)
	if !ok {
		return nil, fmt.Errorf("index annotations: got %T, not an index", withAnnotations)
	}
	return annotated, nil
}

// buildImage returns the single-layer image for one platform: the binary as entrypoint,
// run as nonroot, with CA certificates and no shell.
func buildImage(s spec, b platformBinary) (v1.Image, error) {
	binary, err := os.ReadFile(b.path)
	if err != nil {
		return nil, fmt.Errorf("binary: %w", err)
	}
	raw, err := layerTar(rootfs(binary, s.caCerts), s.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(raw)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.ConfigFile(empty.Image, imageConfig(s, b.platform))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
	return mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: s.created}, CreatedBy: "make image", Comment: "tintri-jobs " + s.version},
	})
}

// imageConfig returns the config of the image for p before its layer is added.
func imageConfig(s spec, p v1.Platform) *v1.ConfigFile {
	return &v1.ConfigFile{
		Architecture: p.Architecture,
		OS:           p.OS,
		Variant:      p.Variant,
		Created:      v1.Time{Time: s.created},
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: []string{"/" + binaryPath},
			User:       strconv.Itoa(nonrootUID) + ":" + strconv.Itoa(nonrootUID),
			WorkingDir: "/" + homeDir,
			Labels:     s.labels(),
		},
	}
}
