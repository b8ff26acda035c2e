package githubtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"sort"
	"strings"
)

// handleTarball answers GET /repos/{owner}/{repo}/tarball/{ref} like GitHub:
// 302 to a pre-signed download URL on a separate host path that needs no
// token. The archive holds the files set with SetContent for that ref.
func (s *Server) handleTarball(c *call) {
	ref := c.r.PathValue("ref")
	if _, ok := c.repo.tree(ref); !ok {
		writeError(c.w, http.StatusNotFound, "Not Found", docsRoot)
		return
	}
	loc := "http://" + c.r.Host + "/codeload/" + c.repo.owner + "/" + c.repo.name + "/legacy.tar.gz/" + ref + "?token=presigned"
	c.w.Header().Set("Location", loc)
	c.w.WriteHeader(http.StatusFound)
}

// handleCodeload serves the archive a tarball link points to. Like
// GitHub's download host it takes no Authorization header: the link is the
// credential.
func (s *Server) handleCodeload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rs := s.repos[repoKey(r.PathValue("owner"), r.PathValue("repo"))]
	var files map[string]string
	if rs != nil {
		files, _ = rs.tree(r.PathValue("ref"))
	}
	s.mu.Unlock()
	if files == nil || r.URL.Query().Get("token") != "presigned" {
		http.NotFound(w, r)
		return
	}
	ref := r.PathValue("ref")
	if len(ref) > 7 {
		ref = ref[:7]
	}
	top := rs.owner + "-" + rs.name + "-" + ref + "/"
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	dirs := map[string]bool{}
	write := func(h *tar.Header, body string) {
		// Writing to a bytes.Buffer cannot fail.
		_ = tw.WriteHeader(h)
		_, _ = tw.Write([]byte(body))
	}
	write(&tar.Header{Name: top, Typeflag: tar.TypeDir, Mode: 0o755}, "")
	for _, name := range names {
		parts := strings.Split(name, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if !dirs[d] {
				dirs[d] = true
				write(&tar.Header{Name: top + d, Typeflag: tar.TypeDir, Mode: 0o755}, "")
			}
		}
		body := files[name]
		write(&tar.Header{Name: top + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}, body)
	}
	_ = tw.Close()
	_ = gz.Close()
	w.Header().Set("Content-Type", "application/x-gzip")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
