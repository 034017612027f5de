package journal_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/contactkit/contactkit/journal"
)

func ExampleJournal_Add() {
	j := journal.New(journal.Config{MaxEntries: 100})
	e := j.Add(journal.Exchange{
		Time:          time.Now(),
		Method:        http.MethodGet,
		URI:           "/contacts/my-app?page=1",
		OperationID:   "listContacts",
		App:           "my-app",
		Status:        http.StatusOK,
		RequestHeader: http.Header{"Authorization": {"Bearer dev-token-1234"}},
		ResponseBody:  []byte(`{"statusCode":200,"echo":"dev-token-1234"}`),
	})
	fmt.Println(e.Seq, e.Request.Header.Get("Authorization"), e.Response.Body, len(e.Violations))
	// Output: 1 Bearer *** {"statusCode":200,"echo":"***"} 0
}
