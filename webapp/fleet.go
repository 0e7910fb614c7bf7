package webapp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/scangate/scangate/idcode"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
	"github.com/scangate/scangate/sync/wire"
)

// Audit actions of the administrators' pages.
const (
	actAdminRevoke   = "admin_card_revoke"
	actPolicySet     = "venue_policy_set"
	actTokenCreate   = "enroll_token_create"
	actTokenWithdraw = "enroll_token_withdraw"
	actIssuerPut     = "issuer_put"
	actIssuerDelete  = "issuer_delete"
	actAdminSearch   = "admin_search"
	enrollTokenTTL   = 7 * 24 * time.Hour
	maxSearchResults = 500
)

func (a *App) fleetRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/fleet", a.signedIn(a.handleFleet))
	m.HandleFunc("POST /admin/cards/revoke", a.signedIn(a.handleAdminRevoke))
	m.HandleFunc("POST /admin/tokens", a.signedIn(a.handleCreateToken))
	m.HandleFunc("POST /admin/tokens/withdraw", a.signedIn(a.handleWithdrawToken))
	m.HandleFunc("GET /admin/issuers", a.signedIn(a.handleIssuers))
	m.HandleFunc("POST /admin/issuers", a.signedIn(a.handlePutIssuer))
	m.HandleFunc("POST /admin/issuers/{id}/delete", a.signedIn(a.handleDeleteIssuer))
	m.HandleFunc("GET /admin/venues/{venue}/policy", a.signedIn(a.handlePolicyPage))
	m.HandleFunc("POST /admin/venues/{venue}/policy", a.signedIn(a.handlePolicy))
	m.HandleFunc("GET /admin/checkins", a.signedIn(a.handleCheckinsChart))
	m.HandleFunc("GET /admin/search", a.signedIn(a.handleSearch))
}

// FleetSource is the collector's view of its devices; *collector.Server
// is one (the Config's Issuer, when it is).
type FleetSource interface {
	Fleet(ctx context.Context) ([]collector.FleetDevice, error)
	FleetRules() collector.FleetRules
}

// adminRecords is what the administrators' pages need of the Records
// beyond the pages every role has; both built-in backends have it.
type adminRecords interface {
	CardsByNumber(ctx context.Context, number string) ([]string, error)
	SetVenuePolicy(ctx context.Context, id string, p wire.Policy) error
}

// admin returns the sources of the administrators' pages, or answers
// not found: to anyone but an administrator these pages do not exist.
func (a *App) admin(w http.ResponseWriter, r *request) (FleetSource, adminRecords, bool) {
	fs, ok1 := a.cfg.Issuer.(FleetSource)
	ar, ok2 := a.cfg.Records.(adminRecords)
	if r.user.Role != registry.RoleAdmin || !ok1 || !ok2 {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return nil, nil, false
	}
	return fs, ar, true
}

// fleetRow is one device as the fleet page shows it, times in the page's
// zone and ages as text.
type fleetRow struct {
	collector.FleetDevice
	Seen, Oldest, TrustAge, Refuse, Clock string
}

func (a *App) fleetRows(fleet []collector.FleetDevice, now time.Time) (devices, desks []fleetRow) {
	loc := a.cfg.TimeZone
	for _, d := range fleet {
		row := fleetRow{FleetDevice: d}
		if !d.LastSeen.IsZero() {
			row.Seen = d.LastSeen.In(loc).Format("2006-01-02 15:04:05") + " (" + ago(now.Sub(d.LastSeen)) + ")"
		}
		if h := d.Health; h != nil {
			if h.OutboxDepth > 0 {
				row.Oldest = ago(time.Duration(h.OutboxOldest))
			}
			if h.TrustKnown {
				row.TrustAge = ago(time.Duration(h.TrustAge))
			}
			if h.RefuseFrom != nil {
				row.Refuse = h.RefuseFrom.In(loc).Format("2006-01-02 15:04")
			}
			if h.ClockMeasured {
				row.Clock = (time.Duration(h.ClockOffsetMS) * time.Millisecond).Round(100 * time.Millisecond).String()
			}
		}
		if d.IsDesk() {
			desks = append(desks, row)
		} else {
			devices = append(devices, row)
		}
	}
	return devices, desks
}

// ago is a duration as a page shows it: whole seconds, minutes or more.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Truncate(time.Second).String()
	case d < 48*time.Hour:
		return d.Truncate(time.Minute).String()
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func (a *App) handleFleet(w http.ResponseWriter, r *request) {
	fs, _, ok := a.admin(w, r)
	if !ok {
		return
	}
	a.fleetPage(w, r, fs, map[string]any{"Revoked": r.URL.Query().Get("revoked"), "Withdrawn": r.URL.Query().Get("withdrawn") == "1"})
}

// fleetPage renders the fleet with extra (a notice, a new token).
func (a *App) fleetPage(w http.ResponseWriter, r *request, fs FleetSource, extra map[string]any) {
	fleet, err := fs.Fleet(r.Context())
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	now := a.cfg.Clock.Now()
	devices, desks := a.fleetRows(fleet, now)
	counts := map[string]int{}
	for _, d := range devices {
		counts[d.State]++
	}
	type tokenRow struct {
		Hash, ID, Venue, Created, Expires string
	}
	var tokens []tokenRow
	if ts, ok := a.cfg.Records.(collector.TokenStore); ok {
		toks, err := ts.OutstandingTokens(r.Context(), now)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		for _, t := range toks {
			tokens = append(tokens, tokenRow{Hash: t.Hash, ID: t.Hash[:min(8, len(t.Hash))], Venue: t.Venue,
				Created: t.CreatedAt.In(a.cfg.TimeZone).Format("2006-01-02 15:04"), Expires: t.ExpiresAt.In(a.cfg.TimeZone).Format("2006-01-02 15:04")})
		}
	}
	rules := fs.FleetRules()
	d := map[string]any{
		"Devices": devices, "Desks": desks, "Counts": counts, "Venues": fleetVenues(fleet), "Tokens": tokens,
		"UnseenRed": rules.UnseenRed.String(), "RefuseDays": int(rules.RefuseRedWithin / (24 * time.Hour)),
		"Updated": now.In(a.cfg.TimeZone).Format("15:04:05"),
	}
	for k, v := range extra {
		d[k] = v
	}
	p := a.pageOf(r, "fleet", d)
	if extra["Token"] == nil {
		p.Refresh = 30 // never reload a page showing a token: it is shown once
	}
	a.render(w, r.Request, http.StatusOK, "fleet", p)
}

// fleetVenues lists the venues that have devices, for the pages' choices.
func fleetVenues(fleet []collector.FleetDevice) []string {
	var vs []string
	for _, d := range fleet {
		if !slices.Contains(vs, d.Venue) {
			vs = append(vs, d.Venue)
		}
	}
	sort.Strings(vs)
	return vs
}

// handleAdminRevoke revokes a card by its printed number or card id
// through the collector's one revocation path. A number several cards
// share asks which one.
func (a *App) handleAdminRevoke(w http.ResponseWriter, r *request) {
	_, ar, ok := a.admin(w, r)
	if !ok {
		return
	}
	q, err := collector.ParseCardQuery(r.PostFormValue("card"))
	if err != nil {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: %v", errBadForm, err))
		return
	}
	id := q.ID
	if id == "" {
		ids, err := ar.CardsByNumber(r.Context(), q.Number)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		switch len(ids) {
		case 0:
			a.fail(w, r.Request, &r.user, fmt.Errorf("%w: no card with number %s is known here; give the card id", errBadForm, collector.PrintedNumber(q.Number)))
			return
		case 1:
			id = ids[0]
		default:
			a.render(w, r.Request, http.StatusOK, "fleet_choose", a.pageOf(r, "fleet_revoke", map[string]any{
				"Number": collector.PrintedNumber(q.Number), "IDs": ids}))
			return
		}
	}
	if _, err := a.cfg.Issuer.RevokeCard(r.Context(), id); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	why := []rune(strings.TrimSpace(r.PostFormValue("why")))
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actAdminRevoke, id, string(why[:min(len(why), 200)])); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: card revoked by an administrator")
	http.Redirect(w, r.Request, "/admin/fleet?revoked="+url.QueryEscape(collector.PrintedNumber(id)), http.StatusSeeOther)
}

// handleCreateToken makes a one-time enrollment token for a venue, shown
// once: only its hash is kept, as the collector's API keeps it.
func (a *App) handleCreateToken(w http.ResponseWriter, r *request) {
	fs, _, ok := a.admin(w, r)
	if !ok {
		return
	}
	venue := strings.TrimSpace(r.PostFormValue("venue"))
	if _, err := a.cfg.Records.Venue(r.Context(), venue); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	var b [16]byte
	rand.Read(b[:])
	tok := "sget-" + hex.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(tok))
	now := a.cfg.Clock.Now().UTC()
	if err := a.cfg.Records.CreateEnrollToken(r.Context(), collector.EnrollToken{Hash: hex.EncodeToString(sum[:]), Venue: venue,
		CreatedAt: now, ExpiresAt: now.Add(enrollTokenTTL)}); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	// The token itself is a secret: the audit names the venue only.
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actTokenCreate, venue, "expires "+now.Add(enrollTokenTTL).Format(time.RFC3339)); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.fleetPage(w, r, fs, map[string]any{"Token": tok, "TokenVenue": venue,
		"TokenExpires": now.Add(enrollTokenTTL).In(a.cfg.TimeZone).Format("2006-01-02 15:04")})
}

// handleWithdrawToken makes an outstanding enrollment token expire now.
func (a *App) handleWithdrawToken(w http.ResponseWriter, r *request) {
	if _, _, ok := a.admin(w, r); !ok {
		return
	}
	ts, ok := a.cfg.Records.(collector.TokenStore)
	if !ok {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	hash := r.PostFormValue("token")
	if err := ts.WithdrawToken(r.Context(), hash, a.cfg.Clock.Now().UTC()); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actTokenWithdraw, hash[:min(8, len(hash))], ""); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/admin/fleet?withdrawn=1", http.StatusSeeOther)
}

// issuerAdmin is the collector's issuer administration; *collector.Server
// is one.
type issuerAdmin interface {
	PutIssuer(ctx context.Context, req collector.IssuerRequest) (collector.Issuer, error)
	DeleteIssuer(ctx context.Context, id string) error
}

// handlePutIssuer trusts a new issuer whose key the collector makes and
// holds (the office's issuing path), or one given by its public key.
func (a *App) handlePutIssuer(w http.ResponseWriter, r *request) {
	if _, _, ok := a.admin(w, r); !ok {
		return
	}
	ia, ok := a.cfg.Issuer.(issuerAdmin)
	if !ok {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	req := collector.IssuerRequest{ID: strings.TrimSpace(r.PostFormValue("id")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Venues: splitList(r.PostFormValue("venues"))}
	if k := strings.TrimSpace(r.PostFormValue("public_key")); k != "" {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil {
			a.fail(w, r.Request, &r.user, fmt.Errorf("%w: public key: not base64", errBadForm))
			return
		}
		req.PublicKey = b
	}
	if len(req.Name) > wire.MaxTextLen {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: name longer than %d bytes", errBadForm, wire.MaxTextLen))
		return
	}
	is, err := ia.PutIssuer(r.Context(), req)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actIssuerPut, is.ID, fmt.Sprintf("holds_key=%t venues=%s", is.HoldsKey, strings.Join(is.Venues, ","))); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/admin/issuers", http.StatusSeeOther)
}

// handleDeleteIssuer stops trusting an issuer; the form must confirm it.
func (a *App) handleDeleteIssuer(w http.ResponseWriter, r *request) {
	if _, _, ok := a.admin(w, r); !ok {
		return
	}
	ia, ok := a.cfg.Issuer.(issuerAdmin)
	if !ok {
		a.fail(w, r.Request, &r.user, registry.ErrNotFound)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		a.fail(w, r.Request, &r.user, fmt.Errorf("%w: tick the confirmation", errBadForm))
		return
	}
	id := r.PathValue("id")
	if err := ia.DeleteIssuer(r.Context(), id); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actIssuerDelete, id, ""); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	http.Redirect(w, r.Request, "/admin/issuers", http.StatusSeeOther)
}

// handleIssuers lists the issuers the collector trusts.
func (a *App) handleIssuers(w http.ResponseWriter, r *request) {
	if _, _, ok := a.admin(w, r); !ok {
		return
	}
	is, err := a.cfg.Records.Issuers(r.Context())
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	type row struct {
		collector.Issuer
		KID, From, Until, Venues string
	}
	rows := make([]row, len(is))
	for i, x := range is {
		rows[i] = row{Issuer: x, KID: hex.EncodeToString(x.PublicKey)[:16], Venues: strings.Join(x.Venues, " ")}
		if !x.NotBefore.IsZero() {
			rows[i].From = x.NotBefore.In(a.cfg.TimeZone).Format("2006-01-02")
		}
		if !x.NotAfter.IsZero() {
			rows[i].Until = x.NotAfter.In(a.cfg.TimeZone).Format("2006-01-02")
		}
		rows[i].HoldsKey = len(x.SealedKey) > 0
	}
	a.render(w, r.Request, http.StatusOK, "fleet_issuers", a.pageOf(r, "fleet_issuers", map[string]any{"Issuers": rows}))
}

// policyForm is a venue's policy as its form shows it.
type policyForm struct {
	Mode, Duplicate, MaxAge, Companion string
	Capacity                           string // "0": no limit
	Categories                         []string
	FailOpen                           bool
}

var policyCategories = idcode.Categories()

func formOfPolicy(p wire.Policy) policyForm {
	return policyForm{Mode: p.Mode, Duplicate: time.Duration(p.DuplicateWindow).String(), MaxAge: time.Duration(p.MaxTrustAge).String(),
		Companion: time.Duration(p.CompanionWindow).String(), Capacity: strconv.Itoa(p.Capacity), Categories: p.Categories, FailOpen: p.FailOpen}
}

// policyError is what is wrong with one field of the policy form, as a
// text key of the page (with one argument) and in English.
type policyError struct {
	Field, Key, Arg string
}

func (e *policyError) Error() string {
	return fmt.Sprintf("%v: %s: %s", errBadForm, e.Field, fmt.Sprintf(messages[e.Key][1], e.Arg))
}

func (e *policyError) Unwrap() error { return errBadForm }

// policyLabels are the form's field labels.
var policyLabels = map[string]string{"mode": "fleet_mode", "duplicate_window": "fleet_duplicate", "max_trust_age": "fleet_max_age",
	"companion_window": "fleet_companion", "categories": "fleet_categories", "capacity": "fleet_capacity"}

// message is the error in language l, naming the field by its label.
func (e *policyError) message(l string) string {
	return translate(l, "bad_request") + translate(l, policyLabels[e.Field]) + ": " + fmt.Sprintf(translate(l, e.Key), e.Arg)
}

// parsePolicyForm reads the policy form; the error names the field.
func parsePolicyForm(f url.Values) (wire.Policy, error) {
	p := wire.Policy{Mode: f.Get("mode"), FailOpen: f.Get("fail_open") == "on"}
	for _, d := range []struct {
		field string
		dst   *wire.Duration
		max   time.Duration
	}{
		{"duplicate_window", &p.DuplicateWindow, 7 * 24 * time.Hour},
		{"max_trust_age", &p.MaxTrustAge, 366 * 24 * time.Hour},
		{"companion_window", &p.CompanionWindow, 24 * time.Hour},
	} {
		v, err := time.ParseDuration(strings.TrimSpace(f.Get(d.field)))
		if err != nil || v < 0 || v > d.max {
			return wire.Policy{}, &policyError{d.field, "fleet_bad_duration", d.max.String()}
		}
		*d.dst = wire.Duration(v)
	}
	if c := strings.TrimSpace(f.Get("capacity")); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > wire.MaxCapacity {
			return wire.Policy{}, &policyError{"capacity", "fleet_bad_capacity", strconv.Itoa(wire.MaxCapacity)}
		}
		p.Capacity = n
	}
	for _, c := range f["categories"] {
		if !slices.Contains(policyCategories, c) {
			return wire.Policy{}, &policyError{"categories", "fleet_bad_category", c}
		}
		if !slices.Contains(p.Categories, c) {
			p.Categories = append(p.Categories, c)
		}
	}
	if p.Mode == wire.ModeVerify && p.MaxTrustAge == 0 {
		return wire.Policy{}, &policyError{"max_trust_age", "fleet_need_max_age", ""}
	}
	if p.Mode != wire.ModeVerify && p.Mode != wire.ModeLogOnly {
		return wire.Policy{}, &policyError{"mode", "fleet_bad_mode", p.Mode}
	}
	if err := p.Check(); err != nil {
		return wire.Policy{}, fmt.Errorf("%w: %v", errBadForm, err)
	}
	return p, nil
}

func (a *App) handlePolicyPage(w http.ResponseWriter, r *request) {
	if _, _, ok := a.admin(w, r); !ok {
		return
	}
	v, err := a.cfg.Records.Venue(r.Context(), r.PathValue("venue"))
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.policyPage(w, r, v, formOfPolicy(v.Policy), http.StatusOK, "")
}

func (a *App) policyPage(w http.ResponseWriter, r *request, v collector.Venue, f policyForm, status int, msg string) {
	type cat struct {
		Value   string
		Checked bool
	}
	var cats []cat
	for _, c := range policyCategories {
		cats = append(cats, cat{c, slices.Contains(f.Categories, c)})
	}
	p := a.pageOf(r, "fleet_policy", map[string]any{"Venue": v, "Form": f, "Cats": cats,
		"Saved": r.URL.Query().Get("saved") == "1"})
	p.Flash = msg
	a.render(w, r.Request, status, "fleet_policy", p)
}

func (a *App) handlePolicy(w http.ResponseWriter, r *request) {
	_, ar, ok := a.admin(w, r)
	if !ok {
		return
	}
	v, err := a.cfg.Records.Venue(r.Context(), r.PathValue("venue"))
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	p, err := parsePolicyForm(r.PostForm)
	if err != nil {
		// The form again, as typed, with what is wrong.
		f := policyForm{Mode: r.PostFormValue("mode"), Duplicate: r.PostFormValue("duplicate_window"), MaxAge: r.PostFormValue("max_trust_age"),
			Companion: r.PostFormValue("companion_window"), Capacity: r.PostFormValue("capacity"), Categories: r.PostForm["categories"], FailOpen: r.PostFormValue("fail_open") == "on"}
		msg := translate(lang(r.Request), "bad_request") + strings.TrimPrefix(err.Error(), errBadForm.Error()+": ")
		if pe, ok := err.(*policyError); ok {
			msg = pe.message(lang(r.Request))
		}
		a.policyPage(w, r, v, f, http.StatusBadRequest, msg)
		return
	}
	if err := ar.SetVenuePolicy(r.Context(), v.ID, p); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	detail := fmt.Sprintf("mode=%s duplicate=%s max_trust_age=%s companion=%s capacity=%d categories=%s fail_open=%t",
		p.Mode, time.Duration(p.DuplicateWindow), time.Duration(p.MaxTrustAge), time.Duration(p.CompanionWindow), p.Capacity, strings.Join(p.Categories, ","), p.FailOpen)
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actPolicySet, v.ID, detail); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	a.log.Info("webapp: venue policy set", "venue", v.ID, "mode", p.Mode)
	http.Redirect(w, r.Request, "/admin/venues/"+url.PathEscape(v.ID)+"/policy?saved=1", http.StatusSeeOther)
}

// venueZone is the venue's time zone (its settings; UTC when unset).
func (a *App) venueZone(ctx context.Context, venue string) (collector.Venue, *time.Location, error) {
	v, err := a.cfg.Records.Venue(ctx, venue)
	if err != nil {
		return v, nil, err
	}
	loc, err := collector.LoadZone(v.TimeZone)
	if err != nil {
		return v, nil, err
	}
	return v, loc, nil
}

// chartQuery reads the chart's venue and day: the day in the venue's zone,
// today when none is given.
func chartQuery(q url.Values, loc *time.Location, now time.Time) (time.Time, error) {
	day := strings.TrimSpace(q.Get("day"))
	if day == "" {
		y, m, d := now.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
	}
	t, err := collector.ParseWhen(day, loc, false)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: day: %v", errBadForm, err)
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc), nil
}

// hourBar is one hour of the chart: its numbers and its bars' geometry.
type hourBar struct {
	Hour               int
	Admitted, Refused  int
	X, YA, HA, YR, HR  int
	Label, LabelX      string
	ShowLabel, HasData bool
}

// chart geometry (SVG user units).
const (
	chartW, chartH, chartTop, chartBottom, chartLeft = 720, 260, 20, 30, 40
	barW                                             = 24
)

// hourChart counts the venue's check-ins by hour of day in loc: admitted
// (pass, already) and refused (fail, fault); not-entered records are no
// check-ins.
func hourChart(vs []collector.Visit, loc *time.Location) (bars []hourBar, peak int, ticks []map[string]int) {
	bars = make([]hourBar, 24)
	for _, v := range vs {
		h := v.Time.In(loc).Hour()
		switch v.Decision {
		case wire.DecisionPass, wire.DecisionAlreadyIn:
			bars[h].Admitted++
		case wire.DecisionFail, wire.DecisionFault:
			bars[h].Refused++
		}
	}
	for _, b := range bars {
		peak = max(peak, b.Admitted+b.Refused)
	}
	scale := max(peak, 1)
	plot := chartH - chartTop - chartBottom
	for i := range bars {
		b := &bars[i]
		b.Hour = i
		b.X = chartLeft + i*(chartW-chartLeft)/24 + 3
		b.HA = b.Admitted * plot / scale
		b.HR = b.Refused * plot / scale
		b.YA = chartH - chartBottom - b.HA
		b.YR = b.YA - b.HR
		b.Label = strconv.Itoa(i)
		b.LabelX = strconv.Itoa(b.X + barW/2)
		b.ShowLabel = i%3 == 0
		b.HasData = b.Admitted+b.Refused > 0
	}
	for _, v := range []int{0, scale / 2, scale} {
		if len(ticks) > 0 && v == ticks[len(ticks)-1]["V"] || v > 0 && v < scale && scale%2 != 0 {
			continue // a half of an odd peak is no whole number of check-ins
		}
		ticks = append(ticks, map[string]int{"V": v, "Y": chartH - chartBottom - v*plot/scale, "TX": chartLeft - 6})
	}
	return bars, peak, ticks
}

func (a *App) handleCheckinsChart(w http.ResponseWriter, r *request) {
	fs, _, ok := a.admin(w, r)
	if !ok {
		return
	}
	fleet, err := fs.Fleet(r.Context())
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	venues := fleetVenues(fleet)
	venue := r.URL.Query().Get("venue")
	if venue == "" && len(venues) > 0 {
		venue = venues[0]
	}
	d := map[string]any{"Venues": venues, "Venue": venue}
	if venue != "" {
		v, loc, err := a.venueZone(r.Context(), venue)
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		day, err := chartQuery(r.URL.Query(), loc, a.cfg.Clock.Now())
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		vs, err := a.cfg.Records.VisitsAtVenue(r.Context(), v.ID, day, day.AddDate(0, 0, 1))
		if err != nil {
			a.fail(w, r.Request, &r.user, err)
			return
		}
		bars, peak, ticks := hourChart(vs, loc)
		total := 0
		for _, b := range bars {
			total += b.Admitted + b.Refused
		}
		d["VenueName"], d["Day"], d["Zone"] = v.Name, day.Format("2006-01-02"), loc.String()
		d["Bars"], d["Peak"], d["Ticks"], d["Total"] = bars, peak, ticks, total
		d["W"], d["H"], d["Base"], d["Left"], d["BarW"], d["LabelY"] = chartW, chartH, chartH-chartBottom, chartLeft, barW, chartH-10
	}
	a.render(w, r.Request, http.StatusOK, "fleet_chart", a.pageOf(r, "fleet_chart", d))
}

// searchRow is one visit as the search page shows it: the name as
// stored (masked), the printed number, never the card id in full.
type searchRow struct {
	When, Venue, Device, Name, Category, Decision, Reason, Number string
}

func (a *App) handleSearch(w http.ResponseWriter, r *request) {
	fs, _, ok := a.admin(w, r)
	if !ok {
		return
	}
	fleet, err := fs.Fleet(r.Context())
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	q := r.URL.Query()
	d := map[string]any{"Venues": fleetVenues(fleet), "Venue": q.Get("venue"), "From": q.Get("from"), "To": q.Get("to"), "Card": q.Get("card")}
	if q.Get("venue") == "" && q.Get("card") == "" {
		a.render(w, r.Request, http.StatusOK, "fleet_search", a.pageOf(r, "fleet_search", d))
		return
	}
	vs, loc, what, err := a.search(r.Context(), q)
	if err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	if err := a.cfg.Store.Audit(r.Context(), r.user.ID, actAdminSearch, what, strconv.Itoa(len(vs))); err != nil {
		a.fail(w, r.Request, &r.user, err)
		return
	}
	more := len(vs) > maxSearchResults
	if more {
		vs = vs[:maxSearchResults]
	}
	rows := make([]searchRow, len(vs))
	for i, v := range vs {
		rows[i] = searchRow{When: v.Time.In(loc).Format("2006-01-02 15:04:05"), Venue: v.Venue, Device: v.Device, Name: v.Name,
			Category: v.Category, Decision: v.Decision, Reason: v.Reason}
		if len(v.CardID) == 32 {
			rows[i].Number = collector.PrintedNumber(v.CardID)
		}
	}
	d["Rows"], d["More"], d["Searched"], d["Zone"] = rows, more, true, loc.String()
	a.render(w, r.Request, http.StatusOK, "fleet_search", a.pageOf(r, "fleet_search", d))
}

// search answers the search form: by card (printed number or id) in the
// window, else by venue. The window's dates are the venue's (or the
// pages') zone; by default the last 30 days.
func (a *App) search(ctx context.Context, q url.Values) ([]collector.Visit, *time.Location, string, error) {
	loc := a.cfg.TimeZone
	venue := strings.TrimSpace(q.Get("venue"))
	if venue != "" {
		var err error
		if _, loc, err = a.venueZone(ctx, venue); err != nil {
			return nil, nil, "", err
		}
	}
	from, to, err := searchWindow(q, loc, a.cfg.Clock.Now())
	if err != nil {
		return nil, nil, "", err
	}
	if card := strings.TrimSpace(q.Get("card")); card != "" {
		cq, err := collector.ParseCardQuery(card)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w: %v", errBadForm, err)
		}
		var vs []collector.Visit
		if cq.ID != "" {
			vs, err = a.cfg.Records.VisitsOfCard(ctx, cq.ID, from, to)
		} else {
			vs, err = a.cfg.Records.VisitsOfCardNumber(ctx, cq.Number, from, to)
		}
		if venue != "" {
			vs = slices.DeleteFunc(vs, func(v collector.Visit) bool { return v.Venue != venue })
		}
		// Who looked up which card is the audit's point; the number, not
		// the whole id, is what was typed.
		what := "card " + collector.PrintedNumber(cq.Number)
		if cq.ID != "" {
			what = "card " + collector.PrintedNumber(cq.ID)
		}
		return vs, loc, what, err
	}
	vs, err := a.cfg.Records.VisitsAtVenue(ctx, venue, from, to)
	return vs, loc, "venue " + venue, err
}

// searchWindow reads from and to (ParseWhen: dates or times); an empty
// from is 30 days before to, an empty to is now. At most a year.
func searchWindow(q url.Values, loc *time.Location, now time.Time) (from, to time.Time, err error) {
	to = now
	if s := strings.TrimSpace(q.Get("to")); s != "" {
		if to, err = collector.ParseWhen(s, loc, true); err != nil {
			return from, to, fmt.Errorf("%w: to: %v", errBadForm, err)
		}
	}
	from = to.AddDate(0, 0, -30)
	if s := strings.TrimSpace(q.Get("from")); s != "" {
		if from, err = collector.ParseWhen(s, loc, false); err != nil {
			return from, to, fmt.Errorf("%w: from: %v", errBadForm, err)
		}
	}
	switch {
	case !from.Before(to):
		return from, to, fmt.Errorf("%w: from must be before to", errBadForm)
	case to.Sub(from) > 366*24*time.Hour:
		return from, to, fmt.Errorf("%w: at most a year at a time", errBadForm)
	}
	return from, to, nil
}
