package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func newTestNetns(t *testing.T) (path string, ns netns.NsHandle) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	name := fmt.Sprintf("apiproxy-test-%d", os.Getpid())
	type result struct {
		ns  netns.NsHandle
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // left locked on failure: Go discards the thread
		orig, err := netns.Get()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer orig.Close()
		created, err := netns.NewNamed(name)
		if err == nil {
			err = netns.Set(orig)
		}
		if err == nil {
			runtime.UnlockOSThread()
		}
		done <- result{created, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("creating netns %s: %v", name, r.err)
	}
	t.Cleanup(func() {
		r.ns.Close()
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("deleting netns %s: %v", name, err)
		}
	})
	return filepath.Join("/run/netns", name), r.ns
}

// dialFrom connects to addr from inside ns, the way a node process would.
func dialFrom(t *testing.T, ns netns.NsHandle, addr string) net.Conn {
	t.Helper()
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends in the other namespace
		if err := netns.Set(ns); err != nil {
			done <- result{err: err}
			return
		}
		c, err := net.Dial("tcp", addr)
		done <- result{c, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatalf("dialing %s from the node netns: %v", addr, r.err)
	}
	return r.c
}

func TestListenInNetns_ForwardsToAServerOnTheHostLoopback(t *testing.T) {
	nsPath, ns := newTestNetns(t)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "from the host")
	}))
	defer server.Close()
	target := server.Listener.Addr().String()

	// Loopback of a new namespace is down; the node tooling brings it up, so do it here.
	bringUpLo(t, ns)
	l, err := listenInNetns(nsPath, target)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go serve(l, nsPath, target)

	conn := dialFrom(t, ns, target)
	// Without the proxy nothing listens on this port inside the namespace.
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil },
	}}
	resp, err := client.Get("http://" + target + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(body) != "from the host" {
		t.Errorf("body = %q, want %q", body, "from the host")
	}
}

func bringUpLo(t *testing.T, ns netns.NsHandle) {
	t.Helper()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
}
