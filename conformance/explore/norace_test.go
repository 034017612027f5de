//go:build !race

package explore_test

// raceEnabled says the race detector is on: the tests then run fewer seeds.
const raceEnabled = false
