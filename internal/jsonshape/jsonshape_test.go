package jsonshape_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contactkit/contactkit/internal/jsonshape"
)

func TestOf(t *testing.T) {
	for src, want := range map[string][2]int64{
		`[]`: {2, 0}, ` [ ] `: {2, 0}, `[1]`: {2, 1}, `[1,2]`: {3, 2}, `[ {"a":[1,2]} , "x,y" ]`: {7, 2},
		`["\"",1]`: {3, 2}, `[[],[]]`: {5, 2}, `{"a":1,"b":2}`: {5, 0}, `"a,b"`: {1, 0}, ``: {1, 0},
	} {
		values, items := jsonshape.Of([]byte(src))
		assert.Equal(t, want, [2]int64{values, int64(items)}, "%s: values and items", src)
	}
}
