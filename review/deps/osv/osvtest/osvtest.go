// Package osvtest is a fake of the OSV API for tests: POST /v1/querybatch
// (ids and modified dates only, in query order, paginated per query with
// next_page_token / page_token the way OSV paginates) and
// GET /v1/vulns/{id} (the full record, or OSV's 404 body). A record
// affects the versions its affected[].versions list names, which is how
// OSV's exports spell out most ranges. Faults can be scripted: status
// answers (5xx, 429) and requests that hang until the client gives up.
package osvtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/codex-review/codex-review/review/deps/osv"
)

// Server is the fake. Its zero value is not usable; call New.
type Server struct {
	*httptest.Server

	mu      sync.Mutex
	records map[string]osv.Record
	order   []string
	// pageSize is the most ids one query's result holds before it is
	// paginated; 0 = no pagination.
	pageSize int
	faults   []fault
	requests []Request
	hang     chan struct{}
}

// Request is one request the server received.
type Request struct {
	Method, Path string
	// Queries are the querybatch queries, for POST /v1/querybatch.
	Queries []Query
}

// Query is one decoded querybatch query.
type Query struct {
	Ecosystem, Name, Version, PageToken string
}

type fault struct {
	path   string // prefix; "" = any
	status int
	count  int
	hang   bool
}

// New starts a fake serving records.
func New(records ...osv.Record) *Server {
	s := &Server{records: map[string]osv.Record{}}
	for _, r := range records {
		s.records[r.ID] = r
		s.order = append(s.order, r.ID)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases hanging requests and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.hang != nil {
		close(s.hang)
		s.hang = nil
	}
	s.mu.Unlock()
	s.Server.Close()
}

// SetPageSize makes every query's result hold at most n ids per page.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// Fail answers the next count requests whose path starts with prefix ("" =
// any) with status and an OSV-style error body.
func (s *Server) Fail(prefix string, status, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{path: prefix, status: status, count: count})
}

// Hang holds the next count matching requests until the client cancels
// them (or the server closes): a server that never answers.
func (s *Server) Hang(prefix string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hang == nil {
		s.hang = make(chan struct{})
	}
	s.faults = append(s.faults, fault{path: prefix, hang: true, count: count})
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests had a path starting with prefix.
func (s *Server) Count(prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path}
	var batch struct {
		Queries []struct {
			Package struct {
				Name      string `json:"name"`
				Ecosystem string `json:"ecosystem"`
				PURL      string `json:"purl"`
			} `json:"package"`
			Version   string `json:"version"`
			Commit    string `json:"commit"`
			PageToken string `json:"page_token"`
		} `json:"queries"`
	}
	isBatch := r.Method == http.MethodPost && r.URL.Path == "/v1/querybatch"
	if isBatch {
		if err := json.NewDecoder(r.Body).Decode(&batch); err != nil {
			s.record(rec)
			writeError(w, http.StatusBadRequest, 3, "Invalid JSON payload")
			return
		}
		for _, q := range batch.Queries {
			rec.Queries = append(rec.Queries, Query{Ecosystem: q.Package.Ecosystem, Name: q.Package.Name, Version: q.Version, PageToken: q.PageToken})
		}
	}
	s.record(rec)
	if f, hang := s.takeFault(r.URL.Path); f != nil {
		if f.hang {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
			return
		}
		writeError(w, f.status, 14, http.StatusText(f.status))
		return
	}
	switch {
	case isBatch:
		if len(batch.Queries) > 1000 {
			writeError(w, http.StatusBadRequest, 3, "Too many queries.")
			return
		}
		type vuln struct {
			ID       string `json:"id"`
			Modified string `json:"modified"`
		}
		type result struct {
			Vulns         []vuln `json:"vulns,omitempty"`
			NextPageToken string `json:"next_page_token,omitempty"`
		}
		out := struct {
			Results []result `json:"results"`
		}{Results: []result{}}
		s.mu.Lock()
		for _, q := range rec.Queries {
			ids := s.match(q)
			start := 0
			if q.PageToken != "" {
				n, err := strconv.Atoi(strings.TrimPrefix(q.PageToken, "page-"))
				if err != nil || n < 0 || n > len(ids) {
					s.mu.Unlock()
					writeError(w, http.StatusBadRequest, 3, "Invalid page token.")
					return
				}
				start = n
			}
			end := len(ids)
			res := result{}
			if s.pageSize > 0 && end-start > s.pageSize {
				end = start + s.pageSize
				res.NextPageToken = fmt.Sprintf("page-%d", end)
			}
			for _, id := range ids[start:end] {
				res.Vulns = append(res.Vulns, vuln{ID: id, Modified: s.records[id].Modified})
			}
			out.Results = append(out.Results, res)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/vulns/"):
		id := strings.TrimPrefix(r.URL.Path, "/v1/vulns/")
		s.mu.Lock()
		rec, ok := s.records[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, 5, "Bug not found.")
			return
		}
		writeJSON(w, http.StatusOK, rec)
	default:
		writeError(w, http.StatusNotFound, 5, "Not Found")
	}
}

// match returns the ids of records affecting the queried version, in the
// order the records were given.
func (s *Server) match(q Query) []string {
	var ids []string
	for _, id := range s.order {
		for _, a := range s.records[id].Affected {
			if a.Package.Ecosystem == q.Ecosystem && a.Package.Name == q.Name && slices.Contains(a.Versions, q.Version) {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

func (s *Server) takeFault(path string) (*fault, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.count > 0 && strings.HasPrefix(path, f.path) {
			f.count--
			c := *f
			return &c, s.hang
		}
	}
	return nil, nil
}

// writeError writes the error body of OSV's API (a gRPC status as JSON).
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
