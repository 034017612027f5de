package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/contactkit/contactkit"
)

// walk follows next_page from the requested page to the last. Every page gets the
// usual checks; the expectations see one document whose /data holds every page's
// items, /meta the first page's meta and /pages the number of pages.
//
// A faithful server of any size can be walked: the walk is bounded by the items it
// holds and by time (Config.WalkItems, Config.WalkTime), not by a page count, and
// it stops at the first page the page checks fault, since a wrong next_page or
// last_page can point anywhere (a hostile one never ends).
func (r *runner) walk(ctx context.Context, st *Step, req *request, res *StepResult) (int, any, []Finding, bool) {
	paging := r.check.spec.Paging
	page, err := queryInt(req.values(), "page", paging.Page.Default)
	if err != nil || page < paging.Page.Min {
		page = paging.Page.Min
	}
	var (
		findings []Finding
		all      []any
		first    map[string]any
		metas    []map[string]any
		curls    []string
		kept     int // bytes of the pages whose items the walk keeps
	)
	deadline := time.Now().Add(r.walkTime)
	for {
		preq := req.withQuery("page", strconv.FormatInt(page, 10))
		curl := r.curl(preq)
		res.Curl = curl
		res.Requests++
		x, tf := r.send(ctx, st.Op, preq)
		if tf != nil {
			tf.Curl = curl
			return 0, nil, append(findings, *tf), false
		}
		res.HTTPStatus = x.status
		res.Body = snippet(x.body, x.truncated)
		r.countToken(st, x.status)
		doc, fs := r.check.check(ctx, x)
		faulted := false
		for i := range fs {
			fs[i].Curl = curl
			fs[i].Message = fmt.Sprintf("page %d: %s", page, fs[i].Message)
			faulted = faulted || fs[i].Check == CheckPaging
		}
		findings = append(findings, fs...)
		obj, _ := doc.(map[string]any)
		if x.status != http.StatusOK || obj == nil {
			return x.status, doc, findings, true
		}
		if first == nil {
			first = obj
		}
		data, _ := obj["data"].([]any)
		all = append(all, data...)
		kept += len(x.body)
		meta, _ := obj["meta"].(map[string]any)
		metas = append(metas, meta)
		curls = append(curls, curl)
		next, _ := toRat(field(meta, "next_page"))
		if faulted || next == nil || !next.IsInt() || next.Num().Int64() != page+1 {
			break // the last page, or one the page checks reported
		}
		if stop := r.walkBound(len(all), kept, deadline); stop != "" {
			findings = append(findings, Finding{Check: CheckPaging, Message: fmt.Sprintf("walk stopped at page %d after %d items: %s; the expectations saw only these pages", page, len(all), stop),
				Expected: "a walk within the runner's bounds", Actual: fmt.Sprintf("%d pages, %d items", len(metas), len(all)), Curl: curl})
			break
		}
		page++
	}
	if st.AcrossPages {
		findings = append(findings, acrossPages(metas, all, curls)...)
	}
	agg := make(map[string]any, len(first)+1)
	for k, v := range first {
		agg[k] = v
	}
	agg["data"] = all
	agg["pages"] = len(metas)
	return http.StatusOK, agg, findings, true
}

// maxWalkBytes bounds the answers a walk keeps the items of, for items a target
// makes large: 60,000 honest contacts are some 10 MB.
const maxWalkBytes = 64 << 20

// walkBound says why a walk must stop before the next page, or "".
func (r *runner) walkBound(items, bytes int, deadline time.Time) string {
	switch {
	case items >= r.walkItems:
		return fmt.Sprintf("it holds the most items a walk keeps (%d)", r.walkItems)
	case bytes >= maxWalkBytes:
		return fmt.Sprintf("its pages hold the most a walk keeps (%d MiB)", maxWalkBytes>>20)
	case time.Now().After(deadline):
		return fmt.Sprintf("it took longer than a walk may (%s)", r.walkTime)
	}
	return ""
}

// acrossPages checks a whole walk of a quiet list: the same total on every page,
// no contact on two pages, and pages that add up to the total.
func acrossPages(metas []map[string]any, all []any, curls []string) []Finding {
	if len(metas) == 0 {
		return nil
	}
	var out []Finding
	total := metas[0]["total"]
	for i, m := range metas[1:] {
		if !jsonEqual(m["total"], total) {
			out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("meta.total changed between pages of a quiet list: %s on the first page, %s on the next", show(total), show(m["total"])),
				Expected: show(total), Actual: show(m["total"]), Contract: loc("#/components/schemas/PageMeta/properties/total"), Curl: curls[i+1]})
			break
		}
	}
	if f := duplicateIDs(all, "across pages", "of the walk"); f != nil {
		f.Pointer, f.Contract = "/data", loc("#/paths/~1contacts~1{appId}/get")
		out = append(out, *f)
	}
	if t, ok := toRat(total); ok && t.IsInt() && t.Num().Int64() != int64(len(all)) {
		out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/total", Message: fmt.Sprintf("the pages hold %d contacts in all but meta.total says %s", len(all), show(total)),
			Expected: show(total) + " contacts", Actual: fmt.Sprintf("%d contacts", len(all)), Contract: loc("#/components/schemas/PageMeta/properties/total")})
	}
	if last, ok := toRat(metas[0]["last_page"]); ok && last.IsInt() && max(last.Num().Int64(), 1) != int64(len(metas)) {
		out = append(out, Finding{Check: CheckPaging, Pointer: "/meta/last_page", Message: fmt.Sprintf("next_page led through %d pages but meta.last_page says %s", len(metas), show(metas[0]["last_page"])),
			Expected: show(metas[0]["last_page"]) + " pages", Actual: fmt.Sprintf("%d pages", len(metas)), Contract: loc("#/components/schemas/PageMeta/properties/last_page")})
	}
	return out
}

// pageChecks checks that one page's meta describes its data, as the contract's
// listContacts description requires. Each page is a snapshot, so these hold even
// while others write.
func pageChecks(paging contactkit.Paging, q url.Values, body any) []Finding {
	obj, _ := body.(map[string]any)
	meta, _ := obj["meta"].(map[string]any)
	data, okData := obj["data"].([]any)
	if meta == nil || !okData {
		return nil // the schema check reports the shape
	}
	rule := func(field string) string { return loc("#/components/schemas/PageMeta/properties/" + field) }
	num := func(k string) (int64, bool) {
		r, ok := toRat(meta[k])
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return 0, false
		}
		return r.Num().Int64(), true
	}
	var out []Finding
	bad := func(ptr, msg, want string, got any, field string) {
		out = append(out, Finding{Check: CheckPaging, Pointer: ptr, Message: msg, Expected: want, Actual: show(got), Contract: rule(field)})
	}
	total, ok1 := num("total")
	limit, ok2 := num("limit")
	cur, ok3 := num("current_page")
	last, ok4 := num("last_page")
	if !ok1 || !ok2 || !ok3 || !ok4 || limit < 1 {
		return nil
	}

	wantPage, pageErr := queryInt(q, "page", paging.Page.Default)
	wantLimit, limitErr := queryInt(q, "limit", paging.Limit.Default)
	if pageErr == nil && cur != wantPage {
		bad("/meta/current_page", fmt.Sprintf("meta.current_page is %d for page=%d", cur, wantPage), strconv.FormatInt(wantPage, 10), meta["current_page"], "current_page")
	}
	if limitErr == nil {
		top := paging.Limit.Max
		switch {
		case (top == 0 || wantLimit <= top) && limit != wantLimit:
			bad("/meta/limit", fmt.Sprintf("meta.limit is %d for limit=%d", limit, wantLimit), strconv.FormatInt(wantLimit, 10), meta["limit"], "limit")
		case top > 0 && wantLimit > top && limit > top:
			bad("/meta/limit", fmt.Sprintf("limit=%d was honoured above the documented max of %d", wantLimit, top), fmt.Sprintf("<= %d", top), meta["limit"], "limit")
		}
	}
	if first, ok := num("first_page"); ok && first != paging.Page.Min {
		bad("/meta/first_page", fmt.Sprintf("meta.first_page is not %d", paging.Page.Min), strconv.FormatInt(paging.Page.Min, 10), meta["first_page"], "first_page")
	}
	wantLast := (total + limit - 1) / limit
	if total == 0 {
		if last != 0 && last != 1 {
			bad("/meta/last_page", "meta.last_page must be 0 or 1 when there are no contacts", "0 or 1", meta["last_page"], "last_page")
		}
	} else if last != wantLast {
		bad("/meta/last_page", fmt.Sprintf("meta.last_page is %d but ceil(total %d / limit %d) is %d", last, total, limit, wantLast), strconv.FormatInt(wantLast, 10), meta["last_page"], "last_page")
	}
	// Where the page sits, judged by the real last page, so a wrong last_page is
	// reported once, above.
	realLast := max(wantLast, 1)
	prev, hasPrev := meta["previous_page"]
	switch {
	case cur == 1 && hasPrev && prev != nil:
		bad("/meta/previous_page", "meta.previous_page must be null on the first page", "null", prev, "previous_page")
	case cur > 1 && cur <= realLast:
		if p, ok := num("previous_page"); !ok || p != cur-1 {
			bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be %d on page %d", cur-1, cur), strconv.FormatInt(cur-1, 10), prev, "previous_page")
		}
	case cur > realLast:
		if p, ok := num("previous_page"); !ok || p >= cur {
			bad("/meta/previous_page", fmt.Sprintf("meta.previous_page must be a page before %d", cur), fmt.Sprintf("< %d", cur), prev, "previous_page")
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
		out = append(out, Finding{Check: CheckPaging, Pointer: "/data", Message: what, Expected: fmt.Sprintf("%d items", wantLen), Actual: fmt.Sprintf("%d items", len(data)), Contract: loc("#/components/schemas/PageMeta")})
	}
	if f := duplicateIDs(data, "on one page", "of the page"); f != nil {
		f.Contract = loc("#/components/schemas/PageMeta")
		out = append(out, *f)
	}
	return out
}

// duplicateIDs reports contacts listed more than once among items, as one
// finding: the first repeat, how many there are, and where the next few are.
func duplicateIDs(items []any, where, of string) *Finding {
	var f *Finding
	seen := make(map[string]int, len(items))
	for i, item := range items {
		id := textOf(field(item, "id"))
		j, dup := seen[id]
		if !dup {
			seen[id] = i
			continue
		}
		at := fmt.Sprintf("/data/%d/id", i)
		if f == nil {
			f = &Finding{Check: CheckPaging, Pointer: at, Message: fmt.Sprintf("contact %s is listed twice %s (items %d and %d %s)", id, where, j, i, of),
				Expected: "each contact once", Actual: "twice", Count: 1}
			continue
		}
		f.Count++
		if len(f.More) < morePlaces {
			f.More = append(f.More, at)
		}
	}
	return f
}

func field(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

func queryInt(q url.Values, name string, def int64) (int64, error) {
	if !q.Has(name) {
		return def, nil
	}
	return strconv.ParseInt(q.Get(name), 10, 64)
}
