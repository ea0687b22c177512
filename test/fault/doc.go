// Package fault is netclaim's fault-injection and bad-input suite for the node side.
//
// It kills a real plugin process (this test binary, re-executed as a helper) with SIGKILL
// at every step boundary of prepare, attach, detach and unprepare, restarts the plugin
// over the same checkpoint, CDI folder and node network namespace, replays what kubelet
// and the container runtime would replay, and requires the node to be exactly as before
// the pod. It also drives repeated and out-of-order calls, 100 concurrent claims and a
// table of bad inputs through the real prepare path, and fuzzes discovery over a mutated
// synthetic sysfs tree. Tests that need root skip with a reason otherwise.
package fault
