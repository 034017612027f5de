package check

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/contactkit/contactkit"
)

// Page checks that one page's meta describes its data, as the contract's
// listContacts description requires; q is the query the page was asked with.
// Each page is a snapshot, so these hold even while others write.
func Page(paging contactkit.Paging, q url.Values, body any) []Finding {
	obj, _ := body.(map[string]any)
	meta, _ := obj["meta"].(map[string]any)
	data, okData := obj["data"].([]any)
	if meta == nil || !okData {
		return nil // the schema check reports the shape
	}
	rule := func(field string) string { return Loc("#/components/schemas/PageMeta/properties/" + field) }
	num := func(k string) (int64, bool) { return Int(meta[k]) }
	var out []Finding
	bad := func(ptr, msg, want string, got any, field string) *Finding {
		out = append(out, Finding{Check: Paging, Pointer: ptr, Message: msg, Expected: want, Actual: Show(got), Contract: rule(field)})
		return &out[len(out)-1]
	}
	total, ok1 := num("total")
	limit, ok2 := num("limit")
	cur, ok3 := num("current_page")
	last, ok4 := num("last_page")
	if !ok1 || !ok2 || !ok3 || !ok4 || limit < 1 {
		return nil
	}
	wantLast := (total + limit - 1) / limit
	realLast := max(wantLast, 1)

	wantPage, pageErr := QueryInt(q, "page", paging.Page.Default)
	wantLimit, limitErr := QueryInt(q, "limit", paging.Limit.Default)
	if pageErr == nil && cur != wantPage {
		f := bad("/meta/current_page", fmt.Sprintf("meta.current_page is %d for page=%d", cur, wantPage), strconv.FormatInt(wantPage, 10), meta["current_page"], "current_page")
		if wantPage > realLast || wantPage < paging.Page.Min {
			// Past the last page, or below the first: what to answer is the docs'
			// silence.
			f.Source, f.Reading = Reading, contactkit.ReadingPagePastLast
			if wantPage < paging.Page.Min {
				f.Reading = contactkit.ReadingPagingInvalid
			}
		}
	}
	if limitErr == nil {
		top := paging.Limit.Max
		switch {
		case wantLimit < paging.Limit.Min:
			// A limit below the least the server read as another: the reading of
			// a bad value, judged by the status.
		case (top == 0 || wantLimit <= top) && limit != wantLimit:
			bad("/meta/limit", fmt.Sprintf("meta.limit is %d for limit=%d", limit, wantLimit), strconv.FormatInt(wantLimit, 10), meta["limit"], "limit")
		case top > 0 && wantLimit > top && limit > top:
			bad("/meta/limit", fmt.Sprintf("limit=%d was honoured above the documented max of %d", wantLimit, top), fmt.Sprintf("<= %d", top), meta["limit"], "limit")
		}
	}
	if first, ok := num("first_page"); ok && first != paging.Page.Min {
		bad("/meta/first_page", fmt.Sprintf("meta.first_page is not %d", paging.Page.Min), strconv.FormatInt(paging.Page.Min, 10), meta["first_page"], "first_page")
	}
	if total == 0 {
		if last != 0 && last != 1 {
			bad("/meta/last_page", "meta.last_page must be 0 or 1 when there are no contacts", "0 or 1", meta["last_page"], "last_page")
		}
	} else if last != wantLast {
		bad("/meta/last_page", fmt.Sprintf("meta.last_page is %d but ceil(total %d / limit %d) is %d", last, total, limit, wantLast), strconv.FormatInt(wantLast, 10), meta["last_page"], "last_page")
	}
	// Where the page sits, judged by the real last page, so a wrong last_page is
	// reported once, above.
	prev, hasPrev := meta["previous_page"]
	switch {
	case cur == 1 && hasPrev && prev != nil:
		bad("/meta/previous_page", "meta.previous_page must be null on the first page", "null", prev, "previous_page")
	case cur > 1 && cur <= realLast:
		if p, ok := num("previous_page"); !ok || p != cur-1 {
			bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be %d on page %d", cur-1, cur), strconv.FormatInt(cur-1, 10), prev, "previous_page")
		}
	case cur > realLast:
		// Past the last page the docs give no previous page: null or one before
		// it are both right, a page at or after it departs from the reading.
		if p, ok := num("previous_page"); ok && p >= cur {
			f := bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be a page before %d", cur), fmt.Sprintf("< %d", cur), prev, "previous_page")
			f.Source, f.Reading = Reading, contactkit.ReadingPagePastLast
		}
	}
	next, hasNext := meta["next_page"]
	if cur >= realLast {
		if hasNext && next != nil {
			bad("/meta/next_page", fmt.Sprintf("meta.next_page must be null on the last page (page %d of %d) and past it", cur, realLast), "null", next, "next_page")
		}
	} else if n, ok := num("next_page"); !ok || n != cur+1 {
		bad("/meta/next_page", fmt.Sprintf("meta.next_page must be %d on page %d of %d", cur+1, cur, realLast), strconv.FormatInt(cur+1, 10), next, "next_page")
	}
	var wantLen int64
	switch {
	case cur < realLast:
		wantLen = limit
	case cur == realLast:
		wantLen = total - (realLast-1)*limit
	}
	if int64(len(data)) != wantLen {
		what := fmt.Sprintf("page %d holds %d contacts, but total %d and limit %d put %d there", cur, len(data), total, limit, wantLen)
		if cur > realLast {
			what = fmt.Sprintf("page %d is past the last page (%d) yet holds %d contacts", cur, realLast, len(data))
		}
		out = append(out, Finding{Check: Paging, Pointer: "/data", Message: what, Expected: fmt.Sprintf("%d items", wantLen), Actual: fmt.Sprintf("%d items", len(data)), Contract: Loc("#/components/schemas/PageMeta")})
	}
	if f := DuplicateIDs(data, "on one page", "of the page"); f != nil {
		f.Contract = Loc("#/components/schemas/PageMeta")
		out = append(out, *f)
	}
	return out
}

// AcrossPages checks a whole walk of a quiet list: the same total on every page,
// no contact on two pages, and pages that add up to the total. curls are the
// pages' requests, to name the one that disagreed.
func AcrossPages(metas []map[string]any, all []any, curls []string) []Finding {
	if len(metas) == 0 {
		return nil
	}
	var out []Finding
	total := metas[0]["total"]
	for i, m := range metas[1:] {
		if !Equal(m["total"], total) {
			out = append(out, Finding{Check: Paging, Pointer: "/meta/total", Message: fmt.Sprintf("meta.total changed between pages of a quiet list: %s on the first page, %s on the next", Show(total), Show(m["total"])),
				Expected: Show(total), Actual: Show(m["total"]), Contract: Loc("#/components/schemas/PageMeta/properties/total"), Curl: curls[i+1]})
			break
		}
	}
	if f := DuplicateIDs(all, "across pages", "of the walk"); f != nil {
		f.Pointer, f.Contract = "/data", Loc("#/paths/~1contacts~1{appId}/get")
		out = append(out, *f)
	}
	if t, ok := Int(total); ok && t != int64(len(all)) {
		out = append(out, Finding{Check: Paging, Pointer: "/meta/total", Message: fmt.Sprintf("the pages hold %d contacts in all but meta.total says %s", len(all), Show(total)),
			Expected: Show(total) + " contacts", Actual: fmt.Sprintf("%d contacts", len(all)), Contract: Loc("#/components/schemas/PageMeta/properties/total")})
	}
	if last, ok := Int(metas[0]["last_page"]); ok && max(last, 1) != int64(len(metas)) {
		out = append(out, Finding{Check: Paging, Pointer: "/meta/last_page", Message: fmt.Sprintf("next_page led through %d pages but meta.last_page says %s", len(metas), Show(metas[0]["last_page"])),
			Expected: Show(metas[0]["last_page"]) + " pages", Actual: fmt.Sprintf("%d pages", len(metas)), Contract: Loc("#/components/schemas/PageMeta/properties/last_page")})
	}
	return out
}

// DuplicateIDs reports contacts listed more than once among items, as one
// finding: the first repeat, how many there are, and where the next few are.
func DuplicateIDs(items []any, where, of string) *Finding {
	var f *Finding
	seen := make(map[string]int, len(items))
	for i, item := range items {
		id := TextOf(Field(item, "id"))
		j, dup := seen[id]
		if !dup {
			seen[id] = i
			continue
		}
		at := fmt.Sprintf("/data/%d/id", i)
		if f == nil {
			f = &Finding{Check: Paging, Pointer: at, Message: fmt.Sprintf("contact %s is listed twice %s (items %d and %d %s)", id, where, j, i, of),
				Expected: "each contact once", Actual: "twice", Count: 1}
			continue
		}
		f.Count++
		if len(f.More) < MorePlaces {
			f.More = append(f.More, at)
		}
	}
	return f
}

// QueryInt reads an integer query parameter, def when it is absent.
func QueryInt(q url.Values, name string, def int64) (int64, error) {
	if !q.Has(name) {
		return def, nil
	}
	return strconv.ParseInt(q.Get(name), 10, 64)
}
