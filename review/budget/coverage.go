package budget

// Skip names a changed file that was not (fully) reviewed and why.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Coverage tells exactly what a review looked at.
type Coverage struct {
	FilesChanged  int    `json:"files_changed"`
	FilesReviewed int    `json:"files_reviewed"`
	LinesChanged  int    `json:"lines_changed"`  // added + deleted lines in the whole diff
	LinesReviewed int    `json:"lines_reviewed"` // added + deleted lines sent to the model
	Chunks        int    `json:"chunks"`
	Skipped       []Skip `json:"skipped"`
	// ContextFiles counts the reviewed files shown with the code around
	// their hunks (the enclosing function or block); ContextTrimmed those
	// whose surrounding code was left out to fit the token budget.
	ContextFiles   int `json:"context_files,omitempty"`
	ContextTrimmed int `json:"context_trimmed,omitempty"`
	// Passes is how the focus areas were reviewed: "combined" (one model
	// call covers every area) or "separate" (one call per area); empty
	// when nothing was sent. AreasSkipped lists requested areas that did
	// not run, and why.
	Passes       string     `json:"passes,omitempty"`
	AreasSkipped []AreaSkip `json:"areas_skipped,omitempty"`
}

// AreaSkip names a requested focus area that did not run and why.
type AreaSkip struct {
	Area   string `json:"area"`
	Reason string `json:"reason"`
}
