//go:build !race

package monitortest

const raceEnabled = false
