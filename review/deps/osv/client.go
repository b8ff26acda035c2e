package osv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/codex-review/codex-review/review/deps"
)

// DefaultURL is the public OSV API.
const DefaultURL = "https://api.osv.dev"

// Limits of the OSV API and of this client.
const (
	// maxBatch is the most queries OSV accepts in one querybatch request
	// (its documentation: 1,000).
	maxBatch = 1000
	// maxPages bounds the pagination rounds of one lookup; a package with
	// more pages of advisories than this is reported as far as read.
	maxPages = 20
	// maxBody bounds one answer; a querybatch answer is ids only, and the
	// largest records are well under a megabyte.
	maxBody = 32 << 20
	// DefaultTimeout bounds one lookup (all its requests): a review waits
	// for it, and OSV being slow must not hold the review long.
	DefaultTimeout = 20 * time.Second
	// DefaultCacheTTL is how long an answer is reused. OSV changes through
	// the day; a review a few minutes after another needs no new answer.
	DefaultCacheTTL = time.Hour
	// recordConcurrency bounds the GET /v1/vulns requests in flight.
	recordConcurrency = 8
)

// Client looks up vulnerabilities in the OSV API. It is safe for
// concurrent use; one client per process shares its cache.
type Client struct {
	base    string
	http    *http.Client
	timeout time.Duration
	ttl     time.Duration
	now     func() time.Time

	mu      sync.Mutex
	ids     map[deps.Package]cached[[]string]
	records map[string]cached[*Record]
}

type cached[T any] struct {
	value   T
	expires time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: a client with no timeout
// of its own; the lookup's timeout bounds every request).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds one Lookup; 0 keeps DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithCacheTTL sets how long answers are reused.
func WithCacheTTL(d time.Duration) Option { return func(c *Client) { c.ttl = d } }

// New returns a client of the OSV API at baseURL ("" = DefaultURL).
func New(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OSV_API_URL %q: want an http(s) URL such as %s", baseURL, DefaultURL)
	}
	c := &Client{
		base:    strings.TrimRight(baseURL, "/"),
		http:    &http.Client{},
		timeout: DefaultTimeout,
		ttl:     DefaultCacheTTL,
		now:     time.Now,
		ids:     map[deps.Package]cached[[]string]{},
		records: map[string]cached[*Record]{},
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Lookup implements deps.Advisories: the ids of the advisories affecting
// each package version from POST /v1/querybatch (following each query's
// next_page_token), then each record from GET /v1/vulns/{id}, whose
// affected ranges give the first fixed version. Answers already in the
// cache make no request.
func (c *Client) Lookup(ctx context.Context, pkgs []deps.Package) (map[deps.Package][]deps.Vulnerability, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	ids, err := c.queryIDs(ctx, pkgs)
	if err != nil {
		return nil, err
	}
	recs, err := c.fetchRecords(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[deps.Package][]deps.Vulnerability{}
	for _, p := range pkgs {
		var vs []deps.Vulnerability
		for _, id := range ids[p] {
			r := recs[id]
			if r == nil {
				continue
			}
			ok, fixed := r.matches(p)
			if !ok && !r.listsPackage(p) {
				// OSV matched the query but the record does not name the
				// package (an alias across ecosystems): not this one.
				continue
			}
			vs = append(vs, r.vulnerability(displayFixed(p.Ecosystem, fixed)))
		}
		if len(vs) > 0 {
			out[p] = merge(vs)
		}
	}
	return out, nil
}

// listsPackage reports whether the record has an affected entry for the
// package at all. OSV's own matching is authoritative for whether the
// version is affected (it knows ecosystems this client does not order);
// the record's ranges are read for the fix.
func (r *Record) listsPackage(p deps.Package) bool {
	for _, a := range r.Affected {
		if baseEcosystem(a.Package.Ecosystem) == p.Ecosystem && samePackage(p.Ecosystem, a.Package.Name, p.Name) {
			return true
		}
	}
	return false
}

// displayFixed writes a fixed version the way the ecosystem's manifests
// do (Go module versions start with "v").
func displayFixed(eco, v string) string {
	if eco == deps.Go && v != "" && !strings.HasPrefix(v, "v") {
		return "v" + v
	}
	return v
}

type query struct {
	Package   queryPackage `json:"package"`
	Version   string       `json:"version"`
	PageToken string       `json:"page_token,omitempty"`
}

type queryPackage struct {
	Name      string `json:"name"`
	Ecosystem string `json:"ecosystem"`
}

type batchAnswer struct {
	Results []struct {
		Vulns []struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		} `json:"vulns"`
		NextPageToken string `json:"next_page_token"`
	} `json:"results"`
}

// queryIDs asks querybatch for the advisory ids of every package not in
// the cache, page by page.
func (c *Client) queryIDs(ctx context.Context, pkgs []deps.Package) (map[deps.Package][]string, error) {
	out := map[deps.Package][]string{}
	var todo []deps.Package
	now := c.now()
	c.mu.Lock()
	for _, p := range pkgs {
		if e, ok := c.ids[p]; ok && now.Before(e.expires) {
			out[p] = e.value
		} else if _, dup := out[p]; !dup {
			out[p] = nil
			todo = append(todo, p)
		}
	}
	c.mu.Unlock()

	type pending struct {
		pkg   deps.Package
		token string
	}
	var queue []pending
	for _, p := range todo {
		queue = append(queue, pending{pkg: p})
	}
	found := map[deps.Package][]string{}
	for round := 0; len(queue) > 0; round++ {
		if round == maxPages {
			return nil, fmt.Errorf("OSV querybatch: still paginating after %d pages", maxPages)
		}
		var next []pending
		for start := 0; start < len(queue); start += maxBatch {
			chunk := queue[start:min(start+maxBatch, len(queue))]
			req := struct {
				Queries []query `json:"queries"`
			}{}
			for _, q := range chunk {
				req.Queries = append(req.Queries, query{
					Package:   queryPackage{Name: q.pkg.Name, Ecosystem: q.pkg.Ecosystem},
					Version:   osvVersion(q.pkg.Ecosystem, q.pkg.Version),
					PageToken: q.token,
				})
			}
			var ans batchAnswer
			if err := c.do(ctx, http.MethodPost, "/v1/querybatch", req, &ans); err != nil {
				return nil, err
			}
			if len(ans.Results) != len(chunk) {
				return nil, fmt.Errorf("OSV querybatch: %d results for %d queries", len(ans.Results), len(chunk))
			}
			for i, r := range ans.Results {
				p := chunk[i].pkg
				for _, v := range r.Vulns {
					if v.ID != "" {
						found[p] = append(found[p], v.ID)
					}
				}
				if r.NextPageToken != "" {
					next = append(next, pending{pkg: p, token: r.NextPageToken})
				}
			}
		}
		queue = next
	}
	expires := c.now().Add(c.ttl)
	c.mu.Lock()
	for _, p := range todo {
		ids := found[p]
		if ids == nil {
			ids = []string{}
		}
		out[p] = ids
		c.ids[p] = cached[[]string]{value: ids, expires: expires}
	}
	c.mu.Unlock()
	return out, nil
}

// fetchRecords loads every record named in ids, from the cache or with
// GET /v1/vulns/{id}, a few at a time.
func (c *Client) fetchRecords(ctx context.Context, ids map[deps.Package][]string) (map[string]*Record, error) {
	out := map[string]*Record{}
	var todo []string
	now := c.now()
	c.mu.Lock()
	for _, list := range ids {
		for _, id := range list {
			if _, ok := out[id]; ok {
				continue
			}
			if e, ok := c.records[id]; ok && now.Before(e.expires) {
				out[id] = e.value
				continue
			}
			out[id] = nil
			todo = append(todo, id)
		}
	}
	c.mu.Unlock()
	if len(todo) == 0 {
		return out, nil
	}
	results := make([]*Record, len(todo))
	errs := make([]error, len(todo))
	sem := make(chan struct{}, recordConcurrency)
	var wg sync.WaitGroup
	for i, id := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			var r Record
			if err := c.do(ctx, http.MethodGet, "/v1/vulns/"+url.PathEscape(id), nil, &r); err != nil {
				errs[i] = err
				return
			}
			results[i] = &r
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	expires := c.now().Add(c.ttl)
	c.mu.Lock()
	for i, id := range todo {
		out[id] = results[i]
		c.records[id] = cached[*Record]{value: results[i], expires: expires}
	}
	c.mu.Unlock()
	return out, nil
}

// StatusError is an answer of the OSV API other than 200.
type StatusError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("OSV API %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// do makes one request, retrying once at once on a server error or a
// dropped connection (OSV's frontends return the odd 502/503), and decodes
// the JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var retry bool
		retry, err = c.once(ctx, method, path, body, out)
		if err == nil || !retry || ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("OSV API %s %s: %w", method, path, ctx.Err())
	}
	return err
}

func (c *Client) once(ctx context.Context, method, path string, body []byte, out any) (retry bool, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "codex-review")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("OSV API %s %s: %w", method, path, ctx.Err())
		}
		return true, fmt.Errorf("OSV API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return true, fmt.Errorf("OSV API %s %s: read answer: %w", method, path, err)
	}
	if len(data) > maxBody {
		return false, fmt.Errorf("OSV API %s %s: answer over %d bytes", method, path, maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		return resp.StatusCode >= 500, &StatusError{Method: method, Path: path, Status: resp.StatusCode, Message: truncate(e.Message, 200)}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, fmt.Errorf("OSV API %s %s: malformed answer: %w", method, path, err)
	}
	return false, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
