package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"k8s.io/klog/v2"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

// readiness reports why the plugin cannot serve pods yet; nil means it can.
type readiness func() error

// kubeletRegistration is ready once kubelet has registered the plugin. Until then a pod
// whose claim kubelet tries to prepare fails with "DRA driver netclaim.dev is not
// registered" and waits about a minute for kubelet's retry, so a DaemonSet rolling update
// must not move on (nor a user create pods) before this: the readiness probe asks it.
// status is kubeletplugin.Helper.RegistrationStatus: nil until kubelet has answered.
func kubeletRegistration(status func() *registerapi.RegistrationStatus) readiness {
	return func() error {
		s := status()
		switch {
		case s == nil:
			return errors.New("kubelet has not registered the plugin yet")
		case !s.PluginRegistered:
			return fmt.Errorf("kubelet refused to register the plugin: %s", s.Error)
		}
		return nil
	}
}

// healthMux serves /healthz (the process answers) and /readyz (ready()).
func healthMux(ready readiness) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// serveHealth listens on address until ctx ends. The plugin runs in the host network
// namespace, so the default address is loopback only; the probe names 127.0.0.1 as its host.
func serveHealth(ctx context.Context, address string, ready readiness) error {
	lis, err := net.Listen("tcp", address)
	if err != nil {
		return fmt.Errorf("listening for health probes on %s: %w", address, err)
	}
	srv := &http.Server{Handler: healthMux(ready), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			klog.FromContext(ctx).Error(err, "Stopping the health server")
		}
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving health probes on %s: %w", address, err)
	}
	return nil
}
