package v1alpha1

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const header = "apiVersion: netclaim.dev/v1alpha1\nkind: NetworkConfig\n"

// wantErr is one expected validation error: its type, its config-relative path and a
// piece of text (the bad value as printed) the message must contain.
type wantErr struct {
	Type  field.ErrorType
	Field string
	Value string
}

type validateCase struct {
	name string
	ctx  ValidationContext
	body string // YAML after apiVersion and kind
	want []wantErr
}

var (
	invalid  = field.ErrorTypeInvalid
	required = field.ErrorTypeRequired
	dup      = field.ErrorTypeDuplicate
	unsup    = field.ErrorTypeNotSupported
	forbid   = field.ErrorTypeForbidden
)

var validateRejects = []validateCase{
	// interface.name: the kernel's dev_valid_name, then netclaim's own rules.
	{name: "name empty", body: `interface: {name: ""}`, want: []wantErr{{invalid, "interface.name", `""`}}},
	{name: "name 16 bytes", body: `interface: {name: abcdefghijklmnop}`, want: []wantErr{{invalid, "interface.name", `"abcdefghijklmnop"`}}},
	{name: "name 16 bytes of UTF-8", body: `interface: {name: "nété1234567890"}`, want: []wantErr{{invalid, "interface.name", `"nété1234567890"`}}},
	{name: "name dot", body: `interface: {name: "."}`, want: []wantErr{{invalid, "interface.name", `"."`}}},
	{name: "name dotdot", body: `interface: {name: ".."}`, want: []wantErr{{invalid, "interface.name", `".."`}}},
	{name: "name slash", body: `interface: {name: "net/1"}`, want: []wantErr{{invalid, "interface.name", `"net/1"`}}},
	{name: "name colon", body: `interface: {name: "net:1"}`, want: []wantErr{{invalid, "interface.name", `"net:1"`}}},
	{name: "name space", body: `interface: {name: "net 1"}`, want: []wantErr{{invalid, "interface.name", `"net 1"`}}},
	{name: "name tab", body: `interface: {name: "net\t1"}`, want: []wantErr{{invalid, "interface.name", `"net\t1"`}}},
	{name: "name newline", body: `interface: {name: "net\n1"}`, want: []wantErr{{invalid, "interface.name", `"net\n1"`}}},
	{name: "name vertical tab", body: `interface: {name: "net\v1"}`, want: []wantErr{{invalid, "interface.name", `"net\v1"`}}},
	{name: "name control byte", body: `interface: {name: "net\x011"}`, want: []wantErr{{invalid, "interface.name", `"net\x011"`}}},
	{name: "name DEL byte", body: `interface: {name: "net\x7f"}`, want: []wantErr{{invalid, "interface.name", `"net\x7f"`}}},
	{name: "name non-ASCII", body: `interface: {name: "nét1"}`, want: []wantErr{{invalid, "interface.name", `"nét1"`}}},
	{name: "name NBSP", body: `interface: {name: "a\u00a0b"}`, want: []wantErr{{invalid, "interface.name", `"a\u00a0b"`}}},
	{name: "name percent template", body: `interface: {name: "net%d"}`, want: []wantErr{{invalid, "interface.name", `"net%d"`}}},
	{name: "name lo", body: `interface: {name: lo}`, want: []wantErr{{invalid, "interface.name", `"lo"`}}},
	{name: "name eth0", body: `interface: {name: eth0}`, want: []wantErr{{invalid, "interface.name", `"eth0"`}}},
	{name: "name all", body: `interface: {name: all}`, want: []wantErr{{invalid, "interface.name", `"all"`}}},
	{name: "name default", body: `interface: {name: default}`, want: []wantErr{{invalid, "interface.name", `"default"`}}},

	// interface.mtu
	{name: "mtu below 68", body: `interface: {mtu: 67}`, want: []wantErr{{invalid, "interface.mtu", "67"}}},
	{name: "mtu zero", body: `interface: {mtu: 0}`, want: []wantErr{{invalid, "interface.mtu", "0"}}},
	{name: "mtu negative", body: `interface: {mtu: -1}`, want: []wantErr{{invalid, "interface.mtu", "-1"}}},
	{name: "mtu above 65535", body: `interface: {mtu: 65536}`, want: []wantErr{{invalid, "interface.mtu", "65536"}}},
	{name: "mtu above parent", ctx: ValidationContext{ParentMTU: 1500}, body: `interface: {mtu: 9500}`, want: []wantErr{{invalid, "interface.mtu", "9500"}}},
	{name: "mtu below 1280 with IPv6 address", body: "interface: {mtu: 1200}\naddresses: [2001:db8::10/64]", want: []wantErr{{invalid, "interface.mtu", "1200"}}},

	// interface.mac
	{name: "mac garbage", body: `interface: {mac: "not-a-mac"}`, want: []wantErr{{invalid, "interface.mac", `"not-a-mac"`}}},
	{name: "mac too short", body: `interface: {mac: "02:00:00:00:01"}`, want: []wantErr{{invalid, "interface.mac", `"02:00:00:00:01"`}}},
	{name: "mac multicast", body: `interface: {mac: "01:00:5e:00:00:01"}`, want: []wantErr{{invalid, "interface.mac", `"01:00:5e:00:00:01"`}}},
	{name: "mac broadcast", body: `interface: {mac: "ff:ff:ff:ff:ff:ff"}`, want: []wantErr{{invalid, "interface.mac", `"ff:ff:ff:ff:ff:ff"`}}},
	{name: "mac all zero", body: `interface: {mac: "00:00:00:00:00:00"}`, want: []wantErr{{invalid, "interface.mac", `"00:00:00:00:00:00"`}}},
	{name: "mac EUI-64", body: `interface: {mac: "02:00:00:00:00:00:00:01"}`, want: []wantErr{{invalid, "interface.mac", `"02:00:00:00:00:00:00:01"`}}},
	{name: "mac InfiniBand 20 bytes", body: `interface: {mac: "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"}`,
		want: []wantErr{{invalid, "interface.mac", `"00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01"`}}},

	// interface.mode
	{name: "mode unknown", body: `interface: {mode: bridge}`, want: []wantErr{{unsup, "interface.mode", `"bridge"`}}},
	{name: "mode wrong case", body: `interface: {mode: Passthrough}`, want: []wantErr{{unsup, "interface.mode", `"Passthrough"`}}},

	// vlan
	{name: "vlan id missing", body: `vlan: {qos: 1}`, want: []wantErr{{required, "vlan.id", ""}}},
	{name: "vlan id 0", body: `vlan: {id: 0}`, want: []wantErr{{invalid, "vlan.id", "0"}}},
	{name: "vlan id 4095", body: `vlan: {id: 4095}`, want: []wantErr{{invalid, "vlan.id", "4095"}}},
	{name: "vlan id negative", body: `vlan: {id: -5}`, want: []wantErr{{invalid, "vlan.id", "-5"}}},
	{name: "vlan qos 8", body: `vlan: {id: 10, qos: 8}`, want: []wantErr{{invalid, "vlan.qos", "8"}}},
	{name: "vlan qos negative", body: `vlan: {id: 10, qos: -1}`, want: []wantErr{{invalid, "vlan.qos", "-1"}}},
	{name: "vlan protocol unknown", body: `vlan: {id: 10, protocol: 802.1x}`, want: []wantErr{{unsup, "vlan.protocol", `"802.1x"`}}},
	{name: "vlan protocol wrong case", body: `vlan: {id: 10, protocol: 802.1q}`, want: []wantErr{{unsup, "vlan.protocol", `"802.1q"`}}},
	{name: "mode vlan without vlan", body: `interface: {mode: vlan}`, want: []wantErr{{required, "vlan.id", ""}}},

	// addresses
	{name: "address without prefix", body: `addresses: [192.0.2.10]`, want: []wantErr{{invalid, "addresses[0]", `"192.0.2.10"`}}},
	{name: "address garbage", body: `addresses: [bogus/24]`, want: []wantErr{{invalid, "addresses[0]", `"bogus/24"`}}},
	{name: "address prefix too long", body: `addresses: [192.0.2.10/33]`, want: []wantErr{{invalid, "addresses[0]", `"192.0.2.10/33"`}}},
	{name: "address octal-looking octet", body: `addresses: [192.0.2.010/24]`, want: []wantErr{{invalid, "addresses[0]", `"192.0.2.010/24"`}}},
	{name: "address with zone", body: `addresses: ["fe80::1%eth0/64"]`, want: []wantErr{{invalid, "addresses[0]", `"fe80::1%eth0/64"`}}},
	{name: "address IPv4-mapped IPv6", body: `addresses: ["::ffff:192.0.2.10/120"]`, want: []wantErr{{invalid, "addresses[0]", `"::ffff:192.0.2.10/120"`}}},
	{name: "address unspecified v4", body: `addresses: [0.0.0.0/0]`, want: []wantErr{{invalid, "addresses[0]", `"0.0.0.0/0"`}}},
	{name: "address unspecified v6", body: `addresses: ["::/64"]`, want: []wantErr{{invalid, "addresses[0]", `"::/64"`}}},
	{name: "address loopback v4", body: `addresses: [127.0.0.2/8]`, want: []wantErr{{invalid, "addresses[0]", `"127.0.0.2/8"`}}},
	{name: "address loopback v6", body: `addresses: ["::1/128"]`, want: []wantErr{{invalid, "addresses[0]", `"::1/128"`}}},
	{name: "address multicast v4", body: `addresses: [224.0.0.1/32]`, want: []wantErr{{invalid, "addresses[0]", `"224.0.0.1/32"`}}},
	{name: "address multicast v6", body: `addresses: ["ff02::1/128"]`, want: []wantErr{{invalid, "addresses[0]", `"ff02::1/128"`}}},
	{name: "address limited broadcast", body: `addresses: [255.255.255.255/32]`, want: []wantErr{{invalid, "addresses[0]", `"255.255.255.255/32"`}}},
	{name: "address duplicate other prefix", body: `addresses: [192.0.2.10/24, 198.51.100.1/24, 192.0.2.10/32]`, want: []wantErr{{dup, "addresses[2]", `"192.0.2.10/32"`}}},
	{name: "address duplicate v6 spelled differently", body: `addresses: ["2001:db8::10/64", "2001:DB8:0::10/64"]`, want: []wantErr{{dup, "addresses[1]", `"2001:DB8:0::10/64"`}}},

	// ipam
	{name: "ipam pool empty", body: `ipam: {pool: ""}`, want: []wantErr{{required, "ipam.pool", ""}, {forbid, "ipam", "not implemented yet"}}},
	{name: "ipam pool missing", body: `ipam: {}`, want: []wantErr{{required, "ipam.pool", ""}, {forbid, "ipam", "not implemented yet"}}},
	{name: "ipam pool not a DNS label", body: `ipam: {pool: Signalling_Net}`, want: []wantErr{{invalid, "ipam.pool", `"Signalling_Net"`}, {forbid, "ipam", "not implemented yet"}}},
	{name: "ipam pool with dot", body: `ipam: {pool: a.b}`, want: []wantErr{{invalid, "ipam.pool", `"a.b"`}, {forbid, "ipam", "not implemented yet"}}},

	// routes
	{name: "route destination missing", body: "addresses: [192.0.2.10/24]\nroutes: [{gateway: 192.0.2.1}]", want: []wantErr{{required, "routes[0].destination", ""}}},
	{name: "route destination garbage", body: `routes: [{destination: 10.0.0.0}]`, want: []wantErr{{invalid, "routes[0].destination", `"10.0.0.0"`}}},
	{name: "route destination host bits", body: `routes: [{destination: 198.51.100.5/24}]`, want: []wantErr{{invalid, "routes[0].destination", `"198.51.100.5/24"`}}},
	{name: "route destination v6 host bits", body: `routes: [{destination: "2001:db8:1::5/64"}]`, want: []wantErr{{invalid, "routes[0].destination", `"2001:db8:1::5/64"`}}},
	{name: "route destination mapped", body: `routes: [{destination: "::ffff:0.0.0.0/96"}]`, want: []wantErr{{invalid, "routes[0].destination", `"::ffff:0.0.0.0/96"`}}},
	{name: "route gateway garbage", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: router}]", want: []wantErr{{invalid, "routes[0].gateway", `"router"`}}},
	{name: "route gateway with prefix", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1/24}]", want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.1/24"`}}},
	{name: "route gateway with zone", body: `routes: [{destination: "::/0", gateway: "fe80::1%eth0"}]`, want: []wantErr{{invalid, "routes[0].gateway", `"fe80::1%eth0"`}}},
	{name: "route gateway mapped", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: \"::ffff:192.0.2.1\"}]", want: []wantErr{{invalid, "routes[0].gateway", `"::ffff:192.0.2.1"`}}},
	{name: "route gateway multicast", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 224.0.0.1}]", want: []wantErr{{invalid, "routes[0].gateway", `"224.0.0.1"`}}},
	{name: "route gateway unspecified", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 0.0.0.0}]", want: []wantErr{{invalid, "routes[0].gateway", `"0.0.0.0"`}}},
	{name: "route gateway family differs from destination", body: "addresses: [192.0.2.10/24, \"2001:db8::10/64\"]\nroutes: [{destination: \"::/0\", gateway: 192.0.2.1}]",
		want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.1"`}}},
	{name: "route gateway outside every prefix", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0}, {destination: 0.0.0.0/0, gateway: 198.51.100.1, table: 100}]",
		want: []wantErr{{invalid, "routes[1].gateway", `"198.51.100.1"`}}},
	{name: "route gateway without an address of its family", body: "addresses: [\"2001:db8::10/64\"]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]",
		want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.1"`}}},
	{name: "route gateway without any address", body: `routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]`, want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.1"`}}},
	{name: "route gateway is own address", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.10}]", want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.10"`}}},
	{name: "route gateway v6 outside prefix", body: "addresses: [\"2001:db8::10/64\"]\nroutes: [{destination: \"::/0\", gateway: \"2001:db8:1::1\"}]",
		want: []wantErr{{invalid, "routes[0].gateway", `"2001:db8:1::1"`}}},
	{name: "route table negative", body: `routes: [{destination: 198.51.100.0/24, table: -1}]`, want: []wantErr{{invalid, "routes[0].table", "-1"}}},
	{name: "route table local", body: `routes: [{destination: 198.51.100.0/24, table: 255}]`, want: []wantErr{{invalid, "routes[0].table", "255"}}},
	{name: "route duplicate in main", body: "routes: [{destination: 198.51.100.0/24}, {destination: 198.51.100.0/24, table: 254}]",
		want: []wantErr{{dup, "routes[1].destination", `"198.51.100.0/24"`}}},
	{name: "route duplicate with table 0 and omitted", body: "routes: [{destination: 198.51.100.0/24, table: 0}, {destination: 198.51.100.0/24}]",
		want: []wantErr{{dup, "routes[1].destination", `"198.51.100.0/24"`}}},

	// rules
	{name: "rule priority negative", body: `rules: [{priority: -1, from: 192.0.2.0/24, table: 100}]`, want: []wantErr{{invalid, "rules[0].priority", "-1"}}},
	{name: "rule without from and to", body: `rules: [{priority: 10, table: 100}]`, want: []wantErr{{required, "rules[0].from", ""}}},
	{name: "rule from garbage", body: `rules: [{from: 192.0.2.0, table: 100}]`, want: []wantErr{{invalid, "rules[0].from", `"192.0.2.0"`}}},
	{name: "rule from host bits", body: `rules: [{from: 192.0.2.10/24, table: 100}]`, want: []wantErr{{invalid, "rules[0].from", `"192.0.2.10/24"`}}},
	{name: "rule to garbage", body: `rules: [{to: nowhere, table: 100}]`, want: []wantErr{{invalid, "rules[0].to", `"nowhere"`}}},
	{name: "rule from and to of different families", body: `rules: [{from: 192.0.2.0/24, to: "2001:db8::/32", table: 100}]`, want: []wantErr{{invalid, "rules[0].to", `"2001:db8::/32"`}}},
	{name: "rule table missing", body: `rules: [{from: 192.0.2.0/24}]`, want: []wantErr{{required, "rules[0].table", ""}}},
	{name: "rule table negative", body: `rules: [{from: 192.0.2.0/24, table: -3}]`, want: []wantErr{{invalid, "rules[0].table", "-3"}}},
	{name: "rule table zero", body: `rules: [{from: 192.0.2.0/24, table: 0}]`, want: []wantErr{{invalid, "rules[0].table", "0"}}},

	// vrf
	{name: "vrf name missing", body: `vrf: {table: 1001}`, want: []wantErr{{required, "vrf.name", ""}}},
	{name: "vrf name too long", body: `vrf: {name: vrf-name-too-long, table: 1001}`, want: []wantErr{{invalid, "vrf.name", `"vrf-name-too-long"`}}},
	{name: "vrf name slash", body: `vrf: {name: "a/b", table: 1001}`, want: []wantErr{{invalid, "vrf.name", `"a/b"`}}},
	{name: "vrf name eth0", body: `vrf: {name: eth0, table: 1001}`, want: []wantErr{{invalid, "vrf.name", `"eth0"`}}},
	{name: "vrf name same as interface", body: "interface: {name: blue}\nvrf: {name: blue, table: 1001}", want: []wantErr{{invalid, "vrf.name", `"blue"`}}},
	{name: "vrf table missing", body: `vrf: {name: blue}`, want: []wantErr{{required, "vrf.table", ""}}},
	{name: "vrf table zero", body: `vrf: {name: blue, table: 0}`, want: []wantErr{{invalid, "vrf.table", "0"}}},
	{name: "vrf table negative", body: `vrf: {name: blue, table: -1}`, want: []wantErr{{invalid, "vrf.table", "-1"}}},
	{name: "vrf table default", body: `vrf: {name: blue, table: 253}`, want: []wantErr{{invalid, "vrf.table", "253"}}},
	{name: "vrf table main", body: `vrf: {name: blue, table: 254}`, want: []wantErr{{invalid, "vrf.table", "254"}}},
	{name: "vrf table local", body: `vrf: {name: blue, table: 255}`, want: []wantErr{{invalid, "vrf.table", "255"}}},

	// sriov
	{name: "sriov min rate negative", body: `sriov: {minTxRateMbps: -1}`, want: []wantErr{{invalid, "sriov.minTxRateMbps", "-1"}}},
	{name: "sriov max rate negative", body: `sriov: {maxTxRateMbps: -10}`, want: []wantErr{{invalid, "sriov.maxTxRateMbps", "-10"}}},
	{name: "sriov min above max", body: `sriov: {minTxRateMbps: 2000, maxTxRateMbps: 1000}`, want: []wantErr{{invalid, "sriov.minTxRateMbps", "2000"}}},
	{name: "sriov link state unknown", body: `sriov: {linkState: up}`, want: []wantErr{{unsup, "sriov.linkState", `"up"`}}},
	{name: "sriov driver with slash", body: `sriov: {driver: ../vfio-pci}`, want: []wantErr{{invalid, "sriov.driver", `"../vfio-pci"`}}},
	{name: "sriov driver upper case", body: `sriov: {driver: VFIO-PCI}`, want: []wantErr{{invalid, "sriov.driver", `"VFIO-PCI"`}}},
	{name: "sriov driver with space", body: `sriov: {driver: "vfio pci"}`, want: []wantErr{{invalid, "sriov.driver", `"vfio pci"`}}},
	{name: "sriov driver too long", body: "sriov: {driver: " + strings.Repeat("a", 65) + "}", want: []wantErr{{invalid, "sriov.driver", `"` + strings.Repeat("a", 65) + `"`}}},

	// Fields this version decodes but does not implement yet.
	{name: "mode macvlan not implemented", body: `interface: {mode: macvlan}`, want: []wantErr{{forbid, "interface.mode", "only passthrough and vlan are"}}},
	{name: "mode ipvlan not implemented", body: `interface: {mode: ipvlan}`, want: []wantErr{{forbid, "interface.mode", "not implemented yet"}}},
	{name: "ipam not implemented, gateway reachability skipped with it", body: "ipam: {pool: signalling}\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]",
		want: []wantErr{{forbid, "ipam", "not implemented yet"}}},
	{name: "full example: ipam, and netdev fields with vfio-pci", ctx: ValidationContext{ParentMTU: 9000}, body: strings.TrimPrefix(mustRead("testdata/full.yaml"), header),
		want: []wantErr{{forbid, "ipam", "not implemented yet"},
			{forbid, "addresses", "vfio-pci"}, {forbid, "interface.mtu", "vfio-pci"}, {forbid, "interface.name", "vfio-pci"},
			{forbid, "ipam.pool", "vfio-pci"}, {forbid, "routes", "vfio-pci"}, {forbid, "rules", "vfio-pci"},
			{forbid, "vrf.name", "vfio-pci"}, {forbid, "vrf.table", "vfio-pci"}}},

	// A device the pod gets through vfio-pci has no netdev to configure.
	{name: "vfio-pci with addresses and routes", body: "sriov: {driver: vfio-pci}\naddresses: [192.0.2.10/24]\nroutes: [{destination: 198.51.100.0/24, gateway: 192.0.2.1}]",
		want: []wantErr{{forbid, "addresses", "needs a network interface"}, {forbid, "routes", "has none"}}},
	{name: "vfio-pci with mode vlan", body: "sriov: {driver: vfio-pci}\ninterface: {mode: vlan}\nvlan: {id: 10}",
		want: []wantErr{{forbid, "interface.mode", "vfio-pci"}}},
	{name: "vfio-pci with mtu, name, rules and vrf", body: "sriov: {driver: vfio-pci}\ninterface: {name: dpdk0, mtu: 1500}\nrules: [{from: 192.0.2.0/24, table: 10}]\nvrf: {name: red, table: 10}",
		want: []wantErr{{forbid, "interface.mtu", ""}, {forbid, "interface.name", ""}, {forbid, "rules", ""}, {forbid, "vrf.name", ""}, {forbid, "vrf.table", ""}}},
	{name: "device on vfio-pci already with a route", ctx: ValidationContext{OnVFIO: true}, body: `routes: [{destination: 198.51.100.0/24}]`,
		want: []wantErr{{forbid, "routes", "bound to vfio-pci already"}}},
	{name: "claim without its class: vfio-pci with addresses", ctx: ValidationContext{WithoutClass: true}, body: "sriov: {driver: vfio-pci}\naddresses: [192.0.2.10/24]",
		want: []wantErr{{forbid, "addresses", "vfio-pci"}}},
	{name: "claim without its class: gateway outside its own addresses", ctx: ValidationContext{WithoutClass: true},
		body: "addresses: [203.0.113.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]",
		want: []wantErr{{invalid, "routes[0].gateway", `"192.0.2.1"`}}},
	{name: "claim without its class: small MTU with IPv6", ctx: ValidationContext{WithoutClass: true}, body: "interface: {mtu: 1200}\naddresses: [\"2001:db8::10/64\"]",
		want: []wantErr{{invalid, "interface.mtu", "1200"}}},

	// Every error is reported, not just the first.
	{name: "several errors at once", ctx: ValidationContext{ParentMTU: 1500},
		body: "interface: {name: eth0, mtu: 9000}\nvlan: {id: 5000}\naddresses: [nope]",
		want: []wantErr{{invalid, "interface.name", `"eth0"`}, {invalid, "interface.mtu", "9000"}, {invalid, "vlan.id", "5000"}, {invalid, "addresses[0]", `"nope"`}}},
}

var validateAccepts = []validateCase{
	{name: "only apiVersion and kind", body: ""},
	{name: "name 15 bytes", body: `interface: {name: abcdefghijklmno}`},
	{name: "name with dash dot underscore", body: `interface: {name: net-1.data_x}`},
	{name: "name eth1", body: `interface: {name: eth1}`},
	{name: "mtu 68", body: `interface: {mtu: 68}`},
	{name: "mtu 65535 with parent unknown", body: `interface: {mtu: 65535}`},
	{name: "mtu equal to parent", ctx: ValidationContext{ParentMTU: 1500}, body: `interface: {mtu: 1500}`},
	{name: "mtu below 1280 with IPv4 only", body: "interface: {mtu: 576}\naddresses: [192.0.2.10/24]"},
	{name: "mtu 1280 with IPv6", body: "interface: {mtu: 1280}\naddresses: [\"2001:db8::10/64\"]"},
	{name: "mac dashes", body: `interface: {mac: "02-00-00-00-00-0A"}`},
	{name: "mac locally administered", body: `interface: {mac: "fe:00:00:00:00:01"}`},
	{name: "vlan 1 and 4094", body: `vlan: {id: 4094, qos: 7, protocol: 802.1ad}`},
	{name: "mode vlan with its VLAN", body: "interface: {mode: vlan}\nvlan: {id: 100}"},
	{name: "partial layer: mode vlan while claim may add the VLAN", ctx: ValidationContext{Partial: true}, body: `interface: {mode: vlan}`},
	{name: "addresses network and broadcast of the prefix", body: `addresses: [192.0.2.0/24, 198.51.100.255/24]`},
	{name: "addresses /32 and /128", body: `addresses: [192.0.2.10/32, "2001:db8::10/128"]`},
	{name: "addresses link-local v6", body: `addresses: ["fe80::10/64"]`},
	{name: "route without gateway", body: `routes: [{destination: 198.51.100.0/24}]`},
	{name: "default routes of both families", body: "addresses: [192.0.2.10/24, \"2001:db8::10/64\"]\nroutes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}, {destination: \"::/0\", gateway: \"2001:db8::1\"}]"},
	{name: "v6 link-local gateway without v6 address", body: "addresses: [192.0.2.10/24]\nroutes: [{destination: \"::/0\", gateway: \"fe80::1\"}]"},
	{name: "gateway in second address's prefix", body: "addresses: [192.0.2.10/24, 198.51.100.10/24]\nroutes: [{destination: 0.0.0.0/0, gateway: 198.51.100.1}]"},
	{name: "same destination in two tables", body: "routes: [{destination: 198.51.100.0/24}, {destination: 198.51.100.0/24, table: 100}]"},
	{name: "route tables main and default", body: "routes: [{destination: 198.51.100.0/24, table: 254}, {destination: 203.0.113.0/24, table: 253}]"},
	{name: "rule with only to", body: `rules: [{to: "2001:db8::/32", table: 100}]`},
	{name: "rule looking up local", body: `rules: [{priority: 0, from: 192.0.2.0/24, table: 255}]`},
	{name: "sriov max rate 0 means no cap", body: `sriov: {minTxRateMbps: 100, maxTxRateMbps: 0}`},
	{name: "sriov driver names", body: `sriov: {driver: mlx5_core, linkState: disable}`},
	{name: "partial layer: gateway without addresses", ctx: ValidationContext{Partial: true}, body: `routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]`},
	{name: "partial layer: small MTU while claim may add IPv6", ctx: ValidationContext{Partial: true}, body: "interface: {mtu: 1200}\naddresses: [\"2001:db8::10/64\"]"},
	{name: "vfio-pci with the PF's settings for the VF", body: "sriov: {driver: vfio-pci, trust: true, spoofCheck: false, minTxRateMbps: 1, maxTxRateMbps: 10, linkState: auto}\ninterface: {mac: \"02:00:00:00:00:01\", mode: passthrough}\nvlan: {id: 10, qos: 1, protocol: 802.1ad}"},
	{name: "vfio-pci with empty lists and objects", body: "sriov: {driver: vfio-pci}\naddresses: []\nroutes: []\ninterface: {}"},
	{name: "device on vfio-pci already, nothing for a netdev", ctx: ValidationContext{OnVFIO: true}, body: "vlan: {id: 10}\ninterface: {mac: \"02:00:00:00:00:01\"}"},
	{name: "partial layer: vfio-pci with addresses while the claim may replace sriov", ctx: ValidationContext{Partial: true}, body: "sriov: {driver: vfio-pci}\naddresses: [192.0.2.10/24]"},
	{name: "claim without its class: mode vlan while the class may bring the VLAN", ctx: ValidationContext{WithoutClass: true}, body: `interface: {mode: vlan}`},
	{name: "claim without its class: gateway while the class may bring the addresses", ctx: ValidationContext{WithoutClass: true}, body: `routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]`},
	{name: "partial layer: vrf named as interface", ctx: ValidationContext{Partial: true}, body: "interface: {name: blue}\nvrf: {name: blue, table: 1001}"},
}

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func decodeBody(t *testing.T, body string) *NetworkConfig {
	t.Helper()
	cfg, err := Decode([]byte(header + body))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return cfg
}

func TestValidate_RejectsEachInvalidField(t *testing.T) {
	for _, tc := range validateRejects {
		t.Run(tc.name, func(t *testing.T) {
			errs := decodeBody(t, tc.body).Validate(tc.ctx)
			var got []wantErr
			for _, e := range errs {
				got = append(got, wantErr{Type: e.Type, Field: e.Field})
			}
			var want []wantErr
			for _, w := range tc.want {
				want = append(want, wantErr{Type: w.Type, Field: w.Field})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\nall: %v", diff, errs)
			}
			for i, w := range tc.want {
				msg := errs[i].Error()
				if !strings.HasPrefix(msg, w.Field+": ") {
					t.Errorf("message %q does not start with the field %q", msg, w.Field)
				}
				if w.Value != "" && !strings.Contains(msg, w.Value) {
					t.Errorf("message %q does not name the bad value %s", msg, w.Value)
				}
				if errs[i].Detail == "" && w.Type != field.ErrorTypeNotSupported {
					t.Errorf("message %q does not say what to change", msg)
				}
			}
		})
	}
}

func TestValidate_AcceptsValidConfigs(t *testing.T) {
	for _, tc := range validateAccepts {
		t.Run(tc.name, func(t *testing.T) {
			if errs := decodeBody(t, tc.body).Validate(tc.ctx); len(errs) != 0 {
				t.Fatalf("want no errors, got %v", errs)
			}
		})
	}
}

func TestValidate_MessagesSayWhatToChange(t *testing.T) {
	cases := []struct {
		name string
		ctx  ValidationContext
		body string
		want string
	}{
		{"mtu above parent", ValidationContext{ParentMTU: 1500}, `interface: {mtu: 9500}`,
			"interface.mtu: Invalid value: 9500: must not exceed the parent device's MTU 1500"},
		{"gateway without an address of its family", ValidationContext{}, `routes: [{destination: 0.0.0.0/0, gateway: 192.0.2.1}]`,
			`routes[0].gateway: Invalid value: "192.0.2.1": gateway not reachable from an address of the same family: addresses has no IPv4 address; add one in the gateway's subnet`},
		{"destination with host bits", ValidationContext{}, `routes: [{destination: 198.51.100.5/24}]`,
			`routes[0].destination: Invalid value: "198.51.100.5/24": has host bits set: write the network address 198.51.100.0/24`},
		{"mapped address", ValidationContext{}, `addresses: ["::ffff:192.0.2.10/120"]`,
			`addresses[0]: Invalid value: "::ffff:192.0.2.10/120": must not be an IPv4-mapped IPv6 address: write the IPv4 form 192.0.2.10/24`},
		{"unknown mode", ValidationContext{}, `interface: {mode: bridge}`,
			`interface.mode: Unsupported value: "bridge": supported values: "passthrough", "macvlan", "ipvlan", "vlan"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := decodeBody(t, tc.body).Validate(tc.ctx)
			if len(errs) != 1 {
				t.Fatalf("want 1 error, got %v", errs)
			}
			if diff := cmp.Diff(tc.want, errs[0].Error()); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
		})
	}
}
