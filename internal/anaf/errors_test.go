package anaf

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type callFn func(ctx context.Context, c *Client) error

var (
	callList = func(ctx context.Context, c *Client) error {
		_, _, err := c.ListMessagesPage(ctx, "tok", "12345674", testNow.Add(-time.Hour), testNow.Add(-time.Minute), 1)
		return err
	}
	callDownload = func(ctx context.Context, c *Client) error {
		_, err := c.Download(ctx, "tok", "3012345671")
		return err
	}
	callStatus = func(ctx context.Context, c *Client) error {
		_, err := c.Status(ctx, "tok", "5012345678")
		return err
	}
	callUpload = func(ctx context.Context, c *Client) error {
		_, err := c.Upload(ctx, "tok", StandardUBL, "12345674", []byte("<Invoice/>"))
		return err
	}
	callHello = func(ctx context.Context, c *Client) error {
		_, err := c.Hello(ctx, "tok")
		return err
	}
)

const (
	ctJSON = "application/json"
	ctXML  = "application/xml"
	ctHTML = "text/html"
	ctText = "text/plain"
)

func TestErrorMapping(t *testing.T) {
	t.Parallel()

	type tc struct {
		name     string
		call     callFn
		resp     canned
		kind     ErrorKind
		sentinel error
		text     string // exact Error.Text, when set
		contains string // substring of Error.Text, when set
		quota    Quota
		limit    int
		retry    time.Duration
		code     string
		trans    bool
	}
	js := func(t *testing.T, name string, status int) canned {
		return canned{status: status, ctype: ctJSON, body: sample(t, name)}
	}
	xm := func(t *testing.T, name string) canned { return canned{ctype: ctXML, body: sample(t, name)} }
	maint := []byte("<!DOCTYPE html>\n<html><head><title>Mentenanta sistem</title></head><body><h1>Mentenanta sistem</h1><p>Revenim in curand.</p></body></html>")

	cases := []tc{
		// Family B, paginated list.
		{name: "ListDailyLimit", call: callList, resp: js(t, "lista_err_daily_limit.json", 200), kind: KindQuota, sentinel: ErrQuota,
			text: "S-au facut deja 1000 interogari de lista mesaje de catre utilizator in cursul zilei", quota: QuotaListPaged, limit: 1000, retry: 12 * time.Hour},
		{name: "ListDailyLimitAsTextPlain", call: callList, resp: canned{ctype: ctText, body: sample(t, "lista_err_daily_limit.json")}, kind: KindQuota, sentinel: ErrQuota, quota: QuotaListPaged, limit: 1000},
		{name: "ListNoRightsCIF", call: callList, resp: js(t, "lista_err_no_rights_cif.json", 200), kind: KindNoRights, sentinel: ErrNoRights, text: "Nu aveti drept in SPV pentru CIF=31415920"},
		{name: "ListNoRightsAny", call: callList, resp: js(t, "lista_err_no_rights_any.json", 200), kind: KindNoRights, sentinel: ErrNoRights},
		{name: "ListStartTooOld", call: callList, resp: js(t, "paginatie_err_starttime_too_old.json", 200), kind: KindInvalidRequest, sentinel: ErrInvalidRequest,
			text: "startTime = 09-07-2025 10:41:11 nu poate fi mai vechi de 60 de zile fata de momentul requestului"},
		{name: "ListEndFutureHTTP400", call: callList, resp: js(t, "paginatie_err_endtime_future.json", 400), kind: KindInvalidRequest, sentinel: ErrInvalidRequest, contains: "nu poate in viitor"},
		{name: "ListEndNotAfterStart", call: callList, resp: js(t, "paginatie_err_end_not_after_start.json", 200), kind: KindInvalidRequest},
		{name: "ListCIFNotNumber", call: callList, resp: js(t, "paginatie_err_cif_not_number.json", 200), kind: KindInvalidRequest},
		{name: "ListPaginaNotNumber", call: callList, resp: js(t, "paginatie_err_pagina_not_number.json", 400), kind: KindInvalidRequest},
		{name: "ListStartNotNumber", call: callList, resp: js(t, "paginatie_err_starttime_not_number.json", 200), kind: KindInvalidRequest},
		{name: "ListFiltru", call: callList, resp: js(t, "lista_err_filtru.json", 200), kind: KindInvalidRequest},
		{name: "ListZileRange", call: callList, resp: js(t, "lista_err_zile_range.json", 200), kind: KindInvalidRequest},
		{name: "ListZileNotInteger", call: callList, resp: js(t, "lista_err_zile_not_integer.json", 200), kind: KindInvalidRequest},
		{name: "ListCIFNotNumberSimple", call: callList, resp: js(t, "lista_err_cif_not_number.json", 200), kind: KindInvalidRequest},
		{name: "ListOver500", call: callList, resp: js(t, "lista_err_over_500.json", 200), kind: KindListTooLarge, sentinel: ErrListTooLarge},
		{name: "ListUnknownText", call: callList, resp: canned{ctype: ctJSON, body: []byte(`{"eroare":"Ceva nou","titlu":"Lista Mesaje"}`)}, kind: KindRejected, sentinel: ErrRejected, text: "Ceva nou"},
		// Family D.
		{name: "ListFamilyD400", call: callList, resp: js(t, "http400_missing_params_paginatie.json", 400), kind: KindInvalidRequest, sentinel: ErrInvalidRequest,
			text: "Parametrii startTime, endTime, cif si pagina sunt obligatorii"},
		{name: "ListFamilyD404", call: callList, resp: js(t, "http404_validare_no_standard.json", 404), kind: KindInvalidRequest, text: "Not Found"},
		{name: "ListFamilyD500", call: callList, resp: canned{status: 500, ctype: ctJSON, body: []byte(`{"timestamp":"15-01-2026 10:32:01","status":500,"error":"Internal Server Error","message":"NullPointerException"}`)},
			kind: KindTransient, sentinel: ErrTransient, text: "NullPointerException", trans: true},
		// Family E: transport.
		{name: "List401", call: callList, resp: canned{status: 401, ctype: ctJSON, body: sample(t, "http401_invalid_token.json"),
			header: map[string]string{"WWW-Authenticate": `Bearer realm="oauth", error="invalid_token", error_description="Invalid access token"`}},
			kind: KindUnauthorized, sentinel: ErrUnauthorized, text: "Unauthorized", code: "invalid_token"},
		{name: "List403Empty", call: callList, resp: canned{status: 403}, kind: KindUnauthorized, sentinel: ErrUnauthorized},
		{name: "ListWAF", call: callList, resp: canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, kind: KindTransient, sentinel: ErrTransient, trans: true,
			text: "Request Rejected The requested URL was rejected. Please consult with your administrator. Your support ID is: 15505786337589852914"},
		{name: "ListWAFWrongContentType", call: callList, resp: canned{ctype: ctJSON, body: sample(t, "http200_waf_rejected.html")}, kind: KindTransient, trans: true, contains: "Your support ID is: 15505786337589852914"},
		{name: "ListMaintenance", call: callList, resp: canned{ctype: ctHTML, body: maint}, kind: KindTransient, trans: true, contains: "Mentenanta sistem"},
		{name: "ListMaintenance404", call: callList, resp: canned{status: 404, ctype: ctHTML, body: maint}, kind: KindTransient, trans: true, contains: "Mentenanta sistem"},
		{name: "List429", call: callList, resp: canned{status: 429, header: map[string]string{"Retry-After": "7"}}, kind: KindQuota, sentinel: ErrQuota, quota: QuotaRate, retry: 7 * time.Second, trans: true},
		{name: "List204", call: callList, resp: canned{status: 204}, kind: KindQuota, sentinel: ErrQuota, quota: QuotaNoContent},
		{name: "List502Empty", call: callList, resp: canned{status: 502}, kind: KindTransient, trans: true},
		{name: "List503Text", call: callList, resp: canned{status: 503, ctype: ctText, body: []byte("Service Unavailable")}, kind: KindTransient, trans: true, text: "Service Unavailable"},
		{name: "List200Empty", call: callList, resp: canned{ctype: ctJSON}, kind: KindTransient, trans: true},
		{name: "ListBadJSON", call: callList, resp: canned{ctype: ctJSON, body: []byte(`{"mesaje": [ {"id": "1"`)}, kind: KindMalformed, sentinel: ErrMalformed},
		{name: "ListJSONWithoutMesaje", call: callList, resp: canned{ctype: ctJSON, body: []byte(`{"foo": 1}`)}, kind: KindMalformed},
		// Download, family B.
		{name: "DownloadDailyLimit", call: callDownload, resp: js(t, "descarcare_err_daily_limit.json", 200), kind: KindQuota, quota: QuotaDownload, limit: 10,
			text: "S-au facut deja 10 descarcari de mesaj in cursul zilei"},
		{name: "DownloadDailyLimitVariant", call: callDownload, resp: js(t, "descarcare_err_daily_limit_variant.json", 200), kind: KindQuota, quota: QuotaDownload, limit: 10},
		{name: "DownloadExpired", call: callDownload, resp: js(t, "descarcare_err_expired_60_days.json", 200), kind: KindExpired, sentinel: ErrExpired,
			text: "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"},
		{name: "DownloadNotInteger", call: callDownload, resp: js(t, "descarcare_err_id_not_integer.json", 200), kind: KindInvalidRequest},
		{name: "DownloadNoRights", call: callDownload, resp: js(t, "descarcare_err_no_rights.json", 200), kind: KindNoRights, text: "Nu aveti dreptul sa descarcati acesta factura"},
		{name: "DownloadNotFound", call: callDownload, resp: js(t, "descarcare_err_not_found.json", 200), kind: KindNotFound, sentinel: ErrNotFound,
			text: "Pentru id=3099999999 nu exista inregistrata nici o factura"},
		{name: "DownloadNotFoundAsZipCT", call: callDownload, resp: canned{ctype: "application/zip", body: sample(t, "descarcare_err_not_found.json")}, kind: KindNotFound},
		{name: "DownloadFamilyD400", call: callDownload, resp: js(t, "http400_missing_id_descarcare.json", 400), kind: KindInvalidRequest, text: "Parametrul id este obligatoriu"},
		{name: "DownloadNotAZip", call: callDownload, resp: canned{ctype: "application/zip", body: []byte("this is not a zip")}, kind: KindMalformed, sentinel: ErrMalformed},
		{name: "DownloadBrokenZip", call: callDownload, resp: canned{ctype: "application/zip", body: []byte("PK\x03\x04garbage-without-central-directory")}, kind: KindMalformed},
		{name: "DownloadWAF", call: callDownload, resp: canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, kind: KindTransient, trans: true},
		{name: "DownloadEmpty", call: callDownload, resp: canned{ctype: "application/zip"}, kind: KindTransient, trans: true},
		// Status, family A.
		{name: "StatusDailyLimit", call: callStatus, resp: xm(t, "stare_err_daily_limit.xml"), kind: KindQuota, quota: QuotaStatus, limit: 20,
			text: "S-au facut deja 20 descarcari de mesaj in cursul zilei"},
		{name: "StatusNoRightsAny", call: callStatus, resp: xm(t, "stare_err_no_rights_any.xml"), kind: KindNoRights, text: "Nu exista niciun CIF petru care sa aveti drept"},
		{name: "StatusNoRightsIndex", call: callStatus, resp: xm(t, "stare_err_no_rights_index.xml"), kind: KindNoRights, text: "Nu aveti dreptul de inteorgare pentru id_incarcare= 5012345678"},
		{name: "StatusNotFound", call: callStatus, resp: xm(t, "stare_err_not_found.xml"), kind: KindNotFound, text: "Nu exista factura cu id_incarcare= 5099999999"},
		{name: "StatusNotInteger", call: callStatus, resp: xm(t, "stare_err_not_integer.xml"), kind: KindInvalidRequest},
		{name: "StatusFamilyD400", call: callStatus, resp: js(t, "http400_missing_id_stare.json", 400), kind: KindInvalidRequest, text: "Parametrul id_incarcare este obligatoriu"},
		{name: "StatusTechnical", call: callStatus, resp: canned{ctype: ctXML, body: []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1"><Errors errorMessage="A aparut o eroare tehnica. Cod: 1814"/></header>`)},
			kind: KindTransient, trans: true, text: "A aparut o eroare tehnica. Cod: 1814"},
		{name: "StatusGarbage", call: callStatus, resp: canned{ctype: ctXML, body: []byte("<header")}, kind: KindMalformed},
		{name: "StatusNoStare", call: callStatus, resp: canned{ctype: ctXML, body: []byte(`<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1"/>`)}, kind: KindMalformed},
		{name: "StatusFamilyBAsJSON", call: callStatus, resp: canned{ctype: ctText, body: []byte(`{"eroare":"S-au facut deja 100 interogari pentru id_incarcare=5012345678 in cursul zilei"}`)}, kind: KindQuota, quota: QuotaStatus, limit: 100},
		// Upload, family A.
		{name: "UploadStandard", call: callUpload, resp: xm(t, "upload_err_standard.xml"), kind: KindInvalidRequest, text: "Valorile acceptate pentru parametrul standard sunt UBL, CN, CII sau RASP"},
		{name: "UploadCIFNotNumber", call: callUpload, resp: xm(t, "upload_err_cif_not_number.xml"), kind: KindInvalidRequest},
		{name: "UploadNoRightsCIF", call: callUpload, resp: xm(t, "upload_err_no_rights_cif.xml"), kind: KindNoRights},
		{name: "UploadNoRightsAny", call: callUpload, resp: xm(t, "upload_err_no_rights_any.xml"), kind: KindNoRights},
		{name: "UploadTooBig", call: callUpload, resp: xm(t, "upload_err_too_big.xml"), kind: KindRejected, sentinel: ErrRejected, text: "Marime fisier transmis mai mare de 10 MB."},
		{name: "UploadInvalidXML", call: callUpload, resp: xm(t, "upload_err_invalid_xml.xml"), kind: KindRejected,
			text: "Fisierul transmis nu este valid. org.xml.sax.SAXParseException; lineNumber: 15; columnNumber: 155; cvc-elt.1.a: Cannot find the declaration of element 'Invoice1'. "},
		{name: "UploadExternValue", call: callUpload, resp: xm(t, "upload_err_extern_value.xml"), kind: KindInvalidRequest},
		{name: "UploadAutofacturaValue", call: callUpload, resp: xm(t, "upload_err_autofactura_value.xml"), kind: KindInvalidRequest},
		{name: "UploadRASPLimit", call: callUpload, resp: xm(t, "upload_err_rasp_daily_limit.xml"), kind: KindQuota, quota: QuotaUploadRASP, limit: 1000},
		{name: "UploadTechnical", call: callUpload, resp: xm(t, "upload_err_technical.xml"), kind: KindOutcomeUnknown, sentinel: ErrOutcomeUnknown, trans: true, text: "A aparut o eroare tehnica. Cod: 1814"},
		{name: "UploadFamilyD400Params", call: callUpload, resp: js(t, "http400_missing_params_upload.json", 400), kind: KindInvalidRequest, text: "Parametrii standard si cif sunt obligatorii"},
		{name: "UploadFamilyD400Body", call: callUpload, resp: js(t, "http400_missing_body_upload.json", 400), kind: KindInvalidRequest, text: "Trebuie sa aveti atasat in request un fisier de tip xml"},
		{name: "Upload500Empty", call: callUpload, resp: canned{status: 500}, kind: KindOutcomeUnknown, trans: true},
		{name: "UploadWAF", call: callUpload, resp: canned{ctype: ctHTML, body: sample(t, "http200_waf_rejected.html")}, kind: KindOutcomeUnknown, trans: true, contains: "The requested URL was rejected"},
		{name: "UploadGarbage", call: callUpload, resp: canned{ctype: ctXML, body: []byte("<<<")}, kind: KindOutcomeUnknown, trans: true},
		{name: "Upload401", call: callUpload, resp: canned{status: 401, ctype: ctJSON, body: sample(t, "http401_invalid_token.json")}, kind: KindUnauthorized},
		// Hello.
		{name: "Hello401", call: callHello, resp: canned{status: 401, ctype: ctJSON, body: sample(t, "http401_invalid_token.json")}, kind: KindUnauthorized, text: "Unauthorized"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cannedClient(t, tt.resp)
			err := tt.call(t.Context(), c)
			require.Error(t, err)
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.kind, e.Kind, "error: %v", err)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			}
			require.ErrorIs(t, err, kindSentinels[tt.kind])
			if tt.text != "" {
				require.Equal(t, tt.text, e.Text)
				require.Contains(t, err.Error(), tt.text, "Error() must carry ANAF's text")
			}
			if tt.contains != "" {
				require.Contains(t, e.Text, tt.contains)
			}
			if tt.quota != "" {
				require.Equal(t, tt.quota, e.Quota)
			}
			if tt.limit != 0 {
				require.Equal(t, tt.limit, e.Limit)
			}
			if tt.retry != 0 {
				require.Equal(t, tt.retry, e.RetryAfter)
			}
			if tt.code != "" {
				require.Equal(t, tt.code, e.Code)
			}
			require.Equal(t, tt.trans, IsTransient(err), "IsTransient")
			require.Equal(t, tt.trans, errors.Is(err, ErrTransient), "errors.Is ErrTransient")
			require.NotZero(t, e.HTTPStatus)
		})
	}
}

func TestErrorKindString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "quota exceeded", KindQuota.String())
	require.Equal(t, "kind(99)", ErrorKind(99).String())
	e := &Error{Kind: KindQuota, Endpoint: "descarcare", HTTPStatus: 200, Quota: QuotaDownload, Text: "S-au facut deja 10 descarcari"}
	require.Equal(t, "anaf descarcare: quota exceeded [descarcare] (HTTP 200): S-au facut deja 10 descarcari", e.Error())
	require.Equal(t, KindQuota, KindOf(e))
	require.Equal(t, ErrorKind(0), KindOf(errors.New("x")))
	require.False(t, IsTransient(errors.New("x")))
	require.False(t, IsTransient(nil))
}

func TestDailyQuotaRetryAfterIsNextBucharestMidnight(t *testing.T) {
	t.Parallel()
	// 2026-01-15 10:00 UTC = 12:00 Bucharest (EET); midnight is 12 h away.
	e := classifyText(epDownload, http.StatusOK, "S-au facut deja 10 descarcari de mesaj in cursul zilei", testNow)
	require.Equal(t, 12*time.Hour, e.RetryAfter)
	require.False(t, IsTransient(e))
}

// Issue 15 item 7: a 429 without Retry-After waits about a minute (the
// limit is per minute), with jitter, never an hour; a Spring 429 body too.
func TestRateLimitWithoutRetryAfterWaitsAboutAMinute(t *testing.T) {
	t.Parallel()
	for name, resp := range map[string]canned{
		"NoHeader":    {status: 429},
		"SpringBody":  {status: 429, ctype: ctJSON, body: []byte(`{"timestamp":"15-01-2026 10:32:01","status":429,"error":"Too Many Requests","message":"Too Many Requests"}`)},
		"EmptyHeader": {status: 429, header: map[string]string{"Retry-After": " "}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			seen := map[time.Duration]bool{}
			for range 8 {
				err := callDownload(t.Context(), cannedClient(t, resp))
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, QuotaRate, e.Quota)
				require.True(t, IsTransient(err))
				require.GreaterOrEqual(t, e.RetryAfter, RateLimitWait)
				require.Less(t, e.RetryAfter, RateLimitWait+RateLimitJitter)
				seen[e.RetryAfter] = true
			}
			require.Greater(t, len(seen), 1, "the wait has jitter")
		})
	}
}

func TestNextQuotaReset(t *testing.T) {
	t.Parallel()
	// 12:00 Bucharest (EET) → the next midnight, 22:00 UTC.
	require.Equal(t, time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC), NextQuotaReset(testNow))
	// Exactly at the reset: the next one.
	require.Equal(t, time.Date(2026, 1, 16, 22, 0, 0, 0, time.UTC), NextQuotaReset(time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)))
	// Summer time (EEST, UTC+3).
	require.Equal(t, time.Date(2026, 7, 1, 21, 0, 0, 0, time.UTC), NextQuotaReset(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)))
}
