// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp)
// inside the test process and keeps every message it receives, parsed
// (headers, text and HTML parts). Test-only (depguard's testonly rule).
package mailtest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received mail.
type Message struct {
	From   string
	To     []string
	Raw    []byte
	Header mail.Header
	Text   string // the text/plain part, decoded
	HTML   string // the text/html part, decoded
}

// Server is an SMTP server listening on 127.0.0.1.
type Server struct {
	t        testing.TB
	srv      *smtp.Server
	addr     string
	tls      bool
	implicit bool
	user, pw string
	// Fail, when it returns an error, refuses the DATA of a message (a
	// failing relay); set before mails are sent.
	Fail func() error

	mu       sync.Mutex
	msgs     []Message
	arrivals chan struct{}
}

// Options: TLS makes it offer STARTTLS with a fresh self-signed certificate
// (ClientTLS trusts it); ImplicitTLS makes it speak TLS from the first byte
// instead (smtps://); User and Password require AUTH PLAIN.
type Options struct {
	TLS            bool
	ImplicitTLS    bool
	User, Password string
}

// New starts a server, stopped at the test's end.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, tls: o.TLS || o.ImplicitTLS, implicit: o.ImplicitTLS, user: o.User, pw: o.Password,
		arrivals: make(chan struct{}, 1000)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ErrorLog = nil
	if s.tls {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, MinVersion: tls.VersionTLS12}
	} else {
		s.srv.AllowInsecureAuth = true
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if s.implicit {
		l = tls.NewListener(l, s.srv.TLSConfig)
	}
	s.addr = l.Addr().String()
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

var (
	certOnce sync.Once
	cert     tls.Certificate
	certPool *x509.CertPool
)

func selfSigned(t testing.TB) tls.Certificate {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("mailtest: key: %v", err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatalf("mailtest: certificate: %v", err)
		}
		c, _ := x509.ParseCertificate(der)
		certPool = x509.NewCertPool()
		certPool.AddCert(c)
		cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}
	})
	return cert
}

// ClientTLS is the TLS configuration a client needs to trust a TLS server.
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: certPool, MinVersion: tls.VersionTLS12}
}

// URL is the EFACTURA_SMTP_URL of the server: smtp:// (STARTTLS) with
// Options.TLS, smtps:// with Options.ImplicitTLS, else smtp+plain://; with
// the credentials when required.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp+plain", Host: s.addr}
	switch {
	case s.implicit:
		u.Scheme = "smtps"
	case s.tls:
		u.Scheme = "smtp"
	}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.pw)
	}
	return u.String()
}

// Messages returns the messages received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until n messages in all have arrived (or ctx ends) and
// returns them.
func (s *Server) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		if m := s.Messages(); len(m) >= n {
			return m, nil
		}
		select {
		case <-s.arrivals:
		case <-ctx.Done():
			return s.Messages(), ctx.Err()
		}
	}
}

type session struct {
	s      *Server
	from   string
	to     []string
	authed bool
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != x.s.user || pw != x.s.pw {
			return errors.New("mailtest: bad credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if x.s.Fail != nil {
		if err := x.s.Fail(); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: err.Error()}
		}
	}
	m, err := parse(raw)
	if err != nil {
		return err
	}
	m.From, m.To = x.from, x.to
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	x.s.arrivals <- struct{}{}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// parse reads a message's headers and its text and HTML parts (one level
// of multipart/alternative or multipart/mixed nesting).
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	m := Message{Raw: raw, Header: msg.Header}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m, err
}

func walk(ctype, cte string, body io.Reader, m *Message) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m); err != nil {
				return err
			}
		}
	}
	r := body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = newBase64Reader(body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
	return nil
}

// Subject is the decoded Subject header (RFC 2047).
func (m Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}
