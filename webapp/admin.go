package webapp

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/registry"
)

// InviteTTL is how long an invitation code stays valid.
const InviteTTL = 7 * 24 * time.Hour

func (a *App) handleInvitesPage(w http.ResponseWriter, r *request) {
	a.invitesPage(w, r, "")
}

func (a *App) invitesPage(w http.ResponseWriter, r *request, code string) {
	if !isOffice(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	issuers, err := a.issuersOf(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.render(w, r.Request, http.StatusOK, "invites", a.pageOf(r, "invites", map[string]any{"Issuers": issuers, "Code": code}))
}

func (a *App) handleInvite(w http.ResponseWriter, r *request) {
	if !isOffice(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	code, err := a.cfg.Store.CreateInvite(r.Context(), r.user, r.PostFormValue("issuer"), InviteTTL)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.invitesPage(w, r, code)
}

func (a *App) handleUsers(w http.ResponseWriter, r *request) {
	if r.user.Role != registry.RoleAdmin {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	us, err := a.cfg.Store.Users(r.Context())
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.render(w, r.Request, http.StatusOK, "users", a.pageOf(r, "users", map[string]any{"Users": us}))
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' })
}

func (a *App) handleCreateUser(w http.ResponseWriter, r *request) {
	if r.user.Role != registry.RoleAdmin {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	role, err := registry.ParseRole(r.PostFormValue("role"))
	if err == nil && role == registry.RoleFamily {
		err = registry.ErrBadRequest // families register with an invitation
	}
	if err == nil {
		_, err = a.cfg.Store.CreateUser(r.Context(), r.user.ID, registry.NewUser{Login: r.PostFormValue("login"), Password: r.PostFormValue("password"),
			Display: r.PostFormValue("display"), Role: role, Issuers: splitList(r.PostFormValue("issuers")), Venues: splitList(r.PostFormValue("venues"))})
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/admin/users", http.StatusSeeOther)
}

func (a *App) handleAudit(w http.ResponseWriter, r *request) {
	if r.user.Role != registry.RoleAdmin {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := a.cfg.Store.AuditLog(r.Context(), before, 100)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	var older int64
	if len(es) == 100 {
		older = es[len(es)-1].Seq
	}
	type entry struct {
		registry.AuditEntry
		When string
	}
	views := make([]entry, len(es))
	for i, e := range es {
		views[i] = entry{e, e.At.In(a.cfg.TimeZone).Format("2006-01-02 15:04:05")}
	}
	a.render(w, r.Request, http.StatusOK, "audit", a.pageOf(r, "audit", map[string]any{"Entries": views, "Older": older}))
}
