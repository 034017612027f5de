//go:build race

package check_test

// raceScale is how many times more a check allocates under the race detector,
// whose instrumentation keeps values on the heap that a plain build does not
// (measured: 4 times as much for the sixty thousand wrong errors).
const raceScale = 8
