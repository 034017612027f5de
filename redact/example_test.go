package redact_test

import (
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/contactkit/contactkit/redact"
)

func ExampleScrubber_Scrub() {
	s := redact.NewScrubber("dev-token-1234")
	fmt.Println(s.Scrub(`{"echo":"dev-token-1234","b64":"` + base64.StdEncoding.EncodeToString([]byte("dev-token-1234")) + `","cut":"dev-toke"}`))
	// Output: {"echo":"***","b64":"***","cut":"***"}
}

func ExampleScrubber_Clip() {
	s := redact.NewScrubber("dev-token-1234")
	out, cut := s.Clip("answer: dev-token-1234, then dev-to", 21, false)
	fmt.Printf("%q %v\n", out, cut)
	// Output: "answer: ***, then " true
}

func ExampleHeader() {
	h, secrets := redact.Header(http.Header{"Authorization": {"Bearer dev-token-1234"}})
	fmt.Println(h.Get("Authorization"), secrets)
	// Output: Bearer *** [dev-token-1234]
}

func ExampleQuery() {
	fmt.Println(redact.Query("/contacts/app1?page=2&access_token=dev-token-1234"))
	// Output: /contacts/app1?page=2&access_token=***
}
