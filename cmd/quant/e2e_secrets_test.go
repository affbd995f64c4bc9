package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestE2ESecretsStayOut runs a server with an admin token, an ingest token
// and a database password, uses all three (and wrong ones) at debug log
// level, and finds none of them in its log, its snapshot or its metrics.
func TestE2ESecretsStayOut(t *testing.T) {
	db := testDatabase(t)
	u, _ := url.Parse(db)
	u.User = url.UserPassword(u.User.Username(), "pg-SECRET-3") // the test server trusts loopback: any password works
	admin := freeAddr(t)
	api, _, logs := launchServer(t, nil, "--database-url", u.String(), "--admin-addr", admin,
		"--admin-token", "adm-SECRET-1", "--ingest-token", "ing-SECRET-2", "--log-level", "debug")
	var seen []string
	call := func(method, u, token, ctype, body string) int {
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		for k, v := range resp.Header {
			b.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		buf := make([]byte, 1<<20)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		seen = append(seen, b.String())
		return resp.StatusCode
	}
	csv := "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n" +
		"01/02/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Secret Keeper,x\n"
	checks := []struct {
		method, u, token, ctype, body string
		want                          int
	}{
		{"GET", "http://" + admin + "/admin/v1/snapshot", "adm-SECRET-1", "", "", 200},
		{"GET", "http://" + admin + "/admin/v1/snapshot", "adm-SECRET-1x", "", "", 401},
		{"GET", "http://" + admin + "/metrics", "adm-SECRET-1", "", "", 200},
		{"POST", api + "/api/v1/trades", "ing-SECRET-2", "text/csv", csv, 201},
		{"POST", api + "/api/v1/trades", "ing-SECRET-2x", "text/csv", csv, 401},
		{"POST", api + "/api/v1/trades", "adm-SECRET-1", "text/csv", csv, 401},
		{"GET", api + "/readyz", "", "", "", 200},
	}
	for _, c := range checks {
		if got := call(c.method, c.u, c.token, c.ctype, c.body); got != c.want {
			t.Errorf("%s %s: %d; want %d", c.method, c.u, got, c.want)
		}
	}
	out := logs.String() + strings.Join(seen, "\n")
	if !strings.Contains(logs.String(), "quant serving") {
		t.Fatalf("no server log captured: %q", logs.String())
	}
	for _, secret := range []string{"SECRET-1", "SECRET-2", "SECRET-3"} {
		if i := strings.Index(out, secret); i >= 0 {
			t.Errorf("%s shows up: ...%s...", secret, out[max(0, i-200):min(len(out), i+50)])
		}
	}
}

// The admin API does not start beyond loopback without a token.
func TestE2EAdminBeyondLoopbackNeedsToken(t *testing.T) {
	_, stderr, code := run(t, nil, "serve", "--addr", freeAddr(t), "--admin-addr", "0.0.0.0:"+strings.Split(freeAddr(t), ":")[1])
	if code == 0 || !strings.Contains(stderr, "beyond loopback") {
		t.Errorf("serve with the admin API on 0.0.0.0 and no token: exit %d, stderr %q; want a refusal", code, stderr)
	}
}
