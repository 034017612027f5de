package goserver

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
)

// A choice is what this server does where the documentation is silent. The names
// and values are shared with the Node peer (internal/peers/node/server.js), whose
// defaults differ; Config.Choices flips any of them.
type choice struct {
	def    string
	values []string // the allowed values, or nil for a count in [0, max]
	max    int
}

var choiceTable = map[string]choice{
	"json":        {def: "lenient", values: []string{"strict", "lenient"}},
	"notjson":     {def: "422", values: []string{"400", "422"}},
	"limitmax":    {def: "400", values: []string{"clamp", "400"}},
	"paging":      {def: "default", values: []string{"400", "default"}},
	"order":       {def: "newest", values: []string{"oldest", "newest"}},
	"time":        {def: "seconds", values: []string{"millis", "seconds"}},
	"chunked":     {def: "off", values: []string{"on", "off"}},
	"gzip":        {def: "off", values: []string{"on", "off"}},
	"charset":     {def: "off", values: []string{"on", "off"}},
	"cache":       {def: "private", values: []string{"etag", "private"}},
	"close":       {def: "0", max: 1e6}, // every Nth answer closes its connection; 0: never
	"slow":        {def: "off", values: []string{"off", "on"}},
	"contacts":    {def: "3000", max: 100000}, // contacts every app starts with
	"method":      {def: "404", values: []string{"405", "404"}},
	"emptybatch":  {def: "201", values: []string{"422", "201"}},
	"extra":       {def: "refuse", values: []string{"ignore", "refuse"}},
	"blankname":   {def: "accept", values: []string{"refuse", "accept"}},
	"longname":    {def: "100", max: 1e6}, // most characters in a name; 0: no limit but the body's
	"phonerange":  {def: "positive", values: []string{"any", "positive"}},
	"tags":        {def: "full", values: []string{"words", "full"}},
	"pastlast":    {def: "requested", values: []string{"last", "requested"}},
	"emptymeta":   {def: "0", values: []string{"1", "0"}},
	"contenttype": {def: "ignore", values: []string{"strict", "ignore"}},
	"bearer":      {def: "exact", values: []string{"insensitive", "exact"}},
}

// Defaults gives this server's choice for every silence of the documentation.
func Defaults() map[string]string {
	m := make(map[string]string, len(choiceTable))
	for name, c := range choiceTable {
		m[name] = c.def
	}
	return m
}

// choices is the parsed form of a Config's choices.
type choices struct {
	strictJSON, notJSON400, limitClamp, paging400, oldestFirst, millis bool
	chunked, gzip, charset, etag, slow, method405, emptyBatch422       bool
	ignoreExtra, refuseBlank, anyPhone, wordTags, pastLastAtLast       bool
	strictContentType, bearerAnyCase                                   bool
	closeEvery, contacts, longName, emptyLastPage                      int
}

func parseChoices(set map[string]string) (choices, error) {
	v := Defaults()
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names) // the same error for the same bad config
	for _, name := range names {
		value := set[name]
		c, ok := choiceTable[name]
		if !ok {
			return choices{}, fmt.Errorf("unknown choice %q", name)
		}
		if c.values != nil {
			if !slices.Contains(c.values, value) {
				return choices{}, fmt.Errorf("choice %s: %q is not one of %v", name, value, c.values)
			}
		} else if n, err := strconv.Atoi(value); err != nil || n < 0 || n > c.max {
			return choices{}, fmt.Errorf("choice %s: %q is not a count in [0, %d]", name, value, c.max)
		}
		v[name] = value
	}
	count := func(name string) int { n, _ := strconv.Atoi(v[name]); return n }
	return choices{
		strictJSON:        v["json"] == "strict",
		notJSON400:        v["notjson"] == "400",
		limitClamp:        v["limitmax"] == "clamp",
		paging400:         v["paging"] == "400",
		oldestFirst:       v["order"] == "oldest",
		millis:            v["time"] == "millis",
		chunked:           v["chunked"] == "on",
		gzip:              v["gzip"] == "on",
		charset:           v["charset"] == "on",
		etag:              v["cache"] == "etag",
		slow:              v["slow"] == "on",
		method405:         v["method"] == "405",
		emptyBatch422:     v["emptybatch"] == "422",
		ignoreExtra:       v["extra"] == "ignore",
		refuseBlank:       v["blankname"] == "refuse",
		anyPhone:          v["phonerange"] == "any",
		wordTags:          v["tags"] == "words",
		pastLastAtLast:    v["pastlast"] == "last",
		strictContentType: v["contenttype"] == "strict",
		bearerAnyCase:     v["bearer"] == "insensitive",
		closeEvery:        count("close"),
		contacts:          count("contacts"),
		longName:          count("longname"),
		emptyLastPage:     count("emptymeta"),
	}, nil
}
