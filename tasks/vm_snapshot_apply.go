package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Apply takes or deletes one snapshot on the change's VMstore, after reading the VM's
// snapshots (or the snapshot) again: a snapshot of the window already taken, by an earlier
// interrupted apply or anyone, is not taken twice; a snapshot gone since the plan is not
// deleted again, and one renamed or cloned since is stale.
func (t *snapshotTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	if ch.Action == plan.ActionDelete {
		var gone snapshotsGone
		if err := json.Unmarshal(ch.Before, &gone); err != nil {
			return fmt.Errorf("decode planned snapshot deletions: %w", err)
		}
		var errs []error
		for _, sn := range gone.Snapshots {
			errs = append(errs, applyDelete(ctx, c, sn))
		}
		return errors.Join(errs...)
	}
	var want snapshotCreate
	if err := json.Unmarshal(ch.After, &want); err != nil {
		return fmt.Errorf("decode planned snapshot: %w", err)
	}
	return t.applyCreate(ctx, env, c, want)
}

// applyCreate takes the planned snapshot unless the VM has one of this task taken since
// the window began or one of the planned name.
func (t *snapshotTask) applyCreate(ctx context.Context, env *runner.ApplyEnv, c *tintri.Client, want snapshotCreate) error {
	return guarded[[]tintri.Snapshot]{
		read: func(ctx context.Context) ([]tintri.Snapshot, error) {
			snaps, err := c.ListSnapshots(ctx, tintri.SnapshotFilter{VMUUID: want.VMUUID})
			if err != nil {
				return nil, fmt.Errorf("list snapshots: %w", err)
			}
			return snaps, nil
		},
		merge: func(cur []tintri.Snapshot) (*[]tintri.Snapshot, error) {
			for i := range cur {
				sn := &cur[i]
				if sn.Description == want.Name || (t.mine(sn) && !time.UnixMilli(sn.CreateTime).Before(want.WindowStart)) {
					env.Log.Info().Str("vm", want.VM).Str("snapshot", sn.Description).Msg("the VM has a snapshot of this window already; none taken")
					return nil, nil
				}
			}
			return &cur, nil
		},
		write: func(ctx context.Context, _ []tintri.Snapshot) error {
			spec := tintri.SnapshotSpec{Consistency: want.Consistency, SnapshotName: want.Name, SourceVMTintriUUID: want.VMUUID}
			if _, err := c.CreateSnapshots(ctx, []tintri.SnapshotSpec{spec}); err != nil {
				return fmt.Errorf("take snapshot: %w", err)
			}
			return nil
		},
	}.run(ctx)
}

// applyDelete deletes the planned snapshot unless it is gone; one renamed or cloned since
// the plan is stale.
func applyDelete(ctx context.Context, c *tintri.Client, gone snapshotGone) error {
	return guarded[*tintri.Snapshot]{
		read: func(ctx context.Context) (*tintri.Snapshot, error) {
			sn, err := c.GetSnapshot(ctx, gone.UUID)
			var te *tintri.TintriError
			if errors.As(err, &te) && te.Status == http.StatusNotFound {
				return nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("read snapshot: %w", err)
			}
			return sn, nil
		},
		merge: func(cur *tintri.Snapshot) (**tintri.Snapshot, error) {
			switch {
			case cur == nil:
				return nil, nil // deleted already
			case cur.Description != gone.Name:
				return nil, stale("the name of snapshot "+gone.UUID, strconv.Quote(cur.Description), strconv.Quote(gone.Name))
			case cur.CloneReferenceCount > 0:
				return nil, stale("the clone count of snapshot "+gone.Name, strconv.Itoa(cur.CloneReferenceCount), "0")
			}
			return &cur, nil
		},
		write: func(ctx context.Context, _ *tintri.Snapshot) error {
			if err := c.DeleteSnapshot(ctx, gone.UUID); err != nil {
				return fmt.Errorf("delete snapshot %s: %w", gone.Name, err)
			}
			return nil
		},
	}.run(ctx)
}
