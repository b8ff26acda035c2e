package diff

// ErrDisagree lets the fuzz targets check that go-diff and the framer
// never read the same input differently.
var ErrDisagree = errDisagree
