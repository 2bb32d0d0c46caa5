package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
)

// SMTP URL schemes (EFACTURA_SMTP_URL).
const (
	// SchemeSMTP is smtp://[user:pass@]host[:587]: STARTTLS, required.
	SchemeSMTP = "smtp"
	// SchemeSMTPS is smtps://[user:pass@]host[:465]: implicit TLS.
	SchemeSMTPS = "smtps"
	// SchemeSMTPPlain is smtp+plain://host:port: no TLS at all, for a
	// local test or development server only; refused in production.
	SchemeSMTPPlain = "smtp+plain"
)

// mail reads EFACTURA_SMTP_URL and EFACTURA_MAIL_FROM (issue 19). Unset
// SMTP URL: mail is off. Set: the sender is required, and production
// refuses the plain (unencrypted) scheme and placeholder passwords.
func (l *loader) mail(c *Config) error {
	c.SMTPURL = l.get("EFACTURA_SMTP_URL", "")
	c.MailFrom = l.get("EFACTURA_MAIL_FROM", "")
	if c.SMTPURL == "" {
		return nil
	}
	u, err := url.Parse(c.SMTPURL)
	if err != nil || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return errors.New("EFACTURA_SMTP_URL must be a URL such as smtp://user:pass@mail.example.com:587 (STARTTLS) or smtps://user:pass@mail.example.com:465")
	}
	switch u.Scheme {
	case SchemeSMTP, SchemeSMTPS:
	case SchemeSMTPPlain:
		if c.Production() {
			return errors.New("EFACTURA_SMTP_URL must not use smtp+plain:// in production (no encryption): use smtp:// (STARTTLS) or smtps://")
		}
	default:
		return fmt.Errorf("EFACTURA_SMTP_URL must start with smtp:// (STARTTLS), smtps:// (TLS) or, outside production, smtp+plain://, not %q", u.Scheme+"://")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("EFACTURA_SMTP_URL has a bad port %q", p)
		}
	}
	if pw, ok := u.User.Password(); ok && c.Production() && hasPlaceholder(pw) {
		return errors.New("EFACTURA_SMTP_URL holds a placeholder password (CHANGE-ME): set the real password")
	}
	if c.MailFrom == "" {
		return errors.New("EFACTURA_MAIL_FROM must be set when EFACTURA_SMTP_URL is (the sender, e.g. \"eFactura <efactura@example.com>\")")
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return fmt.Errorf("EFACTURA_MAIL_FROM must be an e-mail address such as \"eFactura <efactura@example.com>\", not %q", c.MailFrom)
	}
	return nil
}

// MailOn reports whether e-mail is configured.
func (c *Config) MailOn() bool { return c.SMTPURL != "" }
