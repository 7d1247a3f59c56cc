package driver

import (
	"testing"

	"go.uber.org/goleak"
)

// The driver's goroutines (the loop's lookups) end with Run.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
