package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// AuditFile is the audit log's file name inside the state directory.
const AuditFile = "audit.jsonl"

// auditLog appends records to <state-dir>/audit.jsonl, one fsynced line each, one writer
// at a time.
type auditLog struct {
	mu sync.Mutex
	f  *os.File
}

// openAudit creates the state directory if needed and opens its audit log for appending.
func openAudit(dir string) (*auditLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit log: state dir: %w", err)
	}
	path := filepath.Join(dir, AuditFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &auditLog{f: f}, nil
}

// write appends rec and syncs it to disk before returning.
func (a *auditLog) write(rec plan.AuditRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: encode: %w", err)
	}
	b = append(b, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(b); err != nil {
		return fmt.Errorf("audit log: write: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("audit log: sync: %w", err)
	}
	return nil
}

func (a *auditLog) close() error {
	if err := a.f.Close(); err != nil {
		return fmt.Errorf("audit log: close: %w", err)
	}
	return nil
}

// ReadAudit reads every record of the audit log in dir, oldest first.
func ReadAudit(dir string) ([]plan.AuditRecord, error) {
	b, err := os.ReadFile(filepath.Join(dir, AuditFile))
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var recs []plan.AuditRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var r plan.AuditRecord
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("audit log: record %d: %w", len(recs)+1, err)
		}
		recs = append(recs, r)
	}
	return recs, nil
}
