package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

// setUpTLS makes the server's CA, its certificate and a client
// certificate, and returns the config lines that serve TLS only on port.
func (r *Redis) setUpTLS(t testing.TB, port int, clientAuth bool) string {
	t.Helper()
	r.CA = NewCA(t)
	certFile, keyFile := r.CA.Issue(t, "localhost", "127.0.0.1")
	r.ClientCertFile, r.ClientKeyFile = r.CA.Issue(t)
	r.tls = clientTLS(t, r.CA.CertFile, r.ClientCertFile, r.ClientKeyFile)

	auth := "no"
	if clientAuth {
		auth = "yes"
	}
	return fmt.Sprintf("port 0\ntls-port %d\ntls-cert-file %s\ntls-key-file %s\n"+
		"tls-ca-cert-file %s\ntls-auth-clients %s\n",
		port, certFile, keyFile, r.CA.CertFile, auth)
}

// clientTLS builds a client config that trusts the CA in caFile and
// presents the given certificate.
func clientTLS(t testing.TB, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read test CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", caFile)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatalf("load client certificate: %v", err)
	}
	return &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
}

// ClientTLS returns a TLS config for clients of the server: it trusts CA,
// verifies the address's IP and presents ClientCertFile. It is nil when
// the server speaks plain TCP.
func (r *Redis) ClientTLS() *tls.Config {
	if r.tls == nil {
		return nil
	}
	return r.tls.Clone()
}

// dial connects to the server, over TLS when it speaks TLS.
func (r *Redis) dial() (net.Conn, error) {
	d := &net.Dialer{Timeout: time.Second}
	if r.tls == nil {
		return d.Dial("tcp", r.Addr)
	}
	return tls.DialWithDialer(d, "tcp", r.Addr, r.tls)
}

// cliTLSArgs returns the redis-cli flags that reach a TLS server.
func (r *Redis) cliTLSArgs() []string {
	if r.tls == nil {
		return nil
	}
	return []string{"--tls", "--cacert", r.CA.CertFile,
		"--cert", r.ClientCertFile, "--key", r.ClientKeyFile}
}
