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
}
