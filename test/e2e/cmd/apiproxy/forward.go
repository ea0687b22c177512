package main

import (
	"io"
	"log"
	"net"
	"time"
)

// forward joins an accepted connection to a new one to the API server. Each direction is
// half-closed when its source ends, so a client that finishes sending still gets the whole
// response; the watch streams clients keep open simply run until either side closes.
func forward(client net.Conn, nsPath, target string) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", target, 10*time.Second)
	if err != nil {
		log.Printf("connection from %s: dialing %s: %v", nsPath, target, err)
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	go func() { pipe(server, client); done <- struct{}{} }()
	go func() { pipe(client, server); done <- struct{}{} }()
	<-done
	<-done
}

// pipe copies src to dst. A clean end of src half-closes dst; a failure (usually a reset
// when a process exits) closes both, so the other direction cannot hang on a dead peer.
func pipe(dst, src net.Conn) {
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		src.Close()
		return
	}
	if tcp, ok := dst.(*net.TCPConn); ok {
		_ = tcp.CloseWrite()
	}
}
