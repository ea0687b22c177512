package inventory

import (
	"regexp"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestPCIDeviceName_TurnsTheAddressIntoADNSLabel(t *testing.T) {
	tests := []struct {
		address string
		want    string
		wantErr bool
	}{
		{address: "0000:3b:02.1", want: "pci-0000-3b-02-1"},
		{address: "0000:00:03.0", want: "pci-0000-00-03-0"},
		{address: "10de:AF:1f.7", want: "pci-10de-af-1f-7"}, // upper case from a careless caller
		{address: "3b:02.1", wantErr: true},                 // no domain
		{address: "0000:3b:02.8", wantErr: true},            // functions are 0-7
		{address: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			got, err := PCIDeviceName(tt.address)
			if (err != nil) != tt.wantErr {
				t.Fatalf("PCIDeviceName(%q) error = %v, wantErr %v", tt.address, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("PCIDeviceName(%q) = %q, want %q", tt.address, got, tt.want)
			}
			if err == nil {
				assertDNSLabel(t, got)
			}
		})
	}
}

func TestInterfaceDeviceName_KeepsValidNamesAndDisambiguatesRewrittenOnes(t *testing.T) {
	tests := []struct {
		ifName     string
		want       string // exact name, or the prefix before the hash when wantHashed
		wantHashed bool
	}{
		{ifName: "veth-a", want: "veth-a"},
		{ifName: "eth0", want: "eth0"},
		{ifName: "ens1f0v12", want: "ens1f0v12"},
		{ifName: "eth0.100", want: "eth0-100", wantHashed: true},
		{ifName: "Eth0", want: "eth0", wantHashed: true},
		{ifName: "br_ex", want: "br-ex", wantHashed: true},
		{ifName: "-lead", want: "lead", wantHashed: true},
		{ifName: "@@@", want: "if", wantHashed: true},
	}
	for _, tt := range tests {
		t.Run(tt.ifName, func(t *testing.T) {
			got := InterfaceDeviceName(tt.ifName)
			assertDNSLabel(t, got)
			if !tt.wantHashed {
				if got != tt.want {
					t.Fatalf("InterfaceDeviceName(%q) = %q, want %q", tt.ifName, got, tt.want)
				}
				return
			}
			hash, ok := strings.CutPrefix(got, tt.want+"-")
			if !ok || !hashPattern.MatchString(hash) {
				t.Fatalf("InterfaceDeviceName(%q) = %q, want %q followed by -<8 hex digits of hash>", tt.ifName, got, tt.want)
			}
			if again := InterfaceDeviceName(tt.ifName); again != got {
				t.Fatalf("InterfaceDeviceName(%q) is not stable: %q then %q", tt.ifName, got, again)
			}
		})
	}
}

func TestInterfaceDeviceName_NamesThatSanitizeAlikeStayDistinct(t *testing.T) {
	names := []string{"eth-0", "eth_0", "eth.0", "ETH-0", "Eth-0"}
	seen := map[string]string{}
	for _, n := range names {
		got := InterfaceDeviceName(n)
		if other, dup := seen[got]; dup {
			t.Fatalf("%q and %q both map to device name %q", other, n, got)
		}
		seen[got] = n
	}
}

var hashPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

func assertDNSLabel(t *testing.T, name string) {
	t.Helper()
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		t.Fatalf("%q is not a DNS label: %v", name, errs)
	}
}

func FuzzInterfaceDeviceName_AlwaysADNSLabel(f *testing.F) {
	for _, seed := range []string{"eth0", "Eth0", "br_ex", "-", "", "eth0.100", "ΔΔ", "ens1f0v127"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ifName string) {
		if ifName == "" || len(ifName) > 15 {
			return // the kernel's limits on interface names
		}
		name := InterfaceDeviceName(ifName)
		assertDNSLabel(t, name)
		if again := InterfaceDeviceName(ifName); again != name {
			t.Fatalf("InterfaceDeviceName(%q) is not stable: %q then %q", ifName, name, again)
		}
	})
}
