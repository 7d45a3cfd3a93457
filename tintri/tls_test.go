package tintri_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// otherCA writes the PEM of a fresh CA that signed nothing the simulator serves.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unrelated test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	s := startSim(t, sim.Options{})
	ctx := testContext(t)

	t.Run("ca file", func(t *testing.T) {
		c := newClient(t, s, s.TGCURL(), nil)
		info, err := c.Info(ctx)
		if err != nil || info.ProductName != tintri.ProductTGC {
			t.Fatalf("Info = %+v, %v", info, err)
		}
	})

	t.Run("unknown ca", func(t *testing.T) {
		rec := &recorder{}
		c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.CAFile = otherCA(t); c.Observer = rec })
		_, err := c.Info(ctx)
		var cve *tls.CertificateVerificationError
		var uae x509.UnknownAuthorityError
		if !errors.As(err, &cve) || !errors.As(err, &uae) {
			t.Fatalf("Info with an unrelated CA = %v, want a certificate verification error", err)
		}
		if want := c.Host() + ": GET /api/info: tls: failed to verify certificate: x509: certificate signed by unknown authority"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("error = %q, want prefix %q", err, want)
		}
		if requests, retries := rec.snapshot(); len(requests) != 1 || len(retries) != 0 {
			t.Errorf("certificate error retried: requests %v retries %v", requests, retries)
		}
	})

	t.Run("bad ca file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "junk.pem")
		if err := os.WriteFile(path, []byte("not a certificate"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := tintri.New(tintri.Config{URL: s.TGCURL(), Username: "u", CAFile: path})
		want := "tintri client " + strings.TrimPrefix(s.TGCURL(), "https://") + ": ca file " + path + ": no PEM certificate found"
		if err == nil || err.Error() != want {
			t.Errorf("New = %v, want %q", err, want)
		}
	})

	t.Run("insecure skip verify", func(t *testing.T) {
		var logs bytes.Buffer
		c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
			c.CAFile = ""
			c.InsecureSkipVerify = true
			c.Logger = zerolog.New(&logs).Level(zerolog.InfoLevel)
		})
		for range 2 {
			if _, err := c.ListVMstores(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := `{"level":"warn","server":"` + c.Host() + `","message":"TLS certificate verification is disabled for this server (insecure skip verify)"}` + "\n"
		if logs.String() != want {
			t.Errorf("log = %q, want exactly one warning %q", logs.String(), want)
		}
		// A later client for the same server (the next plan, apply or daemon run) is quiet.
		var again bytes.Buffer
		c2 := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
			c.CAFile = ""
			c.InsecureSkipVerify = true
			c.Logger = zerolog.New(&again).Level(zerolog.InfoLevel)
		})
		if _, err := c2.ListVMstores(ctx); err != nil {
			t.Fatal(err)
		}
		if again.Len() != 0 {
			t.Errorf("second client for %s logged %q, want nothing", c2.Host(), again.String())
		}
	})
}
