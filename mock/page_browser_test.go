package mock

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/contactkit/contactkit/internal/browsertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawRequest sends a request line as written, so a path can hold what Go's client
// would escape.
func rawRequest(t *testing.T, addr, head, body string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, head+"\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	_, _ = io.ReadAll(conn)
}

// TestPageInBrowser loads /__admin/ in headless Chromium: an API request appears
// in the live feed, what clients sent is shown as text and never run, a fault
// added from the page is injected and shown as such, and reset clears it.
func TestPageInBrowser(t *testing.T) {
	ctx := browsertest.New(t)
	m := newMock(t, Config{})
	addr := m.http.Listener.Addr().String()

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(m.http.URL+"/__admin/")))
	browsertest.WaitFor(t, ctx, "the live feed to connect", `document.getElementById('live').classList.contains('on')`)

	// An API request appears in the feed, as it happens.
	m.do("GET", "/contacts/browser-app?limit=3", "")
	browsertest.WaitFor(t, ctx, "the request in the feed",
		`[...document.querySelectorAll('#feed td.path')].some(td => td.textContent === '/contacts/browser-app?limit=3')`)

	// Client-controlled text is shown as text: a path and a body with markup.
	const payload = `[{"name":"<img src=x onerror=\"window.__xss=1\">","phone":6281234567890}]`
	rawRequest(t, addr, "POST /contacts/<i>xss<i> HTTP/1.1", payload)
	browsertest.WaitFor(t, ctx, "the hostile request in the feed",
		`[...document.querySelectorAll('#feed td.path')].some(td => td.textContent === '/contacts/<i>xss<i>')`)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`(() => { const td = [...document.querySelectorAll('#feed td.path')].find(td => td.textContent === '/contacts/<i>xss<i>'); td.click(); return true })()`))
	require.NoError(t, err)
	browsertest.WaitFor(t, ctx, "the exchange expanded", `document.querySelectorAll('#feed tr.detail pre.body').length > 0`)
	shown := browsertest.Eval[string](t, ctx, `document.querySelector('#feed tr.detail pre.body').textContent`)
	assert.Contains(t, shown, `<img src=x onerror=\"window.__xss=1\">`, "the request body is shown as sent")
	assert.Equal(t, 0, browsertest.Eval[int](t, ctx, `document.querySelectorAll('#feed i, #feed img, #apps i').length`), "no markup from clients became elements")
	assert.True(t, browsertest.Eval[bool](t, ctx, `window.__xss === undefined`), "no script from clients ran")

	// A fault added from the page is injected, and the feed says so.
	for _, step := range []string{
		`document.getElementById('fault-op').value = 'listContacts'`,
		`document.getElementById('fault-action').value = 'status:503'`,
		`document.getElementById('fault-times').value = '1'`,
		`document.querySelector('#fault-form button[type=submit]').click()`,
	} {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](step))
		require.NoError(t, err, step)
	}
	browsertest.WaitFor(t, ctx, "the fault listed", `document.querySelector('#faults li') && document.querySelector('#faults li').textContent.includes('status=503')`)
	assert.Equal(t, 503, m.rawDo("GET", "/contacts/browser-app?limit=1", "").status, "the page's fault is in force")
	browsertest.WaitFor(t, ctx, "the injected answer in the feed",
		`[...document.querySelectorAll('#feed tr.entry')].some(tr => tr.textContent.includes('503') && tr.querySelector('.badge.injected'))`)

	if path := os.Getenv("CONTACTKIT_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, png, 0o600))
	}

	// Reset from the page: the fault is gone (none were given at start).
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById('reset').click()`))
	require.NoError(t, err)
	browsertest.WaitFor(t, ctx, "the faults cleared by reset", `document.querySelector('#faults li.empty') !== null`)
	assert.Equal(t, 200, m.do("GET", "/contacts/browser-app?limit=1", "").status)
}

// TestPageInBrowserWithAdminToken shows the page works behind --admin-token once
// the browser has the credentials (here as a header on every request, as a
// browser sends Basic credentials after asking once), and shows nothing without.
func TestPageInBrowserWithAdminToken(t *testing.T) {
	ctx := browsertest.New(t)
	m := newMock(t, Config{AdminToken: "page-admin-token"})

	resp, err := http.Get(m.http.URL + "/__admin/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode, "no credentials, no page")

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("me:page-admin-token"))
	_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Authorization": basic}})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(m.http.URL+"/__admin/")))
	browsertest.WaitFor(t, ctx, "the live feed to connect", `document.getElementById('live').classList.contains('on')`)
	m.do("GET", "/contacts/locked-app", "")
	browsertest.WaitFor(t, ctx, "the request in the feed",
		`[...document.querySelectorAll('#feed td.path')].some(td => td.textContent === '/contacts/locked-app')`)
	feed := browsertest.Eval[string](t, ctx, `document.getElementById('feed').textContent`)
	assert.False(t, strings.Contains(feed, "page-admin-token"), "the admin token is not shown")
}
