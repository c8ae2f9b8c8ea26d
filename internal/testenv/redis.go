package testenv

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RedisServerBinary is Debian's redis-server; `make test` installs it.
const (
	RedisServerBinary = "/usr/bin/redis-server"
	RedisCLIBinary    = "/usr/bin/redis-cli"
)

// Deadlines of the Redis helpers: generous, only there to avoid hangs.
const (
	redisReadyTimeout = 30 * time.Second
	redisStopTimeout  = 10 * time.Second
)

// RedisOptions configure StartRedis.
type RedisOptions struct {
	// User, Password and KeyPrefix, when User is set, add an ACL user that
	// may touch only keys (and channels) starting with KeyPrefix and may
	// not run dangerous commands. The default user stays open for the
	// test's own inspection.
	User      string
	Password  string
	KeyPrefix string

	// Persist turns on the append-only file, fsynced on every write, so
	// that data survives Stop and Restart.
	Persist bool

	// TLS makes the server speak TLS only, with plain TCP turned off: its
	// certificate names 127.0.0.1 and localhost and is signed by Redis.CA,
	// a CA made for this server alone. ClientAuth also makes the server
	// demand a client certificate signed by that CA.
	TLS        bool
	ClientAuth bool

	// cluster turns on cluster mode; set by StartRedisCluster.
	cluster bool
}

// Redis is a redis-server started by StartRedis. Its methods are not safe
// for concurrent use.
type Redis struct {
	// Addr is "127.0.0.1:<port>"; it stays the same across Restart.
	Addr string
	// Dir holds the config and the log.
	Dir string
	PID int
	// CA signed the server certificate when RedisOptions.TLS is set; its
	// Issue makes client certificates the server accepts. Nil otherwise.
	CA *CA
	// ClientCertFile and ClientKeyFile are a client certificate signed by
	// CA, set with RedisOptions.TLS; the helpers present it themselves.
	ClientCertFile string
	ClientKeyFile  string

	conf   string
	args   []string    // after the config file, e.g. --sentinel
	tls    *tls.Config // the helpers' own client config; nil without TLS
	cmd    *exec.Cmd
	output *bytes.Buffer // stdout and stderr; read only once exited
	exited chan struct{}
}

// StartRedis starts redis-server on a free loopback port, without
// persistence unless opts.Persist and over TLS only with opts.TLS, and
// stops it when the test ends.
func StartRedis(t testing.TB, opts RedisOptions) *Redis {
	t.Helper()
	if _, err := os.Stat(RedisServerBinary); err != nil {
		t.Fatalf("redis-server is missing (%v): install Debian's redis-server package, as `make test` does", err)
	}
	r := &Redis{Dir: t.TempDir()}
	port, busPort := redisFreePorts(t)
	r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	r.conf = filepath.Join(r.Dir, "redis.conf")
	conf := redisConfig(r.Dir, port, busPort, opts)
	if opts.TLS {
		// port 0 below overrides the plain port above.
		conf += r.setUpTLS(t, port, opts.ClientAuth)
	}
	if err := os.WriteFile(r.conf, []byte(conf), 0o600); err != nil {
		t.Fatalf("write redis config: %v", err)
	}

	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Logf("stop redis %s: %v", r.Addr, err)
		}
		if t.Failed() {
			t.Logf("redis %s log:\n%s", r.Addr, r.Log())
		}
	})
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	return r
}

// redisConfig renders the server's config file.
func redisConfig(dir string, port, busPort int, opts RedisOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "bind 127.0.0.1\nport %d\nprotected-mode no\n", port)
	fmt.Fprintf(&b, "dir %s\nlogfile %s\n", dir, filepath.Join(dir, "redis.log"))
	b.WriteString("daemonize no\nsave \"\"\n")
	if opts.Persist {
		b.WriteString("appendonly yes\nappendfsync always\n")
	} else {
		b.WriteString("appendonly no\n")
	}
	if opts.User != "" {
		fmt.Fprintf(&b, "user %s on >%s ~%s* &%s* +@all -@dangerous\n",
			opts.User, opts.Password, opts.KeyPrefix, opts.KeyPrefix)
	}
	if opts.cluster {
		fmt.Fprintf(&b, "cluster-enabled yes\ncluster-port %d\n", busPort)
		fmt.Fprintf(&b, "cluster-config-file %s\ncluster-node-timeout 5000\n", filepath.Join(dir, "nodes.conf"))
	}
	return b.String()
}

func (r *Redis) start() error {
	r.cmd = exec.Command(RedisServerBinary, append([]string{r.conf}, r.args...)...)
	r.cmd.Dir = r.Dir
	// Config errors go to stderr before the log file is open.
	r.output = new(bytes.Buffer)
	r.cmd.Stdout, r.cmd.Stderr = r.output, r.output
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.PID = r.cmd.Process.Pid
	r.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(r.cmd, r.exited)
	return r.waitReady()
}

// waitReady sends PING until the server answers PONG or exits.
func (r *Redis) waitReady() error {
	deadline := time.Now().Add(redisReadyTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			return fmt.Errorf("redis-server exited before it was ready:\n%s%s", r.output, r.Log())
		default:
		}
		if r.ping() == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s not ready after %v; log:\n%s", r.Addr, redisReadyTimeout, r.Log())
}

// ping speaks just enough RESP to send PING as the default user, over
// TLS when the server speaks it.
func (r *Redis) ping() error {
	conn, err := r.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// Stop stops the server by PID: SIGTERM, then SIGKILL past a bound. A
// paused server is resumed first so that it can exit. Stop may be called
// twice.
func (r *Redis) Stop() error {
	if r.cmd == nil || r.stopped() {
		return nil
	}
	r.cmd.Process.Signal(syscall.SIGCONT)
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		return nil
	case <-time.After(redisStopTimeout):
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
	return fmt.Errorf("redis-server pid %d ignored SIGTERM for %v; killed", r.PID, redisStopTimeout)
}

// Restart starts the server again on the same port with the same config;
// without Persist it comes back empty.
func (r *Redis) Restart() error {
	if err := r.Stop(); err != nil {
		return err
	}
	return r.start()
}

// Pause stops the process with SIGSTOP: connections stay open but nothing
// answers, as with a hung server. Resume undoes it.
func (r *Redis) Pause() error { return r.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server.
func (r *Redis) Resume() error { return r.cmd.Process.Signal(syscall.SIGCONT) }

func (r *Redis) stopped() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// Log returns the server's log file.
func (r *Redis) Log() string {
	b, _ := os.ReadFile(filepath.Join(r.Dir, "redis.log"))
	return string(b)
}

// CLI runs redis-cli against the server as the default user and returns
// its output.
func (r *Redis) CLI(args ...string) (string, error) {
	host, port, _ := net.SplitHostPort(r.Addr)
	base := append([]string{"-h", host, "-p", port}, r.cliTLSArgs()...)
	cmd := exec.Command(RedisCLIBinary, append(base, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("redis-cli %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// StartRedisCluster starts n cluster-enabled servers (at least 3, as
// Redis requires for masters), joins them into one Cluster without
// replicas and waits until every node reports cluster_state:ok.
func StartRedisCluster(t testing.TB, n int) []*Redis {
	t.Helper()
	if n < 3 {
		t.Fatalf("StartRedisCluster: need at least 3 nodes, got %d", n)
	}
	nodes := make([]*Redis, n)
	addrs := make([]string, n)
	for i := range nodes {
		nodes[i] = StartRedis(t, RedisOptions{cluster: true})
		addrs[i] = nodes[i].Addr
	}

	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(RedisCLIBinary, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, node := range nodes {
		if err := node.waitClusterOK(); err != nil {
			t.Fatal(err)
		}
	}
	return nodes
}

// waitClusterOK polls CLUSTER INFO until the node reports state ok.
func (r *Redis) waitClusterOK() error {
	deadline := time.Now().Add(redisReadyTimeout)
	var out string
	for time.Now().Before(deadline) {
		out, _ = r.CLI("cluster", "info")
		if strings.Contains(out, "cluster_state:ok") {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("redis cluster node %s not ok after %v:\n%s", r.Addr, redisReadyTimeout, out)
}

// StartRedisSentinel starts a Sentinel on a free loopback port that
// monitors primary under masterName, and waits until it knows the
// primary's address. It is stopped when the test ends.
func StartRedisSentinel(t testing.TB, primary *Redis, masterName string) *Redis {
	t.Helper()
	r := &Redis{Dir: t.TempDir(), args: []string{"--sentinel"}}
	port, _ := redisFreePorts(t)
	r.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	r.conf = filepath.Join(r.Dir, "sentinel.conf")
	host, pport, _ := net.SplitHostPort(primary.Addr)
	conf := fmt.Sprintf("bind 127.0.0.1\nport %d\nprotected-mode no\ndir %s\nlogfile %s\n"+
		"sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 5000\n",
		port, r.Dir, filepath.Join(r.Dir, "redis.log"), masterName, host, pport, masterName)
	if err := os.WriteFile(r.conf, []byte(conf), 0o600); err != nil {
		t.Fatalf("write sentinel config: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Logf("stop sentinel %s: %v", r.Addr, err)
		}
	})
	if err := r.start(); err != nil {
		t.Fatal(err)
	}
	out, err := r.CLI("sentinel", "get-master-addr-by-name", masterName)
	if err != nil || !strings.Contains(out, pport) {
		t.Fatalf("sentinel does not know %s: %v %s", masterName, err, out)
	}
	return r
}

// redisFreePorts returns a free loopback port for clients and another for
// the cluster bus.
func redisFreePorts(t testing.TB) (port, busPort int) {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 2)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}
