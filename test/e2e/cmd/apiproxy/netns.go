package main

import (
	"errors"
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netns"
)

// listenInNetns creates a TCP listener inside the network namespace at nsPath.
//
// The namespace switch happens on a goroutine locked to its OS thread that never unlocks:
// when it returns, the Go runtime ends that thread instead of handing a thread in the
// wrong namespace to other goroutines. The listener keeps the node namespace for its whole
// life, while Accept and everything else run on ordinary threads in the host namespace.
func listenInNetns(nsPath, addr string) (net.Listener, error) {
	type result struct {
		l   net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		l, err := listenOnThisThread(nsPath, addr)
		done <- result{l, err}
	}()
	r := <-done
	if r.err != nil {
		return nil, fmt.Errorf("listening on %s in %s: %w", addr, nsPath, r.err)
	}
	return r.l, nil
}

func listenOnThisThread(nsPath, addr string) (net.Listener, error) {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	if err := netns.Set(ns); err != nil {
		return nil, fmt.Errorf("entering the namespace: %w", err)
	}
	return net.Listen("tcp", addr)
}

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }
