package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// certLifetime is how long test certificates stay valid on either side of
// the moment they are made, so that clock skew between steps never
// matters.
const certLifetime = 24 * time.Hour

// CA is a certificate authority generated for one test, with an ECDSA
// P-256 key that never leaves memory. It is safe for concurrent use.
type CA struct {
	// CertFile is the PEM file of the CA's own certificate: the trust
	// anchor to hand to clients and servers.
	CertFile string

	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey

	mu sync.Mutex // guards n
	n  int        // certificates issued so far; names their files
}

// NewCA generates a self-signed CA named "gatehouse test CA" in a
// temporary directory of t and writes its certificate to CertFile.
func NewCA(t testing.TB) *CA {
	t.Helper()
	ca := &CA{dir: t.TempDir(), key: newCertKey(t)}
	tmpl := &x509.Certificate{
		SerialNumber:          certSerial(t),
		Subject:               pkix.Name{CommonName: "gatehouse test CA"},
		NotBefore:             time.Now().Add(-certLifetime),
		NotAfter:              time.Now().Add(certLifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der := signCert(t, tmpl, tmpl, &ca.key.PublicKey, ca.key)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse test CA: %v", err)
	}
	ca.cert = cert
	ca.CertFile = filepath.Join(ca.dir, "ca.pem")
	writePEM(t, ca.CertFile, "CERTIFICATE", der)
	return ca
}

// Issue signs a new certificate for hosts, each an IP address or a DNS
// name, and writes it and its PKCS#8 key as PEM files in the CA's
// directory. The certificate serves both as a server certificate and as
// a client certificate; its common name is the first host, or
// "gatehouse test client" when there is none.
func (ca *CA) Issue(t testing.TB, hosts ...string) (certFile, keyFile string) {
	t.Helper()
	key := newCertKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: certSerial(t),
		Subject:      pkix.Name{CommonName: "gatehouse test client"},
		NotBefore:    time.Now().Add(-certLifetime),
		NotAfter:     time.Now().Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if len(hosts) > 0 {
		tmpl.Subject.CommonName = hosts[0]
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}

	der := signCert(t, tmpl, ca.cert, &key.PublicKey, ca.key)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("marshal key of %s: %v", tmpl.Subject.CommonName, err)
	}
	certFile, keyFile = ca.nextFiles()
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "PRIVATE KEY", keyDER)
	return certFile, keyFile
}

// nextFiles names the files of the next certificate and its key.
func (ca *CA) nextFiles() (certFile, keyFile string) {
	ca.mu.Lock()
	ca.n++
	n := ca.n
	ca.mu.Unlock()
	return filepath.Join(ca.dir, fmt.Sprintf("cert-%d.pem", n)),
		filepath.Join(ca.dir, fmt.Sprintf("key-%d.pem", n))
}

func newCertKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

// signCert signs tmpl for pub with parent's key and returns the DER.
func signCert(t testing.TB, tmpl, parent *x509.Certificate,
	pub *ecdsa.PublicKey, parentKey *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatalf("sign certificate %s: %v", tmpl.Subject.CommonName, err)
	}
	return der
}

func certSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	return n
}

// writePEM writes one PEM block to path, readable by the owner only.
func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}
