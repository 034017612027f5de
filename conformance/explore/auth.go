package explore

import (
	"context"
	"fmt"
	"net/http"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/scenario"
)

// auth sends one operation with credentials or an identity that must be refused,
// then checks that the refusal changed nothing.
func (e *execution) auth(ctx context.Context, i int, a action) {
	own, foreign := e.who(false), e.who(true)
	if a.cred == authToken || a.cred == authForeignOwn {
		a.crossRef = true
	}
	// actor sends; pathID owns the path's app; the contact named comes from target.
	actor, path := own, own
	target := own
	switch a.cred {
	case authForeignApp:
		path = foreign
		if a.crossRef {
			target = foreign
		}
	case authForeignToken:
		actor = foreign
	case authForeignOwn:
		actor, path = foreign, foreign
	case authToken:
		target = foreign
	}
	c := e.pickMine(a.ref, target.app)
	if a.op == contactkit.OpCreateContacts {
		cr := &cred{kind: a.cred}
		cr.header, cr.show = e.credHeader(a.cred, actor)
		var hdr []scenario.Pair
		cr.yAuth, hdr = e.credScenario(a.cred, path)
		cr.headers = hdr
		if a.cred == authForeignToken {
			cr.app = appWord(path)
		}
		e.create(ctx, i, actor, path, a.rows, cr, "")
		return
	}
	contact, tpl := "", ""
	if a.op != contactkit.OpListContacts {
		contact, tpl = unknownID, "{{random_uuid}}"
		if c != nil {
			contact, tpl = c.id, fmt.Sprintf("{{c%d}}", c.ord)
		}
	}
	r := e.newRequest(a.op, path, contact, tpl)
	r.authz, r.authShow = e.credHeader(a.cred, actor)
	r.step.Auth, r.step.Headers = e.credScenario(a.cred, path)
	if a.cred == authForeignToken {
		// The foreign token on the main app: auth: foreign-token names the
		// foreign app unless the file says which.
		r.setParam("appId", appWord(path))
	}
	ex := e.predict(r)
	what := "answers " + statusList(ex.statuses)
	if (a.cred == authToken || a.cred == authForeignOwn) && a.op == contactkit.OpListContacts {
		return // the right token on its own app's list: nothing to refuse
	}
	r.step.Name = fmt.Sprintf("%s on %s with %s %s", a.op, appWord(path), credWord(a.cred), what)
	ans, failed := e.check(ctx, i, r, ex)
	if failed || c == nil || ans.status == http.StatusOK {
		return
	}
	if a.op == contactkit.OpToggleContactBlock || a.op == contactkit.OpDeleteContact {
		// The refusal changed nothing: the owner reads the contact as it was.
		owner := e.who(c.foreign)
		if owner.token == "" {
			return
		}
		e.onContact(ctx, i, contactkit.OpGetContact, owner, c, action{})
		if e.fail == nil && len(e.steps) > 0 {
			last := e.steps[len(e.steps)-1].step
			last.Name = fmt.Sprintf("the refused %s changed nothing: %s", a.op, last.Name)
		}
	}
}

// cred is how a refused request sends its credentials.
type cred struct {
	kind                auth
	header, show, yAuth string
	headers             []scenario.Pair
	app                 string // the appId a scenario file names, when not auth's own
}

// credHeader is the Authorization header for cred sent as actor, and how reports
// show it (the token masked, never shown in part).
func (e *execution) credHeader(cred auth, actor identity) (string, string) {
	t := actor.token
	switch cred {
	case authNone:
		return "", ""
	case authBasic:
		return "Basic Y29udGFjdGtpdDpleHBsb3Jl", "Basic Y29udGFjdGtpdDpleHBsb3Jl"
	case authBearerOnly:
		return "Bearer", "Bearer"
	case authRawToken:
		return t, "***"
	case authOtherScheme:
		return "Token " + t, "Token ***"
	case authSuffix:
		return "Bearer " + t + "x", "Bearer ***x"
	case authPrefix:
		return "Bearer x" + t, "Bearer x***"
	case authWrong:
		return "Bearer contactkit-explore-wrong-token", "Bearer contactkit-explore-wrong-token"
	case authLower:
		return "bearer " + t, "bearer ***"
	case authCase:
		if s := scenario.SwapCase(t); s != t {
			return "Bearer " + s, "Bearer *** (its letters' case swapped)"
		}
		return "Bearer contactkit-explore-wrong-token", "Bearer contactkit-explore-wrong-token"
	}
	return "Bearer " + t, "Bearer ***"
}

// credScenario says cred in a scenario file. A file never holds a token, so the
// variants that embed it are written with the nearest credentials a file can
// name; the step's name says what was sent.
func (e *execution) credScenario(cred auth, path identity) (string, []scenario.Pair) {
	switch cred {
	case authNone:
		return scenario.AuthNone, nil
	case authBasic:
		return scenario.AuthBasic, nil
	case authBearerOnly:
		return scenario.AuthBearerOnly, nil
	case authRawToken:
		// Any text without a scheme shows the same flaw; the token is never written.
		return "", []scenario.Pair{{Name: "Authorization", Value: "explore-not-the-token"}}
	case authOtherScheme:
		return "", []scenario.Pair{{Name: "Authorization", Value: "Token explore-not-the-token"}}
	case authWrong:
		return scenario.AuthWrongToken, nil
	case authCase:
		if scenario.SwapCase(e.who(path.foreign).token) == e.who(path.foreign).token {
			return scenario.AuthWrongToken, nil // no letters: a wrong token was sent
		}
		return scenario.AuthTokenCase, nil
	case authSuffix:
		return scenario.AuthTokenSuffix, nil
	case authPrefix:
		return scenario.AuthTokenPrefix, nil
	case authForeignApp:
		return scenario.AuthForeignApp, nil
	case authForeignToken, authForeignOwn:
		return scenario.AuthForeignToken, nil
	}
	return path.yAuth, nil
}

func credWord(cred auth) string {
	return map[auth]string{
		authToken: "its own token", authNone: "no Authorization", authBasic: "Basic credentials", authBearerOnly: `"Bearer" alone`,
		authRawToken: "the token without a scheme", authOtherScheme: `the "Token" scheme`, authSuffix: "the token with a suffix",
		authPrefix: "the token with a prefix", authWrong: "a token nobody issued", authLower: `"bearer" in lower case`,
		authForeignApp: "the token not granted this app", authForeignToken: "the foreign token, not granted this app", authForeignOwn: "the foreign token",
		authCase: "the token with its letters' case swapped",
	}[cred]
}

// appVariant reads, with the app's own token, an app id made from its own (a
// wildcard, another case, a space: see appVariants): another app, which the
// token is not granted. When the run knows the grants it must be refused; in
// any case no contact of the app or of the foreign app may show there.
func (e *execution) appVariant(ctx context.Context, i int, tpl string) {
	own := e.who(false)
	app := variantOf(tpl, own.app)
	if app == own.app || app == e.x.cfg.ForeignApp || app == "" {
		return
	}
	id := identity{app: app, token: own.token}
	r := e.newRequest(contactkit.OpListContacts, id, "", "")
	r.setParam("appId", app)
	ex := e.predict(r)
	ex.onPage = &id
	r.step.Name = fmt.Sprintf("the list of app %q, a variant of the app's id, with its token answers %s and shows none of the app's contacts", app, statusList(ex.statuses))
	e.check(ctx, i, r, ex)
	if c := e.pickMine(0, own.app); c != nil && c.alive {
		// The app's own contact named through the variant: another app's.
		g := e.newRequest(contactkit.OpGetContact, id, c.id, fmt.Sprintf("{{c%d}}", c.ord))
		g.setParam("appId", app)
		gx := e.predict(g)
		g.step.Name = fmt.Sprintf("contact %d through app %q answers %s", c.ord, app, statusList(gx.statuses))
		e.check(ctx, i, g, gx)
	}
}

// holdStill keeps every other sequence's writes back, when the read about to be
// sent is to be rechecked, until the returned func is called: a server that
// keeps answers by URL may drop them on any write, and the recheck must meet
// what the read left.
func (e *execution) holdStill(recheck auth) func() {
	if recheck == authToken {
		return func() {}
	}
	e.x.still.Lock()
	return e.x.still.Unlock
}

// recheck sends r, a read that answered 200, once more at once with cred, which
// must be refused: a server that keeps answers by URL before it checks the
// token answers the owner's page to anyone.
func (e *execution) recheck(ctx context.Context, i int, r *request, cred auth) {
	again := r.again()
	again.authz, again.authShow = e.credHeader(cred, e.who(false))
	again.step.Auth, again.step.Headers = e.credScenario(cred, e.who(false))
	ex := e.predict(again)
	again.step.Name = fmt.Sprintf("the same read with %s at once answers %s", credWord(cred), statusList(ex.statuses))
	e.check(ctx, i, again, ex)
}
