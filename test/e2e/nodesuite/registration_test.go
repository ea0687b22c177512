package nodesuite

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// kubeletLog is the kubelet's log, written by node-up.sh.
func (n *node) kubeletLog() string { return filepath.Join(n.runDir, "logs", "kubelet.log") }

// kubeletLogSize is where the kubelet's log ends now: registrations logged later are
// newer than this moment.
func kubeletLogSize(t *testing.T, n *node) int64 {
	t.Helper()
	fi, err := os.Stat(n.kubeletLog())
	if err != nil {
		t.Fatalf("kubelet log: %v", err)
	}
	return fi.Size()
}

// Kubelet's log lines of a plugin registration: its plugin manager starts registering
// the plugin's registration socket, then its DRA plugin manager connects to the driver's
// socket. Only that order counts: when the plugin process dies, kubelet's gRPC client
// logs "Connection changed ... connected=true" for the dead socket once more.
var (
	registerStarted = [][]byte{[]byte(`"OperationExecutor.RegisterPlugin started"`), []byte(driverName + `-reg.sock`)}
	driverConnected = [][]byte{[]byte(`"Connection changed"`), []byte(`driverName="` + driverName + `"`), []byte(`connected=true`)}
)

// waitRegistered waits until kubelet logged, after offset, that it registered the
// netclaim driver and connected to it. A plugin container reports Ready before that; a
// pod whose claims kubelet tries to prepare in between fails with "DRA driver
// netclaim.dev is not registered" and is retried only at kubelet's next pod resync, about
// a minute later.
func waitRegistered(t *testing.T, n *node, offset int64) {
	t.Helper()
	poll(t, "kubelet registering "+driverName+" again", restartTimeout, func(context.Context) (bool, error) {
		f, err := os.Open(n.kubeletLog())
		if err != nil {
			return false, err
		}
		defer f.Close()
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return false, err
		}
		data, err := io.ReadAll(f)
		if err != nil {
			return false, err
		}
		registering := false
		for _, line := range bytes.Split(data, []byte("\n")) {
			switch {
			case containsAll(line, registerStarted):
				registering = true
			case registering && containsAll(line, driverConnected):
				return true, nil
			}
		}
		return false, nil
	})
}

func containsAll(line []byte, parts [][]byte) bool {
	for _, p := range parts {
		if !bytes.Contains(line, p) {
			return false
		}
	}
	return true
}
