package daemon

import (
	"fmt"
	"os"
	"testing"
)

func TestLockDaemonRefusesASecondDaemon(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDaemon(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockDaemon(dir)
	want := fmt.Sprintf("state dir %s is locked by another daemon (pid %d); stop it or use another -state-dir", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second lock: %v\nwant: %s", err, want)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = lockDaemon(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}
