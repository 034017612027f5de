package mock

import "strings"

// tags derives a contact's tags from its name, as the docs' example does for
// "John Doe": the full name, the first name, and "Last, First". For a longer name the
// last word is the last name and the rest the first ("Aisyah, Siti Nur"); a
// one-word name is its only tag.
func tags(name string) []string {
	words := strings.Fields(name)
	if len(words) < 2 {
		return []string{name}
	}
	last := words[len(words)-1]
	rest := strings.Join(words[:len(words)-1], " ")
	return []string{name, words[0], last + ", " + rest}
}
