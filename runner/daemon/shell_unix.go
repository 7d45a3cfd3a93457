//go:build !windows

package daemon

import (
	"context"
	"os/exec"
)

// shellCommand runs command through /bin/sh -c, so that a notify command may use pipes
// and redirections.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	return exec.CommandContext(ctx, "/bin/sh", "-c", command)
}
