package githubtest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// GitHub's rules for an App's JWT: exp at most ten minutes ahead; the fake allows a minute of
// clock drift on both ends, as GitHub recommends issuing iat a little in the past.
const (
	maxJWTLifetime = 10 * time.Minute
	jwtClockSkew   = time.Minute
)

// verifyJWT checks an App JWT: RS256 signed by key, issued by appID, currently valid.
func verifyJWT(token string, appID int64, key *rsa.PublicKey, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if header.Alg != "RS256" {
		return fmt.Errorf("alg %q is not RS256", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *json.Number    `json:"iat"`
		Exp *json.Number    `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	// GitHub takes the issuer as a number or a string holding it.
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(appID, 10) {
		return fmt.Errorf("iss %s is not app %d", claims.Iss, appID)
	}
	if claims.Iat == nil || claims.Exp == nil {
		return errors.New("iat and exp are required")
	}
	iat, err1 := claims.Iat.Int64()
	exp, err2 := claims.Exp.Int64()
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("iat and exp must be integers: %w", err)
	}
	switch {
	case time.Unix(exp, 0).Before(now):
		return errors.New("expired")
	case time.Unix(iat, 0).After(now.Add(jwtClockSkew)):
		return errors.New("issued in the future")
	case time.Unix(exp, 0).After(now.Add(maxJWTLifetime + jwtClockSkew)):
		return errors.New("exp is too far in the future")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// requireJWTLocked answers 401 unless the request carries a valid JWT of the configured App.
func (s *Server) requireJWTLocked(w http.ResponseWriter, r *http.Request) bool {
	if s.app.key == nil {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded (no App configured: call SetApp)", docsRoot)
		return false
	}
	if err := verifyJWT(bearer(r), s.app.id, s.app.key, time.Now()); err != nil {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded: "+err.Error(), docsRoot)
		return false
	}
	return true
}

func (s *Server) handleGetApp(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.requireJWTLocked(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":       s.app.id,
		"slug":     s.app.slug,
		"name":     s.app.slug,
		"html_url": "https://github.com/apps/" + s.app.slug,
		"owner":    s.userJSON("app-owner"),
	})
}

// installationAccountLocked returns the account an installation belongs to: the owner of a
// repository in it. ok is false when no repository belongs to the installation.
func (s *Server) installationAccountLocked(id int64) (account string, ok bool) {
	for _, rs := range s.repos {
		if rs.opts.InstallationID == id {
			return rs.owner, true
		}
	}
	return "", false
}

func (s *Server) installationJSON(r *http.Request, id int64, account string) map[string]any {
	return map[string]any{
		"id":                   id,
		"app_id":               s.app.id,
		"app_slug":             s.app.slug,
		"account":              s.userJSON(account),
		"repository_selection": "all",
		"permissions":          s.permissionsLocked(id),
		"access_tokens_url":    fmt.Sprintf("%s/app/installations/%d/access_tokens", apiBase(r), id),
	}
}

func (s *Server) handleGetInstallation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.requireJWTLocked(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	account, ok := s.installationAccountLocked(id)
	if err != nil || !ok {
		writeError(w, http.StatusNotFound, "Not Found", docsRoot)
		return
	}
	writeJSON(w, http.StatusOK, s.installationJSON(r, id, account))
}

func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.requireJWTLocked(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, ok := s.installationAccountLocked(id); err != nil || !ok {
		writeError(w, http.StatusNotFound, "Not Found", docsRoot)
		return
	}
	tok := s.issueTokenLocked(id)
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           s.tokens[tok].expiresAt.UTC().Format(time.RFC3339),
		"permissions":          s.permissionsLocked(id),
		"repository_selection": "all",
	})
}

func (s *Server) handleRepoInstallation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.requireJWTLocked(w, r) {
		return
	}
	rs := s.repos[repoKey(r.PathValue("owner"), r.PathValue("repo"))]
	if rs == nil {
		writeError(w, http.StatusNotFound, "Not Found", docsRoot)
		return
	}
	writeJSON(w, http.StatusOK, s.installationJSON(r, rs.opts.InstallationID, rs.owner))
}

// encodeContent encodes file content like the contents API: base64 in lines of 60 characters.
func encodeContent(content string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc)
	return b.String()
}

// gitBlobSHA is the git object id of a blob with this content, as the contents API reports it.
func gitBlobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}
