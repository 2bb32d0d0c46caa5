// Package browsertest drives the real gateway (internal/app.Serve on a
// fresh SQLite data directory, with an in-process ANAF simulator that
// auto-approves OAuth) in headless Chromium through chromedp: the user
// journeys of PRODUCT.md §3, failing on any console error or CSP violation
// and saving a screenshot of every page under $EFACTURA_ARTIFACTS (or the
// test's temporary directory).
//
// It has tests only; this file exists to document the package.
package browsertest
