package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/ingest"
	"github.com/headroom-oss/headroom/internal/adapters/metrics/remotewrite"
)

// issue makes a certificate signed by parent (self-signed when parent is nil).
func issue(t *testing.T, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
}

// With a client CA, a sender holding a certificate it signed may write without a token (mTLS);
// one without a certificate, or with another CA's, still needs the token.
func TestAClientCertificateSignedByTheCAMayWrite(t *testing.T) {
	ca, caKey, _ := issue(t, "headroom test CA", nil, nil, true)
	_, _, serverCert := issue(t, "headroom", ca, caKey, false)
	_, _, clientCert := issue(t, "prometheus", ca, caKey, false)
	otherCA, otherKey, _ := issue(t, "another CA", nil, nil, true)
	_, _, strangerCert := issue(t, "stranger", otherCA, otherKey, false)
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	_, s, store := setupWith(t, ingest.Limits{}, func(o *Options) { o.Access = Access{ClientCerts: true} })
	srv := httptest.NewUnstartedServer(Handler(s))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	defer srv.Close()
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs}}}
	}
	smp := []metrics.Sample{gauge("by_mtls", now, 1)}
	if err := remotewrite.Push(t.Context(), client(clientCert), srv.URL+"/api/v1/write", "", smp); err != nil {
		t.Fatalf("a certificate the CA signed: %v", err)
	}
	if got := instant(t, store, "by_mtls"); len(got) != 1 {
		t.Errorf("the write was not stored: %v", got)
	}
	if err := remotewrite.Push(t.Context(), client(), srv.URL+"/api/v1/write", "", smp); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("no certificate and no token: %v", err)
	}
	// Another CA's certificate fails the handshake itself.
	if err := remotewrite.Push(t.Context(), client(strangerCert), srv.URL+"/api/v1/write", "", smp); err == nil {
		t.Errorf("another CA's certificate was accepted")
	}
}
