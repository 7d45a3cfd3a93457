//go:build windows

package daemon

import (
	"context"
	"os"
	"os/exec"
	"syscall"
)

// shellCommand runs command through the command interpreter (%ComSpec%, cmd.exe), whose
// own quoting rules apply: Windows has no /bin/sh. The command line is handed over as
// written (cmd /S /C "…"), not re-quoted argument by argument.
func shellCommand(ctx context.Context, command string) *exec.Cmd {
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = `C:\Windows\System32\cmd.exe`
	}
	cmd := exec.CommandContext(ctx, comspec)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `"` + comspec + `" /S /C "` + command + `"`}
	return cmd
}
