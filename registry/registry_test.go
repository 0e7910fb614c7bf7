package registry_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/pgtest"

	"github.com/scangate/scangate/clock"
	"github.com/scangate/scangate/registry"
	"github.com/scangate/scangate/sync/collector"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// open is one way to get a registry on a fresh database.
type open func(t *testing.T, c clock.Clock) (*registry.Store, func() *registry.Store)

func openSQLite(t *testing.T, c clock.Clock) (*registry.Store, func() *registry.Store) {
	path := filepath.Join(t.TempDir(), "collector.db")
	be, err := collector.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	reopen := func() *registry.Store {
		st, err := registry.OpenSQLite(context.Background(), be.DB(), c)
		if err != nil {
			t.Fatal(err)
		}
		st.KDF = registry.TestKDF
		return st
	}
	return reopen(), reopen
}

func openPostgres(t *testing.T, c clock.Clock) (*registry.Store, func() *registry.Store) {
	be, err := collector.OpenPostgres(context.Background(), pgtest.SchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	reopen := func() *registry.Store {
		st, err := registry.OpenPostgres(context.Background(), be.Pool(), c)
		if err != nil {
			t.Fatal(err)
		}
		st.KDF = registry.TestKDF
		return st
	}
	return reopen(), reopen
}

func TestRegistrySQLite(t *testing.T)   { runSuite(t, openSQLite) }
func TestRegistryPostgres(t *testing.T) { runSuite(t, openPostgres) }

func runSuite(t *testing.T, o open) {
	ctx := context.Background()
	t.Run("Migrations", func(t *testing.T) {
		_, reopen := o(t, clock.NewFake(t0))
		reopen() // a second open finds the schema current and changes nothing
	})
	t.Run("LoginAndRateLimit", func(t *testing.T) {
		fc := clock.NewFake(t0)
		st, _ := o(t, fc)
		if _, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: "Admin", Password: "correct horse", Role: registry.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: "admin", Password: "correct horse", Role: registry.RoleAdmin}); !errors.Is(err, registry.ErrExists) {
			t.Fatalf("second admin with the same login: %v, want ErrExists", err)
		}
		sess, u, err := st.Login(ctx, "ADMIN ", "correct horse", "10.0.0.1", time.Hour)
		if err != nil || u.Role != registry.RoleAdmin {
			t.Fatalf("login: %v %+v", err, u)
		}
		if _, _, err := st.Session(ctx, sess.Token); err != nil {
			t.Fatalf("session: %v", err)
		}
		for i := 0; i < registry.MaxLoginFailures; i++ {
			if _, _, err := st.Login(ctx, "admin", "wrong", "10.0.0.2", time.Hour); !errors.Is(err, registry.ErrBadLogin) {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		if _, _, err := st.Login(ctx, "admin", "correct horse", "10.0.0.3", time.Hour); !errors.Is(err, registry.ErrRateLimited) {
			t.Fatalf("right password after %d failures: %v, want ErrRateLimited", registry.MaxLoginFailures, err)
		}
		fc.Advance(registry.LoginWindow + time.Second)
		sess2, _, err := st.Login(ctx, "admin", "correct horse", "10.0.0.3", time.Hour)
		if err != nil {
			t.Fatalf("after the window: %v", err)
		}
		if n, err := st.LogoutEverywhere(ctx, u.ID); err != nil || n != 2 {
			t.Fatalf("logout everywhere: %d %v, want 2 sessions", n, err)
		}
		for _, s := range []registry.Session{sess, sess2} {
			if _, _, err := st.Session(ctx, s.Token); !errors.Is(err, registry.ErrNotFound) {
				t.Fatalf("session after logout everywhere: %v", err)
			}
		}
		sess3, _, _ := st.Login(ctx, "admin", "correct horse", "10.0.0.3", time.Hour)
		fc.Advance(time.Hour)
		if _, _, err := st.Session(ctx, sess3.Token); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("expired session: %v", err)
		}
	})
	t.Run("InvitesAndVisibility", func(t *testing.T) {
		fc := clock.NewFake(t0)
		st, _ := o(t, fc)
		op, err := st.CreateUser(ctx, "cli", registry.NewUser{Login: "office", Password: "office password", Role: registry.RoleOperator, Issuers: []string{"gulou"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateInvite(ctx, op, "other", time.Hour); err == nil {
			t.Fatal("operator invited for an issuer it does not hold")
		}
		code, err := st.CreateInvite(ctx, op, "gulou", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.Register(ctx, strings.ToLower(code), registry.NewUser{Login: "wang.family", Password: "family password"})
		if err != nil || a.Issuer != "gulou" || a.Role != registry.RoleFamily {
			t.Fatalf("register: %v %+v", err, a)
		}
		if _, err := st.Register(ctx, code, registry.NewUser{Login: "second", Password: "family password"}); !errors.Is(err, registry.ErrInvite) {
			t.Fatalf("invite used twice: %v", err)
		}
		code2, _ := st.CreateInvite(ctx, op, "gulou", time.Hour)
		fc.Advance(2 * time.Hour)
		if _, err := st.Register(ctx, code2, registry.NewUser{Login: "late", Password: "family password"}); !errors.Is(err, registry.ErrInvite) {
			t.Fatalf("expired invite: %v", err)
		}
		code3, _ := st.CreateInvite(ctx, op, "gulou", time.Hour)
		b, err := st.Register(ctx, code3, registry.NewUser{Login: "li.family", Password: "family password"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.AddPerson(ctx, a, registry.NewPerson{Name: "王秀英", Category: "elder", Relation: "母亲"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Person(ctx, b, p.ID); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("another family sees the person: %v", err)
		}
		if ps, _ := st.People(ctx, b, "", 100); len(ps) != 0 {
			t.Fatalf("another family lists %d people", len(ps))
		}
		if ps, _ := st.People(ctx, op, "秀", 100); len(ps) != 1 || ps[0].Name != "王秀英" {
			t.Fatalf("office search: %+v", ps)
		}
		if ps, _ := st.People(ctx, op, "%", 100); len(ps) != 0 {
			t.Fatalf("a LIKE wildcard matched: %+v", ps)
		}
		if _, err := st.RecordDocCheck(ctx, a, p, "id_card", "1234"); err == nil {
			t.Fatal("a family recorded a document check")
		}
		dc, err := st.RecordDocCheck(ctx, op, p, "id_card", "11010519491231002X")
		if err != nil || dc.Last4 != "002X" {
			t.Fatalf("document check kept %q (%v), want the last four 002X", dc.Last4, err)
		}
		if err := st.SetPhoto(ctx, a, p, []byte{0xff, 0xd8, 1, 2}); err != nil {
			t.Fatal(err)
		}
		c := registry.PersonCard{CardID: "00112233445566778899aabbccddeeff", Issuer: "gulou", QR: "SG1:X", IssuedAt: fc.Now(), Expires: fc.Now().Add(time.Hour)}
		if err := st.RecordCard(ctx, b, p, c, registry.ActCardIssue); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("another family recorded a card: %v", err)
		}
		if err := st.RecordCard(ctx, a, p, c, registry.ActCardIssue); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkRevoked(ctx, a, p, c.CardID, registry.ReasonLost, registry.ActCardLost); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkRevoked(ctx, a, p, c.CardID, registry.ReasonLost, registry.ActCardLost); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("revoked twice: %v", err)
		}
		if err := st.ErasePerson(ctx, b, p, ""); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("another family erased: %v", err)
		}
		if err := st.ErasePerson(ctx, a, p, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Person(ctx, a, p.ID); !errors.Is(err, registry.ErrNotFound) {
			t.Fatalf("erased person still there: %v", err)
		}
		if ph, _ := st.Photo(ctx, p); ph != nil {
			t.Fatal("photo survived erasure")
		}
		log, err := st.AuditLog(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{registry.ActRegister: false, registry.ActPersonAdd: false, registry.ActDocCheck: false, registry.ActCardIssue: false, registry.ActCardLost: false, registry.ActPersonErase: false, registry.ActInviteCreate: false}
		for _, e := range log {
			if _, ok := want[e.Action]; ok {
				want[e.Action] = true
			}
			if strings.Contains(e.Detail+e.Target, "王") || strings.Contains(e.Detail+e.Target, "1949") {
				t.Fatalf("audit entry holds personal data: %+v", e)
			}
		}
		for a, seen := range want {
			if !seen {
				t.Errorf("no %s in the audit log", a)
			}
		}
	})
}

func TestLast4(t *testing.T) {
	for in, want := range map[string]string{"1234": "1234", "11010519491231002x": "002X", " 12-34 ": "1234", "E1234567": "4567"} {
		got, err := registry.ParseLast4(in)
		if err != nil || got != want {
			t.Errorf("ParseLast4(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "123", "12;4", "１２３４"} {
		if got, err := registry.ParseLast4(in); err == nil {
			t.Errorf("ParseLast4(%q) = %q, want an error", in, got)
		}
	}
}

func TestPassword(t *testing.T) {
	h, err := registry.HashPassword("correct horse", registry.TestKDF)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := registry.CheckPassword(h, "correct horse"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, _ := registry.CheckPassword(h, "correct horsE"); ok {
		t.Fatal("wrong password accepted")
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
}

// The audit log refuses UPDATE and DELETE at the database itself.
func TestAuditAppendOnly(t *testing.T) {
	for name, o := range map[string]open{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			st, _ := o(t, clock.NewFake(t0))
			if err := st.Audit(context.Background(), "u-1", registry.ActCardPrint, "c-1", ""); err != nil {
				t.Fatal(err)
			}
			db := registry.DBForTestOf(st)
			for _, q := range []string{`UPDATE reg_audit SET actor = 'x'`, `DELETE FROM reg_audit`} {
				if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v, want refused", q, err)
				}
			}
			if l, _ := st.AuditLog(context.Background(), 0, 10); len(l) != 1 || l[0].Actor != "u-1" {
				t.Fatalf("audit log after the attempts: %+v", l)
			}
		})
	}
}

func FuzzParseLast4(f *testing.F) {
	for _, s := range []string{"1234", "11010519491231002X", " 12-34 ", "12;4", "", "ＡＢＣＤ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := registry.ParseLast4(s)
		if err != nil {
			return
		}
		if len(got) != 4 || strings.Trim(got, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("ParseLast4(%q) = %q: not four letters or digits", s, got)
		}
	})
}

func FuzzNormalizeInvite(f *testing.F) {
	for _, s := range []string{"ABCD-EFGH-JKLM", "abcd efgh jklm", "", "-- -"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := registry.NormalizeInvite(s)
		if registry.NormalizeInvite(n) != n || strings.ContainsAny(n, "- ") {
			t.Fatalf("NormalizeInvite(%q) = %q is not canonical", s, n)
		}
	})
}

func BenchmarkPasswordDefaultKDF(b *testing.B) {
	h, _ := registry.HashPassword("correct horse", registry.DefaultKDF)
	for b.Loop() {
		registry.CheckPassword(h, "correct horse")
	}
}
