package statedir_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
)

func TestAcquireRefusesAndNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	l, err := statedir.Acquire(ctx, dir, "x.lock", "tintri-jobs apply", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = statedir.Acquire(ctx, dir, "x.lock", "tintri-jobs daemon", 0)
	var held *statedir.HeldError
	if !errors.As(err, &held) || held.Pid != os.Getpid() || held.Command != "tintri-jobs apply" {
		t.Fatalf("second Acquire: %v (%+v), want a HeldError naming this process and its command", err, held)
	}
	start := time.Now()
	_, err = statedir.Acquire(ctx, dir, "x.lock", "tintri-jobs daemon", 300*time.Millisecond)
	if !errors.As(err, &held) || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("Acquire with a timeout returned %v after %v, want a HeldError after waiting", err, time.Since(start))
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = statedir.Acquire(ctx, dir, "x.lock", "tintri-jobs apply", 0)
	if err != nil {
		t.Fatalf("Acquire after Unlock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// TestAcquireWaitsForRelease: a waiting Acquire gets the lock once the holder lets go.
func TestAcquireWaitsForRelease(t *testing.T) {
	dir := t.TempDir()
	l, err := statedir.Acquire(context.Background(), dir, "x.lock", "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = l.Unlock()
	}()
	l2, err := statedir.Acquire(context.Background(), dir, "x.lock", "second", 10*time.Second)
	if err != nil {
		t.Fatalf("waiting Acquire: %v", err)
	}
	_ = l2.Unlock()
}

// TestLockDiesWithItsProcess: a holder killed with SIGKILL leaves no stale lock.
func TestLockDiesWithItsProcess(t *testing.T) {
	if dir := os.Getenv("STATEDIR_TEST_HOLD"); dir != "" {
		if _, err := statedir.Acquire(context.Background(), dir, "x.lock", "holder", 0); err != nil {
			os.Exit(3)
		}
		_, _ = os.Stdout.WriteString("locked\n") // the parent test fails if it never reads it
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithItsProcess$")
	cmd.Env = append(os.Environ(), "STATEDIR_TEST_HOLD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("holder said %q, %v", line, err)
	}
	var held *statedir.HeldError
	if _, err := statedir.Acquire(context.Background(), dir, "x.lock", "me", 0); !errors.As(err, &held) || held.Pid != cmd.Process.Pid {
		t.Fatalf("Acquire while the child holds the lock: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := statedir.Acquire(context.Background(), dir, "x.lock", "me", 0)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	_ = l.Unlock()
}
