package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadyz_FollowsKubeletRegistration(t *testing.T) {
	tests := []struct {
		name              string
		registered, known bool
		reason            string
		wantCode          int
		wantBody          string
	}{
		{"kubelet has not called yet", false, false, "", http.StatusServiceUnavailable, "not registered the plugin yet"},
		{"kubelet refused", false, true, "version mismatch", http.StatusServiceUnavailable, "refused to register the plugin: version mismatch"},
		{"registered", true, true, "", http.StatusOK, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready := kubeletRegistration(func() (bool, string, bool) { return tt.registered, tt.reason, tt.known })
			rec := httptest.NewRecorder()
			healthMux(ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("/readyz = %d %q, want %d containing %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestHealthz_AnswersWhileNotReady(t *testing.T) {
	ready := kubeletRegistration(func() (bool, string, bool) { return false, "", false })
	rec := httptest.NewRecorder()
	healthMux(ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200 while not ready: liveness must not restart a plugin waiting for kubelet", rec.Code)
	}
}
