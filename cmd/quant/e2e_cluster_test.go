package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// postJSON posts body and decodes the JSON answer into v (when not nil).
func postJSON(t *testing.T, u, body string, v any) *http.Response {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("POST %s: %v: %s", u, err, b)
		}
	}
	return resp
}

type e2eJob struct {
	ID       string          `json:"id"`
	Status   string          `json:"status"`
	Attempts int             `json:"attempts"`
	Cache    string          `json:"cache"`
	Result   json.RawMessage `json:"result"`
	Error    *struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	} `json:"error"`
}

// TestE2EJobsSurviveRestart submits jobs to an instance that runs none and
// kills it (kill -9); a new instance on the same PostgreSQL runs them all
// and answers for every job id the first one gave out.
func TestE2EJobsSurviveRestart(t *testing.T) {
	db := testDatabase(t)
	data, _ := genData(t)
	a, proc := startServerProc(t, nil, "--database-url", db, "--data", data, "--job-workers", "0")
	var ids []string
	var top struct {
		Politicians []struct {
			ID string `json:"id"`
		} `json:"politicians"`
	}
	getJSON(t, a+"/api/v1/politicians?limit=5", &top)
	for _, p := range top.Politicians {
		for _, an := range []string{"fourier", "hmm", "ensemble"} {
			var j e2eJob
			resp := postJSON(t, a+"/api/v1/jobs", fmt.Sprintf(`{"analysis":%q,"id":%q}`, an, p.ID), &j)
			if resp.StatusCode != http.StatusAccepted || j.Status != "queued" {
				t.Fatalf("submit: %d %+v", resp.StatusCode, j)
			}
			ids = append(ids, j.ID)
		}
	}
	var j e2eJob
	postJSON(t, a+"/api/v1/jobs", `{"analysis":"correlation","params":{"top":10}}`, &j)
	ids = append(ids, j.ID)
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	proc.Wait()

	b := startServer(t, nil, "--database-url", db)
	finished := map[string]int{}
	eventually(t, 120*time.Second, "every job finished on the new instance", func() bool {
		clear(finished)
		for _, id := range ids {
			var j e2eJob
			getJSON(t, b+"/api/v1/jobs/"+id, &j)
			finished[j.Status]++
			if j.Status == "failed" && (j.Error == nil || j.Error.Status != 422) {
				t.Fatalf("job %s failed: %+v", id, j.Error)
			}
		}
		return finished["done"]+finished["failed"] == len(ids)
	})
	if finished["done"] < len(ids)-2 {
		t.Errorf("jobs: %v; want (nearly) all done", finished)
	}
	t.Logf("%d jobs submitted to a killed instance, finished by another: %v", len(ids), finished)
}

// TestE2EKillLeaseHolder kills (kill -9) the instance computing a key for
// a job while another instance waits for the same answer: the waiter takes
// the computation over once the dead holder's Redis lease runs out and
// answers 200, and the job the dead instance was running is claimed again
// once its job lease runs out and finishes.
func TestE2EKillLeaseHolder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server: skipped with -short")
	}
	db := testDatabase(t)
	rs := redistest.Start(t)
	// A dataset whose network takes seconds (1,500 politicians), so the
	// holder is surely still computing when it dies.
	data := filepath.Join(t.TempDir(), "big.csv")
	if _, stderr, code := run(t, nil, "gen", "--politicians", "1500", "--trades", "150000", "-o", data); code != 0 {
		t.Fatalf("gen: %s", stderr)
	}
	// Leases renew every third of their life. A -race build computing the
	// network on a loaded machine has renewed seconds late (a 2 s lease
	// then ran out while A was alive, and B computed without waiting; a
	// 6 s one did too with two test suites and five builds sharing the 2
	// cores), so both leases leave A 10 s of slack.
	common := []string{"--database-url", db, "--redis-url", rs.URL(), "--redis-timeout", "2s", "--lease-ttl", "15s",
		"--job-lease", "30s", "--job-workers", "1", "--compute-timeout", "5m"}
	a, proc := startServerProc(t, nil, append(common, "--data", data)...)
	adminB := freeAddr(t)
	b := startServer(t, nil, append(common, "--admin-addr", adminB)...)

	o, _ := goredis.ParseURL(rs.URL())
	rdb := goredis.NewClient(o)
	defer rdb.Close()
	var job e2eJob
	if resp := postJSON(t, a+"/api/v1/jobs", `{"analysis":"network"}`, &job); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("submit the network job to A: %d", resp.StatusCode)
	}
	eventually(t, 30*time.Second, "instance A holds the network lease", func() bool {
		leases, _ := rdb.Keys(context.Background(), "quantlease:*network*").Result()
		return len(leases) == 1
	})
	bDone := make(chan *http.Response, 1)
	start := time.Now()
	go func() {
		resp, err := http.Get(b + "/api/v1/analytics/network")
		if err != nil {
			t.Errorf("B: %v", err)
			bDone <- nil
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		bDone <- resp
	}()
	type cacheCounts struct {
		Misses         int64 `json:"misses"`
		Coalesced      int64 `json:"coalesced"`
		Errors         int64 `json:"errors"`
		LeaseWaits     int64 `json:"lease_waits"`
		LeaseTakeovers int64 `json:"lease_takeovers"`
	}
	bCache := func() cacheCounts {
		var snap struct {
			Cache cacheCounts `json:"cache"`
		}
		getJSON(t, "http://"+adminB+"/admin/v1/snapshot", &snap)
		return snap.Cache
	}
	// Kill A only once B's request is seen waiting on A's lease.
	eventually(t, 30*time.Second, "B waiting on A's lease", func() bool {
		c := bCache()
		if c.Misses > 0 {
			t.Fatalf("B computed before A died (%+v): A's lease ran out while A was alive", c)
		}
		return c.LeaseWaits >= 1
	})
	var running e2eJob
	getJSON(t, a+"/api/v1/jobs/"+job.ID, &running)
	if running.Status != "running" || running.Attempts != 1 {
		t.Fatalf("the job on A before the kill: %+v; want running, attempt 1", running)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	var resp *http.Response
	select {
	case resp = <-bDone:
	case <-time.After(3 * time.Minute):
		t.Fatal("B never answered")
	}
	// B's request led B's computation (its job worker, claiming the dead
	// instance's job later, can only join it or find the answer).
	if resp == nil || resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" {
		t.Fatalf("B: %v; want 200 MISS (computed by B after A's lease ran out)", resp)
	}
	eventually(t, 2*time.Minute, "the dead instance's job finished by B", func() bool {
		getJSON(t, b+"/api/v1/jobs/"+job.ID, &running)
		return running.Status == "done" || running.Status == "failed"
	})
	// At least a second attempt: B's. (A -race build starved of CPU can
	// renew a lease late, and another claim then follows: more attempts,
	// still one answer.)
	if running.Status != "done" || running.Attempts < 2 || len(running.Result) == 0 {
		t.Errorf("the job after the kill: %s, attempt %d; want done by B on a later attempt", running.Status, running.Attempts)
	}
	// Read once the job is done too: a follower returns before its leader
	// counts.
	c := bCache()
	if c.LeaseWaits < 1 || c.LeaseTakeovers != 1 || c.Misses != 1 {
		t.Errorf("B's cache: %+v; want a wait on A's lease, one takeover and one computation", c)
	}
	t.Logf("A killed while computing; B answered 200 %s after %v; the job finished on attempt %d; B's cache %+v",
		resp.Header.Get("X-Cache"), time.Since(start).Round(time.Millisecond), running.Attempts, c)
}

// TestE2EIngestReachesEveryInstance ingests records through one instance's
// API; another instance sharing PostgreSQL and Redis stops serving its
// cached answer and computes over the new data.
func TestE2EIngestReachesEveryInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server: skipped with -short")
	}
	db := testDatabase(t)
	rs := redistest.Start(t)
	common := []string{"--database-url", db, "--redis-url", rs.URL(), "--ingest-token", "in-tok"}
	data, _ := genData(t)
	a := startServer(t, nil, append(common, "--data", data)...)
	b := startServer(t, nil, common...)
	const path = "/api/v1/analytics/correlation?top=5"
	version := func(base string) (string, e2eVersion) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Meta struct {
				DatasetVersion e2eVersion `json:"dataset_version"`
			} `json:"meta"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		return resp.Header.Get("X-Cache"), body.Meta.DatasetVersion
	}
	version(b)
	cached, v0 := version(b)
	if cached != "HIT" {
		t.Fatalf("B's second request: %s; want HIT", cached)
	}
	var csv bytes.Buffer
	csv.WriteString("transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "%02d/%02d/2020,Self,AAPL,Apple Inc.,Stock,Purchase,\"$1,001 - $15,000\",--,Ingested Senator,https://example.org/%d\n", 1+i%12, 1+i%28, i)
	}
	req, _ := http.NewRequest("POST", a+"/api/v1/trades?source=e2e", &csv)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer in-tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ing struct {
		Records        int        `json:"records"`
		DatasetVersion e2eVersion `json:"dataset_version"`
	}
	json.NewDecoder(resp.Body).Decode(&ing)
	resp.Body.Close()
	if resp.StatusCode != 201 || ing.Records != 30 || ing.DatasetVersion == v0 {
		t.Fatalf("ingest on A: %d %+v; want 201, 30 records, a new version", resp.StatusCode, ing)
	}
	eventually(t, 5*time.Second, "B answers from the new data", func() bool {
		c, v := version(b)
		return v == ing.DatasetVersion && (c == "MISS" || c == "COALESCED" || c == "HIT")
	})
}
