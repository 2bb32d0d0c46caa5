// Package securitytest proves the security properties of PRODUCT.md §9
// (issue 7) against the whole gateway as app.Serve builds it: the access
// matrix of every web and API route for every kind of visitor, CSRF, XSS,
// SQL injection, open redirects, sessions, login throttling, security
// headers, error hygiene, body limits and secrets in logs. It holds tests
// only; docs/security.md maps each property to its test.
package securitytest
