package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// NginxBinary is where Debian's nginx-light installs nginx.
const NginxBinary = "/usr/sbin/nginx"

// Nginx is an nginx started by StartNginx.
type Nginx struct {
	// URL is "http://127.0.0.1:<port>".
	URL string
	// Addr is "127.0.0.1:<port>".
	Addr string
	// Dir holds the config, the pid file, the logs and the temp paths.
	Dir string
	// PID is the master process.
	PID int
}

// NginxConf is what a config template passed to StartNginx sees.
type NginxConf struct {
	// Listen is the loopback address the server block must listen on.
	Listen string
	// Dir is the nginx directory (for log or include paths).
	Dir string
	// Vars are the caller's values, such as upstream addresses.
	Vars map[string]string
}

// nginxMain wraps the caller's server blocks into a complete config that
// keeps every path inside Dir.
const nginxMain = `{{if .Root}}user root;
{{end}}worker_processes 1;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log info;
events { worker_connections 256; }
http {
	access_log {{.Dir}}/access.log;
	client_body_temp_path {{.Dir}}/client_body;
	proxy_temp_path {{.Dir}}/proxy;
	fastcgi_temp_path {{.Dir}}/fastcgi;
	uwsgi_temp_path {{.Dir}}/uwsgi;
	scgi_temp_path {{.Dir}}/scgi;
	include {{.Dir}}/server.conf;
}
`

// StartNginx runs nginx in the foreground on a free loopback port. The
// text/template confTemplate holds the contents of the http block (one or
// more server blocks) and sees a NginxConf; vars may be nil. nginx is
// stopped by PID when the test ends. A missing nginx fails the test: `make
// test` installs Debian's nginx-light.
func StartNginx(t testing.TB, confTemplate string, vars map[string]string) *Nginx {
	t.Helper()
	if _, err := os.Stat(NginxBinary); err != nil {
		t.Fatalf("nginx not found at %s (apt-get install nginx-light, or run make test): %v", NginxBinary, err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("chmod nginx dir: %v", err)
	}
	addr := nginxFreeAddr(t)
	conf := NginxConf{Listen: addr, Dir: dir, Vars: vars}

	nginxWriteTemplate(t, filepath.Join(dir, "server.conf"), confTemplate, conf)
	nginxWriteTemplate(t, filepath.Join(dir, "nginx.conf"), nginxMain, struct {
		Dir  string
		Root bool
	}{dir, os.Geteuid() == 0})

	cmd := exec.Command(NginxBinary, "-p", dir, "-e", filepath.Join(dir, "error.log"),
		"-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { nginxStop(t, cmd.Process.Pid, exited) })

	if err := nginxWaitReady(addr, exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Fatalf("nginx did not start: %v\noutput:\n%s\nerror.log:\n%s", err, out.String(), log)
	}
	return &Nginx{URL: "http://" + addr, Addr: addr, Dir: dir, PID: cmd.Process.Pid}
}

// ErrorLog returns the contents of nginx's error log, for failure messages.
func (n *Nginx) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "error.log"))
	return string(b)
}

func nginxWriteTemplate(t testing.TB, name, text string, data any) {
	t.Helper()
	tmpl, err := template.New(filepath.Base(name)).Option("missingkey=error").Parse(text)
	if err != nil {
		t.Fatalf("parse nginx template: %v", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("execute nginx template: %v", err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatalf("write nginx config: %v", err)
	}
}

// nginxFreeAddr returns a loopback address nobody listens on right now.
func nginxFreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// nginxWaitReady waits until addr accepts connections or nginx exits.
func nginxWaitReady(addr string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("no listener after 30s")
}

// nginxStop asks the master for a fast shutdown (SIGTERM), which also
// stops its workers, then kills it if it is still there after a generous
// deadline.
func nginxStop(t testing.TB, pid int, exited <-chan error) {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Logf("nginx %d ignored SIGTERM; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-exited
	}
}
