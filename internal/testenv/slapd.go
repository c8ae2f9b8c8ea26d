//go:build linux

package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// SlapdBinary is where Debian's slapd package installs the server.
const SlapdBinary = "/usr/sbin/slapd"

// slapdStartTimeout bounds how long StartSlapd waits for the listeners.
const slapdStartTimeout = 15 * time.Second

// SlapdOptions configures StartSlapd.
type SlapdOptions struct {
	// LDIF is the path of the seed file loaded with slapadd before the
	// server starts. Required.
	LDIF string
	// Suffix is the naming context; "dc=example,dc=org" when empty.
	Suffix string
}

// Slapd is a running slapd owned by one test. It listens on loopback in
// clear text (URL, which also offers StartTLS) and over TLS (LDAPSURL),
// with a server certificate for 127.0.0.1 and localhost signed by a CA
// generated for this test alone.
type Slapd struct {
	URL      string
	LDAPSURL string
	Suffix   string
	// RootDN and RootPassword are the directory manager's credentials.
	RootDN       string
	RootPassword string
	// CAFile holds the PEM certificate of the test CA.
	CAFile string
	// ClientCertFile and ClientKeyFile are a client certificate and its
	// key, signed by the test CA.
	ClientCertFile string
	ClientKeyFile  string
	PID            int
	Dir            string

	serverCertFile, serverKeyFile string
}

// StartSlapd generates a slapd.conf in a temporary directory, loads
// opts.LDIF with slapadd, starts /usr/sbin/slapd on free loopback ports
// and stops it by PID when the test ends. The config loads the ppolicy
// overlay (default policy cn=default,ou=policies,<suffix>) and the
// memberof overlay, and serves cn=Monitor to anyone, so that tests can
// count operations. The test fails when slapd is not installed.
func StartSlapd(t testing.TB, opts SlapdOptions) *Slapd {
	t.Helper()
	if _, err := os.Stat(SlapdBinary); err != nil {
		t.Fatalf("slapd not found at %s (install the Debian packages slapd and ldap-utils; `make test` does): %v", SlapdBinary, err)
	}
	if opts.Suffix == "" {
		opts.Suffix = "dc=example,dc=org"
	}
	s := &Slapd{
		Dir:          t.TempDir(),
		Suffix:       opts.Suffix,
		RootDN:       "cn=admin," + opts.Suffix,
		RootPassword: slapdRandomHex(t),
	}
	writeSlapdCerts(t, s)
	conf := writeSlapdConf(t, s)
	slapadd(t, conf, opts.LDIF)
	s.start(t, conf)
	return s
}

// start launches slapd in the foreground and waits for both listeners.
func (s *Slapd) start(t testing.TB, conf string) {
	t.Helper()
	port, tlsPort := slapdFreePort(t), slapdFreePort(t)
	s.URL = "ldap://127.0.0.1:" + port
	s.LDAPSURL = "ldaps://127.0.0.1:" + tlsPort

	var out bytes.Buffer
	cmd := exec.Command(SlapdBinary, "-f", conf, "-d", "0",
		"-h", s.URL+"/ "+s.LDAPSURL+"/")
	cmd.Stdout, cmd.Stderr = &out, &out
	// Never outlive the test binary, even when it is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	s.PID = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopSlapd(t, cmd, exited) })

	for _, addr := range []string{"127.0.0.1:" + port, "127.0.0.1:" + tlsPort} {
		if err := slapdWaitListening(addr, exited); err != nil {
			t.Fatalf("slapd on %s: %v\n%s", addr, err, out.String())
		}
	}
}

// stopSlapd ends slapd by PID: SIGTERM, then SIGKILL after a grace period.
func stopSlapd(t testing.TB, cmd *exec.Cmd, exited chan error) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Logf("slapd pid %d ignored SIGTERM; killing it", cmd.Process.Pid)
		_ = cmd.Process.Kill()
		<-exited
	}
}

// slapdWaitListening polls addr until it accepts or the process exits.
func slapdWaitListening(addr string, exited chan error) error {
	deadline := time.Now().Add(slapdStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("slapd exited: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not listening after %s", slapdStartTimeout)
}

var slapdConf = template.Must(template.New("slapd.conf").Parse(`
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile {{.Dir}}/slapd.pid
argsfile {{.Dir}}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
moduleload memberof

TLSCACertificateFile {{.CAFile}}
TLSCertificateFile {{.ServerCertFile}}
TLSCertificateKeyFile {{.ServerKeyFile}}
TLSVerifyClient allow

database monitor

database mdb
suffix "{{.Suffix}}"
rootdn "{{.RootDN}}"
rootpw {{.RootPassword}}
directory {{.Dir}}/db
maxsize 33554432

overlay ppolicy
ppolicy_default "cn=default,ou=policies,{{.Suffix}}"
ppolicy_use_lockout
overlay memberof
`))

// writeSlapdConf writes slapd.conf and creates the database directory.
func writeSlapdConf(t testing.TB, s *Slapd) string {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, "db"), 0o700); err != nil {
		t.Fatalf("slapd db dir: %v", err)
	}
	data := struct {
		*Slapd
		ServerCertFile, ServerKeyFile string
	}{s, s.serverCertFile, s.serverKeyFile}
	var b bytes.Buffer
	if err := slapdConf.Execute(&b, data); err != nil {
		t.Fatalf("slapd.conf: %v", err)
	}
	path := filepath.Join(s.Dir, "slapd.conf")
	slapdWriteFile(t, path, b.Bytes())
	return path
}

// slapadd loads the seed LDIF into the stopped database.
func slapadd(t testing.TB, conf, ldif string) {
	t.Helper()
	if ldif == "" {
		t.Fatal("StartSlapd: SlapdOptions.LDIF is required")
	}
	out, err := exec.Command("/usr/sbin/slapadd", "-f", conf, "-l", ldif).CombinedOutput()
	if err != nil {
		t.Fatalf("slapadd %s: %v\n%s", ldif, err, out)
	}
}

// writeSlapdCerts makes a CA for this test alone, a server certificate
// for 127.0.0.1 and localhost and a client certificate, both signed by it.
func writeSlapdCerts(t testing.TB, s *Slapd) {
	t.Helper()
	ca := NewCA(t)
	s.CAFile = ca.CertFile
	s.serverCertFile, s.serverKeyFile = ca.Issue(t, "localhost", "127.0.0.1")
	s.ClientCertFile, s.ClientKeyFile = ca.Issue(t, "localhost", "127.0.0.1")
}

func slapdWriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// slapdFreePort returns a loopback TCP port that was free a moment ago.
func slapdFreePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func slapdRandomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}
