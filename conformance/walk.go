package conformance

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"
)

// A walk reads every page of a list of at most FullWalkTotal contacts (page 1's
// meta.total). A bigger list is read from both ends, where a contact just
// created or deleted sits whatever order the server keeps, until every contact
// the step names by a selector has been read, or BigWalkItems items have: a run
// against an app of any size takes a few requests a walk. Such a walk says so in
// its step's note; its expectations see only the pages read, and the checks
// across pages, which need them all, are not made.
const (
	FullWalkTotal = 2_000
	BigWalkItems  = 1_000
)

// walk reads the list from the requested page. Every page gets the usual checks;
// the expectations see one document whose /data holds the pages' items in page
// order, /meta the first page's meta and /pages the number of pages read. seek
// says whether the items read hold every contact the step names.
//
// A faithful server of any size can be walked: the walk is bounded by the items it
// holds and by time (Config.WalkItems, Config.WalkTime), not by a page count, and
// it stops at the first page the page checks fault, since a wrong next_page or
// last_page can point anywhere (a hostile one never ends).
func (r *runner) walk(ctx context.Context, st *scenario.Step, req *request, res *report.StepResult, seek func([]any) bool) (answer, []check.Finding, bool) {
	paging := r.spec.Paging
	page, err := check.QueryInt(req.values(), "page", paging.Page.Default)
	if err != nil || page < paging.Page.Min {
		page = paging.Page.Min
	}
	var (
		findings []check.Finding
		read     = map[int64][]any{} // items by page
		first    map[string]any
		metas    []map[string]any
		curls    []string
		items    int
		kept     int // bytes of the pages whose items the walk keeps
		order    []int64
		header   http.Header
		slowest  time.Duration
	)
	deadline := time.Now().Add(r.walkTime)
	for n := 0; ; n++ {
		preq := req.withQuery("page", strconv.FormatInt(page, 10))
		curl := r.curl(preq)
		res.Curl = curl
		res.Requests++
		x, took, tf := r.send(ctx, st.Op, preq)
		if tf != nil {
			tf.Curl = curl
			return answer{}, append(findings, *tf), false
		}
		slowest = max(slowest, took)
		if header == nil {
			header = x.Header // the first page's, as /meta is
		}
		res.HTTPStatus = x.Status
		res.Body = snippet(x.Body, x.Truncated)
		r.countToken(st, x.Status)
		_, doc, fs := r.check.Check(ctx, x)
		faulted := false
		for i := range fs {
			fs[i].Curl = curl
			fs[i].Message = fmt.Sprintf("page %d: %s", page, fs[i].Message)
			faulted = faulted || fs[i].Check == check.Paging
		}
		findings = append(findings, fs...)
		obj, _ := doc.(map[string]any)
		if x.Status != http.StatusOK || obj == nil {
			return answer{status: x.Status, doc: doc, header: x.Header, slowest: slowest}, findings, true
		}
		meta, _ := obj["meta"].(map[string]any)
		if first == nil {
			first = obj
			if total, ok := check.Int(meta["total"]); ok && total > FullWalkTotal && !faulted {
				order = bothEnds(page, meta)
			}
		}
		data, _ := obj["data"].([]any)
		read[page] = data
		items += len(data)
		kept += len(x.Body)
		metas = append(metas, meta)
		curls = append(curls, curl)
		next, _ := check.Int(check.Field(meta, "next_page"))
		switch {
		case faulted:
		case order != nil && (n+1 >= len(order) || items >= BigWalkItems || seek(collect(read))):
			res.Note = fmt.Sprintf("a list of %s contacts: the walk read %d of its pages, from both ends, and judged only those", check.Show(meta["total"]), len(read))
		case order == nil && next != page+1:
			// The last page, or one pointing elsewhere, which the page checks report.
		default:
			if stop := r.walkBound(items, kept, deadline); stop != "" {
				findings = append(findings, check.Finding{Check: check.Paging, Message: fmt.Sprintf("walk stopped at page %d after %d items: %s; the expectations saw only these pages", page, items, stop),
					Expected: "a walk within the runner's bounds", Actual: fmt.Sprintf("%d pages, %d items", len(metas), items), Curl: curl})
				break
			}
			if order != nil {
				page = order[n+1]
			} else {
				page++
			}
			continue
		}
		break
	}
	if st.AcrossPages && res.Note == "" {
		findings = append(findings, check.AcrossPages(metas, collect(read), curls)...)
	}
	agg := make(map[string]any, len(first)+1)
	for k, v := range first {
		agg[k] = v
	}
	agg["data"] = collect(read)
	agg["pages"] = len(read)
	return answer{status: http.StatusOK, doc: agg, header: header, slowest: slowest}, findings, true
}

// bothEnds orders the pages of a big list for reading: the first page read,
// then from the last page and the next page alternately, each once.
func bothEnds(from int64, meta map[string]any) []int64 {
	last, ok := check.Int(meta["last_page"])
	if !ok || last < from {
		return []int64{from}
	}
	out := []int64{from}
	for lo, hi := from+1, last; lo <= hi; {
		out = append(out, hi)
		hi--
		if lo <= hi {
			out = append(out, lo)
			lo++
		}
	}
	return out
}

// collect puts the items of the pages read in page order.
func collect(read map[int64][]any) []any {
	var out []any
	for _, p := range slices.Sorted(maps.Keys(read)) {
		out = append(out, read[p]...)
	}
	return out
}

// seeker says whether the items of a walk hold every contact st names by a
// selector of /data in its expectations and captures (placeholders filled from
// scope): the walk of a big list stops there.
func (r *runner) seeker(st *scenario.Step, scope *scope) func([]any) bool {
	var pointers []string
	for _, a := range st.AllAssertions() {
		pointers = append(pointers, a.Pointer)
	}
	for _, c := range st.Capture {
		pointers = append(pointers, c.From)
	}
	var want []scenario.Selector
	for _, p := range pointers {
		p, err := scope.expandString(p)
		if err != nil {
			continue
		}
		sels, _ := scenario.Selectors(p)
		for _, s := range sels {
			if s.Array == "data" {
				want = append(want, s)
			}
		}
	}
	return func(items []any) bool {
		for _, s := range want {
			if !slices.ContainsFunc(items, func(it any) bool {
				v, ok := it.(map[string]any)[s.Field]
				return ok && check.TextOf(v) == s.Value
			}) {
				return false
			}
		}
		return true
	}
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
