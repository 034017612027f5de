//go:build !race

package check_test

// raceScale is 1 without the race detector: the bounds hold as written.
const raceScale = 1
