package fault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	resourceapi "k8s.io/api/resource/v1"
)

// jobEnv carries a helper process's job; TestHelperPlugin does nothing without it.
const jobEnv = "NETCLAIM_FAULT_JOB"

// exitStepNotReached is the helper's exit code when its operation finished without
// reaching the step it was to die at.
const exitStepNotReached = 3

// Operations a helper plugin process performs, as kubelet or the runtime would call them.
const (
	opPrepare   = "prepare"
	opRun       = "run"
	opStop      = "stop"
	opRemove    = "remove"
	opUnprepare = "unprepare"
)

// job is one plugin process's life: start over Env's state, perform Op, and SIGKILL
// itself at the Occurrence-th time (from 1) it passes step CrashAt.
type job struct {
	Env        pluginEnv
	Op         string
	CrashAt    string
	Occurrence int
	Claims     []*resourceapi.ResourceClaim
	Sandbox    sandboxRef
}

// TestHelperPlugin is not a test: it is the plugin process that crash tests re-execute
// this binary as (see runCrashingPlugin).
func TestHelperPlugin(t *testing.T) {
	raw := os.Getenv(jobEnv)
	if raw == "" {
		return
	}
	var j job
	if err := json.Unmarshal([]byte(raw), &j); err != nil {
		fmt.Fprintf(os.Stderr, "decoding job: %v\n", err)
		os.Exit(2)
	}
	seen := 0
	hook := func(step string) {
		if step != j.CrashAt {
			return
		}
		if seen++; seen == j.Occurrence {
			// The real thing: no deferred function, no cleanup, no flushed buffer.
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	p, err := openPlugin(j.Env, hook)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the plugin: %v\n", err)
		os.Exit(2)
	}
	err = j.perform(context.Background(), p)
	fmt.Fprintf(os.Stderr, "%s finished (error: %v) without passing %s %d time(s); it passed it %d time(s)\n",
		j.Op, err, j.CrashAt, j.Occurrence, seen)
	os.Exit(exitStepNotReached)
}

func (j job) perform(ctx context.Context, p *plugin) error {
	switch j.Op {
	case opPrepare:
		return p.prepare(ctx, j.Claims)
	case opRun:
		return p.nri.RunPodSandbox(ctx, j.Sandbox.pod())
	case opStop:
		return p.nri.StopPodSandbox(ctx, j.Sandbox.stopped().pod())
	case opRemove:
		return p.nri.RemovePodSandbox(ctx, j.Sandbox.stopped().pod())
	case opUnprepare:
		return p.unprepare(ctx, refsOf(j.Claims))
	}
	return fmt.Errorf("unknown operation %q", j.Op)
}

// runCrashingPlugin runs j in a fresh plugin process and requires that it died of
// SIGKILL, that is: at the step it was told to.
func runCrashingPlugin(t *testing.T, j job) {
	t.Helper()
	raw, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPlugin$", "-test.count=1")
	cmd.Env = append(os.Environ(), jobEnv+"="+string(raw))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("plugin process for %s until %s #%d: want death by SIGKILL, got %v\n%s", j.Op, j.CrashAt, j.Occurrence, err, out)
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("plugin process for %s until %s #%d: want death by SIGKILL, got %v\n%s", j.Op, j.CrashAt, j.Occurrence, err, out)
	}
}
