package main

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// archive is an OCI archive read back the way a loader reads it: index.json, the
// multi-platform index it names, and each platform's config and files.
type archive struct {
	refAnnotations   map[string]string // on index.json's only entry
	indexAnnotations map[string]string
	images           []platformImage
}

// platformImage is one platform's image: its config and the files of its only layer.
type platformImage struct {
	platform v1.Platform
	config   *v1.ConfigFile
	headers  []*tar.Header // in layer order
	files    map[string][]byte
}

// readArchive unpacks the OCI archive at path with archive/tar and reads it with
// go-containerregistry's layout reader, checking the media types on the way.
func readArchive(t *testing.T, path string) archive {
	t.Helper()
	dir := t.TempDir()
	untar(t, path, dir)
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read layout: %v", err)
	}
	rootManifest, err := root.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(rootManifest.Manifests) != 1 || rootManifest.Manifests[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json: want one OCI image index, got %+v", rootManifest.Manifests)
	}
	desc := rootManifest.Manifests[0]
	idx, err := root.ImageIndex(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	a := archive{refAnnotations: desc.Annotations, indexAnnotations: m.Annotations}
	for _, d := range m.Manifests {
		if d.MediaType != types.OCIManifestSchema1 || d.Platform == nil {
			t.Fatalf("index entry %s: want an OCI manifest with a platform, got %s %v", d.Digest, d.MediaType, d.Platform)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		a.images = append(a.images, readImage(t, *d.Platform, img))
	}
	return a
}

// readImage reads one image's config and the files of its single OCI layer.
func readImage(t *testing.T, p v1.Platform, img v1.Image) platformImage {
	t.Helper()
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("%s: config: %v", p, err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%s: want one layer, got %d (%v)", p, len(layers), err)
	}
	if mt, err := layers[0].MediaType(); err != nil || mt != types.OCILayer {
		t.Fatalf("%s: layer media type %s (%v), want %s", p, mt, err, types.OCILayer)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	pi := platformImage{platform: p, config: cfg, files: map[string][]byte{}}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: layer: %v", p, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		pi.headers = append(pi.headers, h)
		pi.files[h.Name] = b
	}
	return pi
}

// untar extracts the regular files and directories of the tar file at path into dir.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !filepath.IsLocal(h.Name) {
			t.Fatalf("%s: entry %q leaves the archive", path, h.Name)
		}
		dst := filepath.Join(dir, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(dst, b, 0o644)
			}
		default:
			t.Fatalf("%s: entry %q has unexpected type %c", path, h.Name, h.Typeflag)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// image returns the archive's image for os/arch, failing the test when there is none.
func (a archive) image(t *testing.T, platform string) platformImage {
	t.Helper()
	var have []string
	for _, pi := range a.images {
		if pi.platform.String() == platform {
			return pi
		}
		have = append(have, pi.platform.String())
	}
	t.Fatalf("no %s image; have %s", platform, strings.Join(have, ", "))
	return platformImage{}
}
