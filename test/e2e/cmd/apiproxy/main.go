// apiproxy makes the API server, which listens on the host's 127.0.0.1 only, reachable as
// the same 127.0.0.1:PORT from inside the simulated nodes' network namespaces, where the
// plugin and the node agent run.
//
// Loopback is per network namespace, so a node namespace cannot reach the host's
// 127.0.0.1. Alternatives were worse: a veth link to the host with its own addresses
// would make the API server listen beyond 127.0.0.1 and give the node a link the plugin
// could mistake for hardware; a forwarder inside each namespace plus one on the host joined
// by a UNIX socket needs two processes per node. Instead one process in the host namespace
// opens a listening socket inside each node namespace — a socket keeps the namespace it
// was created in, so only the socket(2)/bind(2)/listen(2) calls need to run there, on an OS
// thread locked to that namespace — and dials the API server from the host namespace for
// every connection it accepts. TLS passes through untouched; the server name stays
// 127.0.0.1, so the API server's certificate and every kubeconfig work unchanged in both
// namespaces.
//
//	apiproxy --target 127.0.0.1:26443 --listen 127.0.0.1:26443 --ready-file F /run/netns/nc-node-1 ...
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	target := flag.String("target", "", "address of the API server in this (the host) namespace, e.g. 127.0.0.1:26443")
	listen := flag.String("listen", "", "address to listen on inside each namespace (default: --target)")
	readyFile := flag.String("ready-file", "", "file to create once every namespace has its listener")
	flag.Parse()
	if *target == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: apiproxy --target HOST:PORT [--listen HOST:PORT] [--ready-file F] NETNS_PATH...")
		os.Exit(2)
	}
	if *listen == "" {
		*listen = *target
	}
	if err := run(*target, *listen, *readyFile, flag.Args()); err != nil {
		log.Fatalf("apiproxy: %v", err)
	}
}

func run(target, listen, readyFile string, nsPaths []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for _, nsPath := range nsPaths {
		l, err := listenInNetns(nsPath, listen)
		if err != nil {
			return err
		}
		listeners = append(listeners, l)
		log.Printf("forwarding %s in %s to %s", listen, nsPath, target)
	}
	if readyFile != "" {
		if err := os.WriteFile(readyFile, nil, 0o644); err != nil {
			return fmt.Errorf("writing ready file: %w", err)
		}
	}

	var wg sync.WaitGroup
	for i, l := range listeners {
		wg.Go(func() { serve(l, nsPaths[i], target) })
	}
	<-ctx.Done()
	log.Printf("stopping: %v", context.Cause(ctx))
	for _, l := range listeners {
		l.Close()
	}
	wg.Wait()
	return nil
}

// serve accepts until the listener is closed. Open connections are not waited for: the
// process exits with the cluster.
func serve(l net.Listener, nsPath, target string) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if !isClosed(err) {
				log.Printf("accepting in %s: %v", nsPath, err)
			}
			return
		}
		go forward(conn, nsPath, target)
	}
}
