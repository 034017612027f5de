// Command attack replays one of the memory attacks of issue 14 against a mock on
// loopback, bounded in count and time, and prints what the mock answered.
// bench/attack.sh starts a fresh mock for each attack and reads its peak RSS.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:47120", "the mock's address (loopback)")
	attack := flag.String("attack", "", "method, query, appid, apps, idle, delay, delay-token, body, journal, admin-yaml, lists or hostile")
	n := flag.Int("n", 0, "how many requests or connections (0: the attack's own figure)")
	size := flag.Int("size", 1_000_000, "bytes of the oversized part")
	workers := flag.Int("workers", 8, "requests in parallel")
	limit := flag.Duration("timeout", 60*time.Second, "the whole attack's time bound")
	pages := flag.Int("pages", 200, "lists: pages read of each app")
	upstream := flag.String("upstream", "", "hostile: serve a hostile target on this loopback HOST:PORT (for a proxy in front of it)")
	serveFor := flag.Duration("serve", 0, "hostile: only serve the hostile target for this long (for conform against it)")
	flag.Parse()
	for _, a := range []string{*addr, *upstream} {
		if host, _, err := net.SplitHostPort(a); a != "" && (err != nil || (host != "127.0.0.1" && host != "localhost")) {
			fmt.Fprintln(os.Stderr, "attack: --addr and --upstream must be loopback HOST:PORT")
			os.Exit(2)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	a := &attacker{addr: *addr, size: *size, workers: *workers, statuses: map[string]int{}}
	var err error
	switch *attack {
	case "method": // a method of size bytes, kept by the journal and the log
		err = a.each(ctx, or(*n, 1100), func(i int) string {
			return fill("M", i, a.size) + " /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
		})
	case "query": // distinct valid list URLs of size bytes, for the verdict memory
		err = a.each(ctx, or(*n, 1000), func(i int) string {
			return "GET /contacts/app?page=1&pad=" + fill("q", i, a.size) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
		})
	case "appid": // app ids of size bytes, each an app in open mode
		err = a.each(ctx, or(*n, 1000), func(i int) string {
			return "GET /contacts/" + fill("a", i, a.size) + "?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
		})
	case "apps": // new app ids, each seeded with the mock's --contacts
		a.workers = 1
		err = a.each(ctx, or(*n, 15), func(i int) string {
			return "GET /contacts/big" + strconv.Itoa(i) + "?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n"
		})
	case "body": // creates of size bytes, sent slowly, all at once
		err = a.slowBodies(ctx, or(*n, 500))
	case "idle":
		err = a.idle(ctx, or(*n, 4086))
	case "journal": // creates of size bytes of control bytes, then the journal read at once by a.workers
		err = a.journal(ctx, or(*n, 600))
	case "admin-yaml": // admin PUTs of a YAML list of size bytes of integers, a.workers at once
		err = a.adminYAML(ctx, or(*n, 8))
	case "batches": // creates of size bytes of bare integers (a row each), a.workers at once
		err = a.batches(ctx, or(*n, 128))
	case "lists": // n apps, each read page by page (limit 50), a.workers at once: a proxy's session model
		err = a.lists(ctx, or(*n, 200), *pages)
	case "hostile": // a hostile target's answers of size bytes of tiny items, n reads, a.workers at once through a proxy
		if *upstream == "" {
			fmt.Fprintln(os.Stderr, "attack: hostile needs --upstream")
			os.Exit(2)
		}
		err = a.hostile(ctx, *upstream, or(*n, 640), *serveFor)
	case "delay", "delay-token": // headers of size bytes and a 30 s delay, without a token or with one
		auth := ""
		if *attack == "delay-token" {
			auth = "Authorization: Bearer t\r\n" // open mode: any token
		}
		a.workers = or(*n, 500)
		err = a.each(ctx, or(*n, 500), func(i int) string {
			return "GET /contacts/app HTTP/1.1\r\nHost: x\r\n" + auth + "Prefer: delay=30000\r\nX-Pad: " + fill("h", i, a.size) + "\r\n\r\n"
		})
	default:
		fmt.Fprintln(os.Stderr, "attack: --attack must be method, query, appid, apps, idle, delay, delay-token, body, journal, admin-yaml, lists or hostile")
		os.Exit(2)
	}
	fmt.Printf("answers: %s\n", a.summary())
	if err != nil {
		fmt.Println("stopped:", err)
	}
}

type attacker struct {
	addr    string
	size    int
	workers int

	// mu guards statuses.
	mu       sync.Mutex
	statuses map[string]int
}

func or(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// fill returns size bytes: prefix, i, then x's, so every one is distinct.
func fill(prefix string, i, size int) string {
	s := prefix + strconv.Itoa(i)
	return s + strings.Repeat("x", max(size-len(s), 0))
}

func (a *attacker) count(what string) {
	a.mu.Lock()
	a.statuses[what]++
	a.mu.Unlock()
}

func (a *attacker) summary() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var parts []string
	for k, v := range a.statuses {
		parts = append(parts, fmt.Sprintf("%s x%d", k, v))
	}
	return strings.Join(parts, ", ")
}

// each sends n raw requests, a.workers at a time, one connection each.
func (a *attacker) each(ctx context.Context, n int, request func(int) string) error {
	return a.pool(ctx, n, func(i int) string { return a.send(ctx, request(i)) })
}

// pool runs do(0) to do(n-1), a.workers at once, counting what each returns.
func (a *attacker) pool(ctx context.Context, n int, do func(i int) string) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range a.workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				a.count(do(i))
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// send writes req on a new connection and returns the answer's status, or what
// went wrong.
func (a *attacker) send(ctx context.Context, req string) string {
	conn, err := a.dial(ctx)
	if err != nil {
		return "dial error"
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(req)); err != nil {
		return "write error"
	}
	return status(conn)
}

// dial connects to the mock, with the attack's deadline on the connection.
func (a *attacker) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.addr)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	return conn, nil
}

// status reads an answer from conn and returns its status, or "no answer".
func status(conn net.Conn) string {
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "no answer"
	}
	resp.Body.Close()
	return strconv.Itoa(resp.StatusCode)
}

// slowBodies opens n connections that each start a create of a.size bytes and send
// it in pieces over a few seconds.
func (a *attacker) slowBodies(ctx context.Context, n int) error {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			conn, err := a.dial(ctx)
			if err != nil {
				a.count("dial error")
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n[", a.size)
			piece := []byte(strings.Repeat(" ", a.size/10))
			for range 9 {
				if _, err := conn.Write(piece); err != nil {
					a.count("write error")
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
			rest := a.size - 1 - 9*len(piece)
			conn.Write([]byte(strings.Repeat(" ", max(rest-1, 0)) + "]"))
			a.count(status(conn))
		})
	}
	wg.Wait()
	return ctx.Err()
}

// idle opens n keep-alive connections, each after one answered request, then
// checks whether a new client is still served within 5 s.
func (a *attacker) idle(ctx context.Context, n int) error {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.DialTimeout("tcp", a.addr, 2*time.Second)
		if err != nil {
			a.count("dial error")
			continue
		}
		conns = append(conns, c)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprint(c, "GET /contacts/app?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n")
		a.count(status(c))
	}
	client := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.addr+"/__admin/health", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println("a new client, with", len(conns), "connections open: not served:", err)
	} else {
		resp.Body.Close()
		fmt.Println("a new client, with", len(conns), "connections open: served", resp.StatusCode)
	}
	return nil
}

// journal sends n creates whose bodies are a.size bytes of control bytes (each
// six bytes once written in JSON), then has a.workers clients read the whole
// journal at once, and says how large each answer was.
func (a *attacker) journal(ctx context.Context, n int) error {
	body := strings.Repeat("\x01", a.size)
	req := fmt.Sprintf("POST /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if err := a.each(ctx, n, func(int) string { return req }); err != nil {
		return err
	}
	sizes := make([]int64, a.workers)
	var wg sync.WaitGroup
	for i := range a.workers {
		wg.Go(func() {
			sizes[i] = a.read(ctx, "http://"+a.addr+"/__admin/requests")
		})
	}
	wg.Wait()
	fmt.Println("journal answers (bytes):", sizes)
	return ctx.Err()
}

// read GETs url (loopback, Host 127.0.0.1) and returns the answer's size, -1 when
// it failed.
func (a *attacker) read(ctx context.Context, url string) int64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.count("read error")
		return -1
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	a.count("read " + strconv.Itoa(resp.StatusCode))
	return n
}

// adminYAML sends n admin PUTs of a YAML list of integers of a.size bytes
// ("- 1" lines), a.workers at once.
func (a *attacker) adminYAML(ctx context.Context, n int) error {
	body := strings.Repeat("- 1\n", a.size/4)
	req := fmt.Sprintf("PUT /__admin/apps/app HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return a.each(ctx, n, func(int) string { return req })
}

// batches sends n creates whose body is size bytes of bare integers: half a
// million rows that are not contacts in 1 MB, each a 422 error to word.
func (a *attacker) batches(ctx context.Context, n int) error {
	body := "[" + strings.Repeat("1,", max(a.size/2-1, 0)) + "1]"
	req := fmt.Sprintf("POST /contacts/app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return a.each(ctx, n, func(int) string { return req })
}

// lists reads pages 1 to pages (limit 50) of apps app0 to app<n-1>: list
// traffic through a proxy, whose session model learns every contact it is shown.
func (a *attacker) lists(ctx context.Context, n, pages int) error {
	return a.gets(ctx, n*pages, func(i int) string {
		return fmt.Sprintf("http://%s/contacts/app%d?page=%d&limit=50", a.addr, i/pages, i%pages+1)
	})
}

// gets sends n GETs with a bearer token, a.workers at once over keep-alive
// connections, the i-th to url(i).
func (a *attacker) gets(ctx context.Context, n int, url func(i int) string) error {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: a.workers}}
	return a.pool(ctx, n, func(i int) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url(i), nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := client.Do(req)
		if err != nil {
			return "error"
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return strconv.Itoa(resp.StatusCode)
	})
}

// hostile serves, on upstream, list answers of a.size bytes whose data is tiny
// items (a valid envelope: 1 MB holds half a million), and reads n of them
// through the proxy at a.addr, a.workers at once; with serveFor it only serves,
// that long.
func (a *attacker) hostile(ctx context.Context, upstream string, n int, serveFor time.Duration) error {
	head := `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[`
	tail := `],"meta":{"total":1,"limit":50,"current_page":1,"first_page":1,"previous_page":null,"next_page":null,"last_page":1}}`
	items := strings.TrimSuffix(strings.Repeat("1,", max(a.size-len(head)-len(tail), 2)/2), ",")
	body := []byte(head + items + tail)
	ln, err := net.Listen("tcp", upstream)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	if serveFor > 0 {
		select {
		case <-time.After(serveFor):
		case <-ctx.Done():
		}
		return nil
	}
	return a.gets(ctx, n, func(i int) string { return fmt.Sprintf("http://%s/contacts/app%d?limit=50", a.addr, i) })
}
