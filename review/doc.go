// Package review is the review engine: it turns a diff into ranked,
// anchored findings by running focus-area passes through a model. It knows
// nothing of GitHub; the app and the CLI adapt their sources to it.
package review
