package runner

import (
	"fmt"
	"os"
	"testing"
)

func TestLockStateDirRefusesASecondDaemon(t *testing.T) {
	dir := t.TempDir()
	l, err := LockStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockStateDir(dir)
	want := fmt.Sprintf("state dir %s is locked by another daemon (pid %d); stop it or use another -state-dir", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second lock: %v\nwant: %s", err, want)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = LockStateDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l.Unlock()
}
