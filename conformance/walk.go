package conformance

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/contactkit/contactkit/check"
	"github.com/contactkit/contactkit/report"
	"github.com/contactkit/contactkit/scenario"
)

// walk follows next_page from the requested page to the last. Every page gets the
// usual checks; the expectations see one document whose /data holds every page's
// items, /meta the first page's meta and /pages the number of pages.
//
// A faithful server of any size can be walked: the walk is bounded by the items it
// holds and by time (Config.WalkItems, Config.WalkTime), not by a page count, and
// it stops at the first page the page checks fault, since a wrong next_page or
// last_page can point anywhere (a hostile one never ends).
func (r *runner) walk(ctx context.Context, st *scenario.Step, req *request, res *report.StepResult) (answer, []check.Finding, bool) {
	paging := r.spec.Paging
	page, err := check.QueryInt(req.values(), "page", paging.Page.Default)
	if err != nil || page < paging.Page.Min {
		page = paging.Page.Min
	}
	var (
		findings []check.Finding
		all      []any
		first    map[string]any
		metas    []map[string]any
		curls    []string
		kept     int // bytes of the pages whose items the walk keeps
		header   http.Header
		slowest  time.Duration
	)
	deadline := time.Now().Add(r.walkTime)
	for {
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
		if first == nil {
			first = obj
		}
		data, _ := obj["data"].([]any)
		all = append(all, data...)
		kept += len(x.Body)
		meta, _ := obj["meta"].(map[string]any)
		metas = append(metas, meta)
		curls = append(curls, curl)
		next, _ := check.ToRat(check.Field(meta, "next_page"))
		if faulted || next == nil || !next.IsInt() || next.Num().Int64() != page+1 {
			break // the last page, or one the page checks reported
		}
		if stop := r.walkBound(len(all), kept, deadline); stop != "" {
			findings = append(findings, check.Finding{Check: check.Paging, Message: fmt.Sprintf("walk stopped at page %d after %d items: %s; the expectations saw only these pages", page, len(all), stop),
				Expected: "a walk within the runner's bounds", Actual: fmt.Sprintf("%d pages, %d items", len(metas), len(all)), Curl: curl})
			break
		}
		page++
	}
	if st.AcrossPages {
		findings = append(findings, check.AcrossPages(metas, all, curls)...)
	}
	agg := make(map[string]any, len(first)+1)
	for k, v := range first {
		agg[k] = v
	}
	agg["data"] = all
	agg["pages"] = len(metas)
	return answer{status: http.StatusOK, doc: agg, header: header, slowest: slowest}, findings, true
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
