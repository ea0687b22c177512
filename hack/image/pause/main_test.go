package main

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the pause program when this variable is set, so the tests
// run the real main in a child process.
const runAsPause = "NETCLAIM_TEST_RUN_AS_PAUSE"

func TestMain(m *testing.M) {
	if os.Getenv(runAsPause) == "1" {
		handlersInstalled = func() { os.Stdout.WriteString("ready\n") }
		main()
		return
	}
	os.Exit(m.Run())
}

func startPause(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runAsPause+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	buf := make([]byte, len("ready\n"))
	if _, err := io.ReadFull(stdout, buf); err != nil {
		t.Fatalf("pause did not start: %v", err)
	}
	return cmd
}

func TestPause_ExitsZeroOnTerminationSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := startPause(t)
			// SIGCHLD (a child exited) must not end it: the sandbox would die with the
			// first reaped process.
			if err := cmd.Process.Signal(syscall.SIGCHLD); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := waitOrKill(t, cmd)
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				t.Fatalf("pause exited with %v after SIGCHLD and %v, want exit status 0", exitErr, sig)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// waitOrKill guards against a pause that ignores the signal: the test fails instead of
// hanging until the go test timeout.
func waitOrKill(t *testing.T, cmd *exec.Cmd) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatal("pause is still running 30 s after the signal: it does not handle it")
		return nil
	}
}
