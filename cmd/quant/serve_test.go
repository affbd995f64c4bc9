package main

import (
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

// TestCacheBoundFollowsTheMemoryLimit: with a memory limit (--memory-limit
// or GOMEMLIMIT) the answer cache may hold at most half of it; an explicit
// --cache-max-bytes over that is refused at start naming both figures, the
// default follows the limit (issue 16: a 256 MiB cache under a 250 MiB
// limit filled until every request was shed).
func TestCacheBoundFollowsTheMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(math.MaxInt64) // no GOMEMLIMIT unless a case sets one
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	for _, tt := range []struct {
		name        string
		memoryLimit string
		gomemlimit  int64
		cacheMax    int64
		want        int64  // the bound, when accepted
		wantErr     string // the error's pieces, "|"-separated
		wantNote    string
	}{
		{name: "no limit: the default", want: 256 << 20},
		{name: "no limit: any bound", cacheMax: 4 << 30, want: 4 << 30},
		{name: "the default follows --memory-limit", memoryLimit: "250MiB", want: 125 << 20, wantNote: "125MiB, half of the memory limit 250MiB (--memory-limit)"},
		{name: "a large limit leaves the default", memoryLimit: "2GiB", want: 256 << 20},
		{name: "half the limit is accepted", memoryLimit: "250MiB", cacheMax: 125 << 20, want: 125 << 20},
		{name: "over half the limit is refused", memoryLimit: "250MiB", cacheMax: 256 << 20,
			wantErr: "--cache-max-bytes 268435456 (256MiB)|memory limit 250MiB (--memory-limit)|at most 131072000 (125MiB)"},
		{name: "the default follows GOMEMLIMIT", gomemlimit: 200 << 20, want: 100 << 20, wantNote: "100MiB, half of the memory limit 200MiB (GOMEMLIMIT)"},
		{name: "over half GOMEMLIMIT is refused", gomemlimit: 200 << 20, cacheMax: 128 << 20, wantErr: "--cache-max-bytes 134217728 (128MiB)|200MiB (GOMEMLIMIT)"},
		{name: "under 1 MiB is refused", cacheMax: 1000, wantErr: "--cache-max-bytes must be at least 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			if tt.gomemlimit > 0 {
				debug.SetMemoryLimit(tt.gomemlimit)
			}
			_, cfg := newServeCmd()
			cfg.MemoryLimit, cfg.CacheMaxBytes = tt.memoryLimit, tt.cacheMax
			err := cfg.Validate()
			debug.SetMemoryLimit(math.MaxInt64)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Validate() = nil, bound %d; want an error with %q", cfg.cacheMaxBytes, tt.wantErr)
				}
				for _, piece := range strings.Split(tt.wantErr, "|") {
					if !strings.Contains(err.Error(), piece) {
						t.Errorf("Validate() = %q, want it to say %q", err, piece)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if cfg.cacheMaxBytes != tt.want {
				t.Errorf("cache bound = %d, want %d", cfg.cacheMaxBytes, tt.want)
			}
			if !strings.Contains(cfg.cacheBoundNote, tt.wantNote) || (tt.wantNote == "") != (cfg.cacheBoundNote == "") {
				t.Errorf("cacheBoundNote = %q, want %q", cfg.cacheBoundNote, tt.wantNote)
			}
		})
	}
}

// TestAdminTokensValidate: a read token needs an admin token of its own
// (else nothing could act) and must differ from it (else a request's role
// is ambiguous); beyond loopback the admin token is still required.
func TestAdminTokensValidate(t *testing.T) {
	for _, tt := range []struct {
		name, addr, admin, read string
		wantErr                 string
	}{
		{name: "both tokens", addr: "0.0.0.0:9090", admin: "a", read: "r"},
		{name: "the admin token alone", addr: "0.0.0.0:9090", admin: "a"},
		{name: "no token on loopback", addr: "127.0.0.1:9090"},
		{name: "the read token alone", addr: "127.0.0.1:9090", read: "r", wantErr: "--admin-read-token (QUANT_ADMIN_READ_TOKEN) needs --admin-token"},
		{name: "the read token alone beyond loopback", addr: "0.0.0.0:9090", read: "r", wantErr: "--admin-token"},
		{name: "the same token twice", addr: "127.0.0.1:9090", admin: "a", read: "a", wantErr: "--admin-read-token is the same as --admin-token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, cfg := newServeCmd()
			cfg.AdminAddr, cfg.AdminToken, cfg.AdminReadTok = tt.addr, tt.admin, tt.read
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error saying %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "r\""):
				t.Errorf("Validate() = %v shows a token", err)
			}
		})
	}
}
