package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/testenv"
	"github.com/gatehouse/gatehouse/plugin"
	sqlitestore "github.com/gatehouse/gatehouse/plugins/sqlite/store"
)

// smallStore is the number of pairings of the small store.
const smallStore = 1000

// BenchmarkLargeStore measures is-paired on a store of 1,000 and one of
// 1,000,000 pairings, through the plugin, and lists the large one
// through the host's HTTP API while watching the host's peak memory.
func BenchmarkLargeStore(b *testing.B) {
	dir := b.TempDir()
	small, large := filepath.Join(dir, "small.db"), filepath.Join(dir, "large.db")
	n := largeStore()
	fillStore(b, small, smallStore)
	fillStore(b, large, n)

	tok := newToken(b)
	smallCfg := parseConfig(b, tokenAuthBlock(tok), sqliteBlocks(small))
	largeCfg := parseConfig(b, tokenAuthBlock(tok), sqliteBlocks(large))
	smallP := startPlugin(b, smallCfg.Pairing, smallCfg.PluginDir)
	largeP := startPlugin(b, largeCfg.Pairing, largeCfg.PluginDir)

	b.Run("is-paired", func(b *testing.B) {
		pair(b, row{section: sectionScale, name: fmt.Sprintf("is-paired via plugin: %s vs %s pairings", count(n), count(smallStore)),
			clients: 1, target: ratioAtMost(1.5)},
			scaleWork(largeP.Pairing(), n), scaleWork(smallP.Pairing(), smallStore))
	})
	b.Run("list", func(b *testing.B) { listLarge(b, tok, large, n) })
}

// scaleWork asks for the paired channels of a store of n pairings,
// spread over the key space, and for as many unpaired ones.
func scaleWork(p plugin.Pairing, n int) workload {
	return workload{op: func(ctx context.Context, i int) error {
		id, want := fmt.Sprintf("%08d", (i/2*7919)%n), i%2 == 0
		if !want {
			id = "x" + id
		}
		ok, err := p.IsPaired(ctx, id, "chat")
		if err == nil && ok != want {
			err = fmt.Errorf("IsPaired(%s) = %v, want %v", id, ok, want)
		}
		return err
	}}
}

// listLarge lists every pairing through GET /v1/pairing/paired of a host
// serving the large store, against paging through it in process.
func listLarge(b *testing.B, tok operatorToken, path string, n int) {
	h := testenv.StartHost(b, tokenAuthBlock(tok)+sqliteBlocks(path))
	direct, err := sqlitestore.Open(b.Context(), sqlitestore.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { direct.Close() })

	r := row{section: sectionScale, name: fmt.Sprintf("list %s pairings: HTTP stream vs store pages in process", count(n)),
		clients: 1, unit: elapsed, target: hostRSSBelow(100)}
	r = measurePair(b, r, streamWork(h.URL, tok, n), pagesWork(direct, n))
	r.hostRSS = peakRSS(b, h.PID)
	pluginRSS := peakRSS(b, pluginPID(b, h.URL, tok, "pairing.sqlite"))
	r.note = fmt.Sprintf("peak RSS: host %s, pairing plugin %s", formatMiB(r.hostRSS), formatMiB(pluginRSS))
	addRow(r)
}

// streamWork reads the whole streamed listing and counts its items:
// the host writes one JSON object per line.
func streamWork(url string, tok operatorToken, n int) workload {
	c := &http.Client{}
	return workload{op: func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/pairing/paired", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", tok.header())
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("list: %s", resp.Status)
		}
		items, err := countItems(resp.Body)
		if err == nil && items != n {
			err = fmt.Errorf("listed %d pairings, want %d", items, n)
		}
		return err
	}}
}

// countItems counts the lines that hold a paired channel.
func countItems(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	items := 0
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"channel_id"`)) {
			items++
		}
	}
	return items, sc.Err()
}

// pagesWork pages through the store with its default page size.
func pagesWork(s *sqlitestore.Store, n int) workload {
	return workload{op: func(ctx context.Context, _ int) error {
		total, cursor := 0, ""
		for {
			page, next, err := s.ListPaired(ctx, plugin.Page{Cursor: cursor})
			if err != nil {
				return err
			}
			total += len(page)
			if next == "" {
				break
			}
			cursor = next
		}
		if total != n {
			return fmt.Errorf("paged %d pairings, want %d", total, n)
		}
		return nil
	}}
}

// fillStore creates a SQLite store with the store's own migrations and
// inserts n pairings chat/00000000 … in one statement.
func fillStore(b *testing.B, path string, n int) {
	b.Helper()
	s, err := sqlitestore.Open(b.Context(), sqlitestore.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(b.Context(), `WITH RECURSIVE seq(i) AS (
			SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?)
		INSERT INTO paired (channel_type, channel_id, paired_at, label, approved_by)
		SELECT 'chat', printf('%08d', i), ?, 'bench channel', 'bench' FROM seq`,
		n, time.Now().UnixNano())
	if err != nil {
		b.Fatalf("fill %d pairings: %v", n, err)
	}
}

// peakRSS reads VmHWM, the peak resident set size, of a process.
func peakRSS(b *testing.B, pid int) int64 {
	b.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatalf("VmHWM of %d: %v", pid, err)
			}
			return kb << 10
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// pluginPID asks the host for the pid of the plugin of block key.
func pluginPID(b *testing.B, url string, tok operatorToken, key string) int {
	b.Helper()
	req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, url+"/v1/plugins", nil)
	req.Header.Set("Authorization", tok.header())
	resp, err := loadClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Plugins []struct {
			Key string `json:"key"`
			PID int    `json:"pid"`
		} `json:"plugins"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.Fatalf("plugin status: %v", err)
	}
	for _, p := range out.Plugins {
		if p.Key == key {
			return p.PID
		}
	}
	b.Fatalf("host reports no plugin %s", key)
	return 0
}

// count writes n with thousands separators.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
