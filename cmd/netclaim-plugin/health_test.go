package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"
)

func TestReadyz_FollowsKubeletRegistration(t *testing.T) {
	tests := []struct {
		name     string
		status   *registerapi.RegistrationStatus
		wantCode int
		wantBody string
	}{
		{"kubelet has not called yet", nil, http.StatusServiceUnavailable, "not registered the plugin yet"},
		{"kubelet refused", &registerapi.RegistrationStatus{Error: "version mismatch"}, http.StatusServiceUnavailable,
			"refused to register the plugin: version mismatch"},
		{"registered", &registerapi.RegistrationStatus{PluginRegistered: true}, http.StatusOK, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready := kubeletRegistration(func() *registerapi.RegistrationStatus { return tt.status })
			rec := httptest.NewRecorder()
			healthMux(ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("/readyz = %d %q, want %d containing %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestHealthz_AnswersWhileNotReady(t *testing.T) {
	ready := kubeletRegistration(func() *registerapi.RegistrationStatus { return nil })
	rec := httptest.NewRecorder()
	healthMux(ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200 while not ready: liveness must not restart a plugin waiting for kubelet", rec.Code)
	}
}
