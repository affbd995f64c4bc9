// Command bare is the ceiling of the hot-cache benchmark: a bare net/http
// server that fetches one answer from quant once and then serves those
// bytes to every request, with nothing else in the way.
//
//	go run ./bench/bare -addr 127.0.0.1:18090 -from http://127.0.0.1:18080/api/v1/analytics/ensemble/ID
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address (loopback)")
	from := flag.String("from", "", "URL whose answer to serve")
	flag.Parse()
	resp, err := http.Get(*from)
	if err != nil {
		log.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("GET %s: %s %v", *from, resp.Status, err)
	}
	srv := &http.Server{
		Addr: *addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
	}
	log.Fatal(srv.ListenAndServe())
}
