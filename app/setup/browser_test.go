package setup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/codex-review/codex-review/app/settings"
	"github.com/codex-review/codex-review/app/setup"
)

// Browser window of the test, and so the size of its screenshots.
const (
	viewWidth  = 1280
	viewHeight = 900
)

// browserTimeout bounds the whole browser session, so a hung browser fails
// the test instead of stalling CI; it is not a wait for anything.
const browserTimeout = 2 * time.Minute

// TestSetupInBrowser walks the setup as a person does, in Debian's chromium
// with JavaScript off: open /setup, press the button, let GitHub (the fake)
// send the browser back, and land on the success page. Screenshots go to
// $CODEX_SETUP_SCREENSHOTS when set (to look at them), else a temp dir.
func TestSetupInBrowser(t *testing.T) {
	chromium := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
			break
		}
	}
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install chromium); the browser test of the setup page needs it")
	}
	h := newHarness(t, realApp, nil)

	ctx, cancel := context.WithTimeout(t.Context(), browserTimeout)
	defer cancel()
	var browserLog bytes.Buffer
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(viewWidth, viewHeight),
		chromedp.CombinedOutput(&browserLog),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()
	fail := func(step string, err error) {
		t.Helper()
		t.Fatalf("%s: %v\nbrowser output:\n%s", step, err, browserLog.String())
	}

	if err := chromedp.Do(bctx,
		chromedp.EmulateViewport(viewWidth, viewHeight),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(h.http.URL+"/setup"),
		chromedp.WaitVisible(chromedp.ID("create")),
	); err != nil {
		fail("open /setup", err)
	}
	action, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS("form#create"), "action"))
	if err != nil {
		fail("read the form", err)
	}
	if !strings.HasPrefix(action.Value, h.gh.URL()+"settings/apps/new?state=") {
		t.Errorf("form posts to %q, want %ssettings/apps/new?state=…", action.Value, h.gh.URL())
	}
	method, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS("form#create"), "method"))
	if err != nil || method.Value != "post" {
		t.Errorf("form method %q (%v), want post", method.Value, err)
	}
	raw, err := chromedp.Run(bctx, chromedp.Value(chromedp.CSS(`form#create input[name="manifest"]`)))
	if err != nil {
		fail("read the manifest", err)
	}
	var m setup.Manifest
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("the manifest field is not JSON: %v\n%s", err, raw)
	}
	if m.HookAttributes.URL != h.http.URL+"/api/github/hook" || m.RedirectURL != h.http.URL+"/setup/callback" || m.Public {
		t.Errorf("manifest in the browser: %+v", m)
	}
	shot(t, bctx, "setup-page.png", fail)

	// A real click: the browser submits the form itself, scripts are off.
	if err := chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS("form#create button")),
		chromedp.WaitVisible(chromedp.ID("install")),
	); err != nil {
		fail("create the App", err)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		fail("read the location", err)
	}
	if !strings.HasPrefix(loc, h.http.URL+"/setup/callback?code=") {
		t.Errorf("landed on %q, want the callback", loc)
	}
	install, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.ID("install"), "href"))
	if err != nil {
		fail("read the install link", err)
	}
	if install.Value != "https://github.example/apps/codex-review-4101/installations/new" {
		t.Errorf("install link %q", install.Value)
	}
	if got := h.gh.lastManifest(); got.Manifest.Name != "codex-review" {
		t.Errorf("GitHub got the manifest %+v", got.Manifest)
	}
	img := shot(t, bctx, "setup-done.png", fail)
	// The install button is GitHub green (#1f883d): the page rendered with
	// its styles, not as bare text.
	if n := countColour(img, 0x1f, 0x88, 0x3d); n < 2000 {
		t.Errorf("the success page shows %d pixels of the install button's green, want a button's worth (2000+)", n)
	}
	if _, err := settings.ReadAppFile(h.dir); err != nil {
		t.Error(err)
	}
}

// shot captures the viewport, checks it is a PNG of the window's size and
// saves it.
func shot(t *testing.T, ctx context.Context, name string, fail func(string, error)) image.Image {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		fail("screenshot "+name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	if got := img.Bounds().Size(); got != (image.Point{X: viewWidth, Y: viewHeight}) {
		t.Errorf("%s is %v, want %dx%d", name, got, viewWidth, viewHeight)
	}
	dir := os.Getenv("CODEX_SETUP_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(b))
	return img
}

// countColour counts the pixels within a small distance of one colour.
func countColour(img image.Image, r, g, b uint8) int {
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d > -8 && d < 8
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}
