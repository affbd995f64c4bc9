package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestE2EHTTPSemantics drives the binary as curl would (issue 17): a
// gzip answer, a 304 for the ETag a client holds, HEAD, and a 400 for a
// malformed query string.
func TestE2EHTTPSemantics(t *testing.T) {
	base := startServer(t, nil)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	send := func(method, path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	const path = "/api/v1/analytics/correlation?top=100"
	send("GET", path) // the MISS
	plain, body := send("GET", path)
	etag := plain.Header.Get("Etag")
	if plain.StatusCode != 200 || plain.Header.Get("X-Cache") != "HIT" || etag == "" ||
		!strings.HasPrefix(plain.Header.Get("Cache-Control"), "public, max-age=") || plain.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("GET %s = %d, X-Cache %q, ETag %q, Cache-Control %q, Vary %q", path, plain.StatusCode,
			plain.Header.Get("X-Cache"), etag, plain.Header.Get("Cache-Control"), plain.Header.Get("Vary"))
	}

	gz, zbody := send("GET", path, "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(bytes.NewReader(zbody))
	if err != nil {
		t.Fatalf("gzip answer: %v (Content-Encoding %q)", err, gz.Header.Get("Content-Encoding"))
	}
	unzipped, err := io.ReadAll(zr)
	if gz.Header.Get("Content-Encoding") != "gzip" || err != nil || !bytes.Equal(unzipped, body) || len(zbody) > len(body)/2 {
		t.Errorf("gzip answer: Content-Encoding %q, %d bytes unzipping to %d (%v); want gzip of the %d identity bytes",
			gz.Header.Get("Content-Encoding"), len(zbody), len(unzipped), err, len(body))
	}

	nm, nb := send("GET", path, "If-None-Match", etag)
	if nm.StatusCode != http.StatusNotModified || len(nb) != 0 || nm.Header.Get("Etag") != etag ||
		nm.Header.Get("Cache-Control") != plain.Header.Get("Cache-Control") || nm.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("If-None-Match %s = %d (%d bytes), ETag %q, Cache-Control %q, Vary %q; want 304 with the 200's",
			etag, nm.StatusCode, len(nb), nm.Header.Get("Etag"), nm.Header.Get("Cache-Control"), nm.Header.Get("Vary"))
	}

	head, hb := send("HEAD", path)
	if head.StatusCode != 200 || len(hb) != 0 || head.Header.Get("Etag") != etag || head.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("HEAD %s = %d (%d bytes), ETag %q, Content-Length %q; want 200, no body, %s, %d",
			path, head.StatusCode, len(hb), head.Header.Get("Etag"), head.Header.Get("Content-Length"), etag, len(body))
	}
	if lh, _ := send("HEAD", "/api/v1/politicians"); lh.StatusCode != 200 || lh.Header.Get("Etag") == "" {
		t.Errorf("HEAD /api/v1/politicians = %d, ETag %q; want 200 with a tag", lh.StatusCode, lh.Header.Get("Etag"))
	}

	bad, bb := send("GET", "/api/v1/trades?cursor=%%%")
	var p struct{ Param string }
	json.Unmarshal(bb, &p)
	if bad.StatusCode != 400 || p.Param != "cursor" {
		t.Errorf("GET /api/v1/trades?cursor=%%%%%% = %d, param %q; want 400 naming cursor: %s", bad.StatusCode, p.Param, bb)
	}
	if m, _ := send("DELETE", "/api/v1/politicians"); m.StatusCode != 405 || m.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE /api/v1/politicians = %d, Allow %q; want 405, GET, HEAD", m.StatusCode, m.Header.Get("Allow"))
	}
}
