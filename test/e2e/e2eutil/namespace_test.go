package e2eutil

import "testing"

func TestNamespacePrefix_IsTheStartOfADNSLabel(t *testing.T) {
	for _, tc := range []struct{ testName, want string }{
		{"TestAttach_RestoresMTU", "attach-restoresmtu-"},
		{"TestThirtyPods_EachVFOnceAllReturned/sub_test", "thirtypods-eachvfonceallreturned-sub-tes-"},
		{"Test__Leading", "leading-"},
		{"TestA__B", "a-b-"},
	} {
		if got := NamespacePrefix(tc.testName); got != tc.want {
			t.Errorf("NamespacePrefix(%q) = %q, want %q", tc.testName, got, tc.want)
		}
	}
}
