package console

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Files of the generated certificate under <data_dir>/secrets.
const (
	SelfSignedCert = "console-tls.crt"
	SelfSignedKey  = "console-tls.key"
)

// LoadCert loads certFile and keyFile when given; otherwise the
// self-signed certificate kept in secretsDir, generated (mode 0600) when
// missing, unreadable as a pair or within 30 days of expiry. hosts are the
// names and addresses it is made for, besides localhost and loopback.
func LoadCert(certFile, keyFile, secretsDir string, hosts ...string) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("loading the console's TLS certificate: %w", err)
		}
		return c, nil
	}
	cf, kf := filepath.Join(secretsDir, SelfSignedCert), filepath.Join(secretsDir, SelfSignedKey)
	if c, err := tls.LoadX509KeyPair(cf, kf); err == nil && c.Leaf != nil && time.Until(c.Leaf.NotAfter) > 30*24*time.Hour {
		return c, nil
	}
	if err := writeSelfSigned(cf, kf, hosts); err != nil {
		return tls.Certificate{}, err
	}
	c, err := tls.LoadX509KeyPair(cf, kf)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("loading the generated certificate: %w", err)
	}
	return c, nil
}

// writeSelfSigned writes an ECDSA P-256 certificate valid for a year.
func writeSelfSigned(certFile, keyFile string, hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "counternet console", Organization: []string{"counternet (self-signed)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("making a TLS certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(certFile), 0o700); err != nil {
		return fmt.Errorf("writing the TLS certificate: %w", err)
	}
	for _, f := range []struct {
		path, typ string
		der       []byte
	}{{keyFile, "PRIVATE KEY", kder}, {certFile, "CERTIFICATE", der}} {
		if err := writeFile0600(f.path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})); err != nil {
			return err
		}
	}
	return nil
}

func writeFile0600(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Fingerprint is the SHA-256 of a certificate's DER, as browsers show it.
func Fingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	h := sha256.Sum256(c.Certificate[0])
	return hex.EncodeToString(h[:])
}

// Running is a console being served.
type Running struct {
	// URL is where it is served (https://host:port/).
	URL  string
	Addr string
	srv  *http.Server
	done chan error
}

// Start listens on addr (TLS with cert) and serves the console until Close.
func (s *Server) Start(addr string, cert tls.Certificate) (*Running, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving the console on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // an export package download
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	rn := &Running{URL: "https://" + net.JoinHostPort(host, port) + "/", Addr: ln.Addr().String(), srv: srv, done: make(chan error, 1)}
	go func() {
		err := srv.ServeTLS(ln, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		rn.done <- err
	}()
	return rn, nil
}

// Close stops serving, letting requests in flight finish until ctx ends.
func (rn *Running) Close(ctx context.Context) error {
	err := rn.srv.Shutdown(ctx)
	if werr := <-rn.done; err == nil {
		err = werr
	}
	rn.done <- nil // a second Close returns at once
	return err
}
