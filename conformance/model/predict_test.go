package model_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance/model"
)

// TestPredict holds the model's prediction of each kind of request to what the
// docs, HTTP and the contract's readings say.
func TestPredict(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	m := model.New(spec, model.Config{})
	m.Claim("app1", idA, "Budi", "6281234567890", "2024-05-14T11:51:48.000+07:00", false)
	m.Claim("app2", idB, "Siti", "6281234567891", "2024-05-14T11:51:48.000+07:00", false)
	const deleted, madeUp = "abc5ea66-11ad-11ef-8e7a-00155d34f1c1", "00000000-0000-4000-8000-00000000e404"
	m.Claim("app1", deleted, "Gone", "6281234567892", "2024-05-14T11:51:48.000+07:00", false)
	m.Observe(model.Exchange{Op: contactkit.OpDeleteContact, App: "app1", ContactID: deleted, Status: http.StatusOK})
	m.MadeUp(madeUp)
	grants := model.Grants{"t1": {"app1"}, "t2": {"app2"}}
	bearer := func(tok string) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}
	}
	list := func(q string) model.Request {
		v, _ := url.ParseQuery(q)
		return model.Request{Op: contactkit.OpListContacts, App: "app1", Query: v, Header: bearer("t1")}
	}
	create := func(body string) model.Request {
		return model.Request{Op: contactkit.OpCreateContacts, App: "app1", Header: bearer("t1"), Body: []byte(body)}
	}
	get := func(id string) model.Request {
		return model.Request{Op: contactkit.OpGetContact, App: "app1", ContactID: id, Header: bearer("t1")}
	}
	with := func(r model.Request, h http.Header) model.Request { r.Header = h; return r }
	const ok = `[{"name":"Budi","phone":6281234567890}]`
	for _, tc := range []struct {
		name     string
		r        model.Request
		g        model.Grants
		statuses []int
		readings map[int]string
		keys     []string
	}{
		{"a plain list", list(""), grants, []int{200}, nil, nil},
		{"no token", with(list(""), http.Header{}), grants, []int{403}, nil, nil},
		{"Basic", with(list(""), http.Header{"Authorization": {"Basic dTpw"}}), grants, []int{403}, nil, nil},
		{"Bearer alone", with(list(""), http.Header{"Authorization": {"Bearer"}}), grants, []int{403}, nil, nil},
		{"a token nobody issued", with(list(""), bearer("t9")), grants, []int{403}, nil, nil},
		{"a token whose case differs", with(list(""), bearer("T1")), grants, []int{403}, nil, nil},
		{"the other app's token", with(list(""), bearer("t2")), grants, []int{403}, map[int]string{404: contactkit.ReadingAuthRefusal}, nil},
		{"bearer in lower case: either", with(list(""), http.Header{"Authorization": {"bearer t1"}}), grants, []int{200, 403}, nil, nil},
		{"grants unknown: either", with(list(""), bearer("t9")), nil, []int{200, 403}, nil, nil},
		{"page 0", list("page=0"), grants, []int{400}, map[int]string{200: contactkit.ReadingPagingInvalid}, nil},
		{"page abc", list("page=abc"), grants, []int{400}, map[int]string{200: contactkit.ReadingPagingInvalid}, nil},
		{"limit above the max", list("limit=51"), grants, []int{200, 400}, nil, nil},
		{"page 1e3", list("page=1e3"), grants, []int{200, 400}, nil, nil},
		{"page past int64", list("page=9223372036854775808"), grants, []int{200, 400}, nil, nil},
		{"no token and page 0: either refusal", with(list("page=0"), http.Header{}), grants, []int{400, 403}, nil, nil},
		{"a valid batch", create(ok), grants, []int{201}, nil, nil},
		{"a valid batch with a charset", with(create(ok), http.Header{"Authorization": {"Bearer t1"}, "Content-Type": {"application/json; charset=utf-8"}}), grants, []int{201}, nil, nil},
		{"a batch sent as text", with(create(ok), http.Header{"Authorization": {"Bearer t1"}, "Content-Type": {"text/plain"}}), grants, []int{400, 415, 422}, map[int]string{201: contactkit.ReadingCreateMediaType}, nil},
		{"a phone of 0", create(`[{"name":"A","phone":0}]`), grants, []int{201, 400, 422}, nil, nil},
		{"a phone past 2^53", create(`[{"name":"A","phone":9007199254740993}]`), grants, []int{201, 400, 422}, nil, nil},
		{"a blank name", create(`[{"name":" ","phone":6281234567890}]`), grants, []int{201, 400, 422}, nil, nil},
		{"a field the docs do not name", create(`[{"name":"A","phone":6281234567890,"is_blocked":true}]`), grants, []int{201, 400, 422}, nil, nil},
		{"a row without a name", create(`[{"phone":6281234567890}]`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateRow}, nil},
		{"a phone of 1.5", create(`[{"name":"A","phone":1.5}]`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateRow}, nil},
		{"phones that are not numbers, every one named", create(`[{"name":"A","phone":"x"},` + ok[1:len(ok)-1] + `,{"name":"B","phone":null}]`), grants,
			[]int{422}, map[int]string{400: contactkit.ReadingCreateRow}, []string{"0.phone", "2.phone"}},
		{"an empty batch", create(`[]`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateNotBatch}, nil},
		{"an object", create(`{"name":"A","phone":6281234567890}`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateNotBatch}, nil},
		{"malformed", create(`[{"name":`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateNotBatch}, nil},
		{"data after the batch", create(ok + ` x`), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateLenient}, nil},
		{"invalid UTF-8", create("[{\"name\":\"\xff\",\"phone\":6281234567890}]"), grants, []int{400, 422}, map[int]string{201: contactkit.ReadingCreateLenient}, nil},
		{"no token and a bad batch: either refusal", with(create(`[{"name":"A","phone":"x"}]`), http.Header{}), grants, []int{403, 422}, nil, nil},
		{"a contact that is there", get(idA), grants, []int{200}, nil, nil},
		{"a deleted contact", get(deleted), grants, []int{404}, nil, nil},
		{"an id made up", get(madeUp), grants, []int{404}, nil, nil},
		{"another app's contact through one's own app", get(idB), grants, []int{403, 404}, nil, nil},
		{"a contact never seen", get("abc5ea66-11ad-11ef-8e7a-00155d34f1ff"), grants, []int{200, 404}, nil, nil},
	} {
		p := m.Predict(tc.r, tc.g)
		assert.ElementsMatch(t, tc.statuses, p.Statuses, "%s: statuses (%s)", tc.name, p.Why)
		if tc.readings == nil {
			assert.Empty(t, p.Readings, "%s: readings", tc.name)
		} else {
			assert.Equal(t, tc.readings, p.Readings, "%s: readings", tc.name)
		}
		assert.Equal(t, tc.keys, p.ErrorKeys, "%s: error keys", tc.name)
	}
}
