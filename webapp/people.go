package webapp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/scangate/scangate/cards"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// mayManage: families and offices (and administrators) look after people;
// venue staff do not.
func mayManage(u registry.User) bool {
	return u.Role == registry.RoleFamily || u.Role == registry.RoleOperator || u.Role == registry.RoleAdmin
}

func isOffice(u registry.User) bool {
	return u.Role == registry.RoleOperator || u.Role == registry.RoleAdmin
}

func (a *App) handlePeople(w http.ResponseWriter, r *request) {
	if !mayManage(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	ps, err := a.cfg.Store.People(r.Context(), r.user, q, 200)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	title := "people"
	if isOffice(r.user) {
		title = "office_people"
	}
	a.render(w, r.Request, http.StatusOK, "people", a.pageOf(r, title, map[string]any{"People": ps, "Query": q}))
}

// issuersOf lists the issuers u may issue for whose key the collector
// holds.
func (a *App) issuersOf(r *request) ([]string, error) {
	is, err := a.cfg.Records.Issuers(r.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range is {
		if len(i.SealedKey) > 0 && r.user.MayIssue(i.ID) {
			out = append(out, i.ID)
		}
	}
	return out, nil
}

func (a *App) handleNewPersonPage(w http.ResponseWriter, r *request) {
	if !mayManage(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	issuers, err := a.issuersOf(r)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.render(w, r.Request, http.StatusOK, "person_new", a.pageOf(r, "add_person", map[string]any{"Categories": registry.PersonCategories, "Issuers": issuers}))
}

// formPhoto returns the fitted photo of the form's photo field, nil when
// none was chosen.
func formPhoto(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("photo")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: photo: %v", errBadForm, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPhotoBody))
	if err != nil {
		return nil, fmt.Errorf("%w: photo: %v", errBadForm, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return FitPhoto(b)
}

func (a *App) handleNewPerson(w http.ResponseWriter, r *request) {
	if !mayManage(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	// The photo is checked before anything is stored: a bad photo leaves
	// no half-made person behind.
	photo, err := formPhoto(r.Request)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	n := registry.NewPerson{Name: r.PostFormValue("name"), Category: r.PostFormValue("category"), Relation: r.PostFormValue("relation"), Issuer: r.PostFormValue("issuer")}
	p, err := a.cfg.Store.AddPerson(r.Context(), r.user, n)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	if photo != nil {
		if err := a.cfg.Store.SetPhoto(r.Context(), r.user, p, photo); err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
	}
	a.log.Info("webapp: person added", "category", p.Category)
	http.Redirect(w, r.Request, "/people/"+p.ID, http.StatusSeeOther)
}

// person loads the {id} of the path, refusing anyone who may not see it.
func (a *App) person(w http.ResponseWriter, r *request) (registry.Person, bool) {
	if !mayManage(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return registry.Person{}, false
	}
	p, err := a.cfg.Store.Person(r.Context(), r.user, r.PathValue("id"))
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return registry.Person{}, false
	}
	return p, true
}

type cardView struct {
	registry.PersonCard
	Live, Expired bool
	Until         string
}

type visitView struct{ When, Venue, Decision string }

type docView struct {
	registry.DocCheck
	When, By string // By: the checking operator's login
}

func (a *App) handlePerson(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	cs, err := a.cfg.Store.Cards(r.Context(), p)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	now := a.cfg.Clock.Now()
	var views []cardView
	var visits []visitView
	hasLive := false
	for _, c := range cs {
		v := cardView{PersonCard: c, Live: c.Valid(now), Expired: !now.Before(c.Expires), Until: c.Expires.Add(-time.Second).In(a.cfg.TimeZone).Format(time.DateOnly)}
		hasLive = hasLive || v.Live
		views = append(views, v)
		vs, err := a.cfg.Records.VisitsOfCard(r.Context(), c.CardID, now.Add(-30*24*time.Hour), now.Add(time.Minute))
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		for _, v := range vs {
			visits = append(visits, visitView{When: v.Time.In(a.cfg.TimeZone).Format("2006-01-02 15:04"), Venue: v.Venue, Decision: translate(lang(r.Request), "decision_"+v.Decision)})
		}
	}
	slices.SortFunc(visits, func(x, y visitView) int { return strings.Compare(y.When, x.When) })
	var docs []docView
	if isOffice(r.user) {
		ds, err := a.cfg.Store.DocChecks(r.Context(), p)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		logins := map[string]string{}
		for _, d := range ds {
			if _, ok := logins[d.CheckedBy]; !ok {
				logins[d.CheckedBy] = d.CheckedBy
				if u, err := a.cfg.Store.User(r.Context(), d.CheckedBy); err == nil {
					logins[d.CheckedBy] = u.Login
				}
			}
			docs = append(docs, docView{DocCheck: d, When: d.At.In(a.cfg.TimeZone).Format("2006-01-02 15:04"), By: logins[d.CheckedBy]})
		}
	}
	d := map[string]any{"Person": p, "Cards": views, "HasLive": hasLive, "Visits": visits, "Office": isOffice(r.user),
		"DocTypes": registry.DocTypes, "DocChecks": docs, "Replacement": r.URL.Query().Get("lost") == "1" && !hasLive}
	title := "people"
	if isOffice(r.user) {
		title = "office_people"
	}
	a.render(w, r.Request, http.StatusOK, "person", a.pageOf(r, title, d))
}

func (a *App) handlePhoto(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	b, err := a.cfg.Store.Photo(r.Context(), p)
	if err != nil || b == nil {
		a.fail(w, r.Request, &r.user, errors.Join(err, registry.ErrNotFound))
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(b)
}

func (a *App) handleSetPhoto(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	photo, err := formPhoto(r.Request)
	if err == nil && photo == nil {
		err = fmt.Errorf("%w: no photo chosen", errBadForm)
	}
	if err == nil {
		err = a.cfg.Store.SetPhoto(r.Context(), r.user, p, photo)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/people/"+p.ID, http.StatusSeeOther)
}

// issue signs a new card for p through the collector and records it,
// revoking the person's live cards first (a reissue): one person, one
// card that works.
func (a *App) issue(r *request, p registry.Person) (registry.PersonCard, error) {
	ctx := r.Context()
	if !r.user.MayIssue(p.Issuer) {
		return registry.PersonCard{}, registry.ErrNotFound
	}
	cs, err := a.cfg.Store.Cards(ctx, p)
	if err != nil {
		return registry.PersonCard{}, err
	}
	action := registry.ActCardIssue
	now := a.cfg.Clock.Now()
	for _, c := range cs {
		if !c.Valid(now) {
			continue
		}
		if _, err := a.cfg.Issuer.RevokeCard(ctx, c.CardID); err != nil {
			return registry.PersonCard{}, err
		}
		if err := a.cfg.Store.MarkRevoked(ctx, r.user, p, c.CardID, registry.ReasonReissued, registry.ActCardRevoke); err != nil {
			return registry.PersonCard{}, err
		}
		action = registry.ActCardReissue
	}
	resp, err := a.cfg.Issuer.IssueCard(ctx, collector.CardRequest{Issuer: p.Issuer, Holder: p.Holder, Name: p.Name, Category: p.Category, Valid: wire.Duration(a.cfg.CardValidity)})
	if err != nil {
		return registry.PersonCard{}, err
	}
	pc := registry.PersonCard{CardID: resp.CardID, Issuer: p.Issuer, QR: resp.QR, IssuedAt: now, Expires: resp.Expires}
	if err := a.cfg.Store.RecordCard(ctx, r.user, p, pc, action); err != nil {
		return registry.PersonCard{}, err
	}
	a.log.Info("webapp: card issued", "issuer", p.Issuer, "category", p.Category)
	return pc, nil
}

func (a *App) handleIssue(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	if _, err := a.issue(r, p); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/people/"+p.ID, http.StatusSeeOther)
}

// PrintedCard is what cards prints for a card the collector issued: the
// full name and photo from the registry, the signed QR, the number as
// `scangate issue` prints it. The collector's card-issue --out uses it too.
func PrintedCard(resp collector.CardResponse, fullName, category string, issuer collector.Issuer, photo []byte) cards.Card {
	pc := registry.PersonCard{CardID: resp.CardID}
	name := issuer.Name
	if name == "" {
		name = issuer.ID
	}
	return cards.Card{Name: fullName, Category: category, IssuerName: name, IssuerID: issuer.ID,
		Expires: resp.Expires.Add(-time.Second), Number: pc.Number(), Photo: photo, QRText: resp.QR}
}

func (a *App) issuerByID(r *request, id string) (collector.Issuer, error) {
	is, err := a.cfg.Records.Issuers(r.Context())
	if err != nil {
		return collector.Issuer{}, err
	}
	for _, i := range is {
		if i.ID == id {
			return i, nil
		}
	}
	return collector.Issuer{ID: id}, nil
}

func (a *App) printable(r *request, p registry.Person, c registry.PersonCard) (cards.Card, error) {
	photo, err := a.cfg.Store.Photo(r.Context(), p)
	if err != nil {
		return cards.Card{}, err
	}
	is, err := a.issuerByID(r, c.Issuer)
	if err != nil {
		return cards.Card{}, err
	}
	return PrintedCard(collector.CardResponse{CardID: c.CardID, QR: c.QR, Expires: c.Expires}, p.Name, p.Category, is, photo), nil
}

func (a *App) handleCardPDF(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	id, found := strings.CutSuffix(r.PathValue("file"), ".pdf")
	if !found {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	c, err := a.cfg.Store.Card(r.Context(), p, id)
	if err == nil && !c.Valid(a.cfg.Clock.Now()) {
		err = registry.ErrNotFound // a revoked card is never printed again
	}
	var card cards.Card
	if err == nil {
		card, err = a.printable(r, p, c)
	}
	var buf bytes.Buffer
	if err == nil {
		err = cards.WritePDF(&buf, card)
	}
	if err == nil {
		err = a.cfg.Store.Audit(r.Context(), r.user.ID, registry.ActCardPrint, c.CardID, p.ID)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	writePDF(w, "card-"+c.Number()+".pdf", buf.Bytes())
}

func writePDF(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(b)
}

func (a *App) revoke(w http.ResponseWriter, r *request, reason, action, next string) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	c, err := a.cfg.Store.Card(r.Context(), p, r.PathValue("card"))
	if err == nil {
		_, err = a.cfg.Issuer.RevokeCard(r.Context(), c.CardID)
	}
	if err == nil {
		err = a.cfg.Store.MarkRevoked(r.Context(), r.user, p, c.CardID, reason, action)
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: card revoked", "reason", reason)
	http.Redirect(w, r.Request, "/people/"+p.ID+next, http.StatusSeeOther)
}

func (a *App) handleLost(w http.ResponseWriter, r *request) {
	a.revoke(w, r, registry.ReasonLost, registry.ActCardLost, "?lost=1")
}

func (a *App) handleRevoke(w http.ResponseWriter, r *request) {
	if !isOffice(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	a.revoke(w, r, registry.ReasonRevoked, registry.ActCardRevoke, "")
}

func (a *App) handleDocCheck(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	if _, err := a.cfg.Store.RecordDocCheck(r.Context(), r.user, p, r.PostFormValue("doc_type"), r.PostFormValue("last4")); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/people/"+p.ID, http.StatusSeeOther)
}

// handleErase removes a person: their cards stop working, the
// collector's records of the holder are erased, then the registry's.
func (a *App) handleErase(w http.ResponseWriter, r *request) {
	p, ok := a.person(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: tick the confirmation", errBadForm))
		return
	}
	ctx := r.Context()
	cs, err := a.cfg.Store.Cards(ctx, p)
	for _, c := range cs {
		if err != nil {
			break
		}
		if c.RevokedAt.IsZero() {
			_, err = a.cfg.Issuer.RevokeCard(ctx, c.CardID)
		}
	}
	var rep collector.ErasureReport
	if err == nil {
		rep, err = a.cfg.Records.Erase(ctx, collector.Erasure{Kind: collector.EraseHolder, Subject: p.Holder, Actor: "web:" + r.user.ID, At: a.cfg.Clock.Now().UTC()})
	}
	if err == nil {
		err = a.cfg.Store.ErasePerson(ctx, r.user, p, fmt.Sprintf("collector erasure %d", rep.ID))
	}
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: person erased", "erasure", rep.ID)
	http.Redirect(w, r.Request, "/people", http.StatusSeeOther)
}

// handleSheet prints an A4 sheet of the ticked people's cards, issuing a
// card for each one without a valid card first.
func (a *App) handleSheet(w http.ResponseWriter, r *request) {
	if !mayManage(r.user) {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	ids := r.PostForm["person"]
	if len(ids) == 0 || len(ids) > 200 {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: tick 1 to 200 people", errBadForm))
		return
	}
	now := a.cfg.Clock.Now()
	var printed []cards.Card
	for _, id := range ids {
		p, err := a.cfg.Store.Person(r.Context(), r.user, id)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		cs, err := a.cfg.Store.Cards(r.Context(), p)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		var live *registry.PersonCard
		for i := range cs {
			if cs[i].Valid(now) {
				live = &cs[i]
				break
			}
		}
		if live == nil {
			c, err := a.issue(r, p)
			if err != nil {
				a.fail(w, r.Request, &r.user, err)
				return
			}
			live = &c
		}
		card, err := a.printable(r, p, *live)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		if err := a.cfg.Store.Audit(r.Context(), r.user.ID, registry.ActCardPrint, live.CardID, p.ID); err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		printed = append(printed, card)
	}
	var buf bytes.Buffer
	if err := cards.WriteSheetPDF(&buf, printed); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	writePDF(w, fmt.Sprintf("cards-%d.pdf", len(printed)), buf.Bytes())
}
