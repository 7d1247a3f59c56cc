package metrics

import (
	"testing"

	"go.uber.org/goleak"
)

// Metrics start no goroutines of their own; a scrape's end with the request.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
