package idcode

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func testList() TrustList {
	return TrustList{Version: 7, IssuedAt: testNow, Expires: testNow.Add(30 * 24 * time.Hour), Issuers: []Issuer{
		{ID: "org.example.venue", Name: "Example 长者中心", PublicKey: pubOf(testKey(1)), Venues: []string{"venue-1"}},
		{ID: "org.example.club", PublicKey: pubOf(testKey(2)), NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)},
	}}
}

func TestTrustListRoundTrip(t *testing.T) {
	listKey := testKey(9)
	data, err := SignTrustList(testList(), listKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenTrustList(data, []ed25519.PublicKey{pubOf(testKey(8)), pubOf(listKey)})
	if err != nil {
		t.Fatal(err)
	}
	want := testList()
	if got.Version != want.Version || !got.Expires.Equal(want.Expires) || len(got.Issuers) != 2 ||
		got.Issuers[0].Name != want.Issuers[0].Name || !bytes.Equal(got.Issuers[1].PublicKey, want.Issuers[1].PublicKey) ||
		!got.Issuers[1].NotAfter.Equal(want.Issuers[1].NotAfter) || got.Issuers[0].Venues[0] != "venue-1" {
		t.Fatalf("round trip: %+v", got)
	}
	kid, err := EnvelopeKID(data)
	if err != nil || kid != KeyID(pubOf(listKey)) {
		t.Fatalf("EnvelopeKID = %x, %v", kid, err)
	}
}

func TestOpenTrustListRefuses(t *testing.T) {
	listKey := testKey(9)
	data, err := SignTrustList(testList(), listKey)
	if err != nil {
		t.Fatal(err)
	}
	pinned := []ed25519.PublicKey{pubOf(listKey)}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	reseal := func(mut func(*envelope)) []byte {
		e := env
		e.Payload = append([]byte(nil), env.Payload...)
		mut(&e)
		b, _ := json.Marshal(e)
		return b
	}
	revs, err := SignRevocations(RevocationList{Version: 1, IssuedAt: testNow, Expires: testNow.Add(time.Hour)}, listKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data   []byte
		pinned []ed25519.PublicKey
		want   error
	}{
		"not pinned":        {data, []ed25519.PublicKey{pubOf(testKey(8))}, ErrListKeyUnknown},
		"nothing pinned":    {data, nil, ErrListKeyUnknown},
		"payload changed":   {reseal(func(e *envelope) { e.Payload[10] ^= 1 }), pinned, ErrListSignature},
		"signature changed": {reseal(func(e *envelope) { e.Sig = append([]byte{e.Sig[0] ^ 1}, e.Sig[1:]...) }), pinned, ErrListSignature},
		"kid garbage":       {reseal(func(e *envelope) { e.KID = "zz" }), pinned, ErrListMalformed},
		"not json":          {[]byte("{"), pinned, ErrListMalformed},
		"revocations given": {revs, pinned, ErrListMalformed},
		"too large":         {make([]byte, MaxListSize+1), pinned, ErrListMalformed},
	} {
		if _, err := OpenTrustList(c.data, c.pinned); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", name, err, c.want)
		}
	}
	if _, err := OpenRevocations(data, pinned); !errors.Is(err, ErrListMalformed) {
		t.Errorf("trust list opened as revocations: %v", err)
	}
}

func TestSignTrustListRefusesBadLists(t *testing.T) {
	for name, mut := range map[string]func(*TrustList){
		"version 0":   func(l *TrustList) { l.Version = 0 },
		"no expiry":   func(l *TrustList) { l.Expires = time.Time{} },
		"short key":   func(l *TrustList) { l.Issuers[0].PublicKey = l.Issuers[0].PublicKey[:31] },
		"no id":       func(l *TrustList) { l.Issuers[0].ID = "" },
		"empty venue": func(l *TrustList) { l.Issuers[0].Venues = []string{""} },
	} {
		l := testList()
		mut(&l)
		if _, err := SignTrustList(l, testKey(9)); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

func TestRevocationsRoundTrip(t *testing.T) {
	listKey := testKey(9)
	l := RevocationList{Version: 2, IssuedAt: testNow, Expires: testNow.Add(time.Hour),
		CardIDs: []string{"0123456789ABCDEF0123456789abcdef"}}
	data, err := SignRevocations(l, listKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenRevocations(data, []ed25519.PublicKey{pubOf(listKey)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || len(got.CardIDs) != 1 || got.CardIDs[0] != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("%+v", got)
	}
	l.CardIDs = []string{"0123"}
	if _, err := SignRevocations(l, listKey); err == nil {
		t.Fatal("short card id signed")
	}
}

func TestOpenSelfSignedTrustList(t *testing.T) {
	l := testList()
	data, err := SignTrustList(l, testKey(2)) // issuer B signs the list it is in
	if err != nil {
		t.Fatal(err)
	}
	got, pub, err := OpenSelfSignedTrustList(data)
	if err != nil || got.Version != l.Version || !bytes.Equal(pub, pubOf(testKey(2))) {
		t.Fatalf("%v %v", got, err)
	}
	data, _ = SignTrustList(l, testKey(9)) // signed by a key not in the list
	if _, _, err := OpenSelfSignedTrustList(data); !errors.Is(err, ErrListKeyUnknown) {
		t.Fatalf("outside signer: %v", err)
	}
	data, _ = SignTrustList(l, testKey(2))
	data = bytes.Replace(data, []byte(`"sig": "`), []byte(`"sig": "AA`), 1)
	if _, _, err := OpenSelfSignedTrustList(data); err == nil {
		t.Fatal("damaged signature accepted")
	}
}
