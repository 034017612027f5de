package linear

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// key is what makes a row of a round its own: a name and a phone no one else
// sends.
type key struct {
	name  string
	phone int64
}

// key gives row j of round i its key. Phones look like real ones (628 and 10
// digits) and stay apart from the explorer's (6281…): 6282, four digits of the
// marker, the row's number.
func (r *runner) key(round, j int) key {
	ord := round*1000 + j // a round holds fewer than 1000 rows: MaxClients batches of at most minBatch+MaxClients
	return key{name: fmt.Sprintf("Linear %05d %d", r.marker, ord), phone: 6_282_000_000_000 + int64(r.marker%10_000)*100_000 + int64(ord)}
}

func batchJSON(keys []key) []byte {
	type row struct {
		Name  string `json:"name"`
		Phone int64  `json:"phone"`
	}
	rows := make([]row, len(keys))
	for i, k := range keys {
		rows[i] = row{k.name, k.phone}
	}
	b, _ := json.Marshal(rows) // strings and integers: cannot fail
	return b
}

// found is what a walk saw of the rows it looked for.
type found struct {
	ids map[int64][]string // the ids carrying each phone sought, each id once
	// whole says every page of the list was read.
	whole bool
	read  int // items read
}

func (f found) all(keys []key) bool {
	for _, k := range keys {
		if len(f.ids[k.phone]) == 0 {
			return false
		}
	}
	return true
}

// seek walks App's list with the contract's largest limit until it has seen
// every key, from both ends (page 1, the last, the second, the one before the
// last...), since the server's order is its own and a new row sits at one end:
// at most WalkItems items and WalkTime. An answer it cannot read ends it.
func (r *runner) seek(ctx context.Context, keys []key) (found, trouble) {
	ctx, cancel := context.WithTimeout(ctx, WalkTime)
	defer cancel()
	f := found{ids: map[int64][]string{}}
	sought := map[string]int64{}
	for _, k := range keys {
		sought[strconv.FormatInt(k.phone, 10)] = k.phone
	}
	limit := r.spec.Paging.Limit.Max
	if limit <= 0 {
		limit = r.spec.Paging.Limit.Default
	}
	readPage := func(page int) (meta any, tr trouble, ok bool) {
		q := request{op: contactkit.OpListContacts, query: url.Values{"page": {strconv.Itoa(page)}}}
		if limit > 0 {
			q.query.Set("limit", strconv.FormatInt(limit, 10))
		}
		a := r.send(ctx, q)
		data, isList := check.Field(a.body, "data").([]any)
		if a.err != nil || a.status != http.StatusOK || !isList {
			return nil, r.unreadable(ctx, q, a, http.StatusOK), false
		}
		f.read += len(data)
		for _, it := range data {
			phone, mine := sought[check.TextOf(check.Field(it, "phone"))]
			id, _ := check.Field(it, "id").(string)
			if mine && id != "" && !slices.Contains(f.ids[phone], id) {
				f.ids[phone] = append(f.ids[phone], id)
			}
		}
		return check.Field(a.body, "meta"), trouble{}, true
	}

	meta, tr, ok := readPage(1)
	if !ok {
		return f, tr
	}
	last, known := intField(meta, "last_page")
	if !known {
		if total, ok := intField(meta, "total"); ok && limit > 0 {
			last, known = (total+limit-1)/limit, true
		}
	}
	if !known {
		// No page count to read from the far end: follow next_page.
		for page := 2; check.Field(meta, "next_page") != nil && !f.all(keys) && f.read < WalkItems; page++ {
			if meta, tr, ok = readPage(page); !ok {
				return f, tr
			}
		}
		f.whole = check.Field(meta, "next_page") == nil
		return f, trouble{}
	}
	// Pages still unread, both ends; a page count no walk could read is cut to
	// what WalkItems reads, so a list of empty pages ends too.
	top := min(last, WalkItems/max(limit, 1)+2)
	lo, hi := 2, int(top)
	for fromEnd := true; lo <= hi && !f.all(keys) && f.read < WalkItems; fromEnd = !fromEnd {
		page := lo
		if fromEnd {
			page = hi
		}
		if _, tr, ok = readPage(page); !ok {
			return f, tr
		}
		if fromEnd {
			hi--
		} else {
			lo++
		}
	}
	f.whole = lo > hi && top == last
	return f, trouble{}
}

// remove deletes the contacts ids names and those carrying a key of lost
// (looked for first), even when ctx is done: with a fresh context bounded by
// twice the request timeout and a walk's time.
func (r *runner) remove(ctx context.Context, ids []string, lost []key) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*r.cfg.Timeout+WalkTime)
	defer cancel()
	if len(lost) > 0 {
		f, _ := r.seek(ctx, lost)
		for _, k := range lost {
			ids = append(ids, f.ids[k.phone]...)
		}
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		r.send(ctx, request{op: contactkit.OpDeleteContact, contact: id})
	}
}
