package eval

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report as indented JSON: the form --baseline reads.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Titles and errors are shown as they are; nothing here is HTML.
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
