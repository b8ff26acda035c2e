// Package render turns a review.Result into what people and tools read:
// the GitHub review (InlineBody for each inline comment, Summary for the
// review body, with hidden markers the app reads back through
// ParseFingerprints), plain text for a terminal (Text), the design §4.1
// JSON object (JSON) and SARIF 2.1.0 for code scanning (SARIF).
//
// Finding text is written by a model that read untrusted PR content, so
// the markdown renderers treat it as untrusted: it cannot forge markers,
// hide text in HTML comments, or break out of the structure around it.
package render
