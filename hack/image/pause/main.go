// pause is the pod sandbox's first process for test nodes: it holds the pod's namespaces
// open, reaps orphaned children (it is PID 1 when the pod shares its PID namespace) and
// exits 0 on SIGINT or SIGTERM. Build it static (CGO_ENABLED=0) for a scratch image.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

// handlersInstalled runs once signals are caught; the test replaces it to learn when a
// signal sent to the process can no longer be lost.
var handlersInstalled = func() {}

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	handlersInstalled()
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reapChildren()
	}
}

// reapChildren waits for every exited child; one SIGCHLD can stand for several exits.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
