package redis

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsed is what the tests compare of a target: the topology and the
// settings a URL carries.
type parsed struct {
	Topology           string
	Addrs              []string
	DB                 int
	Username, Password string
	SentinelUsername   string
	SentinelPassword   string
	MasterName         string
	TLS                bool
	TLSServerName      string
	PoolSize           int
}

func summarize(t *target) parsed {
	switch {
	case t.cluster != nil:
		o := t.cluster
		p := parsed{Topology: "cluster", Addrs: o.Addrs, Username: o.Username, Password: o.Password, TLS: o.TLSConfig != nil, PoolSize: o.PoolSize}
		if o.TLSConfig != nil {
			p.TLSServerName = o.TLSConfig.ServerName
		}
		return p
	case t.failover != nil:
		o := t.failover
		p := parsed{Topology: "sentinel", Addrs: o.SentinelAddrs, DB: o.DB, Username: o.Username, Password: o.Password,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword, MasterName: o.MasterName,
			TLS: o.TLSConfig != nil, PoolSize: o.PoolSize}
		if o.TLSConfig != nil {
			p.TLSServerName = o.TLSConfig.ServerName
		}
		return p
	}
	o := t.simple
	p := parsed{Topology: "single", Addrs: []string{o.Addr}, DB: o.DB, Username: o.Username, Password: o.Password, TLS: o.TLSConfig != nil, PoolSize: o.PoolSize}
	if o.TLSConfig != nil {
		p.TLSServerName = o.TLSConfig.ServerName
	}
	return p
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want parsed
	}{
		{"redis://127.0.0.1:6379/0", parsed{Topology: "single", Addrs: []string{"127.0.0.1:6379"}}},
		{"rediss://u:pw@cache.example:6380/2?pool_size=7", parsed{Topology: "single", Addrs: []string{"cache.example:6380"}, DB: 2,
			Username: "u", Password: "pw", TLS: true, TLSServerName: "cache.example", PoolSize: 7}},
		{"redis://localhost", parsed{Topology: "single", Addrs: []string{"localhost:6379"}}},
		{"unix:///run/redis.sock?db=3", parsed{Topology: "single", Addrs: []string{"/run/redis.sock"}, DB: 3}},

		{"redis+cluster://10.0.0.1:7000", parsed{Topology: "cluster", Addrs: []string{"10.0.0.1:7000"}}},
		{"redis+cluster://:pw@10.0.0.1:7000/?addr=10.0.0.2:7001&addr=10.0.0.3:7002&pool_size=5",
			parsed{Topology: "cluster", Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"}, Password: "pw", PoolSize: 5}},
		{"redis+cluster://10.0.0.1:7000/0", parsed{Topology: "cluster", Addrs: []string{"10.0.0.1:7000"}}},
		{"REDISS+CLUSTER://u:pw@n1.example:7000?addr=n2.example:7000",
			parsed{Topology: "cluster", Addrs: []string{"n1.example:7000", "n2.example:7000"}, Username: "u", Password: "pw", TLS: true}},

		{"redis+sentinel://s1:26379/0?master_name=mymaster",
			parsed{Topology: "sentinel", Addrs: []string{"s1:26379"}, MasterName: "mymaster"}},
		{"redis+sentinel://u:pw@s1:26379/4?master_name=mymaster&addr=s2:26379&addr=s3:26379",
			parsed{Topology: "sentinel", Addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, DB: 4, MasterName: "mymaster",
				Username: "u", Password: "pw"}},
		{"redis+sentinel://:pw@s1:26379?master_name=m&sentinel_auth=true",
			parsed{Topology: "sentinel", Addrs: []string{"s1:26379"}, MasterName: "m", Password: "pw", SentinelPassword: "pw"}},
		{"rediss+sentinel://:pw@s1:26379?master_name=m&sentinel_auth=0",
			parsed{Topology: "sentinel", Addrs: []string{"s1:26379"}, MasterName: "m", Password: "pw", TLS: true}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := parseURL(tt.url)
			if err != nil {
				t.Fatalf("parseURL(%q): %v", tt.url, err)
			}
			if diff := cmp.Diff(tt.want, summarize(got)); diff != "" {
				t.Errorf("parseURL(%q) mismatch (-want +got):\n%s", tt.url, diff)
			}
		})
	}
}

// TestParseURLErrors checks that a bad URL's error says what is wrong and
// never shows the password.
func TestParseURLErrors(t *testing.T) {
	t.Parallel()
	const pw = "s3cretpw"
	tests := []struct {
		url  string
		want string // in the error
	}{
		{"redis://:s3cretpw@127.0.0.1:notaport/0", "invalid port"},
		{"http://user:s3cretpw@127.0.0.1:6379", `scheme "http" is not redis, rediss or unix`},
		{"redis://user:s3cretpw@127.0.0.1:6379/notadb", "invalid database number"},
		{"redis://user:s3cretpw@[::1/0", "missing ']'"},
		{"redis://:s3cretpw@h1:6379?addr=h2:6379", "write redis+cluster:// for a Redis Cluster"},
		{"redis://:s3cretpw@h1:6379?master_name=m", "redis+sentinel:// for Sentinel"},
		{"redis://:s3cretpw@h1:6379?bogus=1", "unexpected option: bogus"},
		{"redis+ring://:s3cretpw@h1:6379", "not cluster or sentinel"},
		{"unix+cluster://:s3cretpw@h1:6379", `scheme "unix+cluster" is not`},

		{"redis+cluster://:s3cretpw@h1:7000,h2:7001", "?addr=host:port"},
		{"redis+cluster://:s3cretpw@h1:7000/3", "only database 0"},
		{"redis+cluster://:s3cretpw@h1:7000?db=1", "only database 0"},
		{"redis+cluster://:s3cretpw@h1:7000?addr=nohostport", "unable to parse addr param: nohostport"},
		{"redis+cluster://:s3cretpw@h1:7000?pool_size=many", "invalid pool_size number"},

		{"redis+sentinel://:s3cretpw@s1:26379/0", "no master_name"},
		{"redis+sentinel://s1:26379/0?master_name=m&password=s3cretpw", "password= in the query"},
		{"redis+sentinel://s1:26379/0?master_name=m&sentinel_password=s3cretpw", "sentinel_password= in the query"},
		{"redis+sentinel://:s3cretpw@s1:26379/0?master_name=m&sentinel_auth=maybe", `sentinel_auth="maybe" is not true or false`},
		{"redis+sentinel://:s3cretpw@s1:26379/x?master_name=m", "invalid database number"},
		{"redis+sentinel://:s3cretpw@s1:26379,s2:26379/0?master_name=m", "?addr=host:port"},
		{"redis+sentinel://:s3cretpw@s1:26379/0?master_name=m&route_randomly=true", "quant uses the masters only"},
		{"redis+sentinel://:s3cretpw@s1:26379/0?master_name=m&replica_only=1", "quant uses the masters only"},
		{"redis+cluster://:s3cretpw@h1:7000?read_only=true", "quant uses the masters only"},
		{"redis+cluster://:s3cretpw@h1:7000?route_by_latency=true", "quant uses the masters only"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := parseURL(tt.url)
			if err == nil {
				t.Fatalf("parseURL(%q) = nil error, want one with %q", tt.url, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("parseURL(%q) = %q, want it to say %q", tt.url, msg, tt.want)
			}
			if !strings.HasPrefix(msg, "redis: url ") {
				t.Errorf("parseURL(%q) = %q, want it to start with \"redis: url \"", tt.url, msg)
			}
			if strings.Contains(msg, pw) {
				t.Errorf("parseURL(%q) = %q shows the password", tt.url, msg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, want string }{
		{"rediss://u:s3cretpw@h:1/0", "rediss://u:xxxxx@h:1/0"},
		{"redis+sentinel://:s3cretpw@s1:26379/0?master_name=m", "redis+sentinel://:xxxxx@s1:26379/0?master_name=m"},
		{"redis+sentinel://s1:26379/0?master_name=m&password=s3cretpw", "redis+sentinel://s1:26379/0?master_name=m&password=xxxxx"},
		{"redis://h:1/0", "redis://h:1/0"},
		{"redis://u:s3cretpw@[::1/0", "<unparsable url>"},
	}
	for _, tt := range tests {
		if got := Redact(tt.url); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
