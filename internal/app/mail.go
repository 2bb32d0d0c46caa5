package app

import (
	"fmt"

	"github.com/efactura-gateway/efactura/internal/mail"
)

// Mailer builds the e-mail notifier (issue 19) from EFACTURA_SMTP_URL,
// EFACTURA_MAIL_FROM, EFACTURA_BASE_URL and EFACTURA_SECRET_KEY. It is
// always built: with SMTP unset it mails nothing, but the preferences page
// and unsubscribe links still work. It is a notify.Subscriber: the event
// dispatcher calls its Notify after each event's transaction commits.
// Serve sets its Enqueue to the job runner's EnqueueMail.
func (e *Env) Mailer() (*mail.Service, error) {
	m, err := mail.New(mail.Options{Store: e.Store, SMTPURL: e.Cfg.SMTPURL, From: e.Cfg.MailFrom, BaseURL: e.Cfg.BaseURL,
		SecretKey: e.Cfg.SecretKey, Logger: e.Logger})
	if err != nil {
		return nil, fmt.Errorf("e-mail: %w", err)
	}
	return m, nil
}
