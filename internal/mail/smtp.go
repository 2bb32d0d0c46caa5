package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// sender sends composed mails over SMTP (github.com/wneessen/go-mail):
// smtp:// with STARTTLS required, smtps:// with implicit TLS, and, outside
// production only (config refuses it there), smtp+plain:// without TLS.
type sender struct {
	host string
	opts []gomail.Option
}

// SendTimeout bounds one SMTP conversation (connect, TLS, auth, data).
const SendTimeout = 30 * time.Second

// newSender reads an EFACTURA_SMTP_URL (checked by internal/config).
// tlsConfig, when set, replaces the TLS settings (tests: a test CA).
func newSender(smtpURL string, tlsConfig *tls.Config) (*sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("mail: EFACTURA_SMTP_URL is not a URL with a host")
	}
	host := u.Hostname()
	port := map[string]int{"smtp": 587, "smtps": 465, "smtp+plain": 25}[u.Scheme]
	if port == 0 {
		return nil, fmt.Errorf("mail: unknown SMTP scheme %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: bad SMTP port %q", p)
		}
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(SendTimeout), gomail.WithTLSConfig(tlsConfig)}
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "smtps":
		opts = append(opts, gomail.WithSSL())
	case "smtp+plain":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return &sender{host: host, opts: opts}, nil
}

// send delivers one message.
func (s *sender) send(ctx context.Context, m *gomail.Msg) error {
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: SMTP client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("mail: sending: %w", err)
	}
	return nil
}
