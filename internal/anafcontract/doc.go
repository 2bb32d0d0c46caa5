// Package anafcontract is the contract suite of issue 3: the real ANAF
// client (internal/anaf) against the real simulator (internal/anafsim)
// over HTTP (httptest.NewServer(sim.Handler())). It holds no code, only
// tests; they load the repository's testdata/invoices/gen-*.xml, share one
// controllable clock between anafsim.Options.Now and anaf.Config.Now, and
// send X-Sim-Fault through a test RoundTripper that reads the fault from
// the call's context.
//
// Every error test checks errors.Is with the anaf sentinel, the
// *anaf.Error Kind, and ANAF's exact text (as the simulator writes it) in
// Error.Text and Error().
//
// Endpoints:
//
//	endpoint                                   test
//	OAuth authorize, auto-approve + Exchange   TestOAuthAutoApproveExchange (code single use, 60 s code, lifetimes from the JWT)
//	OAuth authorize, consent page (CIF boxes)  TestOAuthConsentPageCIFs
//	Exchange with a bad client                 TestOAuthExchangeBadClient
//	Exchange, secret with "+"/"%" (Basic)      TestOAuthSecretNeedingURLEncoding
//	Refresh (rotation, old one refused)        TestOAuthRefreshRotates
//	Revoke (access and refresh token)          TestOAuthRevoke
//	long tokens (>1,500 chars) stored exactly  TestOAuthLongTokensExact
//	Hello (TestOauth)                          TestHello
//	ListRecentMessages (zile, filtru, empty)   TestListRecentMessages
//	ListMessages / …WithOptions / …Page        TestListMessagesPaginated (PageSize 2, 7 messages, filtru T/P/E)
//	pagination dedup (list shifts mid-walk)    TestListMessagesPaginatedDedup
//	filtru E/T/P/R on both lists               TestListFiltersAfterUploads
//	Window + list, no gap between syncs        TestWindowNoGap
//	Upload UBL, CN, extern, autofactura, b2c   TestUploadStatusDownload (→ Status in prelucrare → ok → Download)
//	Upload → Status nok → error ZIP            TestUploadNok
//	Upload RASP (filtru R, download)           TestUploadRASP
//	Download (ZIP = uploaded bytes)            TestUploadStatusDownload, TestValidateSignature
//	Validate ok / nok / bad standard           TestValidate (token and public)
//	Transform PDF, /DA, nok                    TestTransform (token and public)
//	ValidateSignature valid / altered          TestValidateSignature (token and public)
//	Retry of transient failures                TestRetryTransient (upload never retried)
//	Retry honours 429 Retry-After              TestRetryHonoursRetryAfter (Options.RatePerMinute 2)
//
// Error kinds:
//
//	kind               how                                                        test
//	unauthorized       expired / revoked / opaque / unknown token,                TestErrUnauthorized, TestOAuthRevoke,
//	                   X-Sim-Fault: expired on every REST call, token fault        TestOAuthRefreshRotates, TestHello
//	no rights          CIF outside the consent grant (list, upload, download,     TestOAuthConsentPageCIFs
//	                   status); X-Sim-Fault: norights; a grant with no CIF         TestErrNoRights
//	quota (ANAF)       11th download of an id; stareMesaj, list, RASP limits      TestErrQuotaANAF
//	                   lowered; X-Sim-Fault: quota on every REST call (429 on      TestErrQuotaFaultHeader
//	                   validare/transformare/signature)
//	quota (local)      client accounting: Local=true, simulator calls unchanged   TestErrQuotaLocal
//	                   (download, stareMesaj, list, RASP, per minute)
//	not found          unknown download id, unknown upload index                  TestErrNotFound
//	expired            message older than 60 days (download text, out of lists)   TestErrExpired
//	invalid request    local zile/filtru; ANAF's parameter texts; family D 400    TestErrInvalidRequest, TestValidate,
//	                   (empty cif/id/index/body/standard) and 404 (no standard)    TestValidateSignature
//	rejected           upload not well-formed / wrong root; transformare nok      TestErrRejected, TestTransform
//	transient          X-Sim-Fault 500/502/504/timeout/truncate; queued           TestErrTransient
//	                   http503_html, waf_html, http500, empty_body, tech_error
//	outcome unknown    upload + tech_error, lost_response, http500, waf_html,     TestErrOutcomeUnknown,
//	                   timeout, truncate, 504                                     TestErrCanceledUploadBeforeSending
//	malformed          X-Sim-Fault: badzip, queued malformed_zip                  TestErrMalformed
//	list too large     simple list over 500 (GenerateLoad 520), ListLimit 3       TestListSimpleOver500, TestListSimpleTooLargeSmallLimit
//	canceled           context canceled before / during a call, deadline          TestErrCanceled
package anafcontract
